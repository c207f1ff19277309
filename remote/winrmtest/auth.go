package winrmtest

import (
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
)

// A Conn is the server's state for one TCP connection. Authenticators keep
// connection-bound state here (NTLM is bound to the connection, not to the
// request). Requests on one connection are served one at a time, but the
// methods are safe for concurrent use anyway.
type Conn struct {
	// ID numbers connections from 1 in accept order (Request.ConnID).
	ID int64
	// RemoteAddr is the client's address.
	RemoteAddr string
	// TLS reports whether the connection is HTTPS.
	TLS bool

	mu    sync.Mutex
	user  string
	state any
}

// SetAuthenticated marks the connection as authenticated as user (or clears
// it with ""). The server does not consult it on its own: an Authenticator
// reads it back with AuthenticatedUser to accept later requests on the
// connection without credentials.
func (c *Conn) SetAuthenticated(user string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.user = user
}

// AuthenticatedUser returns the user set by SetAuthenticated, or "".
func (c *Conn) AuthenticatedUser() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.user
}

// SetAuthState stores an authenticator's per-connection state (a handshake in
// progress, a security context with its sequence numbers and RC4 handles).
// It lives as long as the TCP connection.
func (c *Conn) SetAuthState(v any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.state = v
}

// AuthState returns what SetAuthState stored, or nil.
func (c *Conn) AuthState() any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// An Authenticator implements one HTTP authentication scheme of the WinRM
// service (Basic; Negotiate/NTLM with or without message encryption).
//
// For every request on /wsman the server reads the raw body (up to the
// envelope limit) and asks its authenticators in order. Authenticate returns:
//
//   - (nil, nil): the request carries nothing this scheme handles; the next
//     authenticator is asked. When none handles it, the server answers 401
//     with every authenticator's Challenge.
//   - (nil, err): the request is this scheme's and is refused (bad
//     credentials, broken token): 401 with every Challenge, err recorded in
//     Request.Note. err must not contain a password.
//   - (res, nil) with res.Reply set: the server writes Reply as is and skips
//     the SOAP layer (a 401 carrying a handshake token, the 200 to an
//     empty-body POST after a handshake).
//   - (res, nil) with res.User set: the request is authenticated. The server
//     processes res.Body (or the raw body when res.Body is nil, so a
//     decrypting scheme puts the plaintext there) and passes the response
//     through res.Wrap (if set) before writing it, so that an encrypting
//     scheme can replace the body, status and Content-Type.
//
// Authenticate is called for one request of a connection at a time; calls for
// different connections are concurrent.
type Authenticator interface {
	// Challenge returns the WWW-Authenticate values this scheme advertises in
	// a 401 ("Negotiate", `Basic realm="WSMAN"`).
	Challenge() []string
	Authenticate(req *AuthRequest) (*AuthResult, error)
}

// An AuthRequest is what an Authenticator sees of one request.
type AuthRequest struct {
	// HTTP is the request; its Body has been read already (use Body).
	HTTP *http.Request
	// Body is the raw request body as received.
	Body []byte
	// Conn is the TCP connection's state.
	Conn *Conn
	// AllowUnencrypted is the service's AllowUnencrypted setting.
	AllowUnencrypted bool
	// ServerCertificate is the certificate the server presented on this
	// connection (for channel binding, RFC 5929 tls-server-end-point), nil
	// over plain HTTP.
	ServerCertificate *x509.Certificate
	// Password looks a user up as Windows does (case-insensitive, domain
	// prefix or suffix removed) and returns its password.
	Password func(user string) (password string, ok bool)
}

// An AuthResult is an Authenticator's decision; see Authenticator.
type AuthResult struct {
	// User is the authenticated user name as the client sent it. With Reply,
	// it names the user a handshake leg authenticated (the 200 that ends an
	// NTLM handshake), so that a wrapping Authenticator sees the logon.
	User string
	// Body, if not nil, replaces the raw body for the SOAP layer.
	Body []byte
	// Wrap, if not nil, transforms the response before it is written.
	Wrap func(*Response)
	// Reply, if not nil, is written as the whole answer.
	Reply *Response
}

// A Response is an HTTP response before it is written. The server always
// adds Server: Microsoft-HTTPAPI/2.0 and Content-Length.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// ErrBadCredentials is returned by BasicAuth for an unknown user or a wrong
// password, wrapped in a *LogonError.
var ErrBadCredentials = errors.New("bad user name or password")

// A LogonError is what an Authenticator returns when it checked a request's
// credentials against an account and they are wrong: an unknown user or a
// wrong password (a domain controller's "bad password"). BasicAuth and NTLM
// return one; refusals for other reasons (a malformed token, a policy) are
// plain errors. A wrapping Authenticator can count failures per user with
// errors.As, e.g. to model an account lockout policy.
type LogonError struct {
	// User is the user name as the client sent it (maybe with a domain).
	User string
	// Err is the reason, e.g. ErrBadCredentials.
	Err error
}

// Error returns the reason's text (never the password).
func (e *LogonError) Error() string { return e.Err.Error() }

// Unwrap returns the reason.
func (e *LogonError) Unwrap() error { return e.Err }

// ErrUnencryptedRefused is returned by BasicAuth for Basic over plain HTTP
// while AllowUnencrypted is false.
var ErrUnencryptedRefused = errors.New("unencrypted basic authentication refused (AllowUnencrypted=false)")

// BasicAuth is HTTP Basic authentication against the server's users. Windows
// accepts it on every request (no connection state).
type BasicAuth struct{}

// Challenge returns the Basic challenge Windows sends.
func (BasicAuth) Challenge() []string { return []string{`Basic realm="WSMAN"`} }

// Authenticate checks an Authorization: Basic header.
func (BasicAuth) Authenticate(req *AuthRequest) (*AuthResult, error) {
	h := req.HTTP.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return nil, nil
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(token))
	if err != nil {
		return nil, errors.New("malformed basic credentials")
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		return nil, errors.New("malformed basic credentials")
	}
	if !req.Conn.TLS && !req.AllowUnencrypted {
		return nil, ErrUnencryptedRefused
	}
	want, known := req.Password(user)
	if !known || subtle.ConstantTimeCompare([]byte(want), []byte(pass)) != 1 {
		return nil, &LogonError{User: user, Err: ErrBadCredentials}
	}
	return &AuthResult{User: user}, nil
}

// canonicalUser strips a domain and lower-cases a user name.
func canonicalUser(u string) string {
	if i := strings.LastIndexByte(u, '\\'); i >= 0 {
		u = u[i+1:]
	}
	if i := strings.IndexByte(u, '@'); i >= 0 {
		u = u[:i]
	}
	return strings.ToLower(u)
}

func connTLS(c net.Conn) bool {
	_, ok := c.(*tls.Conn)
	return ok
}
