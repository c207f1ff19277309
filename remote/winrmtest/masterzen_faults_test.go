package winrmtest_test

// These tests pin down what the pinned masterzen/winrm client returns for
// each server behaviour, including its bad reactions (README.md has the
// table). A change in the library or in the emulator that alters one of
// these outcomes fails here.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/masterzen/winrm"

	"github.com/winfleet/winfleet/remote/winrmtest"
)

func numOps(log []winrmtest.Request, op winrmtest.Op) int {
	n := 0
	for _, r := range log {
		if r.Op == op {
			n++
		}
	}
	return n
}

func numFaults(log []winrmtest.Request, code uint32) int {
	n := 0
	for _, r := range log {
		if r.FaultCode == code {
			n++
		}
	}
	return n
}

// wantExecuteError checks for masterzen's *ExecuteCommandError carrying a
// fault with the given code.
func wantExecuteError(t *testing.T, err error, code string) {
	t.Helper()
	var ece *winrm.ExecuteCommandError
	if !errors.As(err, &ece) {
		t.Fatalf("err = %v (%T), want *winrm.ExecuteCommandError", err, err)
	}
	if ece.Inner == nil || ece.Inner.Error() != "received error response" {
		t.Errorf("ExecuteCommandError.Inner = %v, want \"received error response\"", ece.Inner)
	}
	if !strings.Contains(ece.Body, `Code="`+code+`"`) {
		t.Errorf("ExecuteCommandError.Body lacks Code=%q:\n%s", code, ece.Body)
	}
}

func TestMasterzenLatency(t *testing.T) {
	srv := winrmtest.NewServer(testHost(), winrmtest.WithFaults(winrmtest.Faults{Latency: 20 * time.Millisecond, Jitter: 10 * time.Millisecond}))
	defer srv.Close()
	out, _, code, err := newClient(t, srv, "PT5S").RunCmdWithContext(testCtx(t), "echo hi")
	if err != nil || out != "hi\r\n" || code != 0 {
		t.Fatalf("Run = (%q, %d, %v)", out, code, err)
	}
	for _, r := range srv.Log() {
		if r.Duration < 20*time.Millisecond {
			t.Errorf("%s took %v, less than the injected latency", r.Op, r.Duration)
		}
	}
}

func TestMasterzenRefusedConnection(t *testing.T) {
	srv := winrmtest.NewServer(testHost())
	defer srv.Close()
	c := newClient(t, srv, "PT5S")
	if _, _, _, err := c.RunCmdWithContext(testCtx(t), "echo warm"); err != nil {
		t.Fatal(err)
	}
	if err := srv.SetFaults(winrmtest.Faults{RefuseConnections: true}); err != nil {
		t.Fatal(err)
	}
	srv.ResetLog()
	// A client with a kept-alive connection may first fail on it with EOF
	// (the service closed it); a new connection is refused.
	_, _, code, err := c.RunCmdWithContext(testCtx(t), "echo hi")
	if err == nil || !(strings.Contains(err.Error(), "connection refused") || strings.HasSuffix(err.Error(), ": EOF")) || code != 1 {
		t.Errorf("Run on a kept-alive client while refusing = (%d, %v), want (1, connection refused or EOF)", code, err)
	}
	_, _, code, err = newClient(t, srv, "PT5S").RunCmdWithContext(testCtx(t), "echo hi")
	if err == nil || !strings.Contains(err.Error(), "connect: connection refused") || code != 1 {
		t.Errorf("Run on a new client while refusing = (%d, %v), want (1, connection refused)", code, err)
	}
	if n := len(srv.Log()); n != 0 {
		t.Errorf("%d requests reached the server while refusing", n)
	}
	if err := srv.SetFaults(winrmtest.Faults{}); err != nil {
		t.Fatal(err)
	}
	if out, _, _, err := c.RunCmdWithContext(testCtx(t), "echo back"); err != nil || out != "back\r\n" {
		t.Errorf("Run after listening again = (%q, %v)", out, err)
	}
}

func TestMasterzenNoAnswer(t *testing.T) {
	srv := winrmtest.NewServer(testHost(), winrmtest.WithFaults(winrmtest.Faults{NoAnswer: true}))
	defer srv.Close()
	// With Endpoint.Timeout (ResponseHeaderTimeout) the blocked Create fails;
	// Create takes no ctx, so without it the call would block forever.
	c := withHeaderTimeout(t, srv, 300*time.Millisecond)
	_, _, code, err := c.RunCmdWithContext(testCtx(t), "echo hi")
	if err == nil || !strings.Contains(err.Error(), "timeout awaiting response headers") || code != 1 {
		t.Errorf("Run = (%d, %v), want (1, timeout awaiting response headers)", code, err)
	}
	if n := srv.OpenShells(); n != 0 {
		t.Errorf("OpenShells() = %d, want 0: NoAnswer carries nothing out", n)
	}
}

func withHeaderTimeout(t *testing.T, srv *winrmtest.Server, d time.Duration) *winrm.Client {
	t.Helper()
	ep := &winrm.Endpoint{Host: srv.Host(), Port: srv.Port(), HTTPS: srv.TLS(), CACert: srv.CACertPEM(), Timeout: d}
	c, err := winrm.NewClientWithParameters(ep, winrmtest.DefaultUser, winrmtest.DefaultPassword, winrm.NewParameters("PT5S", "en-US", 153600))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestMasterzenHangReceiveRetriesUntilCtx(t *testing.T) {
	srv := winrmtest.NewServer(testHost(), winrmtest.WithFaults(winrmtest.Faults{HangReceive: true}))
	defer srv.Close()
	// The header timeout also bounds the healthy Create and Command: keep it
	// well above what a loaded CI machine may take to answer them.
	c := withHeaderTimeout(t, srv, 500*time.Millisecond)
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	go func() {
		// Each Receive times out client-side and is retried (PR #148): the
		// library never gives up by itself. Cancel after the third.
		_ = srv.WaitLog(ctx, func(l []winrmtest.Request) bool { return numOps(l, winrmtest.OpReceive) >= 3 })
		cancel()
	}()
	out, _, code, err := c.RunCmdWithContext(ctx, "echo hi")
	if !errors.Is(err, context.Canceled) || code != 0 || out != "" {
		t.Errorf("Run = (%q, %d, %v), want (\"\", 0, context canceled)", out, code, err)
	}
	log := srv.Log()
	for _, r := range log {
		if r.Op == winrmtest.OpReceive && r.Status > 0 {
			t.Errorf("Receive %d answered (status %d), want every one hung up", r.Seq, r.Status)
		}
	}
	if n := numOps(log, winrmtest.OpDelete); n != 1 {
		t.Errorf("%d Deletes, want 1", n)
	}
}

func TestMasterzenHangReceiveWithoutHeaderTimeoutIgnoresCtx(t *testing.T) {
	srv := winrmtest.NewServer(testHost(), winrmtest.WithFaults(winrmtest.Faults{HangReceive: true}))
	c := withHeaderTimeout(t, srv, 0) // struct literal Endpoint: no limit
	// The ctx ends once the Receive is in flight. (A ctx that ended before
	// the Command was answered would send a Signal first and end the call
	// differently: a fixed short timeout made the test depend on load.)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		_, _, code, err := c.RunCmdWithContext(ctx, "echo hi")
		done <- result{code, err}
	}()
	if err := srv.WaitLog(testCtx(t), func(l []winrmtest.Request) bool {
		return numOps(l, winrmtest.OpReceive) == 1 && l[len(l)-1].Status == 0
	}); err != nil {
		t.Fatal(err)
	}
	cancel()
	// The ctx is over, but the Receive in flight has no ctx: the call is still
	// blocked, and only the connection closing ends it.
	select {
	case r := <-done:
		t.Fatalf("Run returned (%d, %v) while its Receive hangs", r.code, r.err)
	case <-time.After(200 * time.Millisecond):
	}
	srv.Close()
	r := <-done
	if r.code != 16001 || r.err == nil || !strings.Contains(r.err.Error(), "EOF") {
		t.Errorf("Run after the server closed = (%d, %v), want (16001, ...EOF)", r.code, r.err)
	}
}

func TestMasterzenDropReceive(t *testing.T) {
	srv := winrmtest.NewServer(testHost(), winrmtest.WithFaults(winrmtest.Faults{DropReceive: true}))
	defer srv.Close()
	_, _, code, err := newClient(t, srv, "PT5S").RunCmdWithContext(testCtx(t), "echo hi")
	if code != 16001 || err == nil || !strings.Contains(err.Error(), "EOF") {
		t.Errorf("Run = (%d, %v), want (16001, ...EOF)", code, err)
	}
	log := srv.Log()
	want := []winrmtest.Op{winrmtest.OpCreate, winrmtest.OpCommand, winrmtest.OpReceive, winrmtest.OpSignal, winrmtest.OpDelete}
	if got := srv.Ops(); !equalOps(got, want) {
		t.Errorf("ops = %v, want %v", got, want)
	}
	if log[2].Status != -1 || log[3].ConnID == log[2].ConnID {
		t.Errorf("the Receive should be dropped (status %d) and Signal come on a new connection (%d vs %d)", log[2].Status, log[3].ConnID, log[2].ConnID)
	}
	if n := srv.OpenShells(); n != 0 {
		t.Errorf("OpenShells() = %d", n)
	}
}

func equalOps(a, b []winrmtest.Op) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestMasterzenUnauthorized(t *testing.T) {
	srv := winrmtest.NewServer(testHost(), winrmtest.WithFaults(winrmtest.Faults{Unauthorized: true}))
	defer srv.Close()
	for _, c := range []*winrm.Client{
		newClient(t, srv, "PT5S"),
		newClientAs(t, srv, "PT5S", "vagrant", "wrong"),
	} {
		_, _, code, err := c.RunCmdWithContext(testCtx(t), "echo hi")
		if code != 1 || err == nil || err.Error() != "http response error: 401 - invalid content type" {
			t.Errorf("Run = (%d, %v), want (1, http response error: 401 - invalid content type)", code, err)
		}
	}
	if err := srv.SetFaults(winrmtest.Faults{}); err != nil {
		t.Fatal(err)
	}
	// Only the wrong password still fails.
	if _, _, _, err := newClient(t, srv, "PT5S").RunCmdWithContext(testCtx(t), "echo hi"); err != nil {
		t.Errorf("right password: %v", err)
	}
	_, _, _, err := newClientAs(t, srv, "PT5S", "vagrant", "wrong").RunCmdWithContext(testCtx(t), "echo hi")
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong password: %v", err)
	}
	for _, r := range srv.Log() {
		if r.Op == winrmtest.OpAuth && (r.Status != 401 || r.User != "") {
			t.Errorf("logged auth failure %+v", r)
		}
	}
}

func TestMasterzenHeaderDelayLeaksShell(t *testing.T) {
	srv := winrmtest.NewServer(testHost(), winrmtest.WithFaults(winrmtest.Faults{HeaderDelay: 5 * time.Second}))
	defer srv.Close()
	c := withHeaderTimeout(t, srv, 200*time.Millisecond)
	_, _, code, err := c.RunCmdWithContext(testCtx(t), "echo hi")
	if code != 1 || err == nil || !strings.Contains(err.Error(), "timeout awaiting response headers") {
		t.Errorf("Run = (%d, %v), want (1, timeout awaiting response headers)", code, err)
	}
	// The Create was carried out; the client never learned the shell ID, so
	// the shell stays until the idle timeout.
	if err := srv.WaitLog(testCtx(t), func(l []winrmtest.Request) bool { return len(l) == 1 && l[0].Status == -1 }); err != nil {
		t.Fatal(err)
	}
	if n := srv.OpenShells(); n != 1 {
		t.Errorf("OpenShells() = %d, want the 1 leaked shell", n)
	}
}

func TestMasterzenSlowAndHugeOutput(t *testing.T) {
	const huge = 3 << 20
	srv := winrmtest.NewServer(testHost(), winrmtest.WithFaults(winrmtest.Faults{SlowOutput: 5 * time.Millisecond}))
	defer srv.Close()
	c := newClient(t, srv, "PT5S")
	out, _, code, err := c.RunCmdWithContext(testCtx(t), "chunks a b c d")
	if err != nil || out != "abcd" || code != 0 {
		t.Errorf("slow output: Run = (%q, %d, %v)", out, code, err)
	}
	if err := srv.SetFaults(winrmtest.Faults{HugeOutput: huge}); err != nil {
		t.Fatal(err)
	}
	srv.ResetLog()
	var stdout, stderr bytes.Buffer
	code, err = c.RunWithContext(testCtx(t), "echo hi", &stdout, &stderr)
	want := append([]byte("hi\r\n"), winrmtest.HugeOutputBytes(huge)...)
	if err != nil || code != 0 || !bytes.Equal(stdout.Bytes(), want) {
		t.Errorf("huge output: Run = (%d bytes, %d, %v), want %d bytes exactly", stdout.Len(), code, err, len(want))
	}
	receives := 0
	for _, r := range srv.Log() {
		if r.Op == winrmtest.OpReceive {
			receives++
			if r.Size > 153600 {
				t.Errorf("ReceiveResponse of %d bytes, over the client's MaxEnvelopeSize", r.Size)
			}
		}
	}
	if receives < huge*4/3/153600 {
		t.Errorf("%d Receives for %d bytes: responses not split", receives, huge)
	}
}

func TestMasterzenInjectedFaults(t *testing.T) {
	tests := []struct {
		name  string
		op    winrmtest.Op
		code  uint32
		check func(t *testing.T, srv *winrmtest.Server, out string, exit int, err error)
		// cancelAfterReceives cancels the ctx once that many Receives got
		// the fault.
		cancelAfterReceives int
	}{
		{name: "Create", op: winrmtest.OpCreate, code: winrmtest.CodeAccessDenied, check: func(t *testing.T, srv *winrmtest.Server, out string, exit int, err error) {
			wantExecuteError(t, err, "5")
			if exit != 1 || !equalOps(srv.Ops(), []winrmtest.Op{winrmtest.OpCreate}) {
				t.Errorf("exit %d, ops %v; want 1 and no Delete", exit, srv.Ops())
			}
		}},
		{name: "Command", op: winrmtest.OpCommand, code: winrmtest.CodeOperationQuota, check: func(t *testing.T, srv *winrmtest.Server, out string, exit int, err error) {
			wantExecuteError(t, err, "2150859174")
			if exit != 1 || !equalOps(srv.Ops(), []winrmtest.Op{winrmtest.OpCreate, winrmtest.OpCommand, winrmtest.OpDelete}) {
				t.Errorf("exit %d, ops %v; want 1 and Delete sent", exit, srv.Ops())
			}
		}},
		{name: "Receive", op: winrmtest.OpReceive, code: winrmtest.CodeInvalidSelectors, cancelAfterReceives: 50, check: func(t *testing.T, srv *winrmtest.Server, out string, exit int, err error) {
			// The swallowed status makes a fault "not finished": Receives
			// follow one another without pause (the ctx is cancelled after
			// the 50th) and only the ctx ends the loop.
			if !errors.Is(err, context.Canceled) || exit != 0 {
				t.Errorf("Run = (%d, %v), want (0, context canceled)", exit, err)
			}
			if n := numFaults(srv.Log(), winrmtest.CodeInvalidSelectors); n < 50 {
				t.Errorf("%d faulted Receives, want the client to loop on them", n)
			}
		}},
		{name: "Signal", op: winrmtest.OpSignal, code: winrmtest.CodeInvalidSelectors, check: func(t *testing.T, srv *winrmtest.Server, out string, exit int, err error) {
			if err != nil || out != "hi\r\n" || exit != 0 {
				t.Errorf("Run = (%q, %d, %v): a Signal fault should be invisible", out, exit, err)
			}
		}},
		{name: "Delete", op: winrmtest.OpDelete, code: winrmtest.CodeAccessDenied, check: func(t *testing.T, srv *winrmtest.Server, out string, exit int, err error) {
			if err != nil || out != "hi\r\n" || exit != 0 {
				t.Errorf("Run = (%q, %d, %v): a Delete fault should be invisible", out, exit, err)
			}
			if n := srv.OpenShells(); n != 1 {
				t.Errorf("OpenShells() = %d, want the silently leaked shell", n)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := winrmtest.NewServer(testHost(), winrmtest.WithFaults(winrmtest.Faults{FaultOn: map[winrmtest.Op]uint32{tt.op: tt.code}}))
			defer srv.Close()
			ctx, cancel := context.WithCancel(testCtx(t))
			defer cancel()
			if n := tt.cancelAfterReceives; n > 0 {
				go func() {
					_ = srv.WaitLog(ctx, func(l []winrmtest.Request) bool { return numFaults(l, tt.code) >= n })
					cancel()
				}()
			}
			out, _, exit, err := newClient(t, srv, "PT5S").RunCmdWithContext(ctx, "echo hi")
			tt.check(t, srv, out, exit, err)
			if n := numFaults(srv.Log(), tt.code); n == 0 {
				t.Errorf("no fault %d in the log", tt.code)
			}
		})
	}
}

func TestMasterzenThreeTimeoutsThenOutput(t *testing.T) {
	var srv *winrmtest.Server
	h := winrmtest.HandlerFunc(func(ctx context.Context, c *winrmtest.Command) int {
		err := srv.WaitLog(ctx, func(l []winrmtest.Request) bool { return numFaults(l, winrmtest.CodeTimedOut) == 3 })
		if err != nil {
			return 1
		}
		c.Stdout.Write([]byte("finally\r\n"))
		return 0
	})
	srv = winrmtest.NewServer(h, winrmtest.WithMaxTimeout(100*time.Millisecond))
	defer srv.Close()
	out, _, code, err := newClient(t, srv, "PT60S").RunCmdWithContext(testCtx(t), "slow")
	if err != nil || out != "finally\r\n" || code != 0 {
		t.Fatalf("Run = (%q, %d, %v)", out, code, err)
	}
	log := srv.Log()
	var receives []winrmtest.Request
	for _, r := range log {
		if r.Op == winrmtest.OpReceive {
			receives = append(receives, r)
		}
	}
	// Exactly three TimedOut faults, each after the clamped OperationTimeout,
	// then one or two Receives with the output and Done: no busy loop.
	if len(receives) < 4 || len(receives) > 5 {
		t.Fatalf("%d Receives, want 3 timed out + 1 or 2", len(receives))
	}
	for i, r := range receives {
		if i < 3 && (r.FaultCode != winrmtest.CodeTimedOut || r.Status != 500 || r.Duration < 100*time.Millisecond) {
			t.Errorf("Receive %d = status %d fault %d after %v, want the TimedOut fault after 100ms", i, r.Status, r.FaultCode, r.Duration)
		}
		if i >= 3 && r.Status != 200 {
			t.Errorf("Receive %d status %d, want 200", i, r.Status)
		}
	}
}

func TestMasterzenShellQuota(t *testing.T) {
	srv := winrmtest.NewServer(testHost())
	defer srv.Close()
	c := newClient(t, srv, "PT5S")
	var shells []*winrm.Shell
	for i := range winrmtest.DefaultMaxShellsPerUser {
		sh, err := c.CreateShell()
		if err != nil {
			t.Fatalf("shell %d: %v", i+1, err)
		}
		shells = append(shells, sh)
	}
	_, err := c.CreateShell()
	wantExecuteError(t, err, "2150859173")
	var ece *winrm.ExecuteCommandError
	if errors.As(err, &ece) && !strings.Contains(ece.Body, "maximum number of 30 concurrent shells") {
		t.Errorf("quota fault text: %s", ece.Body)
	}
	// Run* surfaces it as exit 1 with the error.
	if _, _, code, err := c.RunCmdWithContext(testCtx(t), "echo hi"); code != 1 || err == nil {
		t.Errorf("Run over quota = (%d, %v)", code, err)
	}
	if err := shells[0].Close(); err != nil {
		t.Fatal(err)
	}
	if n := srv.OpenShells(); n != 29 {
		t.Errorf("OpenShells() = %d after one Delete, want 29", n)
	}
	if out, _, _, err := c.RunCmdWithContext(testCtx(t), "echo freed"); err != nil || out != "freed\r\n" {
		t.Errorf("Run after Delete = (%q, %v)", out, err)
	}
	// Another user has a quota of their own.
	for _, sh := range shells[1:] {
		sh.Close()
	}
}

func TestMasterzenOperationQuotaAndLimits(t *testing.T) {
	srv := winrmtest.NewServer(testHost(), winrmtest.WithMaxConcurrentOperationsPerUser(2))
	defer srv.Close()
	c := newClient(t, srv, "PT5S")
	sh, err := c.CreateShell()
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		cmd, err := sh.ExecuteWithContext(testCtx(t), "echo x")
		if err != nil {
			t.Fatal(err)
		}
		// masterzen's pipes are unbuffered: read them or Wait blocks.
		go io.Copy(io.Discard, cmd.Stderr)
		io.Copy(io.Discard, cmd.Stdout)
		cmd.Wait()
	}
	_, err = sh.ExecuteWithContext(testCtx(t), "echo x")
	wantExecuteError(t, err, "2150859174")
	sh.Close()

	// Unknown shell.
	_, err = c.NewShell("00000000-0000-0000-0000-000000000000").ExecuteWithContext(testCtx(t), "echo x")
	wantExecuteError(t, err, "2150858843")

	// Command line over 8191 characters.
	srv.ResetLog()
	_, _, code, err := c.RunCmdWithContext(testCtx(t), "echo "+strings.Repeat("a", 8200))
	wantExecuteError(t, err, "2147942606")
	if code != 1 || numOps(srv.Log(), winrmtest.OpDelete) != 1 {
		t.Errorf("too long: exit %d, ops %v; want 1 and Delete", code, srv.Ops())
	}

	// Body over MaxEnvelopeSizekb.
	srv.ResetLog()
	_, _, code, err = c.RunCmdWithContext(testCtx(t), "echo "+strings.Repeat("a", 600<<10))
	if code != 1 || err == nil || err.Error() != "http response error: 413 - invalid content type" {
		t.Errorf("over 500 KB: Run = (%d, %v), want (1, http response error: 413 - invalid content type)", code, err)
	}
	if n := srv.OpenShells(); n != 0 {
		t.Errorf("OpenShells() = %d after 413 (Delete should follow)", n)
	}
}

func TestMasterzenStdin(t *testing.T) {
	srv := winrmtest.NewServer(testHost())
	defer srv.Close()
	out, _, code, err := newClient(t, srv, "PT5S").RunWithContextWithString(testCtx(t), "cat", "line one\r\nline two\r\n")
	if err != nil || code != 0 || out != "line one\r\nline two\r\n" {
		t.Fatalf("Run = (%q, %d, %v)", out, code, err)
	}
	// Send runs concurrently with Receive, usually on a second connection
	// (which one depends on timing). All of stdin arrives, then End.
	bytes, ends := 0, 0
	for _, r := range srv.Log() {
		if r.Op == winrmtest.OpSend {
			bytes += r.Bytes
			if r.End {
				ends++
			}
		}
	}
	if bytes != len("line one\r\nline two\r\n") || ends != 1 {
		t.Errorf("Sends carried %d bytes and %d End markers, want 20 and 1", bytes, ends)
	}
}

func TestMasterzenCancel(t *testing.T) {
	srv := winrmtest.NewServer(testHost(), winrmtest.WithMaxTimeout(200*time.Millisecond))
	defer srv.Close()
	ctx, cancel := context.WithCancel(testCtx(t))
	go func() {
		// Cancel once the command runs and a Receive is parked.
		_ = srv.WaitLog(ctx, func(l []winrmtest.Request) bool {
			return numOps(l, winrmtest.OpReceive) > 0 && l[len(l)-1].Status == 0
		})
		cancel()
	}()
	_, _, code, err := newClient(t, srv, "PT60S").RunCmdWithContext(ctx, "wait")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run = (%d, %v), want context.Canceled", code, err)
	}
	ops := compactReceives(srv.Ops())
	want := []winrmtest.Op{winrmtest.OpCreate, winrmtest.OpCommand, winrmtest.OpReceive, winrmtest.OpSignal, winrmtest.OpReceive, winrmtest.OpSignal, winrmtest.OpDelete}
	if !equalOps(ops, want) {
		t.Errorf("ops = %v, want %v", ops, want)
	}
	// The post-Signal Receive reports Done with the handler's exit code.
	if code != 130 {
		t.Errorf("exit code %d, want 130 from the Receive after Signal", code)
	}
}

func TestMasterzenTLSWrongHost(t *testing.T) {
	srv := winrmtest.NewServer(testHost(), winrmtest.WithCertHosts("wrong.invalid"))
	defer srv.Close()
	_, _, code, err := newClient(t, srv, "PT5S").RunCmdWithContext(testCtx(t), "echo hi")
	if code != 1 || err == nil || !strings.Contains(err.Error(), "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs") {
		t.Errorf("Run = (%d, %v), want (1, x509 wrong host)", code, err)
	}
	// With TLSServerName the same certificate is accepted.
	ep := &winrm.Endpoint{Host: srv.Host(), Port: srv.Port(), HTTPS: true, CACert: srv.CACertPEM(), TLSServerName: "wrong.invalid", Timeout: 10 * time.Second}
	c, _ := winrm.NewClient(ep, winrmtest.DefaultUser, winrmtest.DefaultPassword)
	if out, _, _, err := c.RunCmdWithContext(testCtx(t), "echo hi"); err != nil || out != "hi\r\n" {
		t.Errorf("with TLSServerName: (%q, %v)", out, err)
	}
	// Not trusting the CA fails.
	ep = &winrm.Endpoint{Host: srv.Host(), Port: srv.Port(), HTTPS: true, TLSServerName: "wrong.invalid", Timeout: 10 * time.Second}
	c, _ = winrm.NewClient(ep, winrmtest.DefaultUser, winrmtest.DefaultPassword)
	if _, _, _, err := c.RunCmdWithContext(testCtx(t), "echo hi"); err == nil || !strings.Contains(err.Error(), "certificate signed by unknown authority") {
		t.Errorf("untrusted CA: %v", err)
	}
}

func TestMasterzenAccessDenied(t *testing.T) {
	srv := winrmtest.NewServer(testHost(),
		winrmtest.WithUsers(map[string]string{"vagrant": "vagrant", "guest": "guest"}),
		winrmtest.WithRestrictedUsers("guest"))
	defer srv.Close()
	_, _, code, err := newClientAs(t, srv, "PT5S", "guest", "guest").RunCmdWithContext(testCtx(t), "echo hi")
	wantExecuteError(t, err, "5")
	if code != 1 || !equalOps(srv.Ops(), []winrmtest.Op{winrmtest.OpCreate}) {
		t.Errorf("exit %d, ops %v; want 1 and no Delete", code, srv.Ops())
	}
}

func TestMasterzenStalledReceiveBodyIgnoresTimeouts(t *testing.T) {
	srv := winrmtest.NewServer(testHost(), winrmtest.WithFaults(winrmtest.Faults{StallReceiveBody: true}))
	// The header timeout also bounds the healthy Create and Command, so it is
	// generous; the ctx is cancelled once the stalled Receive is in flight.
	const headerTimeout = 500 * time.Millisecond
	c := withHeaderTimeout(t, srv, headerTimeout)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		_, _, code, err := c.RunCmdWithContext(ctx, "echo hi")
		done <- result{code, err}
	}()
	if err := srv.WaitLog(testCtx(t), func(l []winrmtest.Request) bool {
		return numOps(l, winrmtest.OpReceive) == 1 && l[len(l)-1].Note == "fault StallReceiveBody"
	}); err != nil {
		t.Fatal(err)
	}
	cancel()
	// Headers came in time, so ResponseHeaderTimeout does not fire, and the
	// body read has no ctx: the call stays blocked past both.
	select {
	case r := <-done:
		t.Fatalf("Run returned (%d, %v) while the body stalls", r.code, r.err)
	case <-time.After(2 * headerTimeout):
	}
	srv.Close()
	r := <-done
	if r.code != 16001 || r.err == nil || !strings.Contains(r.err.Error(), "unexpected EOF") {
		t.Errorf("Run after the server closed = (%d, %v), want (16001, ...unexpected EOF)", r.code, r.err)
	}
}

func TestMasterzenTruncatedReceiveBody(t *testing.T) {
	srv := winrmtest.NewServer(testHost(), winrmtest.WithFaults(winrmtest.Faults{TruncateReceiveBody: true}))
	defer srv.Close()
	_, _, code, err := newClient(t, srv, "PT5S").RunCmdWithContext(testCtx(t), "echo hi")
	if code != 16001 || err == nil || err.Error() != "http response error: 200 - error while reading request body unexpected EOF" {
		t.Errorf("Run = (%d, %v), want (16001, http response error: 200 - error while reading request body unexpected EOF)", code, err)
	}
	if got := srv.Ops(); !equalOps(got, []winrmtest.Op{winrmtest.OpCreate, winrmtest.OpCommand, winrmtest.OpReceive, winrmtest.OpSignal, winrmtest.OpDelete}) {
		t.Errorf("ops = %v", got)
	}
}

func TestMasterzenUnauthorizedOnReceive(t *testing.T) {
	srv := winrmtest.NewServer(testHost(), winrmtest.WithFaults(winrmtest.Faults{UnauthorizedOn: map[winrmtest.Op]bool{winrmtest.OpReceive: true}}))
	defer srv.Close()
	_, _, code, err := newClient(t, srv, "PT5S").RunCmdWithContext(testCtx(t), "echo hi")
	if code != 0 || err == nil || err.Error() != "http response error: 401 - invalid content type" {
		t.Errorf("Run = (%d, %v), want (0, http response error: 401 - invalid content type)", code, err)
	}
	if got := srv.Ops(); !equalOps(got, []winrmtest.Op{winrmtest.OpCreate, winrmtest.OpCommand, winrmtest.OpReceive, winrmtest.OpSignal, winrmtest.OpDelete}) {
		t.Errorf("ops = %v", got)
	}
	if r := srv.Log()[2]; r.Status != 401 {
		t.Errorf("Receive status %d, want 401", r.Status)
	}
}
