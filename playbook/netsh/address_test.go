package netsh

import (
	"testing"
)

func TestParseAddresses(t *testing.T) {
	tests := []struct {
		in   string
		want string // canonical String of the custom scope, or "error"
	}{
		{"10.1.2.3", "10.1.2.3"},
		{"10.1.2.3/32", "10.1.2.3"},
		{"10.0.0.0/255.0.0.0", "10.0.0.0/8"},
		{"10.0.0.0/8", "10.0.0.0/8"},
		{"10.1.2.3/8", "10.0.0.0/8"},
		{"192.168.0.0/255.255.0.0", "192.168.0.0/16"},
		{"10.10.1.2-10.10.2.22", "10.10.1.2-10.10.2.22"},
		{"10.1.1.1-10.1.1.1", "10.1.1.1"},
		{"fe80::1-fe80::1", "fe80::1"},
		{"fe80::1/128", "fe80::1"},
		{"2001:db8::/32", "2001:db8::/32"},
		{"12AB:0000:0000:CD30::/60", "12ab:0:0:cd30::/60"},
		{"localsubnet,10.1.1.7/32,192.168.0.0/16", "LocalSubnet,10.1.1.7,192.168.0.0/16"},
		{"10.7.7.7,10.1.1.7,192.168.0.0/255.255.0.0", "10.1.1.7,10.7.7.7,192.168.0.0/16"},
		{"10.1.1.7, 10.1.1.7/32", "10.1.1.7"},
		{"dns,DHCP,wins,defaultgateway", "DHCP,DNS,DefaultGateway,WINS"},
		{"::ffff:10.1.2.3", "10.1.2.3"},
		{"", "error"},
		{"10.1.2.3,", "error"},
		{"10.1.2", "error"},
		{"10.0.0.0/33", "error"},
		{"10.0.0.0/255.0.255.0", "error"},
		{"10.0.0.0/", "error"},
		{"fe80::/255.0.0.0", "error"},
		{"10.0.0.9-10.0.0.1", "error"},
		{"10.0.0.1-fe80::1", "error"},
		{"fe80::1%eth0", "error"},
		{"Any", "error"},
		{"10.0.0.0/0008", "error"},
	}
	for _, tt := range tests {
		addrs, err := ParseAddresses(tt.in)
		if tt.want == "error" {
			if err == nil {
				t.Errorf("ParseAddresses(%q) = %v, want an error", tt.in, addrs)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseAddresses(%q): %v", tt.in, err)
			continue
		}
		if got := (Scope{Kind: ScopeCustom, Addresses: addrs}).String(); got != tt.want {
			t.Errorf("ParseAddresses(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestParseScope(t *testing.T) {
	for _, tt := range []struct {
		in   string
		kind ScopeKind
		str  string
	}{
		{"subnet", ScopeSubnet, "LocalSubnet"},
		{"LocalSubnet", ScopeSubnet, "LocalSubnet"},
		{"LOCALSUBNET", ScopeSubnet, "LocalSubnet"},
		{"all", ScopeAll, "Any"},
		{"Any", ScopeAll, "Any"},
		{"*", ScopeAll, "Any"},
		{"10.0.0.0/8", ScopeCustom, "10.0.0.0/8"},
		{"LocalSubnet,10.0.0.0/8", ScopeCustom, "LocalSubnet,10.0.0.0/8"},
	} {
		got, err := ParseScope(tt.in)
		if err != nil || got.Kind != tt.kind || got.String() != tt.str {
			t.Errorf("ParseScope(%q) = %v %s, %v; want %v %s", tt.in, got.Kind, got, err, tt.kind, tt.str)
		}
	}
	if _, err := ParseScope("Any,10.0.0.1"); err == nil {
		t.Errorf("ParseScope(Any,10.0.0.1) succeeded")
	}
}

func TestScopeCoversAndEqual(t *testing.T) {
	s := func(v string) Scope { return mustScope(t, v) }
	for _, tt := range []struct {
		a, b         string
		covers, eq   bool
		overlap      bool
		skipReversed bool
	}{
		{"any", "subnet", true, false, true, false},
		{"subnet", "subnet", true, true, true, false},
		{"10.0.0.0/24", "10.0.0.0-10.0.0.255", true, true, true, false},
		{"10.0.0.0/24", "10.0.0.0/25,10.0.0.128/25", true, true, true, false},
		{"10.0.0.0/24", "10.0.0.7", true, false, true, false},
		{"10.0.0.7", "10.0.0.0/24", false, false, true, false},
		{"10.0.0.0/24", "10.0.1.0/24", false, false, false, false},
		{"10.0.0.0-10.0.0.9,10.0.0.10-10.0.0.20", "10.0.0.5-10.0.0.15", true, false, true, false},
		{"0.0.0.0/0", "10.0.0.1", true, false, true, false},
		{"10.0.0.0/8", "2001:db8::1", false, false, false, false},
		{"::/0", "2001:db8::1", true, false, true, false},
		{"subnet", "10.0.0.1", false, false, true, false},
		{"LocalSubnet,10.0.0.0/8", "subnet", true, false, true, false},
		{"255.255.255.255", "255.255.255.254-255.255.255.255", false, false, true, false},
		{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0/124", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true, false, true, false},
	} {
		a, b := s(tt.a), s(tt.b)
		if got := a.Covers(b); got != tt.covers {
			t.Errorf("%s.Covers(%s) = %v, want %v", tt.a, tt.b, got, tt.covers)
		}
		if got := a.Equal(b); got != tt.eq {
			t.Errorf("%s.Equal(%s) = %v, want %v", tt.a, tt.b, got, tt.eq)
		}
		if got := a.overlaps(b); got != tt.overlap {
			t.Errorf("%s.overlaps(%s) = %v, want %v", tt.a, tt.b, got, tt.overlap)
		}
	}
	if (Scope{}).Covers(Scope{Kind: ScopeAll}) || (Scope{Kind: ScopeAll}).Covers(Scope{}) || (Scope{}).Equal(Scope{Kind: ScopeSubnet}) {
		t.Errorf("unknown scope compares as known")
	}
}

func TestParsePortRange(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want PortRange
		err  bool
	}{
		{"135", Port(135), false},
		{"5000-5100", PortRange{5000, 5100}, false},
		{" 65535 ", Port(65535), false},
		{"0", PortRange{}, true},
		{"65536", PortRange{}, true},
		{"5100-5000", PortRange{}, true},
		{"-1", PortRange{}, true},
		{"1-", PortRange{}, true},
		{"+5", PortRange{}, true},
		{"Any", PortRange{}, true},
	} {
		got, err := ParsePortRange(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParsePortRange(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestVersion(t *testing.T) {
	for _, tt := range []struct {
		line    string
		v       Version
		product string
		dialect Dialect
	}{
		{"Microsoft Windows [Version 5.2.3790]", Version{5, 2, 3790}, "Windows Server 2003", Legacy},
		{"Microsoft Windows XP [Version 5.1.2600]", Version{5, 1, 2600}, "Windows XP", Legacy},
		{"Microsoft Windows [Version 6.0.6002]", Version{6, 0, 6002}, "Windows Server 2008", Advfirewall},
		{"Microsoft Windows [Version 6.1.7601]", Version{6, 1, 7601}, "Windows Server 2008 R2", Advfirewall},
		{"Microsoft Windows [Version 6.2.9200]", Version{6, 2, 9200}, "Windows Server 2012", Advfirewall},
		{"Microsoft Windows [Version 6.3.9600]", Version{6, 3, 9600}, "Windows Server 2012 R2", Advfirewall},
		{"Microsoft Windows [Version 10.0.14393]", Version{10, 0, 14393}, "Windows Server 2016", Advfirewall},
		{"Microsoft Windows [Version 10.0.17763]", Version{10, 0, 17763}, "Windows Server 2019", Advfirewall},
		{"Microsoft Windows [Version 10.0.20348.2340]", Version{10, 0, 20348}, "Windows Server 2022", Advfirewall},
		{"Microsoft Windows [Version 10.0.26100.1]", Version{10, 0, 26100}, "Windows Server 2025", Advfirewall},
		{"Microsoft Windows [Version 10.0.19045.3803]", Version{10, 0, 19045}, "Windows 10.0.19045", Advfirewall},
	} {
		got, err := ParseVer(Output{Command: "ver", Stdout: "\r\n" + tt.line + "\r\n"})
		if err != nil || got != tt.v || got.ProductName() != tt.product || AutoDialect(got) != tt.dialect {
			t.Errorf("ParseVer(%q) = %v %q %s, %v; want %v %q %s", tt.line, got, got.ProductName(), AutoDialect(got), err, tt.v, tt.product, tt.dialect)
		}
	}
	for _, bad := range []string{"", "Microsoft Windows", "Microsoft Windows [Version 10.0]\r\n", "Der Befehl \"ver\" ist entweder falsch geschrieben\r\n",
		"Microsoft Windows [Version 10.0.17763]\r\nMicrosoft Windows [Version 10.0.17763]\r\n"} {
		if v, err := ParseVer(Output{Command: "ver", Stdout: bad}); err == nil {
			t.Errorf("ParseVer(%q) = %v, want an error", bad, v)
		}
	}
	if !(Version{6, 0, 0}).Less(Version{6, 1, 0}) || (Version{10, 0, 1}).Less(Version{6, 3, 9600}) {
		t.Errorf("Version.Less wrong")
	}
}

func TestSSISLookup(t *testing.T) {
	for _, in := range []string{"2016", "13", "130", "13.0", "msdtsserver130", "MsDtsServer130"} {
		v, ok := LookupSSIS(in)
		if !ok || v.Service != "MsDtsServer130" || v.ProgramPath("") != `%ProgramFiles%\Microsoft SQL Server\130\DTS\Binn\MsDtsSrvr.exe` {
			t.Errorf("LookupSSIS(%q) = %+v, %v", in, v, ok)
		}
	}
	for _, in := range []string{"2008R2", "10.50", "100"} {
		if v, ok := LookupSSIS(in); !ok || v.Dir != "100" {
			t.Errorf("LookupSSIS(%q) = %+v, %v; want 100", in, v, ok)
		}
	}
	if v, ok := LookupSSIS("2005"); !ok || v.Service != "MsDtsServer" || v.ProgramPath(`D:\Program Files\Microsoft SQL Server\`) != `D:\Program Files\Microsoft SQL Server\90\DTS\Binn\MsDtsSrvr.exe` {
		t.Errorf("LookupSSIS(2005) = %+v, %v", v, ok)
	}
	for _, in := range []string{"2025", "170", "", "MsDtsServer999"} {
		if v, ok := LookupSSIS(in); ok {
			t.Errorf("LookupSSIS(%q) = %+v, want not found", in, v)
		}
	}
}

func TestExpandEnv(t *testing.T) {
	env := map[string]string{"ProgramFiles": `D:\PF`, "systemroot": `C:\Win`}
	for _, tt := range [][2]string{
		{`%ProgramFiles%\x.exe`, `D:\PF\x.exe`},
		{`%PROGRAMFILES%\x.exe`, `D:\PF\x.exe`},
		{`%SystemRoot%\%ProgramFiles%`, `C:\Win\D:\PF`},
		{`%SystemDrive%\x.exe`, `%SystemDrive%\x.exe`},
		{`%Path%\x.exe`, `%Path%\x.exe`},
		{`x%`, `x%`},
	} {
		if got := ExpandEnv(tt[0], env); got != tt[1] {
			t.Errorf("ExpandEnv(%q) = %q, want %q", tt[0], got, tt[1])
		}
	}
}
