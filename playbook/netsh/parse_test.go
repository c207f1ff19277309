package netsh

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func crlf(ls ...string) string { return strings.Join(ls, "\r\n") + "\r\n" }

func field(label, v string) string { return (label + ":" + strings.Repeat(" ", 38))[:38] + v }

func advBlock(name string, fields ...string) []string {
	return append([]string{"", field("Rule Name", name), strings.Repeat("-", 70)}, fields...)
}

var minimalFields = []string{field("Enabled", "Yes"), field("Direction", "In"), field("Profiles", "Domain,Private,Public"),
	field("Grouping", ""), field("LocalIP", "Any"), field("RemoteIP", "Any"), field("Protocol", "Any"),
	field("Edge traversal", "No"), field("Action", "Allow")}

func TestParseAdvfirewallStrictness(t *testing.T) {
	good := append(advBlock("x", minimalFields...), "Ok.", "")
	if _, err := ParseAdvfirewall(Output{Stdout: crlf(good...)}); err != nil {
		t.Fatalf("baseline: %v", err)
	}
	// Values are cut at column 38, so a description starting with blanks keeps them.
	withDesc := append(advBlock("x", append([]string{field("Description", "  two leading blanks"), field("Future field", "v")}, minimalFields...)...), "Ok.", "")
	rs, err := ParseAdvfirewall(Output{Stdout: crlf(withDesc...)})
	if err != nil || rs[0].Description != "  two leading blanks" || rs[0].Extra["Future field"] != "v" {
		t.Errorf("description/extra = %+v, %v", rs, err)
	}
	// LF-only line ends and unpadded labels are tolerated.
	lf := strings.ReplaceAll(crlf(good...), "\r\n", "\n")
	lf = strings.Replace(lf, field("Enabled", "Yes"), "Enabled: Yes", 1)
	if rs, err := ParseAdvfirewall(Output{Stdout: lf}); err != nil || !rs[0].Enabled {
		t.Errorf("LF output: %+v, %v", rs, err)
	}
	// Unknown address keywords in a netsh display are kept, never equal to a
	// desired scope, and overlap everything.
	kw := strings.Replace(crlf(good...), field("RemoteIP", "Any"), field("RemoteIP", "Intranet,10.0.0.0/8"), 1)
	rs, err = ParseAdvfirewall(Output{Stdout: kw})
	if err != nil || rs[0].RemoteIP.String() != "Intranet,10.0.0.0/8" || rs[0].RemoteIP.Equal(mustScope(t, "10.0.0.0/8")) ||
		!rs[0].RemoteIP.overlaps(mustScope(t, "192.168.1.1")) {
		t.Errorf("unknown keyword: %+v, %v", rs, err)
	}
	if _, err := ParseScope("Intranet"); err == nil {
		t.Errorf("ParseScope accepts an unknown keyword from a user")
	}
	// Several ICMP rows.
	icmp := append(advBlock("ping", field("Enabled", "Yes"), field("Direction", "In"), field("Profiles", "Domain"), field("Grouping", ""),
		field("LocalIP", "Any"), field("RemoteIP", "Any"), field("Protocol", "ICMPv6"), strings.Repeat(" ", 38)+"Type    Code",
		strings.Repeat(" ", 38)+"128     Any", strings.Repeat(" ", 38)+"1       4", field("Edge traversal", "No"), field("Action", "Allow")), "Ok.", "")
	rs, err = ParseAdvfirewall(Output{Stdout: crlf(icmp...)})
	if err != nil || !cmp.Equal(rs[0].ICMP, []ICMPTypeCode{{"128", "Any"}, {"1", "4"}}) {
		t.Errorf("ICMP rows = %+v, %v", rs, err)
	}

	replace := func(old, new string) string { return strings.Replace(crlf(good...), old, new, 1) }
	bad := map[string]string{
		"truncated (no Ok.)":          strings.Replace(crlf(good...), "Ok.\r\n", "", 1),
		"truncated mid-rule":          crlf(good[:6]...),
		"text after Ok.":              crlf(append(good, "Ok.")...),
		"no dashes":                   replace(strings.Repeat("-", 70)+"\r\n", ""),
		"field twice":                 replace(field("Action", "Allow"), field("Action", "Allow")+"\r\n"+field("Action", "Allow")),
		"missing Action":              replace(field("Action", "Allow")+"\r\n", ""),
		"missing RemoteIP":            replace(field("RemoteIP", "Any")+"\r\n", ""),
		"unknown Enabled value":       replace(field("Enabled", "Yes"), field("Enabled", "Ja")),
		"unknown Direction":           replace(field("Direction", "In"), field("Direction", "Inbound")),
		"unknown Action":              replace(field("Action", "Allow"), field("Action", "Zulassen")),
		"unknown profile":             replace("Domain,Private,Public", "Domäne"),
		"bad address":                 replace(field("RemoteIP", "Any"), field("RemoteIP", "10.0.0.300")),
		"stray continuation":          replace(field("Grouping", ""), field("Grouping", "")+"\r\n      more"),
		"lower-case label":            replace(field("Grouping", ""), "grouping: x"),
		"no rules, only Ok.":          "\r\nOk.\r\n\r\n",
		"empty output":                "",
		"no match with text":          "\r\nNo rules match the specified criteria.\r\nfoo\r\n",
		"rule name empty":             replace(field("Rule Name", "x"), "Rule Name:"),
		"line before first rule":      "Hello\r\n" + crlf(good...),
		"ICMP header missing":         crlf(append(advBlock("p", field("Enabled", "Yes"), field("Direction", "In"), field("Profiles", "Domain"), field("LocalIP", "Any"), field("RemoteIP", "Any"), field("Protocol", "ICMPv4"), strings.Repeat(" ", 38)+"8       Any", field("Action", "Allow")), "Ok.")...),
		"continuation after non-ICMP": crlf(append(advBlock("p", field("Enabled", "Yes"), field("Direction", "In"), field("Profiles", "Domain"), field("LocalIP", "Any"), field("RemoteIP", "Any"), field("Protocol", "TCP"), strings.Repeat(" ", 38)+"Type    Code", field("Action", "Allow")), "Ok.")...),
	}
	for name, in := range bad {
		if rs, err := ParseAdvfirewall(Output{Command: name, Stdout: in}); !errors.As(err, new(*UnrecognizedError)) {
			t.Errorf("%s: ParseAdvfirewall = %+v, %v; want *UnrecognizedError", name, rs, err)
		}
	}
	if _, err := ParseAdvfirewall(Output{Stdout: crlf(good...), Stderr: "warning\r\n"}); !errors.As(err, new(*UnrecognizedError)) {
		t.Errorf("stderr text accepted: %v", err)
	}
	if _, err := ParseAdvfirewall(Output{Stdout: crlf(good...), ExitCode: 1}); !errors.As(err, new(*UnrecognizedError)) {
		t.Errorf("rules with exit 1 accepted: %v", err)
	}
}

func TestParseLegacyTolerance(t *testing.T) {
	head := []string{"", "Port configuration for Domain profile:", "Port   Protocol  Mode    Traffic direction     Name", strings.Repeat("-", 67)}
	for _, scopeLine := range []string{"       Scope: LocalSubnet", "Scope: LocalSubnet", "\tScope:LocalSubnet", "   Scope :  LocalSubnet", "      Scope: SUBNET"} {
		in := crlf(append(head, "135    TCP       Enable  Inbound               RPC (TCP/135)", scopeLine, "")...)
		rs, err := ParseLegacy(Output{Stdout: in})
		if err != nil || len(rs) != 1 || rs[0].RemoteIP.Kind != ScopeSubnet {
			t.Errorf("scope line %q: %+v, %v", scopeLine, rs, err)
		}
	}
	// Other detail lines are ignored; a misaligned row falls back to blank-splitting.
	in := crlf(append(head, "135 TCP Enable Inbound RPC  (TCP/135)", "       Profile: Domain", "       Scope: 10.0.0.1,10.0.0.0/255.255.255.0", "")...)
	rs, err := ParseLegacy(Output{Stdout: in})
	if err != nil || len(rs) != 1 || rs[0].Name != "RPC  (TCP/135)" || rs[0].RemoteIP.String() != "10.0.0.0/24,10.0.0.1" {
		t.Errorf("misaligned row: %+v, %v", rs, err)
	}
	// 1 to 3 blank lines after the notice, http and https.
	notice := []string{"IMPORTANT: Command executed successfully.", `However, "netsh firewall" is deprecated;`, `use "netsh advfirewall firewall" instead.`,
		`For more information on using "netsh advfirewall firewall" commands`, `instead of "netsh firewall", see KB article 947709`, "at https://go.microsoft.com/fwlink/?linkid=121488 ."}
	for n := 1; n <= 3; n++ {
		ls := append(append(append([]string{}, head...), "135    TCP       Enable  Inbound               RPC (TCP/135)", "   Scope: *", ""), notice...)
		for i := 0; i < n; i++ {
			ls = append(ls, "")
		}
		if rs, err := ParseLegacy(Output{Stdout: crlf(ls...)}); err != nil || len(rs) != 1 || rs[0].RemoteIP.Kind != ScopeAll {
			t.Errorf("%d trailing blanks: %+v, %v", n, rs, err)
		}
	}
	bad := map[string]string{
		"notice mixed with text":  crlf(append(append([]string{}, head...), "135    TCP       Enable  Inbound               RPC (TCP/135)", "", "Something else", notice[0], notice[1])...),
		"no sections":             "\r\n\r\n",
		"unknown header":          crlf("", "Port configuration for Domain profile:", "Port   Proto  Mode  Name", strings.Repeat("-", 67), ""),
		"bad mode":                crlf(append(head, "135    TCP       Aktiv   Inbound               RPC (TCP/135)", "")...),
		"bad protocol":            crlf(append(head, "135    ICMP      Enable  Inbound               RPC (TCP/135)", "")...),
		"bad port":                crlf(append(head, "99999  TCP       Enable  Inbound               RPC (TCP/135)", "")...),
		"scope before entry":      crlf(append(head, "   Scope: *", "")...),
		"bad scope":               crlf(append(head, "135    TCP       Enable  Inbound               RPC (TCP/135)", "   Scope: CUSTOM", "")...),
		"program without path":    crlf("", "Allowed programs configuration for Domain profile:", "Mode     Traffic direction    Name / Program", strings.Repeat("-", 67), "Enable   Inbound              SSIS Service", ""),
		"too few cells":           crlf(append(head, "135 TCP", "")...),
		"unknown line in section": crlf(append(head, "135    TCP       Enable  Inbound               RPC (TCP/135)", "----", "")...),
	}
	for name, in := range bad {
		if rs, err := ParseLegacy(Output{Command: name, Stdout: in}); !errors.As(err, new(*UnrecognizedError)) {
			t.Errorf("%s: ParseLegacy = %+v, %v; want *UnrecognizedError", name, rs, err)
		}
	}
	// A program name may itself contain " / ".
	in = crlf("", "Allowed programs configuration for Domain profile:", "Mode     Traffic direction    Name / Program", strings.Repeat("-", 67),
		`Enable   Inbound              A / B / C:\x.exe`, "   Scope: *", "")
	if rs, err := ParseLegacy(Output{Stdout: in}); err != nil || rs[0].Name != "A / B" || rs[0].Program != `C:\x.exe` {
		t.Errorf("name with slash: %+v, %v", rs, err)
	}
}

func TestParseChangeFileNotFound(t *testing.T) {
	o := Output{Command: "netsh firewall add allowedprogram", Stdout: "The system cannot find the file specified.\r\n\r\n", ExitCode: 1}
	var oe *OutputError
	if _, err := ParseChange(o); !errors.Is(err, ErrFileNotFound) || !errors.As(err, &oe) || oe.Raw != o.Stdout {
		t.Errorf("ParseChange(file not found) err = %v, want ErrFileNotFound with raw text", err)
	}
}

func TestParseNetSession(t *testing.T) {
	if ok, err := ParseNetSession(Output{Stdout: "There are no entries in the list.\r\n\r\n"}); !ok || err != nil {
		t.Errorf("elevated: %v, %v", ok, err)
	}
	if ok, err := ParseNetSession(Output{Stderr: "System error 5 has occurred.\r\n\r\nAccess is denied.\r\n\r\n", ExitCode: 2}); ok || err != nil {
		t.Errorf("not elevated: %v, %v", ok, err)
	}
	if _, err := ParseNetSession(Output{Stderr: "Systemfehler 5 aufgetreten.\r\n\r\nZugriff verweigert\r\n", ExitCode: 2}); !errors.As(err, new(*UnrecognizedError)) {
		t.Errorf("German: %v", err)
	}
}

func TestDecode(t *testing.T) {
	if got := Decode([]byte("Domäne")); got != "Domäne" {
		t.Errorf("UTF-8: %q", got)
	}
	// "Domäne" in CP437/CP850: ä = 0x84.
	if got := Decode([]byte{'D', 'o', 'm', 0x84, 'n', 'e'}); got != "Domäne" {
		t.Errorf("CP437: %q", got)
	}
}

func TestScFailures(t *testing.T) {
	o := Output{Stdout: "[SC] OpenService FAILED 1072:\r\n\r\nThe specified service has been marked for deletion.\r\n\r\n", ExitCode: 1072}
	if _, err := ParseScQuery(o); !errors.As(err, new(*UnrecognizedError)) {
		t.Errorf("FAILED 1072: %v", err)
	}
	if _, err := ParseScQuery(Output{Stdout: "\r\nSERVICE_NAME: x\r\n        TYPE               : 10  WIN32_OWN_PROCESS\r\n"}); !errors.As(err, new(*UnrecognizedError)) {
		t.Errorf("no STATE: %v", err)
	}
	for bin, want := range map[string]string{
		`"C:\Program Files\x\MsDtsSrvr.exe" -k`:  `C:\Program Files\x\MsDtsSrvr.exe`,
		`C:\Program Files\x\MsDtsSrvr.EXE -k`:    `C:\Program Files\x\MsDtsSrvr.EXE`,
		`C:\Windows\system32\svchost -k netsvcs`: `C:\Windows\system32\svchost`,
	} {
		if got := executable(bin); got != want {
			t.Errorf("executable(%q) = %q, want %q", bin, got, want)
		}
	}
}

// TestUnexpectedStderrKeepsExcerpts: "unexpected stderr" names what the
// host printed on both streams, so the reason in a report is actionable.
func TestUnexpectedStderrKeepsExcerpts(t *testing.T) {
	o := Output{Command: "netsh advfirewall firewall add rule", Stdout: "Ok.\r\n\r\n", Stderr: "Warnung: Regel existiert bereits\r\n"}
	_, err := ParseChange(o)
	var ue *UnrecognizedError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), `unexpected stderr "Warnung: Regel existiert bereits" (stdout "Ok.")`) {
		t.Errorf("ParseChange error = %v, want both streams' excerpts", err)
	}
	if ue != nil && ue.Raw != o.Stdout+o.Stderr {
		t.Errorf("Raw = %q, want all of stdout and stderr", ue.Raw)
	}
}
