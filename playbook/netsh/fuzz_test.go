package netsh

import (
	"errors"
	"os"
	"path/filepath"
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
