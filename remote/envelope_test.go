package remote

import (
	"regexp"
	"strings"
	"testing"

	"github.com/masterzen/winrm"
)

// TestEnvelopeMatchesMasterzen: our envelopes are byte for byte masterzen's
// (the pinned builders stay the reference for what goes on the wire), with
// our MessageID in place of masterzen's.
func TestEnvelopeMatchesMasterzen(t *testing.T) {
	p := *winrm.DefaultParameters
	p.Timeout = "PT20.000S"
	const u = "http://127.0.0.2:5985/wsman"
	const shell, cmd = "2D6534D0-6B12-40E3-B773-CBA26459CFA8", "CF84C20A-0A35-43FA-AF78-0B4711DA5F30"
	line := `cmd /v:on /c "netsh advfirewall firewall show rule name="RPC (TCP/135)" verbose & echo <x> 'y' & ver"`
	tests := []struct {
		req  wsmanRequest
		want string
	}{
		{wsmanRequest{op: "create"}, winrm.NewOpenShellRequest(u, &p).String()},
		{wsmanRequest{op: "command", shellID: shell, line: line}, winrm.NewExecuteCommandRequest(u, shell, line, nil, &p).String()},
		{wsmanRequest{op: "receive", shellID: shell, cmdID: cmd}, winrm.NewGetOutputRequest(u, shell, cmd, "stdout stderr", &p).String()},
		{wsmanRequest{op: "signal", shellID: shell, cmdID: cmd}, winrm.NewSignalRequest(u, shell, cmd, &p).String()},
		{wsmanRequest{op: "delete", shellID: shell}, winrm.NewDeleteShellRequest(u, shell, &p).String()},
	}
	id := regexp.MustCompile(`<a:MessageID>uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}</a:MessageID>`)
	for _, tt := range tests {
		t.Run(tt.req.op, func(t *testing.T) {
			got := string(appendEnvelope(nil, u, &p, newMessageID(), tt.req))
			if n := len(id.FindAllString(got, -1)); n != 1 {
				t.Fatalf("envelope has %d well-formed v4 MessageIDs, want 1:\n%s", n, got)
			}
			const norm = "<a:MessageID>ID</a:MessageID>"
			got, want := id.ReplaceAllString(got, norm), id.ReplaceAllString(tt.want, norm)
			if got != want {
				t.Errorf("envelope differs from masterzen's:\n got %q\nwant %q", got, want)
			}
			// The kerberos transport posts masterzen's message itself.
			if k := id.ReplaceAllString(tt.req.masterzen(u, &p).String(), norm); k != want {
				t.Errorf("kerberos message differs from masterzen's:\n got %q\nwant %q", k, want)
			}
		})
	}
}

// TestEnvelopeEscapes: identifiers from the host cannot break the XML of
// the next request (masterzen copies them raw).
func TestEnvelopeEscapes(t *testing.T) {
	p := *winrm.DefaultParameters
	got := string(appendEnvelope(nil, "http://h:1/wsman?a=1&b=2", &p, newMessageID(), wsmanRequest{op: "receive", shellID: `S</w:Selector><x>`, cmdID: `C"><y/>`}))
	for _, want := range []string{"?a=1&amp;b=2", "S&lt;/w:Selector&gt;&lt;x&gt;", `C&quot;&gt;&lt;y/&gt;`} {
		if !strings.Contains(got, want) {
			t.Errorf("envelope lacks %q:\n%s", want, got)
		}
	}
	sc := newXMLScanner([]byte(got))
	for {
		tok, err := sc.next()
		if err != nil {
			t.Fatalf("envelope is not well-formed: %v", err)
		}
		if tok == tokEOF {
			break
		}
	}
}

func TestMessageIDsDiffer(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := newMessageID()
		if seen[id] {
			t.Fatalf("MessageID %s repeated", id)
		}
		seen[id] = true
	}
}

// newMessageID returns a new message ID as a string.
func newMessageID() string {
	var id messageID
	id.fill()
	return string(id[:])
}
