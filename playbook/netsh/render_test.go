package netsh

import (
	"errors"
	"strings"
	"testing"
)

const ssis100 = `%ProgramFiles%\Microsoft SQL Server\100\DTS\Binn\MsDtsSrvr.exe`

func rpcRule() Desired {
	return Desired{Name: "RPC (TCP/135)", Kind: KindPort, Protocol: "TCP", Ports: Port(135)}
}

func ssisRule(path string) Desired {
	return Desired{Name: "SSIS Service", Kind: KindProgram, Program: path}
}

func TestRenderSeedCommandsByteForByte(t *testing.T) {
	// The two commands of seed/ssis-firewall.txt, copied from it.
	seed := []string{
		`netsh firewall add portopening protocol=TCP port=135 name="RPC (TCP/135)" mode=ENABLE scope=SUBNET`,
		`netsh firewall add allowedprogram program="%ProgramFiles%\Microsoft SQL Server\100\DTS\Binn\MsDtsSrvr.exe" name="SSIS Service" scope=SUBNET`,
	}
	opts := Options{Dialect: Legacy}
	for i, d := range []Desired{rpcRule(), ssisRule(ssis100)} {
		got, err := AddCommand(d, opts)
		if err != nil || got != seed[i] {
			t.Errorf("AddCommand(%s) =\n%q, %v\nwant\n%q", d.Name, got, err, seed[i])
		}
	}
}

func TestRenderCommands(t *testing.T) {
	custom, err := CustomScope("10.7.7.7", "10.1.1.7", "192.168.0.0/255.255.0.0")
	if err != nil {
		t.Fatal(err)
	}
	all := Scope{Kind: ScopeAll}
	p130 := `C:\Program Files\Microsoft SQL Server\130\DTS\Binn\MsDtsSrvr.exe`
	with := func(d Desired, f func(*Desired)) Desired { f(&d); return d }
	legacy := Options{Dialect: Legacy}
	adv := Options{Dialect: Advfirewall}
	scan := Options{Dialect: Advfirewall, BlockScan: true}
	tests := []struct {
		name string
		fn   func(Desired, Options) (string, error)
		d    Desired
		opts Options
		want string
	}{
		{"legacy add scope ALL", AddCommand, with(rpcRule(), func(d *Desired) { d.Scope = all }), legacy,
			`netsh firewall add portopening protocol=TCP port=135 name="RPC (TCP/135)" mode=ENABLE scope=ALL`},
		{"legacy add program custom", AddCommand, with(ssisRule(p130), func(d *Desired) { d.Scope = custom }), legacy,
			`netsh firewall add allowedprogram program="` + p130 + `" name="SSIS Service" scope=CUSTOM addresses=10.1.1.7,10.7.7.7,192.168.0.0/16`},
		{"legacy add disabled", AddCommand, with(rpcRule(), func(d *Desired) { d.Disabled = true }), legacy,
			`netsh firewall add portopening protocol=TCP port=135 name="RPC (TCP/135)" mode=DISABLE scope=SUBNET`},
		{"legacy delete port", DeleteCommand, rpcRule(), legacy, `netsh firewall delete portopening protocol=TCP port=135 profile=ALL`},
		{"legacy delete program", DeleteCommand, ssisRule(p130), legacy, `netsh firewall delete allowedprogram program="` + p130 + `" profile=ALL`},
		{"legacy show port", ReadCommand, rpcRule(), legacy, `netsh firewall show portopening verbose=ENABLE`},
		{"legacy show program", ReadCommand, ssisRule(p130), legacy, `netsh firewall show allowedprogram verbose=ENABLE`},
		{"adv add port", AddCommand, rpcRule(), adv,
			`netsh advfirewall firewall add rule name="RPC (TCP/135)" dir=in action=allow protocol=TCP localport=135 remoteip=localsubnet profile=any`},
		{"adv add port any", AddCommand, with(rpcRule(), func(d *Desired) { d.Scope = all }), adv,
			`netsh advfirewall firewall add rule name="RPC (TCP/135)" dir=in action=allow protocol=TCP localport=135 remoteip=any profile=any`},
		{"adv add program", AddCommand, ssisRule(p130), adv,
			`netsh advfirewall firewall add rule name="SSIS Service" dir=in action=allow program="` + p130 + `" remoteip=localsubnet profile=any enable=yes`},
		{"adv add program custom", AddCommand, with(ssisRule(p130), func(d *Desired) { d.Scope = custom }), adv,
			`netsh advfirewall firewall add rule name="SSIS Service" dir=in action=allow program="` + p130 + `" remoteip=10.1.1.7,10.7.7.7,192.168.0.0/16 profile=any enable=yes`},
		{"adv add dcom range", AddCommand, Desired{Name: "SSIS DCOM ports", Kind: KindPort, Ports: PortRange{5000, 5100}}, adv,
			`netsh advfirewall firewall add rule name="SSIS DCOM ports" dir=in action=allow protocol=TCP localport=5000-5100 remoteip=localsubnet profile=any`},
		{"adv delete port", DeleteCommand, rpcRule(), adv,
			`netsh advfirewall firewall delete rule name="RPC (TCP/135)" dir=in protocol=TCP localport=135`},
		{"adv delete program", DeleteCommand, ssisRule(p130), adv,
			`netsh advfirewall firewall delete rule name="SSIS Service" dir=in program="` + p130 + `"`},
		{"adv show", ReadCommand, rpcRule(), adv, `netsh advfirewall firewall show rule name="RPC (TCP/135)" verbose`},
		{"adv show scan", ReadCommand, rpcRule(), scan, `netsh advfirewall firewall show rule name=all dir=in verbose`},
	}
	for _, tt := range tests {
		got, err := tt.fn(tt.d, tt.opts)
		if err != nil || got != tt.want {
			t.Errorf("%s: got\n%q, %v\nwant\n%q", tt.name, got, err, tt.want)
		}
	}
}

func TestRenderRegistry(t *testing.T) {
	// reference/netsh.md §7.2, with the range of the brief.
	want := []string{
		`reg add "HKLM\SOFTWARE\Microsoft\Rpc\Internet" /v Ports /t REG_MULTI_SZ /d "5000-6000" /f`,
		`reg add "HKLM\SOFTWARE\Microsoft\Rpc\Internet" /v PortsInternetAvailable /t REG_SZ /d Y /f`,
		`reg add "HKLM\SOFTWARE\Microsoft\Rpc\Internet" /v UseInternetPorts /t REG_SZ /d Y /f`,
	}
	for i, v := range DCOMValues(PortRange{5000, 6000}) {
		got, err := RegAddCommand(RPCInternetKey, v.Name, v.Type, v.Data)
		if err != nil || got != want[i] {
			t.Errorf("RegAddCommand(%v) = %q, %v; want %q", v, got, err, want[i])
		}
	}
	got, err := RegAddCommand(RPCInternetKey, "Ports", "REG_MULTI_SZ", DCOMValues(PortRange{5000, 5100}, Port(5984))[0].Data)
	if want := `reg add "HKLM\SOFTWARE\Microsoft\Rpc\Internet" /v Ports /t REG_MULTI_SZ /d "5000-5100\05984" /f`; err != nil || got != want {
		t.Errorf("multi-string Ports = %q, %v; want %q", got, err, want)
	}
	if got, err := RegQueryCommand(RPCInternetKey); err != nil || got != `reg query "HKLM\SOFTWARE\Microsoft\Rpc\Internet"` {
		t.Errorf("RegQueryCommand = %q, %v", got, err)
	}
	if got, err := RegDeleteCommand(RPCInternetKey, "Ports"); err != nil || got != `reg delete "HKLM\SOFTWARE\Microsoft\Rpc\Internet" /v Ports /f` {
		t.Errorf("RegDeleteCommand = %q, %v", got, err)
	}
	if got, err := ScQueryCommand("MsDtsServer130"); err != nil || got != "sc query MsDtsServer130" {
		t.Errorf("ScQueryCommand = %q, %v", got, err)
	}
	if got, err := ScQcCommand("MSSQL$SQL01"); err != nil || got != "sc qc MSSQL$SQL01" {
		t.Errorf("ScQcCommand = %q, %v", got, err)
	}
}

func TestUnsafeValues(t *testing.T) {
	adv := Options{Dialect: Advfirewall}
	bad := []struct {
		field string
		d     Desired
	}{
		{"rule name", Desired{Name: `RPC" & calc & "`, Kind: KindPort, Ports: Port(135)}},
		{"rule name", Desired{Name: "a|b", Kind: KindPort, Ports: Port(135)}},
		{"rule name", Desired{Name: "a<b", Kind: KindPort, Ports: Port(135)}},
		{"rule name", Desired{Name: "a>b", Kind: KindPort, Ports: Port(135)}},
		{"rule name", Desired{Name: "a^b", Kind: KindPort, Ports: Port(135)}},
		{"rule name", Desired{Name: "wow!x!", Kind: KindPort, Ports: Port(135)}},
		{"rule name", Desired{Name: "%PATH%", Kind: KindPort, Ports: Port(135)}},
		{"rule name", Desired{Name: "a\r\nnetsh advfirewall reset", Kind: KindPort, Ports: Port(135)}},
		{"rule name", Desired{Name: "tab\there", Kind: KindPort, Ports: Port(135)}},
		{"rule name", Desired{Name: "ALL", Kind: KindPort, Ports: Port(135)}},
		{"rule name", Desired{Name: "a\uFF02 & calc", Kind: KindPort, Ports: Port(135)}},
		{"rule name", Desired{Name: "\u201Cquoted\u201D", Kind: KindPort, Ports: Port(135)}},
		{"rule name", Desired{Name: "a\u0085b", Kind: KindPort, Ports: Port(135)}},
		{"rule name", Desired{Name: "", Kind: KindPort, Ports: Port(135)}},
		{"program", ssisRule(`%ComSpec%\x.exe`)},
		{"program", ssisRule(`%ProgramFiles%\a\b!c.exe`)},
		{"program", ssisRule(`C:\a"b.exe`)},
		{"program", ssisRule(`C:\a&b.exe`)},
		{"program", ssisRule(`C:\100%\x.exe`)},
		{"program", ssisRule(`relative\MsDtsSrvr.exe`)},
		{"program", ssisRule("C:\\a\nb.exe")},
	}
	for _, tt := range bad {
		for _, fn := range []func(Desired, Options) (string, error){AddCommand, DeleteCommand, ReadCommand} {
			got, err := fn(tt.d, adv)
			var ue *UnsafeValueError
			if !errors.As(err, &ue) || ue.Field != tt.field {
				t.Errorf("render(%q, %q) = %q, %v; want *UnsafeValueError{Field: %q}", tt.d.Name, tt.d.Program, got, err, tt.field)
			}
		}
		if _, err := Evaluate(tt.d, nil, adv); !errors.As(err, new(*UnsafeValueError)) {
			t.Errorf("Evaluate(%q, %q) err = %v, want *UnsafeValueError", tt.d.Name, tt.d.Program, err)
		}
	}
	good := []Desired{
		ssisRule(`%ProgramFiles(x86)%\Microsoft SQL Server\130\DTS\Binn\MsDtsSrvr.exe`),
		ssisRule(`%SystemDrive%\SSIS\MsDtsSrvr.exe`),
		ssisRule(`%systemroot%\x.exe`),
		ssisRule(`D:\Program Files (x86)\x.exe`),
		ssisRule(`\\server\share\x.exe`),
		{Name: "Règle (TCP/135) – été", Kind: KindPort, Ports: Port(135)},
	}
	for _, d := range good {
		if _, err := AddCommand(d, adv); err != nil {
			t.Errorf("AddCommand(%q, %q): %v", d.Name, d.Program, err)
		}
	}
	regBad := [][4]string{
		{`HKLM\SOFTWARE\x" & calc`, "Ports", "REG_SZ", "Y"},
		{RPCInternetKey, "Po&rts", "REG_SZ", "Y"},
		{RPCInternetKey, "Ports", "REG_BINARY", "00"},
		{RPCInternetKey, "Ports", "REG_SZ", `Y" & calc & "`},
		{RPCInternetKey, "Ports", "REG_SZ", `%PATH%`},
		{RPCInternetKey, "Ports", "REG_SZ", `x\`},
		{RPCInternetKey, "Ports", "REG_DWORD", `1;2`},
		{RPCInternetKey, "Ports", "REG_DWORD", "1\r\n"},
		{RPCInternetKey, "Ports", "REG_QWORD", " 0x10"},
		{`HKXX\Software`, "Ports", "REG_SZ", "Y"},
	}
	for _, r := range regBad {
		if got, err := RegAddCommand(r[0], r[1], r[2], r[3]); !errors.As(err, new(*UnsafeValueError)) {
			t.Errorf("RegAddCommand(%q) = %q, %v; want *UnsafeValueError", r, got, err)
		}
	}
	for _, s := range []string{"Ms Dts", "a&b", "x|y", ""} {
		if _, err := ScQueryCommand(s); !errors.As(err, new(*UnsafeValueError)) {
			t.Errorf("ScQueryCommand(%q) err = %v, want *UnsafeValueError", s, err)
		}
	}
}

func TestRenderRejectsUnsupported(t *testing.T) {
	legacy := Options{Dialect: Legacy}
	for _, d := range []Desired{
		{Name: "range", Kind: KindPort, Ports: PortRange{5000, 5100}},
		{Name: "out", Kind: KindPort, Ports: Port(135), Direction: "out"},
		{Name: "block", Kind: KindPort, Ports: Port(135), Action: "block"},
	} {
		if got, err := AddCommand(d, legacy); err == nil || !strings.Contains(err.Error(), "legacy") {
			t.Errorf("AddCommand(legacy, %s) = %q, %v; want a legacy-dialect error", d.Name, got, err)
		}
	}
	for _, d := range []Desired{
		{Name: "x", Kind: KindPort},
		{Name: "x", Kind: "service", Ports: Port(1)},
		{Name: "x", Kind: KindPort, Ports: Port(1), Protocol: "ICMP"},
		{Name: "x", Kind: KindPort, Ports: Port(1), State: "gone"},
	} {
		if _, err := AddCommand(d, Options{Dialect: Advfirewall}); err == nil {
			t.Errorf("AddCommand(%+v) succeeded, want an error", d)
		}
	}
	if _, err := AddCommand(rpcRule(), Options{}); err == nil {
		t.Errorf("AddCommand without a dialect succeeded")
	}
}
