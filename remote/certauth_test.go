package remote

import (
	"crypto/x509"
	"errors"
	"strings"
	"testing"

	"github.com/winfleet/winfleet/lab/winsim"
	"github.com/winfleet/winfleet/remote/winrmtest"
)

// certHost serves a simulated Windows host over HTTPS that authenticates
// client certificates (winrmtest.WithClientCertAuth): alice's certificate is
// mapped to the account "alice", stranger's (same CA) to nobody.
func certHost(t *testing.T, opts ...winrmtest.Option) (srv *winrmtest.Server, alice, stranger winrmtest.ClientCert) {
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
	srv, _ = startWinsim(t, winsim.Config{Version: winsim.Win2019}, opts...)
	return srv, alice, stranger
}

func certTarget(srv *winrmtest.Server, cert winrmtest.ClientCert) Target {
	return Target{Host: srv.Host(), Port: srv.Port(), HTTPS: true, CAPEM: srv.CACertPEM(),
		Transport: TransportCertificate, ClientCertPEM: cert.CertPEM, ClientKeyPEM: cert.KeyPEM}
}

// TestCertificateAuth: the certificate transport presents its certificate in
// a real TLS handshake; with a mapped certificate RunBatch works and every
// request is the mapped user's, with no Basic credentials on the host.
func TestCertificateAuth(t *testing.T) {
	srv, alice, _ := certHost(t, winrmtest.WithBasicAuth(false))
	c := dialT(t, certTarget(srv, alice), Options{})
	got, err := c.RunBatch(t.Context(), []string{"echo one", "sc query NoSuchService", "echo two"})
	if err != nil {
		t.Fatalf("RunBatch = %v", err)
	}
	// In a batch, the text before " & " keeps its trailing space (cmd.exe's echo).
	if len(got) != 3 || strings.TrimSpace(got[0].Stdout) != "one" || got[1].ExitCode != 1060 || strings.TrimSpace(got[2].Stdout) != "two" {
		t.Errorf("RunBatch = %+v, want one / 1060 / two", got)
	}
	closeAndCheck(t, c, srv)
	log := srv.Log()
	if len(log) == 0 {
		t.Fatal("host saw no request")
	}
	for _, r := range log {
		if r.User != "alice" || r.Status != 200 {
			t.Errorf("request %d (%s): user %q status %d, want alice 200", r.Seq, r.Op, r.User, r.Status)
		}
	}
}

// TestCertificateAuthRefused: an unmapped certificate, and a host that does
// not enable certificate authentication (it asks for no certificate, so none
// is presented), are ErrAuth with the certmapping hint, after exactly one
// request (a 401 is never retried), and leave no shell.
func TestCertificateAuthRefused(t *testing.T) {
	srv, _, stranger := certHost(t)
	other, _ := startWinsim(t, winsim.Config{Version: winsim.Win2019}, winrmtest.WithTLS())
	tests := []struct {
		name     string
		srv      *winrmtest.Server
		wantNote string
	}{
		{"unmapped certificate", srv, winrmtest.ErrUnmappedClientCert.Error()},
		{"certificate auth disabled", other, "no credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.srv.ResetLog()
			c := dialT(t, certTarget(tt.srv, stranger), Options{})
			_, err := c.RunBatch(t.Context(), []string{"echo x"})
			checkErr(t, err, ErrAuth, StatusAuthFailed, "not mapped to a local account on the host (winrm/config/service/certmapping)")
			if strings.Contains(err.Error(), "PRIVATE KEY") {
				t.Errorf("error contains the key: %v", err)
			}
			closeAndCheck(t, c, tt.srv)
			log := tt.srv.Log()
			if len(log) != 1 || log[0].Status != 401 || !strings.Contains(log[0].Note, tt.wantNote) {
				t.Errorf("log = %+v, want one 401 noting %q", log, tt.wantNote)
			}
		})
	}
}

// TestCertificateOverHTTPRefused: the certificate transport over plain HTTP
// is refused by Dial (ErrConfig), so nothing is sent.
func TestCertificateOverHTTPRefused(t *testing.T) {
	srv, _ := startWinsim(t, winsim.Config{Version: winsim.Win2019})
	ca, err := winrmtest.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.IssueClient("alice")
	if err != nil {
		t.Fatal(err)
	}
	tg := certTarget(srv, cert)
	tg.HTTPS, tg.CAPEM = false, nil
	tg.AllowUnencrypted = true // not an excuse: the certificate needs TLS
	c, err := Dial(t.Context(), tg, Options{})
	if err == nil {
		_ = c.Close(t.Context())
		t.Fatal("Dial over HTTP succeeded")
	}
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "needs https") {
		t.Errorf("Dial = %v, want ErrConfig saying the transport needs https", err)
	}
	if n := len(srv.Log()); n != 0 {
		t.Errorf("host saw %d requests, want 0", n)
	}
	if n := srv.OpenShells(); n != 0 {
		t.Errorf("host has %d open shells, want 0", n)
	}
}
