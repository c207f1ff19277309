package fleet

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
)

// TestLab2000 serves a generated fleet of 2,000 hosts, as `winfleet lab
// --hosts 2000` does, logs how long the start took (no timed assertion),
// and runs `ver` through masterzen/winrm on every host: healthy hosts
// answer with their version, unreachable ones refuse, hanging ones never
// answer, bad-password ones answer 401. (Under -race only every eighth
// compliant host is asked.)
func TestLab2000(t *testing.T) {
	f := Generate(2000, 1)
	start := time.Now()
	lab, err := Serve(context.Background(), f, ServeOptions{Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close()
	t.Logf("serving %d hosts after %v", len(lab.Hosts()), time.Since(start))
	var answered, refused, hung, denied atomic.Int64
	var g errgroup.Group
	g.SetLimit(64)
	for i, h := range lab.Hosts() {
		if raceEnabled && h.Label == LabelCompliant && i%8 != 0 {
			continue // sampled under -race; every host is checked in normal runs
		}
		g.Go(func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			timeout := 20 * time.Second
			if h.Label == FaultHang {
				timeout = 300 * time.Millisecond
			}
			out, _, code, err := masterzenTimeout(t, h, testPassword, timeout).RunCmdWithContext(ctx, "ver")
			switch h.Label {
			case FaultUnreachable:
				if !errors.Is(err, syscall.ECONNREFUSED) {
					t.Errorf("%s (unreachable): %v", h.Name, err)
				}
				refused.Add(1)
			case FaultHang:
				if err == nil {
					t.Errorf("%s (hang) answered", h.Name)
				}
				hung.Add(1)
			case FaultBadPassword:
				if err == nil || !strings.Contains(err.Error(), "401") {
					t.Errorf("%s (bad password): %v", h.Name, err)
				}
				denied.Add(1)
			default:
				if err != nil || code != 0 || out != "\r\nMicrosoft Windows [Version "+h.Windows.Build()+"]\r\n" {
					t.Errorf("%s: (%q, %d, %v)", h.Name, out, code, err)
				}
				answered.Add(1)
			}
			return nil
		})
	}
	_ = g.Wait()
	t.Logf("all hosts checked after %v: %d answered, %d refused, %d hung, %d 401", time.Since(start), answered.Load(), refused.Load(), hung.Load(), denied.Load())
	if n := answered.Load() + refused.Load() + hung.Load() + denied.Load(); !raceEnabled && n != 2000 {
		t.Errorf("not every host was checked")
	}
}

// BenchmarkServe2000 measures the start of a 2,000-host lab (Generate and
// Serve) and its Close.
func BenchmarkServe2000(b *testing.B) {
	for b.Loop() {
		f := Generate(2000, 1)
		lab, err := Serve(context.Background(), f, ServeOptions{Password: testPassword})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		lab.Close()
		b.StartTimer()
	}
}
