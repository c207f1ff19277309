package winrmtest

import (
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/masterzen/winrm"
)

// masterzenEnvelopes are the requests the pinned masterzen/winrm builds (and
// remote sends: its envelopes are masterzen's), with values that need
// escaping.
func masterzenEnvelopes() map[string]string {
	const (
		uri   = "http://127.0.0.1:5985/wsman"
		shell = "0B6D5CF4-5D4E-4E0B-9C9A-0F1E2D3C4B5A"
		cmd   = "6E7F8091-A2B3-4C4D-8E5F-60718293A4B5"
	)
	p := winrm.NewParameters("PT60S", "en-US", 153600)
	return map[string]string{
		"create":   winrm.NewOpenShellRequest(uri, p).String(),
		"command":  winrm.NewExecuteCommandRequest(uri, shell, `cmd /v:on /c "ver & echo ##WF 0 !ERRORLEVEL! 1>&2 & netsh advfirewall firewall show rule name="<a> & 'b'""`, nil, p).String(),
		"args":     winrm.NewExecuteCommandRequest(uri, shell, "netsh", []string{"advfirewall", `name="x & y"`, "é ü 日本"}, p).String(),
		"receive":  winrm.NewGetOutputRequest(uri, shell, cmd, "stdout stderr", p).String(),
		"send":     winrm.NewSendInputRequest(uri, shell, cmd, []byte("hello\r\n"), true, p).String(),
		"signal":   winrm.NewSignalRequest(uri, shell, cmd, p).String(),
		"delete":   winrm.NewDeleteShellRequest(uri, shell, p).String(),
		"longtime": winrm.NewOpenShellRequest(uri, winrm.NewParameters("PT20S", "de-DE", 512000)).String(),
	}
}

// pywinrmEnvelopes are requests python3-winrm 0.3.0 built, captured by
// testdata/envelopes/capture_pywinrm.py.
func pywinrmEnvelopes(t testing.TB) map[string]string {
	files, err := filepath.Glob("testdata/envelopes/pywinrm_*.xml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 6 {
		t.Fatalf("%d pywinrm envelopes in testdata/envelopes, want 6", len(files))
	}
	m := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m[filepath.Base(f)] = string(b)
	}
	return m
}

// realEnvelopes: masterzen's, pywinrm's and the package's own test shapes.
func realEnvelopes(t testing.TB) map[string]string {
	m := map[string]string{}
	for k, v := range masterzenEnvelopes() {
		m["masterzen "+k] = v
	}
	for k, v := range pywinrmEnvelopes(t) {
		m[k] = v
	}
	for i, s := range envelopeSeeds()[:6] {
		m["seed "+string(rune('0'+i))] = s
	}
	return m
}

// checkScan fails t unless scanEnvelope reads b to what encoding/xml reads
// (decodeEnvelope and xml.Unmarshal) and encoding/xml reads the whole of b
// without an error. It returns whether the scanner took b.
func checkScan(t *testing.T, b []byte) bool {
	t.Helper()
	got, ok := scanEnvelope(b)
	if !ok {
		return false
	}
	want, err := decodeEnvelope(b)
	if err != nil {
		t.Fatalf("scanner read %q, encoding/xml fails: %v", b, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("scanner read %+v\nencoding/xml read %+v\nfrom %q", got, want, b)
	}
	ref, err := unmarshalEnvelope(b)
	if err != nil || !reflect.DeepEqual(got, ref) {
		t.Fatalf("scanner read %+v\nxml.Unmarshal read %+v, %v\nfrom %q", got, ref, err, b)
	}
	d := xml.NewDecoder(strings.NewReader(string(b)))
	for {
		if _, err := d.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("scanner read %q, encoding/xml's token stream fails: %v", b, err)
		}
	}
	return true
}

// TestScanEnvelopeReadsRealClients: the fast path is taken for every
// request masterzen (so remote) and pywinrm send, and reads them as
// encoding/xml does.
func TestScanEnvelopeReadsRealClients(t *testing.T) {
	for name, s := range realEnvelopes(t) {
		t.Run(name, func(t *testing.T) {
			if !checkScan(t, []byte(s)) {
				t.Fatalf("scanner fell back on a real request:\n%s", s)
			}
		})
	}
	// The values came through, entities and CDATA decoded.
	env, _ := scanEnvelope([]byte(masterzenEnvelopes()["args"]))
	if got := env.Body.CommandLine.Arguments; !reflect.DeepEqual(got, []string{"advfirewall", `name="x & y"`, "é ü 日本"}) {
		t.Errorf("arguments = %q", got)
	}
}

// scanOddities are requests outside the scanner's subset, made from a real
// one: each must fall back to encoding/xml.
func scanOddities() map[string]string {
	base := masterzenEnvelopes()["receive"]
	rootEnd := strings.Index(base, ">") // end of <env:Envelope ...>
	withText := func(s string) string {
		return strings.Replace(base, ">stdout stderr<", ">"+s+"<", 1)
	}
	withAttr := func(s string) string {
		return strings.Replace(base, `<rsp:DesiredStream `, `<rsp:DesiredStream `+s+` `, 1)
	}
	m := map[string]string{
		"comment":                   strings.Replace(base, "<env:Body>", "<env:Body><!-- c -->", 1),
		"comment in prolog":         "<!-- c -->" + base,
		"processing instruction":    strings.Replace(base, "<env:Body>", "<env:Body><?pi x?>", 1),
		"doctype":                   `<!DOCTYPE e [<!ENTITY x "y">]>` + base,
		"byte order mark":           "\ufeff" + base,
		"text before root":          "x" + base,
		"text after root":           base + "x",
		"element after root":        base + "<x/>",
		"comment after root":        base + "<!---->",
		"unclosed root":             strings.TrimSuffix(strings.TrimSpace(base), "</env:Envelope>"),
		"mismatched end tag":        strings.Replace(base, "</rsp:Receive>", "</rsp:Receiv>", 1),
		"end tag other prefix":      strings.Replace(base, "</rsp:Receive>", "</w:Receive>", 1),
		"unbound element prefix":    strings.Replace(strings.Replace(base, "<rsp:Receive>", "<q:Receive>", 1), "</rsp:Receive>", "</q:Receive>", 1),
		"unbound attribute prefix":  withAttr(`q:x="1"`),
		"xml prefix on element":     strings.Replace(base, "<env:Body>", "<env:Body><xml:x/>", 1),
		"xmlns prefix on element":   strings.Replace(base, "<env:Body>", "<env:Body><xmlns:x/>", 1),
		"element named xmlns":       strings.Replace(base, "<env:Body>", "<env:Body><xmlns/>", 1),
		"undeclared prefix":         withAttr(`xmlns:w=""`),
		"xml namespace bound":       withAttr(`xmlns:q="http://www.w3.org/XML/1998/namespace"`),
		"xmlns prefix declared":     withAttr(`xmlns:xmlns="urn:x"`),
		"duplicate attribute":       withAttr(`CommandId="x"`),
		"duplicate expanded name":   withAttr(`xmlns:q="urn:q" xmlns:r="urn:q" q:a="1" r:a="2"`),
		"unquoted attribute":        withAttr(`x=1`),
		"attribute without value":   withAttr(`x`),
		"attributes without space":  withAttr(`x="1"y="2"`),
		"< in attribute":            withAttr(`x="<"`),
		"non-ASCII element name":    strings.Replace(base, "<env:Body>", "<env:Body><é/>", 1),
		"non-ASCII attribute name":  withAttr(`é="1"`),
		"two colons in a name":      strings.Replace(base, "<env:Body>", "<env:Body><a:b:c/>", 1),
		"local name starts digit":   strings.Replace(base, "<env:Body>", "<env:Body><rsp:1x/>", 1),
		"unknown entity":            withText("&nbsp;"),
		"entity without semicolon":  withText("&amp"),
		"upper-case hex reference":  withText("&#X41;"),
		"reference to NUL":          withText("&#0;"),
		"reference to a surrogate":  withText("&#xD800;"),
		"reference to U+FFFE":       withText("&#xFFFE;"),
		"very long reference":       withText("&#000000065;"),
		"control character":         withText("a\x01b"),
		"invalid UTF-8":             withText("a\xffb"),
		"U+FFFF in text":            withText("a\uffffb"),
		"]]> in text":               withText("a]]>b"),
		"unterminated CDATA":        strings.Replace(base, ">stdout stderr<", "><![CDATA[stdout", 1),
		"xml declaration version":   `<?xml version="1.1"?>` + base,
		"xml declaration encoding":  `<?xml version="1.0" encoding="ISO-8859-1"?>` + base,
		"xml declaration spaces":    `<?xml version = "1.0"?>` + base,
		"xml declaration elsewhere": base[:rootEnd+1] + `<?xml version="1.0"?>` + base[rootEnd+1:],
		"xml-stylesheet":            `<?xml-stylesheet href="a"?>` + base,
		"root not Envelope":         strings.Replace(strings.Replace(base, "<env:Envelope", "<env:Envelop", 1), "</env:Envelope>", "</env:Envelop>", 1),
		"root in no namespace":      `<Envelope/>`,
		"empty":                     ``,
		"space in start tag":        strings.Replace(base, "<env:Body>", "< env:Body>", 1),
		"slash space in empty tag":  strings.Replace(base, "<env:Body>", "<env:Body><x/ >", 1),
		"too many attributes":       withAttr(nAttrs(" a%d='1'", 0, maxScanAttrs)),
		"too many declarations": strings.Replace(strings.Replace(base, "<env:Body>", "<env:Body"+nAttrs(` xmlns:n%d="urn:n"`, 0, maxScanBindings/2)+">", 1),
			"<rsp:Receive>", "<rsp:Receive"+nAttrs(` xmlns:n%d="urn:n"`, maxScanBindings/2, maxScanBindings/2)+">", 1),
	}
	return m
}

// nAttrs returns n attributes: format with from, from+1, ...
func nAttrs(format string, from, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, format, from+i)
	}
	return b.String()
}

// TestScanEnvelopeFallsBack: each oddity is left to encoding/xml, and
// parseEnvelope still reads (or refuses) it as xml.Unmarshal does.
func TestScanEnvelopeFallsBack(t *testing.T) {
	for name, s := range scanOddities() {
		t.Run(name, func(t *testing.T) {
			if _, ok := scanEnvelope([]byte(s)); ok {
				t.Fatalf("scanner took %q", s)
			}
			got, err := parseEnvelope([]byte(s))
			want, refErr := unmarshalEnvelope([]byte(s))
			if (err != nil) != (refErr != nil) || err == nil && !reflect.DeepEqual(got, want) {
				t.Fatalf("parseEnvelope = %+v, %v; xml.Unmarshal = %+v, %v", got, err, want, refErr)
			}
		})
	}
}

// TestScanEnvelopeSubset: what the subset does hold is read, not left to
// encoding/xml: a declaration, CR LF, references, CDATA, ' quotes,
// self-closing elements, a default namespace, skipped elements.
func TestScanEnvelopeSubset(t *testing.T) {
	base := masterzenEnvelopes()["receive"]
	withAttr := func(s string) string {
		return strings.Replace(base, `<rsp:DesiredStream `, `<rsp:DesiredStream `+s+` `, 1)
	}
	cases := map[string]string{
		"declaration":        `<?xml version='1.0' encoding='UTF-8' standalone="yes" ?>` + "\r\n" + base[strings.Index(base, "<env:"):] + "\r\n",
		"CR LF in text":      strings.Replace(base, ">stdout stderr<", ">a\r\nb\rc\r\r\nd<", 1),
		"references":         strings.Replace(base, ">stdout stderr<", ">&lt;&gt;&amp;&apos;&quot;&#65;&#x42;&#x1F600;&#13;\n]]&gt;<", 1),
		"CDATA":              strings.Replace(base, ">stdout stderr<", "><![CDATA[<&>\r\n]]>x<![CDATA[]]><", 1),
		"single quotes":      strings.Replace(base, `CommandId="`, `x='"&#10;' CommandId="`, 1),
		"self-closing":       strings.Replace(base, "<env:Body>", `<env:Body><rsp:Shell/><rsp:Signal CommandId="c" />`, 1),
		"default namespace":  strings.Replace(base, "<env:Body>", `<env:Body><Shell xmlns="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><InputStreams xmlns:q="urn:q" q:a="1">in<q:x>skipped</q:x>put</InputStreams></Shell>`, 1),
		"undeclared default": strings.Replace(base, "<env:Body>", `<env:Body><rsp:Shell><InputStreams xmlns="">not read</InputStreams></rsp:Shell>`, 1),
		"most attributes":    withAttr(nAttrs(" a%d='1'", 0, maxScanAttrs-1)),
		"most declarations": strings.Replace(strings.Replace(base, "<env:Body>", "<env:Body"+nAttrs(` xmlns:n%d="urn:n"`, 0, maxScanAttrs)+">", 1),
			"<rsp:Receive>", "<rsp:Receive"+nAttrs(` xmlns:n%d="urn:n"`, maxScanAttrs, maxScanBindings-maxScanAttrs-5)+">", 1),
		"xml:lang and spaces": strings.Replace(base, "<env:Body>", "<env:Body \t xml:lang = 'en' >", 1),
	}
	for name, s := range cases {
		t.Run(name, func(t *testing.T) {
			if !checkScan(t, []byte(s)) {
				t.Fatalf("scanner fell back on %q", s)
			}
		})
	}
}

// FuzzScanEnvelope: whenever the scanner reads a request, encoding/xml
// reads all of it without an error and to the same envelope.
func FuzzScanEnvelope(f *testing.F) {
	for _, s := range realEnvelopes(f) {
		f.Add([]byte(s))
	}
	for _, s := range scanOddities() {
		f.Add([]byte(s))
	}
	for _, s := range envelopeSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkScan(t, b)
	})
}

// BenchmarkParseEnvelope: a masterzen Command request through the scanner
// and through encoding/xml.
func BenchmarkParseEnvelope(b *testing.B) {
	req := []byte(masterzenEnvelopes()["command"])
	for _, bc := range []struct {
		name  string
		parse func([]byte) (*envelope, error)
	}{
		{"scan", func(b []byte) (*envelope, error) {
			env, ok := scanEnvelope(b)
			if !ok {
				return nil, errFallback
			}
			return env, nil
		}},
		{"encoding-xml", decodeEnvelope},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(req)))
			for b.Loop() {
				if _, err := bc.parse(req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
