package winrmtest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// A Server is a WinRM service on a loopback address, serving the Windows
// Remote Shell resource over HTTP or HTTPS. Commands are run by its Handler.
// All methods are safe for concurrent use.
type Server struct {
	// URL is the base URL, "http://127.0.0.1:NNNN" or "https://…" without
	// the /wsman path (like httptest.Server.URL; Endpoint adds the path).
	URL string

	cfg     config
	handler Handler
	addr    *net.TCPAddr
	ca      *CA
	tlsConf *tls.Config
	gate    *gateListener
	httpSrv *http.Server

	closing   chan struct{}
	baseCtx   context.Context // parent of every command's ctx
	stopAll   context.CancelCauseFunc
	closeOnce sync.Once
	serveDone chan struct{}
	reqWG     sync.WaitGroup // ServeHTTP calls
	cmdWG     sync.WaitGroup // Handler.Run goroutines

	faultMu sync.Mutex
	faults  Faults

	connSeq atomic.Int64
	connMu  sync.Mutex
	conns   map[net.Conn]*Conn

	mu     sync.Mutex
	shells map[string]*shell
	ops    map[string]int // canonical user → operations held
	closed bool

	logMu      sync.Mutex
	logChanged chan struct{} // closed and cleared on every change; nil while no WaitLog waits
	seq        int
	log        []*Request

	stats serverStats
}

// NewServer starts a server on 127.0.0.1 over HTTP. It panics if it cannot
// listen, like httptest.NewServer; use Start to get an error instead.
func NewServer(h Handler, opts ...Option) *Server {
	s, err := Start(h, opts...)
	if err != nil {
		panic(fmt.Sprintf("winrmtest: %v", err))
	}
	return s
}

// NewTLSServer starts a server over HTTPS with a certificate from a CA
// generated on the fly (see CACertPEM and ClientTLSConfig). It panics on
// failure.
func NewTLSServer(h Handler, opts ...Option) *Server {
	return NewServer(h, append([]Option{WithTLS()}, opts...)...)
}

// Start starts a server and returns it, or an error if it cannot listen or
// make its certificate.
func Start(h Handler, opts ...Option) (*Server, error) {
	if h == nil {
		return nil, errors.New("winrmtest: nil handler")
	}
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.basic {
		cfg.auths = append(cfg.auths, BasicAuth{})
	}
	s := &Server{
		cfg:       cfg,
		handler:   h,
		closing:   make(chan struct{}),
		serveDone: make(chan struct{}),
		conns:     make(map[net.Conn]*Conn),
		shells:    make(map[string]*shell),
		ops:       make(map[string]int),
		faults:    cfg.faults.clone(),
	}
	s.baseCtx, s.stopAll = context.WithCancelCause(context.Background())
	l, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		s.stopAll(ErrServerClosed)
		return nil, fmt.Errorf("winrmtest: listen on %s: %w", cfg.addr, err)
	}
	s.addr = l.Addr().(*net.TCPAddr)
	s.gate = newGateListener(l)
	var ln net.Listener = s.gate
	scheme := "http"
	if cfg.tls {
		if err := s.setupTLS(); err != nil {
			_ = l.Close()
			s.stopAll(ErrServerClosed)
			return nil, err
		}
		ln = tls.NewListener(s.gate, s.tlsConf)
		scheme = "https"
	}
	s.URL = scheme + "://" + s.addr.String()
	s.httpSrv = &http.Server{
		Handler:           s,
		ConnContext:       s.connContext,
		ConnState:         s.connState,
		TLSNextProto:      map[string]func(*http.Server, *tls.Conn, http.Handler){},
		ReadHeaderTimeout: time.Minute,
		ErrorLog:          log.New(io.Discard, "", 0), // TLS handshake failures are what tests provoke
	}
	if s.faults.RefuseConnections {
		s.gate.refuse()
	}
	go func() {
		defer close(s.serveDone)
		_ = s.httpSrv.Serve(ln)
	}()
	return s, nil
}

func (s *Server) setupTLS() error {
	s.ca = s.cfg.ca
	if s.ca == nil {
		ca, err := NewCA()
		if err != nil {
			return fmt.Errorf("winrmtest: %w", err)
		}
		s.ca = ca
	}
	hosts := s.cfg.certHosts
	if len(hosts) == 0 {
		hosts = []string{s.addr.IP.String(), "localhost"}
	}
	cert, err := s.ca.Issue(hosts...)
	if err != nil {
		return fmt.Errorf("winrmtest: %w", err)
	}
	s.tlsConf = &tls.Config{
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{"http/1.1"},
		MinVersion:   tls.VersionTLS12,
		ClientAuth:   s.cfg.clientAuth, // WithClientCertAuth
	}
	return nil
}

// Addr returns the listen address, "127.0.0.1:NNNN".
func (s *Server) Addr() string { return s.addr.String() }

// Host returns the listen IP address.
func (s *Server) Host() string { return s.addr.IP.String() }

// Port returns the listen port.
func (s *Server) Port() int { return s.addr.Port }

// Endpoint returns the full endpoint URL, URL + "/wsman".
func (s *Server) Endpoint() string { return s.URL + "/wsman" }

// TLS reports whether the server speaks HTTPS.
func (s *Server) TLS() bool { return s.cfg.tls }

// CACertPEM returns the PEM certificate of the CA that issued the server
// certificate, or nil for an HTTP server.
func (s *Server) CACertPEM() []byte {
	if s.ca == nil {
		return nil
	}
	return s.ca.CertPEM()
}

// CA returns the server's CA, or nil for an HTTP server.
func (s *Server) CA() *CA { return s.ca }

// ClientTLSConfig returns a TLS configuration that trusts the server's CA
// (nil for an HTTP server).
func (s *Server) ClientTLSConfig() *tls.Config {
	if s.ca == nil {
		return nil
	}
	return &tls.Config{RootCAs: s.ca.Pool(), MinVersion: tls.VersionTLS12}
}

// Faults returns the faults currently injected.
func (s *Server) Faults() Faults {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	return s.faults.clone()
}

// SetFaults replaces the injected faults. Turning RefuseConnections on closes
// the listening socket and all open connections; turning it off listens again
// on the same address, which fails if another process took the port.
func (s *Server) SetFaults(f Faults) error {
	s.faultMu.Lock()
	old := s.faults
	s.faults = f.clone()
	s.faultMu.Unlock()
	switch {
	case f.RefuseConnections && !old.RefuseConnections:
		s.gate.refuse()
		s.closeConns()
	case !f.RefuseConnections && old.RefuseConnections:
		if err := s.gate.reopen(s.addr.String()); err != nil {
			return fmt.Errorf("winrmtest: listen again: %w", err)
		}
	}
	return nil
}

// UpdateFaults changes the injected faults with f, atomically.
func (s *Server) UpdateFaults(f func(*Faults)) error {
	s.faultMu.Lock()
	cur := s.faults.clone()
	s.faultMu.Unlock()
	f(&cur)
	return s.SetFaults(cur)
}

// closeGrace bounds how long Close waits for a client that stalls in the
// middle of a request or response before it closes the connection.
const closeGrace = 2 * time.Second

// Close stops the server. It stops accepting connections, cancels every
// running command (their ctx is done with cause ErrServerClosed), answers
// parked Receives with the TimedOut fault, closes connections whose requests
// were parked by NoAnswer, HangReceive or StallReceiveBody, waits for in-flight requests to be
// answered (closing, after 2 s, the connection of a client that stalls while
// sending a body or reading a response) and for every Handler.Run to return,
// and closes all connections. No goroutine of the server outlives Close. Close blocks until
// handlers honour their ctx. Calling it again does nothing.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.gate.Close()
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.stopAll(ErrServerClosed)
		// Every wait of the server ends on closing; only a client that stops
		// sending a body or reading a response can hold a request longer.
		// After a grace period its connection is closed under it.
		done := make(chan struct{})
		go func() {
			s.reqWG.Wait()
			close(done)
		}()
		grace := time.NewTimer(closeGrace)
		select {
		case <-done:
		case <-grace.C:
			s.closeConns()
			<-done
		}
		grace.Stop()
		_ = s.httpSrv.Close()
		<-s.serveDone
		s.cmdWG.Wait()
	})
}

// OpenShells returns the number of shells open (created, not deleted, not
// expired by the idle timeout).
func (s *Server) OpenShells() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reapIdleLocked(time.Now())
	return len(s.shells)
}

// RunningCommands returns the number of commands whose Handler.Run has not
// returned yet.
func (s *Server) RunningCommands() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, sh := range s.shells {
		for _, c := range sh.cmds {
			if !c.isFinished() {
				n++
			}
		}
	}
	return n
}

// Shells returns what the server knows of its open shells.
func (s *Server) Shells() []ShellInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ShellInfo, 0, len(s.shells))
	for _, sh := range s.shells {
		out = append(out, sh.info)
	}
	return out
}

type connKey struct{}

func (s *Server) connContext(ctx context.Context, c net.Conn) context.Context {
	conn := &Conn{ID: s.connSeq.Add(1), RemoteAddr: c.RemoteAddr().String(), TLS: connTLS(c)}
	s.connMu.Lock()
	s.conns[c] = conn
	s.connMu.Unlock()
	return context.WithValue(ctx, connKey{}, conn)
}

func (s *Server) connState(c net.Conn, st http.ConnState) {
	if st == http.StateClosed || st == http.StateHijacked {
		s.connMu.Lock()
		delete(s.conns, c)
		s.connMu.Unlock()
	}
}

func (s *Server) closeConns() {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	for c := range s.conns {
		_ = c.Close()
	}
}

// enter registers an in-flight request unless the server is closing.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.reqWG.Add(1)
	return true
}

// sleep waits d, or returns false early when the request or server ends.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.closing:
		return false
	}
}

// ServeHTTP implements http.Handler: the WinRM listener.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	conn, _ := r.Context().Value(connKey{}).(*Conn)
	if conn == nil {
		conn = &Conn{RemoteAddr: r.RemoteAddr}
	}
	if !s.enter() {
		abort(w)
		return
	}
	defer s.reqWG.Done()
	s.stats.requests.Add(1)
	start := time.Now()
	rec := s.logStart(&Request{Time: start, ConnID: conn.ID, Op: OpUnknown})
	a := s.serve(r, conn, rec)
	// The log is complete before the client can see the answer, so a test
	// reading it after a call returns sees the call.
	status, size := -1, 0
	if a.resp != nil {
		status, size = a.resp.Status, len(a.resp.Body)
	}
	s.logUpdate(rec, func(q *Request) {
		q.Duration = time.Since(start)
		q.Status = status
		q.Size = size
		q.FaultCode = a.faultCode
		if a.note != "" {
			q.Note = a.note
		}
	})
	if a.resp == nil {
		abort(w)
		return
	}
	if a.partial == partialNone {
		if err := s.writeResponse(w, a.resp, a.wrap); err == nil && a.sent != nil {
			a.sent()
		}
		return
	}
	// Headers and half the body, then a stall or a hang-up.
	s.writeHead(w, a.resp, a.wrap, func(body []byte) {
		_, _ = w.Write(body[:len(body)/2])
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		if a.partial == partialStall {
			s.hang(r.Context())
		}
	})
	abort(w)
}

// readRequestBody reads up to max bytes of a request body as io.ReadAll does, in
// one allocation when the body is no longer than its Content-Length says
// (size; -1 when unknown).
func readRequestBody(r io.Reader, size, max int64) ([]byte, error) {
	n := int64(512)
	if size >= 0 && size < max {
		n = size + 1 // +1: room to read EOF without growing
	}
	b := make([]byte, 0, n)
	r = io.LimitReader(r, max)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		m, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+m]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// An answer is what serve decided: a response to write (through wrap), or
// nil to close the connection without one.
type answer struct {
	resp      *Response
	wrap      func(*Response)
	partial   int // partialNone, or how the body is cut short
	faultCode uint32
	note      string
	// sent, if not nil, is called once the response was written in full.
	sent func()
}

// How a Receive response body is cut short (Faults.StallReceiveBody,
// Faults.TruncateReceiveBody).
const (
	partialNone = iota
	partialStall
	partialTruncate
)

func dropped(note string) answer { return answer{note: note} }

func plain(status int, h http.Header, body []byte, note string) answer {
	if h == nil {
		h = http.Header{}
	}
	return answer{resp: &Response{Status: status, Header: h, Body: body}, note: note}
}

// abort closes the connection without a response.
func abort(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			_ = c.Close()
		}
	}
}

// hang parks a request until the client leaves or the server closes.
func (s *Server) hang(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-s.closing:
	}
}

func (s *Server) serve(r *http.Request, conn *Conn, rec *Request) answer {
	f := s.Faults()
	if !s.sleep(r.Context(), f.latency()) {
		return dropped("request ended during injected latency")
	}
	if f.NoAnswer {
		s.hang(r.Context())
		return dropped("fault NoAnswer")
	}
	if r.URL.Path != "/wsman" {
		return plain(http.StatusNotFound, http.Header{"Content-Type": {"text/html; charset=us-ascii"}}, []byte(notFoundPage), "path "+r.URL.Path)
	}
	if r.Method != http.MethodPost {
		return plain(http.StatusMethodNotAllowed, http.Header{"Allow": {"POST"}}, nil, "method "+r.Method)
	}
	limit := int64(s.cfg.maxEnvelopeKB) * 1024
	body, err := readRequestBody(r.Body, r.ContentLength, limit+1)
	if err != nil {
		return dropped("read body: " + err.Error())
	}
	if int64(len(body)) > limit {
		return plain(http.StatusRequestEntityTooLarge, http.Header{"Connection": {"close"}}, nil, "body over MaxEnvelopeSizekb")
	}

	// Authentication.
	areq := &AuthRequest{HTTP: r, Body: body, Conn: conn, AllowUnencrypted: s.cfg.allowUnencrypted, Password: s.password}
	if r.TLS != nil && s.tlsConf != nil {
		areq.ServerCertificate = s.tlsConf.Certificates[0].Leaf
	}
	// Stats: a request with an Authorization header is a logon attempt.
	creds := r.Header.Get("Authorization") != ""
	var res *AuthResult
	var authErr error
	if f.Unauthorized {
		authErr = errors.New("fault Unauthorized")
	} else {
		for _, a := range s.cfg.auths {
			res, authErr = a.Authenticate(areq)
			if res != nil || authErr != nil {
				break
			}
		}
	}
	if res != nil && res.Reply != nil {
		rec.setOp(s, OpAuth)
		// A 401 Reply carries a challenge; any other ends a handshake.
		if creds && res.Reply.Status != http.StatusUnauthorized {
			s.stats.logonsAccepted.Add(1)
		}
		return answer{resp: res.Reply, note: "authentication leg"}
	}
	if res == nil || res.User == "" {
		rec.setOp(s, OpAuth)
		if creds {
			s.stats.logonsRejected.Add(1)
		}
		if authErr == nil {
			authErr = errors.New("no credentials")
		}
		return plain(http.StatusUnauthorized, s.challenge(), nil, authErr.Error())
	}
	if creds {
		s.stats.logonsAccepted.Add(1)
	}
	user := res.User
	s.logUpdate(rec, func(q *Request) { q.User = user })
	soapBody := body
	if res.Body != nil {
		soapBody = res.Body
	}

	resp, note := s.dispatch(r.Context(), user, conn, soapBody, rec, f)
	if resp == nil { // hung up or dropped
		return dropped(note)
	}
	if !s.sleep(r.Context(), f.HeaderDelay) {
		return dropped("request ended during HeaderDelay")
	}
	a := answer{resp: &resp.Response, wrap: res.Wrap, faultCode: resp.faultCode, note: note, sent: resp.sent}
	if resp.Status == http.StatusUnauthorized {
		a.wrap = nil // a 401 is never sealed
		if creds {
			s.stats.logonsRejected.Add(1) // UnauthorizedOn
		}
	}
	if rec.op(s) == OpReceive && resp.Status == http.StatusOK {
		switch {
		case f.StallReceiveBody:
			a.partial, a.note = partialStall, "fault StallReceiveBody"
		case f.TruncateReceiveBody:
			a.partial, a.note = partialTruncate, "fault TruncateReceiveBody"
		}
	}
	return a
}

// challenge is the header of a 401: one WWW-Authenticate per scheme offered.
func (s *Server) challenge() http.Header {
	h := http.Header{}
	for _, a := range s.cfg.auths {
		for _, c := range a.Challenge() {
			h.Add("WWW-Authenticate", c)
		}
	}
	return h
}

func (r *Request) op(s *Server) Op {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return r.Op
}

func (r *Request) setOp(s *Server, op Op) {
	s.logUpdate(r, func(q *Request) { q.Op = op })
}

// writeResponse writes resp and reports whether it reached the connection
// (nil: written and flushed to the socket).
func (s *Server) writeResponse(w http.ResponseWriter, resp *Response, wrap func(*Response)) error {
	var err error
	s.writeHead(w, resp, wrap, func(body []byte) {
		if _, err = w.Write(body); err == nil {
			err = flush(w)
		}
	})
	return err
}

// flush sends what w holds to the connection: http.ResponseController's
// Flush without allocating a controller per response.
func flush(w http.ResponseWriter) error {
	if f, ok := w.(interface{ FlushError() error }); ok {
		return f.FlushError()
	}
	return http.NewResponseController(w).Flush()
}

// writeHead writes the status and headers of resp (after wrap), with the
// Content-Length of the whole body, and lets body write the body. resp
// itself is left as it is: wrap works on a copy (with its own header), and
// without wrap resp's header is only read.
func (s *Server) writeHead(w http.ResponseWriter, resp *Response, wrap func(*Response), body func([]byte)) {
	out := *resp
	if wrap != nil {
		out.Header = resp.Header.Clone()
		if out.Header == nil {
			out.Header = http.Header{}
		}
		wrap(&out)
	}
	h := w.Header()
	for k, v := range out.Header {
		h[k] = v
	}
	h.Set("Server", httpAPIVersion)
	h.Set("Content-Length", strconv.Itoa(len(out.Body)))
	w.WriteHeader(out.Status)
	body(out.Body)
}

const notFoundPage = `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN""http://www.w3.org/TR/html4/strict.dtd">
<HTML><HEAD><TITLE>Not Found</TITLE>
<META HTTP-EQUIV="Content-Type" Content="text/html; charset=us-ascii"></HEAD>
<BODY><h2>Not Found</h2>
<hr><p>HTTP Error 404. The requested resource is not found.</p>
</BODY></HTML>
`

func (s *Server) password(user string) (string, bool) {
	c := canonicalUser(user)
	for u, p := range s.cfg.users {
		if canonicalUser(u) == c {
			return p, true
		}
	}
	return "", false
}

// gateListener is a listener that can refuse connections for real (by
// closing the socket) and listen again on the same address.
type gateListener struct {
	mu     sync.Mutex
	cur    net.Listener // nil while refusing
	wake   chan struct{}
	closed bool
	addr   net.Addr
}

func newGateListener(l net.Listener) *gateListener {
	return &gateListener{cur: l, wake: make(chan struct{}), addr: l.Addr()}
}

func (g *gateListener) Accept() (net.Conn, error) {
	for {
		g.mu.Lock()
		l, wake, closed := g.cur, g.wake, g.closed
		g.mu.Unlock()
		if closed {
			return nil, net.ErrClosed
		}
		if l == nil {
			<-wake
			continue
		}
		c, err := l.Accept()
		if err == nil {
			return c, nil
		}
		g.mu.Lock()
		swapped := g.cur != l && !g.closed
		g.mu.Unlock()
		if swapped {
			continue
		}
		return nil, err
	}
}

func (g *gateListener) refuse() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cur != nil {
		_ = g.cur.Close()
		g.cur = nil
	}
}

func (g *gateListener) reopen(addr string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed || g.cur != nil {
		return nil
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	g.cur = l
	close(g.wake)
	g.wake = make(chan struct{})
	return nil
}

func (g *gateListener) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil
	}
	g.closed = true
	if g.cur != nil {
		_ = g.cur.Close()
		g.cur = nil
	}
	close(g.wake)
	return nil
}

func (g *gateListener) Addr() net.Addr { return g.addr }
