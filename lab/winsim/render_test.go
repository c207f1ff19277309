package winsim

import (
	"context"
	"strings"
	"testing"
	"unsafe"
)

func execOut(t *testing.T, h *Host, line string) string {
	t.Helper()
	var out strings.Builder
	h.Exec(context.Background(), line, &out, &out)
	return out.String()
}

// TestRenderCacheWriteThenRead: the listings a host caches show each write
// on the next read, and an unchanged host prints the same bytes again.
func TestRenderCacheWriteThenRead(t *testing.T) {
	const (
		show = `netsh advfirewall firewall show rule name=all dir=in verbose`
		sc   = `sc query type= service state= all`
	)
	for _, pool := range []*RenderPool{nil, NewRenderPool()} {
		h := MustNew(Config{Version: Win2019, BuiltinRules: true, SSIS: []SSIS{{Version: 150}}, Renders: pool})
		rules0, svcs0 := execOut(t, h, show), execOut(t, h, sc)
		if again := execOut(t, h, show); again != rules0 {
			t.Fatalf("second show differs from the first:\n%s\n----\n%s", again, rules0)
		}
		steps := []struct {
			write, read string
			want        []string // in the read's output after the write
			not         []string // not in it
		}{
			{`netsh advfirewall firewall add rule name=CacheProbe dir=in action=allow protocol=TCP localport=4711`, show,
				[]string{"CacheProbe", "4711"}, nil},
			{`netsh advfirewall firewall set rule name=CacheProbe new localport=4712`, show,
				[]string{"4712"}, []string{"4711"}},
			{`netsh advfirewall firewall delete rule name=CacheProbe`, show, nil, []string{"CacheProbe"}},
			{`sc stop MsDtsServer150`, sc, nil, nil},
			{`sc start MsDtsServer150`, sc, nil, nil},
		}
		for _, st := range steps {
			before := execOut(t, h, st.read)
			execOut(t, h, st.write)
			after := execOut(t, h, st.read)
			for _, w := range st.want {
				if !strings.Contains(after, w) {
					t.Errorf("after %q, %q does not show %q", st.write, st.read, w)
				}
			}
			for _, w := range st.not {
				if strings.Contains(after, w) {
					t.Errorf("after %q, %q still shows %q", st.write, st.read, w)
				}
			}
			if st.read == sc {
				// The service's state block changes between the two.
				if before == after {
					t.Errorf("after %q, %q shows the same services", st.write, st.read)
				}
			}
		}
		// Back where it started: the same bytes as a fresh rendering.
		if got := execOut(t, h, show); got != rules0 {
			t.Errorf("show after add+set+delete differs from the start")
		}
		if got := execOut(t, h, sc); got != svcs0 {
			t.Errorf("sc query after stop+start differs from the start")
		}
		// A cached listing equals what an uncached host prints for the same state.
		fresh := MustNew(Config{Version: Win2019, BuiltinRules: true, SSIS: []SSIS{{Version: 150}}})
		execOut(t, h, `netsh advfirewall set allprofiles state off`)
		execOut(t, fresh, `netsh advfirewall set allprofiles state off`)
		if a, b := execOut(t, h, show), execOut(t, fresh, show); a != b {
			t.Errorf("cached host and fresh host differ")
		}
	}
}

// TestRenderCacheKeys: different selections of the same state are kept
// apart, and more selections than the cache holds still answer right.
func TestRenderCacheKeys(t *testing.T) {
	h := MustNew(Config{Version: Win2019, BuiltinRules: true, SSIS: []SSIS{{Version: 150}}})
	lines := []string{
		`netsh advfirewall firewall show rule name=all dir=in verbose`,
		`netsh advfirewall firewall show rule name=all dir=in`,
		`netsh advfirewall firewall show rule name=all dir=out`,
		`netsh advfirewall firewall show rule name=all`,
		`netsh advfirewall firewall show rule name=nosuchrule`,
		`netsh advfirewall firewall show rule name=all dir=sideways`,
		`sc query type= service state= all`,
		`sc query type= service`,
		`sc query state= inactive`,
	}
	want := make([]string, len(lines))
	for i, l := range lines {
		want[i] = execOut(t, MustNew(Config{Version: Win2019, BuiltinRules: true, SSIS: []SSIS{{Version: 150}}}), l)
	}
	for round := range 3 {
		for i, l := range lines {
			if got := execOut(t, h, l); got != want[i] {
				t.Errorf("round %d: %q differs from an uncached host's answer", round, l)
			}
		}
	}
}

// TestRenderPoolShares: hosts in the same state share one copy of a listing.
func TestRenderPoolShares(t *testing.T) {
	pool := NewRenderPool()
	cfg := Config{Version: Win2019, BuiltinRules: true, Renders: pool}
	a, b := MustNew(cfg), MustNew(cfg)
	const show = `netsh advfirewall firewall show rule name=all dir=in verbose`
	execOut(t, a, show)
	execOut(t, b, show)
	a.mu.Lock()
	ka, _, oka := a.cached(showKey([]param{{"name", "all"}, {"dir", "in"}, {"", "verbose"}}))
	a.mu.Unlock()
	b.mu.Lock()
	kb, _, okb := b.cached(showKey([]param{{"name", "all"}, {"dir", "in"}, {"", "verbose"}}))
	b.mu.Unlock()
	if !oka || !okb {
		t.Fatalf("listing not cached: %v %v", oka, okb)
	}
	if unsafe.StringData(ka) != unsafe.StringData(kb) {
		t.Errorf("two hosts in the same state keep two copies of the listing")
	}
}
