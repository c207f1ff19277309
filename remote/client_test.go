package remote

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/winfleet/winfleet/remote/winrmtest"
)

func TestMain(m *testing.M) {
	if kind := os.Getenv(benchEmulatorEnv); kind != "" {
		// Re-executed by a benchmark to serve the emulator from another
		// process (see startEmulatorProcess).
		serveEmulator(kind)
		return
	}
	goleak.VerifyTestMain(m)
}

// testHost is the Windows stand-in of these tests:
//
//	echo TEXT     stdout TEXT\r\n, exit 0
//	fail N TEXT   stdout "partial\r\n", stderr TEXT\r\n, exit N
//	raw HEX       the decoded bytes on stdout (maybe not UTF-8)
//	clixml        PowerShell-style CLIXML error on stderr, exit 1
//	slow MS TEXT  waits MS milliseconds (ctx-aware), then echo TEXT
//	block         blocks until its context is done, exit 1
var testHost = winrmtest.HandlerFunc(func(ctx context.Context, c *winrmtest.Command) int {
	verb, rest, _ := strings.Cut(c.Line, " ")
	switch verb {
	case "echo":
		fmt.Fprintf(c.Stdout, "%s\r\n", rest)
		return 0
	case "fail":
		code, text, _ := strings.Cut(rest, " ")
		n, _ := strconv.Atoi(code)
		fmt.Fprint(c.Stdout, "partial\r\n")
		fmt.Fprintf(c.Stderr, "%s\r\n", text)
		return n
	case "raw":
		b, _ := hex.DecodeString(rest)
		_, _ = c.Stdout.Write(b)
		return 0
	case "clixml":
		fmt.Fprint(c.Stderr, "#< CLIXML\r\n")
		fmt.Fprint(c.Stderr, `<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><S S="Error">boom_x000D__x000A_</S></Objs>`)
		return 1
	case "slow":
		ms, text, _ := strings.Cut(rest, " ")
		n, _ := strconv.Atoi(ms)
		t := time.NewTimer(time.Duration(n) * time.Millisecond)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return 1
		}
		fmt.Fprintf(c.Stdout, "%s\r\n", text)
		return 0
	case "block":
		<-ctx.Done()
		return 1
	}
	fmt.Fprintf(c.Stderr, "'%s' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", verb)
	return 1
})

const badPassword = "Wr0ngP4ss!"

func startServer(t testing.TB, opts ...winrmtest.Option) *winrmtest.Server {
	t.Helper()
	srv := winrmtest.NewServer(testHost, opts...)
	t.Cleanup(srv.Close)
	return srv
}

// targetFor returns a target that reaches srv with its default account.
func targetFor(srv *winrmtest.Server) Target {
	tg := Target{Host: srv.Host(), Port: srv.Port(), User: winrmtest.DefaultUser, Password: winrmtest.DefaultPassword}
	if srv.TLS() {
		tg.HTTPS = true
		tg.CAPEM = srv.CACertPEM()
	} else {
		tg.AllowUnencrypted = true
	}
	return tg
}

func dialT(t testing.TB, tg Target, o Options) *Client {
	t.Helper()
	c, err := Dial(t.Context(), tg, o)
	if err != nil {
		t.Fatalf("Dial(%v) = %v", tg, err)
	}
	return c
}

// closeAndCheck closes c and checks that the server has no shell left.
func closeAndCheck(t testing.TB, c *Client, srv *winrmtest.Server) {
	t.Helper()
	_ = c.Close(context.WithoutCancel(t.Context()))
	if n := srv.OpenShells(); n != 0 {
		t.Errorf("server has %d open shells after Close, want 0; log ops %v", n, srv.Ops())
	}
}

// waitFor polls cond until it holds; it fails the test after 10s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

func receiveParked(log []winrmtest.Request) bool {
	for _, r := range log {
		if r.Op == winrmtest.OpReceive && r.Status == 0 {
			return true
		}
	}
	return false
}

// cancelWhenParked returns a context that is cancelled as soon as srv holds
// a parked Receive, and a channel that delivers the time of cancellation.
func cancelWhenParked(t *testing.T, ctx context.Context, srv *winrmtest.Server) (context.Context, context.CancelFunc, <-chan time.Time) {
	ctx, cancel := context.WithCancel(ctx)
	at := make(chan time.Time, 1)
	go func() {
		defer cancel()
		wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
		defer wcancel()
		if err := srv.WaitLog(wctx, receiveParked); err != nil {
			t.Errorf("no Receive was parked: %v", err)
		}
		at <- time.Now()
	}()
	return ctx, cancel, at
}

func countOps(srv *winrmtest.Server) map[winrmtest.Op]int {
	n := map[winrmtest.Op]int{}
	for _, op := range srv.Ops() {
		n[op]++
	}
	return n
}

// TestOutcomes is the outcome table of the issue: one row per way a host
// can answer, each checked for the error class, host status, fault code,
// time bound, and that no shell is left on the host afterwards.
func TestOutcomes(t *testing.T) {
	fast := Options{ConnectTimeout: 2 * time.Second, OperationTimeout: time.Second, ReadTimeout: 2 * time.Second}
	tests := []struct {
		name    string
		srvOpts []winrmtest.Option
		faults  winrmtest.Faults
		mod     func(*Target)
		opts    Options
		budget  time.Duration // ctx deadline; 0 = none
		cancel  bool          // cancel once a Receive is parked
		cmd     string

		wantExit   int
		wantStdout string
		wantStderr string
		wantErr    error  // sentinel; nil = success
		wantKind   error  // the *Error's Kind; nil = not an *Error (cancellation)
		wantCode   uint32 // FaultError code
		wantHint   string
		within     time.Duration // bound on Run's duration (from the cancel for cancel rows)
		dialErr    bool          // the error comes from Dial
		noRequests bool          // the server must see no request at all
	}{
		{name: "success", cmd: "echo hello", wantStdout: "hello\r\n"},
		{name: "success over https", srvOpts: []winrmtest.Option{winrmtest.WithTLS()}, cmd: "echo hello", wantStdout: "hello\r\n"},
		{name: "https with server name", srvOpts: []winrmtest.Option{winrmtest.WithCertHosts("winrm.example.test")},
			mod: func(tg *Target) { tg.ServerName = "winrm.example.test" }, cmd: "echo hi", wantStdout: "hi\r\n"},
		{name: "non-zero exit", cmd: "fail 3 Access is denied.", wantExit: 3, wantStdout: "partial\r\n", wantStderr: "Access is denied.\r\n"},
		{name: "unknown command", cmd: "frobnicate", wantExit: 1,
			wantStderr: "'frobnicate' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n"},
		{name: "oem code page 850", cmd: "raw 528a676c6520616374697682650d0a", wantStdout: "Règle activée\r\n"},
		{name: "clixml stderr", cmd: "clixml", wantExit: 1, wantStderr: "boom\r\n"},
		{name: "operation timeout is retried", opts: Options{OperationTimeout: 200 * time.Millisecond}, cmd: "slow 700 late", wantStdout: "late\r\n"},
		{name: "bad password", mod: func(tg *Target) { tg.Password = badPassword }, cmd: "echo x",
			wantErr: ErrAuth, wantKind: ErrAuth, wantHint: "AllowUnencrypted"},
		{name: "refused", faults: winrmtest.Faults{RefuseConnections: true}, cmd: "echo x",
			wantErr: ErrUnreachable, wantKind: ErrUnreachable, wantHint: "listener"},
		{name: "accept and hang, budget", faults: winrmtest.Faults{NoAnswer: true}, budget: time.Second, cmd: "echo x",
			wantErr: context.DeadlineExceeded, wantKind: ErrTimeout, within: 2 * time.Second},
		{name: "accept and hang, read timeout", faults: winrmtest.Faults{NoAnswer: true}, opts: fast, cmd: "echo x",
			wantErr: ErrTimeout, wantKind: ErrTimeout, within: 4 * time.Second},
		{name: "hang mid-receive, cancel", faults: winrmtest.Faults{HangReceive: true}, cancel: true, cmd: "block",
			wantErr: context.Canceled, within: 2 * time.Second},
		{name: "hang mid-receive, budget", faults: winrmtest.Faults{HangReceive: true}, budget: 1500 * time.Millisecond, cmd: "block",
			wantErr: ErrTimeout, wantKind: ErrTimeout, within: 2500 * time.Millisecond},
		{name: "hang mid-receive, read timeout", faults: winrmtest.Faults{HangReceive: true}, opts: fast, cmd: "block",
			wantErr: ErrTimeout, wantKind: ErrTimeout, within: 4 * time.Second},
		{name: "long-poll, cancel", cancel: true, cmd: "block", wantErr: context.Canceled, within: 2 * time.Second},
		{name: "connection dropped mid-receive", faults: winrmtest.Faults{DropReceive: true}, cmd: "echo x",
			wantErr: ErrUnreachable, wantKind: ErrUnreachable, wantHint: "closed the connection"},
		{name: "quota fault at create", faults: winrmtest.Faults{FaultOn: map[winrmtest.Op]uint32{winrmtest.OpCreate: winrmtest.CodeShellQuota}},
			cmd: "echo x", wantErr: ErrFault, wantKind: ErrFault, wantCode: CodeShellQuota, wantHint: "MaxShellsPerUser"},
		{name: "unknown shell", faults: winrmtest.Faults{FaultOn: map[winrmtest.Op]uint32{winrmtest.OpCommand: winrmtest.CodeInvalidSelectors}},
			cmd: "echo x", wantErr: ErrFault, wantKind: ErrFault, wantCode: CodeInvalidSelectors},
		{name: "fault on receive", faults: winrmtest.Faults{FaultOn: map[winrmtest.Op]uint32{winrmtest.OpReceive: winrmtest.CodeInternalErrorGeneric}},
			cmd: "echo x", wantErr: ErrFault, wantKind: ErrFault, wantCode: winrmtest.CodeInternalErrorGeneric},
		{name: "access denied", srvOpts: []winrmtest.Option{winrmtest.WithRestrictedUsers(winrmtest.DefaultUser)},
			cmd: "echo x", wantErr: ErrFault, wantKind: ErrFault, wantCode: CodeAccessDenied, wantHint: "Remote Management Users"},
		{name: "command line too long", cmd: "echo " + strings.Repeat("x", 9000),
			wantErr: ErrFault, wantKind: ErrFault, wantCode: CodeCommandLineTooLong},
		{name: "unknown CA", srvOpts: []winrmtest.Option{winrmtest.WithTLS()}, mod: func(tg *Target) { tg.CAPEM = nil }, cmd: "echo x",
			wantErr: ErrTLS, wantKind: ErrTLS, wantHint: "unknown authority"},
		{name: "wrong host name", srvOpts: []winrmtest.Option{winrmtest.WithCertHosts("other.example.test")}, cmd: "echo x",
			wantErr: ErrTLS, wantKind: ErrTLS, wantHint: "not valid for"},
		{name: "https client on http port", mod: func(tg *Target) { tg.HTTPS = true }, cmd: "echo x",
			wantErr: ErrTLS, wantKind: ErrTLS, wantHint: "does not speak TLS"},
		{name: "http client on https port", srvOpts: []winrmtest.Option{winrmtest.WithTLS()}, mod: func(tg *Target) { tg.HTTPS = false; tg.AllowUnencrypted = true },
			cmd: "echo x", wantErr: ErrUnreachable, wantKind: ErrUnreachable, wantHint: "https=true"},
		{name: "plain-http basic without opt-in", mod: func(tg *Target) { tg.AllowUnencrypted = false }, cmd: "echo x",
			wantErr: ErrInsecure, wantKind: ErrInsecure, dialErr: true, noRequests: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, append(tt.srvOpts, winrmtest.WithFaults(tt.faults))...)
			tg := targetFor(srv)
			if tt.mod != nil {
				tt.mod(&tg)
			}
			ctx := t.Context()
			if tt.budget > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.budget)
				defer cancel()
			}
			c, err := Dial(ctx, tg, tt.opts)
			if tt.dialErr {
				checkErr(t, err, tt.wantErr, tt.wantKind, tt.wantHint)
				if tt.noRequests && len(srv.Log()) != 0 {
					t.Errorf("server saw %d requests, want none", len(srv.Log()))
				}
				return
			}
			if err != nil {
				t.Fatalf("Dial = %v", err)
			}
			defer closeAndCheck(t, c, srv)

			start := time.Now()
			var cancelled <-chan time.Time
			if tt.cancel {
				var cancel context.CancelFunc
				ctx, cancel, cancelled = cancelWhenParked(t, ctx, srv)
				defer cancel()
			}
			var stdout, stderr bytes.Buffer
			code, err := c.Run(ctx, tt.cmd, &stdout, &stderr)
			end := time.Now()
			if tt.cancel {
				start = <-cancelled
			}
			took := end.Sub(start)
			if tt.within > 0 && took > tt.within {
				t.Errorf("Run took %v, want ≤ %v", took, tt.within)
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Run = %v, want success", err)
				}
				if code != tt.wantExit || stdout.String() != tt.wantStdout || stderr.String() != tt.wantStderr {
					t.Errorf("Run = %d, %q, %q; want %d, %q, %q", code, stdout.String(), stderr.String(), tt.wantExit, tt.wantStdout, tt.wantStderr)
				}
				return
			}
			checkErr(t, err, tt.wantErr, tt.wantKind, tt.wantHint)
			if n := srv.OpenShells(); n != 0 {
				t.Errorf("%d shells open after the failed Run (before Close), want 0", n)
			}
			if tt.wantCode != 0 {
				var f *FaultError
				if !errors.As(err, &f) || f.Code != tt.wantCode {
					t.Errorf("Run error %v: want a FaultError with code %d", err, tt.wantCode)
				}
			}
			if n := countOps(srv)[winrmtest.OpReceive]; n > 3 {
				t.Errorf("server saw %d Receives for a failing command, want ≤ 3 (hot loop?)", n)
			}
		})
	}
}

// checkErr checks that err matches want and is an *Error of kind
// wantKind (nil: not an *Error at all, as for a cancellation, which the
// caller classifies), with the hint and without the password.
func checkErr(t *testing.T, err, want, wantKind error, wantHint string) {
	t.Helper()
	if err == nil {
		t.Fatalf("error = nil, want %v", want)
	}
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
	var re *Error
	switch {
	case wantKind == nil && errors.As(err, &re):
		t.Errorf("error %v is an *Error of kind %v, want a plain error", err, re.Kind)
	case wantKind != nil && !errors.As(err, &re):
		t.Errorf("error %v is not an *Error, want kind %v", err, wantKind)
	case wantKind != nil && re.Kind != wantKind:
		t.Errorf("error %v: Kind = %v, want %v", err, re.Kind, wantKind)
	}
	if wantHint != "" && !strings.Contains(err.Error(), wantHint) {
		t.Errorf("error %q lacks the hint %q", err, wantHint)
	}
	if strings.Contains(err.Error(), winrmtest.DefaultPassword+"@") || strings.Contains(err.Error(), badPassword) {
		t.Errorf("error %q may contain the password", err)
	}
}

// TestRequestLog checks the request count: N commands on one client are one
// Create and one Delete in total, one Command each, and no Signal.
func TestRequestLog(t *testing.T) {
	srv := startServer(t)
	c := dialT(t, targetFor(srv), Options{})
	const n = 5
	for i := range n {
		var out bytes.Buffer
		code, err := c.Run(t.Context(), fmt.Sprintf("echo %d", i), &out, nil)
		if err != nil || code != 0 || out.String() != fmt.Sprintf("%d\r\n", i) {
			t.Fatalf("Run %d = %d, %q, %v", i, code, out.String(), err)
		}
	}
	closeAndCheck(t, c, srv)
	ops := countOps(srv)
	want := map[winrmtest.Op]int{winrmtest.OpCreate: 1, winrmtest.OpCommand: n, winrmtest.OpReceive: n, winrmtest.OpDelete: 1}
	for op, w := range want {
		if ops[op] != w {
			t.Errorf("%s requests = %d, want %d (log %v)", op, ops[op], w, srv.Ops())
		}
	}
	if ops[winrmtest.OpSignal] != 0 || ops[winrmtest.OpAuth] != 0 {
		t.Errorf("unexpected Signal or auth requests: %v", srv.Ops())
	}
	if got := c.Requests(); got != len(srv.Log()) {
		t.Errorf("Requests() = %d, server saw %d", got, len(srv.Log()))
	}
	conns := map[int64]bool{}
	for _, r := range srv.Log() {
		conns[r.ConnID] = true
	}
	if len(conns) != 1 {
		t.Errorf("requests used %d connections, want 1 (keep-alive)", len(conns))
	}
	if err := c.Close(t.Context()); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	if _, err := c.Run(t.Context(), "echo x", nil, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Run after Close = %v, want ErrClosed", err)
	}
}

// TestShellQuota uses the server's real MaxShellsPerUser: a second client
// cannot open a shell while the first holds the only one, and can once the
// first has closed.
func TestShellQuota(t *testing.T) {
	srv := startServer(t, winrmtest.WithMaxShellsPerUser(1))
	a := dialT(t, targetFor(srv), Options{})
	b := dialT(t, targetFor(srv), Options{})
	if _, err := a.Run(t.Context(), "echo a", nil, nil); err != nil {
		t.Fatal(err)
	}
	_, err := b.Run(t.Context(), "echo b", nil, nil)
	var f *FaultError
	if !errors.As(err, &f) || f.Code != CodeShellQuota || f.Op != "create" {
		t.Fatalf("second client Run = %v, want quota fault on create", err)
	}
	closeAndCheck(t, a, srv)
	if _, err := b.Run(t.Context(), "echo b", nil, nil); err != nil {
		t.Fatalf("Run after the quota was freed = %v", err)
	}
	closeAndCheck(t, b, srv)
}

// TestShellExpired: the host forgets the shell (idle timeout); the next
// command reports the InvalidSelectors fault, and the one after opens a new
// shell.
func TestShellExpired(t *testing.T) {
	srv := startServer(t, winrmtest.WithIdleTimeout(100*time.Millisecond))
	c := dialT(t, targetFor(srv), Options{})
	if _, err := c.Run(t.Context(), "echo a", nil, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the shell to expire", func() bool { return srv.OpenShells() == 0 })
	_, err := c.Run(t.Context(), "echo b", nil, nil)
	var f *FaultError
	if !errors.As(err, &f) || f.Code != CodeInvalidSelectors {
		t.Fatalf("Run on an expired shell = %v, want fault %d", err, CodeInvalidSelectors)
	}
	var out bytes.Buffer
	if _, err := c.Run(t.Context(), "echo c", &out, nil); err != nil || out.String() != "c\r\n" {
		t.Fatalf("Run after the fault = %q, %v; want a new shell", out.String(), err)
	}
	closeAndCheck(t, c, srv)
	if n := countOps(srv)[winrmtest.OpCreate]; n != 2 {
		t.Errorf("Creates = %d, want 2", n)
	}
}

// TestReceiveFaultNoHotLoop: masterzen, used as it comes, loops on Receive
// faults thousands of times a second; ours ends the command at the first.
func TestReceiveFaultNoHotLoop(t *testing.T) {
	srv := startServer(t, winrmtest.WithFaults(winrmtest.Faults{FaultOn: map[winrmtest.Op]uint32{winrmtest.OpReceive: winrmtest.CodeInvalidSelectors}}))
	c := dialT(t, targetFor(srv), Options{})
	_, err := c.Run(t.Context(), "echo x", nil, nil)
	if !errors.Is(err, ErrFault) {
		t.Fatalf("Run = %v, want ErrFault", err)
	}
	closeAndCheck(t, c, srv)
	if n := countOps(srv)[winrmtest.OpReceive]; n != 1 {
		t.Errorf("Receives = %d, want 1", n)
	}
}

// TestTimedOutSpinGuard: a host that answers every Receive with TimedOut
// at once (MaxTimeoutms of 1 ms) would make masterzen spin; the command
// ends with ErrProtocol after a bounded number of Receives.
func TestTimedOutSpinGuard(t *testing.T) {
	srv := startServer(t, winrmtest.WithMaxTimeout(time.Millisecond))
	c := dialT(t, targetFor(srv), Options{})
	_, err := c.Run(t.Context(), "block", nil, nil)
	checkErr(t, err, ErrProtocol, ErrProtocol, "MaxTimeoutms")
	closeAndCheck(t, c, srv)
	if n := countOps(srv)[winrmtest.OpReceive]; n > maxFastTimedOut+5 {
		t.Errorf("Receives = %d, want about %d", n, maxFastTimedOut)
	}
}

// TestCancelBeforeRun: a context cancelled before Run sends nothing.
func TestCancelBeforeRun(t *testing.T) {
	srv := startServer(t)
	c := dialT(t, targetFor(srv), Options{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.Run(ctx, "echo x", nil, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	closeAndCheck(t, c, srv)
	if n := len(srv.Log()); n != 0 {
		t.Errorf("server saw %d requests, want 0", n)
	}
}

// TestHugeOutput reads output spread over many Receives (masterzen issue #99).
func TestHugeOutput(t *testing.T) {
	const size = 2 << 20
	srv := startServer(t, winrmtest.WithFaults(winrmtest.Faults{HugeOutput: size}))
	c := dialT(t, targetFor(srv), Options{})
	var out bytes.Buffer
	if _, err := c.Run(t.Context(), "echo start", &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	closeAndCheck(t, c, srv)
	want := "start\r\n" + string(winrmtest.HugeOutputBytes(size))
	if out.String() != want {
		t.Errorf("output is %d bytes, want %d", out.Len(), len(want))
	}
	if n := countOps(srv)[winrmtest.OpReceive]; n < 2 {
		t.Errorf("Receives = %d, want several", n)
	}
}

// TestHeadersTooLate: the host carries out the Command but its answer
// comes after the read timeout. The command fails with ErrTimeout, and the
// shell is still deleted (the host carries out the Delete even though its
// answer is late too).
func TestHeadersTooLate(t *testing.T) {
	srv := startServer(t)
	c := dialT(t, targetFor(srv), Options{OperationTimeout: 500 * time.Millisecond, ReadTimeout: time.Second})
	if _, err := c.Run(t.Context(), "echo warm", nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := srv.SetFaults(winrmtest.Faults{HeaderDelay: 3 * time.Second}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := c.Run(t.Context(), "echo x", nil, nil)
	checkErr(t, err, ErrTimeout, ErrTimeout, "did not answer in time")
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Run took %v, want about ReadTimeout + CleanupTimeout", took)
	}
	closeAndCheck(t, c, srv)
}

// TestLogging: debug lines per request and the skip-verify warning, never
// the password.
func TestLogging(t *testing.T) {
	srv := startServer(t, winrmtest.WithTLS(), winrmtest.WithUsers(map[string]string{"admin": secret}))
	var buf syncBuffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	tg := targetFor(srv)
	tg.User, tg.Password, tg.CAPEM, tg.InsecureSkipVerify = "admin", secret, nil, true
	c := dialT(t, tg, Options{Logger: log})
	if _, err := c.Run(t.Context(), "echo x", nil, nil); err != nil {
		t.Fatal(err)
	}
	closeAndCheck(t, c, srv)
	out := buf.String()
	if strings.Contains(out, secret) {
		t.Errorf("log contains the password:\n%s", out)
	}
	for _, want := range []string{`"level":"WARN","msg":"TLS certificate verification is disabled`, `"msg":"winrm request"`, `"op":"receive"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestUnauthorizedMidRun: a 401 in the middle of a run (password changed)
// is reported once and not followed by any other request with the refused
// credentials, not even the cleanup Delete (account lockout). The shell is
// left for the host's idle timeout.
func TestUnauthorizedMidRun(t *testing.T) {
	srv := startServer(t)
	c := dialT(t, targetFor(srv), Options{})
	if _, err := c.Run(t.Context(), "echo a", nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := srv.SetFaults(winrmtest.Faults{Unauthorized: true}); err != nil {
		t.Fatal(err)
	}
	before := len(srv.Log())
	_, err := c.Run(t.Context(), "echo b", nil, nil)
	checkErr(t, err, ErrAuth, ErrAuth, "does not retry")
	_ = c.Close(t.Context())
	if n := len(srv.Log()) - before; n != 1 {
		t.Errorf("%d requests after the password change, want exactly 1: %v", n, srv.Ops()[before:])
	}
	if n := srv.OpenShells(); n != 1 {
		t.Errorf("open shells = %d, want the 1 we may not delete", n)
	}
}

// TestCDATAGuard: a command line that would end masterzen's CDATA section
// is refused before anything is sent.
func TestCDATAGuard(t *testing.T) {
	srv := startServer(t)
	c := dialT(t, targetFor(srv), Options{})
	_, err := c.Run(t.Context(), "echo ]]><evil/>", nil, nil)
	checkErr(t, err, ErrConfig, ErrConfig, "")
	closeAndCheck(t, c, srv)
	if n := len(srv.Log()); n != 0 {
		t.Errorf("server saw %d requests, want 0", n)
	}
}

// TestIPv6Loopback: an IPv6 literal host works (masterzen < 5570be7 broke
// it). Skipped where the machine has no ::1.
func TestIPv6Loopback(t *testing.T) {
	srv, err := winrmtest.Start(testHost, winrmtest.WithAddr("[::1]:0"))
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	t.Cleanup(srv.Close)
	c := dialT(t, targetFor(srv), Options{})
	var out strings.Builder
	if _, err := c.Run(t.Context(), "echo v6", &out, nil); err != nil || out.String() != "v6\r\n" {
		t.Fatalf("Run = %q, %v", out.String(), err)
	}
	if c.Host() != net.JoinHostPort("::1", strconv.Itoa(srv.Port())) {
		t.Errorf("Host() = %q", c.Host())
	}
	closeAndCheck(t, c, srv)
}

// TestCancelDuringCreate: the run is cancelled while the host is answering
// Create. The host has opened the shell by then; the client waits a short
// grace for the answer, learns the shell's ID and deletes it, so that no
// shell is left behind on the host (a Create abandoned at once would leave
// one until the host's idle timeout).
//
// The budget must run out while Create is in flight and the answer must
// come within createGrace (500 ms) after that: the budget (150 ms) leaves
// Run that long to send the Create at all, and the answer (300 ms after the
// host has it) then has 350 ms to spare.
func TestCancelDuringCreate(t *testing.T) {
	srv := startServer(t, winrmtest.WithFaults(winrmtest.Faults{HeaderDelay: 300 * time.Millisecond}))
	c := dialT(t, targetFor(srv), Options{})
	ctx, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
	defer cancel()
	_, err := c.Run(ctx, "echo x", nil, nil)
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrTimeout) {
		t.Fatalf("Run cancelled during Create = %v, want a timeout", err)
	}
	if n := srv.OpenShells(); n != 0 {
		t.Errorf("server has %d open shells right after Run returned, want 0; ops %v", n, srv.Ops())
	}
	ops := countOps(srv)
	if ops[winrmtest.OpCreate] != 1 || ops[winrmtest.OpDelete] != 1 || ops[winrmtest.OpCommand] != 0 {
		t.Errorf("ops = %v, want one Create, one Delete and no Command", ops)
	}
	closeAndCheck(t, c, srv)
}

// TestOnLogon: the logon callback runs once, when the first shell is
// created, before a command whose output is over the limit fails; a
// refused password never calls it.
func TestOnLogon(t *testing.T) {
	srv := startServer(t, winrmtest.WithFaults(winrmtest.Faults{HugeOutput: 1 << 20}))
	c := dialT(t, targetFor(srv), Options{MaxOutput: 64 << 10})
	calls := 0
	c.OnLogon(func() {
		calls++
		if n := countOps(srv)[winrmtest.OpCommand]; n != 0 {
			t.Errorf("OnLogon ran after %d Commands, want at the Create", n)
		}
	})
	if _, err := c.Run(t.Context(), "echo start", io.Discard, io.Discard); !errors.Is(err, ErrOutputTooLarge) {
		t.Fatalf("Run = %v, want ErrOutputTooLarge", err)
	}
	if _, err := c.Run(t.Context(), "echo again", io.Discard, io.Discard); !errors.Is(err, ErrOutputTooLarge) {
		t.Fatalf("second Run = %v, want ErrOutputTooLarge", err)
	}
	closeAndCheck(t, c, srv)
	if calls != 1 {
		t.Errorf("OnLogon called %d times, want 1", calls)
	}

	wrong := targetFor(srv)
	wrong.Password = "not-the-password"
	c = dialT(t, wrong, Options{})
	c.OnLogon(func() { t.Error("OnLogon called for a refused logon") })
	if _, err := c.Run(t.Context(), "echo x", io.Discard, io.Discard); !errors.Is(err, ErrAuth) {
		t.Fatalf("Run with a wrong password = %v, want ErrAuth", err)
	}
}
