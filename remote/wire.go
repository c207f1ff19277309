package remote

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/winfleet/winfleet/remote/internal/sockcheck"
	"github.com/winfleet/winfleet/remote/ntlmhttp"
)

// wirePoster posts the SOAP messages of the basic and certificate
// transports over one kept-alive connection of its own, writing HTTP/1.1
// by hand and reading answers with http.ReadResponse. A Client sends one
// request at a time, so net/http's connection pool, and its two goroutines
// and channel handoffs per connection and request, buy nothing; this is a
// sixth of the client's CPU per host (BenchmarkHostScan).
//
// What net/http gave us and this keeps: ConnectTimeout for the dial and
// the TLS handshake, ReadTimeout for the answer's headers, ReadTimeout + 1 s
// for the whole exchange, cancellation by ctx at any point, keep-alive with
// a dead-connection check before reuse (sockcheck.Idle) and one retry on a
// new connection when a reused one fails before the request was written,
// "Connection: close", chunked answers, no proxy, no redirects.
type wirePoster struct {
	t         *transport
	addr      string // host:port to dial
	dial      func(ctx context.Context, network, addr string) (net.Conn, error)
	tls       *tls.Config // nil for http
	handshake time.Duration
	head      []byte // request line and fixed headers, up to "Content-Length: "

	mu   sync.Mutex // guards idle against CloseIdleConnections
	idle *wireConn
}

type wireConn struct {
	nc   net.Conn
	br   *bufio.Reader
	head []byte      // the request head being written, reused
	vec  [2][]byte   // head and body, for one writev
	bufs net.Buffers // over vec; here so that WriteTo's receiver needs no allocation
}

// wireConnPool holds the reader and head buffer of closed connections
// (4 KB and a few hundred bytes), so that a scan's thousands of
// connections, one per host, reuse them. A cache like answerPool.
var wireConnPool = sync.Pool{New: func() any { return &wireConn{br: bufio.NewReader(nil)} }}

// newWireConn wraps nc with a pooled reader.
func newWireConn(nc net.Conn) *wireConn {
	c := wireConnPool.Get().(*wireConn)
	c.nc = nc
	c.br.Reset(nc)
	return c
}

// close closes the connection and gives c back to wireConnPool: c must
// not be used after.
func (c *wireConn) close() {
	_ = c.nc.Close()
	c.nc = nil
	c.br.Reset(nil)
	c.vec = [2][]byte{}
	c.bufs = nil
	wireConnPool.Put(c)
}

// newWirePoster prepares the fixed part of every request: the request line,
// Host, Content-Type and Authorization (authorization is the header value,
// or "").
func newWirePoster(t *transport, host string, dial func(ctx context.Context, network, addr string) (net.Conn, error),
	cfg *tls.Config, handshake time.Duration, authorization string) *wirePoster {
	head := []byte("POST /wsman HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: winfleet\r\nContent-Type: application/soap+xml;charset=UTF-8\r\n")
	if authorization != "" {
		head = append(head, "Authorization: "+authorization+"\r\n"...)
	}
	head = append(head, "Content-Length: "...)
	return &wirePoster{t: t, addr: host, dial: dial, tls: cfg, handshake: handshake, head: head}
}

// nothingWritten marks a write that failed before any byte of the request
// went out: on a reused connection, the request can be sent again on a new
// one. Its text is the cause's.
type nothingWritten struct{ err error }

func (e nothingWritten) Error() string { return e.err.Error() }
func (e nothingWritten) Unwrap() error { return e.err }

func (p *wirePoster) post(ctx context.Context, req wsmanRequest, body []byte, ans *lazyAnswer) (httpAnswer, error) {
	op := req.op
	c, reused, err := p.conn(ctx)
	if err != nil {
		return httpAnswer{}, p.t.transportError(ctx, op, err)
	}
	a, reuse, err := p.exchange(ctx, c, body, ans)
	if err != nil && reused && errors.As(err, new(nothingWritten)) && ctx.Err() == nil {
		c.close()
		if c, err = p.connect(ctx); err != nil {
			return httpAnswer{}, p.t.transportError(ctx, op, err)
		}
		a, reuse, err = p.exchange(ctx, c, body, ans)
	}
	if err != nil {
		c.close()
		if errors.Is(err, errAnswerTooLarge) {
			return a, p.t.tooLarge(op, a.status)
		}
		return a, p.t.transportError(ctx, op, err)
	}
	if reuse {
		p.mu.Lock()
		if p.idle != nil {
			p.idle.close()
		}
		p.idle = c
		p.mu.Unlock()
	} else {
		c.close()
	}
	return a, nil
}

// conn returns the idle connection if it is still usable, or a new one.
func (p *wirePoster) conn(ctx context.Context) (c *wireConn, reused bool, err error) {
	p.mu.Lock()
	c, p.idle = p.idle, nil
	p.mu.Unlock()
	if c != nil {
		raw := c.nc
		if tc, ok := raw.(*tls.Conn); ok {
			raw = tc.NetConn()
		}
		if c.br.Buffered() == 0 && sockcheck.Idle(raw) {
			return c, true, nil
		}
		c.close()
	}
	c, err = p.connect(ctx)
	return c, false, err
}

// connect dials (and for https shakes hands) within ctx and the dialer's
// and handshake's timeouts.
func (p *wirePoster) connect(ctx context.Context) (*wireConn, error) {
	nc, err := p.dial(ctx, "tcp", p.addr)
	if err != nil {
		return nil, err
	}
	if p.tls != nil {
		hctx, cancel := context.WithTimeout(ctx, p.handshake)
		defer cancel()
		tc := tls.Client(nc, p.tls)
		if err := tc.HandshakeContext(hctx); err != nil {
			nc.Close()
			if ctx.Err() == nil && hctx.Err() != nil {
				err = ntlmhttp.ErrTLSHandshakeTimeout
			}
			return nil, err
		}
		nc = tc
	}
	return newWireConn(nc), nil
}

// errReadTimeout is the cause of an exchange cut by the read deadlines;
// transportError makes it ErrTimeout ("no answer within the read
// timeout").
var errReadTimeout = fmt.Errorf("read timeout: %w", context.DeadlineExceeded)

// exchange writes one request and reads its whole answer. reuse reports
// whether the connection may carry another request.
func (p *wirePoster) exchange(ctx context.Context, c *wireConn, body []byte, ans *lazyAnswer) (a httpAnswer, reuse bool, err error) {
	start := time.Now()
	// A cancellation interrupts a blocked read or write at once; the
	// deadline of the whole exchange is ReadTimeout + 1 s (as the request
	// context was with net/http).
	// The func may still run after stop returns, when c is back in
	// wireConnPool: it must hold the connection, not c.
	nc := c.nc
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	// Each deadline set below would undo the func's past deadline had ctx
	// ended just before: setDeadline checks ctx after setting, so a
	// cancellation is either seen here or lands after the new deadline.
	setDeadline := func(set func(time.Time) error, t time.Time) error {
		if err := set(t); err != nil {
			return err
		}
		return ctx.Err()
	}
	if err := setDeadline(c.nc.SetDeadline, start.Add(p.t.readTimeout+time.Second)); err != nil {
		return a, false, err
	}
	c.head = append(append(c.head[:0], p.head...), strconv.Itoa(len(body))...)
	c.head = append(c.head, "\r\n\r\n"...)
	// Head and body in one writev, without copying the body.
	c.vec = [2][]byte{c.head, body}
	c.bufs = c.vec[:]
	n, err := c.bufs.WriteTo(c.nc)
	c.vec[1] = nil // the body is the caller's
	if err != nil {
		if ctx.Err() != nil {
			return a, false, ctx.Err()
		}
		if n == 0 {
			return a, false, nothingWritten{err}
		}
		return a, false, err
	}
	// The headers must come within ReadTimeout of the request.
	if err := setDeadline(c.nc.SetReadDeadline, time.Now().Add(p.t.readTimeout)); err != nil {
		return a, false, err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return a, false, p.readErr(ctx, err)
	}
	defer resp.Body.Close()
	if err := setDeadline(c.nc.SetReadDeadline, start.Add(p.t.readTimeout+time.Second)); err != nil {
		return a, false, err
	}
	a.status, a.header = resp.StatusCode, resp.Header
	a.body, err = readBody(resp.Body, resp.ContentLength, ans.take().body[:0])
	if err != nil {
		if errors.Is(err, errAnswerTooLarge) {
			return a, false, err
		}
		return a, false, p.readErr(ctx, err)
	}
	return a, !resp.Close, nil
}

// readErr names why a read failed: the caller's context, the read
// deadlines, or the connection.
func (p *wirePoster) readErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return errReadTimeout
	}
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF // the host closed the connection before answering
	}
	return err
}

// CloseIdleConnections closes the kept-alive connection, if any.
func (p *wirePoster) CloseIdleConnections() {
	p.mu.Lock()
	c := p.idle
	p.idle = nil
	p.mu.Unlock()
	if c != nil {
		c.close()
	}
}
