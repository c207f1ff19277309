package remote

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/winfleet/winfleet/remote/winrmtest"
)

// startNTLMServer serves the Windows default: Negotiate only, message
// encryption required over HTTP.
func startNTLMServer(t testing.TB, opts ...winrmtest.Option) *winrmtest.Server {
	t.Helper()
	return startServer(t, append([]winrmtest.Option{winrmtest.WithNTLM(), winrmtest.WithBasicAuth(false), winrmtest.WithAllowUnencrypted(false)}, opts...)...)
}

func ntlmTarget(srv *winrmtest.Server) Target {
	tg := targetFor(srv)
	tg.Transport = TransportNTLM
	tg.AllowUnencrypted = false
	return tg
}

// TestNTLM runs commands over NTLM with message encryption on plain HTTP
// through remote/ntlmhttp: the handshake happens once per connection, not
// once per message as with masterzen's Encryption transport.
func TestNTLM(t *testing.T) {
	srv := startNTLMServer(t)
	c := dialT(t, ntlmTarget(srv), Options{})
	const n = 4
	for i := range n {
		var out strings.Builder
		code, err := c.Run(t.Context(), fmt.Sprintf("echo ntlm %d", i), &out, nil)
		if err != nil || code != 0 || out.String() != fmt.Sprintf("ntlm %d\r\n", i) {
			t.Fatalf("Run %d = %d, %q, %v", i, code, out.String(), err)
		}
	}
	closeAndCheck(t, c, srv)
	ops := countOps(srv)
	if ops[winrmtest.OpCreate] != 1 || ops[winrmtest.OpDelete] != 1 || ops[winrmtest.OpCommand] != n {
		t.Errorf("ops = %v", srv.Ops())
	}
	conns := map[int64]bool{}
	for _, r := range srv.Log() {
		conns[r.ConnID] = true
	}
	if ops[winrmtest.OpAuth] > 2*len(conns) {
		t.Errorf("%d handshake requests on %d connections, want at most 2 per connection: %v", ops[winrmtest.OpAuth], len(conns), srv.Ops())
	}
	t.Logf("ntlm: %d commands, %d requests, %d handshake legs, %d connections", n, c.Requests(), ops[winrmtest.OpAuth], len(conns))
}

func TestNTLMBadPassword(t *testing.T) {
	srv := startNTLMServer(t)
	tg := ntlmTarget(srv)
	tg.Password = badPassword
	c := dialT(t, tg, Options{})
	_, err := c.Run(t.Context(), "echo x", nil, nil)
	checkErr(t, err, ErrAuth, ErrAuth, "LocalAccountTokenFilterPolicy")
	closeAndCheck(t, c, srv)
	if ops := countOps(srv); ops[winrmtest.OpAuth] > 2 || ops[winrmtest.OpCreate] != 0 {
		t.Errorf("bad password: ops %v, want one handshake and no retry", srv.Ops())
	}
}

// TestNTLMHangCancel: cancelling a parked Receive cuts it at once and
// leaves no shell, on the ntlm transport too.
func TestNTLMHangCancel(t *testing.T) {
	srv := startNTLMServer(t, winrmtest.WithFaults(winrmtest.Faults{HangReceive: true}))
	c := dialT(t, ntlmTarget(srv), Options{})
	ctx, cancel, cancelled := cancelWhenParked(t, t.Context(), srv)
	defer cancel()
	_, err := c.Run(ctx, "block", nil, nil)
	if took := time.Since(<-cancelled); took > 2*time.Second {
		t.Errorf("Run returned %v after the cancellation, want ≤ 2s", took)
	}
	checkErr(t, err, context.Canceled, nil, "")
	closeAndCheck(t, c, srv)
}
