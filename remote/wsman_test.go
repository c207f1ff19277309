package remote

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/winfleet/winfleet/remote/winrmtest"
)

// Recorded Windows answers (reference/winrm.md §3, from pypsrp's and
// masterzen's captures), with their header.
const winHead = `<s:Envelope xml:lang="en-US" xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"><s:Header><a:Action>`

func winAnswer(action, body string) string {
	return winHead + action + `</a:Action><a:MessageID>uuid:C145AC62-4409-47E6-AFA3-4A8D77C21AAF</a:MessageID><p:ActivityId>1A2F2108-D2BA-0001-1671-301ABAD2D301</p:ActivityId><a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To><a:RelatesTo>uuid:a38c715f-7e35-4d1e-bbee-c9a3f08a5b15</a:RelatesTo></s:Header><s:Body>` + body + `</s:Body></s:Envelope>`
}

const (
	winShellID = "4283CBDC-3706-415B-88BD-B385F3E51A53"
	winCmdID   = "D37A4BF1-1A4D-46D3-9D9B-5F4C2C0E4A0B"
)

var (
	winCreate             = winAnswer(actionCreate, `<x:ResourceCreated><a:Address>http://192.168.56.11:5985/wsman</a:Address><a:ReferenceParameters><w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI><w:SelectorSet><w:Selector Name="ShellId">`+winShellID+`</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated><rsp:Shell xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><rsp:ShellId>`+winShellID+`</rsp:ShellId><rsp:ResourceUri>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</rsp:ResourceUri><rsp:Owner>vagrant</rsp:Owner><rsp:ClientIP>192.168.56.1</rsp:ClientIP><rsp:IdleTimeOut>PT7200.000S</rsp:IdleTimeOut><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams><rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime><rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity></rsp:Shell>`)
	winCreateSelectorOnly = winAnswer(actionCreate, `<x:ResourceCreated><a:Address>http://h/wsman</a:Address><a:ReferenceParameters><w:SelectorSet><w:Selector Name="ShellId">`+winShellID+`</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated>`)
	winCommand            = winAnswer(actionCommand, `<rsp:CommandResponse><rsp:CommandId>`+winCmdID+`</rsp:CommandId></rsp:CommandResponse>`)
	winRunning            = winAnswer(actionReceive, `<rsp:ReceiveResponse><rsp:Stream Name="stdout" CommandId="`+winCmdID+`">aGk=</rsp:Stream><rsp:Stream Name="stdout" CommandId="`+winCmdID+`">Cg==</rsp:Stream><rsp:CommandState CommandId="`+winCmdID+`" State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Running"></rsp:CommandState></rsp:ReceiveResponse>`)
	winDone               = winAnswer(actionReceive, `<rsp:ReceiveResponse><rsp:Stream Name="stdout" CommandId="`+winCmdID+`">b3V0IA0K</rsp:Stream><rsp:Stream Name="stderr" CommandId="`+winCmdID+`">ZXJyIA0K</rsp:Stream><rsp:Stream Name="stdout" CommandId="`+winCmdID+`" End="true"></rsp:Stream><rsp:Stream Name="stderr" CommandId="`+winCmdID+`" End="true"></rsp:Stream><rsp:CommandState CommandId="`+winCmdID+`" State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"><rsp:ExitCode>1</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse>`)
	winUnicode            = winAnswer(actionReceive, `<rsp:ReceiveResponse><rsp:Stream Name="stdout" CommandId="`+winCmdID+`">44GT44KT44Gr44Gh44Gv</rsp:Stream><rsp:Stream Name="stderr" CommandId="`+winCmdID+`">IzwgQ0xJWE1MDQo=</rsp:Stream><rsp:CommandState CommandId="`+winCmdID+`" State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"><rsp:ExitCode>0</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse>`)
	winSignal             = winAnswer(actionSignal, `<rsp:SignalResponse/>`)
	winDelete             = winAnswer(actionDelete, ``)
	winBadCommand         = `<s:Envelope xml:lang="en-US" xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" xmlns:e="http://schemas.xmlsoap.org/ws/2004/08/eventing" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"><s:Header><a:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</a:Action><a:MessageID>uuid:4DB571F9-F8DE-48FD-872C-2AF08D996249</a:MessageID><a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To><a:RelatesTo>uuid:eaa98952-3188-458f-b265-b03ace115f20</a:RelatesTo></s:Header><s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>w:InvalidSelectors</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">The WS-Management service cannot process the request because the request contained invalid selectors for the resource. </s:Text></s:Reason><s:Detail><w:FaultDetail>http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors</w:FaultDetail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="2150858843" Machine="SERVER2016.domain.local"><f:Message>The Windows Remote Shell received a request to perform an operation on a command identifier that does not exist. Either the command has completed execution or the client specified an invalid command identifier. </f:Message></f:WSManFault></s:Detail></s:Fault></s:Body></s:Envelope>`
)

// TestDecodeResponse reads Windows' recorded answers (and the emulator's)
// and checks the decoder against the reference implementation too.
func TestDecodeResponse(t *testing.T) {
	tests := []struct {
		name   string
		op     string
		body   string
		want   wsResponse
		stdout string
		stderr string
	}{
		{"create, both ShellId forms", "create", winCreate, wsResponse{shellID: winShellID}, "", ""},
		{"create, selector only (3fad6e1's reading)", "create", winCreateSelectorOnly, wsResponse{shellID: winShellID}, "", ""},
		{"command", "command", winCommand, wsResponse{commandID: winCmdID}, "", ""},
		{"receive running", "receive", winRunning, wsResponse{state: true, streams: 2}, "hi\n", ""},
		{"receive done", "receive", winDone, wsResponse{state: true, done: true, exitCode: 1, streams: 4}, "out \r\n", "err \r\n"},
		{"receive unicode and CLIXML", "receive", winUnicode, wsResponse{state: true, done: true, streams: 2}, "こんにちは", "#< CLIXML\r\n"},
		{"signal", "signal", winSignal, wsResponse{}, "", ""},
		{"delete", "delete", winDelete, wsResponse{}, "", ""},
		{"timed out", "receive", timedOutFault, wsResponse{fault: &FaultError{Op: "receive", Code: CodeTimedOut, Subcode: "TimedOut", Machine: "127.0.0.1",
			Reason: "The WS-Management service cannot complete the operation within the time specified in OperationTimeout."}}, "", ""},
		{"provider fault", "command", providerFault, wsResponse{fault: &FaultError{Op: "command", Code: CodeCommandLineTooLong, Subcode: "InternalError", Machine: "win",
			Reason: "The filename or extension is too long."}}, "", ""},
		{"bad command id", "receive", winBadCommand, wsResponse{fault: &FaultError{Op: "receive", Code: CodeInvalidSelectors, Subcode: "InvalidSelectors", Machine: "SERVER2016.domain.local",
			Reason: "The Windows Remote Shell received a request to perform an operation on a command identifier that does not exist. Either the command has completed execution or the client specified an invalid command identifier."}}, "", ""},
		{"prefixes are the sender's", "command", `<E:Envelope xmlns:E="http://www.w3.org/2003/05/soap-envelope" xmlns:A="http://schemas.xmlsoap.org/ws/2004/08/addressing"><E:Header><A:Action> ` + actionCommand + ` </A:Action></E:Header><E:Body><R xmlns="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><CommandId>c-1</CommandId></R></E:Body></E:Envelope>`,
			wsResponse{commandID: "c-1"}, "", ""},
		{"entities, CDATA and comments", "receive", `<?xml version="1.0"?><!-- hi --><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><s:Header><a:Action>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive&#x52;esponse</a:Action></s:Header><s:Body><rsp:Stream Name="std&#111;ut">aG<![CDATA[k=]]></rsp:Stream><rsp:CommandState State="` + stateDone + `"><rsp:ExitCode> -1 </rsp:ExitCode></rsp:CommandState></s:Body></s:Envelope>`,
			wsResponse{state: true, done: true, exitCode: -1, streams: 1}, "hi", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d responseDecoder
			var out output
			out.reset(DefaultMaxOutput)
			cmd := ""
			if tt.op == "receive" {
				cmd = strings.ToLower(winCmdID) // ids compare without case
			}
			got, err := d.decodeResponse([]byte(tt.body), tt.op, cmd, outFor(tt.op, &out))
			if err != nil {
				t.Fatalf("decodeResponse: %v", err)
			}
			if got.fault != nil {
				got.fault.Status = 0
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(wsResponse{})); diff != "" {
				t.Errorf("decodeResponse (-want +got):\n%s", diff)
			}
			if string(out.stdout) != tt.stdout || string(out.stderr) != tt.stderr {
				t.Errorf("output = %q, %q; want %q, %q", out.stdout, out.stderr, tt.stdout, tt.stderr)
			}
			compareWithReference(t, []byte(tt.body), tt.op, cmd)
		})
	}
}

func outFor(op string, out *output) *output {
	if op == "receive" {
		return out
	}
	return nil
}

// TestDecodeResponseRefuses: what the decoder refuses, each with the words
// of its error.
func TestDecodeResponseRefuses(t *testing.T) {
	recv := func(body string) string { return winAnswer(actionReceive, body) }
	deep := strings.Repeat("<x>", 40) + strings.Repeat("</x>", 40)
	attrs := "<rsp:Stream Name=\"stdout\""
	for i := range 40 {
		attrs += fmt.Sprintf(" a%d=\"1\"", i)
	}
	attrs += ">aGk=</rsp:Stream>"
	tests := []struct {
		name, op, body, want string
	}{
		{"not xml", "receive", "garbage", "text outside the root"},
		{"empty", "receive", "", "unexpected end"},
		{"truncated", "receive", winDone[:len(winDone)/2], "unexpected end"},
		{"not soap", "create", `<Envelope><Body/></Envelope>`, "not a SOAP 1.2 Envelope"},
		{"no body", "delete", `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"/>`, "without a Body"},
		{"no action", "delete", `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>`, "without a:Action"},
		{"wrong action", "command", winCreate, "unexpected action"},
		{"create without id", "create", winAnswer(actionCreate, `<rsp:Shell/>`), "without rsp:ShellId"},
		{"command without id", "command", winAnswer(actionCommand, `<rsp:CommandResponse/>`), "without rsp:CommandId"},
		{"two command ids", "command", winAnswer(actionCommand, `<rsp:CommandId>a</rsp:CommandId><rsp:CommandId>b</rsp:CommandId>`), "two CommandId"},
		{"empty receive", "receive", recv(`<rsp:ReceiveResponse/>`), "neither output nor CommandState"},
		{"stream of another command", "receive", recv(`<rsp:Stream Name="stdout" CommandId="OTHER">aGk=</rsp:Stream>`), "not"},
		{"stream not requested", "receive", recv(`<rsp:Stream Name="stdin">aGk=</rsp:Stream>`), "not requested"},
		{"element in a stream", "receive", recv(`<rsp:Stream Name="stdout"><b>aGk=</b></rsp:Stream>`), "inside Stream"},
		{"bad base64", "receive", recv(`<rsp:Stream Name="stdout">a*k=</rsp:Stream>`), "illegal base64"},
		{"stream in a command answer", "command", winAnswer(actionCommand, `<rsp:CommandId>c</rsp:CommandId><rsp:Stream Name="stdout">aGk=</rsp:Stream>`), "not a ReceiveResponse"},
		{"bad state", "receive", recv(`<rsp:CommandState State="Exploded"/>`), "not Done, Running or Pending"},
		{"bad exit code", "receive", recv(`<rsp:CommandState State="` + stateDone + `"><rsp:ExitCode>x</rsp:ExitCode></rsp:CommandState>`), "not an exit code"},
		{"exit code outside state", "receive", recv(`<rsp:ExitCode>1</rsp:ExitCode>`), "outside rsp:CommandState"},
		{"two states", "receive", recv(`<rsp:CommandState State="` + stateDone + `"/><rsp:CommandState State="` + stateDone + `"/>`), "two rsp:CommandState"},
		{"fault under another action", "receive", strings.Replace(timedOutFault, actionFault, actionReceive, 1), "a SOAP fault with action"},
		{"too deep", "receive", recv(deep), "nested deeper than 32"},
		{"too many attributes", "receive", recv(attrs), "more than 32 attributes"},
		{"long name", "receive", recv("<" + strings.Repeat("n", 300) + "/>"), "longer than 256"},
		{"DTD", "receive", `<!DOCTYPE x [<!ENTITY a "b">]>` + winDone, "DTD"},
		{"undefined entity", "receive", recv(`<rsp:Stream Name="stdout">&bogus;</rsp:Stream>`), "undefined entity"},
		{"unbound prefix", "receive", recv(`<q:Stream/>`), "unbound prefix q"},
		{"mismatched tags", "receive", recv(`<rsp:Stream Name="stdout">aGk=</rsp:Stream2>`), "does not match"},
		{"duplicate attribute", "receive", recv(`<rsp:Stream Name="stdout" Name="stderr">aGk=</rsp:Stream>`), "duplicate attribute"},
		{"second root", "delete", winDelete + winDelete, "second root"},
		{"long id", "command", winAnswer(actionCommand, `<rsp:CommandId>`+strings.Repeat("x", 2000)+`</rsp:CommandId>`), "longer than 1024"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d responseDecoder
			var out output
			out.reset(DefaultMaxOutput)
			_, err := d.decodeResponse([]byte(tt.body), tt.op, "D37A4BF1-1A4D-46D3-9D9B-5F4C2C0E4A0B", outFor(tt.op, &out))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("decodeResponse = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestDecodeResponseAllocs: decoding a ReceiveResponse allocates nothing
// once the decoder's and the output's buffers have grown.
func TestDecodeResponseAllocs(t *testing.T) {
	var d responseDecoder
	var out output
	body := []byte(winDone)
	allocs := testing.AllocsPerRun(100, func() {
		out.reset(DefaultMaxOutput)
		if _, err := d.decodeResponse(body, "receive", winCmdID, &out); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("decodeResponse of a ReceiveResponse: %v allocations, want 0", allocs)
	}
}

// TestOutputLimit: past the limit nothing more is kept, and the error has
// the head and tail of the stream that crossed it.
func TestOutputLimit(t *testing.T) {
	var out output
	out.reset(10000)
	line := []byte("0123456789abcdefghijklmnopqrstuvwxyz\r\n") // 38 bytes
	var sent []byte
	var err error
	for i := 0; err == nil; i++ {
		chunk := bytes.Repeat(line, 50) // 1900 bytes per chunk
		chunk[0] = byte('A' + i%26)
		err = out.addBase64(false, []byte(base64.StdEncoding.EncodeToString(chunk)))
		sent = append(sent, chunk...) // the chunk that crossed the limit counts too
	}
	var big *OutputTooLargeError
	if !errors.As(err, &big) || !errors.Is(err, ErrOutputTooLarge) {
		t.Fatalf("addBase64 past the limit = %v, want *OutputTooLargeError matching ErrOutputTooLarge", err)
	}
	if len(out.stdout) > 10000 || cap(out.stdout) > 10000 {
		t.Errorf("kept %d bytes (cap %d) with a 10000-byte limit", len(out.stdout), cap(out.stdout))
	}
	if big.Limit != 10000 || big.Received != len(sent) || big.Stream != "stdout" {
		t.Errorf("error = limit %d received %d stream %q; want 10000, %d, stdout", big.Limit, big.Received, big.Stream, len(sent))
	}
	if big.Head != string(sent[:excerptBytes]) || big.Tail != string(sent[len(sent)-excerptBytes:]) {
		t.Errorf("excerpt head %q… tail …%q; want the first and last %d bytes", big.Head[:20], big.Tail[len(big.Tail)-20:], excerptBytes)
	}
	if ex := big.Excerpt(); !strings.Contains(ex, "bytes of stdout not shown") || !strings.HasPrefix(ex, big.Head) || !strings.HasSuffix(ex, big.Tail) {
		t.Errorf("Excerpt() = %.200q…", ex)
	}
	if msg := big.Error(); !strings.Contains(msg, "over 10000 bytes") || len(msg) > 600 {
		t.Errorf("Error() = %q: want the limit, and short", msg)
	}
}

// TestCutRunes: excerpts never end or start inside a UTF-8 sequence.
func TestCutRunes(t *testing.T) {
	s := []byte("aé€😀")
	for i := 0; i <= len(s); i++ {
		if h := cutRunes(s[:i], false); !bytes.Equal(h, []byte(string([]rune(string(h))))) || !strings.HasPrefix(string(s), string(h)) {
			t.Errorf("cutRunes(%q, head) = %q", s[:i], h)
		}
		if tl := cutRunes(s[i:], true); !bytes.HasSuffix(s, tl) || strings.ContainsRune(string(tl), '\uFFFD') {
			t.Errorf("cutRunes(%q, tail) = %q", s[i:], tl)
		}
	}
}

// compareWithReference checks decodeResponse against refDecode: when the
// reference reads an answer, the decoder reads the same, or refuses it
// for one of its own bounds and strictness rules; when the decoder reads
// an answer, the reference reads it too and gets the same.
func compareWithReference(t *testing.T, body []byte, op, cmdID string) {
	t.Helper()
	var d responseDecoder
	var out output
	out.reset(-1)
	got, err := d.decodeResponse(body, op, cmdID, outFor(op, &out))
	want, refErr := refDecode(body, op, cmdID)
	switch {
	case err != nil && refErr != nil:
		return
	case err != nil:
		// The scanner's bounds, and XML 1.0 rules that encoding/xml lets
		// through.
		for _, stricter := range []string{"nested deeper", "more than", "longer than", "unbound prefix", "duplicate attribute",
			"DTD", "reserved prefix", "name starts with", "malformed name", "expected a name", "not UTF-8",
			"expected space before an attribute"} {
			if strings.Contains(err.Error(), stricter) {
				return
			}
		}
		t.Fatalf("decoder refused what the reference reads as %v: %v\n%q", want, err, body)
	case refErr != nil:
		if isXMLSyntaxOnly(refErr) {
			return // the scanner checks less of XML's character rules
		}
		t.Fatalf("decoder read what the reference refuses (%v): %+v\n%q", refErr, got, body)
	}
	gotR := refResult{shellID: got.shellID, commandID: got.commandID, done: got.done, exitCode: got.exitCode,
		stdout: out.stdout, stderr: out.stderr, fault: got.fault}
	if len(gotR.stdout) == 0 {
		gotR.stdout = nil
	}
	if len(gotR.stderr) == 0 {
		gotR.stderr = nil
	}
	if diff := cmp.Diff(want, gotR, cmp.AllowUnexported(refResult{}), cmp.Comparer(func(a, b []byte) bool { return bytes.Equal(a, b) })); diff != "" {
		t.Fatalf("decoder and reference disagree (-ref +decoder):\n%s\n%q", diff, body)
	}
}

// isXMLSyntaxOnly reports whether err is encoding/xml refusing the
// document's characters or syntax (which the scanner does not all check).
func isXMLSyntaxOnly(err error) bool {
	return strings.Contains(err.Error(), "XML syntax error") || strings.Contains(err.Error(), "xml: ")
}

// recordingPoster records the bodies of the answers another poster gets.
type recordingPoster struct {
	inner poster
	mu    sync.Mutex
	got   []recorded
}

type recorded struct {
	op, cmdID string
	body      []byte
}

func (p *recordingPoster) post(ctx context.Context, req wsmanRequest, body []byte, buf *lazyAnswer) (httpAnswer, error) {
	a, err := p.inner.post(ctx, req, body, buf)
	if err == nil {
		p.mu.Lock()
		p.got = append(p.got, recorded{req.op, req.cmdID, append([]byte(nil), a.body...)})
		p.mu.Unlock()
	}
	return a, err
}

// emulatorAnswers runs commands against remote/winrmtest and returns the
// answers it sent: every operation, several outputs, faults.
func emulatorAnswers(t testing.TB) []recorded {
	srv := winrmtest.NewServer(testHost, winrmtest.WithMaxTimeout(200*time.Millisecond))
	defer srv.Close()
	c, err := Dial(context.Background(), targetFor(srv), Options{OperationTimeout: 150 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordingPoster{inner: c.tr.poster}
	c.tr.poster = rec
	ctx := context.Background()
	for _, cmd := range []string{"echo hello", "fail 3 boom", "raw 8182ff00", "clixml", "nosuch", "slow 400 late"} {
		_, _ = c.Run(ctx, cmd, nil, nil)
	}
	_, _ = c.RunBatch(ctx, []string{"echo a", "echo b", "fail 2 x"})
	_ = srv.SetFaults(winrmtest.Faults{FaultOn: map[winrmtest.Op]uint32{winrmtest.OpCommand: winrmtest.CodeOperationQuota}})
	_, _ = c.Run(ctx, "echo quota", nil, nil)
	_ = srv.SetFaults(winrmtest.Faults{HugeOutput: 300 << 10})
	_, _ = c.Run(ctx, "echo big", nil, nil)
	_ = c.Close(ctx)
	return rec.got
}

// TestDecodeEmulatorAnswers: every answer of the emulator reads the same
// with the decoder and the reference.
func TestDecodeEmulatorAnswers(t *testing.T) {
	got := emulatorAnswers(t)
	ops := map[string]int{}
	for _, r := range got {
		ops[r.op]++
		compareWithReference(t, r.body, r.op, r.cmdID)
	}
	for _, op := range []string{"create", "command", "receive", "delete"} {
		if ops[op] == 0 {
			t.Errorf("no %s answer recorded (%v)", op, ops)
		}
	}
}

// FuzzDecodeResponse checks the decoder against the reference on mutations
// of Windows' recorded answers and of the emulator's: no panic, the bounds
// hold, and both read the same.
func FuzzDecodeResponse(f *testing.F) {
	for _, s := range []struct{ op, body string }{
		{"create", winCreate}, {"create", winCreateSelectorOnly}, {"command", winCommand}, {"receive", winRunning},
		{"receive", winDone}, {"receive", winUnicode}, {"signal", winSignal}, {"delete", winDelete},
		{"receive", timedOutFault}, {"command", providerFault}, {"receive", winBadCommand},
	} {
		f.Add(s.op, []byte(s.body))
	}
	for _, r := range emulatorAnswers(f) {
		if len(r.body) < 20000 {
			f.Add(r.op, r.body)
		}
	}
	f.Fuzz(func(t *testing.T, op string, body []byte) {
		switch op {
		case "create", "command", "receive", "signal", "delete":
		default:
			return
		}
		cmd := ""
		if op == "receive" {
			cmd = winCmdID
		}
		compareWithReference(t, body, op, cmd)
		var d responseDecoder
		var out output
		out.reset(100)
		_, err := d.decodeResponse(body, op, cmd, outFor(op, &out))
		if len(out.stdout)+len(out.stderr) > 100 {
			t.Fatalf("output limit 100 exceeded: %d bytes kept (err %v)", len(out.stdout)+len(out.stderr), err)
		}
	})
}

// scanEvents lists what the scanner reads: element starts (namespace and
// local name), ends and text (unescaped, adjacent pieces merged).
func scanEvents(b []byte) ([]string, error) {
	sc := newXMLScanner(b)
	var ev []string
	var text []byte
	flush := func() {
		if len(text) > 0 {
			ev = append(ev, "T:"+string(text))
			text = text[:0]
		}
	}
	for {
		tok, err := sc.next()
		if err != nil {
			return ev, err
		}
		switch tok {
		case tokEOF:
			flush()
			return ev, nil
		case tokStart:
			flush()
			ev = append(ev, "S:"+string(sc.space())+" "+string(sc.name.local))
			if sc.selfClose {
				ev = append(ev, "E")
			}
		case tokEnd:
			flush()
			ev = append(ev, "E")
		case tokText, tokCDATA:
			if text, err = appendText(text, sc.text, tok == tokText && sc.escaped); err != nil {
				return ev, err
			}
		}
	}
}

// refEvents lists the same with encoding/xml.
func refEvents(b []byte) ([]string, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	var ev []string
	var text []byte
	depth, roots := 0, 0
	flush := func() {
		if len(text) > 0 {
			ev = append(ev, "T:"+string(text))
			text = text[:0]
		}
	}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			// A document is one element (encoding/xml reads any sequence).
			if roots != 1 {
				return ev, fmt.Errorf("document with %d root elements", roots)
			}
			flush()
			return ev, nil
		}
		if err != nil {
			return ev, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			flush()
			if depth == 0 {
				roots++
			}
			depth++
			ev = append(ev, "S:"+t.Name.Space+" "+t.Name.Local)
		case xml.EndElement:
			flush()
			depth--
			ev = append(ev, "E")
		case xml.CharData:
			if depth > 0 {
				text = append(text, t...)
			} else if len(bytes.TrimLeft(t, " \t\r\n")) > 0 {
				return ev, errors.New("text outside the root element")
			}
		case xml.Directive:
			return ev, errors.New("directive")
		}
	}
}

// FuzzScanXML compares the scanner's reading of any document with
// encoding/xml's: where both read it, they read the same elements and text;
// the scanner refuses only by its bounds and the XML rules encoding/xml
// lets through, and reads nothing encoding/xml refuses but for character
// rules it does not check.
func FuzzScanXML(f *testing.F) {
	for _, s := range []string{winCreate, winDone, winUnicode, timedOutFault, providerFault, winBadCommand,
		`<a xmlns="u"><b xmlns:p="v" p:x="1">t&amp;<![CDATA[<c>]]></b><!--c--><?pi x?></a>`,
		`<?xml version="1.0"?><r/>`, `<r a='1' b="2"/>`, `<r>&#65;&#x42;&lt;&gt;&quot;&apos;</r>`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := scanEvents(b)
		want, refErr := refEvents(b)
		switch {
		case err != nil && refErr != nil:
		case err != nil:
			for _, stricter := range []string{"nested deeper", "more than", "longer than", "unbound prefix", "duplicate attribute",
				"DTD", "reserved prefix", "name starts with", "malformed name", "expected a name", "not UTF-8",
				"expected space before an attribute"} {
				if strings.Contains(err.Error(), stricter) {
					return
				}
			}
			t.Fatalf("scanner refused what encoding/xml reads: %v\n%q", err, b)
		case refErr != nil:
			if !isXMLSyntaxOnly(refErr) {
				t.Fatalf("scanner read what encoding/xml refuses (%v)\n%q", refErr, b)
			}
		default:
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("scanner and encoding/xml disagree (-xml +scanner):\n%s\n%q", diff, b)
			}
		}
	})
}
