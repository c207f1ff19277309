package ntlmhttp

import (
	"bufio"
	"context"
	"crypto"
	_ "crypto/sha256" // hashes for channel bindings
	_ "crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/http"
	"strings"

	"github.com/bodgit/ntlmssp"
)

// NTLM negotiate flags checked in the server's challenge (MS-NLMP 2.2.2.5).
const (
	flagSeal    = 0x00000020
	flagKeyExch = 0x40000000
)

// splitUser separates `DOMAIN\user` and "user@domain"; domain, if not
// empty, wins.
func splitUser(user, domain string) (string, string) {
	u, d := user, ""
	if before, after, ok := strings.Cut(user, `\`); ok {
		d, u = before, after
	} else if before, after, ok := strings.Cut(user, "@"); ok {
		u, d = before, after
	}
	if domain != "" {
		d = domain
	}
	return u, d
}

// connect dials a new connection and authenticates it: NEGOTIATE on an
// empty-body POST, the server's CHALLENGE in a 401, AUTHENTICATE on another
// empty-body POST, which the server answers 200. If authentication is
// refused, connect returns the server's response (status 401 for bad
// credentials) instead of a connection.
func (rt *RoundTripper) connect(ctx context.Context, req *http.Request, addr string) (*conn, *http.Response, error) {
	nc, err := rt.dial(ctx, req.URL.Scheme, addr)
	if err != nil {
		return nil, nil, err
	}
	c := &conn{rt: rt, addr: addr, nc: nc, br: bufio.NewReader(nc), bw: bufio.NewWriter(nc)}
	resp, err := c.authenticate(ctx, req)
	if err != nil || resp != nil {
		c.close()
		return nil, resp, err
	}
	return c, nil, nil
}

func (c *conn) authenticate(ctx context.Context, req *http.Request) (*http.Response, error) {
	o := c.rt.o
	user, domain := splitUser(o.User, o.Domain)
	client, err := ntlmssp.NewClient(ntlmssp.SetUserInfo(user, o.Password), ntlmssp.SetDomain(domain))
	if err != nil {
		return nil, c.handshakeErr(err)
	}
	negotiate, err := client.Authenticate(nil, nil)
	if err != nil {
		return nil, c.handshakeErr(err)
	}
	r, body, err := c.leg(ctx, req, negotiate)
	if err != nil {
		return nil, err
	}
	challenge, ok, err := challengeToken(r)
	switch {
	case err != nil:
		return nil, c.handshakeErr(err)
	case !ok && r.StatusCode == http.StatusUnauthorized:
		// No Negotiate on offer (Basic only, say): an authentication
		// failure for the caller to report.
		return response(req, r, nil, ""), nil
	case !ok && r.StatusCode/100 == 2:
		return nil, c.handshakeErr(fmt.Errorf("server answered %s to the NEGOTIATE message", r.Status))
	case !ok:
		return response(req, r, body, ""), nil
	}
	if r.Close {
		return nil, c.handshakeErr(fmt.Errorf("server closed the connection after its challenge"))
	}
	if len(challenge) < 24 {
		return nil, c.handshakeErr(fmt.Errorf("challenge of %d bytes", len(challenge)))
	}
	if o.Encrypt && binary.LittleEndian.Uint32(challenge[20:24])&flagSeal == 0 {
		return nil, &Error{Op: "handshake", Host: c.addr, Err: ErrNoSealing}
	}
	var cbt *ntlmssp.ChannelBindings
	if tc, ok := c.nc.(*tls.Conn); ok {
		cbt = channelBindings(tc.ConnectionState())
	}
	authenticate, err := client.Authenticate(challenge, cbt)
	if err != nil {
		return nil, c.handshakeErr(err)
	}
	r, body, err = c.leg(ctx, req, authenticate)
	if err != nil {
		return nil, err
	}
	if r.StatusCode != http.StatusOK || r.Close {
		if r.StatusCode/100 == 2 {
			return nil, c.handshakeErr(fmt.Errorf("server closed the connection after authentication"))
		}
		if r.StatusCode == http.StatusUnauthorized {
			body = nil
		}
		return response(req, r, body, ""), nil
	}
	if o.Encrypt {
		s := client.SecuritySession()
		if s == nil {
			return nil, &Error{Op: "handshake", Host: c.addr, Err: ErrNoSealing}
		}
		c.sec = s
	}
	return nil, nil
}

func (c *conn) handshakeErr(err error) error {
	return &Error{Op: "handshake", Host: c.addr, Err: fmt.Errorf("%w: %w", ErrHandshake, err)}
}

// leg sends one handshake message on an empty-body POST.
func (c *conn) leg(ctx context.Context, req *http.Request, token []byte) (*http.Response, []byte, error) {
	out := outgoing(ctx, req, soapContentType, nil)
	out.Header.Set("Authorization", "Negotiate "+base64.StdEncoding.EncodeToString(token))
	return c.roundTrip(ctx, out, "handshake")
}

// challengeToken finds the CHALLENGE message in a 401's
// "WWW-Authenticate: Negotiate <base64>" (or NTLM) header.
func challengeToken(r *http.Response) ([]byte, bool, error) {
	if r.StatusCode != http.StatusUnauthorized {
		return nil, false, nil
	}
	for _, v := range r.Header.Values("WWW-Authenticate") {
		for _, part := range strings.Split(v, ",") {
			scheme, token, ok := strings.Cut(strings.TrimSpace(part), " ")
			if !ok || !(strings.EqualFold(scheme, "Negotiate") || strings.EqualFold(scheme, "NTLM")) {
				continue
			}
			b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(token))
			if err != nil {
				return nil, false, fmt.Errorf("challenge is not base64: %w", err)
			}
			return b, true, nil
		}
	}
	return nil, false, nil
}

// channelBindings returns the RFC 5929 tls-server-end-point binding of the
// server certificate, which NTLM carries as MsvAvChannelBindings so that a
// host with channel-binding hardening accepts the authentication over HTTPS.
func channelBindings(cs tls.ConnectionState) *ntlmssp.ChannelBindings {
	if len(cs.PeerCertificates) == 0 {
		return nil
	}
	cert := cs.PeerCertificates[0]
	var h crypto.Hash
	switch cert.SignatureAlgorithm {
	case x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1,
		x509.SHA256WithRSA, x509.DSAWithSHA256, x509.ECDSAWithSHA256, x509.SHA256WithRSAPSS:
		h = crypto.SHA256 // RFC 5929 4.1: MD5 and SHA-1 are replaced by SHA-256
	case x509.SHA384WithRSA, x509.ECDSAWithSHA384, x509.SHA384WithRSAPSS:
		h = crypto.SHA384
	case x509.SHA512WithRSA, x509.ECDSAWithSHA512, x509.SHA512WithRSAPSS:
		h = crypto.SHA512
	default:
		return nil // Ed25519 and others: no binding defined
	}
	hh := h.New()
	hh.Write(cert.Raw)
	return &ntlmssp.ChannelBindings{ApplicationData: append([]byte(ntlmssp.TLSServerEndPoint+":"), hh.Sum(nil)...)}
}
