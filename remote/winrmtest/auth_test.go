package winrmtest_test

import (
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/winfleet/winfleet/remote/winrmtest"
)

// testScheme is a connection-bound scheme with a two-leg handshake and
// "encrypted" (base64) messages, to show the seam carries what NTLM with
// message encryption needs.
type testScheme struct {
	sawCert atomic.Bool
}

func (*testScheme) Challenge() []string { return []string{"Test"} }

func (s *testScheme) Authenticate(req *winrmtest.AuthRequest) (*winrmtest.AuthResult, error) {
	if req.ServerCertificate != nil {
		s.sawCert.Store(true)
	}
	switch h := req.HTTP.Header.Get("Authorization"); {
	case h == "Test hello":
		req.Conn.SetAuthState("challenged")
		return &winrmtest.AuthResult{Reply: &winrmtest.Response{Status: 401, Header: http.Header{"Www-Authenticate": {"Test challenge"}}}}, nil
	case h == "Test answer":
		if req.Conn.AuthState() != "challenged" {
			return nil, errors.New("answer without challenge")
		}
		req.Conn.SetAuthenticated("tester")
		return &winrmtest.AuthResult{Reply: &winrmtest.Response{Status: 200}}, nil
	case h == "" && req.HTTP.Header.Get("Content-Type") == "application/x-b64":
		user := req.Conn.AuthenticatedUser()
		if user == "" {
			return nil, errors.New("connection not authenticated")
		}
		plain, err := base64.StdEncoding.DecodeString(string(req.Body))
		if err != nil {
			return nil, err
		}
		return &winrmtest.AuthResult{User: user, Body: plain, Wrap: func(r *winrmtest.Response) {
			r.Body = []byte(base64.StdEncoding.EncodeToString(r.Body))
			r.Header.Set("Content-Type", "application/x-b64")
			r.Status = 200
		}}, nil
	}
	return nil, nil
}

func TestAuthenticatorSeam(t *testing.T) {
	for _, tls := range []bool{false, true} {
		scheme := &testScheme{}
		opts := []winrmtest.Option{winrmtest.WithAuthenticator(scheme)}
		if tls {
			opts = append(opts, winrmtest.WithTLS())
		}
		srv := winrmtest.NewServer(testHost(), opts...)
		c := newRaw(t, srv)
		do := func(auth, ctype, body string) (*http.Response, string) {
			t.Helper()
			req, _ := http.NewRequest("POST", srv.Endpoint(), strings.NewReader(body))
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			req.Header.Set("Content-Type", ctype)
			resp, err := c.http.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return resp, string(b)
		}
		create := base64.StdEncoding.EncodeToString([]byte(c.envelope(aCreate, "", nil, "")))
		if r, _ := do("Test hello", "application/soap+xml", ""); r.StatusCode != 401 || r.Header.Get("WWW-Authenticate") != "Test challenge" || r.Header.Get("Content-Length") != "0" {
			t.Fatalf("leg 1: %d %q", r.StatusCode, r.Header)
		}
		if r, _ := do("Test answer", "application/soap+xml", ""); r.StatusCode != 200 {
			t.Fatalf("leg 2: %d", r.StatusCode)
		}
		r, body := do("", "application/x-b64", create)
		plain, _ := base64.StdEncoding.DecodeString(body)
		if r.StatusCode != 200 || r.Header.Get("Content-Type") != "application/x-b64" || !strings.Contains(string(plain), "CreateResponse") {
			t.Fatalf("wrapped Create: %d %q %s", r.StatusCode, r.Header.Get("Content-Type"), plain)
		}
		log := srv.Log()
		wantOps := []winrmtest.Op{winrmtest.OpAuth, winrmtest.OpAuth, winrmtest.OpCreate}
		if !equalOps(srv.Ops(), wantOps) || log[0].ConnID != log[2].ConnID || log[2].User != "tester" {
			t.Errorf("log = %+v, want %v on one connection as tester", log, wantOps)
		}
		// A new connection is not authenticated: 401 with every challenge.
		c.http.CloseIdleConnections()
		r, _ = do("", "application/x-b64", create)
		if got := r.Header.Values("WWW-Authenticate"); r.StatusCode != 401 || strings.Join(got, "|") != `Test|Basic realm="WSMAN"` {
			t.Errorf("new connection: %d %q", r.StatusCode, got)
		}
		if scheme.sawCert.Load() != tls {
			t.Errorf("TLS %v: ServerCertificate seen = %v", tls, scheme.sawCert.Load())
		}
		srv.Close()
	}
}
