package remote

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors classify what went wrong with a host. Every error that
// Dial, Run, RunBatch or Close return because of the host (not because the
// caller cancelled) matches exactly one of them with errors.Is, and is an
// *Error that carries the host, the operation, a hint and the cause.
var (
	// ErrUnreachable means the host could not be reached or the connection
	// to it was lost: connection refused, DNS failure, no route to host, a
	// TCP connect that did not complete within Options.ConnectTimeout, or a
	// connection reset or closed by the host (or a middlebox) before its
	// answer was complete. A connect timeout also matches ErrTimeout.
	ErrUnreachable = errors.New("host unreachable")

	// ErrAuth means the host answered HTTP 401: the credentials, the
	// authentication scheme or the account's rights were refused. A 401 is
	// never retried, so that a bad password cannot lock the account out.
	ErrAuth = errors.New("authentication failed")

	// ErrTLS means the TLS handshake failed: the server certificate is
	// signed by an unknown authority, is not valid for the host name, has
	// expired, the port does not speak TLS, or the host refused the client
	// certificate.
	ErrTLS = errors.New("tls handshake failed")

	// ErrTimeout means a time limit ran out: the caller's deadline (the
	// per-host budget; the error then also matches
	// context.DeadlineExceeded), Options.ReadTimeout while waiting for an
	// answer, or Options.ConnectTimeout (then it matches ErrUnreachable
	// too).
	ErrTimeout = errors.New("timed out")

	// ErrFault means the host answered with a WS-Management SOAP fault. The
	// error chain holds a *FaultError with the fault's code.
	ErrFault = errors.New("ws-management fault")

	// ErrProtocol means the host answered something that is not the
	// expected WS-Management answer: not SOAP XML (a web page, a 404, a
	// 413), an unexpected action, or a batch whose output markers are
	// missing.
	ErrProtocol = errors.New("protocol error")

	// ErrInsecure means Dial refused a target whose credentials or
	// messages would travel in clear text over plain HTTP without the
	// explicit Target.AllowUnencrypted opt-in. Nothing was sent.
	ErrInsecure = errors.New("insecure transport refused")

	// ErrOutputTooLarge means a command printed more than
	// Options.MaxOutput bytes (stdout and stderr together). The client
	// stopped reading at the limit, terminated the command and deleted the
	// shell; the error chain holds an *OutputTooLargeError with the head
	// and tail of the output.
	ErrOutputTooLarge = errors.New("command output too large")

	// ErrConfig means the Target or Options are invalid (empty host, bad
	// port, unreadable CA file or krb5.conf, bad client key, unknown
	// transport, ReadTimeout not above OperationTimeout, …), or a command
	// line cannot be sent (it contains "]]>"). Nothing was sent.
	ErrConfig = errors.New("invalid target configuration")
)

// Error is the error type of this package for everything that classifies a
// host. Kind is one of the sentinel errors; Err is the underlying cause (for
// faults, a *FaultError). errors.Is matches both Kind and anything in Err's
// chain.
type Error struct {
	Host string // host:port as dialled
	Op   string // "dial", "create", "command", "receive", "signal", "delete", "batch"
	Kind error  // ErrUnreachable, ErrAuth, ErrTLS, ErrTimeout, ErrFault, ErrProtocol, ErrOutputTooLarge, ErrInsecure or ErrConfig
	Hint string // what an operator can do about it; may be empty
	Err  error  // cause; may be nil

	// also lists further sentinels the error matches (a connect timeout is
	// both ErrUnreachable and ErrTimeout).
	also []error
}

// Error formats as "HOST: OP: KIND: CAUSE (hint: HINT)". It never contains a
// password.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Host != "" {
		b.WriteString(e.Host)
		b.WriteString(": ")
	}
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	if e.Kind != nil {
		b.WriteString(e.Kind.Error())
	}
	if e.Err != nil {
		if e.Kind != nil {
			b.WriteString(": ")
		}
		b.WriteString(e.Err.Error())
	}
	if e.Hint != "" {
		b.WriteString(" (hint: ")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the kind, the cause and any further sentinel the error
// matches, for errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	errs := make([]error, 0, 2+len(e.also))
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return append(errs, e.also...)
}

// WS-Management fault codes (the Code attribute of f:WSManFault) that this
// package treats specially or explains with a hint.
const (
	CodeTimedOut           uint32 = 2150858793 // Receive long-poll expired with no output (retried internally)
	CodeInvalidSelectors   uint32 = 2150858843 // unknown shell or command id
	CodeShellQuota         uint32 = 2150859173 // MaxShellsPerUser exceeded
	CodeOperationsQuota    uint32 = 2150859174 // MaxConcurrentOperationsPerUser exceeded
	CodeUsersQuota         uint32 = 2150859179 // MaxConcurrentUsers exceeded
	CodeAccessDenied       uint32 = 5          // authenticated but not authorized
	CodeInvalidParameter   uint32 = 87
	CodeCommandLineTooLong uint32 = 2147942606 // CreateProcess: the filename or extension is too long
	CodeFileNotFound       uint32 = 2147942402
)

// FaultError is a WS-Management SOAP fault answered by the host. It matches
// ErrFault with errors.Is.
type FaultError struct {
	Op      string // operation that faulted: "create", "command", "receive", "signal", "delete"
	Code    uint32 // WSManFault Code attribute, e.g. 2150859173; 0 if absent
	Subcode string // s:Subcode value without prefix, e.g. "QuotaLimit", "InvalidSelectors"
	Reason  string // f:Message (or s:Reason) text, trimmed
	Machine string // WSManFault Machine attribute, if any
	Status  int    // HTTP status of the answer (500 for real faults)
}

// Error formats as "fault CODE (SUBCODE) on OP: REASON".
func (e *FaultError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "fault %d", e.Code)
	if e.Subcode != "" {
		fmt.Fprintf(&b, " (%s)", e.Subcode)
	}
	if e.Op != "" {
		fmt.Fprintf(&b, " on %s", e.Op)
	}
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	return b.String()
}

// Is reports whether target is ErrFault.
func (e *FaultError) Is(target error) bool { return target == ErrFault }

// faultHint explains the fault codes an operator meets most.
func faultHint(f *FaultError) string {
	switch f.Code {
	case CodeShellQuota:
		return "the user has too many open shells (MaxShellsPerUser); shells left by other tools expire after the shell idle timeout (2 h by default), or raise MaxShellsPerUser on the host"
	case CodeOperationsQuota:
		return "the user has too many concurrent WinRM operations (MaxConcurrentOperationsPerUser); lower the fleet concurrency or raise the quota"
	case CodeUsersQuota:
		return "too many users are connected to WinRM on this host (MaxConcurrentUsers)"
	case CodeInvalidSelectors:
		return "the shell or command no longer exists on the host (WinRM service restarted, shell idle timeout, or deleted by someone else)"
	case CodeAccessDenied:
		return "the user is authenticated but may not use WinRM: add it to the local Administrators or Remote Management Users group"
	case CodeCommandLineTooLong:
		return "the command line is too long for cmd.exe (8191 characters)"
	}
	return ""
}
