package cli

import (
	"fmt"

	"github.com/winfleet/winfleet/playbook"
)

// Exit codes: the one definition, documented in DESIGN.md and the README.
const (
	ExitOK          = 0   // every targeted host compliant (scan) or converged and verified (apply)
	ExitFatal       = 1   // bad flags or settings, invalid inventory or playbook, no host matched, a report not written
	ExitDrift       = 2   // a host is non-compliant, failed, or would change
	ExitUnchecked   = 3   // no drift on the hosts reached, but a host could not be checked
	ExitInterrupted = 130 // interrupted; partial reports were still written
)

// exitFor is the exit code of a finished run's outcome.
func exitFor(o playbook.Outcome) int {
	switch o {
	case playbook.OutcomeDrift:
		return ExitDrift
	case playbook.OutcomeUnchecked:
		return ExitUnchecked
	}
	return ExitOK
}

// exitError carries an exit code other than ExitFatal out of a command.
type exitError struct {
	code int
	err  error // nil when the command already said everything it had to say
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }
