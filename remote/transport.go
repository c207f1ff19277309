package remote

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/masterzen/winrm"

	"github.com/winfleet/winfleet/remote/ntlmhttp"
)

// maxAnswer bounds the body read from one answer. WinRM answers stay below
// the MaxEnvelopeSize we send (153600 bytes); a few MB leaves room for
// anything a real host sends while refusing to buffer a runaway stream.
const maxAnswer = 8 << 20

// mutualAuthHeader is the Authorization value WinRM expects with a client
// certificate (reference/winrm.md §6.2).
const mutualAuthHeader = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual"

// poster sends one SOAP message and returns the HTTP answer. It is the part
// of the transport that differs per authentication scheme.
type poster interface {
	// post sends body and reads the answer's body into ans's buffer (grown
	// as needed and returned in httpAnswer.body), which it takes
	// (ans.take) only once the answer's headers have arrived.
	post(ctx context.Context, req wsmanRequest, body []byte, ans *lazyAnswer) (httpAnswer, error)
}

// httpAnswer is an HTTP answer as a poster read it.
type httpAnswer struct {
	status int
	header http.Header
	body   []byte
}

// transport sends the SOAP messages of one Client and decodes the answers.
// Every request is bound to the context of the call in progress, which is
// what lets a cancellation cut a parked Receive at once.
//
// Every non-200 answer becomes an *Error (FaultError for SOAP faults),
// except w:TimedOut on Receive, which is reported as wsResponse.timedOut so
// that the client receives again.
//
// A transport is used by one Client call at a time (the Client's mutex).
// It keeps no buffer between requests (see requestPool and answerPool).
type transport struct {
	host string // host:port for errors
	url  string
	// fastTimedOut is how quick a w:TimedOut answer must be to count as
	// "without waiting" (see checkTimedOutSpin).
	fastTimedOut time.Duration
	kind         string
	https        bool
	readTimeout  time.Duration // Options.ReadTimeout, for the request deadline and timeout errors
	log          *slog.Logger

	poster poster
	params *winrm.Parameters // the Client's, for the envelopes
	// tmpl holds the envelope template of each op once looked up: the
	// params never change, so the process-wide memo (and its lock) is
	// consulted once per op and client, not once per request.
	tmpl map[string]*envTemplate

	requests      atomic.Int64
	fastTimedOuts int
}

// The scratch space of one request comes from two pools shared by every
// client in the process, so a fleet shares as many buffers as it has
// requests being written or answers being read, instead of keeping a set
// per client (issue 13: the answer buffers were a quarter of a scan's
// allocations) or per request waiting for its host (at 500 hosts in
// flight that was 20 MB held across the wait). A sync.Pool is a cache, not
// state: what it returns never depends on what was put in, only how much
// is allocated does.
//
// requestPool holds request envelopes, borrowed while a request is sent
// (its answer is awaited with it, as a request that fails before it was
// written is sent again on a new connection).
var requestPool = sync.Pool{New: func() any { return new(requestBuffer) }}

type requestBuffer struct{ b []byte }

// answerBuffers are the answer body and the response decoder. Nothing that
// outlives the request points into them: the decoder copies every value
// it returns (identifiers, fault texts, errors), and a Receive's output is
// decoded into the caller's output, not kept in the body.
type answerBuffers struct {
	body []byte
	dec  responseDecoder
}

// answerPool holds idle answerBuffers.
var answerPool = sync.Pool{New: func() any { return new(answerBuffers) }}

// lazyAnswer is a request's claim on answerBuffers: taken from answerPool
// when the answer arrives (take), given back once it is decoded (put).
type lazyAnswer struct{ a *answerBuffers }

// take returns the answer buffers, borrowing them on first use.
func (l *lazyAnswer) take() *answerBuffers {
	if l.a == nil {
		l.a = answerPool.Get().(*answerBuffers)
	}
	return l.a
}

// put gives the buffers back. body is the answer as read: when reading it
// grew a larger buffer, that one is kept instead (if pooled allows).
func (l *lazyAnswer) put(body []byte) {
	b := l.a
	if b == nil {
		return
	}
	l.a = nil
	if cap(body) > cap(b.body) {
		b.body = body[:0]
	}
	if !pooled(b.body, len(body)) {
		b.body = nil
	}
	b.dec.trim()
	answerPool.Put(b)
}

// Pooled buffers. A buffer goes back to its pool unless it is over
// maxKeptBuffer, or over largeBuffer with less than a quarter of it used
// by the request or command that returns it. A pooled buffer only grows
// (it serves the largest answer or output it meets), so without the
// second rule a few large answers would leave every in-flight request of
// the fleet holding a large buffer; with it, a large buffer stays in the
// pool only while large answers keep using it. Answers are normally a few
// KB, Receives up to the 150 KB envelope, a command's output a few KB to
// a few hundred.
const (
	maxKeptBuffer = 256 << 10
	largeBuffer   = 64 << 10
)

// pooled reports whether b, of which used bytes served, goes back to a
// pool.
func pooled(b []byte, used int) bool {
	return cap(b) <= maxKeptBuffer && (cap(b) <= largeBuffer || used >= cap(b)/4)
}

// exchange sends req with ctx and decodes the answer. out is where the
// output of a Receive goes.
func (t *transport) exchange(ctx context.Context, req wsmanRequest, out *output) (wsResponse, error) {
	op := req.op
	if err := ctx.Err(); err != nil {
		return wsResponse{}, ctxError(ctx, t.host, op)
	}
	start := time.Now()
	t.requests.Add(1)
	tp := t.tmpl[op]
	if tp == nil {
		if t.tmpl == nil {
			t.tmpl = make(map[string]*envTemplate, 5)
		}
		tp = templateFor(op, t.params)
		t.tmpl[op] = tp
	}
	rb := requestPool.Get().(*requestBuffer)
	var id messageID
	id.fill()
	rb.b = fillEnvelope(rb.b[:0], tp, t.url, id[:], req)
	var la lazyAnswer
	a, err := t.poster.post(ctx, req, rb.b, &la)
	if !pooled(rb.b, len(rb.b)) {
		rb.b = nil
	}
	requestPool.Put(rb)
	var r wsResponse
	if err == nil {
		r, err = t.answer(&la.take().dec, op, a, req.cmdID, out)
	}
	la.put(a.body)
	if op == "receive" && err == nil {
		err = t.checkTimedOutSpin(r.timedOut, time.Since(start))
	}
	if t.log.Enabled(ctx, slog.LevelDebug) {
		attrs := []slog.Attr{slog.String("op", op), slog.Duration("took", time.Since(start)), slog.Bool("ok", err == nil)}
		if err != nil {
			attrs = append(attrs, slog.String("err", err.Error())) // errors never hold secrets
		}
		t.log.LogAttrs(ctx, slog.LevelDebug, "winrm request", attrs...)
	}
	return r, err
}

// Spin guard: a host (or something in between) that answers a Receive with
// w:TimedOut at once, instead of after OperationTimeout, would make
// masterzen receive in a hot loop. After maxFastTimedOut such answers in a
// row, each quicker than the transport's fastTimedOut, the command ends
// with ErrProtocol. fastTimedOut is half the OperationTimeout, at most
// maxFastTimedOutWait: far above any loopback or LAN round trip even on a
// loaded machine, and far below a long-poll a host really waited out.
const (
	maxFastTimedOutWait = time.Second
	maxFastTimedOut     = 50
)

// fastTimedOutFor returns the spin guard's threshold for an OperationTimeout.
func fastTimedOutFor(operationTimeout time.Duration) time.Duration {
	return min(operationTimeout/2, maxFastTimedOutWait)
}

func (t *transport) checkTimedOutSpin(timedOut bool, took time.Duration) error {
	if !timedOut || took >= t.fastTimedOut {
		t.fastTimedOuts = 0
		return nil
	}
	if t.fastTimedOuts++; t.fastTimedOuts >= maxFastTimedOut {
		n := t.fastTimedOuts
		t.fastTimedOuts = 0
		return &Error{Host: t.host, Op: "receive", Kind: ErrProtocol,
			Err:  fmt.Errorf("the host answered %d Receives in a row with w:TimedOut without waiting", n),
			Hint: "the host's MaxTimeoutms or a proxy cuts long-polls short; check winrm/config MaxTimeoutms"}
	}
	return nil
}

// httpPoster posts over an http.Client whose round tripper authenticates
// by itself (ntlmhttp).
type httpPoster struct {
	t  *transport
	hc *http.Client
}

func (p *httpPoster) post(ctx context.Context, r wsmanRequest, body []byte, ans *lazyAnswer) (httpAnswer, error) {
	op := r.op
	rctx, cancel := context.WithTimeout(ctx, p.t.readTimeout+time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, p.t.url, bytes.NewReader(body))
	if err != nil {
		return httpAnswer{}, &Error{Host: p.t.host, Op: op, Kind: ErrConfig, Err: err}
	}
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	resp, err := p.hc.Do(req)
	if err != nil {
		return httpAnswer{}, p.t.transportError(ctx, op, err)
	}
	defer resp.Body.Close()
	data, err := readBody(resp.Body, resp.ContentLength, ans.take().body[:0])
	a := httpAnswer{status: resp.StatusCode, header: resp.Header, body: data}
	if errors.Is(err, errAnswerTooLarge) {
		return a, p.t.tooLarge(op, resp.StatusCode)
	}
	if err != nil {
		return a, p.t.transportError(ctx, op, err)
	}
	return a, nil
}

var errAnswerTooLarge = errors.New("answer too large")

// tooLarge is the error of an answer over maxAnswer bytes.
func (t *transport) tooLarge(op string, status int) error {
	return &Error{Host: t.host, Op: op, Kind: ErrProtocol,
		Err:  fmt.Errorf("http %d answer over %d bytes", status, maxAnswer),
		Hint: "WinRM answers stay below the MaxEnvelopeSize we send (150 KB); is another service on this port?"}
}

// readBody reads an answer's body into buf (grown as needed), refusing
// more than maxAnswer bytes. With a known length it reads it in one go.
func readBody(r io.Reader, length int64, buf []byte) ([]byte, error) {
	if length > maxAnswer {
		return buf, errAnswerTooLarge
	}
	if length >= 0 {
		n := int(length)
		if cap(buf) < n {
			buf = make([]byte, 0, n)
		}
		buf = buf[:n]
		if _, err := io.ReadFull(r, buf); err != nil {
			return buf[:0], err
		}
		return buf, nil
	}
	buf = buf[:0]
	if cap(buf) == 0 {
		buf = make([]byte, 0, 4096)
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if len(buf) > maxAnswer {
			return buf, errAnswerTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// answer turns an HTTP answer into the decoded response of op, or an
// *Error.
func (t *transport) answer(dec *responseDecoder, op string, a httpAnswer, cmdID string, out *output) (wsResponse, error) {
	ct := a.header.Get("Content-Type")
	soapCT := strings.Contains(ct, "application/soap+xml")
	switch {
	case a.status == http.StatusOK && soapCT:
		if len(a.body) == 0 || !looksLikeXML(a.body) {
			return wsResponse{}, &Error{Host: t.host, Op: op, Kind: ErrProtocol,
				Err:  fmt.Errorf("http 200 with a body that is not XML (%d bytes)", len(a.body)),
				Hint: "the listener answered but not with WS-Management XML; is a proxy or another service on this port?"}
		}
		r, err := dec.decodeResponse(a.body, op, cmdID, out)
		var big *OutputTooLargeError
		switch {
		case errors.As(err, &big):
			return r, &Error{Host: t.host, Op: op, Kind: ErrOutputTooLarge, Err: big,
				Hint: "the command printed far more than expected (a runaway or wrong command); it was terminated; raise the output limit if such output is normal"}
		case err != nil:
			return r, &Error{Host: t.host, Op: op, Kind: ErrProtocol, Err: fmt.Errorf("%s answer: %w", op, err),
				Hint: "the host's answer is not the WS-Management answer expected"}
		case r.fault != nil:
			r.fault.Status = a.status
			return wsResponse{}, &Error{Host: t.host, Op: op, Kind: ErrFault, Err: r.fault, Hint: faultHint(r.fault)}
		}
		return r, nil
	case a.status == http.StatusUnauthorized:
		return wsResponse{}, &Error{Host: t.host, Op: op, Kind: ErrAuth,
			Err:  fmt.Errorf("http 401 unauthorized%s", offered(a.header)),
			Hint: authHint(t.kind, t.https, a.header)}
	}
	if f, ok := dec.parseFault(op, a.status, a.body); ok {
		if op == "receive" && isTimedOut(f) {
			return wsResponse{timedOut: true}, nil
		}
		return wsResponse{}, &Error{Host: t.host, Op: op, Kind: ErrFault, Err: f, Hint: faultHint(f)}
	}
	e := &Error{Host: t.host, Op: op, Kind: ErrProtocol,
		Err: fmt.Errorf("http %d with content type %q, not a WS-Management answer", a.status, ct)}
	switch {
	case a.status == http.StatusNotFound:
		e.Hint = "the path /wsman was not found: is this port a WinRM listener (5985 http, 5986 https), or is a proxy answering?"
	case a.status == http.StatusRequestEntityTooLarge:
		e.Hint = "the request exceeds the host's MaxEnvelopeSizekb; send less per command"
	case a.status == http.StatusBadRequest && !t.https:
		e.Hint = "the port may expect HTTPS: set https=true (5986) or use the HTTP port 5985"
	case a.status >= 300 && a.status < 400:
		e.Hint = "the host redirected to " + a.header.Get("Location") + "; WinRM listeners do not redirect, check the address and port"
	case a.status == http.StatusOK:
		e.Hint = "the port answers HTTP but not WS-Management; check the port"
	}
	return wsResponse{}, e
}

func looksLikeXML(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n', 0xEF, 0xBB, 0xBF:
			continue
		}
		return c == '<'
	}
	return false
}

// offered lists the authentication schemes of a 401, e.g.
// " (host offers Negotiate, Kerberos)".
func offered(h http.Header) string {
	schemes := authSchemes(h)
	if len(schemes) == 0 {
		return ""
	}
	return " (host offers " + strings.Join(schemes, ", ") + ")"
}

func authSchemes(h http.Header) []string {
	var out []string
	for _, v := range h.Values("Www-Authenticate") {
		for _, part := range strings.Split(v, ",") {
			f := strings.Fields(strings.TrimSpace(part))
			if len(f) == 0 || strings.Contains(f[0], "=") {
				continue
			}
			out = append(out, f[0])
		}
	}
	return out
}

func offers(h http.Header, scheme string) bool {
	for _, s := range authSchemes(h) {
		if strings.EqualFold(s, scheme) {
			return true
		}
	}
	return false
}

// authHint says what an operator can check after a 401. A 401 is never
// retried: repeated bad passwords lock accounts out.
func authHint(kind string, https bool, h http.Header) string {
	const never = "; winfleet does not retry a 401, to avoid locking the account"
	switch kind {
	case TransportBasic:
		if len(authSchemes(h)) > 0 && !offers(h, "Basic") {
			return "the host does not offer Basic auth (Auth/Basic=false): try transport=ntlm or kerberos" + never
		}
		if !https {
			return "check user and password; Basic auth or AllowUnencrypted may be disabled on the host; try transport=ntlm" + never
		}
		return "check user and password (Basic needs a local account, not a domain one); the host may have Basic auth disabled: try transport=ntlm" + never
	case TransportCertificate:
		return "the client certificate is not mapped to a local account on the host (winrm/config/service/certmapping) or Auth/Certificate is disabled" + never
	case TransportKerberos:
		return "check the credentials or ticket, the SPN (HTTP/host), the realm and the clock skew (5 min)" + never
	case TransportNTLM:
		return "check user, password and domain; a non-builtin local admin needs LocalAccountTokenFilterPolicy=1" + never
	}
	return "check the credentials" + never
}

// ctxError is the error for a request not sent or cut because ctx is done:
// the caller's cancellation stays a plain context.Canceled; a deadline is
// the per-host budget and becomes ErrTimeout (also matching
// context.DeadlineExceeded).
func ctxError(ctx context.Context, host, op string) error {
	err := ctx.Err()
	if errors.Is(err, context.DeadlineExceeded) {
		return &Error{Host: host, Op: op, Kind: ErrTimeout, Err: context.DeadlineExceeded,
			Hint: "the per-host time budget ran out; raise --timeout or check why the host is slow"}
	}
	return fmt.Errorf("%s: %s: %w", host, op, err)
}

// transportError classifies a failed round trip. ctx is the caller's
// context (not the per-request one), so that a budget deadline or a
// cancellation is told apart from a read timeout. The cause kept in the
// error is never a *url.Error: masterzen retries a *url.Error timeout
// forever (issue #161), and its text would repeat the URL.
func (t *transport) transportError(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return ctxError(ctx, t.host, op)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	e := &Error{Host: t.host, Op: op, Err: err}
	var (
		dnsErr   *net.DNSError
		opErr    *net.OpError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		recHdr   tls.RecordHeaderError
		alert    tls.AlertError
		netErr   net.Error
	)
	dial := errors.As(err, &opErr) && opErr.Op == "dial"
	switch {
	case errors.Is(err, ntlmhttp.ErrNoSealing):
		e.Kind = ErrProtocol
		e.Hint = "the host does not offer NTLM sealing: use https, or message_encryption=never with allow_unencrypted"
	case errors.Is(err, ntlmhttp.ErrUnencryptedResponse):
		e.Kind = ErrProtocol
		e.Hint = "the host answered an encrypted request in clear; a proxy may be in the way"
	case errors.Is(err, ntlmhttp.ErrHandshake):
		e.Kind = ErrProtocol
		e.Hint = "the NTLM handshake did not complete; the host may not offer Negotiate (Auth/Negotiate=false)"
	case errors.As(err, &dnsErr):
		e.Kind = ErrUnreachable
		e.Hint = "the host name does not resolve; check the inventory address and DNS"
	case errors.Is(err, syscall.ECONNREFUSED):
		e.Kind = ErrUnreachable
		e.Hint = "nothing listens on this port: is the WinRM listener enabled (winrm quickconfig) and the port right (5985 http, 5986 https)?"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		e.Kind = ErrUnreachable
		e.Hint = "no route to the host; check the address, VPN and routing"
	case errors.As(err, &unknown):
		e.Kind = ErrTLS
		e.Hint = "the server certificate is signed by an unknown authority: set the CA file to the CA that issued it (skip-verify only in a lab)"
	case errors.As(err, &hostname):
		e.Kind = ErrTLS
		e.Hint = fmt.Sprintf("the server certificate is not valid for %q: set the server name to a name in the certificate, or connect by that name", hostname.Host)
	case errors.As(err, &invalid):
		e.Kind = ErrTLS
		e.Hint = "the server certificate is not valid (expired or not yet valid, or not for server use): check the host clock and renew the listener certificate"
	case errors.As(err, &recHdr), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		e.Kind = ErrTLS
		e.Hint = "the port does not speak TLS: use https=false or the HTTPS port 5986"
	case errors.As(err, &alert):
		e.Kind = ErrTLS
		e.Hint = "the host aborted the TLS handshake; it may require or reject the client certificate, or the TLS versions do not match"
	case errors.As(err, &netErr) && netErr.Timeout() && dial:
		e.Kind = ErrUnreachable
		e.also = []error{ErrTimeout}
		e.Hint = "the TCP connect did not complete within the connect timeout: host down, or a firewall drops the packets"
	case errors.Is(err, ntlmhttp.ErrTLSHandshakeTimeout), strings.Contains(err.Error(), "TLS handshake timeout"):
		e.Kind = ErrTimeout
		e.Hint = "the TLS handshake did not complete within the connect timeout: the port may not speak TLS, or the host is overloaded"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		e.Kind = ErrTimeout
		e.Err = fmt.Errorf("no answer within the read timeout %v", t.readTimeout)
		e.Hint = "the host accepted the connection but did not answer in time: WinRM service hung or overloaded"
	case dial:
		e.Kind = ErrUnreachable
		e.Hint = "could not connect; check the address, port and firewall"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), strings.Contains(err.Error(), "closed"):
		e.Kind = ErrUnreachable
		e.Hint = "the host (or a proxy or firewall) closed the connection before answering: WinRM service restart, reboot, or an idle cut"
		if !t.https {
			e.Hint += "; if this port is an HTTPS listener (5986), set https=true"
		}
	default:
		e.Kind = ErrProtocol
	}
	return e
}

// poster builds the HTTP side of a target that is not kerberos: our own
// exchange over one kept-alive connection (wirePoster) for basic and
// certificate, an ntlmhttp.RoundTripper (NTLM once per connection, message
// encryption) for ntlm. Both dial with ConnectTimeout, shake TLS hands
// within it and wait ReadTimeout for an answer's headers. The returned
// closer closes idle connections.
func newPoster(tr *transport, kind string, t Target, o Options, encrypt bool) (poster, interface{ CloseIdleConnections() }, error) {
	// No TCP keep-alive probes: every wait on a connection is bounded by
	// ReadTimeout, which finds a dead peer sooner than the probes would
	// (the first after 30 s idle, giving up minutes later), and setting
	// them up costs four setsockopt calls per connection.
	dialer := &net.Dialer{Timeout: o.ConnectTimeout, KeepAlive: -1}
	var cfg *tls.Config
	if t.HTTPS {
		var err error
		if cfg, err = tlsConfig(t); err != nil {
			return nil, nil, err
		}
	}
	switch kind {
	case TransportNTLM:
		rt := ntlmhttp.New(ntlmhttp.Options{
			User:                  t.User,
			Password:              t.Password,
			Encrypt:               encrypt,
			DialContext:           dialer.DialContext,
			TLSConfig:             cfg,
			TLSHandshakeTimeout:   o.ConnectTimeout,
			ResponseHeaderTimeout: o.ReadTimeout,
			MaxConns:              o.MaxIdleConns,
		})
		hc := &http.Client{Transport: rt, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
		return &httpPoster{t: tr, hc: hc}, rt, nil
	case TransportCertificate:
		p := newWirePoster(tr, t.Address(), dialer.DialContext, cfg, o.ConnectTimeout, mutualAuthHeader)
		return p, p, nil
	}
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(t.User+":"+t.Password))
	p := newWirePoster(tr, t.Address(), dialer.DialContext, cfg, o.ConnectTimeout, auth)
	return p, p, nil
}

// messageEncryption decides whether ntlm seals messages: "always" and
// "never" say so; "auto" (the default) seals over HTTP and not over HTTPS,
// where TLS already protects them (pywinrm's rule).
func messageEncryption(t Target) bool {
	switch strings.ToLower(t.MessageEncryption) {
	case "always":
		return true
	case "never":
		return false
	}
	return !t.HTTPS
}

func tlsConfig(t Target) (*tls.Config, error) {
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         t.ServerName,
		InsecureSkipVerify: t.InsecureSkipVerify, //nolint:gosec // explicit, logged opt-in
		// Windows asks for the client certificate by renegotiation.
		Renegotiation: tls.RenegotiateOnceAsClient,
	}
	if cfg.ServerName == "" {
		cfg.ServerName = t.Host
	}
	if t.CAFile != "" || len(t.CAPEM) > 0 {
		pool := x509.NewCertPool()
		if t.CAFile != "" {
			pem, err := os.ReadFile(t.CAFile)
			if err != nil {
				return nil, fmt.Errorf("ca file: %w", err)
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("ca file %s: no PEM certificate found", t.CAFile)
			}
		}
		if len(t.CAPEM) > 0 && !pool.AppendCertsFromPEM(t.CAPEM) {
			return nil, errors.New("ca pem: no PEM certificate found")
		}
		cfg.RootCAs = pool
	}
	if t.transport() == TransportCertificate {
		cert, err := tls.X509KeyPair(t.ClientCertPEM, t.ClientKeyPEM)
		if err != nil {
			// The key parse error never contains the key itself.
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}
