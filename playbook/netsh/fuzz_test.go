package netsh

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// seedFromTestdata adds every testdata file whose name starts with one of
// prefixes to the fuzz corpus.
func seedFromTestdata(f *testing.F, prefixes ...string) {
	for _, dir := range []string{"samples", "constructed"} {
		ents, err := os.ReadDir(filepath.Join("testdata", dir))
		if err != nil {
			f.Fatal(err)
		}
		for _, e := range ents {
			for _, p := range prefixes {
				if strings.HasPrefix(e.Name(), p) {
					b, err := os.ReadFile(filepath.Join("testdata", dir, e.Name()))
					if err != nil {
						f.Fatal(err)
					}
					f.Add(b, 0)
					f.Add(b, 1)
				}
			}
		}
	}
}

// checkParseResult is what every parser guarantees: an error is one of the
// package's typed errors carrying the raw text, and a success is not
// accompanied by an error.
func checkParseResult(t *testing.T, o Output, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var ue *UnrecognizedError
	var oe *OutputError
	switch {
	case errors.As(err, &ue):
		if ue.Raw != raw(o) {
			t.Fatalf("UnrecognizedError.Raw differs from the output")
		}
	case errors.As(err, &oe):
		if oe.Raw != raw(o) {
			t.Fatalf("OutputError.Raw differs from the output")
		}
	default:
		t.Fatalf("untyped error %T: %v", err, err)
	}
}

func FuzzParseAdvfirewall(f *testing.F) {
	seedFromTestdata(f, "adv_", "netsh_")
	f.Fuzz(func(t *testing.T, b []byte, exit int) {
		o := Output{Command: "show rule", Stdout: Decode(b), ExitCode: exit}
		rules, err := ParseAdvfirewall(o)
		checkParseResult(t, o, err)
		if err != nil {
			return
		}
		for _, r := range rules {
			if r.Name == "" || (r.Direction != "In" && r.Direction != "Out") || r.RemoteIP.Kind == ScopeUnknown {
				t.Fatalf("accepted an incomplete rule %+v", r)
			}
			// A parsed rule must be usable by Evaluate without panicking.
			_, _ = Evaluate(Desired{Name: r.Name, Kind: KindPort, Ports: Port(135)}, rules, Options{Dialect: Advfirewall, BlockScan: true})
		}
		_, err = ParseChange(o)
		checkParseResult(t, o, err)
	})
}

// FuzzParseServiceSearch feeds the SSIS search's parser, and the service
// list's parser and excerpt that sit next to it in round trip 1.
func FuzzParseServiceSearch(f *testing.F) {
	seedFromTestdata(f, "reg_", "sc_")
	f.Fuzz(func(t *testing.T, b []byte, exit int) {
		o := Output{Command: SSISSearchCommand, Stdout: Decode(b), ExitCode: exit}
		found, err := ParseServiceSearch(o)
		checkParseResult(t, o, err)
		for _, s := range found {
			if s.Service == "" || strings.Contains(s.Service, `\`) || s.Executable == "" && s.ImagePath != "" {
				t.Fatalf("accepted a malformed service %+v", s)
			}
		}
		list, err := ParseScList(o)
		checkParseResult(t, o, err)
		for _, e := range list {
			if e.Name == "" || e.StateName == "" {
				t.Fatalf("accepted a service without a name or state %+v", e)
			}
		}
		// The service-list excerpt never panics and keeps what it was given
		// when it finds no service block.
		if ex := ExcerptService(o.Stdout, "MsDtsServer150"); !strings.Contains(o.Stdout, "SERVICE_NAME:") && ex != o.Stdout {
			t.Fatalf("ExcerptService changed an output without services")
		}
	})
}

func FuzzParseLegacy(f *testing.F) {
	seedFromTestdata(f, "legacy_")
	f.Fuzz(func(t *testing.T, b []byte, exit int) {
		o := Output{Command: "show portopening", Stdout: Decode(b), ExitCode: exit}
		rules, err := ParseLegacy(o)
		checkParseResult(t, o, err)
		if err != nil {
			return
		}
		for _, r := range rules {
			if r.Name == "" || len(r.Profiles) == 0 {
				t.Fatalf("accepted an incomplete rule %+v", r)
			}
			_, _ = Evaluate(Desired{Name: r.Name, Kind: KindProgram, Program: `C:\x.exe`}, rules, Options{Dialect: Legacy})
		}
		_, err = ParseChange(o)
		checkParseResult(t, o, err)
	})
}

func FuzzParseAddresses(f *testing.F) {
	for _, s := range []string{"10.1.2.3/32", "10.0.0.0/255.0.0.0", "10.10.1.2-10.10.2.22", "fe80::1-fe80::1", "2001:db8::/32",
		"LocalSubnet,10.1.1.7/32,192.168.0.0/16", "12AB:0000:0000:CD30::/60", "Any", "dns,dhcp", "1.2.3.4-1.2.3.3", "::/0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		addrs, err := ParseAddresses(s)
		if err != nil {
			return
		}
		sc := Scope{Kind: ScopeCustom, Addresses: addrs}
		// The canonical form parses back to an equal scope, and rendering it
		// on a command line is always safe.
		back, err := ParseAddresses(sc.String())
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", sc.String(), s, err)
		}
		sb := Scope{Kind: ScopeCustom, Addresses: back}
		if sb.String() != sc.String() || !sb.Equal(sc) || !sc.Covers(sb) {
			t.Fatalf("round trip of %q: %q vs %q", s, sc, sb)
		}
		if strings.ContainsAny(sc.String(), unsafeChars+" \t\r\n") {
			t.Fatalf("canonical form %q holds unsafe characters", sc.String())
		}
		for _, a := range addrs {
			if a.Keyword == "" && a.Last.Less(a.First) {
				t.Fatalf("range end before start in %q", s)
			}
		}
	})
}

// scFieldRE is the definition scField implements without a regexp.
var scFieldRE = regexp.MustCompile(`^\s*([A-Z][A-Z0-9_]*)\s*:(?:\s(.*))?$`)

func checkScField(t *testing.T, l string) {
	t.Helper()
	key, val, ok := scField(l)
	m := scFieldRE.FindStringSubmatch(l)
	if ok != (m != nil) || ok && (key != m[1] || val != strings.TrimSpace(m[2])) {
		t.Errorf("scField(%q) = %q, %q, %v; the regexp says %q", l, key, val, ok, m)
	}
}

// TestScFieldIsTheRegexp checks scField against its regexp on the lines
// of real sc output and on the edges of the pattern.
func TestScFieldIsTheRegexp(t *testing.T) {
	for _, l := range []string{
		"SERVICE_NAME: MsDtsServer150", "DISPLAY_NAME: SQL Server Integration Services 15.0",
		"        TYPE               : 10  WIN32_OWN_PROCESS  ", "        STATE              : 4  RUNNING ",
		"                                (STOPPABLE, NOT_PAUSABLE, ACCEPTS_SHUTDOWN)",
		"        WIN32_EXIT_CODE    : 0  (0x0)", "        WAIT_HINT          : 0x0", "KEY:", "KEY :", "KEY:\t",
		"KEY:x", "KEY:\nx", "KEY: a\nb", "KEY: \n", "key: x", "K_1: x", "_K: x", "1K: x", ": x", "", " ", "KEY",
		"KEY\v: x", "\vKEY: x", "KEY:\vx", "KEY: \xff", "KEY:\xc3\xa9", "KEY\xc3: x", "KEY: x\r", "\r\nKEY : v",
	} {
		checkScField(t, l)
	}
}

func FuzzScField(f *testing.F) {
	f.Add("        STATE              : 4  RUNNING ")
	f.Add("SERVICE_NAME: MsDtsServer150")
	f.Add("KEY:\nx")
	f.Fuzz(func(t *testing.T, l string) { checkScField(t, l) })
}
