package playbook_test

import (
	"context"
	"net"
	"strconv"
	"testing"

	"github.com/winfleet/winfleet/inventory"
	"github.com/winfleet/winfleet/lab/winsim"
	"github.com/winfleet/winfleet/playbook"
	"github.com/winfleet/winfleet/remote"
	"github.com/winfleet/winfleet/remote/session"
	"github.com/winfleet/winfleet/remote/winrmtest"
)

// labHost is one simulated Windows host behind its own WinRM emulator.
type labHost struct {
	name string
	sim  *winsim.Host
	srv  *winrmtest.Server
}

func (h *labHost) target(vars map[string]any) playbook.Target {
	return playbook.Target{Name: h.name, Address: h.srv.Addr(), Vars: inventory.VarsFrom("inventory.yml", vars)}
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

// remoteDialer adapts *remote.Client to playbook.Dialer through the CLI's
// transport adapter (remote/session), with the emulator's credentials.
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
		return nil, session.Classify(err)
	}
	return session.New(c), nil
}

func builtin(tb testing.TB) *playbook.Playbook {
	tb.Helper()
	pb, err := playbook.Builtin("ssis-firewall")
	if err != nil {
		tb.Fatal(err)
	}
	return pb
}
