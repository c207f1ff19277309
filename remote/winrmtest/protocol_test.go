package winrmtest_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/winfleet/winfleet/remote/winrmtest"
)

var guidRE = regexp.MustCompile(`^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$`)

func TestCreateResponseAsWindows(t *testing.T) {
	srv := winrmtest.NewServer(testHost())
	defer srv.Close()
	c := newRaw(t, srv)
	r := c.create()
	if r.status != 200 {
		t.Fatalf("Create status %d: %s", r.status, r.body)
	}
	if got := r.header.Get("Server"); got != "Microsoft-HTTPAPI/2.0" {
		t.Errorf("Server header = %q", got)
	}
	if got := r.header.Get("Content-Type"); got != "application/soap+xml;charset=UTF-8" {
		t.Errorf("Content-Type = %q", got)
	}
	if strings.HasPrefix(r.body, "<?xml") {
		t.Errorf("response has an XML prolog; Windows sends none")
	}
	sel := r.find(`<w:Selector Name="ShellId">([^<]+)</w:Selector>`)
	rsp := r.find(`<rsp:ShellId>([^<]+)</rsp:ShellId>`)
	if sel == "" || sel != rsp || !guidRE.MatchString(sel) {
		t.Errorf("ShellId selector %q, rsp:ShellId %q: want the same upper-case GUID in both", sel, rsp)
	}
	for _, want := range []string{
		`<a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse</a:Action>`,
		`<a:RelatesTo>` + msgID + `</a:RelatesTo>`,
		`<rsp:Owner>vagrant</rsp:Owner>`,
		`<rsp:ClientIP>127.0.0.1</rsp:ClientIP>`,
		`<rsp:IdleTimeOut>PT7200.000S</rsp:IdleTimeOut>`,
		`<a:Address>` + srv.Endpoint() + `</a:Address>`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("CreateResponse lacks %s:\n%s", want, r.body)
		}
	}
	if mid := r.find(`<a:MessageID>uuid:([^<]+)</a:MessageID>`); !guidRE.MatchString(mid) {
		t.Errorf("MessageID %q is not an upper-case GUID", mid)
	}
	shells := srv.Shells()
	if len(shells) != 1 || shells[0].Codepage != "437" || shells[0].NoProfile != "TRUE" || shells[0].User != "vagrant" {
		t.Errorf("Shells() = %+v, want one shell with codepage 437, noprofile TRUE, user vagrant", shells)
	}
}

func TestHTTPErrors(t *testing.T) {
	srv := winrmtest.NewServer(testHost(), winrmtest.WithMaxEnvelopeSizeKB(1))
	defer srv.Close()
	c := newRaw(t, srv)
	tests := []struct {
		name       string
		method     string
		path       string
		user       string
		body       string
		wantStatus int
		wantType   string
		wantEmpty  bool
	}{
		{"other path", "POST", "/other", "vagrant", "x", 404, "text/html", false},
		{"root", "GET", "/", "vagrant", "", 404, "text/html", false},
		{"no credentials", "POST", "/wsman", "", c.envelope(aCreate, "", nil, ""), 401, "", true},
		{"bad password", "POST", "/wsman", "bad", c.envelope(aCreate, "", nil, ""), 401, "", true},
		{"over envelope limit", "POST", "/wsman", "vagrant", strings.Repeat("x", 1025), 413, "", true},
		{"malformed envelope", "POST", "/wsman", "vagrant", "<not-xml", 500, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			switch tt.user {
			case "vagrant":
				req.SetBasicAuth("vagrant", "vagrant")
			case "bad":
				req.SetBasicAuth("vagrant", "wrong")
			}
			resp, err := c.http.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if got := resp.Header.Get("Server"); got != "Microsoft-HTTPAPI/2.0" {
				t.Errorf("Server = %q", got)
			}
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), tt.wantType) {
				t.Errorf("Content-Type = %q, want %q", resp.Header.Get("Content-Type"), tt.wantType)
			}
			if tt.wantEmpty && (len(body) != 0 || resp.Header.Get("Content-Length") != "0") {
				t.Errorf("body = %q (Content-Length %q), want empty with Content-Length: 0", body, resp.Header.Get("Content-Length"))
			}
			if tt.wantStatus == 401 {
				if got := resp.Header.Values("WWW-Authenticate"); len(got) != 1 || got[0] != `Basic realm="WSMAN"` {
					t.Errorf("WWW-Authenticate = %q", got)
				}
			}
		})
	}
}

func TestFaultCatalogue(t *testing.T) {
	h := winrmtest.HandlerFunc(func(ctx context.Context, c *winrmtest.Command) int {
		io.WriteString(c.Stdout, "ran\r\n")
		return 0
	})
	srv := winrmtest.NewServer(programs{h, map[string]bool{"ipconfig.exe": true}})
	defer srv.Close()
	c := newRaw(t, srv)
	shell := c.mustCreate()
	cmd := c.mustCommand(shell, "echo")
	tests := []struct {
		name string
		do   func() rawResp
		code uint32
		text string
	}{
		{"command in unknown shell", func() rawResp { return c.command("00000000-0000-0000-0000-000000000000", "dir", false) }, winrmtest.CodeInvalidSelectors, "invalid selectors for the resource"},
		{"receive unknown command", func() rawResp { return c.receive(shell, "00000000-0000-0000-0000-000000000000") }, winrmtest.CodeInvalidSelectors, "command identifier that does not exist"},
		{"signal unknown command", func() rawResp { return c.signal(shell, "00000000-0000-0000-0000-000000000000", "terminate") }, winrmtest.CodeInvalidSelectors, "UnexpectedSelectors"},
		{"delete unknown shell", func() rawResp { return c.delete("00000000-0000-0000-0000-000000000000") }, winrmtest.CodeInvalidSelectors, "invalid selectors"},
		{"receive without CommandId", func() rawResp { return c.receive(shell, "") }, winrmtest.CodeInvalidParameter, "The parameter is incorrect. "},
		{"command line too long", func() rawResp { return c.command(shell, strings.Repeat("a", winrmtest.MaxCommandLine+1), false) }, winrmtest.CodeFilenameTooLong, "The filename or extension is too long. "},
		{"unknown program without cmd.exe", func() rawResp { return c.command(shell, "nosuch.exe /all", true) }, winrmtest.CodeFileNotFound, "The system cannot find the file specified. "},
		{"unsupported action", func() rawResp {
			return c.post(c.envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Get", shell, nil, ""))
		}, winrmtest.CodeActionNotSupported, "not supported"},
		{"bad OperationTimeout", func() rawResp {
			old := c.timeout
			c.timeout = "PT-1S"
			defer func() { c.timeout = old }()
			return c.receive(shell, cmd)
		}, winrmtest.CodeInvalidTimeout, "invalid timeout field in the SOAP header: PT-1S"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.do()
			if r.status != 500 || r.faultCode() != tt.code || !strings.Contains(r.body, tt.text) {
				t.Errorf("status %d, code %d, want 500 with code %d and %q:\n%s", r.status, r.faultCode(), tt.code, tt.text, r.body)
			}
			if !strings.Contains(r.body, `<a:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</a:Action>`) {
				t.Errorf("fault without the fault Action:\n%s", r.body)
			}
		})
	}
	// A program that exists runs without cmd.exe.
	if r := c.command(shell, "ipconfig.exe /all", true); r.status != 200 {
		t.Errorf("existing program with skip-cmd-shell: status %d: %s", r.status, r.body)
	}
	// Exactly the limit is accepted.
	if r := c.command(shell, strings.Repeat("a", winrmtest.MaxCommandLine), false); r.status != 200 {
		t.Errorf("command line of %d characters: status %d", winrmtest.MaxCommandLine, r.status)
	}
}

// programs is a handler that knows which programs exist.
type programs struct {
	winrmtest.Handler
	exist map[string]bool
}

func (p programs) ProgramExists(_ winrmtest.ShellInfo, line string, _ []string) bool {
	prog, _, _ := strings.Cut(line, " ")
	return p.exist[strings.ToLower(prog)]
}

func TestTimedOutFaultBytes(t *testing.T) {
	srv := winrmtest.NewServer(testHost(), winrmtest.WithMaxTimeout(50*time.Millisecond))
	defer srv.Close()
	c := newRaw(t, srv)
	shell := c.mustCreate()
	cmd := c.mustCommand(shell, "wait")
	r := c.receive(shell, cmd)
	want := `<s:Body><s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>w:TimedOut</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  </s:Text></s:Reason><s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="2150858793" Machine="127.0.0.1"><f:Message>The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  </f:Message></f:WSManFault></s:Detail></s:Fault></s:Body></s:Envelope>`
	if r.status != 500 || !strings.HasSuffix(r.body, want) {
		t.Errorf("TimedOut: status %d, body\n%s\nwant suffix\n%s", r.status, r.body, want)
	}
	for _, ns := range []string{`xmlns:e="http://schemas.xmlsoap.org/ws/2004/08/eventing"`, `xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration"`} {
		if !strings.Contains(r.body, ns) {
			t.Errorf("fault envelope lacks %s", ns)
		}
	}
}

func TestReceiveStreamsAndFinalResponse(t *testing.T) {
	release := make(chan struct{})
	h := winrmtest.HandlerFunc(func(ctx context.Context, c *winrmtest.Command) int {
		io.WriteString(c.Stdout, "hi")
		io.WriteString(c.Stdout, "\n")
		io.WriteString(c.Stderr, "err ")
		<-release
		io.WriteString(c.Stdout, "late")
		return 7
	})
	srv := winrmtest.NewServer(h)
	defer srv.Close()
	c := newRaw(t, srv)
	shell := c.mustCreate()
	cmd := c.mustCommand(shell, "x")
	// Receive until stderr arrived; each write must be its own chunk.
	var chunks []string
	for !strings.Contains(strings.Join(chunks, ""), "err") {
		r := c.receive(shell, cmd)
		if r.status != 200 {
			t.Fatalf("Receive: %d %s", r.status, r.body)
		}
		if strings.Contains(r.body, "End=") || strings.Contains(r.body, "ExitCode") || !strings.Contains(r.body, "CommandState/Running") {
			t.Errorf("running command's response has End markers or ExitCode or is not Running:\n%s", r.body)
		}
		for _, m := range streamRE.FindAllStringSubmatch(r.body, -1) {
			b, _ := base64.StdEncoding.DecodeString(m[3])
			chunks = append(chunks, m[1]+":"+string(b))
		}
	}
	want := []string{"stdout:hi", "stdout:\n", "stderr:err "}
	if strings.Join(chunks, "|") != strings.Join(want, "|") {
		t.Errorf("chunks = %q, want one per write %q", chunks, want)
	}
	close(release)
	out, _, code, _ := c.receiveAll(shell, cmd)
	if string(out) != "late" || code != 7 {
		t.Errorf("final output %q exit %d, want \"late\" 7", out, code)
	}
	// Only the first Done carries the exit code.
	r := c.receive(shell, cmd)
	if !strings.Contains(r.body, "CommandState/Done") || r.find(`<rsp:ExitCode>(\d+)</rsp:ExitCode>`) != "0" {
		t.Errorf("Receive after Done: %s", r.body)
	}
}

func TestReceiveSplitsToEnvelopeSize(t *testing.T) {
	srv := winrmtest.NewServer(testHost())
	defer srv.Close()
	c := newRaw(t, srv)
	c.maxEnv = 8192
	shell := c.mustCreate()
	cmd := c.mustCommand(shell, "big 100000")
	out, _, code, sizes := c.receiveAll(shell, cmd)
	if !bytes.Equal(out, bytes.Repeat([]byte("x"), 100000)) || code != 0 {
		t.Fatalf("got %d bytes exit %d, want 100000 x's exit 0", len(out), code)
	}
	if len(sizes) < 100000*4/3/8192 {
		t.Errorf("output came in %d responses, want it split", len(sizes))
	}
	for i, n := range sizes {
		if n > 8192 {
			t.Errorf("response %d is %d bytes, over MaxEnvelopeSize 8192", i, n)
		}
	}
}

func TestSendWhileReceiveParked(t *testing.T) {
	srv := winrmtest.NewServer(testHost())
	defer srv.Close()
	c := newRaw(t, srv)
	shell := c.mustCreate()
	cmd := c.mustCommand(shell, "cat")
	type result struct {
		out  []byte
		code int
	}
	done := make(chan result)
	go func() {
		out, _, code, _ := c.receiveAll(shell, cmd)
		done <- result{out, code}
	}()
	parked := func(log []winrmtest.Request) bool {
		for _, r := range log {
			if r.Op == winrmtest.OpReceive && r.Status == 0 {
				return true
			}
		}
		return false
	}
	if err := srv.WaitLog(testCtx(t), parked); err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{"one ", "two"} {
		if r := c.send(shell, cmd, []byte(part), false); r.status != 200 || !strings.Contains(r.body, "<rsp:SendResponse/>") {
			t.Fatalf("Send: %d %s", r.status, r.body)
		}
	}
	if r := c.send(shell, cmd, nil, true); r.status != 200 {
		t.Fatalf("Send End: %d %s", r.status, r.body)
	}
	res := <-done
	if string(res.out) != "one two" || res.code != 0 {
		t.Errorf("cat = %q exit %d, want \"one two\" 0", res.out, res.code)
	}
	var sends []winrmtest.Request
	for _, r := range srv.Log() {
		if r.Op == winrmtest.OpSend {
			sends = append(sends, r)
		}
	}
	if len(sends) != 3 || sends[0].Bytes != 4 || !sends[2].End || sends[2].Bytes != 0 {
		t.Errorf("logged Sends = %+v", sends)
	}
}

func TestSignalAndDeleteCancelCommands(t *testing.T) {
	causes := make(chan error, 3)
	h := winrmtest.HandlerFunc(func(ctx context.Context, c *winrmtest.Command) int {
		<-ctx.Done()
		causes <- context.Cause(ctx)
		return 0xC000013A
	})
	srv := winrmtest.NewServer(h, winrmtest.WithMaxConcurrentOperationsPerUser(3))
	defer srv.Close()
	c := newRaw(t, srv)
	shell := c.mustCreate()
	tests := []struct {
		signal string
		want   error
	}{
		{"terminate", winrmtest.ErrSignalTerminate},
		{"ctrl_c", winrmtest.ErrSignalCtrlC},
	}
	for _, tt := range tests {
		cmd := c.mustCommand(shell, "x")
		if r := c.signal(shell, cmd, tt.signal); r.status != 200 || !strings.Contains(r.body, "<rsp:SignalResponse/>") {
			t.Fatalf("Signal %s: %d %s", tt.signal, r.status, r.body)
		}
		if got := <-causes; !errors.Is(got, tt.want) {
			t.Errorf("Signal %s: cause %v, want %v", tt.signal, got, tt.want)
		}
		_, _, code, _ := c.receiveAll(shell, cmd)
		if code != 0xC000013A {
			t.Errorf("Signal %s: exit %d, want the handler's", tt.signal, code)
		}
		// Signal after Done still answers SignalResponse.
		if r := c.signal(shell, cmd, "terminate"); r.status != 200 {
			t.Errorf("Signal after Done: %d", r.status)
		}
	}
	c.mustCommand(shell, "x")
	// Terminated commands still hold their operation: the 4th is refused.
	if r := c.command(shell, "x", false); r.faultCode() != winrmtest.CodeOperationQuota || !strings.Contains(r.body, "maximum number of 3 concurrent operations") {
		t.Errorf("4th operation: %d %s", r.faultCode(), r.body)
	}
	if r := c.delete(shell); r.status != 200 || !strings.Contains(r.body, "DeleteResponse") {
		t.Fatalf("Delete: %d %s", r.status, r.body)
	}
	if got := <-causes; !errors.Is(got, winrmtest.ErrShellDeleted) {
		t.Errorf("Delete: cause %v, want ErrShellDeleted", got)
	}
	if n := srv.OpenShells(); n != 0 {
		t.Errorf("OpenShells() = %d after Delete", n)
	}
	// Deleting the shell released its operations.
	shell = c.mustCreate()
	for range 3 {
		c.mustCommand(shell, "x")
	}
}

func TestIdleTimeoutDeletesShell(t *testing.T) {
	srv := winrmtest.NewServer(testHost(), winrmtest.WithIdleTimeout(time.Nanosecond))
	defer srv.Close()
	c := newRaw(t, srv)
	shell := c.mustCreate()
	if n := srv.OpenShells(); n != 0 {
		t.Errorf("OpenShells() = %d after the idle timeout, want 0", n)
	}
	if r := c.command(shell, "echo", false); r.faultCode() != winrmtest.CodeInvalidSelectors {
		t.Errorf("Command in an expired shell: %d %s", r.faultCode(), r.body)
	}
}

func TestParseDurations(t *testing.T) {
	srv := winrmtest.NewServer(testHost(), winrmtest.WithMaxTimeout(20*time.Millisecond))
	defer srv.Close()
	c := newRaw(t, srv)
	shell := c.mustCreate()
	cmd := c.mustCommand(shell, "wait")
	tests := []struct {
		in   string
		want uint32
	}{
		{"PT60S", winrmtest.CodeTimedOut},
		{"PT60.000S", winrmtest.CodeTimedOut},
		{"PT5M0S", winrmtest.CodeTimedOut},
		{"PT1M30S", winrmtest.CodeTimedOut},
		{"P0DT0H0M1S", winrmtest.CodeTimedOut},
		{"PT0.010S", winrmtest.CodeTimedOut},
		{"60", winrmtest.CodeInvalidTimeout},
		{"PT", winrmtest.CodeInvalidTimeout},
		{"P1Y", winrmtest.CodeInvalidTimeout},
		{"PT-1S", winrmtest.CodeInvalidTimeout},
	}
	for _, tt := range tests {
		c.timeout = tt.in
		if got := c.receive(shell, cmd).faultCode(); got != tt.want {
			t.Errorf("OperationTimeout %q: fault %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestAccessDenied(t *testing.T) {
	srv := winrmtest.NewServer(testHost(),
		winrmtest.WithUsers(map[string]string{"vagrant": "vagrant", "guest": "guest"}),
		winrmtest.WithRestrictedUsers("guest"))
	defer srv.Close()
	c := newRaw(t, srv)
	c.user, c.password = `WORKGROUP\Guest`, "guest"
	if r := c.create(); r.status != 500 || r.faultCode() != winrmtest.CodeAccessDenied {
		t.Errorf("restricted user Create: %d %d", r.status, r.faultCode())
	}
	c.user, c.password = "VAGRANT", "vagrant"
	if r := c.create(); r.status != 200 || !strings.Contains(r.body, "<rsp:Owner>VAGRANT</rsp:Owner>") {
		t.Errorf("user name matched case-insensitively: %d %s", r.status, r.body)
	}
}

func TestAllowUnencryptedFalseRefusesBasicOverHTTP(t *testing.T) {
	for _, tls := range []bool{false, true} {
		opts := []winrmtest.Option{winrmtest.WithAllowUnencrypted(false)}
		if tls {
			opts = append(opts, winrmtest.WithTLS())
		}
		srv := winrmtest.NewServer(testHost(), opts...)
		c := newRaw(t, srv)
		want := 401
		if tls {
			want = 200
		}
		if r := c.create(); r.status != want {
			t.Errorf("TLS %v: Create status %d, want %d", tls, r.status, want)
		}
		srv.Close()
	}
}

func TestLogLimit(t *testing.T) {
	srv := winrmtest.NewServer(testHost(), winrmtest.WithLogLimit(3))
	defer srv.Close()
	c := newRaw(t, srv)
	for range 10 {
		c.delete("00000000-0000-0000-0000-000000000000")
	}
	log := srv.Log()
	if len(log) != 3 || log[0].Seq != 8 || log[2].Seq != 10 {
		t.Errorf("log with limit 3 = %+v, want requests 8 to 10", log)
	}
}

func TestLongMessageIDStaysUnderEnvelope(t *testing.T) {
	srv := winrmtest.NewServer(testHost())
	defer srv.Close()
	c := newRaw(t, srv)
	c.maxEnv = 8192
	shell := c.mustCreate()
	cmd := c.mustCommand(shell, "big 20000")
	env := strings.Replace(c.envelope(aReceive, shell, nil,
		`<rsp:Receive><rsp:DesiredStream CommandId="`+cmd+`">stdout stderr</rsp:DesiredStream></rsp:Receive>`),
		msgID, "uuid:"+strings.Repeat("&amp;", 300), 1)
	r := c.post(env)
	if r.status != 200 || len(r.body) > 8192 {
		t.Errorf("Receive with a long MessageID: status %d, %d bytes (limit 8192)", r.status, len(r.body))
	}
}

func TestShellsBelongToTheirUser(t *testing.T) {
	srv := winrmtest.NewServer(testHost(), winrmtest.WithUsers(map[string]string{"vagrant": "vagrant", "other": "other"}))
	defer srv.Close()
	c := newRaw(t, srv)
	shell := c.mustCreate()
	o := newRaw(t, srv)
	o.user, o.password = "other", "other"
	if r := o.command(shell, "echo x", false); r.faultCode() != winrmtest.CodeInvalidSelectors {
		t.Errorf("another user's Command: %d %s", r.faultCode(), r.body)
	}
	if r := o.delete(shell); r.faultCode() != winrmtest.CodeInvalidSelectors {
		t.Errorf("another user's Delete: %d", r.faultCode())
	}
	// The quota is per user too.
	for range winrmtest.DefaultMaxShellsPerUser {
		o.mustCreate()
	}
	if r := o.create(); r.faultCode() != winrmtest.CodeShellQuota {
		t.Errorf("other's 31st shell: %d", r.faultCode())
	}
	c.mustCreate()
	// Selectors are not case-sensitive.
	if r := c.command(strings.ToLower(shell), "echo x", false); r.status != 200 {
		t.Errorf("lower-case ShellId: %d", r.status)
	}
}
