package remote

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/winfleet/winfleet/remote/winrmtest"
)

// mutualAuth accepts requests that carry WinRM's client-certificate
// Authorization header, as the certificate transport sends it.
type mutualAuth struct{}

func (mutualAuth) Challenge() []string { return []string{"Negotiate"} }

func (mutualAuth) Authenticate(r *winrmtest.AuthRequest) (*winrmtest.AuthResult, error) {
	if r.HTTP.Header.Get("Authorization") == mutualAuthHeader {
		return &winrmtest.AuthResult{User: "certuser"}, nil
	}
	return nil, nil
}

func selfSignedPEM(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "certuser"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

// TestCertificateTransport: the certificate transport loads the client
// certificate into its TLS configuration and sends the mutual-auth header
// instead of Basic credentials. This server does not ask for a certificate
// in the handshake, so the presentation is checked on the TLS configuration
// here; TestCertificateAuth (certauth_test.go) checks it end to end against
// an emulator that maps client certificates to users.
func TestCertificateTransport(t *testing.T) {
	certPEM, keyPEM := selfSignedPEM(t)
	srv := winrmtest.NewServer(testHost, winrmtest.WithTLS(), winrmtest.WithBasicAuth(false), winrmtest.WithAuthenticator(mutualAuth{}))
	t.Cleanup(srv.Close)
	tg := Target{Host: srv.Host(), Port: srv.Port(), HTTPS: true, CAPEM: srv.CACertPEM(), Transport: TransportCertificate,
		ClientCertPEM: certPEM, ClientKeyPEM: keyPEM}
	c := dialT(t, tg, Options{})
	var out strings.Builder
	if _, err := c.Run(t.Context(), "echo cert", &out, nil); err != nil || out.String() != "cert\r\n" {
		t.Fatalf("Run = %q, %v", out.String(), err)
	}
	closeAndCheck(t, c, srv)
	for _, r := range srv.Log() {
		if r.User != "certuser" {
			t.Errorf("request %d authenticated as %q, want certuser", r.Seq, r.User)
		}
	}
	cfg, err := tlsConfig(tg)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Certificates) != 1 || cfg.MinVersion < 0x0303 {
		t.Errorf("tls config has %d certificates, min version %x", len(cfg.Certificates), cfg.MinVersion)
	}
	// A certificate-less Basic client is refused with the auth hint.
	bc := dialT(t, Target{Host: srv.Host(), Port: srv.Port(), HTTPS: true, CAPEM: srv.CACertPEM(), User: "u", Password: "p"}, Options{})
	_, err = bc.Run(t.Context(), "echo x", nil, nil)
	checkErr(t, err, ErrAuth, ErrAuth, "does not offer Basic")
	closeAndCheck(t, bc, srv)
}

// TestKerberosWithoutKDC: masterzen's ClientKerberos is configured from the
// Target; with the realm's KDC down (a closed loopback port) Run fails with
// ErrAuth and a Kerberos hint before any request reaches the host.
func TestKerberosWithoutKDC(t *testing.T) {
	srv := startServer(t, winrmtest.WithTLS())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	kdc := l.Addr().String()
	l.Close() // nothing listens there any more
	dir := t.TempDir()
	conf := filepath.Join(dir, "krb5.conf")
	krb5 := "[libdefaults]\n default_realm = CORP.TEST\n dns_lookup_kdc = false\n dns_lookup_realm = false\n udp_preference_limit = 1\n" +
		"[realms]\n CORP.TEST = {\n  kdc = " + kdc + "\n }\n"
	if err := os.WriteFile(conf, []byte(krb5), 0o600); err != nil {
		t.Fatal(err)
	}
	tg := Target{Host: srv.Host(), Port: srv.Port(), HTTPS: true, CAPEM: srv.CACertPEM(), Transport: TransportKerberos,
		User: "alice@corp.test", Password: secret, Kerberos: KerberosConfig{ConfigFile: conf, SPN: "HTTP/" + srv.Host()}}
	c := dialT(t, tg, Options{})
	_, err = c.Run(t.Context(), "echo x", nil, nil)
	t.Logf("kerberos error: %v", err)
	checkErr(t, err, ErrAuth, ErrAuth, "Kerberos")
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error contains the password: %v", err)
	}
	closeAndCheck(t, c, srv)
	if n := len(srv.Log()); n != 0 {
		t.Errorf("host saw %d requests, want 0", n)
	}

	tg.Kerberos.ConfigFile = filepath.Join(dir, "missing.conf")
	if _, err := Dial(t.Context(), tg, Options{}); !errors.Is(err, ErrConfig) {
		t.Errorf("Dial with a missing krb5.conf = %v, want ErrConfig", err)
	}
}

// TestKerberosKDCHangs: masterzen's ClientKerberos takes no context, and
// gokrb5 waits 5 s for a KDC that accepts and never answers. Run still
// ends with the caller's budget (here 300 ms, plus the 500 ms a Create
// gets to answer), not with gokrb5's timeout; the abandoned request ends
// by itself in the background.
func TestKerberosKDCHangs(t *testing.T) {
	srv := startServer(t, winrmtest.WithTLS())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		accepting sync.WaitGroup
		mu        sync.Mutex
		held      []net.Conn
	)
	accepting.Go(func() { // accept, read nothing, answer nothing
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	})
	t.Cleanup(func() {
		l.Close()
		accepting.Wait()
		for _, c := range held {
			c.Close()
		}
	})
	dir := t.TempDir()
	conf := filepath.Join(dir, "krb5.conf")
	krb5 := "[libdefaults]\n default_realm = CORP.TEST\n dns_lookup_kdc = false\n dns_lookup_realm = false\n udp_preference_limit = 1\n" +
		"[realms]\n CORP.TEST = {\n  kdc = " + l.Addr().String() + "\n }\n"
	if err := os.WriteFile(conf, []byte(krb5), 0o600); err != nil {
		t.Fatal(err)
	}
	tg := Target{Host: srv.Host(), Port: srv.Port(), HTTPS: true, CAPEM: srv.CACertPEM(), Transport: TransportKerberos,
		User: "alice@corp.test", Password: secret, Kerberos: KerberosConfig{ConfigFile: conf, SPN: "HTTP/" + srv.Host()}}
	c := dialT(t, tg, Options{})
	kp := c.tr.poster.(*kerberosPoster)

	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.Run(ctx, "echo x", nil, nil)
	took := time.Since(start)
	t.Logf("Run returned after %v: %v", took, err)
	checkErr(t, err, ErrTimeout, ErrTimeout, "budget")
	if took > 2*time.Second {
		t.Errorf("Run took %v with a 300ms budget, want < 2s (gokrb5 alone waits 5s for the KDC)", took)
	}
	closeAndCheck(t, c, srv)
	kp.inflight.Wait() // the abandoned request ends on gokrb5's own deadline
	if n := len(srv.Log()); n != 0 {
		t.Errorf("host saw %d requests, want 0 (no ticket, no request)", n)
	}
}

// TestCAFile: the listener's CA read from a PEM file is trusted.
func TestCAFile(t *testing.T) {
	srv := startServer(t, winrmtest.WithTLS())
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, srv.CACertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	tg := targetFor(srv)
	tg.CAPEM, tg.CAFile = nil, ca
	c := dialT(t, tg, Options{})
	var out strings.Builder
	if _, err := c.Run(t.Context(), "echo ca", &out, nil); err != nil || out.String() != "ca\r\n" {
		t.Fatalf("Run = %q, %v", out.String(), err)
	}
	closeAndCheck(t, c, srv)
}
