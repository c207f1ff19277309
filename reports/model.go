// Package reports holds the run report model shared by the executor and the
// writers, and the writers themselves (JSON, CSV and others).
//
// The JSON form of Report is the record of truth: schema "winfleet.report/v1".
// Field names and JSON keys are a published contract (see DESIGN.md); add
// fields, never rename them.
package reports

import "time"

// Schema is the value of Report.Schema for this version of the format.
const Schema = "winfleet.report/v1"

// HostStatus is the verdict for one host.
type HostStatus string

// Host statuses, as documented in DESIGN.md.
const (
	StatusCompliant    HostStatus = "compliant"
	StatusNoncompliant HostStatus = "noncompliant"
	StatusChanged      HostStatus = "changed"      // apply changed it and re-read it as compliant
	StatusWouldChange  HostStatus = "would_change" // apply --check
	StatusFailed       HostStatus = "failed"       // apply could not converge or verify
	StatusUnreachable  HostStatus = "unreachable"
	StatusAuthFailed   HostStatus = "auth_failed"
	StatusTimeout      HostStatus = "timeout"
	StatusError        HostStatus = "error"
	StatusSkipped      HostStatus = "skipped"   // not attempted: --max-fail stopped the rollout
	StatusCancelled    HostStatus = "cancelled" // interrupted
)

// HostStatuses lists every host status in report order.
var HostStatuses = []HostStatus{
	StatusCompliant, StatusNoncompliant, StatusChanged, StatusWouldChange, StatusFailed,
	StatusUnreachable, StatusAuthFailed, StatusTimeout, StatusError, StatusSkipped, StatusCancelled,
}

// CheckStatus is the verdict for one check on one host.
type CheckStatus string

// Check statuses, as documented in DESIGN.md.
const (
	CheckPass        CheckStatus = "pass"
	CheckFail        CheckStatus = "fail"
	CheckChanged     CheckStatus = "changed"
	CheckWouldChange CheckStatus = "would_change"
	CheckError       CheckStatus = "error"
	CheckSkipped     CheckStatus = "skipped"
)

// Mode is what kind of run produced a report.
type Mode string

// Run modes.
const (
	ModeScan  Mode = "scan"
	ModeApply Mode = "apply"
	ModeCheck Mode = "check" // apply --check
)

// Report is one run over a set of hosts.
type Report struct {
	Schema     string             `json:"schema"`
	RunID      string             `json:"run_id"`
	Mode       Mode               `json:"mode"`
	Playbook   string             `json:"playbook"`
	Inventory  string             `json:"inventory"`
	StartedAt  time.Time          `json:"started_at"`
	FinishedAt time.Time          `json:"finished_at"`
	Summary    map[HostStatus]int `json:"summary"`
	Hosts      []Host             `json:"hosts"`
}

// Host is the result for one host. Error is empty unless the host could not be
// checked or converged; Reason says in one line why the status is what it is.
type Host struct {
	Host           string     `json:"host"`
	Address        string     `json:"address"`
	Status         HostStatus `json:"status"`
	Reason         string     `json:"reason"`
	WindowsVersion string     `json:"windows_version"`
	Dialect        string     `json:"dialect"`
	DurationMS     int64      `json:"duration_ms"`
	Error          string     `json:"error"`
	Checks         []Check    `json:"checks"`
}

// Check is one desired-state item on one host. Commands are the exact command
// lines sent for it (reads and writes); Output is their raw decoded output.
type Check struct {
	ID       string      `json:"id"`
	Name     string      `json:"name"`
	Status   CheckStatus `json:"status"`
	Expected string      `json:"expected"`
	Actual   string      `json:"actual"`
	Commands []string    `json:"commands"`
	Output   string      `json:"output"`
}
