package netsh

import (
	"errors"
	"fmt"
)

// ErrNotElevated means the command needed administrator rights the session
// does not have: advfirewall's "The requested operation requires elevation
// (Run as administrator)." or sc's "Access is denied.". It is returned wrapped
// in an *OutputError.
var ErrNotElevated = errors.New("not elevated: the command requires administrator rights")

// ErrLegacyPortRange means a port range was asked of the legacy dialect,
// which opens single ports only (netsh firewall add portopening port=N).
var ErrLegacyPortRange = errors.New("the legacy dialect opens single ports only")

// ErrFirewallStopped means netsh could not contact the Windows Firewall
// service (MpsSvc stopped or disabled). It is returned wrapped in an
// *OutputError.
var ErrFirewallStopped = errors.New("windows firewall service is not running")

// ErrInvalidParameter means netsh rejected a parameter value or the argument
// list ("A specified value is not valid.", usage text). It is returned wrapped
// in an *OutputError.
var ErrInvalidParameter = errors.New("netsh rejected the command's parameters")

// ErrCommandNotFound means netsh does not know the command ("The following
// command was not found: ..."), typically advfirewall on Windows 2003. It is
// returned wrapped in an *OutputError.
var ErrCommandNotFound = errors.New("netsh does not know the command")

// ErrFileNotFound means the command printed Windows' ERROR_FILE_NOT_FOUND
// text, "The system cannot find the file specified.": legacy add
// allowedprogram for a program that does not exist, or a legacy delete of an
// exception that does not exist (reference/netsh.md §9 #1-#2: the real
// output was never captured; this is the standard Win32 message). It is
// returned wrapped in an *OutputError.
var ErrFileNotFound = errors.New("the file or entry does not exist on the host")

// OutputError is a recognised failure message printed by a command. Err is one
// of the sentinel errors of this package; Raw is the complete output (stdout,
// then stderr) so the report can show it.
type OutputError struct {
	Command string
	Raw     string
	Err     error
}

func (e *OutputError) Error() string {
	return fmt.Sprintf("%s: %v", e.Command, e.Err)
}

// Unwrap returns the sentinel error, so errors.Is(err, ErrNotElevated) works.
func (e *OutputError) Unwrap() error { return e.Err }

// UnrecognizedError means a parser met output it does not understand: another
// language, an unknown layout, a truncated capture. The caller must treat the
// check as "error", never as pass or fail. Raw is the complete output.
type UnrecognizedError struct {
	Command string
	Raw     string
	// Detail says what the parser stumbled over (line number and text).
	Detail string
}

func (e *UnrecognizedError) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("%s: unrecognized output", e.Command)
	}
	return fmt.Sprintf("%s: unrecognized output: %s", e.Command, e.Detail)
}

// UnsafeValueError means a value would reach a cmd.exe command line but could
// change its meaning (quotes, &, |, <, >, ^, !, %, line breaks, control
// characters) or is otherwise invalid for the field. Field names the field
// ("rule name", "program", "addresses", ...); the caller adds host and var.
type UnsafeValueError struct {
	Field  string
	Value  string
	Reason string
}

func (e *UnsafeValueError) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("unsafe %s %q", e.Field, e.Value)
	}
	return fmt.Sprintf("unsafe %s %q: %s", e.Field, e.Value, e.Reason)
}
