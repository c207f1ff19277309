package cli

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/winfleet/winfleet/lab/winsim"
	"github.com/winfleet/winfleet/remote/winrmtest"
	"github.com/winfleet/winfleet/reports"
)

// TestScanCertificateTransport: `winfleet scan` reaches a host with the
// certificate transport from the inventory's Ansible variables
// (ansible_winrm_transport: certificate, ansible_winrm_cert_pem,
// ansible_winrm_cert_key_pem, ansible_winrm_ca_trust_path). The host accepts
// only client certificates (Basic off): the host given the mapped
// certificate is scanned (an SSIS host without its rules: noncompliant), the
// one given an unmapped certificate is auth_failed.
func TestScanCertificateTransport(t *testing.T) {
	ca, err := winrmtest.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	mapped, err := ca.IssueClient("svc-winfleet")
	if err != nil {
		t.Fatal(err)
	}
	unmapped, err := ca.IssueClient("stranger")
	if err != nil {
		t.Fatal(err)
	}
	host := winsim.MustNew(winsim.Config{ComputerName: "SQL01", Version: winsim.Win2019, SSIS: []winsim.SSIS{{Version: 160}}})
	srv := winrmtest.NewServer(host, winrmtest.WithCA(ca), winrmtest.WithBasicAuth(false),
		winrmtest.WithClientCertAuth(map[string]*x509.Certificate{"svc-winfleet": mapped.Leaf}))
	t.Cleanup(srv.Close)

	dir := t.TempDir()
	write := func(name string, data []byte) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	caFile := write("ca.pem", ca.CertPEM())
	inv := write("inventory.yaml", fmt.Appendf(nil, `all:
  vars:
    ansible_host: %s
    ansible_port: %d
    ansible_winrm_scheme: https
    ansible_winrm_transport: certificate
    ansible_winrm_ca_trust_path: %s
  hosts:
    sql01.lab.example:
      ansible_winrm_cert_pem: %s
      ansible_winrm_cert_key_pem: %s
    sql02.lab.example:
      ansible_winrm_cert_pem: %s
      ansible_winrm_cert_key_pem: %s
`, srv.Host(), srv.Port(), caFile,
		write("mapped.pem", mapped.CertPEM), write("mapped.key", mapped.KeyPEM),
		write("unmapped.pem", unmapped.CertPEM), write("unmapped.key", unmapped.KeyPEM)))
	out := filepath.Join(dir, "scan.json")

	var stdout, stderr bytes.Buffer
	code := Main(t.Context(), []string{"scan", "-i", inv, "--no-progress", "-o", "json=" + out},
		Stdio{In: &bytes.Buffer{}, Out: &stdout, Err: &stderr})
	if code != ExitDrift {
		t.Errorf("exit code %d, want %d (drift); stderr:\n%s", code, ExitDrift, stderr.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("report: %v; stderr:\n%s", err, stderr.String())
	}
	var rep reports.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("report: %v", err)
	}
	got := map[string]reports.Host{}
	for _, h := range rep.Hosts {
		got[h.Host] = h
	}
	want := map[string]reports.HostStatus{
		"sql01.lab.example": reports.StatusNoncompliant,
		"sql02.lab.example": reports.StatusAuthFailed,
	}
	for name, st := range want {
		if h := got[name]; h.Status != st {
			t.Errorf("%s: status %q (%s), want %q", name, h.Status, h.Error, st)
		}
	}
	if len(got) != len(want) {
		t.Errorf("report has %d hosts, want %d", len(got), len(want))
	}
	var asMapped int
	for _, r := range srv.Log() {
		switch r.User {
		case "svc-winfleet":
			asMapped++
		case "":
			if r.Status != 401 {
				t.Errorf("request %d (%s) unauthenticated with status %d", r.Seq, r.Op, r.Status)
			}
		default:
			t.Errorf("request %d (%s) authenticated as %q", r.Seq, r.Op, r.User)
		}
	}
	if asMapped == 0 {
		t.Error("no request authenticated by the mapped certificate")
	}
	if n := srv.OpenShells(); n != 0 {
		t.Errorf("host has %d open shells after the scan, want 0", n)
	}
}
