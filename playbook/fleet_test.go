package playbook_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/winfleet/winfleet/lab/winsim"
	"github.com/winfleet/winfleet/playbook"
	"github.com/winfleet/winfleet/remote"
	"github.com/winfleet/winfleet/remote/winrmtest"
)

func goodHost(tb testing.TB, name string, opts ...winrmtest.Option) *labHost {
	return startHost(tb, name, winsim.Config{Version: winsim.Win2019, SSIS: []winsim.SSIS{ssis130},
		Rules: []winsim.Rule{rpcRule(), ssisRule("SSIS Service", ssis130)}}, opts...)
}

// TestRoundTrips checks the documented minimum number of round trips
// (WinRM Command requests, one per RunBatch) against the emulator's log.
// Round trip 1 reads discovery (ver, the service list, the SSIS search) and
// every read the common case needs (advfirewall), so a Windows 2008+ host
// is read in one; a 2003 host (legacy dialect, reg.exe without search)
// takes a second, as does a host whose search answer cannot be read.
func TestRoundTrips(t *testing.T) {
	ssis100 := winsim.SSIS{Version: 100}
	modern := winsim.Config{Version: winsim.Win2019, SSIS: []winsim.SSIS{ssis130}}
	w2003 := winsim.Config{Version: winsim.Win2003, SSIS: []winsim.SSIS{ssis100}}
	garbled := modern
	garbled.Faults.Canned = []winsim.Canned{{Match: `^reg query .*MsDtsSrvr\.exe /d$`, Stdout: "\r\nEnde der Suche: 1 Übereinstimmung(en) gefunden.\r\n"}}
	tests := []struct {
		name  string
		host  winsim.Config
		mode  playbook.Mode
		vars  map[string]any
		rules bool
		want  int
	}{
		{"scan, discovery", modern, playbook.ModeScan, nil, true, 1},
		{"scan, dialect known, discovery", modern, playbook.ModeScan, map[string]any{"dialect": "advfirewall"}, true, 1},
		{"scan, sql_version only", modern, playbook.ModeScan, map[string]any{"sql_version": "130"}, true, 1},
		{"scan, sql_version and windows_version", modern, playbook.ModeScan, map[string]any{"sql_version": "130", "windows_version": "2019"}, true, 1},
		{"scan, sql_version and dialect", modern, playbook.ModeScan, map[string]any{"sql_version": "2016", "dialect": "advfirewall"}, true, 1},
		{"scan, search answer unreadable: sc qc", garbled, playbook.ModeScan, nil, true, 2},
		{"scan, 2003: legacy reads and sc qc", w2003, playbook.ModeScan, nil, true, 2},
		{"scan, 2003, dialect known: sc qc", w2003, playbook.ModeScan, map[string]any{"windows_version": "2003"}, true, 2},
		{"scan, 2003, sql_version and dialect", w2003, playbook.ModeScan, map[string]any{"sql_version": "100", "dialect": "legacy"}, true, 1},
		{"apply, compliant host", modern, playbook.ModeApply, nil, true, 1},
		{"apply, drifted host: read, write, verify", modern, playbook.ModeApply, nil, false, 3},
		{"apply, drifted 2003 host: read, read, write, verify", w2003, playbook.ModeApply, nil, false, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := tt.host
			if tt.rules {
				cfg.Rules = []winsim.Rule{rpcRule(), ssisRule("SSIS Service", cfg.SSIS[0])}
			}
			h := startHost(t, "sql01", cfg)
			r := playbook.Run(t.Context(), builtin(t), []playbook.Target{h.target(tt.vars)}, remoteDialer{}, playbook.Options{Mode: tt.mode})[0]
			if failed(r.Status) {
				t.Fatalf("status %s: %s", r.Status, r.Reason)
			}
			if tt.rules && r.Status != playbook.StatusCompliant {
				t.Errorf("status %s (%s), want compliant", r.Status, r.Reason)
			}
			if got := h.commands(); got != tt.want {
				var lines []string
				for _, q := range h.srv.Log() {
					lines = append(lines, string(q.Op)+" "+q.CommandLine)
				}
				t.Errorf("round trips = %d, want %d\n%s", got, tt.want, strings.Join(lines, "\n"))
			}
		})
	}
}

func failed(s playbook.Status) bool {
	switch s {
	case playbook.StatusCompliant, playbook.StatusNoncompliant, playbook.StatusChanged, playbook.StatusWouldChange:
		return false
	}
	return true
}

// TestFaultyHosts puts every kind of broken host next to healthy ones: each
// ends with its own status, and none holds up the others beyond its budget.
func TestFaultyHosts(t *testing.T) {
	const budget = 5 * time.Second
	refused := goodHost(t, "refused", winrmtest.WithFaults(winrmtest.Faults{RefuseConnections: true}))
	badpw := goodHost(t, "badpw", winrmtest.WithFaults(winrmtest.Faults{Unauthorized: true}))
	hang := goodHost(t, "hang", winrmtest.WithFaults(winrmtest.Faults{NoAnswer: true}))
	hangRecv := goodHost(t, "hangrecv", winrmtest.WithFaults(winrmtest.Faults{HangReceive: true}))
	notAdmin := startHost(t, "notadmin", winsim.Config{Version: winsim.Win2019, SSIS: []winsim.SSIS{ssis130}, Faults: winsim.Faults{NotElevated: true}})
	fwStopped := startHost(t, "fwstopped", winsim.Config{Version: winsim.Win2019, SSIS: []winsim.SSIS{ssis130}, Faults: winsim.Faults{FirewallStopped: true}})
	ok1, ok2 := goodHost(t, "ok1"), goodHost(t, "ok2")
	hosts := []*labHost{refused, badpw, hang, hangRecv, notAdmin, fwStopped, ok1, ok2}
	want := map[string]playbook.Status{
		"refused": "unreachable", "badpw": "auth_failed", "hang": "timeout", "hangrecv": "timeout",
		"notadmin": "error", "fwstopped": "error", "ok1": "compliant", "ok2": "compliant",
	}
	wantReason := map[string]string{"notadmin": "not elevated: winfleet needs an administrator session", "fwstopped": "Windows Firewall service"}
	var ts []playbook.Target
	for _, h := range hosts {
		ts = append(ts, h.target(nil))
	}
	for _, mode := range []playbook.Mode{playbook.ModeScan, playbook.ModeApply} {
		t.Run(string(mode), func(t *testing.T) {
			start := time.Now()
			rs := playbook.Run(t.Context(), builtin(t), ts, remoteDialer{opts: remote.Options{ConnectTimeout: time.Second}},
				playbook.Options{Mode: mode, Forks: 3, HostTimeout: budget})
			wall := time.Since(start)
			for _, r := range rs {
				if r.Status != want[r.Host] {
					t.Errorf("%s: status %s (%s), want %s", r.Host, r.Status, r.Reason, want[r.Host])
				}
				if w := wantReason[r.Host]; w != "" && !strings.Contains(r.Reason, w) {
					t.Errorf("%s: reason %q, want it to mention %q", r.Host, r.Reason, w)
				}
				if failed(r.Status) && r.Err == nil {
					t.Errorf("%s: %s without an error", r.Host, r.Status)
				}
				// A healthy host that waited for a hung one would have run out
				// of its own budget and ended timeout: compliant proves it
				// was not held up.
			}
			for _, h := range []*labHost{notAdmin, fwStopped} {
				if n := h.writes(); n != 0 {
					t.Errorf("%s: %d writes on a host that cannot be changed", h.name, n)
				}
			}
			// 8 hosts, 3 forks, the two hung hosts take at most budget plus
			// the close allowance each: a generous bound on a hang.
			if wall > 4*budget+10*time.Second {
				t.Errorf("run took %s", wall)
			}
		})
	}
	for _, h := range hosts {
		if h.name == "refused" || h.name == "hang" || h.name == "hangrecv" {
			continue
		}
		if n := h.srv.OpenShells(); n != 0 {
			t.Errorf("%s: %d shells left open", h.name, n)
		}
	}
}

// TestCanaryStopsRollout: a failed first batch stops the rollout and the
// later batches are skipped without a single request to their hosts.
func TestCanaryStopsRollout(t *testing.T) {
	canary := goodHost(t, "canary", winrmtest.WithFaults(winrmtest.Faults{RefuseConnections: true}))
	rest := []*labHost{goodHost(t, "b1"), goodHost(t, "b2"), goodHost(t, "b3"), goodHost(t, "b4")}
	ts := []playbook.Target{canary.target(nil)}
	for _, h := range rest {
		ts = append(ts, h.target(nil))
	}
	serial, err := playbook.ParseSerial("1,10%,100%")
	if err != nil {
		t.Fatal(err)
	}
	var events []playbook.Event
	rs := playbook.Run(t.Context(), builtin(t), ts, remoteDialer{}, playbook.Options{
		Mode: playbook.ModeApply, Forks: 5, Serial: serial, MaxFailPercent: 0,
		Events: func(e playbook.Event) { events = append(events, e) },
	})
	if rs[0].Status != playbook.StatusUnreachable {
		t.Errorf("canary: %s (%s), want unreachable", rs[0].Status, rs[0].Reason)
	}
	for i, h := range rest {
		if rs[i+1].Status != playbook.StatusSkipped {
			t.Errorf("%s: %s, want skipped", h.name, rs[i+1].Status)
		}
		if n := len(h.srv.Log()); n != 0 {
			t.Errorf("%s: skipped host got %d requests", h.name, n)
		}
	}
	var kinds []string
	for _, e := range events {
		kinds = append(kinds, e.Kind.String())
	}
	got := strings.Join(kinds, ",")
	want := "batch_started,host_started,host_finished,rollout_stopped,host_finished,host_finished,host_finished,host_finished"
	if got != want {
		t.Errorf("events = %s\nwant     %s", got, want)
	}
}

// TestCancel cancels a run with hosts in flight and hosts waiting: every
// host ends with a status and no shell stays open on any host.
func TestCancel(t *testing.T) {
	for _, grace := range []time.Duration{0, 30 * time.Second} {
		t.Run(fmt.Sprintf("grace %s", grace), func(t *testing.T) {
			var hosts []*labHost
			var ts []playbook.Target
			for i := range 8 {
				h := startHost(t, fmt.Sprintf("slow%d", i), winsim.Config{Version: winsim.Win2019, SSIS: []winsim.SSIS{ssis130},
					Faults: winsim.Faults{Latency: 200 * time.Millisecond}})
				hosts = append(hosts, h)
				ts = append(ts, h.target(nil))
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			var mu sync.Mutex
			started := 0
			rs := playbook.Run(ctx, builtin(t), ts, remoteDialer{}, playbook.Options{
				Mode: playbook.ModeApply, Forks: 3, Grace: grace,
				Events: func(e playbook.Event) {
					mu.Lock()
					defer mu.Unlock()
					if e.Kind == playbook.HostStarted {
						if started++; started == 3 {
							cancel()
						}
					}
				},
			})
			cancelled := 0
			for _, r := range rs {
				switch r.Status {
				case playbook.StatusCancelled:
					cancelled++
					if r.Reason == "" {
						t.Errorf("%s: cancelled without a reason", r.Host)
					}
				case playbook.StatusChanged:
					if grace == 0 {
						t.Errorf("%s: changed after cancellation without grace", r.Host)
					}
				default:
					t.Errorf("%s: status %q (%s)", r.Host, r.Status, r.Reason)
				}
			}
			if cancelled < 5 {
				t.Errorf("%d hosts cancelled, want at least the 5 not started", cancelled)
			}
			for _, h := range hosts {
				if n := h.srv.OpenShells(); n != 0 {
					t.Errorf("%s: %d shells left open", h.name, n)
					for _, q := range h.srv.Log() {
						t.Logf("  %s %s %s status=%d shell=%s note=%s dur=%s", q.Time.Format("15:04:05.000"), q.Op, q.CommandLine, q.Status, q.ShellID, q.Note, q.Duration)
					}
				}
				// Cancellation comes while the first hosts are still reading
				// (each command takes 200ms), and no change starts after it.
				if n := h.writes(); n != 0 {
					t.Errorf("%s: %d writes after cancellation", h.name, n)
				}
			}
		})
	}
}

// BenchmarkScan1000 scans 1,000 emulated hosts with 20 ms of latency on
// every WinRM request at forks=200, once with SSIS discovery (2 round trips)
// and once with sql_version and windows_version in the inventory (1 round
// trip). It reports the wall time against the ideal (batches × requests per
// host × latency: a perfectly overlapped schedule limited only by latency)
// and the CPU time per host (this process: client, emulator and simulated
// hosts together).
//
//	go test -run '^$' -bench Scan1000 -benchtime 1x ./playbook/
func BenchmarkScan1000(b *testing.B) {
	const n, forks, latency = 1000, 200, 20 * time.Millisecond
	hosts := make([]*labHost, n)
	for i := range hosts {
		hosts[i] = goodHost(b, fmt.Sprintf("sql%04d", i), winrmtest.WithFaults(winrmtest.Faults{Latency: latency}))
	}
	pb := builtin(b)
	for _, bc := range []struct {
		name string
		vars map[string]any
	}{
		{"discover", nil},
		{"vars-known", map[string]any{"sql_version": "130", "windows_version": "10.0.17763"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ts := make([]playbook.Target, n)
			for i, h := range hosts {
				ts[i] = h.target(bc.vars)
			}
			var wall, cpu time.Duration
			for b.Loop() {
				for _, h := range hosts {
					h.srv.ResetLog()
				}
				c0 := cpuTime()
				start := time.Now()
				rs := playbook.Run(b.Context(), pb, ts, remoteDialer{}, playbook.Options{Mode: playbook.ModeScan, Forks: forks, HostTimeout: time.Minute})
				wall += time.Since(start)
				cpu += cpuTime() - c0
				var durs []time.Duration
				for _, r := range rs {
					if r.Status != playbook.StatusCompliant {
						b.Fatalf("%s: %s (%s)", r.Host, r.Status, r.Reason)
					}
					durs = append(durs, r.Duration)
				}
				slices.Sort(durs)
				b.ReportMetric(float64(durs[len(durs)/2].Milliseconds()), "host-p50-ms")
				b.ReportMetric(float64(durs[len(durs)-1].Milliseconds()), "host-max-ms")
			}
			reqs, rts := 0, 0
			for _, h := range hosts {
				reqs += len(h.srv.Log())
				rts += h.commands()
			}
			perHost := float64(reqs) / n
			batches := (n + forks - 1) / forks
			ideal := time.Duration(float64(batches) * perHost * float64(latency))
			iters := time.Duration(b.N)
			b.ReportMetric(float64((wall / iters).Milliseconds()), "wall-ms")
			b.ReportMetric(float64(ideal.Milliseconds()), "ideal-ms")
			b.ReportMetric(float64(wall/iters)/float64(ideal), "wall/ideal")
			b.ReportMetric(perHost, "requests/host")
			b.ReportMetric(float64(rts)/n, "roundtrips/host")
			b.ReportMetric(float64((cpu/iters).Microseconds())/n, "cpu-µs/host")
		})
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
