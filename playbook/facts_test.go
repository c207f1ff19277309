package playbook_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/winfleet/winfleet/lab/winsim"
	"github.com/winfleet/winfleet/playbook"
)

// memFacts is a FactCache in memory.
type memFacts struct {
	mu sync.Mutex
	m  map[string]playbook.HostFacts
}

func (c *memFacts) Facts(host string) (playbook.HostFacts, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f, ok := c.m[host]
	return f, ok
}

func (c *memFacts) Remember(host string, f playbook.HostFacts) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]playbook.HostFacts{}
	}
	c.m[host] = f
}

// TestFactCache checks that cached facts only decide what the first round
// trip reads: a host whose facts held is done in one round trip, and with
// any cache — right, stale, empty or hostile — every result is the one a run
// without a cache gets. A Windows 2008+ host needs no cache for one round
// trip (the SSIS search and the advfirewall guess do it); a legacy host
// (2003: its dialect and reg.exe are not the guess) needs it, and so does a
// host whose SSIS rules are read by name (block_scan: false).
func TestFactCache(t *testing.T) {
	ssis150D := winsim.SSIS{Version: 150, Root: `D:\Program Files\Microsoft SQL Server`}
	modern := winsim.Config{Version: winsim.Win2019, SSIS: []winsim.SSIS{ssis130, ssis150D},
		Rules: []winsim.Rule{rpcRule(), ssisRule("SSIS Service 130", ssis130)}}
	ssis90 := winsim.SSIS{Version: 90}
	ssis100 := winsim.SSIS{Version: 100}
	w2003 := winsim.Config{Version: winsim.Win2003, SSIS: []winsim.SSIS{ssis90, ssis100},
		Rules: []winsim.Rule{rpcRule(), ssisRule("SSIS Service 90", ssis90)}}
	found := playbook.HostFacts{Dialect: "advfirewall", SSISKnown: true, SSISServices: []string{"MsDtsServer130", "MsDtsServer150"}}
	found2003 := playbook.HostFacts{Dialect: "legacy", SSISKnown: true, SSISServices: []string{"MsDtsServer", "MsDtsServer100"}}
	elsewhere := found2003
	elsewhere.Address = "127.0.0.1:1" // the name pointed at another host then
	tests := []struct {
		name   string
		host   winsim.Config
		mode   playbook.Mode
		cached *playbook.HostFacts
		want   int  // round trips
		byName bool // block_scan: false: SSIS rules are read by names that depend on the versions
	}{
		{"2019 scan, no cache entry", modern, playbook.ModeScan, nil, 1, false},
		{"2019 scan, facts held", modern, playbook.ModeScan, &found, 1, false},
		{"2019 scan, SSIS upgraded since", modern, playbook.ModeScan, &playbook.HostFacts{Dialect: "advfirewall", SSISKnown: true, SSISServices: []string{"MsDtsServer130", "MsDtsServer140"}}, 1, false},
		{"2019 scan, SSIS removed since", modern, playbook.ModeScan, &playbook.HostFacts{Dialect: "advfirewall", SSISKnown: true}, 1, false},
		{"2019 scan, dialect wrong", modern, playbook.ModeScan, &playbook.HostFacts{Dialect: "legacy", SSISKnown: true, SSISServices: found.SSISServices}, 2, false},
		{"2019 scan, hostile service name", modern, playbook.ModeScan, &playbook.HostFacts{Dialect: "advfirewall", SSISKnown: true, SSISServices: []string{"MsDtsServer130 & calc"}}, 1, false},
		{"2019 scan, hostile dialect", modern, playbook.ModeScan, &playbook.HostFacts{Dialect: "advfirewall & calc", SSISKnown: true, SSISServices: found.SSISServices}, 1, false},
		{"2019 apply, facts held: read, write, verify", modern, playbook.ModeApply, &found, 3, false},
		{"2019 apply, no cache entry: read, write, verify", modern, playbook.ModeApply, nil, 3, false},
		{"2019 scan by name, no cache entry", modern, playbook.ModeScan, nil, 2, true},
		{"2019 scan by name, facts held", modern, playbook.ModeScan, &found, 1, true},
		{"2019 scan by name, SSIS added since", modern, playbook.ModeScan, &playbook.HostFacts{Dialect: "advfirewall", SSISKnown: true, SSISServices: []string{"MsDtsServer130"}}, 2, true},
		{"2003 scan, no cache entry", w2003, playbook.ModeScan, nil, 2, false},
		{"2003 scan, facts held", w2003, playbook.ModeScan, &found2003, 1, false},
		{"2003 scan, SSIS upgraded since", w2003, playbook.ModeScan, &playbook.HostFacts{Dialect: "legacy", SSISKnown: true, SSISServices: []string{"MsDtsServer"}}, 2, false},
		{"2003 scan, SSIS removed since", w2003, playbook.ModeScan, &playbook.HostFacts{Dialect: "legacy", SSISKnown: true}, 2, false},
		{"2003 scan, dialect wrong", w2003, playbook.ModeScan, &playbook.HostFacts{Dialect: "advfirewall", SSISKnown: true, SSISServices: found2003.SSISServices}, 2, false},
		{"2003 scan, SSIS not looked for", w2003, playbook.ModeScan, &playbook.HostFacts{Dialect: "legacy"}, 2, false},
		{"2003 scan, hostile service name", w2003, playbook.ModeScan, &playbook.HostFacts{Dialect: "legacy", SSISKnown: true, SSISServices: []string{"MsDtsServer100 & calc"}}, 2, false},
		{"2003 scan, facts of another address", w2003, playbook.ModeScan, &elsewhere, 2, false},
		{"2003 scan, hostile dialect", w2003, playbook.ModeScan, &playbook.HostFacts{Dialect: "legacy & calc", SSISKnown: true, SSISServices: found2003.SSISServices}, 2, false},
		{"2003 apply, facts held: read, write, verify", w2003, playbook.ModeApply, &found2003, 3, false},
		{"2003 apply, no cache entry: read, read, write, verify", w2003, playbook.ModeApply, nil, 4, false},
	}
	// What a run without a cache finds, per host and mode.
	type key struct {
		v      winsim.Version
		mode   playbook.Mode
		byName bool
	}
	vars := func(byName bool) map[string]any {
		if byName {
			return map[string]any{"block_scan": false}
		}
		return nil
	}
	want := map[key]playbook.HostResult{}
	for _, k := range []key{{winsim.Win2019, playbook.ModeScan, false}, {winsim.Win2019, playbook.ModeApply, false},
		{winsim.Win2019, playbook.ModeScan, true}, {winsim.Win2003, playbook.ModeScan, false}, {winsim.Win2003, playbook.ModeApply, false}} {
		cfg := modern
		if k.v == winsim.Win2003 {
			cfg = w2003
		}
		h := startHost(t, "sql01", cfg)
		r := playbook.Run(t.Context(), builtin(t), []playbook.Target{h.target(vars(k.byName))}, remoteDialer{}, playbook.Options{Mode: k.mode})[0]
		if failed(r.Status) {
			t.Fatalf("%+v without a cache: %s: %s", k, r.Status, r.Reason)
		}
		want[k] = r
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := startHost(t, "sql01", tt.host)
			c := &memFacts{}
			if tt.cached != nil {
				f := *tt.cached
				if f.Address == "" {
					f.Address = h.srv.Addr()
				}
				c.Remember("sql01", f)
			}
			got := playbook.Run(t.Context(), builtin(t), []playbook.Target{h.target(vars(tt.byName))}, remoteDialer{}, playbook.Options{Mode: tt.mode, Facts: c})[0]
			opts := cmp.Options{cmpopts.IgnoreFields(playbook.HostResult{}, "Address", "Duration", "Err"), cmpopts.IgnoreFields(playbook.CheckResult{}, "Err"),
				cmpopts.IgnoreUnexported(playbook.CheckResult{})}
			if d := cmp.Diff(want[key{tt.host.Version, tt.mode, tt.byName}], got, opts); d != "" {
				t.Errorf("result differs from a run without a cache (-without +with):\n%s", d)
			}
			if n := h.commands(); n != tt.want {
				t.Errorf("round trips = %d, want %d", n, tt.want)
			}
			for _, inv := range h.sim.Log() {
				if strings.Contains(inv.Line, "calc") {
					t.Errorf("a cached value reached the host: %q", inv.Line)
				}
			}
			want := found
			if tt.host.Version == winsim.Win2003 {
				want = found2003
			}
			want.Address = h.srv.Addr()
			if f, _ := c.Facts("sql01"); !cmp.Equal(f, want) {
				t.Errorf("remembered %+v, want %+v", f, want)
			}
		})
	}
}
