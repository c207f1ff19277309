package playbook

import (
	"context"
	"fmt"

	"github.com/winfleet/winfleet/inventory"
)

// A Session is one shell on one host. The executor opens one per host and
// sends every command of a phase in one RunBatch call.
type Session interface {
	// RunBatch runs cmds in order, in one round trip, and returns one Output
	// per command. err reports transport failure only; a command that ran and
	// failed is an Output with a non-zero ExitCode. When err is not nil the
	// Outputs returned are those of the commands that were answered before
	// the failure (possibly none); the rest may or may not have run.
	RunBatch(ctx context.Context, cmds []string) ([]Output, error)
	// Close deletes the shell.
	Close(ctx context.Context) error
}

// A LogonNotifier is a Session that can tell when the host accepted its
// credential, before the first RunBatch returns. The lockout guard lets the
// other hosts with the same credential start at that moment, instead of
// after the first batch, whose output may be large, slow or fail for
// reasons that say nothing about the password.
type LogonNotifier interface {
	// OnLogon makes the session call f once, when the host first accepts
	// the credential, from within the RunBatch that logs on.
	OnLogon(f func())
}

// Output is what one command printed.
type Output struct {
	Stdout, Stderr string
	ExitCode       int
}

// A Dialer opens a Session on a target. Its errors, and RunBatch's, decide
// the host's status when they are (or wrap) a *TransportError; any other
// error makes the host error.
type Dialer interface {
	Dial(ctx context.Context, t Target) (Session, error)
}

// Target is one host of the resolved inventory.
type Target struct {
	Name, Address string
	// Groups are the host's inventory groups; they are copied into the
	// result.
	Groups []string
	// Vars are the host's variables with their positions (sql_version,
	// firewall_scope, dialect, windows_version, ...). The executor never
	// modifies them.
	Vars map[string]inventory.Var
	// Credential identifies the credential the host logs on with, without
	// the secret (user and password source): hosts with the same non-empty
	// Credential share an account, so a logon refused on one will be
	// refused on all (see Options.AuthFailLimit). Empty means the host is
	// judged alone.
	Credential string
}

// A TransportError is a Dial or RunBatch failure classified for the report
// by the transport adapter, the one place that knows both the transport's
// errors and the report's statuses. Err is the transport's own error, so
// errors.Is and errors.As on a result's Err still reach it after the run.
type TransportError struct {
	// Status is unreachable, auth_failed, timeout or error.
	Status Status
	// Code is the machine-readable cause (CodeUnreachable, CodeTLS, ...).
	Code Code
	Err  error
	// Evidence is what the host sent that the report should keep, if
	// anything (the head and tail of an output that was too large).
	Evidence string
}

func (e *TransportError) Error() string { return e.Err.Error() }

func (e *TransportError) Unwrap() error { return e.Err }

// A VarError is a template that could not be resolved for a host: an
// undefined var, a var whose value has the wrong shape or cannot be used
// (Vault ciphertext), or a value refused as unsafe. It names the host, the
// playbook position of the template, and the var with the place it was set
// (an inventory file and line, the playbook's vars, or the host command
// that discovered it).
type VarError struct {
	Host string
	Pos  Pos
	Var  string
	// Def is where the var was set ("hosts.yml:7"), "" when undefined.
	Def  string
	Msg  string
	Code Code // CodeUndefinedVar or CodeUnsafeValue
	// Undefined is set when the var is not defined at all (for this host):
	// a playbook can only be judged on such a value host by host.
	Undefined bool
}

func (e *VarError) Error() string {
	h := ""
	if e.Host != "" {
		h = "host " + e.Host + ": "
	}
	pos := ""
	if e.Pos.File != "" {
		pos = e.Pos.String() + ": "
	}
	if e.Var == "" {
		return h + pos + e.Msg // a literal value of the playbook
	}
	def := ""
	if e.Def != "" {
		def = " (set at " + e.Def + ")"
	}
	return fmt.Sprintf("%s%svar %q%s: %s", h, pos, e.Var, def, e.Msg)
}
