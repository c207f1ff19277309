package winrmtest

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// NTLM is the Negotiate authentication scheme of the WinRM service with NTLM
// inside it (raw NTLMSSP tokens, as Windows accepts them under "Negotiate"),
// and MS-WSMV message encryption. Add it with WithNTLM or WithAuthenticator.
// It is a test-only NTLMv2 acceptor written from MS-NLMP, independent of
// winfleet's client (remote/ntlmhttp) and checked against masterzen's
// ClientNTLM and Encryption transports and against pywinrm.
//
// It behaves as Windows does after `winrm quickconfig`:
//
//   - 401 answers carry an empty body and advertise "Negotiate"; the
//     challenge leg carries "Negotiate <token>" (or "NTLM <token>" if the
//     client used that scheme).
//   - The security context belongs to the TCP connection. A new NEGOTIATE
//     message on a connection starts a new context.
//   - The challenge echoes only the flags the client asked for (never
//     KEY_EXCH, SIGN or SEAL unless requested, never LM_KEY or DATAGRAM),
//     plus the flags only a server sets: REQUEST_TARGET with the TargetName,
//     TARGET_TYPE_SERVER and TARGET_INFO, whose AV pairs are NbDomainName,
//     NbComputerName, DnsDomainName, DnsComputerName, Timestamp and EOL. The
//     Version field says Windows Server 2019 when VERSION was asked for.
//     Without extended session security only authentication is offered
//     (SIGN, SEAL and KEY_EXCH are dropped).
//   - The NTLMv2 response is verified with the user and domain names from
//     the AUTHENTICATE message; users are looked up as the server does
//     (case-insensitively, domain prefix or suffix removed). A wrong password,
//     an unknown user, an NTLMv1 response, anonymous logon or a MIC that does
//     not verify (checked when the client flags one in MsvAvFlags) is a 401.
//     Over HTTPS a channel binding (MsvAvChannelBindings) the client sends is
//     checked against the server certificate; see StrictChannelBinding.
//   - After the handshake, a POST without Authorization on that connection is
//     accepted when it is encrypted (multipart/encrypted, framing checked byte
//     for byte, signature and sequence number verified with one RC4 state
//     per direction) and its response is sealed the same way, whatever its
//     status. A malformed frame is a 401; a message whose signature or
//     sequence number does not verify is a 401 and ends the context.
//   - An empty-body POST that completes a handshake (the AUTHENTICATE leg)
//     is answered 200; an empty-body POST without Authorization is a 401 even
//     on an authenticated connection (masterzen's Encryption transport probes
//     with one before every message and needs the 401 to start its handshake).
//   - With AllowUnencrypted=false, a non-empty unencrypted body over plain
//     HTTP is refused with 401, even on an authenticated connection or with
//     the AUTHENTICATE message itself (what Windows does for NTLM: packer
//     #6205, masterzen #140). Over HTTPS, or with AllowUnencrypted=true, it is
//     accepted as the connection's user (see ReauthUnencrypted).
//   - A Negotiate token that is not NTLMSSP (Kerberos, SPNEGO) is a 401.
//
// The zero value is ready to use; one NTLM may serve any number of servers.
type NTLM struct {
	// Domain is the NetBIOS domain name the challenge announces as its
	// TargetName ("WORKGROUP" machines announce their computer name). Default
	// "WINRMTEST".
	Domain string
	// Computer is the NetBIOS computer name. Default "WINRMTEST".
	Computer string
	// DNSDomain is the DNS domain name (MsvAvDnsDomainName). Default
	// "winrmtest.local".
	DNSDomain string

	// ReauthUnencrypted makes an unencrypted request without Authorization
	// get a 401 even on an authenticated connection where unencrypted
	// messages are allowed, so that a client must repeat the handshake for
	// every message. By default such a request is accepted as the
	// connection's user, as HTTP.sys does for connection-bound NTLM (this is
	// what Azure/go-ntlmssp's "try anonymous first" relies on). Whether
	// Windows does this is not documented (reference/winrm.md §7.3).
	ReauthUnencrypted bool

	// StrictChannelBinding models CbtHardeningLevel=Strict: over HTTPS an
	// AUTHENTICATE message without a channel binding is refused. A binding
	// that is present is always checked against the server certificate
	// (Relaxed, the Windows default).
	StrictChannelBinding bool

	// Now is the clock for the challenge timestamp; time.Now if nil.
	Now func() time.Time
}

// WithNTLM adds the Negotiate/NTLM scheme with message encryption to a
// server. For the Windows default (Negotiate only, encryption required over
// HTTP) combine it with WithBasicAuth(false) and WithAllowUnencrypted(false):
//
//	winrmtest.Start(h, winrmtest.WithNTLM(), winrmtest.WithBasicAuth(false), winrmtest.WithAllowUnencrypted(false))
func WithNTLM() Option { return WithAuthenticator(&NTLM{}) }

// Errors the NTLM scheme records in Request.Note. None carries a password.
var (
	// ErrNTLMUnencrypted: an unencrypted body over HTTP while
	// AllowUnencrypted is false.
	ErrNTLMUnencrypted = errors.New("unencrypted message refused (AllowUnencrypted=false)")
	// ErrNTLMNotAuthenticated: a request without credentials on a connection
	// without a security context.
	ErrNTLMNotAuthenticated = errors.New("connection not authenticated")
)

// ntlmConnState is what the scheme keeps on a Conn.
type ntlmConnState struct {
	acceptor *ntlmAcceptor
	done     bool // the AUTHENTICATE message verified
}

// Challenge returns the scheme's WWW-Authenticate value.
func (a *NTLM) Challenge() []string { return []string{"Negotiate"} }

func (a *NTLM) identity() ntlmIdentity {
	id := ntlmIdentity{Domain: a.Domain, Computer: a.Computer, DNSZone: a.DNSDomain}
	if id.Computer == "" {
		id.Computer = "WINRMTEST"
	}
	if id.Domain == "" {
		id.Domain = id.Computer
	}
	if id.DNSZone == "" {
		id.DNSZone = "winrmtest.local"
	}
	id.DNSName = strings.ToLower(id.Computer) + "." + id.DNSZone
	return id
}

// Authenticate implements Authenticator.
func (a *NTLM) Authenticate(req *AuthRequest) (*AuthResult, error) {
	st, _ := req.Conn.AuthState().(*ntlmConnState)

	if scheme, token, ok := strings.Cut(req.HTTP.Header.Get("Authorization"), " "); ok &&
		(strings.EqualFold(scheme, "Negotiate") || strings.EqualFold(scheme, "NTLM")) {
		return a.handshake(req, st, scheme, strings.TrimSpace(token))
	}
	if req.HTTP.Header.Get("Authorization") != "" {
		return nil, nil // another scheme's (Basic)
	}
	if st == nil || !st.done {
		if isEncryptedContentType(req.HTTP.Header.Get("Content-Type")) {
			return nil, ErrNTLMNotAuthenticated
		}
		return nil, nil
	}
	user := st.acceptor.user
	switch {
	case isEncryptedContentType(req.HTTP.Header.Get("Content-Type")):
		return a.decrypt(req, st)
	case len(req.Body) == 0:
		// A probe: bodgit/ntlmssp (masterzen's Encryption) starts every
		// message with one and must see a 401 to run its handshake.
		return nil, ErrNTLMNotAuthenticated
	case !req.Conn.TLS && !req.AllowUnencrypted:
		return nil, ErrNTLMUnencrypted
	case a.ReauthUnencrypted:
		return nil, ErrNTLMNotAuthenticated
	default:
		return &AuthResult{User: user}, nil
	}
}

func (a *NTLM) handshake(req *AuthRequest, st *ntlmConnState, scheme, token string) (*AuthResult, error) {
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		return nil, fmt.Errorf("negotiate token: %w", err)
	}
	switch ntlmMessageType(raw) {
	case 1:
		st = &ntlmConnState{acceptor: newNTLMAcceptor(a.identity(), req.Password, a.Now)}
		req.Conn.SetAuthState(st)
		req.Conn.SetAuthenticated("")
		challenge, err := st.acceptor.Challenge(raw)
		if err != nil {
			req.Conn.SetAuthState(nil)
			return nil, err
		}
		h := http.Header{}
		h.Set("WWW-Authenticate", scheme+" "+base64.StdEncoding.EncodeToString(challenge))
		return &AuthResult{Reply: &Response{Status: http.StatusUnauthorized, Header: h}}, nil
	case 3:
		if st == nil || st.done {
			req.Conn.SetAuthState(nil)
			return nil, errNTLMState
		}
		if cert := ntlmServerCert(req.HTTP); cert != nil {
			st.acceptor.channelBinding = ntlmChannelBindingHash(cert)
			st.acceptor.strictCBT = a.StrictChannelBinding
		}
		if err := st.acceptor.Authenticate(raw); err != nil {
			req.Conn.SetAuthState(nil)
			req.Conn.SetAuthenticated("")
			return nil, err
		}
		st.done = true
		user := st.acceptor.user
		req.Conn.SetAuthenticated(user)
		switch {
		case len(req.Body) == 0:
			return &AuthResult{User: user, Reply: &Response{Status: http.StatusOK, Header: http.Header{}}}, nil
		case isEncryptedContentType(req.HTTP.Header.Get("Content-Type")):
			return a.decrypt(req, st)
		case !req.Conn.TLS && !req.AllowUnencrypted:
			return nil, ErrNTLMUnencrypted
		default:
			return &AuthResult{User: user}, nil
		}
	default:
		// Kerberos or an SPNEGO-wrapped token: this emulator speaks NTLM only.
		req.Conn.SetAuthState(nil)
		return nil, errors.New("negotiate token is not NTLMSSP")
	}
}

// decrypt unseals an encrypted request with the connection's session and
// arranges for the response to be sealed with it.
func (a *NTLM) decrypt(req *AuthRequest, st *ntlmConnState) (*AuthResult, error) {
	sess := st.acceptor.session
	if sess == nil {
		return nil, errors.New("encrypted message but no sealing was negotiated")
	}
	_, sig, sealed, err := unframeEncrypted(req.Body)
	if err != nil {
		return nil, err
	}
	plain, err := sess.Unseal(sealed, sig)
	if err != nil {
		// The RC4 state has moved on: the context is unusable.
		req.Conn.SetAuthState(nil)
		req.Conn.SetAuthenticated("")
		return nil, err
	}
	wrap := func(r *Response) {
		if len(r.Body) == 0 {
			return
		}
		if r.Header == nil {
			r.Header = http.Header{}
		}
		ct := r.Header.Get("Content-Type")
		if ct == "" {
			ct = "application/soap+xml;charset=UTF-8"
		}
		sealed, sig := sess.Seal(r.Body)
		r.Body = frameEncrypted(ct, len(r.Body), sig, sealed)
		r.Header.Set("Content-Type", EncryptedContentType)
	}
	return &AuthResult{User: st.acceptor.user, Body: plain, Wrap: wrap}, nil
}
