package reports

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/winfleet/winfleet/playbook"
)

// Valid reports whether s is one of the statuses in HostStatuses.
func (s HostStatus) Valid() bool { return slices.Contains(HostStatuses, s) }

// Drift, Unchecked and OK are the playbook's rules (playbook.Status), which
// own what a status means; reports only carries the status.

// Drift reports whether s means the host is not in the desired state:
// noncompliant, failed or would_change. Any such host makes the run exit 2.
func (s HostStatus) Drift() bool { return playbook.Status(s).Drift() }

// Unchecked reports whether s means winfleet could not tell whether the host
// is in the desired state: unreachable, auth_failed, timeout, error, skipped,
// cancelled, or a status this version does not know.
func (s HostStatus) Unchecked() bool { return playbook.Status(s).Unchecked() }

// OK reports whether s means the host is in the desired state: compliant, or
// changed (apply converged it and re-read it as compliant).
func (s HostStatus) OK() bool { return playbook.Status(s).OK() }

// NeedsAttention reports whether a human should look at a host with status
// s: every status except compliant and changed.
func (s HostStatus) NeedsAttention() bool { return !s.OK() }

// rank orders statuses for "needs attention" lists: drift first, then the
// hosts that could not be checked, then the rest, each in HostStatuses order.
func (s HostStatus) rank() int {
	i := slices.Index(HostStatuses, s)
	if i < 0 {
		i = len(HostStatuses)
	}
	switch {
	case s.Drift():
		return i
	case s.Unchecked():
		return 100 + i
	}
	return 200 + i
}

// CheckStatuses lists every check status in report order.
func CheckStatuses() []CheckStatus {
	return []CheckStatus{CheckPass, CheckFail, CheckChanged, CheckWouldChange, CheckError, CheckSkipped}
}

// Valid reports whether s is a documented check status.
func (s CheckStatus) Valid() bool { return slices.Contains(CheckStatuses(), s) }

// OK reports whether s means the item is in the desired state (pass or changed).
func (s CheckStatus) OK() bool { return s == CheckPass || s == CheckChanged }

// Failing reports whether s means the check did not pass: fail,
// would_change or error (not skipped, which was never judged).
func (s CheckStatus) Failing() bool {
	return s == CheckFail || s == CheckWouldChange || s == CheckError
}

// Valid reports whether m is scan, apply or check.
func (m Mode) Valid() bool { return m == ModeScan || m == ModeApply || m == ModeCheck }

// ErrInvalid is wrapped by every error Validate returns, so callers can tell a
// malformed report (a bug upstream, or a hand-edited file) from an I/O error.
var ErrInvalid = errors.New("invalid report")

// Validate checks what the JSON Schema cannot, and what it can, on the Go
// value: the schema string (empty is accepted and means the current one), the
// mode, every host and check status, host names non-empty and unique, and
// durations not negative. All problems are returned joined; each names the
// host (and check) it is about and wraps ErrInvalid.
//
// Every writer calls Validate first, so a file a writer produced can always
// be read back by ReadJSON.
func Validate(r *Report) error {
	if r == nil {
		return fmt.Errorf("%w: nil report", ErrInvalid)
	}
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...))
	}
	if r.Schema != "" && r.Schema != Schema {
		bad("schema %q, want %q", r.Schema, Schema)
	}
	if !r.Mode.Valid() {
		bad("mode %q, want scan, apply or check", r.Mode)
	}
	seen := make(map[string]int, len(r.Hosts))
	for i, h := range r.Hosts {
		name := h.Host
		if name == "" {
			bad("hosts[%d]: empty host name", i)
			name = fmt.Sprintf("hosts[%d]", i)
		} else if j, dup := seen[name]; dup {
			bad("host %q appears twice (hosts[%d] and hosts[%d])", name, j, i)
		} else {
			seen[name] = i
		}
		if !h.Status.Valid() {
			bad("host %q: unknown status %q", name, h.Status)
		}
		if h.DurationMS < 0 {
			bad("host %q: negative duration_ms %d", name, h.DurationMS)
		}
		for j, c := range h.Checks {
			id := c.ID
			if id == "" {
				id = fmt.Sprintf("checks[%d]", j)
			}
			if !c.Status.Valid() {
				bad("host %q check %q: unknown status %q", name, id, c.Status)
			}
			for k, w := range c.Writes {
				if !w.State.Valid() {
					bad("host %q check %q writes[%d]: unknown state %q", name, id, k, w.State)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// Summarize sets r.Summary to the number of hosts per status, computed from
// r.Hosts. Every status in HostStatuses is present, with 0 where no host has
// it, so scripts can read any key without checking that it exists.
func Summarize(r *Report) {
	r.Summary = summarize(r.Hosts)
}

func summarize(hosts []Host) map[HostStatus]int {
	m := make(map[HostStatus]int, len(HostStatuses))
	for _, s := range HostStatuses {
		m[s] = 0
	}
	for _, h := range hosts {
		m[h.Status]++
	}
	return m
}

// Outcome is what the report's run amounts to (the CLI turns it into the
// exit code): drift if any host drifted, else unchecked if any host could
// not be checked (including skipped, cancelled and unknown statuses), else
// OK. A report with no hosts is OK; "no host matched" is a fatal error the
// CLI reports before any report exists.
func Outcome(r *Report) playbook.Outcome {
	ss := make([]playbook.Status, len(r.Hosts))
	for i, h := range r.Hosts {
		ss[i] = playbook.Status(h.Status)
	}
	return playbook.OutcomeOf(ss...)
}

// normalize returns a validated deep copy of r that every writer renders:
// schema set, hosts sorted by name (byte order), summary recomputed from the
// hosts, nil slices made empty (so JSON has [] and never null), and times in
// UTC, invalid UTF-8 replaced by U+FFFD. r itself is not modified.
func normalize(r *Report) (*Report, error) {
	if err := Validate(r); err != nil {
		return nil, err
	}
	n := *r
	n.Schema = Schema
	n.StartedAt = utc(r.StartedAt)
	n.FinishedAt = utc(r.FinishedAt)
	n.CommandLine = slices.Clone(r.CommandLine)
	if r.Tool != nil {
		t := *r.Tool
		n.Tool = &t
	}
	n.Hosts = make([]Host, len(r.Hosts))
	for i, h := range r.Hosts {
		n.Hosts[i] = copyHost(h)
	}
	validUTF8(&n)
	slices.SortFunc(n.Hosts, func(a, b Host) int { return cmp.Compare(a.Host, b.Host) })
	Summarize(&n)
	return &n, nil
}

// validUTF8 replaces invalid UTF-8 in every string of n (a copy owned by
// the caller) with U+FFFD, as encoding/json does, so every format agrees
// and none emits bytes a spreadsheet, XML parser or browser rejects.
func validUTF8(n *Report) {
	fix := func(s *string) { *s = strings.ToValidUTF8(*s, "\uFFFD") }
	for _, s := range []*string{&n.RunID, &n.Playbook, &n.Inventory, &n.Operator, &n.Controller, &n.PlaybookDigest, &n.Shard, &n.Incomplete} {
		fix(s)
	}
	for i := range n.CommandLine {
		fix(&n.CommandLine[i])
	}
	if n.Tool != nil {
		for _, s := range []*string{&n.Tool.Name, &n.Tool.Version, &n.Tool.Revision} {
			fix(s)
		}
	}
	for i := range n.Hosts {
		h := &n.Hosts[i]
		for _, s := range []*string{&h.Host, &h.Address, &h.Reason, &h.WindowsVersion, &h.Dialect, &h.Error, &h.Code} {
			fix(s)
		}
		for k := range h.Groups {
			fix(&h.Groups[k])
		}
		for j := range h.Checks {
			c := &h.Checks[j]
			for _, s := range []*string{&c.ID, &c.Name, &c.Expected, &c.Actual, &c.Output, &c.Code, &c.Before} {
				fix(s)
			}
			for k := range c.Commands {
				fix(&c.Commands[k])
			}
			for k := range c.Writes {
				fix(&c.Writes[k].Command)
				fix(&c.Writes[k].Output)
			}
		}
	}
}

// utc returns t in UTC, unless that would move it out of the years 0-9999
// that RFC 3339 (and so JSON) can carry: 0000-01-01T00:30:00+01:00 stays as
// it is rather than becoming unwritable.
func utc(t time.Time) time.Time {
	if u := t.UTC(); u.Year() >= 0 && u.Year() <= 9999 {
		return u
	}
	return t
}

func copyHost(h Host) Host {
	checks := make([]Check, len(h.Checks))
	for i, c := range h.Checks {
		c.Commands = append(make([]string, 0, len(c.Commands)), c.Commands...)
		c.Writes = slices.Clone(c.Writes)
		checks[i] = c
	}
	h.Checks = checks
	h.Groups = slices.Clone(h.Groups)
	return h
}

// Duration is the wall time of the run (FinishedAt - StartedAt), or 0 if
// either is unset.
func (r *Report) Duration() time.Duration {
	if r.StartedAt.IsZero() || r.FinishedAt.IsZero() {
		return 0
	}
	return r.FinishedAt.Sub(r.StartedAt)
}
