package winrmtest_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/winfleet/winfleet/remote/winrmtest"
)

func TestCloseAnswersParkedAndLeavesNoGoroutine(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	causes := make(chan error, 1)
	h := winrmtest.HandlerFunc(func(ctx context.Context, c *winrmtest.Command) int {
		<-ctx.Done()
		causes <- context.Cause(ctx)
		return 0
	})
	srv := winrmtest.NewServer(h)
	hung := winrmtest.NewServer(h, winrmtest.WithFaults(winrmtest.Faults{NoAnswer: true}))
	c := newRaw(t, srv)
	shell := c.mustCreate()
	cmd := c.mustCommand(shell, "wait")

	type result struct {
		status int
		body   string
		err    error
	}
	post := func(url, body string) <-chan result {
		ch := make(chan result, 1)
		go func() {
			req, _ := http.NewRequest("POST", url, strings.NewReader(body))
			req.SetBasicAuth(winrmtest.DefaultUser, winrmtest.DefaultPassword)
			resp, err := c.http.Do(req)
			if err != nil {
				ch <- result{err: err}
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			ch <- result{status: resp.StatusCode, body: string(b)}
		}()
		return ch
	}
	parked := post(srv.Endpoint(), c.envelope(aReceive, shell, nil,
		`<rsp:Receive><rsp:DesiredStream CommandId="`+cmd+`">stdout stderr</rsp:DesiredStream></rsp:Receive>`))
	unanswered := post(hung.Endpoint(), c.envelope(aCreate, "", nil, ""))
	inFlight := func(l []winrmtest.Request) bool { return len(l) > 0 && l[len(l)-1].Status == 0 }
	if err := srv.WaitLog(testCtx(t), inFlight); err != nil {
		t.Fatal(err)
	}
	if err := hung.WaitLog(testCtx(t), inFlight); err != nil {
		t.Fatal(err)
	}

	srv.Close()
	hung.Close()
	srv.Close() // a second Close does nothing

	if r := <-parked; r.err != nil || r.status != 500 || !strings.Contains(r.body, `Code="2150858793"`) {
		t.Errorf("parked Receive at Close = (%d, %v), want the TimedOut fault", r.status, r.err)
	}
	if r := <-unanswered; r.err == nil {
		t.Errorf("unanswered request at Close got status %d, want a closed connection", r.status)
	}
	if got := <-causes; !errors.Is(got, winrmtest.ErrServerClosed) {
		t.Errorf("command ctx cause = %v, want ErrServerClosed", got)
	}
	if _, err := net.DialTimeout("tcp", srv.Addr(), time.Second); err == nil {
		t.Errorf("dial after Close succeeded")
	}
	c.http.CloseIdleConnections()
}

func TestStartErrors(t *testing.T) {
	srv := winrmtest.NewServer(testHost())
	defer srv.Close()
	if _, err := winrmtest.Start(testHost(), winrmtest.WithAddr(srv.Addr())); err == nil || !strings.Contains(err.Error(), srv.Addr()) {
		t.Errorf("Start on a taken address: err = %v, want one naming %s", err, srv.Addr())
	}
	if _, err := winrmtest.Start(nil); err == nil {
		t.Errorf("Start(nil) succeeded")
	}
	bad := []struct {
		opt  winrmtest.Option
		want string
	}{
		{winrmtest.WithMaxShellsPerUser(0), "WithMaxShellsPerUser(0)"},
		{winrmtest.WithMaxConcurrentOperationsPerUser(-1), "WithMaxConcurrentOperationsPerUser(-1)"},
		{winrmtest.WithMaxTimeout(0), "WithMaxTimeout(0s)"},
		{winrmtest.WithMaxEnvelopeSizeKB(0), "WithMaxEnvelopeSizeKB(0)"},
		{winrmtest.WithIdleTimeout(-time.Second), "WithIdleTimeout(-1s)"},
		{winrmtest.WithLogLimit(-1), "WithLogLimit(-1)"},
		{winrmtest.WithAuthenticator(nil), "WithAuthenticator #1 is nil"},
	}
	for _, tt := range bad {
		if _, err := winrmtest.Start(testHost(), tt.opt); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Start with a bad option: err = %v, want one naming %s", err, tt.want)
		}
	}
	other, err := winrmtest.Start(testHost(), winrmtest.WithAddr("127.0.0.2:0"))
	if err != nil {
		t.Fatalf("Start on 127.0.0.2: %v", err)
	}
	defer other.Close()
	if other.Host() != "127.0.0.2" || !strings.HasPrefix(other.URL, "http://127.0.0.2:") || other.Port() == 0 {
		t.Errorf("server on 127.0.0.2: Host %q URL %q Port %d", other.Host(), other.URL, other.Port())
	}
}

func TestSharedCAAndCertForAddress(t *testing.T) {
	ca, err := winrmtest.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	a := winrmtest.NewServer(testHost(), winrmtest.WithCA(ca), winrmtest.WithAddr("127.0.0.3:0"))
	defer a.Close()
	b := winrmtest.NewServer(testHost(), winrmtest.WithCA(ca))
	defer b.Close()
	for _, srv := range []*winrmtest.Server{a, b} {
		if string(srv.CACertPEM()) != string(ca.CertPEM()) || !srv.TLS() || !strings.HasPrefix(srv.URL, "https://") {
			t.Errorf("%s: not served with the shared CA", srv.URL)
		}
		out, _, _, err := newClient(t, srv, "PT5S").RunCmdWithContext(testCtx(t), "echo tls")
		if err != nil || out != "tls\r\n" {
			t.Errorf("%s: Run = (%q, %v)", srv.URL, out, err)
		}
	}
}

func TestCloseDoesNotWaitForAStalledClient(t *testing.T) {
	srv := winrmtest.NewServer(testHost())
	conn, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Headers promise a body that never comes.
	_, err = io.WriteString(conn, "POST /wsman HTTP/1.1\r\nHost: x\r\nAuthorization: Basic dmFncmFudDp2YWdyYW50\r\nContent-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: 1000\r\n\r\n<env:Envelope")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.WaitLog(testCtx(t), func(l []winrmtest.Request) bool { return len(l) == 1 }); err != nil {
		t.Fatal(err)
	}
	srv.Close() // returns after the grace period
	if got := srv.Log()[0].Status; got != -1 {
		t.Errorf("stalled request status %d, want -1 (connection closed)", got)
	}
}
