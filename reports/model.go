// Package reports holds the run report model shared by the executor and the
// writers, and the writers themselves (JSON, CSV and others).
//
// The JSON form of Report is the record of truth: schema "winfleet.report/v1".
// Field names and JSON keys are a published contract (see DESIGN.md); add
// fields, never rename them.
package reports

import (
	"slices"
	"time"
)

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
//
// The keys after Hosts were added to v1 after its first release; they are
// optional (omitted when empty), and readers of older reports see them zero.
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

	// Tool is the program that made the report.
	Tool *Tool `json:"tool,omitempty"`
	// Operator is the user who ran it, Controller the machine it ran on.
	Operator   string `json:"operator,omitempty"`
	Controller string `json:"controller,omitempty"`
	// CommandLine is the argument list of the run, secrets removed.
	CommandLine []string `json:"command_line,omitempty"`
	// PlaybookDigest is "sha256:HEX" of the playbook source the run used.
	PlaybookDigest string `json:"playbook_digest,omitempty"`
	// Shard is "K/N" when the run covered one shard of the targeted hosts
	// (--shard), "" for a whole run.
	Shard string `json:"shard,omitempty"`
	// Incomplete is set when the report was rebuilt from a write journal
	// after the run died (SIGKILL, crash, power loss): it says so in one
	// line, and the hosts the run never finished are cancelled.
	Incomplete string `json:"incomplete,omitempty"`
}

// Tool names the program that made a report.
type Tool struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	Revision string `json:"revision,omitempty"`
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

	// Code is a stable, machine-readable cause for a host that needs
	// attention (see Codes); "" for compliant and changed hosts.
	Code string `json:"code,omitempty"`
	// Groups are the host's inventory groups (Ansible's group_names).
	Groups []string `json:"groups,omitempty"`
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

	// Code is a stable, machine-readable reason for a check that is not
	// pass (see Codes): missing, too_open, ...; "" when it passes.
	Code string `json:"code,omitempty"`
	// Before is the state apply found before it changed the item (Actual
	// is then the state read back after the change); "" otherwise.
	Before string `json:"before,omitempty"`
	// Writes are the write commands of the item: in check mode the exact
	// commands apply would send (WriteWouldSend), in apply mode what was
	// sent and whether the host answered.
	Writes []WriteRecord `json:"writes,omitempty"`
}

// WriteState says how far a write command got.
type WriteState string

// Write states.
const (
	// WriteWouldSend: apply --check computed the command; nothing was sent.
	WriteWouldSend WriteState = "would_send"
	// WriteNotSent: apply meant to send it, but the run was cancelled or
	// the host failed before it was sent.
	WriteNotSent WriteState = "not_sent"
	// WriteSent: the command was sent and no answer came (the connection
	// dropped, the budget ran out, the run was killed): its effect on the
	// host is unknown and must be checked.
	WriteSent WriteState = "sent"
	// WriteAnswered: the host ran the command and answered; ExitCode and
	// Output are its answer.
	WriteAnswered WriteState = "answered"
)

// WriteStates lists every write state in the order a write goes through
// them (would_send is check mode's only state).
func WriteStates() []WriteState {
	return []WriteState{WriteWouldSend, WriteNotSent, WriteSent, WriteAnswered}
}

// Valid reports whether s is a documented write state.
func (s WriteState) Valid() bool { return slices.Contains(WriteStates(), s) }

// WriteRecord is one write command of a check and what became of it.
type WriteRecord struct {
	Command string     `json:"command"`
	State   WriteState `json:"state"`
	// ExitCode is the command's exit code; only meaningful when State is
	// answered.
	ExitCode int `json:"exit_code"`
	// Output is what the command printed (stdout then stderr) when answered.
	Output string `json:"output,omitempty"`
}
