package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/winfleet/winfleet/lab/fleet"
	"github.com/winfleet/winfleet/reports"
)

var update = flag.Bool("update", false, "rewrite the scripts' golden files")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"winfleet": func() { os.Exit(run()) },
	})
}

// TestScripts runs the end-to-end scripts in testdata/script against the
// real winfleet binary (this test binary, re-executed as "winfleet"), with
// emulated lab hosts served by the test process on loopback.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *update,
		Setup: func(env *testscript.Env) error {
			env.Setenv("WINFLEET_PASSWORD", "Lab-Passw0rd")
			env.Setenv("XDG_STATE_HOME", filepath.Join(env.WorkDir, ".state"))
			env.Values[labsKey{}] = &labs{}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"wf":                cmdWinfleet,
			"lab-start":         cmdLabStart,
			"answers-match":     cmdAnswersMatch,
			"report-status":     cmdReportStatus,
			"healthy-compliant": cmdHealthyCompliant,
			"valid-report":      cmdValidReport,
			"waitfile":          cmdWaitFile,
			"wf-interrupt":      cmdInterrupt,
			"lab-stats":         cmdLabStats,
			"lab-wait":          cmdLabWait,
			"report-host":       cmdReportHost,
			"wf-crash":          cmdCrash,
			"prom-metrics":      cmdPromMetrics,
			"wf-any":            cmdWinfleetAnyCode,
		},
	})
}

// scriptEnv is the environment the binary gets from a script.
func scriptEnv(ts *testscript.TestScript) []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "WORK", "WINFLEET_PASSWORD", "WINFLEET_FORKS",
		"WINFLEET_TIMEOUT", "WINFLEET_CONFIG", "WINFLEET_INVENTORY", "WINFLEET_CHECK", "WINFLEET_MAX_FAIL", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "GOCOVERDIR", "LAB_PASSWORD"} {
		if v := ts.Getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// cmdWinfleet runs the real binary and checks its exit code:
//
//	wf CODE args...
//
// Its standard output and error are what the next stdout/stderr commands
// see.
func cmdWinfleet(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: wf EXITCODE [args...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	if got := runWinfleet(ts, args[1:]); got != want {
		ts.Fatalf("winfleet %s: exit code %d, want %d", strings.Join(args[1:], " "), got, want)
	}
}

// runWinfleet runs the binary in the script's directory and environment and
// returns its exit code.
func runWinfleet(ts *testscript.TestScript, args []string) int {
	cmd := exec.Command("winfleet", args...)
	cmd.Dir = ts.MkAbs(".")
	cmd.Env = scriptEnv(ts)
	cmd.Stdout = ts.Stdout()
	cmd.Stderr = ts.Stderr()
	return exitCode(ts, cmd.Run())
}

// exitCode is the exit code of a finished command, failing the script if
// the command could not run at all.
func exitCode(ts *testscript.TestScript, err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	} else if err != nil {
		ts.Fatalf("winfleet: %v", err)
	}
	return 0
}

// labsKey finds a script's labs in its testscript values.
type labsKey struct{}

// labs holds the lab a script started last, for lab-stats.
type labs struct{ last *fleet.Lab }

// cmdLabWait waits (up to a minute) until a counter of the last lab holds,
// watching the lab's own counters rather than sleeping a fixed time:
//
//	lab-wait hang1.lab.example.write_commands >= 1
func cmdLabWait(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: lab-wait HOST|total.FIELD OP N")
	}
	deadline := time.Now().Add(time.Minute)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for range tick.C {
		if ok, _ := labCounterHolds(ts, args); ok {
			return
		}
		if time.Now().After(deadline) {
			_, got := labCounterHolds(ts, args)
			ts.Fatalf("lab %s = %v, still not %s %s after a minute", args[0], got, args[1], args[2])
		}
	}
}

// cmdReportHost checks one host of a report:
//
//	report-host REPORT.json HOST status=S code=C writes:STATE=N writes:STATE>=N
func cmdReportHost(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: report-host REPORT.json HOST status=S code=C writes:STATE=N ...")
	}
	r := readReport(ts, args[0])
	var h *reports.Host
	for i := range r.Hosts {
		if r.Hosts[i].Host == args[1] {
			h = &r.Hosts[i]
		}
	}
	if h == nil {
		ts.Fatalf("%s: no host %s", args[0], args[1])
	}
	writes := map[string]int{}
	for _, c := range h.Checks {
		for _, w := range c.Writes {
			writes[string(w.State)]++
		}
	}
	for _, a := range args[2:] {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			ts.Fatalf("bad argument %q", a)
		}
		switch {
		case k == "status" || k == "code":
			if got := map[string]string{"status": string(h.Status), "code": h.Code}[k]; got != v {
				ts.Fatalf("%s: host %s has %s %q, want %q (reason: %s)", args[0], args[1], k, got, v, h.Reason)
			}
		case strings.HasPrefix(k, "writes:"):
			state, atLeast := strings.CutSuffix(strings.TrimPrefix(k, "writes:"), ">")
			want, err := strconv.Atoi(v)
			ts.Check(err)
			if got := writes[state]; got != want && !(atLeast && got >= want) {
				ts.Fatalf("%s: host %s has %d writes %s, want %s", args[0], args[1], got, state, strings.TrimPrefix(a, "writes:"))
			}
		default:
			ts.Fatalf("report-host: unknown key %q (want status, code or writes:STATE)", k)
		}
	}
}

// cmdLabStats checks a counter of the lab the script started last, as the
// lab itself counted it (see lab/fleet's Stats):
//
//	lab-stats total.logons_rejected <= 3
//	lab-stats sql001.lab.example.write_commands == 2
func cmdLabStats(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: lab-stats HOST|total.FIELD OP N")
	}
	ok, got := labCounterHolds(ts, args)
	ts.Logf("lab %s = %v", args[0], got)
	if !ok {
		ts.Fatalf("lab %s = %v, want %s %s", args[0], got, args[1], args[2])
	}
}

// labCounterHolds evaluates "WHO.FIELD OP N" on the last lab's counters.
func labCounterHolds(ts *testscript.TestScript, args []string) (bool, float64) {
	lab := ts.Value(labsKey{}).(*labs).last
	if lab == nil {
		ts.Fatalf("lab-stats: no lab-start before")
	}
	var b bytes.Buffer
	ts.Check(lab.WriteStats(&b))
	var doc struct {
		Total map[string]any   `json:"total"`
		Hosts []map[string]any `json:"hosts"`
	}
	ts.Check(json.Unmarshal(b.Bytes(), &doc))
	i := strings.LastIndexByte(args[0], '.')
	if i < 0 {
		ts.Fatalf("lab-stats: %q is not HOST.FIELD or total.FIELD", args[0])
	}
	who, field := args[0][:i], args[0][i+1:]
	values := doc.Total
	if who != "total" {
		values = nil
		for _, h := range doc.Hosts {
			if h["name"] == who {
				values = h
			}
		}
	}
	got, ok := values[field].(float64)
	if !ok {
		ts.Fatalf("lab-stats: no counter %s", args[0])
	}
	want, err := strconv.ParseFloat(args[2], 64)
	ts.Check(err)
	holds := map[string]bool{"==": got == want, "<=": got <= want, ">=": got >= want, "<": got < want, ">": got > want}
	res, known := holds[args[1]]
	if !known {
		ts.Fatalf("lab-stats: unknown operator %q", args[1])
	}
	return res, got
}

// cmdLabStart serves a fleet in the test process for the rest of the script
// and writes its inventory and answers:
//
//	lab-start --hosts N --seed S INVENTORY ANSWERS
//	lab-start --fleet FILE INVENTORY ANSWERS
func cmdLabStart(ts *testscript.TestScript, neg bool, args []string) {
	var fl *fleet.Fleet
	switch {
	case !neg && len(args) == 4 && args[0] == "--fleet":
		var err error
		fl, err = fleet.Load(ts.MkAbs(args[1]))
		ts.Check(err)
	case !neg && len(args) == 6 && args[0] == "--hosts" && args[2] == "--seed":
		n, err := strconv.Atoi(args[1])
		ts.Check(err)
		seed, err := strconv.ParseInt(args[3], 10, 64)
		ts.Check(err)
		fl = fleet.Generate(n, seed)
	default:
		ts.Fatalf("usage: lab-start (--hosts N --seed S | --fleet FILE) INVENTORY ANSWERS")
	}
	inv, answers := args[len(args)-2], args[len(args)-1]
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	lab, err := fleet.Serve(ctx, fl, fleet.ServeOptions{Password: ts.Getenv("WINFLEET_PASSWORD")})
	ts.Check(err)
	ts.Defer(lab.Close)
	ts.Value(labsKey{}).(*labs).last = lab
	var b bytes.Buffer
	ts.Check(lab.WriteInventory(&b))
	ts.Check(os.WriteFile(ts.MkAbs(inv), b.Bytes(), 0o644))
	b.Reset()
	ts.Check(lab.WriteAnswers(&b))
	ts.Check(os.WriteFile(ts.MkAbs(answers), b.Bytes(), 0o644))
}

func readReport(ts *testscript.TestScript, path string) *reports.Report {
	r, err := reports.ReadFile(ts.MkAbs(path))
	ts.Check(err)
	return r
}

func readAnswers(ts *testscript.TestScript, path string) map[string]string {
	var a map[string]string
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(path)), &a))
	return a
}

// cmdAnswersMatch checks that a report gives every host the status of the
// answers file, and covers exactly the answered hosts:
//
//	answers-match REPORT.json ANSWERS.json
func cmdAnswersMatch(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: answers-match REPORT.json ANSWERS.json")
	}
	r, answers := readReport(ts, args[0]), readAnswers(ts, args[1])
	var bad []string
	seen := map[string]bool{}
	for _, h := range r.Hosts {
		seen[h.Host] = true
		if want, ok := answers[h.Host]; !ok {
			bad = append(bad, fmt.Sprintf("%s: not in the answers", h.Host))
		} else if string(h.Status) != want {
			bad = append(bad, fmt.Sprintf("%s: status %s, want %s (reason: %s)", h.Host, h.Status, want, h.Reason))
		}
	}
	for name := range answers {
		if !seen[name] {
			bad = append(bad, fmt.Sprintf("%s: missing from the report", name))
		}
	}
	if (len(bad) > 0) != neg {
		if neg {
			ts.Fatalf("report matches the answers")
		}
		ts.Fatalf("report does not match the answers:\n%s", strings.Join(bad, "\n"))
	}
}

// cmdHealthyCompliant checks, after an apply, that every host the answers
// call compliant or noncompliant (reachable and healthy) is now compliant.
// The one exception is a host whose reason is a block rule the playbook does
// not name: apply never touches such a rule, by design, so a person must.
//
//	healthy-compliant REPORT.json ANSWERS.json
func cmdHealthyCompliant(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: healthy-compliant REPORT.json ANSWERS.json")
	}
	r, answers := readReport(ts, args[0]), readAnswers(ts, args[1])
	var bad []string
	checked := 0
	for _, h := range r.Hosts {
		switch answers[h.Host] {
		case "compliant", "noncompliant":
		default:
			continue
		}
		checked++
		if h.Status == reports.StatusCompliant {
			continue
		}
		if h.Status == reports.StatusNoncompliant && strings.Contains(h.Reason, "which the playbook does not name") {
			ts.Logf("%s: still noncompliant, as designed: %s", h.Host, h.Reason)
			continue
		}
		bad = append(bad, fmt.Sprintf("%s: %s (%s)", h.Host, h.Status, h.Reason))
	}
	if checked == 0 {
		ts.Fatalf("no reachable, healthy host in the answers")
	}
	if len(bad) > 0 {
		ts.Fatalf("hosts not compliant after apply:\n%s", strings.Join(bad, "\n"))
	}
}

// cmdReportStatus checks hosts' statuses in a report:
//
//	report-status REPORT.json HOST=STATUS...
//	report-status REPORT.json count:STATUS=N count:STATUS>=N count:STATUS<=N
func cmdReportStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: report-status REPORT.json HOST=STATUS... | count:STATUS=N...")
	}
	r := readReport(ts, args[0])
	byName := map[string]reports.Host{}
	for _, h := range r.Hosts {
		byName[h.Host] = h
	}
	for _, a := range args[1:] {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			ts.Fatalf("bad argument %q", a)
		}
		if status, isCount := strings.CutPrefix(k, "count:"); isCount {
			op := "=="
			if c := status[len(status)-1]; c == '>' || c == '<' {
				op, status = string(c)+"=", status[:len(status)-1]
			}
			want, err := strconv.Atoi(v)
			ts.Check(err)
			got := r.Summary[reports.HostStatus(status)]
			if !map[string]bool{"==": got == want, ">=": got >= want, "<=": got <= want}[op] {
				ts.Fatalf("%s: %d hosts %s, want %s %d", args[0], got, status, op, want)
			}
			continue
		}
		h, ok := byName[k]
		if !ok {
			ts.Fatalf("%s: no host %s", args[0], k)
		}
		if string(h.Status) != v {
			ts.Fatalf("%s: host %s is %s, want %s (reason: %s)", args[0], k, h.Status, v, h.Reason)
		}
	}
}

// cmdValidReport validates JSON reports against the published schema.
func cmdValidReport(ts *testscript.TestScript, neg bool, args []string) {
	for _, a := range args {
		err := reports.ValidateJSON([]byte(ts.ReadFile(a)))
		if (err != nil) != neg {
			if neg {
				ts.Fatalf("%s: valid, want invalid", a)
			}
			ts.Fatalf("%s: %v", a, err)
		}
	}
}

// cmdWaitFile waits (up to a minute) for a file to exist and be non-empty,
// watching for it rather than sleeping a fixed time.
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitfile FILE")
	}
	path := ts.MkAbs(args[0])
	deadline := time.Now().Add(time.Minute)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for range tick.C {
		if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s did not appear within a minute", args[0])
		}
	}
}

// cmdCrash starts the binary under its supervisor, waits until its stderr
// shows MARKER, makes the working child crash the way a Go program crashes
// (SIGQUIT: stacks dumped, exit status 2, which would read as drift) and
// checks the supervisor's exit code:
//
//	wf-crash MARKER EXITCODE args...
func cmdCrash(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: wf-crash MARKER EXITCODE args...")
	}
	signalAtMarker(ts, args, "winfleet whose child crashed", func(cmd *exec.Cmd) {
		ts.Check(syscall.Kill(childOf(ts, cmd.Process.Pid), syscall.SIGQUIT))
	})
}

// signalAtMarker runs the binary with args[2:], echoing its stderr; at the
// first line containing args[0] it calls signal, and at the end it checks
// the exit code against args[1]. what names the run in a failure.
func signalAtMarker(ts *testscript.TestScript, args []string, what string, signal func(*exec.Cmd)) {
	marker := args[0]
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	cmd := exec.Command("winfleet", args[2:]...)
	cmd.Dir = ts.MkAbs(".")
	cmd.Env = scriptEnv(ts)
	cmd.Stdout = ts.Stdout()
	stderr, err := cmd.StderrPipe()
	ts.Check(err)
	ts.Check(cmd.Start())
	sc := bufio.NewScanner(stderr)
	found := false
	for sc.Scan() {
		fmt.Fprintln(ts.Stderr(), sc.Text())
		if !found && strings.Contains(sc.Text(), marker) {
			found = true
			signal(cmd)
		}
	}
	err = cmd.Wait()
	if !found {
		ts.Fatalf("winfleet never printed %q", marker)
	}
	if got := exitCode(ts, err); got != want {
		ts.Fatalf("%s: exit code %d, want %d", what, got, want)
	}
}

// childOf is the one child process of pid (Linux /proc).
func childOf(ts *testscript.TestScript, pid int) int {
	// Each thread lists the children it started; the supervisor starts
	// its child from a locked thread, not necessarily the main one.
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	ts.Check(err)
	var f []string
	for _, t := range tasks {
		if b, err := os.ReadFile(t); err == nil {
			f = append(f, strings.Fields(string(b))...)
		}
	}
	if len(f) != 1 {
		ts.Fatalf("process %d has children %q, want one", pid, f)
	}
	child, err := strconv.Atoi(f[0])
	ts.Check(err)
	return child
}

// cmdInterrupt starts the binary, waits until its stderr shows a line
// containing MARKER, interrupts it (SIGINT) and checks the exit code:
//
//	wf-interrupt MARKER CODE args...
func cmdInterrupt(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: wf-interrupt MARKER EXITCODE args...")
	}
	signalAtMarker(ts, args, "interrupted winfleet", func(cmd *exec.Cmd) {
		ts.Check(cmd.Process.Signal(syscall.SIGINT))
	})
}

// cmdWinfleetAnyCode runs the binary like wf, for a step whose exit code
// a later step judges (a shard run whose merge is the gate); a crash, a
// signal or exit 1 (fatal) still fails the script:
//
//	wf-any args...
func cmdWinfleetAnyCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("usage: wf-any args...")
	}
	if got := runWinfleet(ts, args); got != 0 && got != 2 && got != 3 {
		ts.Fatalf("winfleet %s: exit code %d, want 0, 2 or 3", strings.Join(args, " "), got)
	}
}

// cmdPromMetrics checks that a prometheus report has, for every family
// reports/README.md documents (reports.PrometheusMetrics), its HELP and
// gauge TYPE lines and at least one sample:
//
//	prom-metrics FILE.prom
func cmdPromMetrics(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: prom-metrics FILE.prom")
	}
	text := "\n" + ts.ReadFile(args[0])
	for _, m := range reports.PrometheusMetrics() {
		for _, want := range []string{"\n# HELP " + m.Name + " ", "\n# TYPE " + m.Name + " gauge\n"} {
			if !strings.Contains(text, want) {
				ts.Fatalf("%s: no %q line", args[0], strings.TrimSpace(want))
			}
		}
		if !strings.Contains(text, "\n"+m.Name+" ") && !strings.Contains(text, "\n"+m.Name+"{") {
			ts.Fatalf("%s: no sample of %s", args[0], m.Name)
		}
	}
}
