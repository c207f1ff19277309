package remote

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/masterzen/winrm"
)

const secret = "S3cr3t-P@ss"

func TestTargetNeverPrintsSecrets(t *testing.T) {
	tg := Target{Host: "web01", HTTPS: true, User: "admin", Password: secret, ClientKeyPEM: []byte("KEY-" + secret)}
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("x", "target", tg)
	slog.New(slog.NewTextHandler(&logBuf, nil)).Info("x", "target", tg)
	js, err := json.Marshal(tg)
	if err != nil {
		t.Fatal(err)
	}
	outs := map[string]string{
		"%v": fmt.Sprintf("%v", tg), "%+v": fmt.Sprintf("%+v", tg), "%#v": fmt.Sprintf("%#v", tg),
		"%s": fmt.Sprintf("%s", tg), "%q": fmt.Sprintf("%q", tg), "%x": fmt.Sprintf("%x", tg),
		"String": tg.String(), "ptr %v": fmt.Sprintf("%v", &tg), "slog": logBuf.String(), "json": string(js),
		"in struct %+v": fmt.Sprintf("%+v", struct{ T Target }{tg}),
	}
	for name, s := range outs {
		if strings.Contains(s, secret) {
			t.Errorf("%s output contains the password: %s", name, s)
		}
		if !strings.Contains(s, "web01") {
			t.Errorf("%s output lacks the host: %s", name, s)
		}
	}
	if got, want := tg.String(), "basic://admin@web01:5986 (https)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestDialValidation(t *testing.T) {
	ctx := t.Context()
	ok := Target{Host: "127.0.0.1", Port: 5986, HTTPS: true, User: "u", Password: secret}
	tests := []struct {
		name string
		mod  func(*Target)
		opts Options
		want error
	}{
		{"ok", func(*Target) {}, Options{}, nil},
		{"empty host", func(t *Target) { t.Host = "" }, Options{}, ErrConfig},
		{"url as host", func(t *Target) { t.Host = "http://x/wsman" }, Options{}, ErrConfig},
		{"bad port", func(t *Target) { t.Port = 70000 }, Options{}, ErrConfig},
		{"unknown transport", func(t *Target) { t.Transport = "credssp" }, Options{}, ErrConfig},
		{"no user", func(t *Target) { t.User = "" }, Options{}, ErrConfig},
		{"basic over http", func(t *Target) { t.HTTPS = false }, Options{}, ErrInsecure},
		{"basic over http opt-in", func(t *Target) { t.HTTPS = false; t.AllowUnencrypted = true }, Options{}, nil},
		{"kerberos over http", func(t *Target) { t.HTTPS = false; t.Transport = "kerberos" }, Options{}, ErrInsecure},
		{"certificate over http", func(t *Target) { t.HTTPS = false; t.Transport = "certificate" }, Options{}, ErrConfig},
		{"certificate without key", func(t *Target) { t.Transport = "certificate"; t.ClientCertPEM = []byte("x") }, Options{}, ErrConfig},
		{"ntlm over https", func(t *Target) { t.Transport = "ntlm" }, Options{}, nil},
		{"ntlm over http, auto encryption", func(t *Target) { t.Transport = "ntlm"; t.HTTPS = false }, Options{}, nil},
		{"ntlm over http without encryption", func(t *Target) { t.Transport = "ntlm"; t.HTTPS = false; t.MessageEncryption = "never" }, Options{}, ErrInsecure},
		{"bad encryption", func(t *Target) { t.MessageEncryption = "sometimes" }, Options{}, ErrConfig},
		{"missing ca file", func(t *Target) { t.CAFile = "/nonexistent/ca.pem" }, Options{}, ErrConfig},
		{"bad ca pem", func(t *Target) { t.CAPEM = []byte("not pem") }, Options{}, ErrConfig},
		{"read timeout not above operation timeout", func(*Target) {}, Options{OperationTimeout: 20 * time.Second, ReadTimeout: 20 * time.Second}, ErrConfig},
		{"code page", func(*Target) {}, Options{CodePage: 1252}, ErrConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := ok
			tt.mod(&tg)
			c, err := Dial(ctx, tg, tt.opts)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Dial = %v, want success", err)
				}
				if err := c.Close(ctx); err != nil {
					t.Errorf("Close = %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Dial = %v, want %v", err, tt.want)
			}
			var re *Error
			if !errors.As(err, &re) || re.Kind != tt.want {
				t.Errorf("Dial error %v: want an *Error of kind %v", err, tt.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error contains the password: %v", err)
			}
		})
	}
}

func TestOptionsDefaults(t *testing.T) {
	o, err := Options{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if o.ConnectTimeout != 10*time.Second || o.OperationTimeout != 20*time.Second || o.ReadTimeout != 30*time.Second {
		t.Errorf("defaults = %v/%v/%v, want 10s/20s/30s", o.ConnectTimeout, o.OperationTimeout, o.ReadTimeout)
	}
	o, err = Options{OperationTimeout: 5 * time.Second}.withDefaults()
	if err != nil || o.ReadTimeout != 15*time.Second {
		t.Errorf("ReadTimeout default with OperationTimeout 5s = %v, %v; want 15s", o.ReadTimeout, err)
	}
	for d, want := range map[time.Duration]string{20 * time.Second: "PT20.000S", 1500 * time.Millisecond: "PT1.500S", 90 * time.Second: "PT90.000S"} {
		if got := wsmanDuration(d); got != want {
			t.Errorf("wsmanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestDialDoesNotTouchDefaultParameters(t *testing.T) {
	before := *winrm.DefaultParameters
	c, err := Dial(t.Context(), Target{Host: "127.0.0.1", HTTPS: true, User: "u"}, Options{OperationTimeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(t.Context())
	after := *winrm.DefaultParameters
	if before.Timeout != after.Timeout || after.TransportDecorator != nil || after.Dial != nil {
		t.Errorf("DefaultParameters changed: %+v → %+v", before, after)
	}
	if c.params.Timeout != "PT3.000S" {
		t.Errorf("client OperationTimeout = %q, want PT3.000S", c.params.Timeout)
	}
}

const timedOutFault = `<s:Envelope xml:lang="en-US" xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" xmlns:e="http://schemas.xmlsoap.org/ws/2004/08/eventing" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"><s:Header><a:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</a:Action><a:MessageID>uuid:D6232298-AF04-4853-AFC5-FEEB5732B81D</a:MessageID><a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To><a:RelatesTo>uuid:e54190b3-e060-4b5c-4779-b63ab4963bac</a:RelatesTo></s:Header><s:Body><s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>w:TimedOut</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  </s:Text></s:Reason><s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="2150858793" Machine="127.0.0.1"><f:Message>The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  </f:Message></f:WSManFault></s:Detail></s:Fault></s:Body></s:Envelope>`

const providerFault = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header/><s:Body><s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>w:InternalError</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">The filename or extension is too long. </s:Text></s:Reason><s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="2147942606" Machine="win"><f:Message><f:ProviderFault provider="Shell cmd plugin" path="%systemroot%\system32\winrscmd.dll">The filename or extension is too long. </f:ProviderFault></f:Message></f:WSManFault></s:Detail></s:Fault></s:Body></s:Envelope>`

func TestParseFault(t *testing.T) {
	tests := []struct {
		name string
		body string
		want *FaultError
	}{
		{"timed out", timedOutFault, &FaultError{Op: "receive", Code: CodeTimedOut, Subcode: "TimedOut", Machine: "127.0.0.1", Status: 500,
			Reason: "The WS-Management service cannot complete the operation within the time specified in OperationTimeout."}},
		{"provider fault", providerFault, &FaultError{Op: "receive", Code: CodeCommandLineTooLong, Subcode: "InternalError", Machine: "win", Status: 500,
			Reason: "The filename or extension is too long."}},
		{"not a fault", `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>`, nil},
		{"not xml", "<html>Fault</html", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseFault("receive", 500, []byte(tt.body))
			if ok != (tt.want != nil) {
				t.Fatalf("parseFault ok = %v, want %v", ok, tt.want != nil)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseFault (-want +got):\n%s", diff)
			}
		})
	}
}

const createResponse = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><s:Header><a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse</a:Action></s:Header><s:Body><rsp:Shell><rsp:ShellId>S-1</rsp:ShellId></rsp:Shell></s:Body></s:Envelope>`

func TestAnswerMapping(t *testing.T) {
	tr := &transport{host: "h:5985", kind: TransportBasic}
	soapCT := http.Header{"Content-Type": {"application/soap+xml;charset=UTF-8"}}
	tests := []struct {
		name     string
		op       string
		status   int
		h        http.Header
		body     string
		want     error
		wantHint string
		wantCode uint32
	}{
		{"200", "create", 200, soapCT, createResponse, nil, "", 0},
		{"timed out on receive is received again", "receive", 500, soapCT, timedOutFault, nil, "", 0},
		{"timed out elsewhere is a fault", "command", 500, soapCT, timedOutFault, ErrFault, "", CodeTimedOut},
		{"provider fault", "command", 500, soapCT, providerFault, ErrFault, "too long", CodeCommandLineTooLong},
		{"401 over http", "create", 401, http.Header{"Www-Authenticate": {"Negotiate", `Basic realm="WSMAN"`}}, "", ErrAuth, "AllowUnencrypted", 0},
		{"401 without basic", "create", 401, http.Header{"Www-Authenticate": {"Negotiate", "Kerberos"}}, "", ErrAuth, "does not offer Basic", 0},
		{"404 html", "create", 404, http.Header{"Content-Type": {"text/html"}}, "<html/>", ErrProtocol, "/wsman", 0},
		{"413", "command", 413, nil, "", ErrProtocol, "MaxEnvelopeSizekb", 0},
		{"200 not xml", "receive", 200, soapCT, "garbage", ErrProtocol, "", 0},
		{"200 empty", "receive", 200, soapCT, "", ErrProtocol, "", 0},
		{"200 empty envelope", "create", 200, soapCT, "<s:Envelope/>", ErrProtocol, "not the WS-Management answer", 0},
		{"200 wrong action", "command", 200, soapCT, createResponse, ErrProtocol, "not the WS-Management answer", 0},
		{"500 empty", "receive", 500, soapCT, "", ErrProtocol, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.h
			if h == nil {
				h = http.Header{}
			}
			r, err := tr.answer(new(responseDecoder), tt.op, httpAnswer{status: tt.status, header: h, body: []byte(tt.body)}, "", nil)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("answer = %v; want a decoded answer", err)
				}
				if tt.op == "create" && r.shellID != "S-1" {
					t.Errorf("answer shellID = %q, want S-1", r.shellID)
				}
				if tt.op == "receive" && !r.timedOut {
					t.Errorf("answer = %+v, want timedOut", r)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("answer error = %v, want %v", err, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.Kind != tt.want || e.Op != tt.op {
				t.Errorf("answer error %#v: want *Error with op %q and kind %v", err, tt.op, tt.want)
			}
			if !strings.Contains(e.Hint, tt.wantHint) {
				t.Errorf("hint %q lacks %q", e.Hint, tt.wantHint)
			}
			var f *FaultError
			if tt.wantCode != 0 && (!errors.As(err, &f) || f.Code != tt.wantCode) {
				t.Errorf("answer error %v: want FaultError code %d", err, tt.wantCode)
			}
			// Only the TimedOut fault on Receive may be received again;
			// masterzen used to retry any error that says OperationTimeout.
			if tt.op == "receive" && strings.Contains(err.Error(), "OperationTimeout") {
				t.Errorf("receive error %q mentions OperationTimeout", err)
			}
		})
	}
}

// TestAnswerHintFollowsScheme: the hints that depend on the scheme read it
// from the transport, for every poster (kerberos used to pass "http").
func TestAnswerHintFollowsScheme(t *testing.T) {
	for _, https := range []bool{false, true} {
		tr := &transport{host: "h:1", kind: TransportKerberos, https: https}
		_, err := tr.answer(new(responseDecoder), "create", httpAnswer{status: http.StatusBadRequest, header: http.Header{}}, "", nil)
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("answer(400) = %v, want *Error", err)
		}
		if got := strings.Contains(e.Hint, "expect HTTPS"); got == https {
			t.Errorf("https=%v: 400 hint %q; the \"expect HTTPS\" hint belongs to plain HTTP only", https, e.Hint)
		}
	}
}

func TestCtxError(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := ctxError(ctx, "h:1", "receive")
	var re *Error
	if !errors.Is(err, context.Canceled) || errors.As(err, &re) {
		t.Errorf("cancel error = %v: want context.Canceled, not an *Error", err)
	}
	dctx, dcancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer dcancel()
	err = ctxError(dctx, "h:1", "receive")
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &re) || re.Kind != ErrTimeout {
		t.Errorf("deadline error = %v: want ErrTimeout, DeadlineExceeded, kind ErrTimeout", err)
	}
}

func TestKerberosSettings(t *testing.T) {
	tests := []struct {
		name string
		tg   Target
		want winrm.Settings
	}{
		{"upn", Target{Host: "web01.corp.example", HTTPS: true, Transport: "kerberos", User: "alice@corp.example", Password: secret,
			Kerberos: KerberosConfig{SPN: "HTTP/web01.corp.example"}},
			winrm.Settings{WinRMUsername: "alice", WinRMPassword: secret, WinRMHost: "web01.corp.example", WinRMPort: 5986, WinRMProto: "https",
				KrbRealm: "CORP.EXAMPLE", KrbConfig: "/etc/krb5.conf", KrbSpn: "HTTP/web01.corp.example"}},
		{"down-level and explicit realm", Target{Host: "web01", Port: 5985, AllowUnencrypted: true, Transport: "kerberos", User: `CORP\bob`,
			Kerberos: KerberosConfig{Realm: "Corp.Example", ConfigFile: "/tmp/krb5.conf", CCacheFile: "/tmp/cc"}},
			winrm.Settings{WinRMUsername: "bob", WinRMHost: "web01", WinRMPort: 5985, WinRMProto: "http",
				KrbRealm: "CORP.EXAMPLE", KrbConfig: "/tmp/krb5.conf", KrbCCache: "/tmp/cc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := kerberosSettings(tt.tg)
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("kerberosSettings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	e := &Error{Host: "web01:5986", Op: "create", Kind: ErrFault, Hint: "do x",
		Err: &FaultError{Op: "create", Code: CodeShellQuota, Subcode: "QuotaLimit", Reason: "too many shells"}}
	want := "web01:5986: create: ws-management fault: fault 2150859173 (QuotaLimit) on create: too many shells (hint: do x)"
	if got := e.Error(); got != want {
		t.Errorf("Error() = %q\nwant      %q", got, want)
	}
	var f *FaultError
	if !errors.Is(e, ErrFault) || !errors.As(e, &f) || f.Code != CodeShellQuota {
		t.Errorf("errors.Is/As on %v failed", e)
	}
	connectTO := &Error{Kind: ErrUnreachable, also: []error{ErrTimeout}}
	if !errors.Is(connectTO, ErrUnreachable) || !errors.Is(connectTO, ErrTimeout) {
		t.Errorf("connect timeout error does not match both sentinels")
	}
}

// timeoutErr is a net.Error that timed out.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// TestTransportErrors classifies transport failures that the loopback
// emulator cannot produce (DNS, routes, expired certificates, connect
// timeouts); the others are covered against the emulator in TestOutcomes.
func TestTransportErrors(t *testing.T) {
	tr := &transport{host: "h:5986", https: true, readTimeout: 30 * time.Second}
	wrap := func(err error) error { return &url.Error{Op: "Post", URL: "https://h:5986/wsman", Err: err} }
	tests := []struct {
		name     string
		err      error
		want     []error
		wantKind error
		wantHint string
	}{
		{"dns", &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "h", IsNotFound: true}},
			[]error{ErrUnreachable}, ErrUnreachable, "does not resolve"},
		{"no route", &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.EHOSTUNREACH)},
			[]error{ErrUnreachable}, ErrUnreachable, "no route"},
		{"connect timeout", &net.OpError{Op: "dial", Err: timeoutErr{}},
			[]error{ErrUnreachable, ErrTimeout}, ErrUnreachable, "connect timeout"},
		{"expired", &tls.CertificateVerificationError{Err: x509.CertificateInvalidError{Reason: x509.Expired}},
			[]error{ErrTLS}, ErrTLS, "expired"},
		{"client cert refused", tls.AlertError(42), []error{ErrTLS}, ErrTLS, "client certificate"},
		{"read timeout", timeoutErr{}, []error{ErrTimeout}, ErrTimeout, "did not answer in time"},
		{"reset", os.NewSyscallError("read", syscall.ECONNRESET), []error{ErrUnreachable}, ErrUnreachable, "closed the connection"},
		{"eof", io.EOF, []error{ErrUnreachable}, ErrUnreachable, "closed the connection"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tr.transportError(t.Context(), "receive", wrap(tt.err))
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("transportError = %v, want %v", err, w)
				}
			}
			var e *Error
			if !errors.As(err, &e) || e.Kind != tt.wantKind || !strings.Contains(e.Hint, tt.wantHint) {
				t.Errorf("transportError = %v, want kind %v and hint with %q", err, tt.wantKind, tt.wantHint)
			}
			var ue *url.Error
			if errors.As(err, &ue) {
				t.Errorf("transportError keeps a *url.Error, which masterzen would retry forever on timeouts")
			}
		})
	}
}

// TestTLSHandshakeTimeout: a port that accepts TCP and never answers the
// TLS handshake fails after ConnectTimeout, not ReadTimeout, on every
// transport that does its own TLS.
func TestTLSHandshakeTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var conns []net.Conn
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c) // held open, silent
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	addr := l.Addr().(*net.TCPAddr)
	o := Options{ConnectTimeout: 300 * time.Millisecond, OperationTimeout: time.Second, ReadTimeout: 20 * time.Second}
	for _, kind := range []string{TransportBasic, TransportNTLM} {
		t.Run(kind, func(t *testing.T) {
			c, err := Dial(t.Context(), Target{Host: addr.IP.String(), Port: addr.Port, HTTPS: true, Transport: kind, User: "u", Password: secret}, o)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close(t.Context())
			start := time.Now()
			_, err = c.Run(t.Context(), "echo x", nil, nil)
			took := time.Since(start)
			var e *Error
			if !errors.As(err, &e) || e.Kind != ErrTimeout || !strings.Contains(e.Hint, "TLS handshake") {
				t.Errorf("Run = %v, want ErrTimeout with the TLS handshake hint", err)
			}
			if took > 10*time.Second {
				t.Errorf("Run took %v with a %v connect timeout and a %v read timeout", took, o.ConnectTimeout, o.ReadTimeout)
			}
		})
	}
}

// TestAnswerTooLarge: an answer over maxAnswer is an ErrProtocol of its
// own, not cut at the limit and handed to masterzen as if it were whole.
func TestAnswerTooLarge(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/soap+xml;charset=UTF-8")
		_, _ = io.WriteString(w, "<s:Envelope>"+strings.Repeat(" ", maxAnswer)+"</s:Envelope>")
	}))
	defer hs.Close()
	addr := hs.Listener.Addr().(*net.TCPAddr)
	c, err := Dial(t.Context(), Target{Host: addr.IP.String(), Port: addr.Port, User: "u", Password: secret, AllowUnencrypted: true}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(t.Context())
	_, err = c.Run(t.Context(), "echo x", nil, nil)
	var e *Error
	if !errors.As(err, &e) || e.Kind != ErrProtocol || e.Op != "create" || !strings.Contains(err.Error(), "over 8388608 bytes") {
		t.Errorf("Run = %v, want ErrProtocol on create for an answer over 8388608 bytes", err)
	}
}
