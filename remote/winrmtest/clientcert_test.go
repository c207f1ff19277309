package winrmtest_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/masterzen/winrm"

	"github.com/winfleet/winfleet/remote/winrmtest"
)

// certServer starts an HTTPS server whose CA issued alice's certificate,
// which is mapped to the account "alice"; it returns the server, alice's
// certificate and one from the same CA that is mapped to nobody.
func certServer(t *testing.T, opts ...winrmtest.Option) (srv *winrmtest.Server, alice, stranger winrmtest.ClientCert) {
	t.Helper()
	ca, err := winrmtest.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	if alice, err = ca.IssueClient("alice"); err != nil {
		t.Fatal(err)
	}
	if stranger, err = ca.IssueClient("stranger"); err != nil {
		t.Fatal(err)
	}
	opts = append([]winrmtest.Option{winrmtest.WithCA(ca),
		winrmtest.WithClientCertAuth(map[string]*x509.Certificate{"alice": alice.Leaf})}, opts...)
	srv = winrmtest.NewServer(testHost(), opts...)
	t.Cleanup(srv.Close)
	return srv, alice, stranger
}

// certClient is masterzen's client-certificate transport
// (NewClientAuthRequestWithDial) presenting cert.
func certClient(t *testing.T, srv *winrmtest.Server, cert winrmtest.ClientCert) *winrm.Client {
	t.Helper()
	ep := &winrm.Endpoint{Host: srv.Host(), Port: srv.Port(), HTTPS: true, CACert: srv.CACertPEM(),
		Cert: cert.CertPEM, Key: cert.KeyPEM, Timeout: 20 * time.Second}
	params := winrm.NewParameters("PT5S", "en-US", 153600)
	dial := (&net.Dialer{Timeout: 10 * time.Second}).Dial
	params.TransportDecorator = func() winrm.Transporter { return winrm.NewClientAuthRequestWithDial(dial) }
	c, err := winrm.NewClientWithParameters(ep, "", "", params)
	if err != nil {
		t.Fatalf("NewClientWithParameters: %v", err)
	}
	return c
}

// TestClientCertMasterzen: masterzen's ClientAuthRequest transport runs
// commands with a mapped certificate (every request logged as the mapped
// user) and gets 401 with an unmapped one, before any shell exists.
func TestClientCertMasterzen(t *testing.T) {
	srv, alice, stranger := certServer(t)

	out, errOut, code, err := certClient(t, srv, alice).RunCmdWithContext(testCtx(t), "echo cert")
	if err != nil || out != "cert\r\n" || errOut != "" || code != 0 {
		t.Fatalf("mapped certificate: Run = (%q, %q, %d, %v), want (\"cert\\r\\n\", \"\", 0, nil)", out, errOut, code, err)
	}
	var ops []winrmtest.Op
	for _, r := range srv.Log() {
		ops = append(ops, r.Op)
		if r.User != "alice" || r.Status != http.StatusOK {
			t.Errorf("request %d (%s): user %q status %d, want alice 200", r.Seq, r.Op, r.User, r.Status)
		}
	}
	want := []winrmtest.Op{winrmtest.OpCreate, winrmtest.OpCommand, winrmtest.OpReceive, winrmtest.OpSignal, winrmtest.OpDelete}
	if diff := cmp.Diff(want, ops); diff != "" {
		t.Errorf("request sequence (-want +got):\n%s", diff)
	}
	if n := srv.OpenShells(); n != 0 {
		t.Errorf("OpenShells() = %d, want 0", n)
	}

	srv.ResetLog()
	_, _, code, err = certClient(t, srv, stranger).RunCmdWithContext(testCtx(t), "echo cert")
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("unmapped certificate: Run = (%d, %v), want a 401 error", code, err)
	}
	log := srv.Log()
	if len(log) != 1 || log[0].Op != winrmtest.OpAuth || log[0].Status != http.StatusUnauthorized ||
		log[0].User != "" || !strings.Contains(log[0].Note, winrmtest.ErrUnmappedClientCert.Error()) {
		t.Errorf("unmapped certificate: log = %+v, want one Auth 401 noting %q", log, winrmtest.ErrUnmappedClientCert)
	}
	if n := srv.OpenShells(); n != 0 {
		t.Errorf("OpenShells() = %d after a 401, want 0", n)
	}
}

// post sends an empty Create-less POST to /wsman with the given TLS client
// certificates and Authorization header and returns the response.
func post(t *testing.T, srv *winrmtest.Server, certs []tls.Certificate, authz string) *http.Response {
	t.Helper()
	cfg := srv.ClientTLSConfig()
	cfg.Certificates = certs
	tr := &http.Transport{TLSClientConfig: cfg}
	t.Cleanup(tr.CloseIdleConnections)
	req, err := http.NewRequestWithContext(testCtx(t), http.MethodPost, srv.Endpoint(), strings.NewReader("<x/>"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	if resp.StatusCode == http.StatusUnauthorized && len(body) != 0 {
		t.Errorf("401 body = %q, want empty", body)
	}
	return resp
}

// TestClientCertRefusals: the mutual header without a certificate, with an
// unmapped one, and a mapped certificate without the header all get an empty
// 401 listing the enabled header schemes (none for certificates), with the
// reason in the log. Basic keeps working on the certificate listener.
func TestClientCertRefusals(t *testing.T) {
	srv, alice, stranger := certServer(t)
	aliceTLS, err := alice.TLSCertificate()
	if err != nil {
		t.Fatal(err)
	}
	strangerTLS, err := stranger.TLSCertificate()
	if err != nil {
		t.Fatal(err)
	}
	basic := "Basic " + "dmFncmFudDp2YWdyYW50" // vagrant:vagrant
	tests := []struct {
		name     string
		certs    []tls.Certificate
		authz    string
		wantNote string
	}{
		{"header without certificate", nil, winrmtest.MutualAuthHeader, winrmtest.ErrNoClientCert.Error()},
		{"unmapped certificate", []tls.Certificate{strangerTLS}, winrmtest.MutualAuthHeader, "subject \"CN=stranger\""},
		{"mapped certificate without header", []tls.Certificate{aliceTLS}, "", "no credentials"},
		{"mapped certificate with another scheme", []tls.Certificate{aliceTLS}, "Negotiate TlRMTVNTUAAB", "no credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.ResetLog()
			resp := post(t, srv, tt.certs, tt.authz)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", resp.StatusCode)
			}
			if got, want := resp.Header.Values("WWW-Authenticate"), []string{`Basic realm="WSMAN"`}; !cmp.Equal(got, want) {
				t.Errorf("WWW-Authenticate = %q, want %q", got, want)
			}
			log := srv.Log()
			if len(log) != 1 || log[0].Op != winrmtest.OpAuth || !strings.Contains(log[0].Note, tt.wantNote) {
				t.Errorf("log = %+v, want one Auth request noting %q", log, tt.wantNote)
			}
		})
	}

	// Basic on the same listener, with or without a certificate presented.
	for _, certs := range [][]tls.Certificate{nil, {aliceTLS}} {
		srv.ResetLog()
		if resp := post(t, srv, certs, basic); resp.StatusCode == http.StatusUnauthorized {
			t.Errorf("Basic with %d client certificates: 401", len(certs))
		}
		if log := srv.Log(); len(log) != 1 || log[0].User != winrmtest.DefaultUser {
			t.Errorf("Basic with %d client certificates: log %+v, want one request as %s", len(certs), log, winrmtest.DefaultUser)
		}
	}
}

// TestClientCertOnly: with Basic off, the 401 lists no scheme at all (Windows
// advertises nothing for certificates), and a restricted mapped account gets
// AccessDenied after authenticating, like any other account.
func TestClientCertOnly(t *testing.T) {
	srv, alice, _ := certServer(t, winrmtest.WithBasicAuth(false), winrmtest.WithRestrictedUsers("alice"))
	resp := post(t, srv, nil, winrmtest.MutualAuthHeader)
	if resp.StatusCode != http.StatusUnauthorized || len(resp.Header.Values("WWW-Authenticate")) != 0 {
		t.Errorf("no certificate: status %d, WWW-Authenticate %q; want 401 without challenges", resp.StatusCode, resp.Header.Values("WWW-Authenticate"))
	}
	srv.ResetLog()
	_, _, _, err := certClient(t, srv, alice).RunCmdWithContext(testCtx(t), "echo x")
	var ee *winrm.ExecuteCommandError
	if !errors.As(err, &ee) || !strings.Contains(ee.Body, "Access is denied") {
		t.Errorf("restricted mapped user: error %v, want the AccessDenied fault", err)
	}
	if log := srv.Log(); len(log) == 0 || log[0].User != "alice" {
		t.Errorf("restricted mapped user: log %+v, want requests as alice", log)
	}
}

// TestClientCertAuthInvalid: a nil certificate or one certificate mapped to
// two users makes Start fail with a message naming the users.
func TestClientCertAuthInvalid(t *testing.T) {
	ca, err := winrmtest.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	c, err := ca.IssueClient("bob")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		certs map[string]*x509.Certificate
		want  string
	}{
		{"nil certificate", map[string]*x509.Certificate{"bob": nil}, `user "bob" has a nil certificate`},
		{"shared certificate", map[string]*x509.Certificate{"bob": c.Leaf, "carol": c.Leaf}, `mapped to both "bob" and "carol"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := winrmtest.Start(testHost(), winrmtest.WithClientCertAuth(tt.certs))
			if err == nil {
				srv.Close()
				t.Fatal("Start succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Start error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}
