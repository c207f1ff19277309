package reports

import (
	"fmt"
	"strings"
)

// Evidence says which checks keep their evidence (the commands read and
// their raw output) in the formats that show it: html and junit. JSON
// always has everything: it is the record of truth.
type Evidence string

// Evidence settings (the CLI's --evidence).
const (
	// EvidenceFailing keeps the evidence of every check that did not pass
	// (fail, would_change, error, and changed: what apply changed is
	// evidence too) and drops it for passing checks. The default.
	EvidenceFailing Evidence = "failing"
	// EvidenceAll keeps the evidence of every check; for passing checks it
	// is collapsed.
	EvidenceAll Evidence = "all"
)

// Evidences lists the valid --evidence values, default first.
func Evidences() []Evidence { return []Evidence{EvidenceFailing, EvidenceAll} }

// ParseEvidence parses an --evidence value; the error lists the valid ones.
func ParseEvidence(s string) (Evidence, error) {
	for _, e := range Evidences() {
		if string(e) == s {
			return e, nil
		}
	}
	return "", fmt.Errorf("evidence %q: want %s", s, evidenceList())
}

func evidenceList() string {
	var names []string
	for _, e := range Evidences() {
		names = append(names, string(e))
	}
	return strings.Join(names, " or ")
}

// WriteOptions are the choices a writer takes besides the report. The zero
// value is the default of every option, so WriteOptions{} is always valid.
// Formats ignore the options they have no use for.
type WriteOptions struct {
	// Evidence is which checks keep their evidence in html and junit;
	// "" means EvidenceFailing.
	Evidence Evidence
	// ExitCode is the exit code of the run, for the formats that record
	// it (prometheus: winfleet_last_run_exit_code and _success). The CLI,
	// which defines the exit codes, passes the code the run exits with.
	ExitCode int
}

// check validates o and returns it with defaults filled in.
func (o WriteOptions) check() (WriteOptions, error) {
	if o.Evidence == "" {
		o.Evidence = EvidenceFailing
	}
	if _, err := ParseEvidence(string(o.Evidence)); err != nil {
		return o, fmt.Errorf("write options: %w", err)
	}
	return o, nil
}

// keepEvidence reports whether a check's evidence is kept under o.
func (o WriteOptions) keepEvidence(c Check) bool {
	return o.Evidence == EvidenceAll || hasEvidenceValue(c)
}

// hasEvidenceValue reports whether c is a check whose evidence is kept by
// default: every status but pass and skipped.
func hasEvidenceValue(c Check) bool {
	return c.Status != CheckPass && c.Status != CheckSkipped
}
