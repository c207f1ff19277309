package winrmtest

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/bodgit/ntlmssp"
)

// cbtHandshake authenticates on a fresh TLS connection to srv with bodgit's
// NTLM client, sending the given channel bindings, and returns the status of
// the AUTHENTICATE leg.
func cbtHandshake(t *testing.T, srv *Server, bindings func(tls.ConnectionState) *ntlmssp.ChannelBindings) int {
	t.Helper()
	tc, err := tls.Dial("tcp", srv.Addr(), srv.ClientTLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	br := bufio.NewReader(tc)
	send := func(token []byte) *http.Response {
		fmt.Fprintf(tc, "POST /wsman HTTP/1.1\r\nHost: %s\r\nAuthorization: Negotiate %s\r\nContent-Length: 0\r\n\r\n",
			srv.Addr(), base64.StdEncoding.EncodeToString(token))
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	c, _ := ntlmssp.NewClient(ntlmssp.SetUserInfo(DefaultUser, DefaultPassword))
	t1, _ := c.Authenticate(nil, nil)
	r := send(t1)
	scheme, b64, _ := strings.Cut(r.Header.Get("WWW-Authenticate"), " ")
	challenge, err := base64.StdEncoding.DecodeString(b64)
	if scheme != "Negotiate" || err != nil {
		t.Fatalf("challenge leg: %d %q", r.StatusCode, r.Header.Get("WWW-Authenticate"))
	}
	t3, err := c.Authenticate(challenge, bindings(tc.ConnectionState()))
	if err != nil {
		t.Fatal(err)
	}
	return send(t3).StatusCode
}

func TestNTLMChannelBinding(t *testing.T) {
	right := func(cs tls.ConnectionState) *ntlmssp.ChannelBindings {
		// The application data; the client hashes the GSS structure.
		return &ntlmssp.ChannelBindings{ApplicationData: tlsServerEndPoint(t, cs)}
	}
	wrong := func(cs tls.ConnectionState) *ntlmssp.ChannelBindings {
		return &ntlmssp.ChannelBindings{ApplicationData: []byte("tls-server-end-point:not the certificate hash")}
	}
	none := func(tls.ConnectionState) *ntlmssp.ChannelBindings { return nil }
	handler := HandlerFunc(func(context.Context, *Command) int { return 0 })
	for _, tt := range []struct {
		name     string
		strict   bool
		bindings func(tls.ConnectionState) *ntlmssp.ChannelBindings
		want     int
	}{
		{"relaxed, right binding", false, right, 200},
		{"relaxed, wrong binding", false, wrong, 401},
		{"relaxed, no binding", false, none, 200},
		{"strict, right binding", true, right, 200},
		{"strict, wrong binding", true, wrong, 401},
		{"strict, no binding", true, none, 401},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := NewServer(handler, WithTLS(), WithAuthenticator(&NTLM{StrictChannelBinding: tt.strict}), WithBasicAuth(false))
			defer srv.Close()
			if got := cbtHandshake(t, srv, tt.bindings); got != tt.want {
				t.Errorf("AUTHENTICATE status = %d, want %d", got, tt.want)
			}
		})
	}
}

// tlsServerEndPoint is the RFC 5929 application data for the server
// certificate of cs, computed here with SHA-256 (the emulator's certificates
// are signed with SHA-256).
func tlsServerEndPoint(t *testing.T, cs tls.ConnectionState) []byte {
	t.Helper()
	cert := cs.PeerCertificates[0]
	switch cert.SignatureAlgorithm.String() {
	case "SHA256-RSA", "ECDSA-SHA256", "SHA256-RSAPSS":
	default:
		t.Fatalf("certificate signed with %v, want a SHA-256 signature", cert.SignatureAlgorithm)
	}
	sum := sha256Sum(cert.Raw)
	return append([]byte("tls-server-end-point:"), sum...)
}

func sha256Sum(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:]
}
