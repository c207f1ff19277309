package ntlmhttp

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/masterzen/winrm"

	"github.com/winfleet/winfleet/remote/winrmtest"
)

// TestStaleConnection: when the server has closed an idle connection, the
// next request dials and authenticates a new one instead of failing on the
// dead one.
func TestStaleConnection(t *testing.T) {
	srv := winrmtest.NewServer(winrmtest.HandlerFunc(func(context.Context, *winrmtest.Command) int { return 0 }),
		winrmtest.WithNTLM(), winrmtest.WithBasicAuth(false), winrmtest.WithAllowUnencrypted(false),
		winrmtest.WithUsers(map[string]string{"vagrant": "vagrant"}))
	defer srv.Close()
	rt := New(Options{User: "vagrant", Password: "vagrant", Encrypt: true})
	defer rt.CloseIdleConnections()
	post := func() {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.Endpoint(), strings.NewReader(winrm.NewOpenShellRequest(srv.Endpoint(), winrm.NewParameters("PT5S", "en-US", 153600)).String()))
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatalf("RoundTrip = %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("RoundTrip: status %d, want 200", resp.StatusCode)
		}
	}
	post()

	// RefuseConnections closes every open connection; clearing it listens
	// again on the same port.
	if err := srv.SetFaults(winrmtest.Faults{RefuseConnections: true}); err != nil {
		t.Fatal(err)
	}
	if err := srv.SetFaults(winrmtest.Faults{}); err != nil {
		t.Fatal(err)
	}
	// Wait for the server's FIN to reach the idle connection.
	p := rt.pool("http://" + srv.Addr())
	p.mu.Lock()
	if len(p.idle) != 1 {
		p.mu.Unlock()
		t.Fatalf("%d idle connections, want 1", len(p.idle))
	}
	c := p.idle[0]
	p.mu.Unlock()
	if err := c.nc.SetReadDeadline(time.Now().Add(20 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.br.Peek(1); err == nil {
		t.Fatal("the server sent bytes on an idle connection")
	}

	post()
	conns := map[int64]int{}
	for _, r := range srv.Log() {
		if r.Op == winrmtest.OpAuth {
			conns[r.ConnID]++
		}
	}
	if len(conns) != 2 {
		t.Errorf("handshake legs per connection %v, want 2 connections", conns)
	}
}
