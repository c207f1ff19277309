package winsim

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run executes one command line on h and returns stdout, stderr and the exit code.
func run(t *testing.T, h *Host, line string) (stdout, stderr string, rc int) {
	t.Helper()
	var o, e bytes.Buffer
	rc = h.Exec(context.Background(), line, &o, &e)
	return o.String(), e.String(), rc
}

// mustRun runs setup commands that must succeed.
func mustRun(t *testing.T, h *Host, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if o, e, rc := run(t, h, l); rc != 0 {
			t.Fatalf("setup %q: exit %d\nstdout %q\nstderr %q", l, rc, o, e)
		}
	}
}

const (
	seedPort    = `netsh firewall add portopening protocol=TCP port=135 name="RPC (TCP/135)" mode=ENABLE scope=SUBNET`
	seedProgram = `netsh firewall add allowedprogram program="%ProgramFiles%\Microsoft SQL Server\100\DTS\Binn\MsDtsSrvr.exe" name="SSIS Service" scope=SUBNET`
)

// TestGolden reproduces every sample of reference/netsh.md from the state
// it was captured in. The golden files hold the wire bytes (CRLF) derived
// from the reference as testdata/README.md describes; they are not
// generated from this package, so there is no -update flag.
func TestGolden(t *testing.T) {
	domain2008R2 := Config{ComputerName: "SQL01", Domain: "LAB", Version: Win2008R2, SSIS: []SSIS{{Version: 100}}}
	tests := []struct {
		name   string
		cfg    Config
		setup  []string
		line   string
		golden string
		stderr bool // the golden is stderr, not stdout
		prefix bool // the sample is an excerpt: compare a prefix
		pre    string
		rc     int
	}{
		{name: "legacy set service 2008R2", cfg: Config{Version: Win2008R2}, line: "netsh firewall set service remoteadmin enable", golden: "legacy_set_service_2008r2"},
		{name: "legacy add 2003 positional", cfg: Config{Version: Win2003}, line: `netsh firewall add portopening TCP 445 "Service Firewall" ENABLE ALL`, golden: "legacy_add_2003"},
		{name: "legacy add 2008 no notice", cfg: Config{Version: Win2008}, line: seedPort, golden: "legacy_add_2003"},
		{name: "seed portopening 2008R2", cfg: domain2008R2, line: seedPort, golden: "legacy_add_portopening_2008r2"},
		{name: "seed allowedprogram 2008R2", cfg: domain2008R2, line: seedProgram, golden: "legacy_add_portopening_2008r2"},
		{name: "show state 2008R2", cfg: Config{Version: Win2008R2},
			setup: []string{"netsh firewall add portopening protocol=TCP port=8500 name=CF profile=ALL"},
			line:  "netsh firewall show state", golden: "legacy_show_state_2008r2"},
		{name: "show config 2008R2", cfg: Config{Version: Win2008R2},
			setup: []string{"netsh firewall add portopening TCP 8500 CF ENABLE ALL ALL"},
			line:  "netsh firewall show config", golden: "legacy_show_config_2008r2"},
		{name: "show portopening 2008R2", cfg: domain2008R2, setup: []string{seedPort, seedProgram},
			line: "netsh firewall show portopening", golden: "legacy_show_portopening_2008r2"},
		{name: "show allowedprogram 2008R2", cfg: domain2008R2, setup: []string{seedPort, seedProgram},
			line: "netsh firewall show allowedprogram", golden: "legacy_show_allowedprogram_2008r2"},
		{name: "add portopening help", cfg: Config{Version: Win2008R2}, line: "netsh firewall add portopening ?", golden: "legacy_add_portopening_help"},
		{name: "add allowedprogram help", cfg: Config{Version: Win2008R2}, line: "netsh firewall add allowedprogram ?", golden: "legacy_add_allowedprogram_help"},
		{name: "advfirewall RPC equivalent", cfg: domain2008R2,
			line: `netsh advfirewall firewall add rule name="RPC (TCP/135)" dir=in action=allow protocol=TCP localport=135 remoteip=localsubnet profile=any`, golden: "adv_add_ok"},
		{name: "advfirewall SSIS equivalent", cfg: domain2008R2,
			line: `netsh advfirewall firewall add rule name="SSIS Service" dir=in action=allow program="C:\Program Files\Microsoft SQL Server\100\DTS\Binn\MsDtsSrvr.exe" enable=yes`, golden: "adv_add_ok"},
		{name: "unknown sub-command", cfg: Config{Version: Win2012R2}, line: "netsh firewall --config", golden: "netsh_not_found", rc: 1},
		{name: "add rule PEN-200", cfg: Config{Version: Win2016},
			line: `netsh advfirewall firewall add rule name="port_forward_ssh_2222" protocol=TCP dir=in localip=192.168.50.64 localport=2222 action=allow`, golden: "adv_add_pen200"},
		{name: "add rule Test", cfg: Config{Version: Win2019},
			line: `netsh advfirewall firewall add rule name="Test" profile=domain,private protocol=any enable=yes DIR=In program="C:\Program Files (x86)\Tencent\WeChat\WeChat.exe" Action=Allow`, golden: "adv_add_test"},
		{name: "add rule blockFirefox", cfg: Config{Version: Win2022},
			line: `netsh advfirewall firewall add rule dir=out action=block program="D:\Program Files\Mozilla Firefox\firefox.exe" name="blockFirefox" description="createByNetsh"  enable=yes`, golden: "adv_add_blockfirefox"},
		{name: "show rule name=test", cfg: Config{Version: Win2019},
			setup: []string{`netsh advfirewall firewall add rule name="Test" profile=domain,private protocol=any enable=yes DIR=In program="C:\Program Files (x86)\Tencent\WeChat\WeChat.exe" Action=Allow`},
			line:  "netsh advfirewall firewall show rule name=test", golden: "adv_show_test"},
		{name: "show rule two blockFirefox", cfg: Config{Version: Win2022},
			setup: []string{
				`netsh advfirewall firewall add rule dir=out action=block program="D:\Program Files\Mozilla Firefox\firefox.exe" name="blockFirefox" description="createByNetsh"  enable=yes`,
				`netsh advfirewall firewall add rule dir=out action=block program="D:\Program Files\Mozilla Firefox\firefox.exe" name="blockFirefox" description="createByNetsh"  enable=yes`,
				`netsh advfirewall firewall set rule name="blockFirefox" new enable=no`},
			line: `netsh advfirewall firewall show rule name="blockFirefox"`, golden: "adv_show_blockfirefox"},
		{name: "set rule two", cfg: Config{Version: Win2022},
			setup: []string{
				`netsh advfirewall firewall add rule dir=out action=block program="D:\Program Files\Mozilla Firefox\firefox.exe" name="blockFirefox" description="createByNetsh"  enable=yes`,
				`netsh advfirewall firewall add rule dir=out action=block program="D:\Program Files\Mozilla Firefox\firefox.exe" name="blockFirefox" description="createByNetsh"  enable=yes`},
			line: `netsh advfirewall firewall set rule name="blockFirefox" new enable=no`, golden: "adv_set_two"},
		{name: "no match", cfg: Config{Version: Win2016}, line: `netsh advfirewall firewall show rule name="RPC (TCP/135)"`, golden: "adv_no_match", rc: 1},
		{name: "delete no match", cfg: Config{Version: Win2016}, line: `netsh advfirewall firewall delete rule name=nothing`, golden: "adv_no_match", rc: 1},
		{name: "set no match", cfg: Config{Version: Win2016}, line: `netsh advfirewall firewall set rule name=nothing new enable=no`, golden: "adv_no_match", rc: 1},
		{name: "delete rule", cfg: Config{Version: Win2016},
			setup: []string{`netsh advfirewall firewall add rule name="port_forward_ssh_2222" protocol=TCP dir=in localip=192.168.50.64 localport=2222 action=allow`},
			line:  `netsh advfirewall firewall delete rule name="port_forward_ssh_2222"`, golden: "adv_delete_one"},
		{name: "set rule one", cfg: Config{Version: Win2019, Rules: []Rule{{Name: "Remote Desktop - Shadow (TCP-In)", Protocol: "TCP", LocalPort: "", Enabled: false}}},
			line: `netsh.exe advfirewall firewall set rule name="Remote Desktop - Shadow (TCP-In)" new enable=yes`, golden: "adv_set_one"},
		{name: "show rule usage", cfg: Config{Version: Win2016}, line: `netsh advfirewall firewall show rule name=allow browser`, golden: "adv_show_usage", rc: 1},
		{name: "show rule without name", cfg: Config{Version: Win2016}, line: `netsh advfirewall firewall show rule`, golden: "adv_show_usage", rc: 1},
		{name: "add rule usage header", cfg: Config{Version: Win2016}, line: `netsh advfirewall firewall add rule name=x dir=in action=block1`,
			golden: "adv_add_usage_header.prefix", prefix: true, pre: "\r\nA specified value is not valid.\r\n\r\n", rc: 1},
		{name: "advfirewall help", cfg: Config{Version: Win2012R2}, line: `netsh advfirewall`, golden: "adv_help"},
		{name: "not elevated", cfg: Config{Version: Win2019, Faults: Faults{NotElevated: true}},
			line: `netsh advfirewall firewall add rule name="RPC (TCP/135)" dir=in action=allow protocol=TCP localport=135 remoteip=localsubnet profile=any`, golden: "adv_not_elevated", rc: 1},
		{name: "firewall stopped", cfg: Config{Version: Win2012R2, Faults: Faults{FirewallStopped: true}},
			line: `netsh advfirewall firewall show rule name=all`, golden: "firewall_stopped", rc: 1},
		{name: "firewall stopped legacy", cfg: Config{Version: Win2012R2, Faults: Faults{FirewallStopped: true}},
			line: `netsh firewall show portopening`, golden: "firewall_stopped", rc: 1},
		{name: "sc query running", cfg: Config{Version: Win2019, Services: []Service{{Name: "pythonIpMailService", DisplayName: "pythonIpMailService", BinaryPath: `C:\Python\python.exe`}}},
			line: `sc.exe query pythonIpMailService`, golden: "sc_query_python"},
		{name: "sc query MsDtsServer100", cfg: Config{Version: Win2008R2, SSIS: []SSIS{{Version: 100}}}, line: `sc query MsDtsServer100`, golden: "sc_query_msdtsserver100"},
		{name: "sc query missing", cfg: Config{Version: Win2016}, line: `sc query MsDtsServer130`, golden: "sc_query_missing", rc: 1060},
		{name: "reg add", cfg: Config{Version: Win2016}, line: `reg add "HKCU\Software\Microsoft\Command Processor" /v Autorun /d "doskey /macrofile=\"c:\bat\macros.doskey\"" /f`, golden: "reg_add_ok"},
		{name: "reg query one value", cfg: Config{Version: Win2016},
			setup: []string{`reg add "HKCU\Software\Microsoft\Command Processor" /v Autorun /d "doskey /macrofile=\"c:\bat\macros.doskey\"" /f`},
			line:  `reg query "HKCU\Software\Microsoft\Command Processor" /v Autorun`, golden: "reg_query_autorun"},
		{name: "reg query key excerpt", cfg: Config{Version: Win2008R2, Registry: []RegValue{
			{Key: `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon`, Name: "ReportBootOk", Type: "REG_SZ", Data: []string{"1"}},
			{Key: `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon`, Name: "Shell", Type: "REG_SZ", Data: []string{"explorer.exe"}},
			{Key: `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon`, Name: "AutoRestartShell", Type: "REG_DWORD", Data: []string{"1"}},
			{Key: `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon`, Name: "Userinit", Type: "REG_SZ", Data: []string{`C:\Windows\system32\userinit.exe,`}},
		}}, line: `reg query "HKLM\SOFTWARE\Microsoft\Windows NT\Currentversion\Winlogon"`, golden: "reg_query_winlogon.prefix", prefix: true},
		{name: "reg add rpc ports", cfg: Config{Version: Win2016}, line: `reg add "HKLM\SOFTWARE\Microsoft\Rpc\Internet" /v Ports /t REG_MULTI_SZ /d "5000-6000" /f`, golden: "reg_add_ok"},
		{name: "reg query rpc", cfg: Config{Version: Win2016}, setup: []string{
			`reg add "HKLM\SOFTWARE\Microsoft\Rpc\Internet" /v Ports /t REG_MULTI_SZ /d "5000-6000" /f`,
			`reg add "HKLM\SOFTWARE\Microsoft\Rpc\Internet" /v PortsInternetAvailable /t REG_SZ /d Y /f`,
			`reg add "HKLM\SOFTWARE\Microsoft\Rpc\Internet" /v UseInternetPorts /t REG_SZ /d Y /f`,
		}, line: `reg query "HKLM\SOFTWARE\Microsoft\Rpc\Internet"`, golden: "reg_query_rpc_internet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := MustNew(tt.cfg)
			mustRun(t, h, tt.setup...)
			stdout, stderr, rc := run(t, h, tt.line)
			want, err := os.ReadFile(filepath.Join("testdata", tt.golden+".golden"))
			if err != nil {
				t.Fatal(err)
			}
			got, other := stdout, stderr
			if tt.stderr {
				got, other = stderr, stdout
			}
			w := tt.pre + string(want)
			if tt.prefix {
				if !strings.HasPrefix(got, w) {
					t.Errorf("%s: output does not start with the golden\n got %q\nwant %q", tt.line, got, w)
				}
			} else if got != w {
				t.Errorf("%s:\n got %q\nwant %q", tt.line, got, w)
			}
			if other != "" {
				t.Errorf("%s: unexpected other stream %q", tt.line, other)
			}
			if rc != tt.rc {
				t.Errorf("%s: exit code %d, want %d", tt.line, rc, tt.rc)
			}
		})
	}
}
