package ntlmhttp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"
	"go.uber.org/goleak"
	"golang.org/x/sync/errgroup"

	"github.com/winfleet/winfleet/remote/ntlmhttp"
	"github.com/winfleet/winfleet/remote/winrmtest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	user     = "Administrator"
	password = "Pa55w.rd!"
)

// host answers "echo TEXT" with TEXT\r\n and reports the shell's user on
// stderr; "cat" copies stdin to stdout.
func host() winrmtest.Handler {
	return winrmtest.HandlerFunc(func(ctx context.Context, c *winrmtest.Command) int {
		if c.Line == "cat" {
			io.Copy(c.Stdout, c.Stdin)
			return 0
		}
		text, ok := strings.CutPrefix(c.Line, "echo ")
		if !ok {
			fmt.Fprintf(c.Stderr, "'%s' is not recognized\r\n", c.Line)
			return 1
		}
		fmt.Fprintf(c.Stdout, "%s\r\n", text)
		fmt.Fprintf(c.Stderr, "%s\r\n", c.Shell.User)
		return 0
	})
}

// windows starts an emulator configured as `winrm quickconfig` leaves a
// host: Negotiate only, no Basic, AllowUnencrypted=false. Over HTTPS it
// requires a channel binding (CbtHardeningLevel=Strict), which ntlmhttp
// sends.
func windows(t testing.TB, extra ...winrmtest.Option) *winrmtest.Server {
	t.Helper()
	opts := append([]winrmtest.Option{
		winrmtest.WithAuthenticator(&winrmtest.NTLM{StrictChannelBinding: true}),
		winrmtest.WithBasicAuth(false),
		winrmtest.WithAllowUnencrypted(false),
		winrmtest.WithUsers(map[string]string{user: password}),
	}, extra...)
	srv := winrmtest.NewServer(host(), opts...)
	t.Cleanup(srv.Close)
	return srv
}

// transporter is a minimal masterzen Transporter over an http.Client, as
// the remote package builds one: 200 and SOAP faults are handed to
// masterzen, anything else is an error.
type transporter struct {
	ctx context.Context
	hc  *http.Client
	url string
}

var errUnauthorized = errors.New("http 401 unauthorized")

func (t *transporter) Transport(*winrm.Endpoint) error { return nil }

func (t *transporter) Post(_ *winrm.Client, m *soap.SoapMessage) (string, error) {
	req, err := http.NewRequestWithContext(t.ctx, http.MethodPost, t.url, strings.NewReader(m.String()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	resp, err := t.hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return "", errUnauthorized
	case (resp.StatusCode == 200 || resp.StatusCode == 500) && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/soap+xml"):
		return string(body), nil
	}
	return "", fmt.Errorf("http %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
}

// client returns a masterzen client for srv whose HTTP goes through rt.
func client(ctx context.Context, t testing.TB, srv *winrmtest.Server, rt http.RoundTripper) *winrm.Client {
	t.Helper()
	ep := &winrm.Endpoint{Host: srv.Host(), Port: srv.Port(), HTTPS: srv.TLS()}
	params := winrm.NewParameters("PT5S", "en-US", 153600)
	tr := &transporter{ctx: ctx, hc: &http.Client{Transport: rt}, url: srv.Endpoint()}
	params.TransportDecorator = func() winrm.Transporter { return tr }
	c, err := winrm.NewClientWithParameters(ep, user, "unused: the RoundTripper holds the credentials", params)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ctxFor(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// handshakes counts, per connection, the handshake legs (Auth requests) and
// the SOAP messages in a request log.
func handshakes(log []winrmtest.Request) (auth, soap map[int64]int) {
	auth, soap = map[int64]int{}, map[int64]int{}
	for _, r := range log {
		if r.Op == winrmtest.OpAuth {
			auth[r.ConnID]++
		} else {
			soap[r.ConnID]++
		}
	}
	return auth, soap
}

func TestRunCommands(t *testing.T) {
	tests := []struct {
		name    string
		tls     bool
		encrypt bool
	}{
		{name: "http encrypted", encrypt: true},
		{name: "https", tls: true},
		{name: "https encrypted", tls: true, encrypt: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var srv *winrmtest.Server
			if tt.tls {
				srv = windows(t, winrmtest.WithTLS())
			} else {
				srv = windows(t)
			}
			rt := ntlmhttp.New(ntlmhttp.Options{User: user, Password: password, Encrypt: tt.encrypt, TLSConfig: srv.ClientTLSConfig()})
			defer rt.CloseIdleConnections()
			c := client(ctxFor(t), t, srv, rt)
			for _, word := range []string{"one", "two", "three"} {
				out, errOut, code, err := c.RunCmdWithContext(ctxFor(t), "echo "+word)
				if err != nil || out != word+"\r\n" || errOut != user+"\r\n" || code != 0 {
					t.Fatalf("Run(echo %s) = (%q, %q, %d, %v)", word, out, errOut, code, err)
				}
			}
			log := srv.Log()
			auth, soap := handshakes(log)
			if len(auth) != 1 || len(soap) != 1 {
				t.Fatalf("connections with handshakes %v, with messages %v; want one connection", auth, soap)
			}
			for id, n := range auth {
				// One handshake for 15 messages: NEGOTIATE (401) and
				// AUTHENTICATE (200) legs, then messages only.
				if n != 2 || soap[id] != 15 {
					t.Errorf("connection %d: %d handshake legs, %d messages; want 2 and 15", id, n, soap[id])
				}
			}
			for _, r := range log {
				if r.Op != winrmtest.OpAuth && (r.Status != 200 || r.User != user) {
					t.Errorf("%s: status %d, user %q", r.Op, r.Status, r.User)
				}
			}
		})
	}
}

func TestAuthFailures(t *testing.T) {
	tests := []struct {
		name     string
		opts     []winrmtest.Option
		password string
		encrypt  bool
		// wantLegs is the number of requests the server sees: the
		// handshake is never retried.
		wantLegs int
	}{
		{name: "wrong password", password: "pa55w.rd!", encrypt: true, wantLegs: 2},
		{name: "unencrypted over http with AllowUnencrypted=false", password: password, encrypt: false, wantLegs: 3},
		{name: "host without Negotiate", opts: []winrmtest.Option{winrmtest.WithBasicAuth(true), winrmtest.WithAllowUnencrypted(true)}, password: password, encrypt: true, wantLegs: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var srv *winrmtest.Server
			if tt.opts != nil {
				srv = winrmtest.NewServer(host(), append(tt.opts, winrmtest.WithUsers(map[string]string{user: password}))...)
				t.Cleanup(srv.Close)
			} else {
				srv = windows(t)
			}
			rt := ntlmhttp.New(ntlmhttp.Options{User: user, Password: tt.password, Encrypt: tt.encrypt})
			defer rt.CloseIdleConnections()
			c := client(ctxFor(t), t, srv, rt)
			_, _, _, err := c.RunCmdWithContext(ctxFor(t), "echo x")
			if !errors.Is(err, errUnauthorized) {
				t.Fatalf("Run = %v, want %v", err, errUnauthorized)
			}
			if strings.Contains(err.Error(), tt.password) {
				t.Errorf("error %q contains the password", err)
			}
			if log := srv.Log(); len(log) != tt.wantLegs {
				t.Errorf("server saw %d requests, want %d: %+v", len(log), tt.wantLegs, log)
			}
		})
	}
}

// TestManyHosts runs a command on 200 hosts at once through one
// RoundTripper, as the fleet does: no request may see a 401 and every host
// must complete with one handshake per connection.
func TestManyHosts(t *testing.T) {
	const n = 200
	ca, err := winrmtest.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	srvs := make([]*winrmtest.Server, n)
	for i := range srvs {
		if i%4 == 3 { // a quarter over HTTPS
			srvs[i] = windows(t, winrmtest.WithCA(ca))
		} else {
			srvs[i] = windows(t)
		}
	}
	rt := ntlmhttp.New(ntlmhttp.Options{User: user, Password: password, Encrypt: true, TLSConfig: srvs[3].ClientTLSConfig()})
	defer rt.CloseIdleConnections()
	ctx := ctxFor(t)
	var g errgroup.Group
	for i, srv := range srvs {
		g.Go(func() error {
			want := fmt.Sprintf("host %d", i)
			out, _, code, err := client(ctx, t, srv, rt).RunCmdWithContext(ctx, "echo "+want)
			if err != nil || out != want+"\r\n" || code != 0 {
				return fmt.Errorf("host %d: Run = (%q, %d, %v)", i, out, code, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	for i, srv := range srvs {
		auth, soap := handshakes(srv.Log())
		for id, legs := range auth {
			if legs != 2 {
				t.Errorf("host %d connection %d: %d handshake legs, want 2", i, id, legs)
			}
		}
		for _, r := range srv.Log() {
			if r.Op != winrmtest.OpAuth && r.Status != 200 {
				t.Errorf("host %d: %s status %d", i, r.Op, r.Status)
			}
		}
		if len(soap) != 1 {
			t.Errorf("host %d: messages on %d connections, want 1", i, len(soap))
		}
	}
}

// TestOneHostConcurrent shares one host between many goroutines: the pool
// holds at most MaxConns connections, each authenticated once.
func TestOneHostConcurrent(t *testing.T) {
	srv := windows(t)
	rt := ntlmhttp.New(ntlmhttp.Options{User: user, Password: password, Encrypt: true, MaxConns: 3})
	defer rt.CloseIdleConnections()
	ctx := ctxFor(t)
	var g errgroup.Group
	for i := range 20 {
		g.Go(func() error {
			want := fmt.Sprint(i)
			out, _, _, err := client(ctx, t, srv, rt).RunCmdWithContext(ctx, "echo "+want)
			if err != nil || out != want+"\r\n" {
				return fmt.Errorf("run %d: %q, %v", i, out, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	auth, soap := handshakes(srv.Log())
	if len(auth) > 3 || len(soap) > 3 {
		t.Errorf("handshakes per connection %v, messages per connection %v: want at most 3 connections", auth, soap)
	}
	for id, legs := range auth {
		if legs != 2 {
			t.Errorf("connection %d: %d handshake legs, want 2", id, legs)
		}
	}
}

// mitm is a reverse proxy between the client and the emulator that can
// rewrite responses to SOAP messages. Its backend transport keeps a single
// connection, so the emulator's connection-bound NTLM state follows the
// client's one connection.
func mitm(t *testing.T, srv *winrmtest.Server, rewrite func(*http.Response) error) *url.URL {
	t.Helper()
	target, _ := url.Parse(srv.URL)
	backend := &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}
	p := &httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(target) },
		Transport: backend,
		ModifyResponse: func(r *http.Response) error {
			if r.Request.Header.Get("Authorization") != "" {
				return nil // handshake legs pass untouched
			}
			return rewrite(r)
		},
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: p}
	go hs.Serve(l)
	t.Cleanup(func() { hs.Close(); backend.CloseIdleConnections() })
	return &url.URL{Scheme: "http", Host: l.Addr().String(), Path: "/wsman"}
}

func TestNeverAcceptsUnencryptedOrTampered(t *testing.T) {
	tests := []struct {
		name    string
		rewrite func(*http.Response) error
		want    error
	}{
		{
			name: "downgraded to plaintext",
			rewrite: func(r *http.Response) error {
				r.Body.Close()
				body := `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>`
				r.Body = io.NopCloser(strings.NewReader(body))
				r.ContentLength = int64(len(body))
				r.Header.Set("Content-Length", fmt.Sprint(len(body)))
				r.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
				r.StatusCode = 200
				return nil
			},
			want: ntlmhttp.ErrUnencryptedResponse,
		},
		{
			name: "one sealed byte flipped",
			rewrite: func(r *http.Response) error {
				b, err := io.ReadAll(r.Body)
				r.Body.Close()
				if err != nil {
					return err
				}
				i := bytes.Index(b, []byte("octet-stream\r\n")) + len("octet-stream\r\n") + 4 + 16 + 10
				b[i] ^= 1
				r.Body = io.NopCloser(bytes.NewReader(b))
				return nil
			},
		},
		{
			name: "truncated",
			rewrite: func(r *http.Response) error {
				b, err := io.ReadAll(r.Body)
				r.Body.Close()
				if err != nil {
					return err
				}
				b = b[:len(b)-40]
				r.Body = io.NopCloser(bytes.NewReader(b))
				r.ContentLength = int64(len(b))
				r.Header.Set("Content-Length", fmt.Sprint(len(b)))
				return nil
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := windows(t)
			u := mitm(t, srv, tt.rewrite)
			rt := ntlmhttp.New(ntlmhttp.Options{User: user, Password: password, Encrypt: true})
			defer rt.CloseIdleConnections()
			tr := &transporter{ctx: ctxFor(t), hc: &http.Client{Transport: rt}, url: u.String()}
			params := winrm.NewParameters("PT5S", "en-US", 153600)
			params.TransportDecorator = func() winrm.Transporter { return tr }
			c, err := winrm.NewClientWithParameters(&winrm.Endpoint{Host: "127.0.0.1", Port: 1}, user, "", params)
			if err != nil {
				t.Fatal(err)
			}
			out, _, _, err := c.RunCmdWithContext(ctxFor(t), "echo x")
			if err == nil {
				t.Fatalf("Run = %q, nil error; want an error", out)
			}
			var e *ntlmhttp.Error
			if !errors.As(err, &e) || e.Op != "decrypt" {
				t.Errorf("RoundTrip error = %v, want an *Error from decrypt", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("RoundTrip error = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestResponseHeaderTimeout: a server that accepts requests and never
// answers fails the request after ResponseHeaderTimeout (here in the
// handshake), with an error that says it is a timeout. Cancellation is
// TestCancel's.
func TestResponseHeaderTimeout(t *testing.T) {
	srv := windows(t)
	rt := ntlmhttp.New(ntlmhttp.Options{User: user, Password: password, Encrypt: true, ResponseHeaderTimeout: 200 * time.Millisecond})
	defer rt.CloseIdleConnections()
	u, _ := url.Parse(srv.Endpoint())

	if err := srv.SetFaults(winrmtest.Faults{NoAnswer: true}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	req, _ := http.NewRequestWithContext(ctxFor(t), http.MethodPost, u.String(), strings.NewReader("<x/>"))
	_, err := rt.RoundTrip(req)
	var e *ntlmhttp.Error
	if !errors.As(err, &e) || !e.Timeout() {
		t.Fatalf("RoundTrip = %v, want a timeout *Error", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("RoundTrip took %v with a 200ms header timeout", d)
	}
}

// TestTLSHandshakeTimeout: a port that accepts TCP and never answers the
// TLS handshake fails after TLSHandshakeTimeout with ErrTLSHandshakeTimeout,
// well before the request's own deadline.
func TestTLSHandshakeTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var conns []net.Conn
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c) // held open, silent
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	rt := ntlmhttp.New(ntlmhttp.Options{User: user, Password: password, TLSHandshakeTimeout: 200 * time.Millisecond})
	defer rt.CloseIdleConnections()
	req, _ := http.NewRequestWithContext(ctxFor(t), http.MethodPost, "https://"+l.Addr().String()+"/wsman", strings.NewReader("<x/>"))
	start := time.Now()
	_, err = rt.RoundTrip(req)
	var e *ntlmhttp.Error
	if !errors.Is(err, ntlmhttp.ErrTLSHandshakeTimeout) || !errors.As(err, &e) || !e.Timeout() || e.Op != "tls" {
		t.Fatalf("RoundTrip = %v, want a timeout *Error from tls wrapping ErrTLSHandshakeTimeout", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("RoundTrip took %v with a 200ms handshake timeout", d)
	}
}

// TestCancel: cancelling the context cuts a request in flight at once (here
// a Receive the server never answers) by closing its connection.
func TestCancel(t *testing.T) {
	started := make(chan struct{})
	srv := winrmtest.NewServer(winrmtest.HandlerFunc(func(ctx context.Context, c *winrmtest.Command) int {
		close(started)
		<-ctx.Done()
		return 130
	}), winrmtest.WithNTLM(), winrmtest.WithBasicAuth(false), winrmtest.WithAllowUnencrypted(false),
		winrmtest.WithUsers(map[string]string{user: password}), winrmtest.WithFaults(winrmtest.Faults{HangReceive: true}))
	t.Cleanup(srv.Close)
	rt := ntlmhttp.New(ntlmhttp.Options{User: user, Password: password, Encrypt: true})
	defer rt.CloseIdleConnections()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, _, _, err := client(ctx, t, srv, rt).RunCmdWithContext(ctx, "block")
		errc <- err
	}()
	<-started
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run after cancel = %v, want context.Canceled", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after cancel (the parked Receive was not cut)")
	}
}

// TestStdin: with stdin, masterzen sends Send requests from a goroutine of
// its own, usually while a Receive is parked and so on a second connection;
// each connection authenticates once. When its goroutine runs before the
// Receive is sent, the Send finds the first connection idle and takes it
// (seen once in a loaded -race run), so one connection is right too.
func TestStdin(t *testing.T) {
	srv := windows(t)
	rt := ntlmhttp.New(ntlmhttp.Options{User: user, Password: password, Encrypt: true})
	defer rt.CloseIdleConnections()
	c := client(ctxFor(t), t, srv, rt)
	out, _, code, err := c.RunWithContextWithString(ctxFor(t), "cat", "piped through two connections")
	if err != nil || code != 0 || out != "piped through two connections" {
		t.Fatalf("Run(cat) = %q, %d, %v", out, code, err)
	}
	auth, soap := handshakes(srv.Log())
	if len(soap) != 1 && len(soap) != 2 {
		t.Errorf("messages per connection %v, want one or two connections", soap)
	}
	for id, legs := range auth {
		if legs != 2 {
			t.Errorf("connection %d: %d handshake legs, want 2", id, legs)
		}
	}
}

// TestDialer checks that the dialer option is used for every connection.
func TestDialer(t *testing.T) {
	srv := windows(t)
	var dials atomic.Int32
	d := &net.Dialer{}
	rt := ntlmhttp.New(ntlmhttp.Options{User: user, Password: password, Encrypt: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			return d.DialContext(ctx, network, addr)
		}})
	defer rt.CloseIdleConnections()
	c := client(ctxFor(t), t, srv, rt)
	if _, _, _, err := c.RunCmdWithContext(ctxFor(t), "echo x"); err != nil {
		t.Fatal(err)
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("dialer called %d times, want 1", n)
	}
}
