package playbook_test

import (
	"context"
	"net"
	"strconv"
	"testing"

	"github.com/winfleet/winfleet/playbook"
	"github.com/winfleet/winfleet/remote"
	"github.com/winfleet/winfleet/remote/winrmtest"
	"github.com/winfleet/winfleet/lab/winsim"
)

// labHost is one simulated Windows host behind its own WinRM emulator.
type labHost struct {
	name string
	sim  *winsim.Host
	srv  *winrmtest.Server
}

func (h *labHost) target(vars map[string]any) playbook.Target {
	return playbook.Target{Name: h.name, Address: h.srv.Addr(), Vars: vars}
}

// commands counts the Command requests the server received: one per
// RunBatch round trip.
func (h *labHost) commands() int {
	n := 0
	for _, r := range h.srv.Log() {
		if r.Op == winrmtest.OpCommand {
			n++
		}
	}
	return n
}

// writes counts the state-changing programs the host ran.
func (h *labHost) writes() int {
	n := 0
	for _, inv := range h.sim.Log() {
		if inv.Write {
			n++
		}
	}
	return n
}

func startHost(tb testing.TB, name string, cfg winsim.Config, opts ...winrmtest.Option) *labHost {
	tb.Helper()
	if cfg.ComputerName == "" {
		cfg.ComputerName = name
	}
	sim, err := winsim.New(cfg)
	if err != nil {
		tb.Fatalf("winsim.New(%s): %v", name, err)
	}
	srv, err := winrmtest.Start(sim, opts...)
	if err != nil {
		tb.Fatalf("winrmtest.Start(%s): %v", name, err)
	}
	tb.Cleanup(srv.Close)
	return &labHost{name: name, sim: sim, srv: srv}
}

// remoteDialer adapts *remote.Client to playbook.Dialer, as the CLI does.
type remoteDialer struct{ opts remote.Options }

func (d remoteDialer) Dial(ctx context.Context, t playbook.Target) (playbook.Session, error) {
	host, ps, err := net.SplitHostPort(t.Address)
	if err != nil {
		return nil, err
	}
	port, _ := strconv.Atoi(ps)
	c, err := remote.Dial(ctx, remote.Target{
		Host: host, Port: port, User: winrmtest.DefaultUser, Password: winrmtest.DefaultPassword, AllowUnencrypted: true,
	}, d.opts)
	if err != nil {
		return nil, err
	}
	return remoteSession{c}, nil
}

type remoteSession struct{ c *remote.Client }

func (s remoteSession) RunBatch(ctx context.Context, cmds []string) ([]playbook.Output, error) {
	rs, err := s.c.RunBatch(ctx, cmds)
	if err != nil {
		return nil, err
	}
	out := make([]playbook.Output, len(rs))
	for i, r := range rs {
		out[i] = playbook.Output{Stdout: r.Stdout, Stderr: r.Stderr, ExitCode: r.ExitCode}
	}
	return out, nil
}

func (s remoteSession) Close(ctx context.Context) error { return s.c.Close(ctx) }

func builtin(tb testing.TB) *playbook.Playbook {
	tb.Helper()
	pb, err := playbook.Builtin("ssis-firewall")
	if err != nil {
		tb.Fatal(err)
	}
	return pb
}
