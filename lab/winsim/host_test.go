package winsim

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/winfleet/winfleet/remote/winrmtest"
)

// Host must satisfy the server's Handler contract.
var _ winrmtest.Handler = (*Host)(nil)

func TestScQc(t *testing.T) {
	h := MustNew(Config{Version: Win2016, SSIS: []SSIS{{Version: 130}, {Version: 110, Root: `D:\Program Files\Microsoft SQL Server`, Stopped: true}}})
	out, _, rc := run(t, h, "sc qc MsDtsServer130")
	want := "[SC] QueryServiceConfig SUCCESS\r\n\r\n" +
		"SERVICE_NAME: MsDtsServer130\r\n" +
		"        TYPE               : 10  WIN32_OWN_PROCESS\r\n" +
		"        START_TYPE         : 2   AUTO_START\r\n" +
		"        ERROR_CONTROL      : 1   NORMAL\r\n" +
		"        BINARY_PATH_NAME   : \"C:\\Program Files\\Microsoft SQL Server\\130\\DTS\\Binn\\MsDtsSrvr.exe\"\r\n" +
		"        LOAD_ORDER_GROUP   : \r\n" +
		"        TAG                : 0\r\n" +
		"        DISPLAY_NAME       : SQL Server Integration Services 13.0\r\n" +
		"        DEPENDENCIES       : \r\n" +
		"        SERVICE_START_NAME : NT Service\\MsDtsServer130\r\n\r\n"
	if out != want || rc != 0 {
		t.Errorf("sc qc:\n got %q %d\nwant %q", out, rc, want)
	}
	out, _, rc = run(t, h, "sc qc MsDtsServer110")
	if rc != 0 || !strings.Contains(out, `BINARY_PATH_NAME   : "D:\Program Files\Microsoft SQL Server\110\DTS\Binn\MsDtsSrvr.exe"`) {
		t.Errorf("sc qc D: install: %q", out)
	}
	out, _, rc = run(t, h, "sc qc MsDtsServer")
	if rc != 1060 || out != "[SC] OpenService FAILED 1060:\r\n\r\nThe specified service does not exist as an installed service.\r\n\r\n" {
		t.Errorf("sc qc missing: %q %d", out, rc)
	}
	out, _, _ = run(t, h, "sc query MsDtsServer110")
	if !strings.Contains(out, "STATE              : 1  STOPPED\r\n                                (NOT_STOPPABLE, NOT_PAUSABLE, IGNORES_SHUTDOWN)\r\n") {
		t.Errorf("stopped service: %q", out)
	}
	out, _, rc = run(t, h, "sc query type= service state= all")
	if rc != 0 || !strings.Contains(out, "\r\nSERVICE_NAME: MsDtsServer110\r\nDISPLAY_NAME: SQL Server Integration Services 11.0\r\n") ||
		!strings.Contains(out, "SERVICE_NAME: MsDtsServer130\r\nDISPLAY_NAME: SQL Server Integration Services 13.0\r\n") {
		t.Errorf("enumeration: %q", out)
	}
	out, _, _ = run(t, h, "sc query type= service")
	if strings.Contains(out, "MsDtsServer110") || !strings.Contains(out, "MsDtsServer130") {
		t.Errorf("enumeration without state= all must list active services only: %q", out)
	}
	ns := MustNew(Config{Version: Win2016, Services: []Service{{Name: "Never", DisplayName: "Never", State: "STOPPED", NeverStarted: true}}})
	out, _, _ = run(t, ns, "sc query Never")
	if !strings.Contains(out, "STATE              : 1  STOPPED\r\n") || !strings.Contains(out, "WIN32_EXIT_CODE    : 1077  (0x435)\r\n") {
		t.Errorf("never-started service: %q", out)
	}
	h90 := MustNew(Config{Version: Win2003, SSIS: []SSIS{{Version: 90}}})
	out, _, _ = run(t, h90, "sc qc MsDtsServer")
	if !strings.Contains(out, "DISPLAY_NAME       : SQL Server Integration Services\r\n") || !strings.Contains(out, `SERVICE_START_NAME : NT AUTHORITY\NetworkService`) {
		t.Errorf("2005 service: %q", out)
	}
	tb := MustNew(Config{Version: Win2019, ScTrailingBlanks: true, SSIS: []SSIS{{Version: 150}}})
	out, _, _ = run(t, tb, "sc query MsDtsServer150")
	if !strings.Contains(out, "WIN32_OWN_PROCESS  \r\n") || !strings.Contains(out, "RUNNING \r\n") {
		t.Errorf("trailing blanks variant: %q", out)
	}
}

func TestLegacyVerboseAndLayouts(t *testing.T) {
	h := MustNew(Config{Domain: "LAB", Version: Win2012R2, SSIS: []SSIS{{Version: 110}}})
	mustRun(t, h, seedPort,
		`netsh firewall add allowedprogram program="%ProgramFiles%\Microsoft SQL Server\110\DTS\Binn\MsDtsSrvr.exe" name="SSIS Service" scope=CUSTOM addresses=10.0.0.0/255.0.0.0,192.168.1.5`,
		`netsh firewall add portopening UDP 500 IKE DISABLE`)
	out, _, _ := run(t, h, "netsh firewall show portopening verbose=ENABLE")
	for _, want := range []string{
		"135    TCP       Enable  Inbound               RPC (TCP/135)\r\n       Scope: LocalSubnet\r\n",
		"500    UDP       Disable Inbound               IKE\r\n       Scope: *\r\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("show portopening verbose lacks %q:\n%s", want, out)
		}
	}
	out, _, _ = run(t, h, "netsh firewall show allowedprogram verbose = enable")
	if want := "Enable   Inbound              SSIS Service / C:\\Program Files\\Microsoft SQL Server\\110\\DTS\\Binn\\MsDtsSrvr.exe\r\n         Scope: 10.0.0.0/8,192.168.1.5/32\r\n"; !strings.Contains(out, want) {
		t.Errorf("show allowedprogram verbose lacks %q:\n%s", want, out)
	}
	out, _, _ = run(t, h, "netsh firewall show portopening")
	if strings.Contains(out, "Scope:") {
		t.Errorf("scope without verbose: %s", out)
	}

	old := MustNew(Config{Domain: "LAB", Version: Win2003, SSIS: []SSIS{{Version: 90}}})
	mustRun(t, old, seedPort, `netsh firewall add allowedprogram "%ProgramFiles%\Microsoft SQL Server\90\DTS\Binn\MsDtsSrvr.exe" "SSIS Service" ENABLE SUBNET`)
	out, _, _ = run(t, old, "netsh firewall show portopening verbose=ENABLE")
	want := "\r\nPort configuration for Domain profile:\r\nPort   Protocol  Mode     Name\r\n" + dashes67 + "\r\n" +
		"135    TCP       Enable   RPC (TCP/135)\r\n       Scope: LocalSubnet\r\n\r\n" +
		"Port configuration for Standard profile:\r\nPort   Protocol  Mode     Name\r\n" + dashes67 + "\r\n\r\n"
	if out != want {
		t.Errorf("2003 show portopening:\n got %q\nwant %q", out, want)
	}
	out, _, _ = run(t, old, "netsh firewall show allowedprogram")
	if !strings.Contains(out, "Mode     Name / Program\r\n"+dashes67+"\r\nEnable   SSIS Service / C:\\Program Files\\Microsoft SQL Server\\90\\DTS\\Binn\\MsDtsSrvr.exe\r\n") {
		t.Errorf("2003 show allowedprogram: %q", out)
	}
}

func TestOneRuleTable(t *testing.T) {
	h := MustNew(Config{Domain: "LAB", Version: Win2016, SSIS: []SSIS{{Version: 130}}})
	mustRun(t, h,
		`netsh advfirewall firewall add rule name="RPC (TCP/135)" dir=in action=allow protocol=TCP localport=135 remoteip=localsubnet profile=any`,
		`netsh advfirewall firewall add rule name="SSIS Service" dir=in action=allow program="C:\Program Files\Microsoft SQL Server\130\DTS\Binn\MsDtsSrvr.exe" enable=yes profile=domain`,
		`netsh advfirewall firewall add rule name="Block 135" dir=in action=block protocol=TCP localport=135`,
		`netsh advfirewall firewall add rule name="Range" dir=in action=allow protocol=TCP localport=5000-6000`)
	out, _, _ := run(t, h, "netsh firewall show portopening")
	if strings.Count(out, "RPC (TCP/135)") != 2 || strings.Contains(out, "Block 135") || strings.Contains(out, "Range") {
		t.Errorf("legacy view of advfirewall rules (RPC in both sections, no block/range rows):\n%s", out)
	}
	out, _, _ = run(t, h, "netsh firewall show allowedprogram")
	if strings.Count(out, "SSIS Service") != 1 {
		t.Errorf("program rule only in Domain:\n%s", out)
	}
	// Legacy add updates the matching rule in place instead of adding one.
	mustRun(t, h, `netsh firewall add portopening protocol=TCP port=135 name="RPC (TCP/135)" mode=ENABLE scope=ALL`)
	out, _, _ = run(t, h, `netsh advfirewall firewall show rule name="rpc (tcp/135)"`)
	if strings.Count(out, "Rule Name:") != 1 || !strings.Contains(out, "RemoteIP:                             Any\r\n") {
		t.Errorf("legacy add over advfirewall rule:\n%s", out)
	}
	// Legacy delete removes the current profile only.
	mustRun(t, h, `netsh firewall delete portopening TCP 135`)
	out, _, _ = run(t, h, `netsh advfirewall firewall show rule name="RPC (TCP/135)"`)
	if !strings.Contains(out, "Profiles:                             Private,Public\r\n") {
		t.Errorf("after legacy delete (current=Domain):\n%s", out)
	}
	if _, _, rc := run(t, h, `netsh firewall delete portopening TCP 4444`); rc != 1 {
		t.Errorf("legacy delete of a missing port: exit %d, want 1", rc)
	}
	// advfirewall delete by name deletes all duplicates and reports the count.
	mustRun(t, h, `netsh advfirewall firewall add rule name="Dup" dir=in action=allow protocol=UDP localport=1`,
		`netsh advfirewall firewall add rule name="dup" dir=out action=allow`)
	out, _, _ = run(t, h, `netsh advfirewall firewall delete rule name=DUP dir=in`)
	if out != "\r\nDeleted 1 rule(s).\r\nOk.\r\n\r\n" {
		t.Errorf("delete with dir filter: %q", out)
	}
	out, _, _ = run(t, h, `netsh advfirewall firewall delete rule name=all protocol=tcp localport=135`)
	if out != "\r\nDeleted 2 rule(s).\r\nOk.\r\n\r\n" {
		t.Errorf("delete name=all by port: %q", out)
	}
}

func TestAdvfirewallValuesAndErrors(t *testing.T) {
	h := MustNew(Config{Version: Win2019})
	mustRun(t, h, `netsh advfirewall firewall add rule name=addr dir=in action=allow remoteip=10.1.2.3,192.168.0.0/255.255.0.0,localsubnet,10.10.1.2-10.10.2.22,fe80::1,2001:db8::/32 localip=172.16.0.0/12 protocol=tcp localport=80,443,5000-5100 remoteport=any`,
		`netsh advfirewall firewall add rule name=icmp dir=in action=allow protocol=icmpv4:8,any`)
	out, _, _ := run(t, h, "netsh advfirewall firewall show rule name=addr verbose")
	for _, want := range []string{
		"RemoteIP:                             LocalSubnet,10.1.2.3/32,192.168.0.0/16,10.10.1.2-10.10.2.22,fe80::1-fe80::1,2001:db8::/32\r\n",
		"LocalIP:                              172.16.0.0/12\r\n",
		"LocalPort:                            80,443,5000-5100\r\n",
		"RemotePort:                           Any\r\n",
		"InterfaceTypes:                       Any\r\nSecurity:                             NotRequired\r\nRule source:                          Local Setting\r\nAction:                               Allow\r\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("show rule verbose lacks %q:\n%s", want, out)
		}
	}
	out, _, _ = run(t, h, "netsh advfirewall firewall show rule name=icmp")
	if !strings.Contains(out, "Protocol:                             ICMPv4\r\n"+strings.Repeat(" ", 38)+"Type    Code\r\n"+strings.Repeat(" ", 38)+"8       Any\r\nEdge traversal:") {
		t.Errorf("icmp block: %q", out)
	}
	errs := []struct{ line, first string }{
		{`netsh advfirewall firewall add rule name=x dir=in action=allow localport=80`, msgPortsNeedTCP},
		{`netsh advfirewall firewall add rule name=x dir=in action=allow protocol=tcp localport=333221`, msgBadPort},
		{`netsh advfirewall firewall add rule name=x dir=in action=allow protocol=TCPs`, msgBadProtocol},
		{`netsh advfirewall firewall add rule name=x dir=in`, msgEssential},
		{`netsh advfirewall firewall add rule name=x dir=in action=allow profile=current`, msgBadValue},
		{`netsh advfirewall firewall add rule name=x dir=in action=allow remoteip=10.1.2`, msgBadValue},
		{`netsh advfirewall firewall set rule name=x enable=no`, msgNumArgs},
	}
	for _, e := range errs {
		out, _, rc := run(t, h, e.line)
		if rc != 1 || !strings.HasPrefix(out, "\r\n"+e.first+"\r\n\r\nUsage: ") {
			t.Errorf("%s: %q %d, want %q + usage", e.line, out, rc, e.first)
		}
	}
	if n := len(h.Rules()); n != 2 {
		t.Errorf("failed adds changed the table: %d rules", n)
	}
}

func TestFaults(t *testing.T) {
	ne := MustNew(Config{Version: Win2016, SSIS: []SSIS{{Version: 130}}, Faults: Faults{NotElevated: true}})
	if _, e, rc := run(t, ne, "net session"); rc != 2 || e != "System error 5 has occurred.\r\n\r\nAccess is denied.\r\n\r\n" {
		t.Errorf("net session not elevated: %q %d", e, rc)
	}
	if o, _, rc := run(t, ne, seedPort); rc != 1 || o != "The requested operation requires elevation (Run as administrator).\r\n\r\n" {
		t.Errorf("legacy add not elevated: %q %d", o, rc)
	}
	if _, _, rc := run(t, ne, "netsh firewall show portopening"); rc != 0 {
		t.Errorf("show must work without elevation")
	}
	if _, e, rc := run(t, ne, `reg add HKLM\SOFTWARE\Microsoft\Rpc\Internet /v Ports /t REG_MULTI_SZ /d 5000-6000 /f`); rc != 1 || e != "ERROR: Access is denied.\r\n" {
		t.Errorf("reg add not elevated: %q %d", e, rc)
	}
	if len(ne.Rules()) != 0 || ne.Writes() != 0 {
		t.Errorf("not elevated host changed state")
	}

	st := MustNew(Config{Version: Win2019, Faults: Faults{FirewallStopped: true}})
	if o, _, _ := run(t, st, "sc query MpsSvc"); !strings.Contains(o, "STOPPED") {
		t.Errorf("MpsSvc should be stopped: %q", o)
	}

	de := MustNew(Config{Version: Win2019, Faults: Faults{Language: "de-DE", OEMCodePage: 850}})
	mustRun(t, de, `netsh advfirewall firewall add rule name="RPC (TCP/135)" dir=in action=allow protocol=TCP localport=135 remoteip=localsubnet profile=any`)
	o, _, _ := run(t, de, `netsh advfirewall firewall show rule name="RPC (TCP/135)"`)
	want := "\r\nRegelname:                            RPC (TCP/135)\r\n" + dashes70 + "\r\n" +
		"Aktiviert:                            Ja\r\n" +
		"Richtung:                             Eingehend\r\n" +
		"Profile:                              Dom\x84ne,Privat,\x99ffentlich\r\n" +
		"Gruppierung:                          \r\n" +
		"Lokale IP:                            Beliebig\r\n" +
		"Remote-IP:                            LocalSubnet\r\n" +
		"Protokoll:                            TCP\r\n" +
		"Lokaler Port:                         135\r\n" +
		"Remoteport:                           Beliebig\r\n" +
		"Edgeausnahme:                         Nein\r\n" +
		"Aktion:                               Zulassen\r\n" +
		"OK.\r\n\r\n"
	if o != want {
		t.Errorf("German CP850 show rule:\n got %q\nwant %q", o, want)
	}
	if o, _, rc := run(t, de, `netsh advfirewall firewall delete rule name=nothing`); rc != 1 || o != "\r\nEs wurden keine Regeln gefunden, die den angegebenen Kriterien entsprechen.\r\n\r\n" {
		t.Errorf("German no match: %q", o)
	}
	if o, _, _ := run(t, de, `netsh advfirewall firewall delete rule name=all`); o != "\r\n1 Regel(n) gel\x94scht.\r\nOK.\r\n\r\n" {
		t.Errorf("German delete (CP850 ö): %q", o)
	}

	canned := MustNew(Config{Version: Win2016, Faults: Faults{Canned: []Canned{
		{Match: `(?i)^netsh advfirewall firewall show rule name="?RPC`, Stdout: "captured\r\n", Stderr: "warn\r\n", Exit: 3},
	}}})
	if o, e, rc := run(t, canned, `netsh advfirewall firewall show rule name="RPC (TCP/135)"`); o != "captured\r\n" || e != "warn\r\n" || rc != 3 {
		t.Errorf("canned whole line: %q %q %d", o, e, rc)
	}
	if o, _, rc := run(t, canned, `cmd /v:on /c "ver >nul & netsh advfirewall firewall show rule name=RPC & echo !ERRORLEVEL!"`); o != "captured\r\n3\r\n" || rc != 3 {
		t.Errorf("canned simple command inside a batch: %q %d", o, rc)
	}
	if _, err := New(Config{Version: Win2016, Faults: Faults{Canned: []Canned{{Match: "("}}}}); err == nil {
		t.Error("bad canned regexp accepted")
	}
}

func TestRegistry(t *testing.T) {
	h := MustNew(Config{Version: Win2016})
	if _, e, rc := run(t, h, `reg query HKLM\SOFTWARE\Microsoft\Rpc\Internet`); rc != 1 || e != msgRegMissing {
		t.Errorf("missing key: %q %d", e, rc)
	}
	mustRun(t, h, `reg add HKLM\SOFTWARE\Microsoft\Rpc\Internet /v Ports /t REG_MULTI_SZ /d "5000-5100\05984" /f`,
		`reg add HKLM\SOFTWARE\Microsoft\Rpc\Internet /v Flag /t REG_DWORD /d 1 /f`)
	o, _, _ := run(t, h, `reg query HKLM\SOFTWARE\Microsoft\Rpc\Internet /v Ports`)
	if o != "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Rpc\\Internet\r\n    Ports    REG_MULTI_SZ    5000-5100\\05984\r\n\r\n" {
		t.Errorf("multi sz: %q", o)
	}
	if v, ok := h.RegistryValue(`HKEY_LOCAL_MACHINE\Software\Microsoft\RPC\Internet`, "ports"); !ok || len(v.Data) != 2 {
		t.Errorf("RegistryValue = %+v %v", v, ok)
	}
	o, _, _ = run(t, h, `reg query HKLM\SOFTWARE\Microsoft\Rpc\Internet /v Flag`)
	if !strings.Contains(o, "    Flag    REG_DWORD    0x1\r\n") {
		t.Errorf("dword: %q", o)
	}
	if o, _, rc := run(t, h, `reg delete HKLM\SOFTWARE\Microsoft\Rpc\Internet /v Flag /f`); rc != 0 || o != msgRegOK {
		t.Errorf("reg delete: %q %d", o, rc)
	}
	if _, _, rc := run(t, h, `reg delete HKLM\SOFTWARE\Microsoft\Rpc\Internet /v Flag /f`); rc != 1 {
		t.Errorf("reg delete missing value: %d", rc)
	}
	// Without /f reg asks; with no answer on stdin it does nothing.
	if o, _, _ := run(t, h, `reg delete HKLM\SOFTWARE\Microsoft\Rpc\Internet /f`); o != msgRegOK {
		t.Errorf("reg delete key: %q", o)
	}
	if _, _, rc := run(t, h, `reg query HKLM\SOFTWARE\Microsoft\Rpc\Internet`); rc != 1 {
		t.Error("key still there")
	}
	xp := MustNew(Config{Version: Win2003, Registry: []RegValue{{Key: `HKLM\SOFTWARE\Microsoft\Rpc\Internet`, Name: "Ports", Type: "REG_MULTI_SZ", Data: []string{"5000-6000"}}}})
	if o, _, _ := run(t, xp, `reg query HKLM\SOFTWARE\Microsoft\Rpc\Internet`); o != "\r\n! REG.EXE VERSION 3.0\r\n\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Rpc\\Internet\r\n    Ports\tREG_MULTI_SZ\t5000-6000\\0\\0\r\n\r\n" {
		t.Errorf("2003 reg query: %q", o)
	}
}

// TestConcurrentShells runs many shells against one host at once; with
// -race this proves the state is guarded, and the final table proves
// every change landed atomically.
func TestConcurrentShells(t *testing.T) {
	h := MustNew(Config{Version: Win2022, SSIS: []SSIS{{Version: 160}}})
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var o, e bytes.Buffer
			cmd := &winrmtest.Command{Line: fmt.Sprintf(`netsh advfirewall firewall add rule name="r%d" dir=in action=allow protocol=TCP localport=%d`, i, 1000+i),
				Stdin: strings.NewReader(""), Stdout: &o, Stderr: &e}
			if rc := h.Run(context.Background(), cmd); rc != 0 {
				t.Errorf("add %d: %d %q", i, rc, o.String())
			}
			h.Exec(context.Background(), "netsh advfirewall firewall show rule name=all", &bytes.Buffer{}, &bytes.Buffer{})
		}()
	}
	wg.Wait()
	if n := len(h.Rules()); n != 40 {
		t.Errorf("%d rules, want 40", n)
	}
	if n := len(h.Commands()); n != 80 {
		t.Errorf("%d command lines logged, want 80", n)
	}
	if n := h.Writes(); n != 40 {
		t.Errorf("%d writes, want 40", n)
	}
}

func TestBuiltinRules(t *testing.T) {
	h := MustNew(Config{Version: Win2019, BuiltinRules: true, SSIS: []SSIS{{Version: 150}}})
	out, _, rc := run(t, h, `netsh advfirewall firewall show rule name="Windows Remote Management (HTTP-In)" verbose`)
	if rc != 0 || strings.Count(out, "Rule Name:") != 2 || !strings.Contains(out, "Grouping:                             Windows Remote Management\r\n") ||
		!strings.Contains(out, "Description:                          Inbound rule for Windows Remote Management via WS-Management. [TCP 5985]\r\n") {
		t.Errorf("built-in WinRM rules: %q", out)
	}
	out, _, _ = run(t, h, "netsh firewall show portopening")
	if strings.Contains(out, "Windows Remote Management") || strings.Contains(out, "COM+") {
		t.Errorf("grouped built-in rules must not be legacy port openings: %s", out)
	}
	out, _, _ = run(t, h, "netsh advfirewall firewall show rule name=all dir=in")
	if strings.Count(out, "Rule Name:") != 8 {
		t.Errorf("%d inbound built-in rules, want 8", strings.Count(out, "Rule Name:"))
	}
	if rules := MustNew(Config{Version: Win2003, BuiltinRules: true}).Rules(); len(rules) != 0 {
		t.Errorf("2003 has built-in advfirewall rules: %d", len(rules))
	}
}

// TestShellCodePage: without an OEM fault the output follows the client's
// WINRS_CODEPAGE (pywinrm asks for 437, masterzen for 65001); chcp changes it.
func TestShellCodePage(t *testing.T) {
	h := MustNew(Config{Version: Win2019, Rules: []Rule{{Name: "Zugriff ø", Enabled: true}}})
	show := `netsh advfirewall firewall show rule name=all`
	for _, tt := range []struct{ cp, line, want string }{
		{"65001", show, "Zugriff \xc3\xb8\r\n"},
		{"", show, "Zugriff \xc3\xb8\r\n"},
		{"850", show, "Zugriff \x9b\r\n"},
		{"437", show, "Zugriff ?\r\n"},
		{"437", "chcp 850 >nul & " + show, "Zugriff \x9b\r\n"},
		{"437", "chcp", "Active code page: 437\r\n"},
	} {
		var o bytes.Buffer
		h.Run(context.Background(), &winrmtest.Command{Shell: winrmtest.ShellInfo{Codepage: tt.cp}, Line: tt.line, Stdin: strings.NewReader(""), Stdout: &o, Stderr: &bytes.Buffer{}})
		if !strings.Contains(o.String(), tt.want) {
			t.Errorf("codepage %q, %s: %q lacks %q", tt.cp, tt.line, o.String(), tt.want)
		}
	}
}

func TestScStartStop(t *testing.T) {
	h := MustNew(Config{Version: Win2016, SSIS: []SSIS{{Version: 130, Stopped: true}}, Faults: Faults{FirewallStopped: true}})
	out, _, rc := run(t, h, "sc start MsDtsServer130")
	if rc != 0 || !strings.Contains(out, "STATE              : 2  START_PENDING\r\n") {
		t.Errorf("sc start: %q %d", out, rc)
	}
	if out, _, _ := run(t, h, "sc query MsDtsServer130"); !strings.Contains(out, "4  RUNNING") {
		t.Errorf("after start: %q", out)
	}
	if out, _, rc := run(t, h, "sc start MsDtsServer130"); rc != 1056 || out != "[SC] StartService FAILED 1056:\r\n\r\nAn instance of the service is already running.\r\n\r\n" {
		t.Errorf("second start: %q %d", out, rc)
	}
	if _, _, rc := run(t, h, "sc stop MsDtsServer130"); rc != 0 {
		t.Errorf("sc stop: %d", rc)
	}
	if _, _, rc := run(t, h, "sc stop MsDtsServer130"); rc != 1062 {
		t.Errorf("second stop: %d", rc)
	}
	if _, _, rc := run(t, h, "sc start MpsSvc"); rc != 1058 {
		t.Errorf("start of the disabled firewall service: %d, want 1058", rc)
	}
	if h.Writes() != 2 {
		t.Errorf("Writes() = %d, want 2", h.Writes())
	}
}

func TestLogLimit(t *testing.T) {
	h := MustNew(Config{Version: Win2019, LogLimit: 10})
	for i := 0; i < 100; i++ {
		run(t, h, fmt.Sprintf(`netsh advfirewall firewall add rule name=r%d dir=in action=allow`, i))
	}
	if c := h.Commands(); len(c) < 10 || len(c) > 13 || c[len(c)-1] != `netsh advfirewall firewall add rule name=r99 dir=in action=allow` {
		t.Errorf("Commands() kept %d lines, last %q", len(c), c[len(c)-1])
	}
	if h.Writes() != 100 {
		t.Errorf("Writes() = %d, want 100", h.Writes())
	}
	h.ResetLog()
	if len(h.Commands()) != 0 || len(h.Log()) != 0 || h.Writes() != 0 {
		t.Error("ResetLog left entries")
	}
}

func TestLegacyPublicProfile(t *testing.T) {
	h := MustNew(Config{Version: Win2012R2, CurrentProfile: Public})
	mustRun(t, h, seedPort)
	out, _, _ := run(t, h, "netsh firewall show portopening")
	if !strings.Contains(out, "Port configuration for Standard profile:\r\nPort   Protocol  Mode    Traffic direction     Name\r\n"+dashes67+"\r\n135    TCP") {
		t.Errorf("a CURRENT=public port opening must show in the Standard section: %q", out)
	}
	if r := h.Rules(); len(r) != 1 || r[0].Profiles != Public {
		t.Errorf("rules %+v", r)
	}
}

func TestFirewallState(t *testing.T) {
	h := MustNew(Config{Domain: "LAB", Version: Win2016, FirewallOff: Public})
	out, _, rc := run(t, h, "netsh advfirewall show allprofiles state")
	want := "\r\nDomain Profile Settings: \r\n" + dashes70 + "\r\nState                                 ON\r\n" +
		"\r\nPrivate Profile Settings: \r\n" + dashes70 + "\r\nState                                 ON\r\n" +
		"\r\nPublic Profile Settings: \r\n" + dashes70 + "\r\nState                                 OFF\r\n\r\nOk.\r\n\r\n"
	if rc != 0 || out != want {
		t.Errorf("show allprofiles state:\n got %q\nwant %q", out, want)
	}
	mustRun(t, h, "netsh advfirewall set currentprofile state off")
	if h.FirewallOff() != Domain|Public {
		t.Errorf("FirewallOff = %v", h.FirewallOff())
	}
	out, _, _ = run(t, h, "netsh firewall show state")
	if !strings.Contains(out, "Profile                           = Domain\r\nOperational mode                  = Disable\r\n") {
		t.Errorf("legacy show state after turning the domain profile off: %q", out)
	}
	mustRun(t, h, "netsh firewall set opmode ENABLE profile=ALL")
	if h.FirewallOff() != Public {
		t.Errorf("after legacy set opmode enable profile=ALL: %v", h.FirewallOff())
	}
	out, _, _ = run(t, h, "netsh advfirewall show currentprofile")
	if !strings.Contains(out, "State                                 ON\r\nFirewall Policy                       BlockInbound,AllowOutbound\r\n") {
		t.Errorf("show currentprofile: %q", out)
	}
	ne := MustNew(Config{Version: Win2016, Faults: Faults{NotElevated: true}})
	if _, _, rc := run(t, ne, "netsh advfirewall set allprofiles state off"); rc != 1 || ne.FirewallOff() != 0 {
		t.Error("not elevated host turned its firewall off")
	}
}
