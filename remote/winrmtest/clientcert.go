package winrmtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// MutualAuthHeader is the Authorization value a WinRM client sends with a
// TLS client certificate (WS-Management's https/mutual security profile).
const MutualAuthHeader = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual"

// Errors a ClientCertAuth refuses a request with (recorded in Request.Note).
var (
	// ErrNoClientCert: the request carries the mutual header, but no client
	// certificate was presented in the TLS handshake (or the request came
	// over plain HTTP).
	ErrNoClientCert = errors.New("mutual authentication without a client certificate")
	// ErrUnmappedClientCert: the presented certificate is mapped to no user.
	ErrUnmappedClientCert = errors.New("client certificate not mapped to a user")
)

// WithClientCertAuth enables client-certificate authentication (WinRM's
// Auth/Certificate) and serves HTTPS. certs maps a user name to its
// certificate, as `winrm create winrm/config/service/certmapping` maps
// certificates to local accounts on Windows; CA.IssueClient makes them.
//
// The server then asks for a client certificate in the initial TLS handshake
// (tls.RequestClientCert: Windows asks by renegotiation, which Go servers
// cannot do; clients accept either). A client that has none still connects,
// so Basic and other schemes keep working on the same listener. A request is
// authenticated as the mapped user when it carries
// "Authorization: " + MutualAuthHeader and the connection's leaf certificate
// is byte for byte one of certs (the handshake proved the client holds its
// key). The mutual header without a certificate, or with an unmapped one,
// gets 401 with an empty body and the other schemes' WWW-Authenticate values:
// Windows advertises no challenge for certificates.
//
// Certificates are matched exactly, not by issuer and subject as Windows
// does, and the chain is not verified. A nil certificate or a certificate
// mapped to two users makes Start fail. The option may be given more than
// once; each adds a scheme, asked in order.
func WithClientCertAuth(certs map[string]*x509.Certificate) Option {
	a := newClientCertAuth(certs)
	return func(c *config) {
		c.tls = true
		c.clientAuth = tls.RequestClientCert
		c.auths = append(c.auths, a)
	}
}

// clientCertAuth is the Authenticator of WithClientCertAuth.
type clientCertAuth struct {
	users map[[sha256.Size]byte]string // certificate fingerprint → user
	err   error                        // reported by validate at Start
}

func newClientCertAuth(certs map[string]*x509.Certificate) *clientCertAuth {
	a := &clientCertAuth{users: make(map[[sha256.Size]byte]string, len(certs))}
	names := make([]string, 0, len(certs))
	for u := range certs {
		names = append(names, u)
	}
	sort.Strings(names) // deterministic error messages
	for _, u := range names {
		cert := certs[u]
		if cert == nil {
			a.err = fmt.Errorf("winrmtest: WithClientCertAuth: user %q has a nil certificate", u)
			return a
		}
		fp := sha256.Sum256(cert.Raw)
		if prev, dup := a.users[fp]; dup {
			a.err = fmt.Errorf("winrmtest: WithClientCertAuth: one certificate is mapped to both %q and %q", prev, u)
			return a
		}
		a.users[fp] = u
	}
	return a
}

func (a *clientCertAuth) validate() error { return a.err }

// Challenge is empty: Windows lists no WWW-Authenticate value for
// certificate authentication (reference/winrm.md §4).
func (a *clientCertAuth) Challenge() []string { return nil }

// Authenticate accepts a request that carries the mutual header over a
// connection whose client certificate is mapped to a user.
func (a *clientCertAuth) Authenticate(req *AuthRequest) (*AuthResult, error) {
	if !strings.EqualFold(strings.TrimSpace(req.HTTP.Header.Get("Authorization")), MutualAuthHeader) {
		return nil, nil
	}
	cs := req.HTTP.TLS
	if cs == nil || len(cs.PeerCertificates) == 0 {
		return nil, ErrNoClientCert
	}
	leaf := cs.PeerCertificates[0]
	user, ok := a.users[sha256.Sum256(leaf.Raw)]
	if !ok {
		return nil, fmt.Errorf("%w (subject %q)", ErrUnmappedClientCert, leaf.Subject.String())
	}
	return &AuthResult{User: user}, nil
}

// A ClientCert is a client certificate with its key, from CA.IssueClient.
type ClientCert struct {
	// Leaf is the parsed certificate, the value to map in WithClientCertAuth.
	Leaf *x509.Certificate
	// CertPEM and KeyPEM are the certificate ("CERTIFICATE") and its
	// ECDSA P-256 key ("PRIVATE KEY", PKCS #8), as winrm.Endpoint.Cert and
	// Key or tls.X509KeyPair take them.
	CertPEM, KeyPEM []byte
}

// TLSCertificate returns the certificate and key for tls.Config.Certificates.
func (c ClientCert) TLSCertificate() (tls.Certificate, error) {
	return tls.X509KeyPair(c.CertPEM, c.KeyPEM)
}

// IssueClient returns a client-authentication certificate for user (subject
// CN = user, extended key usage clientAuth, valid for a day). Windows would
// also want the user's UPN in the subject alternative name; the emulator maps
// certificates exactly and does not need it.
func (ca *CA) IssueClient(user string) (ClientCert, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return ClientCert{}, fmt.Errorf("generate client key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: user},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return ClientCert{}, fmt.Errorf("issue client certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return ClientCert{}, fmt.Errorf("parse client certificate: %w", err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return ClientCert{}, fmt.Errorf("marshal client key: %w", err)
	}
	return ClientCert{
		Leaf:    leaf,
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}),
	}, nil
}
