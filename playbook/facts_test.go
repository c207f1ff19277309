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
// without a cache gets.
func TestFactCache(t *testing.T) {
	ssis150D := winsim.SSIS{Version: 150, Root: `D:\Program Files\Microsoft SQL Server`}
	host := winsim.Config{Version: winsim.Win2019, SSIS: []winsim.SSIS{ssis130, ssis150D},
		Rules: []winsim.Rule{rpcRule(), ssisRule("SSIS Service 130", ssis130)}}
	found := playbook.HostFacts{Dialect: "advfirewall", SSISKnown: true, SSISServices: []string{"MsDtsServer130", "MsDtsServer150"}}
	elsewhere := found
	elsewhere.Address = "127.0.0.1:1" // the name pointed at another host then
	tests := []struct {
		name   string
		mode   playbook.Mode
		cached *playbook.HostFacts
		want   int // round trips
	}{
		{"scan, no cache entry", playbook.ModeScan, nil, 2},
		{"scan, facts held", playbook.ModeScan, &found, 1},
		{"scan, SSIS upgraded since", playbook.ModeScan, &playbook.HostFacts{Dialect: "advfirewall", SSISKnown: true, SSISServices: []string{"MsDtsServer130", "MsDtsServer140"}}, 2},
		{"scan, SSIS removed since", playbook.ModeScan, &playbook.HostFacts{Dialect: "advfirewall", SSISKnown: true}, 2},
		{"scan, dialect wrong", playbook.ModeScan, &playbook.HostFacts{Dialect: "legacy", SSISKnown: true, SSISServices: found.SSISServices}, 2},
		{"scan, SSIS not looked for", playbook.ModeScan, &playbook.HostFacts{Dialect: "advfirewall"}, 2},
		{"scan, hostile service name", playbook.ModeScan, &playbook.HostFacts{Dialect: "advfirewall", SSISKnown: true, SSISServices: []string{"MsDtsServer130 & calc"}}, 2},
		{"scan, facts of another address", playbook.ModeScan, &elsewhere, 2},
		{"scan, hostile dialect", playbook.ModeScan, &playbook.HostFacts{Dialect: "advfirewall & calc", SSISKnown: true, SSISServices: found.SSISServices}, 2},
		{"apply, facts held: read, write, verify", playbook.ModeApply, &found, 3},
		{"apply, no cache entry: read, read, write, verify", playbook.ModeApply, nil, 4},
	}
	// What a run without a cache finds, per mode.
	want := map[playbook.Mode]playbook.HostResult{}
	for _, mode := range []playbook.Mode{playbook.ModeScan, playbook.ModeApply} {
		h := startHost(t, "sql01", host)
		want[mode] = playbook.Run(t.Context(), builtin(t), []playbook.Target{h.target(nil)}, remoteDialer{}, playbook.Options{Mode: mode})[0]
		if failed(want[mode].Status) {
			t.Fatalf("%s without a cache: %s: %s", mode, want[mode].Status, want[mode].Reason)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := startHost(t, "sql01", host)
			c := &memFacts{}
			if tt.cached != nil {
				f := *tt.cached
				if f.Address == "" {
					f.Address = h.srv.Addr()
				}
				c.Remember("sql01", f)
			}
			got := playbook.Run(t.Context(), builtin(t), []playbook.Target{h.target(nil)}, remoteDialer{}, playbook.Options{Mode: tt.mode, Facts: c})[0]
			opts := cmp.Options{cmpopts.IgnoreFields(playbook.HostResult{}, "Address", "Duration", "Err"), cmpopts.IgnoreFields(playbook.CheckResult{}, "Err"),
				cmpopts.IgnoreUnexported(playbook.CheckResult{})}
			if d := cmp.Diff(want[tt.mode], got, opts); d != "" {
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
			want.Address = h.srv.Addr()
			if f, _ := c.Facts("sql01"); !cmp.Equal(f, want) {
				t.Errorf("remembered %+v, want %+v", f, want)
			}
		})
	}
}
