package remote

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync"

	"github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"
)

// wsmanRequest is one request the client sends: the operation and the
// values it carries.
type wsmanRequest struct {
	op      string // "create", "command", "receive", "signal" or "delete"
	shellID string // all but create
	cmdID   string // receive, signal
	line    string // command: the command line (never holds "]]>")
}

// Every envelope the client sends is masterzen's: its request builders
// (NewOpenShellRequest, NewExecuteCommandRequest, NewGetOutputRequest,
// NewSignalRequest, NewDeleteShellRequest) build each operation's envelope
// once per Parameters with placeholder values, and each request fills in
// its own URL, identifiers, command line and MessageID. Building every
// envelope with masterzen's DOM cost a quarter of the client's CPU per host
// and six times its allocations (BenchmarkHostScan); a filled template is
// byte for byte what the builder makes for the same values
// (TestEnvelopeMatchesMasterzen), except that the URL and identifiers are
// XML-escaped where masterzen copies them raw.

// Placeholders: values no real request carries, found again in the
// builder's output to cut it into a template.
const (
	phURL   = "http://winfleet.invalid:1/wsman-url-slot"
	phShell = "WINFLEET-SHELL-ID-SLOT"
	phCmd   = "WINFLEET-COMMAND-ID-SLOT"
	phLine  = "WINFLEET-COMMAND-LINE-SLOT"
	phMsgID = "WINFLEET-MESSAGE-ID-SLOT"
)

// envSlot says which value fills a gap of a template.
type envSlot int

const (
	slotURL envSlot = iota
	slotMsgID
	slotShell
	slotCmd
	slotLine
)

// envTemplate is masterzen's envelope of one operation cut at its values:
// parts[0], slot 0, parts[1], slot 1, ... parts[len(slots)].
type envTemplate struct {
	parts []string
	slots []envSlot
}

// templateKey selects a template: the operation and the Parameters that
// reach the envelope.
type templateKey struct {
	op              string
	envelopeSize    int
	timeout, locale string
}

// envTemplates memoizes templates. A template is immutable once built, and
// there are a handful (five operations, the few operation timeouts a run
// uses), so one memo serves every Client of the process.
var envTemplates = struct {
	sync.Mutex
	m map[templateKey]*envTemplate
}{m: map[templateKey]*envTemplate{}}

// templateFor returns masterzen's template for op and p.
func templateFor(op string, p *winrm.Parameters) *envTemplate {
	k := templateKey{op, p.EnvelopeSize, p.Timeout, p.Locale}
	envTemplates.Lock()
	defer envTemplates.Unlock()
	if t := envTemplates.m[k]; t != nil {
		return t
	}
	t := buildTemplate(op, p)
	envTemplates.m[k] = t
	return t
}

// buildTemplate has masterzen build op's envelope with placeholder values
// and cuts it at them.
func buildTemplate(op string, p *winrm.Parameters) *envTemplate {
	env := wsmanRequest{op: op, shellID: phShell, cmdID: phCmd, line: phLine}.masterzen(phURL, p).String()
	if i := strings.Index(env, "<a:MessageID>"); i >= 0 {
		i += len("<a:MessageID>")
		if j := strings.Index(env[i:], "</a:MessageID>"); j >= 0 {
			env = env[:i] + phMsgID + env[i+j:]
		}
	}
	t := &envTemplate{}
	for {
		at, slot := -1, envSlot(0)
		for _, ph := range []struct {
			s    string
			slot envSlot
		}{{phURL, slotURL}, {phMsgID, slotMsgID}, {phShell, slotShell}, {phCmd, slotCmd}, {phLine, slotLine}} {
			if i := strings.Index(env, ph.s); i >= 0 && (at < 0 || i < at) {
				at, slot = i, ph.slot
			}
		}
		if at < 0 {
			t.parts = append(t.parts, env)
			return t
		}
		t.parts = append(t.parts, env[:at])
		t.slots = append(t.slots, slot)
		env = env[at+len(placeholder(slot)):]
	}
}

func placeholder(s envSlot) string {
	return [...]string{phURL, phMsgID, phShell, phCmd, phLine}[s]
}

// appendEnvelope appends the SOAP envelope of r to b: masterzen's envelope
// of r.op (templateFor) with r's values and messageID filled in.
func appendEnvelope(b []byte, url string, p *winrm.Parameters, messageID string, r wsmanRequest) []byte {
	return fillEnvelope(b, templateFor(r.op, p), url, []byte(messageID), r)
}

// fillEnvelope appends template t filled with r's values to b.
func fillEnvelope(b []byte, t *envTemplate, url string, messageID []byte, r wsmanRequest) []byte {
	for i, slot := range t.slots {
		b = append(b, t.parts[i]...)
		switch slot {
		case slotURL:
			b = appendEscaped(b, url)
		case slotMsgID:
			b = append(b, messageID...)
		case slotShell:
			b = appendEscaped(b, r.shellID)
		case slotCmd:
			b = appendEscaped(b, r.cmdID)
		case slotLine:
			b = append(b, r.line...) // inside CDATA; the client refuses "]]>"
		}
	}
	return append(b, t.parts[len(t.parts)-1]...)
}

// masterzen builds the request with masterzen's builders: for templates,
// and for the kerberos transport (ClientKerberos posts a *soap.SoapMessage).
func (r wsmanRequest) masterzen(url string, p *winrm.Parameters) *soap.SoapMessage {
	switch r.op {
	case "create":
		return winrm.NewOpenShellRequest(url, p)
	case "command":
		return winrm.NewExecuteCommandRequest(url, r.shellID, r.line, nil, p)
	case "receive":
		return winrm.NewGetOutputRequest(url, r.shellID, r.cmdID, "stdout stderr", p)
	case "signal":
		return winrm.NewSignalRequest(url, r.shellID, r.cmdID, p)
	}
	return winrm.NewDeleteShellRequest(url, r.shellID, p)
}

// appendEscaped appends s with the XML special characters escaped.
func appendEscaped(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '&':
			esc = "&amp;"
		case '"':
			esc = "&quot;"
		case '\'':
			esc = "&apos;"
		default:
			continue
		}
		b = append(b, s[last:i]...)
		b = append(b, esc...)
		last = i + 1
	}
	return append(b, s[last:]...)
}

// messageID is a random (version 4) UUID in masterzen's form, "uuid:" and
// lower-case hex, as the bytes of a request's wsa:MessageID.
type messageID [41]byte

// fill sets u to a new random message ID.
func (u *messageID) fill() {
	var r [16]byte
	_, _ = rand.Read(r[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	r[6] = r[6]&0x0f | 0x40
	r[8] = r[8]&0x3f | 0x80
	copy(u[:], "uuid:")
	hex.Encode(u[5:13], r[0:4])
	u[13] = '-'
	hex.Encode(u[14:18], r[4:6])
	u[18] = '-'
	hex.Encode(u[19:23], r[6:8])
	u[23] = '-'
	hex.Encode(u[24:28], r[8:10])
	u[28] = '-'
	hex.Encode(u[29:41], r[10:16])
}
