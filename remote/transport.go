package remote

import (
	"context"
	"crypto/tls"
	"crypto/x509"
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
	"github.com/masterzen/winrm/soap"

	"github.com/winfleet/winfleet/remote/ntlmhttp"
)

// maxAnswer bounds the body read from one answer. WinRM answers stay below
// the MaxEnvelopeSize we send (153600 bytes); a few MB leaves room for
// anything a real host sends while refusing to buffer a runaway stream.
const maxAnswer = 8 << 20

// mutualAuthHeader is the Authorization value WinRM expects with a client
// certificate (reference/winrm.md §6.2).
const mutualAuthHeader = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual"

// poster sends one SOAP message and returns the answer body. It is the part
// of the transport that differs per authentication scheme.
type poster interface {
	post(ctx context.Context, op string, msg *soap.SoapMessage, body string) (string, error)
}

// transport implements winrm.Transporter for one Client. masterzen's Post
// carries no context, so the Client sets the context of the call in
// progress with setCtx before driving masterzen and clears it afterwards;
// every HTTP request is bound to it, which is what lets a cancellation cut a
// parked Receive at once.
//
// Unlike masterzen's own transports it turns every non-200 answer into an
// *Error (FaultError for SOAP faults), except w:TimedOut on Receive, whose
// body is handed back so that masterzen receives again.
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

	mu  sync.Mutex
	ctx context.Context

	requests      atomic.Int64
	fastTimedOuts atomic.Int64
}

func (t *transport) setCtx(ctx context.Context) {
	t.mu.Lock()
	t.ctx = ctx
	t.mu.Unlock()
}

func (t *transport) currentCtx() context.Context {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.ctx
}

// Transport implements winrm.Transporter. The HTTP stack is built by Dial
// from the Target, so there is nothing to do with masterzen's Endpoint.
func (t *transport) Transport(*winrm.Endpoint) error { return nil }

// Post implements winrm.Transporter.
func (t *transport) Post(_ *winrm.Client, msg *soap.SoapMessage) (string, error) {
	body := msg.String()
	op := opOf(body)
	ctx := t.currentCtx()
	if ctx == nil {
		// Only reachable if masterzen sent a request outside a Client call.
		return "", &Error{Host: t.host, Op: op, Kind: ErrProtocol, Err: errors.New("request outside of a client call")}
	}
	return t.send(ctx, op, msg, body)
}

// send posts msg with ctx, counting the request and logging it.
func (t *transport) send(ctx context.Context, op string, msg *soap.SoapMessage, body string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", ctxError(ctx, t.host, op)
	}
	start := time.Now()
	t.requests.Add(1)
	out, err := t.poster.post(ctx, op, msg, body)
	if op == "receive" && err == nil {
		err = t.checkTimedOutSpin(out, time.Since(start))
	}
	if t.log.Enabled(ctx, slog.LevelDebug) {
		attrs := []slog.Attr{slog.String("op", op), slog.Duration("took", time.Since(start)), slog.Bool("ok", err == nil)}
		if err != nil {
			attrs = append(attrs, slog.String("err", err.Error())) // errors never hold secrets
		}
		t.log.LogAttrs(ctx, slog.LevelDebug, "winrm request", attrs...)
	}
	return out, err
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

func (t *transport) checkTimedOutSpin(body string, took time.Duration) error {
	if !strings.Contains(body, "Fault>") || !strings.Contains(body, "TimedOut") {
		t.fastTimedOuts.Store(0)
		return nil
	}
	if took >= t.fastTimedOut {
		t.fastTimedOuts.Store(0)
		return nil
	}
	if n := t.fastTimedOuts.Add(1); n >= maxFastTimedOut {
		t.fastTimedOuts.Store(0)
		return &Error{Host: t.host, Op: "receive", Kind: ErrProtocol,
			Err:  fmt.Errorf("the host answered %d Receives in a row with w:TimedOut without waiting", n),
			Hint: "the host's MaxTimeoutms or a proxy cuts long-polls short; check winrm/config MaxTimeoutms"}
	}
	return nil
}

// opOf names the WS-Management operation of an outgoing message from its
// a:Action header.
func opOf(body string) string {
	head := body
	if i := strings.Index(body, ":Body"); i >= 0 {
		head = body[:i] // the user's command line is in the body
	}
	for _, a := range [...]struct{ suffix, op string }{
		{"shell/Receive<", "receive"},
		{"shell/Command<", "command"},
		{"shell/Signal<", "signal"},
		{"shell/Send<", "send"},
		{"transfer/Create<", "create"},
		{"transfer/Delete<", "delete"},
	} {
		if strings.Contains(head, a.suffix) {
			return a.op
		}
	}
	return "request"
}

// httpPoster posts over our own http.Client. authorize adds the
// Authorization header (Basic or the client-certificate marker); it is nil
// when the round tripper authenticates by itself (NTLM).
type httpPoster struct {
	t         *transport
	hc        *http.Client
	authorize func(*http.Request)
}

func (p *httpPoster) post(ctx context.Context, op string, msg *soap.SoapMessage, body string) (string, error) {
	rctx, cancel := context.WithTimeout(ctx, p.t.readTimeout+time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, p.t.url, strings.NewReader(body))
	if err != nil {
		return "", &Error{Host: p.t.host, Op: op, Kind: ErrConfig, Err: err}
	}
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	if p.authorize != nil {
		p.authorize(req)
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		return "", p.t.transportError(ctx, op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return "", p.t.transportError(ctx, op, err)
	}
	if len(data) > maxAnswer {
		return "", &Error{Host: p.t.host, Op: op, Kind: ErrProtocol,
			Err:  fmt.Errorf("http %d answer over %d bytes", resp.StatusCode, maxAnswer),
			Hint: "WinRM answers stay below the MaxEnvelopeSize we send (150 KB); is another service on this port?"}
	}
	return p.t.answer(op, resp.StatusCode, resp.Header, data)
}

// answer turns an HTTP answer into masterzen's (body, error) contract.
func (t *transport) answer(op string, status int, h http.Header, data []byte) (string, error) {
	ct := h.Get("Content-Type")
	soapCT := strings.Contains(ct, "application/soap+xml")
	switch {
	case status == http.StatusOK && soapCT:
		if len(data) == 0 || !looksLikeXML(data) {
			return "", &Error{Host: t.host, Op: op, Kind: ErrProtocol,
				Err:  fmt.Errorf("http 200 with a body that is not XML (%d bytes)", len(data)),
				Hint: "the listener answered but not with WS-Management XML; is a proxy or another service on this port?"}
		}
		return string(data), nil
	case status == http.StatusUnauthorized:
		return "", &Error{Host: t.host, Op: op, Kind: ErrAuth,
			Err:  fmt.Errorf("http 401 unauthorized%s", offered(h)),
			Hint: authHint(t.kind, t.https, h)}
	}
	if f, ok := parseFault(op, status, data); ok {
		if op == "receive" && isTimedOut(f) {
			// masterzen parses this as "not done" and receives again.
			return string(data), nil
		}
		return "", &Error{Host: t.host, Op: op, Kind: ErrFault, Err: f, Hint: faultHint(f)}
	}
	e := &Error{Host: t.host, Op: op, Kind: ErrProtocol,
		Err: fmt.Errorf("http %d with content type %q, not a WS-Management answer", status, ct)}
	switch {
	case status == http.StatusNotFound:
		e.Hint = "the path /wsman was not found: is this port a WinRM listener (5985 http, 5986 https), or is a proxy answering?"
	case status == http.StatusRequestEntityTooLarge:
		e.Hint = "the request exceeds the host's MaxEnvelopeSizekb; send less per command"
	case status == http.StatusBadRequest && !t.https:
		e.Hint = "the port may expect HTTPS: set https=true (5986) or use the HTTP port 5985"
	case status >= 300 && status < 400:
		e.Hint = "the host redirected to " + h.Get("Location") + "; WinRM listeners do not redirect, check the address and port"
	case status == http.StatusOK:
		e.Hint = "the port answers HTTP but not WS-Management; check the port"
	}
	return "", e
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

// roundTripper builds the HTTP stack of a target: our own http.Transport
// with connect, handshake and header timeouts and a small idle pool for
// basic and certificate, or an ntlmhttp.RoundTripper (NTLM once per
// connection, message encryption) for ntlm. This is the seam where a
// transport kind chooses its http.RoundTripper; Post above it is the same
// for all.
func roundTripper(kind string, t Target, o Options, encrypt bool) (http.RoundTripper, error) {
	dialer := &net.Dialer{Timeout: o.ConnectTimeout, KeepAlive: 30 * time.Second}
	var cfg *tls.Config
	if t.HTTPS {
		var err error
		if cfg, err = tlsConfig(t); err != nil {
			return nil, err
		}
	}
	if kind == TransportNTLM {
		return ntlmhttp.New(ntlmhttp.Options{
			User:                  t.User,
			Password:              t.Password,
			Encrypt:               encrypt,
			DialContext:           dialer.DialContext,
			TLSConfig:             cfg,
			TLSHandshakeTimeout:   o.ConnectTimeout,
			ResponseHeaderTimeout: o.ReadTimeout,
			MaxConns:              o.MaxIdleConns,
		}), nil
	}
	return &http.Transport{
		Proxy:                 nil, // WinRM goes direct; see README
		DialContext:           dialer.DialContext,
		TLSClientConfig:       cfg,
		TLSHandshakeTimeout:   o.ConnectTimeout,
		ResponseHeaderTimeout: o.ReadTimeout,
		MaxIdleConns:          o.MaxIdleConns,
		MaxIdleConnsPerHost:   o.MaxIdleConns,
		IdleConnTimeout:       90 * time.Second,
		DisableCompression:    true,
		ForceAttemptHTTP2:     false,
	}, nil
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
