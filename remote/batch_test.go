package remote

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/winfleet/winfleet/lab/winsim"
	"github.com/winfleet/winfleet/remote/winrmtest"
)

// startWinsim serves a simulated Windows host, whose cmd.exe implements the
// batch wrapper's `cmd /v:on /c "…"` form independently of this package.
func startWinsim(t testing.TB, cfg winsim.Config, opts ...winrmtest.Option) (*winrmtest.Server, *winsim.Host) {
	t.Helper()
	h := winsim.MustNew(cfg)
	srv := winrmtest.NewServer(h, opts...)
	t.Cleanup(srv.Close)
	return srv, h
}

// TestRunBatch checks that a batch of k commands is one Command round trip
// and that each command's output and exit code come back separately.
//
// Two properties of the wrapper are cmd.exe's own and show here: the text
// before " & " keeps its trailing space (echo prints it), and builtins such
// as echo and ver do not reset ERRORLEVEL, so their code is the previous
// command's; a program not found is 9009 (cmd /c alone would exit 1).
func TestRunBatch(t *testing.T) {
	cmds := []string{
		"ver",
		"sc query NoSuchService",
		"nosuchprogram /x",
		"sc query MpsSvc",
		"echo one two",
	}
	srv, _ := startWinsim(t, winsim.Config{Version: winsim.Win2019})
	c := dialT(t, targetFor(srv), Options{})
	got, err := c.RunBatch(t.Context(), cmds)
	if err != nil {
		t.Fatalf("RunBatch = %v", err)
	}
	// One Command; as many Receives as the host needed to hand over the
	// output (one, unless the output arrives in parts, as under -race on a
	// loaded machine: Windows answers a Receive with what it has).
	ops := countOps(srv)
	if ops[winrmtest.OpCommand] != 1 || ops[winrmtest.OpCreate] != 1 || ops[winrmtest.OpReceive] < 1 ||
		len(srv.Log()) != 2+ops[winrmtest.OpReceive] {
		t.Errorf("RunBatch of %d commands sent %v, want Create, Command, then Receives only", len(cmds), srv.Ops())
	}
	if len(got) != len(cmds) {
		t.Fatalf("RunBatch returned %d results, want %d", len(got), len(cmds))
	}
	wantCodes := []int{0, 1060, 9009, 0, 0}
	for i, r := range got {
		if r.ExitCode != wantCodes[i] {
			t.Errorf("command %d (%s): exit code %d, want %d", i, cmds[i], r.ExitCode, wantCodes[i])
		}
	}
	// The programs print the same alone and in a batch.
	for _, i := range []int{0, 1, 2, 3} {
		var out, errOut strings.Builder
		if _, err := c.Run(t.Context(), cmds[i], &out, &errOut); err != nil {
			t.Fatalf("Run(%q) = %v", cmds[i], err)
		}
		want := Result{Stdout: out.String(), Stderr: errOut.String(), ExitCode: got[i].ExitCode}
		if diff := cmp.Diff(want, got[i]); diff != "" {
			t.Errorf("command %d (%s) differs alone and in a batch (-alone +batch):\n%s", i, cmds[i], diff)
		}
	}
	if !strings.Contains(got[0].Stdout, "Microsoft Windows [Version") || !strings.Contains(got[3].Stdout, "RUNNING") ||
		!strings.Contains(got[2].Stderr, "is not recognized") || got[2].Stdout != "" {
		t.Errorf("results = %+v", got)
	}
	if got[4].Stdout != "one two \r\n" {
		t.Errorf("echo in a batch = %q, want \"one two \\r\\n\"", got[4].Stdout)
	}
	closeAndCheck(t, c, srv)
}

// TestRunBatchFallback: commands that cannot be batched run on their own
// on the same shell, in order.
func TestRunBatchFallback(t *testing.T) {
	srv, _ := startWinsim(t, winsim.Config{Version: winsim.Win2019})
	c := dialT(t, targetFor(srv), Options{})
	cmds := []string{"echo a", "echo b", "echo bang!", "echo c", "echo " + strings.Repeat("x", 5000), "echo " + strings.Repeat("y", 5000)}
	got, err := c.RunBatch(t.Context(), cmds)
	if err != nil {
		t.Fatalf("RunBatch = %v", err)
	}
	if len(got) != len(cmds) {
		t.Fatalf("got %d results, want %d", len(got), len(cmds))
	}
	// Batched echos keep the space before " & " (see TestRunBatch).
	wantOut := []string{"a \r\n", "b \r\n", "bang!\r\n", "c \r\n", strings.Repeat("x", 5000) + " \r\n", strings.Repeat("y", 5000) + "\r\n"}
	for i, r := range got {
		if r.Stdout != wantOut[i] || r.ExitCode != 0 {
			t.Errorf("result %d = %+v, want stdout %.20q", i, r, wantOut[i])
		}
	}
	// {a b} {bang!} {c x…} {y…}: four Commands on one shell.
	ops := countOps(srv)
	if ops[winrmtest.OpCommand] != 4 || ops[winrmtest.OpCreate] != 1 {
		t.Errorf("ops = %v, want one Create and 4 Commands", srv.Ops())
	}
	closeAndCheck(t, c, srv)
}

// TestRunBatchExitEndsEarly: a command that ends cmd.exe ("exit") loses the
// markers of the commands after it; RunBatch reports ErrProtocol with the
// results it could recover.
func TestRunBatchExitEndsEarly(t *testing.T) {
	srv, _ := startWinsim(t, winsim.Config{Version: winsim.Win2019})
	c := dialT(t, targetFor(srv), Options{})
	got, err := c.RunBatch(t.Context(), []string{"echo a", "exit 3", "echo b"})
	checkErr(t, err, ErrProtocol, ErrProtocol, "ended cmd.exe early")
	if len(got) != 1 || got[0].Stdout != "a \r\n" {
		t.Errorf("results = %+v, want the first command's", got)
	}
	closeAndCheck(t, c, srv)
}
