package remote

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/winfleet/winfleet/lab/winsim"
	"github.com/winfleet/winfleet/remote/winrmtest"
)

// TestOutputTooLarge: a host printing 20 MiB on one command ends with
// ErrOutputTooLarge and the head and tail of the output, the client keeps
// no more than the limit, the command is signalled and the shell deleted;
// the hosts around it are unaffected. Real loopback HTTP, emulator servers.
func TestOutputTooLarge(t *testing.T) {
	const huge = 20 << 20
	big := startServer(t, winrmtest.WithFaults(winrmtest.Faults{HugeOutput: huge}))
	var others []*winrmtest.Server
	for range 5 {
		others = append(others, startServer(t))
	}
	var wg sync.WaitGroup
	errs := make([]error, len(others))
	outs := make([]string, len(others))
	for i, srv := range others {
		wg.Go(func() {
			c := dialT(t, targetFor(srv), Options{})
			defer closeAndCheck(t, c, srv)
			var out bytes.Buffer
			for j := range 3 {
				if _, err := c.Run(t.Context(), fmt.Sprintf("echo host %d run %d", i, j), &out, io.Discard); err != nil {
					errs[i] = err
					return
				}
			}
			outs[i] = out.String()
		})
	}

	c := dialT(t, targetFor(big), Options{})
	var out bytes.Buffer
	_, err := c.Run(t.Context(), "echo first", &out, io.Discard)
	wg.Wait()

	var e *Error
	var tooLarge *OutputTooLargeError
	if !errors.Is(err, ErrOutputTooLarge) || !errors.As(err, &e) || !errors.As(err, &tooLarge) {
		t.Fatalf("Run = %v, want *Error of kind ErrOutputTooLarge with an *OutputTooLargeError", err)
	}
	if e.Kind != ErrOutputTooLarge || e.Op != "receive" || !strings.Contains(e.Hint, "raise the output limit") {
		t.Errorf("error %+v: want status error, op receive, a hint about the limit", e)
	}
	if out.Len() != 0 {
		t.Errorf("Run wrote %d bytes of output despite the error", out.Len())
	}
	hugeBytes := winrmtest.HugeOutputBytes(huge)
	if !strings.HasPrefix(tooLarge.Head, "first\r\n"+string(hugeBytes[:100])) || len(tooLarge.Head) != excerptBytes {
		t.Errorf("Head = %.120q… (%d bytes), want the first %d bytes of the output", tooLarge.Head, len(tooLarge.Head), excerptBytes)
	}
	full := append([]byte("first\r\n"), hugeBytes...)
	if n := tooLarge.Received; n <= DefaultMaxOutput || n > DefaultMaxOutput+maxAnswer {
		t.Errorf("Received = %d, want just past the %d-byte limit", n, DefaultMaxOutput)
	} else if tooLarge.Tail != string(full[tooLarge.Received-excerptBytes:tooLarge.Received]) {
		t.Errorf("Tail = …%.80q, want the last %d bytes received", tooLarge.Tail[max(0, len(tooLarge.Tail)-80):], excerptBytes)
	}
	if tooLarge.Limit != DefaultMaxOutput || tooLarge.Stream != "stdout" {
		t.Errorf("Limit %d Stream %q, want %d stdout", tooLarge.Limit, tooLarge.Stream, DefaultMaxOutput)
	}
	// The buffers never grew past the limit (TestOutputLimit); after Run
	// the client holds none: they went back to the pool, or to the
	// garbage collector if too large (see pooled).
	if c.out.stdout != nil || c.out.stderr != nil || c.out.box != nil {
		t.Errorf("client still holds output buffers after Run: cap %d + %d", cap(c.out.stdout), cap(c.out.stderr))
	}
	// The command was terminated and the shell deleted, before Run returned.
	ops := countOps(big)
	if ops[winrmtest.OpSignal] != 1 || ops[winrmtest.OpDelete] != 1 {
		t.Errorf("ops %v: want one Signal and one Delete", ops)
	}
	for _, r := range big.Log() {
		if r.Op == winrmtest.OpSignal && r.Signal != "terminate" {
			t.Errorf("Signal %q, want terminate", r.Signal)
		}
	}
	if n := big.OpenShells(); n != 0 {
		t.Errorf("%d shells left open", n)
	}
	waitFor(t, "the command to end", func() bool { return big.RunningCommands() == 0 })
	// The client stays usable: the next command opens a new shell.
	if err := big.SetFaults(winrmtest.Faults{}); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if _, err := c.Run(t.Context(), "echo again", &out, nil); err != nil || out.String() != "again\r\n" {
		t.Errorf("Run after the error = %q, %v", out.String(), err)
	}
	closeAndCheck(t, c, big)

	for i := range others {
		want := fmt.Sprintf("host %d run 0\r\nhost %d run 1\r\nhost %d run 2\r\n", i, i, i)
		if errs[i] != nil || outs[i] != want {
			t.Errorf("host %d beside the huge one: %q, %v; want %q", i, outs[i], errs[i], want)
		}
	}
}

// TestMaxOutputOption: the limit is the caller's; a negative one means
// none.
func TestMaxOutputOption(t *testing.T) {
	const size = 3 << 20
	srv := startServer(t, winrmtest.WithFaults(winrmtest.Faults{HugeOutput: size}))
	c := dialT(t, targetFor(srv), Options{MaxOutput: 1 << 20})
	_, err := c.Run(t.Context(), "echo x", nil, nil)
	var tooLarge *OutputTooLargeError
	if !errors.As(err, &tooLarge) || tooLarge.Limit != 1<<20 || !strings.Contains(err.Error(), "over 1048576 bytes") {
		t.Errorf("Run with MaxOutput 1 MiB = %v, want the 1 MiB limit", err)
	}
	closeAndCheck(t, c, srv)

	c = dialT(t, targetFor(srv), Options{MaxOutput: -1})
	var out bytes.Buffer
	if _, err := c.Run(t.Context(), "echo x", &out, nil); err != nil || out.Len() != len("x\r\n")+size {
		t.Errorf("Run without a limit = %d bytes, %v; want %d", out.Len(), err, len("x\r\n")+size)
	}
	closeAndCheck(t, c, srv)
}

// TestOutputTooLargeBatch: a batch is one command for the limit; the
// results before it are kept.
func TestOutputTooLargeBatch(t *testing.T) {
	srv, _ := startWinsim(t, winsim.Config{Version: winsim.Win2019})
	c := dialT(t, targetFor(srv), Options{MaxOutput: 2 << 10})
	defer closeAndCheck(t, c, srv)
	res, err := c.RunBatch(t.Context(), []string{"ver", "echo a!b", "sc query type= service state= all", "ver"})
	if !errors.Is(err, ErrOutputTooLarge) {
		t.Fatalf("RunBatch = %d results, %v; want ErrOutputTooLarge", len(res), err)
	}
	if len(res) != 2 || !strings.Contains(res[0].Stdout, "Microsoft Windows") {
		t.Errorf("results before the error = %+v, want ver and the echo", res)
	}
}

// TestShellReplacedAfter1000Commands: every Command holds one of the
// user's MaxConcurrentOperationsPerUser until its shell is deleted, so a
// client replaces its shell before it runs out.
func TestShellReplacedAfter1000Commands(t *testing.T) {
	srv := startServer(t, winrmtest.WithMaxConcurrentOperationsPerUser(maxCommandsPerShell+1), winrmtest.WithLogLimit(10))
	c := dialT(t, targetFor(srv), Options{})
	for i := range maxCommandsPerShell + 2 {
		if _, err := c.Run(t.Context(), "echo x", nil, nil); err != nil {
			t.Fatalf("command %d: %v", i+1, err)
		}
	}
	if c.shellCmds != 2 {
		t.Errorf("%d commands on the second shell, want 2", c.shellCmds)
	}
	closeAndCheck(t, c, srv)
}

// TestIdleConnectionClosedByHost: a kept-alive connection the host closed
// while idle is not reused (sockcheck), so the next command works on a new
// connection instead of failing with ErrUnreachable.
func TestIdleConnectionClosedByHost(t *testing.T) {
	srv := startServer(t)
	c := dialT(t, targetFor(srv), Options{})
	if _, err := c.Run(t.Context(), "echo one", nil, nil); err != nil {
		t.Fatal(err)
	}
	// RefuseConnections closes every open connection; clearing it listens
	// again on the same port.
	if err := srv.SetFaults(winrmtest.Faults{RefuseConnections: true}); err != nil {
		t.Fatal(err)
	}
	if err := srv.SetFaults(winrmtest.Faults{}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := c.Run(t.Context(), "echo two", &out, nil); err != nil || out.String() != "two\r\n" {
		t.Fatalf("Run after the host closed the idle connection = %q, %v", out.String(), err)
	}
	conns := map[int64]bool{}
	for _, r := range srv.Log() {
		conns[r.ConnID] = true
	}
	if len(conns) != 2 {
		t.Errorf("requests on %d connections, want 2 (the closed one not reused)", len(conns))
	}
	closeAndCheck(t, c, srv)
}

// keepWriter keeps every string written to it as it is, as a caller that
// stores Run's output without copying would: io.WriteString hands it the
// decoded string itself.
type keepWriter struct{ got []string }

func (w *keepWriter) Write(p []byte) (int, error) {
	w.got = append(w.got, string(p))
	return len(p), nil
}

func (w *keepWriter) WriteString(s string) (int, error) {
	w.got = append(w.got, s)
	return len(s), nil
}

// TestOutputNotAliased: the output a caller keeps (RunBatch's results,
// the strings Run writes, an OutputTooLargeError's excerpts) is its own:
// the pooled buffers it was decoded from are reused by the next commands
// of this client and of others, with output of the same length, and what
// was kept does not change.
func TestOutputNotAliased(t *testing.T) {
	srv, _ := startWinsim(t, winsim.Config{Version: winsim.Win2019})
	c1 := dialT(t, targetFor(srv), Options{MaxOutput: 6000})
	c2 := dialT(t, targetFor(srv), Options{MaxOutput: 6000})
	line := func(ch string, n int) string { return "echo " + strings.Repeat(ch, n) }

	type kept struct{ what, got, want string }
	var keep []kept
	res, err := c1.RunBatch(t.Context(), []string{line("a", 900), line("b", 1200), "ver"})
	if err != nil || len(res) != 3 {
		t.Fatalf("RunBatch = %d results, %v", len(res), err)
	}
	for i, r := range res {
		keep = append(keep, kept{fmt.Sprintf("RunBatch result %d", i), r.Stdout, strings.Clone(r.Stdout)})
	}
	var w keepWriter
	if _, err := c1.Run(t.Context(), line("c", 2000), &w, &w); err != nil || len(w.got) == 0 {
		t.Fatalf("Run = %q, %v", w.got, err)
	}
	keep = append(keep, kept{"Run's stdout", w.got[0], strings.Clone(w.got[0])})
	_, err = c1.Run(t.Context(), line("d", 7000), nil, nil)
	var big *OutputTooLargeError
	if !errors.As(err, &big) || big.Head == "" {
		t.Fatalf("Run over MaxOutput = %v, want an *OutputTooLargeError with a head", err)
	}
	keep = append(keep, kept{"the excerpt's head", big.Head, strings.Clone(big.Head)}, kept{"the excerpt's tail", big.Tail, strings.Clone(big.Tail)})

	// The same lengths again, other bytes: whatever buffer a kept string
	// could point into is overwritten.
	for round := range 20 {
		for _, c := range []*Client{c1, c2} {
			ch := string(rune('k' + round%10))
			if _, err := c.RunBatch(t.Context(), []string{line(ch, 900), line(ch, 1200), "ver"}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Run(t.Context(), line(ch, 2000), io.Discard, io.Discard); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Run(t.Context(), line(ch, 7000), nil, nil); !errors.Is(err, ErrOutputTooLarge) {
				t.Fatalf("Run over MaxOutput = %v", err)
			}
		}
		for _, k := range keep {
			if k.got != k.want {
				t.Fatalf("round %d: %s changed to %.40q…, was %.40q…: it shares a pooled buffer", round, k.what, k.got, k.want)
			}
		}
	}
	_ = c2.Close(t.Context())
	closeAndCheck(t, c1, srv)
}

// TestPooled: which buffers go back to a pool.
func TestPooled(t *testing.T) {
	tests := []struct {
		name      string
		cap, used int
		want      bool
	}{
		{"small, unused", 4 << 10, 0, true},
		{"largeBuffer, unused", largeBuffer, 0, true},
		{"large, a quarter used", largeBuffer + 4, (largeBuffer + 4) / 4, true},
		{"large, less than a quarter used", largeBuffer + 4, (largeBuffer+4)/4 - 1, false},
		{"maxKeptBuffer, full", maxKeptBuffer, maxKeptBuffer, true},
		{"over maxKeptBuffer, full", maxKeptBuffer + 1, maxKeptBuffer + 1, false},
	}
	for _, tt := range tests {
		if got := pooled(make([]byte, 0, tt.cap), tt.used); got != tt.want {
			t.Errorf("%s: pooled(cap %d, used %d) = %v, want %v", tt.name, tt.cap, tt.used, got, tt.want)
		}
	}
}
