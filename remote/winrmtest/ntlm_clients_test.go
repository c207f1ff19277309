package winrmtest_test

// The NTLM acceptor checked against two independent third-party clients:
// masterzen/winrm's own NTLM transports (Azure/go-ntlmssp in ClientNTLM,
// bodgit/ntlmssp in Encryption) and pywinrm (requests-ntlm + ntlm-auth, in
// Python), so that it does not merely agree with winfleet's own client.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/masterzen/winrm"

	"github.com/winfleet/winfleet/remote/winrmtest"
)

const (
	ntlmUser     = "Administrator"
	ntlmPassword = "Pa55w.rd!"
)

// ntlmHost answers "echo TEXT" with TEXT\r\n on stdout and the user it runs
// as on stderr; anything else fails with exit 1.
func ntlmHost() winrmtest.Handler {
	return winrmtest.HandlerFunc(func(ctx context.Context, c *winrmtest.Command) int {
		text, ok := strings.CutPrefix(c.Line, "echo ")
		if !ok {
			fmt.Fprintf(c.Stderr, "unknown command %q\r\n", c.Line)
			return 1
		}
		fmt.Fprintf(c.Stdout, "%s\r\n", text)
		fmt.Fprintf(c.Stderr, "%s\r\n", c.Shell.User)
		return 0
	})
}

// windowsDefault starts a server configured as `winrm quickconfig` leaves a
// host: Negotiate only, no Basic, AllowUnencrypted=false.
func windowsDefault(t *testing.T, tls bool, extra ...winrmtest.Option) *winrmtest.Server {
	t.Helper()
	return windowsWith(t, &winrmtest.NTLM{}, tls, extra...)
}

// windowsWith is windowsDefault with a configured NTLM scheme.
func windowsWith(t *testing.T, ntlm *winrmtest.NTLM, tls bool, extra ...winrmtest.Option) *winrmtest.Server {
	t.Helper()
	opts := append([]winrmtest.Option{
		winrmtest.WithAuthenticator(ntlm),
		winrmtest.WithBasicAuth(false),
		winrmtest.WithAllowUnencrypted(false),
		winrmtest.WithUsers(map[string]string{ntlmUser: ntlmPassword}),
	}, extra...)
	if tls {
		opts = append(opts, winrmtest.WithTLS())
	}
	srv := winrmtest.NewServer(ntlmHost(), opts...)
	t.Cleanup(srv.Close)
	return srv
}

func masterzenClient(t *testing.T, srv *winrmtest.Server, user, password string, transport func() winrm.Transporter) *winrm.Client {
	t.Helper()
	ep := &winrm.Endpoint{Host: srv.Host(), Port: srv.Port(), HTTPS: srv.TLS(), CACert: srv.CACertPEM(), Timeout: 20 * time.Second}
	params := winrm.NewParameters("PT5S", "en-US", 153600)
	params.TransportDecorator = transport
	c, err := winrm.NewClientWithParameters(ep, user, password, params)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ntlmCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// countOps counts the log entries per operation and status.
func countOps(log []winrmtest.Request) map[string]int {
	m := map[string]int{}
	for _, r := range log {
		m[fmt.Sprintf("%s %d", r.Op, r.Status)]++
	}
	return m
}

func TestNTLMMasterzenEncryption(t *testing.T) {
	// masterzen's Encryption uses http.DefaultTransport; drop its idle
	// connections to our servers when done.
	t.Cleanup(http.DefaultTransport.(*http.Transport).CloseIdleConnections)
	srv := windowsDefault(t, false)
	enc := func() winrm.Transporter {
		e, err := winrm.NewEncryption("ntlm")
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	for _, user := range []string{ntlmUser, "administrator", `WINRMTEST\Administrator`, "Administrator@winrmtest.local"} {
		srv.ResetLog()
		c := masterzenClient(t, srv, user, ntlmPassword, enc)
		out, errOut, code, err := c.RunCmdWithContext(ntlmCtx(t), "echo sealed")
		if err != nil || out != "sealed\r\n" || code != 0 {
			t.Fatalf("%s: Run = (%q, %q, %d, %v), want (\"sealed\\r\\n\", _, 0, nil)", user, out, errOut, code, err)
		}
		log := srv.Log()
		// Encryption repeats the handshake for every message: anonymous
		// probe (401), NEGOTIATE (401), AUTHENTICATE (200), sealed message.
		got := countOps(log)
		soap := len(log) - got["Auth 401"] - got["Auth 200"]
		if soap < 5 || got["Auth 401"] != 2*soap || got["Auth 200"] != soap {
			t.Errorf("%s: log %v, want 2 Auth 401 and 1 Auth 200 per SOAP message", user, got)
		}
		for _, r := range log {
			if r.Op != winrmtest.OpAuth && (r.Status != 200 || r.User != ntlmUser && r.User != user) {
				t.Errorf("%s: %s status %d user %q", user, r.Op, r.Status, r.User)
			}
		}
	}

	srv.ResetLog()
	c := masterzenClient(t, srv, ntlmUser, "wrong", enc)
	_, _, _, err := c.RunCmdWithContext(ntlmCtx(t), "echo sealed")
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong password: err = %v, want a 401", err)
	}
	for _, r := range srv.Log() {
		if r.Op != winrmtest.OpAuth {
			t.Errorf("wrong password: %s reached the SOAP layer", r.Op)
		}
	}
}

func TestNTLMMasterzenClientNTLM(t *testing.T) {
	ntlm := func() winrm.Transporter { return &winrm.ClientNTLM{} }
	tests := []struct {
		name        string
		tls         bool
		allow       bool
		strict      bool
		password    string
		wantErr     string
		wantPerConn int // Auth requests, 0 to skip the check
	}{
		// Windows default over HTTP: unencrypted NTLM is refused with 401
		// even after a successful handshake.
		{name: "http AllowUnencrypted=false", password: ntlmPassword, wantErr: "401"},
		{name: "http AllowUnencrypted=true", allow: true, password: ntlmPassword},
		{name: "https", tls: true, password: ntlmPassword},
		{name: "https wrong password", tls: true, password: "nope", wantErr: "401"},
		// Azure/go-ntlmssp sends no channel binding: refused with
		// CbtHardeningLevel=Strict, as on Windows.
		{name: "https strict channel binding", tls: true, strict: true, password: ntlmPassword, wantErr: "401"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var srv *winrmtest.Server
			switch {
			case tt.allow:
				srv = windowsDefault(t, tt.tls, winrmtest.WithAllowUnencrypted(true))
			case tt.strict:
				srv = windowsWith(t, &winrmtest.NTLM{StrictChannelBinding: true}, tt.tls)
			default:
				srv = windowsDefault(t, tt.tls)
			}
			c := masterzenClient(t, srv, ntlmUser, tt.password, ntlm)
			out, errOut, code, err := c.RunCmdWithContext(ntlmCtx(t), "echo plain")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Run = %q, %v; want error containing %q", out, err, tt.wantErr)
				}
				for _, r := range srv.Log() {
					if r.Op != winrmtest.OpAuth {
						t.Errorf("%s (status %d) reached the SOAP layer", r.Op, r.Status)
					}
				}
				return
			}
			if err != nil || out != "plain\r\n" || errOut != ntlmUser+"\r\n" || code != 0 {
				t.Fatalf("Run = (%q, %q, %d, %v)", out, errOut, code, err)
			}
			// Azure's negotiator tries anonymously first; the connection
			// stays authenticated, so only the first message needs the
			// three legs.
			got := countOps(srv.Log())
			if got["Auth 401"] != 2 {
				t.Errorf("log %v, want exactly one handshake (2 Auth 401)", got)
			}
		})
	}
}

// python finds a Python 3 with pywinrm (Debian's python3-winrm). Under CI,
// which installs it, its absence fails the test (a skip would count as
// passing); elsewhere the test skips with a message saying what is missing,
// as issue 2 asks.
func python(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("WINFLEET_PYTHON"), "python3", "/usr/bin/python3"} {
		if p == "" {
			continue
		}
		if err := exec.Command(p, "-c", "import winrm").Run(); err == nil {
			return p
		}
	}
	// CI (CI=true, where .ci/run installs python3-winrm) fails without it, so a
	// missing package can never pass as a skip; elsewhere it is a clear skip.
	const msg = "pywinrm not available: no python3 can import winrm (install Debian python3-winrm, or set WINFLEET_PYTHON)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

type pywinrmResult struct {
	Results []struct {
		Stdout, Stderr string
		Code           int
	}
	Error  string
	stderr string
}

// runPywinrm runs testdata/pywinrm_ntlm.py against srv. Its parameters
// (password included) go on stdin, never on the command line.
func runPywinrm(t *testing.T, py string, srv *winrmtest.Server, user, password, encryption string, commands ...string) pywinrmResult {
	t.Helper()
	params := map[string]any{"url": srv.Endpoint(), "user": user, "password": password, "encryption": encryption, "commands": commands}
	if srv.TLS() {
		ca := filepath.Join(t.TempDir(), "ca.pem")
		if err := os.WriteFile(ca, srv.CACertPEM(), 0o600); err != nil {
			t.Fatal(err)
		}
		params["ca"] = ca
	}
	in, _ := json.Marshal(params)
	cmd := exec.CommandContext(ntlmCtx(t), py, filepath.Join("testdata", "pywinrm_ntlm.py"))
	cmd.Stdin = bytes.NewReader(in)
	// requests honours proxy variables; loopback must never be proxied.
	cmd.Env = append(os.Environ(), "NO_PROXY=*", "no_proxy=*", "HTTP_PROXY=", "HTTPS_PROXY=", "http_proxy=", "https_proxy=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pywinrm: %v\n%s", err, stderr.String())
	}
	var res pywinrmResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("pywinrm output %q: %v\n%s", out, err, stderr.String())
	}
	res.stderr = stderr.String()
	return res
}

func TestNTLMPywinrm(t *testing.T) {
	py := python(t)
	tests := []struct {
		name       string
		tls        bool
		strict     bool
		encryption string
		password   string
		wantError  string
	}{
		{name: "http always", encryption: "always", password: ntlmPassword},
		{name: "http auto", encryption: "auto", password: ntlmPassword},
		{name: "http never refused", encryption: "never", password: ntlmPassword, wantError: "InvalidCredentialsError"},
		{name: "http wrong password", encryption: "always", password: "wrong", wantError: "InvalidCredentialsError"},
		{name: "https never", tls: true, encryption: "never", password: ntlmPassword},
		// pywinrm sends a channel binding over HTTPS: with Strict it must
		// match the one the emulator computes for its certificate.
		{name: "https never strict channel binding", tls: true, strict: true, encryption: "never", password: ntlmPassword},
		{name: "https always", tls: true, encryption: "always", password: ntlmPassword},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var srv *winrmtest.Server
			if tt.strict {
				srv = windowsWith(t, &winrmtest.NTLM{StrictChannelBinding: true}, tt.tls)
			} else {
				srv = windowsDefault(t, tt.tls)
			}
			res := runPywinrm(t, py, srv, ntlmUser, tt.password, tt.encryption, "echo one", "echo two")
			if tt.wantError != "" {
				if res.Error != tt.wantError {
					t.Fatalf("pywinrm = %+v, want error %s\n%s", res, tt.wantError, res.stderr)
				}
				return
			}
			if res.Error != "" || len(res.Results) != 2 {
				t.Fatalf("pywinrm = %+v\n%s", res, res.stderr)
			}
			for i, want := range []string{"one\r\n", "two\r\n"} {
				if r := res.Results[i]; r.Stdout != want || r.Stderr != ntlmUser+"\r\n" || r.Code != 0 {
					t.Errorf("command %d = %+v, want stdout %q", i, r, want)
				}
			}
			// pywinrm authenticates once per connection and then sends
			// every message (sealed or over TLS) without a new handshake.
			log := srv.Log()
			got := countOps(log)
			conns := map[int64]bool{}
			for _, r := range log {
				conns[r.ConnID] = true
			}
			if got["Auth 401"] > 2*len(conns) {
				t.Errorf("log %v over %d connections: more than one handshake per connection", got, len(conns))
			}
		})
	}
}

// TestNTLMReauthUnencrypted: with NTLM.ReauthUnencrypted an authenticated
// connection does not carry unencrypted anonymous requests, so masterzen's
// ClientNTLM repeats the three legs for every message.
func TestNTLMReauthUnencrypted(t *testing.T) {
	srv := winrmtest.NewServer(ntlmHost(), winrmtest.WithAuthenticator(&winrmtest.NTLM{ReauthUnencrypted: true}),
		winrmtest.WithBasicAuth(false), winrmtest.WithTLS(), winrmtest.WithUsers(map[string]string{ntlmUser: ntlmPassword}))
	t.Cleanup(srv.Close)
	c := masterzenClient(t, srv, ntlmUser, ntlmPassword, func() winrm.Transporter { return &winrm.ClientNTLM{} })
	if out, _, _, err := c.RunCmdWithContext(ntlmCtx(t), "echo again"); err != nil || out != "again\r\n" {
		t.Fatalf("Run = %q, %v", out, err)
	}
	got := countOps(srv.Log())
	soap := len(srv.Log()) - got["Auth 401"]
	if got["Auth 401"] != 2*soap {
		t.Errorf("log %v: want 2 Auth 401 (anonymous try, challenge) per SOAP message", got)
	}
}
