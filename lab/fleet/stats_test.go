package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sync/errgroup"

	"github.com/winfleet/winfleet/lab/winsim"
)

// uniformFleet is n healthy hosts in domain LAB, every other one NTLM, and
// extra appended verbatim (YAML host entries).
func uniformFleet(t testing.TB, n int, extra string) *Fleet {
	t.Helper()
	var b strings.Builder
	b.WriteString("hosts:\n")
	for i := 1; i <= n; i++ {
		transport := "basic"
		if i%2 == 0 {
			transport = "ntlm"
		}
		fmt.Fprintf(&b, "  - {name: h%03d.lab.example, transport: %s, ssis: [{version: 150}]}\n", i, transport)
	}
	b.WriteString(extra)
	f, err := Parse("uniform.yaml", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func serveFleet(t testing.TB, f *Fleet, opts ServeOptions) *Lab {
	t.Helper()
	if opts.Password == "" {
		opts.Password = testPassword
	}
	lab, err := Serve(context.Background(), f, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lab.Close)
	return lab
}

// runEverywhere runs line once on every host (64 at a time) with password
// and returns each host's error.
func runEverywhere(t *testing.T, hosts []LabHost, password, line string) []error {
	t.Helper()
	errs := make([]error, len(hosts))
	var g errgroup.Group
	g.SetLimit(64)
	for i, h := range hosts {
		g.Go(func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, _, _, errs[i] = masterzen(t, h, password).RunCmdWithContext(ctx, line)
			return nil
		})
	}
	_ = g.Wait()
	return errs
}

// TestStatsWrongSharedPassword: 200 hosts (Basic and NTLM), one wrong shared
// password, every host tried once at a time by masterzen/winrm: each host
// counts exactly one rejected logon per attempt, none accepted, and the
// total is what a lockout test reads.
func TestStatsWrongSharedPassword(t *testing.T) {
	lab := serveFleet(t, uniformFleet(t, 200, ""), ServeOptions{})
	for attempt := int64(1); attempt <= 2; attempt++ {
		for i, err := range runEverywhere(t, lab.Hosts(), "wrong-"+testPassword, "ver") {
			if err == nil || !strings.Contains(err.Error(), "401") {
				t.Fatalf("%s: err = %v, want a 401", lab.Hosts()[i].Name, err)
			}
		}
		st := lab.Stats()
		for _, h := range st.Hosts {
			if h.LogonsRejected != attempt || h.LogonsAccepted != 0 || h.ShellsCreated != 0 {
				t.Errorf("attempt %d: %s: %d rejected, %d accepted, %d shells; want %d, 0, 0",
					attempt, h.Name, h.LogonsRejected, h.LogonsAccepted, h.ShellsCreated, attempt)
			}
		}
		if st.Total.LogonsRejected != 200*attempt {
			t.Errorf("attempt %d: total rejected logons %d, want %d", attempt, st.Total.LogonsRejected, 200*attempt)
		}
	}
	// The right password: accepted logons, no new rejection.
	for i, err := range runEverywhere(t, lab.Hosts()[:4], testPassword, "ver") {
		if err != nil {
			t.Fatalf("%s: %v", lab.Hosts()[i].Name, err)
		}
	}
	st := lab.Stats()
	if st.Total.LogonsRejected != 400 || st.Total.LogonsAccepted == 0 || st.Total.Commands != 4 || st.Total.CommandsAnswered != 4 || st.Total.ShellsOpen != 0 {
		t.Errorf("after 4 good commands: total %+v", st.Total)
	}
}

// writeLines are five write commands (one a chain of two writes) between
// reads, as a converging run sends them.
var writeLines = []string{
	`netsh advfirewall firewall add rule name="RPC (TCP/135)" dir=in action=allow protocol=TCP localport=135 remoteip=localsubnet`,
	`netsh advfirewall firewall set rule name="RPC (TCP/135)" new remoteip=localsubnet`,
	`netsh advfirewall firewall delete rule name="nothing"`,
	`reg add "HKLM\SOFTWARE\Microsoft\Rpc\Internet" /v Ports /t REG_MULTI_SZ /d 5000-5100 /f`,
	`netsh advfirewall firewall add rule name="SSIS Service" dir=in action=allow program="%ProgramFiles%\Microsoft SQL Server\150\DTS\Binn\MsDtsSrvr.exe" & reg delete "HKLM\SOFTWARE\Microsoft\Rpc\Internet" /v Ports /f`,
}

// TestStatsWrites: N write commands over WinRM are N write commands in the
// lab's counters and write log, each answered; reads are not writes.
func TestStatsWrites(t *testing.T) {
	lab := serveFleet(t, uniformFleet(t, 2, ""), ServeOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, h := range lab.Hosts() { // Basic, then NTLM
		c := masterzen(t, h, testPassword)
		start := time.Now()
		for _, line := range writeLines {
			if _, _, _, err := c.RunCmdWithContext(ctx, "netsh advfirewall firewall show rule name=all"); err != nil {
				t.Fatal(err)
			}
			if _, _, _, err := c.RunCmdWithContext(ctx, line); err != nil {
				t.Fatalf("%s: %s: %v", h.Name, line, err)
			}
		}
		st := lab.Stats()
		var hs HostStats
		for _, x := range st.Hosts {
			if x.Name == h.Name {
				hs = x
			}
		}
		n := int64(len(writeLines))
		want := HostStats{WriteCommands: n, WritePrograms: n + 1, WritesApplied: n, WritesAnswered: n,
			Commands: 2 * n, CommandsAnswered: 2 * n, ShellsCreated: 2 * n, ShellsDeleted: 2 * n}
		got := HostStats{WriteCommands: hs.WriteCommands, WritePrograms: hs.WritePrograms, WritesApplied: hs.WritesApplied, WritesAnswered: hs.WritesAnswered,
			Commands: hs.Commands, CommandsAnswered: hs.CommandsAnswered, ShellsCreated: hs.ShellsCreated, ShellsDeleted: hs.ShellsDeleted}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s: counters (-want +got):\n%s", h.Name, d)
		}
		if len(hs.Writes) != len(writeLines) {
			t.Fatalf("%s: %d write records, want %d", h.Name, len(hs.Writes), len(writeLines))
		}
		for i, w := range hs.Writes {
			if w.Line != writeLines[i] || !w.Answered || w.Fault != "" || w.Received.Before(start) {
				t.Errorf("%s: write %d = %+v, want %q answered", h.Name, i, w, writeLines[i])
			}
		}
	}
}

// TestWriteFaults cuts writes as the fleet file says and compares the
// lab's write log with what the client saw: the client never gets an
// answer, the host did (drop_after_write, hang_on_write) or did not
// (drop_before_write) change, and the log says which.
func TestWriteFaults(t *testing.T) {
	lab := serveFile(t, filepath.Join("testdata", "writes.yaml"))
	const add = `netsh advfirewall firewall add rule name=cut dir=in action=allow protocol=TCP localport=135`
	hasRule := func(h LabHost) bool {
		for _, r := range h.Sim.Rules() {
			if r.Name == "cut" {
				return true
			}
		}
		return false
	}
	for _, tt := range []struct {
		host      string
		mode      winsim.WriteFaultMode
		wantRule  bool
		wantError string
	}{
		{"before.lab.example", winsim.DropBeforeWrite, false, "EOF"},
		{"after.lab.example", winsim.DropAfterWrite, true, "EOF"},
		{"hang.lab.example", winsim.HangOnWrite, true, "context deadline exceeded"},
	} {
		h := must(lab.Host(tt.host))
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		// A reads still works; Endpoint.Timeout ends each hung Receive.
		c := masterzenTimeout(t, h, testPassword, 300*time.Millisecond)
		if _, _, code, err := c.RunCmdWithContext(ctx, "ver"); err != nil || code != 0 {
			t.Fatalf("%s: ver: %d %v", tt.host, code, err)
		}
		out, _, _, err := c.RunCmdWithContext(ctx, "echo marker & "+add)
		cancel()
		if err == nil || !strings.Contains(err.Error(), tt.wantError) || strings.Contains(out, "Ok.") {
			t.Errorf("%s: (%q, %v), want no answer and an error containing %q", tt.host, out, err, tt.wantError)
		}
		if hasRule(h) != tt.wantRule {
			t.Errorf("%s: rule added = %v, want %v", tt.host, hasRule(h), tt.wantRule)
		}
		w := h.Sim.WriteLog()
		if len(w) != 1 || w[0].Fault != tt.mode || w[0].Answered || (w[0].Applied == 1) != tt.wantRule {
			t.Errorf("%s: write log %+v, want one unanswered record cut by %s", tt.host, w, tt.mode)
		}
	}

	// write_faults_after: 2 on an NTLM host: two writes answered, the third cut.
	h := must(lab.Host("third.lab.example"))
	c := masterzen(t, h, testPassword)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := 1; i <= 3; i++ {
		_, _, _, err := c.RunCmdWithContext(ctx, add)
		if (err == nil) != (i <= 2) {
			t.Errorf("third: write %d: err = %v", i, err)
		}
	}
	st := lab.Stats()
	var third HostStats
	for _, x := range st.Hosts {
		if x.Name == h.Name {
			third = x
		}
	}
	if third.WriteCommands != 3 || third.WritesApplied != 3 || third.WritesAnswered != 2 || third.WritesFaulted != 1 {
		t.Errorf("third: %+v, want 3 write commands, 3 applied, 2 answered, 1 cut", third)
	}
	if st.Total.WritesFaulted != 4 || st.Total.WriteCommands != 6 {
		t.Errorf("total: %d cut of %d write commands, want 4 of 6", st.Total.WritesFaulted, st.Total.WriteCommands)
	}
}

// TestServeWriteFaultOption: ServeOptions.WriteFault reaches every host
// whose fleet entry sets none.
func TestServeWriteFaultOption(t *testing.T) {
	f := uniformFleet(t, 1, "  - {name: own.lab.example, ssis: [{version: 150}], faults: {hang_on_write: true}}\n")
	lab := serveFleet(t, f, ServeOptions{WriteFault: winsim.WriteFault{Mode: winsim.DropBeforeWrite, After: 1}})
	for _, h := range lab.Hosts() {
		want := winsim.WriteFault{Mode: winsim.DropBeforeWrite, After: 1}
		if h.Name == "own.lab.example" {
			want = winsim.WriteFault{Mode: winsim.HangOnWrite}
		}
		if got := h.Sim.Config().Faults.Write; got != want {
			t.Errorf("%s: write fault %+v, want %+v", h.Name, got, want)
		}
	}
	if _, err := Serve(context.Background(), f, ServeOptions{WriteFault: winsim.WriteFault{Mode: "sometimes"}}); err == nil {
		t.Error("Serve accepted an unknown write fault")
	}
}

// TestLockout: with a lockout threshold of 5, a run that hammers LAB's
// Administrator with a wrong password locks the account: after 5 rejected
// logons the right password is refused on every LAB host (Basic and NTLM),
// while a workgroup host's own Administrator still logs on.
func TestLockout(t *testing.T) {
	f := uniformFleet(t, 8, "  - {name: solo.lab.example, domain: \"-\", ssis: [{version: 150}]}\n")
	lab := serveFleet(t, f, ServeOptions{LockoutThreshold: 5})
	hosts := lab.Hosts()
	// Two good logons first: a success resets the count.
	for i, err := range runEverywhere(t, hosts[:2], testPassword, "ver") {
		if err != nil {
			t.Fatalf("%s before the lockout: %v", hosts[i].Name, err)
		}
	}
	for i, err := range runEverywhere(t, hosts[:6], "wrong", "ver") {
		if err == nil {
			t.Fatalf("%s accepted a wrong password", hosts[i].Name)
		}
	}
	st := lab.Stats()
	if st.Total.LogonsRejected != 6 || len(st.LockedAccounts) != 1 || st.LockedAccounts[0] != `lab\administrator` {
		t.Fatalf("after 6 wrong passwords: %d rejected, locked %v; want 6 and [lab\\administrator]", st.Total.LogonsRejected, st.LockedAccounts)
	}
	// The right password, now: refused on every LAB host, not on solo.
	errs := runEverywhere(t, hosts, testPassword, "ver")
	for i, h := range hosts {
		if h.Name == "solo.lab.example" {
			if errs[i] != nil {
				t.Errorf("%s (workgroup): %v", h.Name, errs[i])
			}
			continue
		}
		if errs[i] == nil || !strings.Contains(errs[i].Error(), "401") {
			t.Errorf("%s: right password on a locked account: %v, want a 401", h.Name, errs[i])
		}
	}
	st = lab.Stats()
	if st.Total.LogonsLockedOut != 8 || st.Total.LogonsRejected != 14 {
		t.Errorf("locked out %d, rejected %d; want 8 and 14", st.Total.LogonsLockedOut, st.Total.LogonsRejected)
	}
	for _, h := range st.Hosts {
		if h.Name != "solo.lab.example" && h.LogonsLockedOut != 1 {
			t.Errorf("%s: %d logons locked out, want 1", h.Name, h.LogonsLockedOut)
		}
	}
	log := must(lab.Host("h001.lab.example")).Server.Log()
	if last := log[len(log)-1]; last.Status != 401 || last.Note != ErrAccountLockedOut.Error() {
		t.Errorf("last request of h001: %d %q, want 401 %q", last.Status, last.Note, ErrAccountLockedOut)
	}
	if !strings.Contains(st.Summary(), `locked out: lab\administrator`) {
		t.Errorf("Summary() = %q", st.Summary())
	}
}

func TestLockoutResetsOnSuccess(t *testing.T) {
	p := newLockout(3)
	p.failed("lab\\a")
	p.failed("lab\\a")
	if !p.admit("lab\\a") {
		t.Fatal("locked after 2 of 3")
	}
	p.failed("lab\\a")
	p.failed("lab\\a")
	p.failed("lab\\b")
	if !p.admit("lab\\a") || len(p.lockedAccounts()) != 0 {
		t.Fatal("the success did not reset the count")
	}
	p.failed("lab\\a")
	p.failed("lab\\a")
	p.failed("lab\\a")
	if p.admit("lab\\a") || !p.admit("lab\\b") {
		t.Errorf("after 3 failures in a row: a admitted %v, locked %v", p.admit("lab\\a"), p.lockedAccounts())
	}
}

// TestWriteStats: the JSON document has every host in fleet order, the
// total and the write log, and no secret.
func TestWriteStats(t *testing.T) {
	lab := serveFleet(t, uniformFleet(t, 3, ""), ServeOptions{LockoutThreshold: 10})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, _, _, err := masterzen(t, lab.Hosts()[0], testPassword).RunCmdWithContext(ctx, writeLines[0]); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := lab.WriteStats(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), testPassword) {
		t.Fatal("stats contain the password")
	}
	var got Stats
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Hosts) != 3 || got.Hosts[0].Name != "h001.lab.example" || got.Hosts[2].Name != "h003.lab.example" ||
		got.Total.WriteCommands != 1 || got.Total.LogonsAccepted == 0 || got.LockoutThreshold != 10 ||
		len(got.Hosts[0].Writes) != 1 || got.Hosts[0].Writes[0].Line != writeLines[0] || !got.Hosts[0].Writes[0].Answered {
		t.Errorf("WriteStats:\n%s", b.String())
	}
	for _, key := range []string{`"logons_rejected"`, `"logons_locked_out"`, `"shells_open"`, `"write_commands"`, `"writes_answered"`, `"received"`} {
		if !strings.Contains(b.String(), key) {
			t.Errorf("WriteStats has no %s", key)
		}
	}
}
