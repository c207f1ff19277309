// Package ntlmhttp is an http.RoundTripper that authenticates to a WinRM
// service with NTLM (inside the Negotiate scheme, as Windows expects) once
// per TCP connection and, when asked, seals every message with that
// connection's security context (MS-WSMV 2.2.9.1.1 message encryption).
//
// It replaces masterzen/winrm's ClientNTLM and Encryption transports, which
// either need unencrypted traffic allowed (or HTTPS) or repeat the three-leg
// handshake for every message, share one security context between
// goroutines, ignore TLS settings, timeouts and the dialer, and fall back
// silently to unencrypted messages.
//
// A RoundTripper owns its connections. Each connection is dialled with
// Options.DialContext, wrapped in TLS for https URLs, authenticated with an
// empty-body NEGOTIATE/AUTHENTICATE exchange, and then carries messages one
// at a time until it breaks, the server closes it, or CloseIdleConnections
// is called. Requests for one host use at most Options.MaxConns connections;
// any number of hosts are served concurrently.
//
// RoundTrip takes the plaintext SOAP POST and returns the plaintext SOAP
// response with the server's status code. When Options.Encrypt is set it
// never sends or accepts an unencrypted SOAP body. A 401 (bad credentials, or
// a server refusing the message) is returned as a response with status 401;
// a failed authentication is never retried. Neither errors nor anything else
// the package produces contain the password.
package ntlmhttp

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bodgit/ntlmssp"

	"github.com/winfleet/winfleet/remote/internal/sockcheck"
)

// DefaultMaxConns is the number of connections per host when Options.MaxConns
// is 0: a WinRM command uses one, plus one for a Send that runs while a
// Receive is parked.
const DefaultMaxConns = 2

// maxBody bounds a response body. WinRM answers stay below the client's
// MaxEnvelopeSize (150 KB by default); 16 MB refuses a runaway stream.
const maxBody = 16 << 20

// Options configure a RoundTripper.
type Options struct {
	// User is the account, as "user", `DOMAIN\user` or "user@domain".
	User string
	// Password is the account's password. It is never logged or put in an
	// error.
	Password string
	// Domain, if set, overrides a domain given in User.
	Domain string
	// Encrypt seals and signs every message (message encryption). It is what
	// a Windows host requires over HTTP (AllowUnencrypted=false); over HTTPS
	// it is optional. When set, the RoundTripper never sends or accepts an
	// unencrypted SOAP body.
	Encrypt bool
	// DialContext dials the TCP connection; a net.Dialer with a 30 s timeout
	// if nil.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// TLSConfig is used for https URLs. If its ServerName is empty, the URL's
	// host is used.
	TLSConfig *tls.Config
	// TLSHandshakeTimeout bounds the TLS handshake of each new https
	// connection (0: only the request context bounds it).
	TLSHandshakeTimeout time.Duration
	// ResponseHeaderTimeout bounds the wait for a response's headers after
	// the request is written (0: no limit). Use the request context for an
	// overall deadline.
	ResponseHeaderTimeout time.Duration
	// MaxConns bounds the connections per host (DefaultMaxConns if 0).
	// Requests beyond it wait for a connection to come free.
	MaxConns int
}

// ErrUnencryptedResponse is returned when Encrypt is set and the server
// answers a request with an unencrypted 2xx body: the RoundTripper does not
// accept it.
var ErrUnencryptedResponse = errors.New("server sent an unencrypted response to an encrypted request")

// ErrNoSealing is returned when Encrypt is set and the server's challenge
// does not offer sealing, so messages could not be encrypted.
var ErrNoSealing = errors.New("server does not offer NTLM sealing (message encryption)")

// ErrTLSHandshakeTimeout is returned when the TLS handshake of a new
// connection takes longer than Options.TLSHandshakeTimeout. It reports
// Timeout() true.
var ErrTLSHandshakeTimeout error = timeoutError("TLS handshake timeout")

type timeoutError string

func (e timeoutError) Error() string { return string(e) }
func (timeoutError) Timeout() bool   { return true }

// ErrHandshake is wrapped by errors of the NTLM exchange other than a 401
// (which is returned as a response): a challenge that cannot be parsed, an
// unexpected status.
var ErrHandshake = errors.New("NTLM handshake failed")

// An Error is a failure to exchange a message with a host: dialling, TLS,
// writing the request, reading or decrypting the response. Err is the cause;
// Timeout reports a timeout anywhere in the chain, so that http.Client and
// url.Error report it as such.
type Error struct {
	Op   string // "dial", "tls", "handshake", "handshake: write", "handshake: read", "post: write", "post: read", "encrypt", "decrypt"
	Host string // host:port
	Err  error
}

func (e *Error) Error() string {
	cause := e.Err.Error()
	if strings.Contains(cause, e.Host) {
		// A net.OpError already names the address ("dial tcp h:p: ...").
		return "ntlmhttp: " + cause
	}
	return "ntlmhttp: " + e.Op + " " + e.Host + ": " + cause
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Timeout reports whether the cause is a timeout.
func (e *Error) Timeout() bool {
	var t interface{ Timeout() bool }
	return errors.As(e.Err, &t) && t.Timeout()
}

// RoundTripper is an http.RoundTripper speaking NTLM-authenticated (and
// optionally encrypted) WinRM. It is safe for concurrent use by any number of
// goroutines and hosts.
type RoundTripper struct {
	o Options

	mu    sync.Mutex
	hosts map[string]*pool
}

// New returns a RoundTripper with the given options.
func New(o Options) *RoundTripper {
	if o.MaxConns <= 0 {
		o.MaxConns = DefaultMaxConns
	}
	if o.DialContext == nil {
		o.DialContext = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	return &RoundTripper{o: o, hosts: make(map[string]*pool)}
}

// pool holds one host's connections: slots bounds the connections in use
// or idle, idle holds the authenticated connections waiting for a request.
type pool struct {
	slots chan struct{}
	mu    sync.Mutex
	idle  []*conn
}

func (rt *RoundTripper) pool(key string) *pool {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	p := rt.hosts[key]
	if p == nil {
		p = &pool{slots: make(chan struct{}, rt.o.MaxConns)}
		rt.hosts[key] = p
	}
	return p
}

// CloseIdleConnections closes the connections not carrying a request.
func (rt *RoundTripper) CloseIdleConnections() {
	rt.mu.Lock()
	pools := make([]*pool, 0, len(rt.hosts))
	for _, p := range rt.hosts {
		pools = append(pools, p)
	}
	rt.mu.Unlock()
	for _, p := range pools {
		p.mu.Lock()
		idle := p.idle
		p.idle = nil
		p.mu.Unlock()
		for _, c := range idle {
			c.close()
		}
	}
}

// RoundTrip implements http.RoundTripper. req is a plaintext SOAP POST; its
// Authorization header, if any, is dropped.
func (rt *RoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := readRequestBody(req)
	if err != nil {
		return nil, err
	}
	if req.URL == nil || (req.URL.Scheme != "http" && req.URL.Scheme != "https") {
		return nil, fmt.Errorf("ntlmhttp: unsupported URL %v", req.URL)
	}
	ctx := req.Context()
	addr := hostPort(req.URL.Scheme, req.URL.Host)
	key := req.URL.Scheme + "://" + addr
	p := rt.pool(key)

	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	c := p.takeIdle()
	if c == nil {
		var resp *http.Response
		c, resp, err = rt.connect(ctx, req, addr)
		if err != nil || resp != nil {
			<-p.slots
			return resp, ctxErr(ctx, err)
		}
	}
	resp, reuse, err := c.exchange(ctx, req, body)
	if reuse && err == nil {
		p.putIdle(c)
	} else {
		c.close()
	}
	<-p.slots
	return resp, ctxErr(ctx, err)
}

// ctxErr returns ctx's error if ctx is done, so that a request cut by its
// context fails with context.Canceled or DeadlineExceeded whichever step
// (dial, TLS, handshake, exchange) it was in, and err otherwise.
func ctxErr(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

func (p *pool) takeIdle() *conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.idle) > 0 {
		c := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if c.alive() {
			return c
		}
		c.close()
	}
	return nil
}

func (p *pool) putIdle(c *conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.idle = append(p.idle, c)
}

func readRequestBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	defer req.Body.Close()
	b, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, fmt.Errorf("ntlmhttp: read request body: %w", err)
	}
	return b, nil
}

func hostPort(scheme, host string) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if scheme == "https" {
		return net.JoinHostPort(host, "443")
	}
	return net.JoinHostPort(host, "80")
}

// conn is one authenticated connection.
type conn struct {
	rt   *RoundTripper
	addr string
	nc   net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
	// sec is the connection's NTLM session security, nil unless Encrypt.
	// Messages on a connection are strictly sequential, so it needs no lock.
	sec *ntlmssp.SecuritySession
}

// dial opens the TCP (and TLS) connection, honouring ctx.
func (rt *RoundTripper) dial(ctx context.Context, scheme, addr string) (net.Conn, error) {
	nc, err := rt.o.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, &Error{Op: "dial", Host: addr, Err: err}
	}
	if scheme != "https" {
		return nc, nil
	}
	cfg := &tls.Config{}
	if rt.o.TLSConfig != nil {
		cfg = rt.o.TLSConfig.Clone()
	}
	if cfg.ServerName == "" {
		host, _, _ := net.SplitHostPort(addr)
		cfg.ServerName = host
	}
	hctx := ctx
	if t := rt.o.TLSHandshakeTimeout; t > 0 {
		var cancel context.CancelFunc
		hctx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
	}
	tc := tls.Client(nc, cfg)
	if err := tc.HandshakeContext(hctx); err != nil {
		nc.Close()
		if ctx.Err() == nil && hctx.Err() != nil {
			err = ErrTLSHandshakeTimeout
		}
		return nil, &Error{Op: "tls", Host: addr, Err: err}
	}
	return tc, nil
}

// alive reports whether an idle connection can carry a request: the server
// has not closed it and has sent nothing unsolicited (a close_notify alert,
// say). A connection that fails the check is replaced by a new one, with a
// new handshake; a request is never sent on a connection known to be dead.
func (c *conn) alive() bool {
	if c.br.Buffered() > 0 {
		return false
	}
	raw := c.nc
	if tc, ok := raw.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	return sockcheck.Idle(raw)
}

func (c *conn) close() { c.nc.Close() }

// roundTrip writes one request on the connection and reads the whole
// response, honouring ctx (by closing the connection) and
// ResponseHeaderTimeout. It returns the response with its body read into
// memory.
func (c *conn) roundTrip(ctx context.Context, out *http.Request, op string) (*http.Response, []byte, error) {
	stop := context.AfterFunc(ctx, func() { c.nc.Close() })
	resp, body, err := c.roundTripLocked(out, op)
	if !stop() {
		return nil, nil, ctx.Err()
	}
	return resp, body, err
}

func (c *conn) roundTripLocked(out *http.Request, op string) (*http.Response, []byte, error) {
	if err := out.Write(c.bw); err != nil {
		return nil, nil, &Error{Op: op + ": write", Host: c.addr, Err: err}
	}
	if err := c.bw.Flush(); err != nil {
		return nil, nil, &Error{Op: op + ": write", Host: c.addr, Err: err}
	}
	if t := c.rt.o.ResponseHeaderTimeout; t > 0 {
		if err := c.nc.SetReadDeadline(time.Now().Add(t)); err != nil {
			return nil, nil, &Error{Op: op + ": read", Host: c.addr, Err: err}
		}
	}
	resp, err := http.ReadResponse(c.br, out)
	if err != nil {
		return nil, nil, &Error{Op: op + ": read", Host: c.addr, Err: err}
	}
	if err := c.nc.SetReadDeadline(time.Time{}); err != nil {
		return nil, nil, &Error{Op: op + ": read", Host: c.addr, Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, nil, &Error{Op: op + ": read", Host: c.addr, Err: err}
	}
	if len(body) > maxBody {
		return nil, nil, &Error{Op: op + ": read", Host: c.addr, Err: fmt.Errorf("response body over %d bytes", maxBody)}
	}
	return resp, body, nil
}

// soapContentType is the Content-Type of a plaintext WinRM message, and the
// one assumed when the caller's request has none.
const soapContentType = "application/soap+xml;charset=UTF-8"

// requestContentType is the caller's Content-Type, soapContentType if none.
func requestContentType(req *http.Request) string {
	if ct := req.Header.Get("Content-Type"); ct != "" {
		return ct
	}
	return soapContentType
}

// outgoing builds a request for the wire from the caller's: same URL, host
// and headers (less Authorization), with the given Content-Type and body.
func outgoing(ctx context.Context, req *http.Request, contentType string, body []byte) *http.Request {
	h := req.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Del("Authorization")
	h.Set("Content-Type", contentType)
	out := &http.Request{
		Method:        http.MethodPost,
		URL:           req.URL,
		Host:          req.Host,
		Header:        h,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		ContentLength: int64(len(body)),
	}
	if len(body) > 0 {
		out.Body = io.NopCloser(bytes.NewReader(body))
	}
	return out.WithContext(ctx)
}

// exchange sends one SOAP message on an authenticated connection. reuse
// reports whether the connection may carry another message.
func (c *conn) exchange(ctx context.Context, req *http.Request, body []byte) (resp *http.Response, reuse bool, err error) {
	var out *http.Request
	if c.sec != nil {
		sealed, sig, err := c.sec.Wrap(body)
		if err != nil {
			return nil, false, &Error{Op: "encrypt", Host: c.addr, Err: err}
		}
		out = outgoing(ctx, req, ContentType, frame(requestContentType(req), len(body), sig, sealed))
	} else {
		out = outgoing(ctx, req, requestContentType(req), body)
	}
	r, rbody, err := c.roundTrip(ctx, out, "post")
	if err != nil {
		return nil, false, err
	}
	reuse = !r.Close
	switch {
	case r.StatusCode == http.StatusUnauthorized:
		// The server no longer accepts this connection's context (or the
		// message): report it, never re-authenticate behind the caller.
		return response(req, r, nil, ""), false, nil
	case c.sec == nil:
		return response(req, r, rbody, ""), reuse, nil
	case encryptedContentType(r.Header.Get("Content-Type")):
		origType, n, sig, sealed, err := unframe(rbody)
		if err != nil {
			return nil, false, &Error{Op: "decrypt", Host: c.addr, Err: err}
		}
		plain, err := c.sec.Unwrap(sealed, sig)
		if err != nil {
			return nil, false, &Error{Op: "decrypt", Host: c.addr, Err: err}
		}
		if len(plain) != n {
			return nil, false, &Error{Op: "decrypt", Host: c.addr, Err: fmt.Errorf("%w: Length %d, decrypted %d bytes", errFraming, n, len(plain))}
		}
		return response(req, r, plain, origType), reuse, nil
	case r.StatusCode/100 == 2:
		return nil, false, &Error{Op: "decrypt", Host: c.addr, Err: ErrUnencryptedResponse}
	default:
		// An error status from the HTTP layer (413, 500 with Connection:
		// close, 404): keep the status, drop the unauthenticated body.
		return response(req, r, nil, ""), reuse, nil
	}
}

// response builds the caller's response from the wire response r with body
// (the plaintext). contentType, if set, replaces the Content-Type.
func response(req *http.Request, r *http.Response, body []byte, contentType string) *http.Response {
	h := r.Header.Clone()
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	if body == nil {
		h.Del("Content-Type")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	return &http.Response{
		Status:        r.Status,
		StatusCode:    r.StatusCode,
		Proto:         r.Proto,
		ProtoMajor:    r.ProtoMajor,
		ProtoMinor:    r.ProtoMinor,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
		TLS:           r.TLS,
	}
}
