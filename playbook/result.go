package playbook

import (
	"time"
	"unique"
)

// Mode is what a run does to its hosts.
type Mode string

// Run modes. The zero Mode is scan: nothing is written unless Mode says
// apply.
const (
	ModeScan  Mode = "scan"
	ModeApply Mode = "apply"
	ModeCheck Mode = "check" // apply --check: read, judge, compute the writes, send none
)

// Valid reports whether m is scan, apply or check.
func (m Mode) Valid() bool { return m == ModeScan || m == ModeApply || m == ModeCheck }

// Status is the verdict for one host. The values are the report's.
type Status string

// Host statuses.
const (
	StatusCompliant    Status = "compliant"
	StatusNoncompliant Status = "noncompliant"
	StatusChanged      Status = "changed"      // apply changed it and re-read it as compliant
	StatusWouldChange  Status = "would_change" // apply --check: apply would fix it
	StatusFailed       Status = "failed"       // apply could not converge or verify
	StatusUnreachable  Status = "unreachable"
	StatusAuthFailed   Status = "auth_failed"
	StatusTimeout      Status = "timeout"
	StatusError        Status = "error"
	StatusSkipped      Status = "skipped"   // not attempted: the rollout stopped, or the shared credential was refused
	StatusCancelled    Status = "cancelled" // interrupted
)

// Statuses lists every host status in report order.
func Statuses() []Status {
	return []Status{
		StatusCompliant, StatusNoncompliant, StatusChanged, StatusWouldChange, StatusFailed,
		StatusUnreachable, StatusAuthFailed, StatusTimeout, StatusError, StatusSkipped, StatusCancelled,
	}
}

// Drift reports whether the host is known not to be in the desired state:
// noncompliant, failed or would_change.
func (s Status) Drift() bool {
	return s == StatusNoncompliant || s == StatusFailed || s == StatusWouldChange
}

// OK reports whether the host is in the desired state: compliant, or
// changed (converged and re-read as compliant).
func (s Status) OK() bool { return s == StatusCompliant || s == StatusChanged }

// Unchecked reports whether nothing trustworthy is known about the host:
// every status that is neither OK nor Drift (unreachable, auth_failed,
// timeout, error, skipped, cancelled, and any unknown status).
func (s Status) Unchecked() bool { return !s.OK() && !s.Drift() }

// Failed reports whether the host counts against --max-fail: failed,
// unreachable, auth_failed, timeout or error.
func (s Status) Failed() bool {
	switch s {
	case StatusFailed, StatusUnreachable, StatusAuthFailed, StatusTimeout, StatusError:
		return true
	}
	return false
}

// Outcome is what a whole run amounts to.
type Outcome int

// Outcomes, from best to worst. Drift wins over Unchecked: a CI gate exists
// to catch drift.
const (
	OutcomeOK        Outcome = iota // every host OK (or no hosts)
	OutcomeUnchecked                // no drift, but a host could not be checked
	OutcomeDrift                    // a host drifted
)

// String is "ok", "unchecked" or "drift".
func (o Outcome) String() string {
	switch o {
	case OutcomeDrift:
		return "drift"
	case OutcomeUnchecked:
		return "unchecked"
	}
	return "ok"
}

// OutcomeOf folds host statuses into the run's outcome.
func OutcomeOf(statuses ...Status) Outcome {
	o := OutcomeOK
	for _, s := range statuses {
		switch {
		case s.Drift():
			return OutcomeDrift
		case !s.OK():
			o = OutcomeUnchecked
		}
	}
	return o
}

// OutcomeFor is the outcome of a run's results.
func OutcomeFor(results []HostResult) Outcome {
	ss := make([]Status, len(results))
	for i, r := range results {
		ss[i] = r.Status
	}
	return OutcomeOf(ss...)
}

// CheckStatus is the verdict for one check on one host.
type CheckStatus string

// Check statuses.
const (
	CheckPass        CheckStatus = "pass"
	CheckFail        CheckStatus = "fail"
	CheckChanged     CheckStatus = "changed"
	CheckWouldChange CheckStatus = "would_change"
	CheckError       CheckStatus = "error"
)

// WriteState says how far a write command got.
type WriteState string

// Write states, in the order a write goes through them.
const (
	WriteWouldSend WriteState = "would_send" // check mode: computed, never sent
	WriteNotSent   WriteState = "not_sent"   // apply meant to send it; the run stopped first
	WriteSent      WriteState = "sent"       // sent, no answer: its effect is unknown
	WriteAnswered  WriteState = "answered"   // the host ran it and answered
)

// Write is one write command of a check and what became of it.
type Write struct {
	Command  string
	State    WriteState
	ExitCode int    // State answered only
	Output   string // State answered only: stdout then stderr
}

// HostResult is what happened to one host.
type HostResult struct {
	Host, Address string
	// Groups are the host's inventory groups, from Target.
	Groups []string
	Status Status
	// Code is the machine-readable cause when the host needs attention:
	// the code of its first failing check, or a host-level code
	// (unreachable, timeout, ...). Empty for OK hosts.
	Code Code
	// Reason says in one line why the status is what it is.
	Reason string
	// Err is the error that decided the status, when there is one: a
	// transport error (matching the transport's sentinels with errors.Is
	// after the run), a *VarError, the joined errors of failed checks.
	Err            error
	WindowsVersion string
	Dialect        string
	Duration       time.Duration
	Checks         []CheckResult
}

// CheckResult is one playbook item on one host.
type CheckResult struct {
	ID, Name string
	Status   CheckStatus
	// Code is the machine-readable reason when the check is not pass.
	Code Code
	// Expected and Actual describe the desired and the observed state;
	// Before is the state found before apply changed it (Actual is then
	// the state read back afterwards).
	Expected, Actual, Before string
	// Commands are every command sent for the check, reads and writes, in
	// order; Output is their raw output, concatenated.
	Commands []string
	Output   string
	// Writes are the check's write commands: would_send in check mode,
	// else what was sent and answered.
	Writes []Write
	// Err is why the check could not be judged or converged.
	Err error

	reason string // one line: why the check is not pass
}

// compact stores r's evidence once for the whole run: a fleet built from
// one image answers most reads byte for byte alike (the same rule text,
// the same sc output), and a run keeps every host's result until its
// reports are written. Each string is replaced by the run's one copy of
// its value (unique.Make copies it, so no larger buffer stays alive).
func compact(r HostResult) HostResult {
	for i := range r.Checks {
		c := &r.Checks[i]
		c.Output, c.Expected, c.Actual = intern(c.Output), intern(c.Expected), intern(c.Actual)
		for j := range c.Commands {
			c.Commands[j] = intern(c.Commands[j])
		}
	}
	return r
}

func intern(s string) string {
	if s == "" {
		return s
	}
	return unique.Make(s).Value()
}
