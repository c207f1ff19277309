package winsim

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

func psEncode(script string) string {
	u := utf16.Encode([]rune(script))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		b[2*i], b[2*i+1] = byte(c), byte(c>>8)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func TestCmdLine(t *testing.T) {
	h := MustNew(Config{ComputerName: "SQL01", Domain: "LAB", Version: Win2016})
	tests := []struct {
		line           string
		stdout, stderr string
		rc             int
	}{
		{line: "echo hello", stdout: "hello\r\n"},
		{line: "echo", stdout: "ECHO is on.\r\n"},
		{line: "echo.", stdout: "\r\n"},
		{line: "echo a & echo b", stdout: "a \r\nb\r\n"},
		{line: `echo "a & b"`, stdout: "\"a & b\"\r\n"},
		{line: "echo a ^& b", stdout: "a & b\r\n"},
		{line: "echo %ProgramFiles%", stdout: "C:\\Program Files\r\n"},
		{line: "echo %ProgramFiles(x86)%;%SystemRoot%;%COMPUTERNAME%", stdout: "C:\\Program Files (x86);C:\\Windows;SQL01\r\n"},
		{line: "echo %NOPE%", stdout: "%NOPE%\r\n"},
		{line: "ver", stdout: "\r\nMicrosoft Windows [Version 10.0.14393]\r\n"},
		{line: "bogus arg", stderr: "'bogus' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", rc: 1},
		{line: "bogus & echo x", stdout: "x\r\n", stderr: "'bogus' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", rc: 9009},
		{line: "bogus || echo fallback", stdout: "fallback\r\n", stderr: "'bogus' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", rc: 9009},
		{line: "bogus && echo never", stderr: "'bogus' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", rc: 1},
		{line: "echo ok && echo also", stdout: "ok \r\nalso\r\n"},
		{line: "echo out 1>&2", stderr: "out \r\n"},
		{line: "echo out >&2", stderr: "out \r\n"},
		{line: "echo gone >nul", stdout: ""},
		{line: "bogus 2>nul", rc: 1},
		{line: "bogus 2>&1", stdout: "'bogus' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", rc: 1},
		{line: "sc query MsDtsServer130 >nul & echo %ERRORLEVEL%", stdout: "0\r\n", rc: 1060},
		{line: `cmd /c "sc query MsDtsServer130 >nul & echo !ERRORLEVEL!"`, stdout: "!ERRORLEVEL!\r\n", rc: 1060},
		{line: `cmd /v:on /c "sc query MsDtsServer130 >nul & echo !ERRORLEVEL!"`, stdout: "1060\r\n", rc: 1060},
		{line: `cmd /c exit /b 3`, rc: 3},
		{line: `cmd /c "exit 7"`, rc: 7},
		{line: `whoami`, stdout: "lab\\administrator\r\n"},
		{line: `hostname`, stdout: "SQL01\r\n"},
		{line: `C:\Windows\System32\whoami.exe`, stdout: "lab\\administrator\r\n"},
		{line: `"C:\Windows\System32\whoami.exe"`, stdout: "lab\\administrator\r\n"},
		{line: `net session`, stdout: "There are no entries in the list.\r\n\r\n"},
		{line: `set X=1 & echo %X%`, stdout: "%X%\r\n"},
		{line: `cmd /v:on /c "set X=1 & echo !X!"`, stdout: "1 \r\n"},
		{line: "& echo x", stderr: "& was unexpected at this time.\r\n", rc: 255},
		{line: `sc query type= service state= all | findstr /i MsDtsServer`, rc: 1},
		{line: `cmd /c ""C:\Windows\System32\whoami.exe""`, stdout: "lab\\administrator\r\n"},
	}
	for _, tt := range tests {
		stdout, stderr, rc := run(t, h, tt.line)
		if stdout != tt.stdout || stderr != tt.stderr || rc != tt.rc {
			t.Errorf("%s\n got (%q, %q, %d)\nwant (%q, %q, %d)", tt.line, stdout, stderr, rc, tt.stdout, tt.stderr, tt.rc)
		}
	}
}

// TestBatchForm checks the product's batch line: several commands in one
// cmd /v:on /c "...", each followed by a marker carrying its exit code on
// stdout and a marker on stderr.
func TestBatchForm(t *testing.T) {
	h := MustNew(Config{ComputerName: "SQL01", Domain: "LAB", Version: Win2019, SSIS: []SSIS{{Version: 130, Root: `D:\Program Files\Microsoft SQL Server`}}})
	cmds := []string{
		`ver`,
		`net session`,
		`sc qc MsDtsServer130`,
		`sc qc MsDtsServer150`,
		`netsh advfirewall firewall show rule name="RPC (TCP/135)" verbose`,
		`netsh advfirewall firewall add rule name="RPC (TCP/135)" dir=in action=allow protocol=TCP localport=135 remoteip=localsubnet profile=any`,
		`bogus`,
	}
	nonce := "a1b2c3"
	var parts []string
	for i, c := range cmds {
		parts = append(parts, c, fmt.Sprintf("echo ##WF %s %d !ERRORLEVEL!", nonce, i), fmt.Sprintf("echo ##WF %s %d 1>&2", nonce, i))
	}
	line := `cmd /v:on /c "` + strings.Join(parts, " & ") + `"`
	stdout, stderr, rc := run(t, h, line)
	if rc != 9009 {
		t.Errorf("exit code %d, want 9009 (ERRORLEVEL after an unknown command; echo does not reset it)", rc)
	}
	segs := strings.Split(stdout, "##WF "+nonce+" ")
	if len(segs) != len(cmds)+1 {
		t.Fatalf("stdout has %d markers, want %d:\n%s", len(segs)-1, len(cmds), stdout)
	}
	wantRC := []string{"0", "0", "0", "1060", "1", "0", "9009"}
	wantOut := []string{"\r\nMicrosoft Windows [Version 10.0.17763]\r\n", "There are no entries in the list.\r\n\r\n",
		"[SC] QueryServiceConfig SUCCESS", "[SC] OpenService FAILED 1060:", "\r\nNo rules match the specified criteria.\r\n\r\n", "Ok.\r\n\r\n", ""}
	for i := range cmds {
		out := segs[i]
		if i > 0 {
			// Strip "<i-1> <rc> \r\n" of the previous marker.
			_, out, _ = strings.Cut(out, "\r\n")
			head := strings.Fields(segs[i])
			if head[0] != fmt.Sprint(i-1) || head[1] != wantRC[i-1] {
				t.Errorf("marker %d: %q, want index %d rc %s", i-1, head[:2], i-1, wantRC[i-1])
			}
		}
		if !strings.HasPrefix(out, wantOut[i]) {
			t.Errorf("command %d (%s) output %q, want prefix %q", i, cmds[i], out, wantOut[i])
		}
	}
	if !strings.Contains(stdout, `BINARY_PATH_NAME   : "D:\Program Files\Microsoft SQL Server\130\DTS\Binn\MsDtsSrvr.exe"`) {
		t.Errorf("sc qc output lacks the D: binary path:\n%s", stdout)
	}
	errSegs := strings.Split(stderr, "##WF "+nonce+" ")
	if len(errSegs) != len(cmds)+1 || !strings.Contains(errSegs[6], "'bogus' is not recognized") {
		t.Errorf("stderr markers/segments wrong: %q", stderr)
	}
	if got := h.Writes(); got != 1 {
		t.Errorf("Writes() = %d, want 1 (the add rule)", got)
	}
}

func TestPowerShellEncodedCommand(t *testing.T) {
	h := MustNew(Config{Version: Win2016, SSIS: []SSIS{{Version: 130}}})
	tests := []struct {
		name, script string
		stdout       string
		rc           int
	}{
		{"masterzen RunPS prefix", "$ProgressPreference = 'SilentlyContinue';sc query MsDtsServer130 | findstr STATE", "        STATE              : 4  RUNNING\r\n", 0},
		{"no percent expansion", "echo %ProgramFiles%", "%ProgramFiles%\r\n", 0},
		{"ansible raw rc", "Set-StrictMode -Version Latest\r\nsc query Nope\r\nIf (-not $?) { If (Get-Variable LASTEXITCODE -ErrorAction SilentlyContinue) { exit $LASTEXITCODE } Else { exit 1 } }\r\n",
			"[SC] EnumQueryServicesStatus:OpenService FAILED 1060:\r\n\r\nThe specified service does not exist as an installed service.\r\n\r\n", 1060},
		{"plain failure is 1", "sc query Nope >nul", "", 1},
	}
	for _, tt := range tests {
		line := "PowerShell -NoProfile -NonInteractive -ExecutionPolicy Unrestricted -EncodedCommand " + psEncode(tt.script)
		stdout, _, rc := run(t, h, line)
		if stdout != tt.stdout || rc != tt.rc {
			t.Errorf("%s: got (%q, %d), want (%q, %d)", tt.name, stdout, rc, tt.stdout, tt.rc)
		}
	}
	// A literal %ProgramFiles% reaches netsh from PowerShell: the legacy
	// command refuses the missing program file.
	line := "powershell.exe -EncodedCommand " + psEncode(seedProgram)
	if _, _, rc := run(t, h, line); rc != 1 {
		t.Errorf("seed allowedprogram via PowerShell: exit %d, want 1 (unexpanded path does not exist)", rc)
	}
	if _, _, rc := run(t, MustNew(Config{Version: Win2003}), line); rc != 1 {
		t.Errorf("powershell on 2003 should not exist")
	}
}

func TestVersions(t *testing.T) {
	tests := []struct {
		v      Version
		build  string
		notice string // "" none, else the scheme
	}{
		{Win2003, "5.2.3790", ""}, {Win2008, "6.0.6002", ""}, {Win2008R2, "6.1.7601", "http"},
		{Win2012, "6.2.9200", "http"}, {Win2012R2, "6.3.9600", "http"}, {Win2016, "10.0.14393", "http"},
		{Win2019, "10.0.17763", "https"}, {Win2022, "10.0.20348", "https"}, {Win2025, "10.0.26100", "https"},
	}
	for _, tt := range tests {
		h := MustNew(Config{Version: tt.v, SSIS: []SSIS{{Version: 90}}})
		if out, _, _ := run(t, h, "ver"); out != "\r\nMicrosoft Windows [Version "+tt.build+"]\r\n" {
			t.Errorf("%v: ver = %q", tt.v, out)
		}
		out, _, rc := run(t, h, seedPort)
		if rc != 0 {
			t.Errorf("%v: seed exit %d: %q", tt.v, rc, out)
		}
		switch tt.notice {
		case "":
			if out != "Ok.\r\n\r\n" {
				t.Errorf("%v: %q, want Ok. without notice", tt.v, out)
			}
		default:
			if !strings.Contains(out, "at "+tt.notice+"://go.microsoft.com/fwlink/?linkid=121488 .\r\n") || !strings.HasSuffix(out, "\r\nOk.\r\n\r\n") {
				t.Errorf("%v: %q, want the %s notice", tt.v, out, tt.notice)
			}
		}
		out, _, rc = run(t, h, "netsh advfirewall firewall show rule name=all")
		if tt.v == Win2003 {
			if out != "The following command was not found: advfirewall firewall show rule name=all.\r\n" || rc != 1 {
				t.Errorf("2003 advfirewall: %q %d", out, rc)
			}
		} else if rc != 0 || !strings.Contains(out, "RemoteIP:                             LocalSubnet\r\n") {
			t.Errorf("%v: legacy portopening not visible in advfirewall: %q", tt.v, out)
		}
		if v, err := ParseVersion(tt.v.Key()); err != nil || v != tt.v {
			t.Errorf("ParseVersion(%q) = %v, %v", tt.v.Key(), v, err)
		}
	}
	if _, err := ParseVersion("Windows Server 2008 R2"); err != nil {
		t.Error(err)
	}
	if _, err := ParseVersion("2000"); err == nil {
		t.Error("ParseVersion(2000) succeeded")
	}
}

func TestContextCancelHang(t *testing.T) {
	h := MustNew(Config{Version: Win2016, Faults: Faults{Hang: true}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() { done <- h.Exec(ctx, "ver", nil, nil) }()
	cancel()
	select {
	case rc := <-done:
		if rc != 1 {
			t.Errorf("Exec on a hung host after cancel = %d, want 1", rc)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Exec on a hung host did not return after its ctx was cancelled")
	}
}

func TestAdvfirewall2008Variant(t *testing.T) {
	h := MustNew(Config{Version: Win2008})
	out, _, rc := run(t, h, `netsh advfirewall firewall add rule name=x dir=in action=allow protocol=tcp localport=iphttps`)
	if rc != 1 || !strings.HasPrefix(out, "\r\nA specified port value is not valid.\r\n\r\nUsage: add rule") ||
		!strings.Contains(out, "      [localport=0-65535|RPC|RPC-EPMap|any[,...] (default=any)]\r\n") ||
		!strings.Contains(out, "      [security=authenticate|authenc|notrequired (default=notrequired)]\r\n") ||
		!strings.Contains(out, "      [edge=yes|no (default=no)]\r\n") {
		t.Errorf("2008 add rule usage: %q", out)
	}
	if _, _, rc := run(t, h, `netsh advfirewall firewall add rule name=x dir=in action=allow edge=deferapp`); rc != 1 {
		t.Error("2008 accepted edge=deferapp")
	}
	if _, _, rc := run(t, MustNew(Config{Version: Win2012}), `netsh advfirewall firewall add rule name=x dir=in action=allow protocol=tcp localport=iphttps edge=deferapp`); rc != 0 {
		t.Error("2012 refused iphttps/deferapp")
	}
}

// TestEnvironmentPerProcess: every command starts from the host's
// environment, which a set never changes; a child cmd.exe inherits its
// parent's variables and its own set stays its own.
func TestEnvironmentPerProcess(t *testing.T) {
	h := MustNew(Config{ComputerName: "SQL01", Domain: "LAB", Version: Win2016})
	tests := []struct{ line, stdout string }{
		{`cmd /v:on /c "set COMPUTERNAME=OTHER& echo !COMPUTERNAME!"`, "OTHER\r\n"},
		{`echo %COMPUTERNAME%`, "SQL01\r\n"},
		{`cmd /v:on /c "set X=1& cmd /v:on /c echo !X!& set X=3& cmd /v:on /c echo !X!& echo !X!"`, "1\r\n3\r\n3\r\n"},
		{`cmd /v:on /c "set X=1& cmd /c set X=2& set Y=4& echo !X!!Y!"`, "14\r\n"},
		{`echo %X%%Y%`, "%X%%Y%\r\n"},
	}
	for _, tt := range tests {
		stdout, stderr, rc := run(t, h, tt.line)
		if stdout != tt.stdout || stderr != "" || rc != 0 {
			t.Errorf("%s\n got (%q, %q, %d)\nwant (%q, \"\", 0)", tt.line, stdout, stderr, rc, tt.stdout)
		}
	}
}
