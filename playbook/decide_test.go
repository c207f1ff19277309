package playbook

import (
	"errors"
	"strings"
	"testing"
	unsafeptr "unsafe"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/winfleet/winfleet/playbook/netsh"
)

func TestJudgeCheck(t *testing.T) {
	fix := verdict{res: netsh.Result{Reason: "missing", Code: netsh.CodeMissing, Commands: []string{"netsh add"}}}
	blocked := verdict{res: netsh.Result{Reason: "blocked", Code: netsh.CodeBlocked, Commands: []string{"netsh set"}, NeedsHuman: true}}
	tests := []struct {
		name string
		mode Mode
		vd   verdict
		want CheckStatus
		code Code
	}{
		{"pass", ModeApply, verdict{res: netsh.Result{Compliant: true}}, CheckPass, ""},
		{"scan never would_change", ModeScan, fix, CheckFail, CodeMissing},
		{"check: fixable", ModeCheck, fix, CheckWouldChange, CodeMissing},
		{"apply: fixable", ModeApply, fix, CheckWouldChange, CodeMissing},
		{"needs a person", ModeApply, blocked, CheckFail, CodeBlocked},
		{"no command", ModeApply, verdict{res: netsh.Result{Reason: "x", Code: netsh.CodeNotRunning}}, CheckFail, CodeNotRunning},
		{"error", ModeApply, verdict{err: netsh.ErrNotElevated}, CheckError, CodeNotElevated},
		{"no ssis", ModeScan, verdict{err: errNoSSIS}, CheckError, CodeNoSSIS},
		{"unrecognized", ModeScan, verdict{err: &netsh.UnrecognizedError{Command: "ver"}}, CheckError, CodeUnrecognizedOutput},
	}
	for _, tt := range tests {
		if got, code, _ := judgeCheck(tt.mode, tt.vd); got != tt.want || code != tt.code {
			t.Errorf("%s: judgeCheck = %s, %s; want %s, %s", tt.name, got, code, tt.want, tt.code)
		}
	}
}

func TestDecide(t *testing.T) {
	c := func(id string, s CheckStatus, code Code) CheckResult {
		cr := CheckResult{ID: id, Status: s, Code: code, reason: id + " reason"}
		if s == CheckError {
			cr.Err = errors.New(id + " failed")
		}
		return cr
	}
	pass := c("a", CheckPass, "")
	fail := c("b", CheckFail, CodeBlocked)
	fix := c("c", CheckWouldChange, CodeTooOpen)
	bad := c("d", CheckError, CodeUnrecognizedOutput)
	tests := []struct {
		name       string
		mode       Mode
		checks     []CheckResult
		want       Status
		code       Code
		converge   bool
		reasonPart string
	}{
		{"all pass", ModeScan, []CheckResult{pass, pass}, StatusCompliant, "", false, "2 checks pass"},
		{"scan drift", ModeScan, []CheckResult{pass, fail}, StatusNoncompliant, CodeBlocked, false, "b: b reason"},
		{"error wins", ModeApply, []CheckResult{fix, bad, fail}, StatusError, CodeUnrecognizedOutput, false, "d: d reason"},
		{"check: fixable", ModeCheck, []CheckResult{pass, fix}, StatusWouldChange, CodeTooOpen, false, "c: c reason"},
		{"check: one not fixable", ModeCheck, []CheckResult{fix, fail}, StatusNoncompliant, CodeBlocked, false, "c: c reason; b: b reason"},
		{"apply: nothing fixable", ModeApply, []CheckResult{fail}, StatusFailed, CodeBlocked, false, "apply cannot fix: b: b reason"},
		{"apply: converge", ModeApply, []CheckResult{fix, fail}, "", "", true, ""},
		{"apply: all pass", ModeApply, []CheckResult{pass}, StatusCompliant, "", false, "1 checks pass"},
	}
	for _, tt := range tests {
		d := decideJudged(tt.mode, tt.checks)
		if d.status != tt.want || d.code != tt.code || d.converge != tt.converge || !strings.Contains(d.reason, tt.reasonPart) {
			t.Errorf("%s: decideJudged = %+v; want %s %s converge=%v reason containing %q", tt.name, d, tt.want, tt.code, tt.converge, tt.reasonPart)
		}
		if d.status == StatusError && !errors.Is(d.err, bad.Err) {
			t.Errorf("%s: error %v does not wrap the check's error", tt.name, d.err)
		}
	}

	changed := c("c", CheckChanged, "")
	if d := decideVerified([]CheckResult{pass, changed}); d.status != StatusChanged || d.reason != "changed: c: c reason" {
		t.Errorf("decideVerified(changed) = %+v", d)
	}
	still := c("c", CheckFail, CodeVerifyFailed)
	if d := decideVerified([]CheckResult{changed, still, fail}); d.status != StatusFailed || d.code != CodeVerifyFailed ||
		!strings.HasPrefix(d.reason, "not compliant after apply: c: c reason; b: b reason") {
		t.Errorf("decideVerified(still failing) = %+v", d)
	}
	wf := c("w", CheckError, CodeWriteFailed)
	if d := decideWritesFailed([]CheckResult{pass, wf}); d.status != StatusFailed || d.code != CodeWriteFailed || d.reason != "changes failed: w: w reason" {
		t.Errorf("decideWritesFailed = %+v", d)
	}
}

func TestOutcome(t *testing.T) {
	tests := []struct {
		in   []Status
		want Outcome
	}{
		{nil, OutcomeOK},
		{[]Status{StatusCompliant, StatusChanged}, OutcomeOK},
		{[]Status{StatusCompliant, StatusUnreachable}, OutcomeUnchecked},
		{[]Status{StatusSkipped}, OutcomeUnchecked},
		{[]Status{"bogus"}, OutcomeUnchecked},
		{[]Status{StatusTimeout, StatusWouldChange}, OutcomeDrift},
		{[]Status{StatusFailed, StatusError}, OutcomeDrift},
	}
	for _, tt := range tests {
		if got := OutcomeOf(tt.in...); got != tt.want {
			t.Errorf("OutcomeOf(%v) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// TestCompactSharesEqualEvidence checks that compact keeps every value and
// stores equal evidence of different hosts once.
func TestCompactSharesEqualEvidence(t *testing.T) {
	host := func(name string) HostResult {
		// Copies, so equal strings of two hosts have separate memory.
		c := strings.Clone
		return HostResult{Host: name, Checks: []CheckResult{{ID: "rpc-135", Output: c("Rule Name: RPC (TCP/135)\r\n"),
			Expected: c("enabled"), Actual: c("absent"), Commands: []string{c("netsh show")}}}}
	}
	a, b := host("a.example"), host("b.example")
	if unsafeptr.StringData(a.Checks[0].Expected) == unsafeptr.StringData(b.Checks[0].Expected) {
		t.Fatal("the test's strings already share memory")
	}
	want := host("a.example")
	a, b = compact(a), compact(b)
	if d := cmp.Diff(want, a, cmpopts.IgnoreUnexported(CheckResult{})); d != "" {
		t.Errorf("compact changed the result (-want +got):\n%s", d)
	}
	for _, f := range []func(HostResult) string{
		func(r HostResult) string { return r.Checks[0].Output },
		func(r HostResult) string { return r.Checks[0].Expected },
		func(r HostResult) string { return r.Checks[0].Actual },
		func(r HostResult) string { return r.Checks[0].Commands[0] },
	} {
		if unsafeptr.StringData(f(a)) != unsafeptr.StringData(f(b)) {
			t.Errorf("%q is stored twice", f(a))
		}
	}
}
