package playbook

import "github.com/winfleet/winfleet/playbook/netsh"

// Code is a stable, machine-readable reason for a check that is not pass
// or a host that needs attention. Codes are published (reports carry them,
// dashboards group by them): add codes, never rename them. reports/README.md
// documents each one.
type Code string

// Check codes that come from judging what the host shows (netsh decides
// them).
const (
	CodeMissing            = Code(netsh.CodeMissing)
	CodeDisabled           = Code(netsh.CodeDisabled)
	CodeTooOpen            = Code(netsh.CodeTooOpen)
	CodeWrongScope         = Code(netsh.CodeWrongScope)
	CodeWrongPort          = Code(netsh.CodeWrongPort)
	CodeWrongProgram       = Code(netsh.CodeWrongProgram)
	CodeWrongRule          = Code(netsh.CodeWrongRule)
	CodeDuplicatesDisagree = Code(netsh.CodeDuplicatesDisagree)
	CodeBlocked            = Code(netsh.CodeBlocked)
	CodeUnwanted           = Code(netsh.CodeUnwanted)
	CodeWrongValue         = Code(netsh.CodeWrongValue)
	CodeNotRunning         = Code(netsh.CodeNotRunning)
	CodeNotStopped         = Code(netsh.CodeNotStopped)
)

// Check and host codes the executor decides.
const (
	// CodeNoSSIS: an each: ssis item on a host with no SSIS service.
	CodeNoSSIS Code = "no_ssis"
	// CodeUnrecognizedOutput: output winfleet does not recognise (another
	// language, an unknown layout); kept as evidence, never guessed.
	CodeUnrecognizedOutput Code = "unrecognized_output"
	// CodeNotElevated: the session is not an administrator's.
	CodeNotElevated Code = "not_elevated"
	// CodeFirewallStopped: the Windows Firewall service is not running.
	CodeFirewallStopped Code = "firewall_stopped"
	// CodeUnsafeValue: a value that would reach cmd.exe was refused.
	CodeUnsafeValue Code = "unsafe_value"
	// CodeUndefinedVar: a template or when: names an undefined var, or a
	// var cannot be used (wrong shape, Vault ciphertext).
	CodeUndefinedVar Code = "undefined_var"
	// CodeWriteFailed: a write command ran and failed.
	CodeWriteFailed Code = "write_failed"
	// CodeWriteUnconfirmed: a write was sent and no answer came: its
	// effect on the host is unknown.
	CodeWriteUnconfirmed Code = "write_unconfirmed"
	// CodeVerifyFailed: the re-read after apply is not compliant.
	CodeVerifyFailed Code = "verify_failed"
)

// Host codes for hosts that could not be checked.
const (
	CodeUnreachable     Code = "unreachable"
	CodeAuthFailed      Code = "auth_failed"
	CodeLockoutGuard    Code = "lockout_guard" // skipped: the shared credential was already refused by other hosts
	CodeTLS             Code = "tls"
	CodeTimeout         Code = "timeout"
	CodeProtocol        Code = "protocol"
	CodeFault           Code = "fault"
	CodeQuota           Code = "quota"
	CodeInsecureRefused Code = "insecure_refused"
	CodeConfig          Code = "config"
	CodeOutputTooLarge  Code = "output_too_large"
	CodeCancelled       Code = "cancelled"
	CodeMaxFail         Code = "max_fail" // skipped after --max-fail stopped the rollout
)

// Codes lists every code, check codes first.
func Codes() []Code {
	return []Code{
		CodeMissing, CodeDisabled, CodeTooOpen, CodeWrongScope, CodeWrongPort, CodeWrongProgram, CodeWrongRule,
		CodeDuplicatesDisagree, CodeBlocked, CodeUnwanted, CodeWrongValue, CodeNotRunning, CodeNotStopped,
		CodeNoSSIS, CodeUnrecognizedOutput, CodeNotElevated, CodeFirewallStopped, CodeUnsafeValue, CodeUndefinedVar,
		CodeWriteFailed, CodeWriteUnconfirmed, CodeVerifyFailed,
		CodeUnreachable, CodeAuthFailed, CodeLockoutGuard, CodeTLS, CodeTimeout, CodeProtocol, CodeFault, CodeQuota,
		CodeInsecureRefused, CodeConfig, CodeOutputTooLarge, CodeCancelled, CodeMaxFail,
	}
}
