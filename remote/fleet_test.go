package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/winfleet/winfleet/remote/winrmtest"
)

// TestManyClients runs 300 clients at once, as a fleet run would: most
// against a healthy host, some against a host that drops every Receive and
// some against one that never answers (with a budget). Every client gets
// the right outcome, no shell is left anywhere, and (TestMain) no goroutine
// outlives the test. Run it with -race.
func TestManyClients(t *testing.T) {
	const clients = 300
	healthy := startServer(t, winrmtest.WithMaxShellsPerUser(clients))
	dropping := startServer(t, winrmtest.WithMaxShellsPerUser(clients), winrmtest.WithFaults(winrmtest.Faults{DropReceive: true}))
	hanging := startServer(t, winrmtest.WithFaults(winrmtest.Faults{NoAnswer: true}))
	opts := Options{CleanupTimeout: 30 * time.Second} // 300 Deletes at once on a loaded CI machine

	errs := make([]error, clients)
	var g errgroup.Group
	for i := range clients {
		g.Go(func() error {
			errs[i] = oneClient(t.Context(), i, []*winrmtest.Server{healthy, dropping, hanging}, opts)
			return nil
		})
	}
	_ = g.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("client %d: %v", i, err)
		}
	}
	for name, srv := range map[string]*winrmtest.Server{"healthy": healthy, "dropping": dropping} {
		if n := srv.OpenShells(); n != 0 {
			t.Errorf("%s server has %d open shells, want 0", name, n)
		}
	}
}

// oneClient plays one host's part of a fleet run and checks its outcome.
// Every tenth client meets the dropping host, every tenth+1 the hanging one.
func oneClient(ctx context.Context, i int, srvs []*winrmtest.Server, o Options) error {
	srv, want := srvs[0], error(nil)
	switch i % 10 {
	case 1:
		srv, want = srvs[1], ErrUnreachable
	case 2:
		srv, want = srvs[2], ErrTimeout
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Second)
		defer cancel()
	}
	c, err := Dial(ctx, targetFor(srv), o)
	if err != nil {
		if want != nil && errors.Is(err, want) {
			return nil // the budget can run out before Dial on a loaded machine
		}
		return err
	}
	defer c.Close(ctx)
	for j := range 2 {
		var out bytes.Buffer
		text := fmt.Sprintf("client %d command %d", i, j)
		code, err := c.Run(ctx, "echo "+text, &out, nil)
		if want != nil {
			if !errors.Is(err, want) {
				return fmt.Errorf("Run = %v, want %v", err, want)
			}
			return nil
		}
		if err != nil || code != 0 || out.String() != text+"\r\n" {
			return fmt.Errorf("Run = %d, %q, %v", code, out.String(), err)
		}
	}
	return nil
}

// cpuTime is the CPU time (user+system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
