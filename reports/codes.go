package reports

import "slices"

// Reason codes of checks: why a check is not pass. They are stable, machine
// readable values of Check.Code (and of Host.Code for a drifted host, which
// takes the code of its first failing check). README.md has the table of
// every code with what an operator does about it; CodeInfos returns the same
// table and a test keeps the two equal.
const (
	CodeMissing            = "missing"             // the rule, value or service the playbook wants is not there
	CodeDisabled           = "disabled"            // the rule is there but disabled
	CodeTooOpen            = "too_open"            // open wider than asked (Any where subnet is wanted)
	CodeWrongScope         = "wrong_scope"         // scope differs but is not wider
	CodeWrongPort          = "wrong_port"          // port or protocol differ
	CodeWrongProgram       = "wrong_program"       // the rule opens another program
	CodeWrongRule          = "wrong_rule"          // direction, action or another field of the rule differ
	CodeDuplicatesDisagree = "duplicates_disagree" // several rules of that name disagree
	CodeBlocked            = "blocked"             // a block rule the playbook does not name shadows the opening
	CodeUnwanted           = "unwanted"            // state: absent, but the rule or value exists
	CodeWrongValue         = "wrong_value"         // a registry value differs
	CodeNotRunning         = "not_running"         // a service that should run does not
	CodeNotStopped         = "not_stopped"         // a service that should be stopped runs
	CodeNoSSIS             = "no_ssis"             // a per-SSIS-version check found no SSIS installed
	CodeUnrecognizedOutput = "unrecognized_output" // a command's output could not be parsed
	CodeNotElevated        = "not_elevated"        // the session is not an administrator's
	CodeFirewallStopped    = "firewall_stopped"    // the Windows Firewall service (MpsSvc) is not running
	CodeUnsafeValue        = "unsafe_value"        // a value would be unsafe on a command line; refused
	CodeUndefinedVar       = "undefined_var"       // the playbook uses a var the host does not define
	CodeWriteFailed        = "write_failed"        // a write command answered with an error
	CodeWriteUnconfirmed   = "write_unconfirmed"   // a write was sent and no answer came: effect unknown
	CodeVerifyFailed       = "verify_failed"       // re-read after apply: still not compliant
)

// Reason codes of hosts that have no failing check to take a code from:
// transport failures, and hosts winfleet did not work on.
const (
	CodeUnreachable     = "unreachable"      // nothing answered at the address and port
	CodeAuthFailed      = "auth_failed"      // the host refused the credentials
	CodeLockoutGuard    = "lockout_guard"    // skipped: the shared credential was refused by other hosts
	CodeTLS             = "tls"              // the TLS handshake or certificate check failed
	CodeTimeout         = "timeout"          // the host's time budget or an operation timeout ran out
	CodeProtocol        = "protocol"         // the host answered something that is not WS-Management
	CodeFault           = "fault"            // the host answered with a WS-Management fault
	CodeQuota           = "quota"            // a WinRM quota (shells, concurrent operations) was exceeded
	CodeInsecureRefused = "insecure_refused" // winfleet refused to send credentials or commands unprotected
	CodeConfig          = "config"           // the host's inventory entry or connection settings are invalid
	CodeOutputTooLarge  = "output_too_large" // a command printed more than winfleet accepts
	CodeCancelled       = "cancelled"        // the run was interrupted before the host finished
	CodeMaxFail         = "max_fail"         // skipped: --max-fail stopped the rollout first
)

// CodeLevel says where a reason code is set.
type CodeLevel string

// Code levels.
const (
	// CodeLevelCheck codes are set on checks (and copied to a drifted or
	// failed host from its first failing check).
	CodeLevelCheck CodeLevel = "check"
	// CodeLevelHost codes are set on hosts that could not be checked or
	// were not worked on.
	CodeLevelHost CodeLevel = "host"
)

// CodeInfo documents one reason code: what it means and what an operator
// does about it.
type CodeInfo struct {
	Code    string
	Level   CodeLevel
	Meaning string
	Action  string
}

// CodeInfos returns every documented reason code, check codes first, in
// the order of README.md's table.
func CodeInfos() []CodeInfo {
	c, h := CodeLevelCheck, CodeLevelHost
	return []CodeInfo{
		{CodeMissing, c, "the rule, registry value or service the playbook wants is not on the host", "`winfleet apply` creates it; if it comes back missing, look for a GPO or script that removes it"},
		{CodeDisabled, c, "the rule exists but is disabled", "`winfleet apply` enables it; find out who disabled it"},
		{CodeTooOpen, c, "the rule is open wider than the playbook asks (remote address Any where `subnet` is wanted, all profiles where one is wanted)", "traffic works, but the host is exposed: `winfleet apply` narrows it; find out who widened it"},
		{CodeWrongScope, c, "the rule's remote addresses differ from the playbook's, without being wider", "some intended clients may be blocked: `winfleet apply` sets the scope; check the playbook's `scope` for the host"},
		{CodeWrongPort, c, "the rule's port or protocol differ", "`winfleet apply` sets them; a non-standard port may be deliberate: check with the host's owner first"},
		{CodeWrongProgram, c, "the rule opens another program path (often another SSIS version's `MsDtsSrvr.exe`, or another drive)", "check the host's `sql_version` and where SSIS is installed; `winfleet apply` points the rule at the playbook's path"},
		{CodeWrongRule, c, "the direction, action or another field of the named rule differ (an outbound or block rule under the playbook's name)", "`winfleet apply` rewrites the rule; look at the rule on the host first"},
		{CodeDuplicatesDisagree, c, "several rules with the playbook's name exist and disagree with each other", "`winfleet apply` deletes them and adds one rule; the would-send commands list exactly which"},
		{CodeBlocked, c, "a block rule the playbook does not name shadows the opening (block wins in Windows Firewall)", "needs a person: remove or narrow the block rule by hand (winfleet never deletes rules it does not own), then scan again"},
		{CodeUnwanted, c, "the playbook says `state: absent`, but the rule or value exists", "`winfleet apply` deletes it"},
		{CodeWrongValue, c, "a registry value differs from the playbook's", "`winfleet apply` sets it; some values (the DCOM port range) need a reboot or service restart to take effect"},
		{CodeNotRunning, c, "a service the playbook wants running is not running", "start it (`sc start NAME`) and find out why it stopped (the host's System event log)"},
		{CodeNotStopped, c, "a service the playbook wants stopped is running", "stop it, and disable it if it must stay stopped"},
		{CodeNoSSIS, c, "a check made per SSIS version found no SSIS service (`MsDtsServer*`) on the host", "set `sql_version` for the host if SSIS is installed under another name, or take the host out of the SSIS group"},
		{CodeUnrecognizedOutput, c, "a command's output could not be parsed (a language or a Windows build winfleet does not know)", "the evidence has the raw output: report it with the host's Windows version and language"},
		{CodeNotElevated, c, "the WinRM session is not an administrator's, so netsh cannot read or change the firewall", "use an account in the host's Administrators group; a local account also needs `LocalAccountTokenFilterPolicy=1`"},
		{CodeFirewallStopped, c, "the Windows Firewall service (MpsSvc) is not running, so no rule can be read or changed", "start MpsSvc (and set it to automatic), then scan again"},
		{CodeUnsafeValue, c, "a value (rule name, path, address) would be unsafe on a `cmd.exe` command line, so the check was refused", "fix the value named in the reason, in the inventory or playbook"},
		{CodeUndefinedVar, c, "the playbook uses a var the host does not define", "define the var named in the reason for the host or its group"},
		{CodeWriteFailed, c, "a write command ran and answered with an error (exit code and output in the writes)", "read the command's output in the report; fix the cause, then apply again"},
		{CodeWriteUnconfirmed, c, "a write command was sent and no answer came (connection dropped, budget ran out): its effect on the host is unknown", "scan the host to learn its state, then apply again if needed"},
		{CodeVerifyFailed, c, "apply sent its commands, but the state read back afterwards is still not compliant", "something on the host undoes or overrides the change (a GPO, a block rule): compare before and after in the report"},
		{CodeUnreachable, h, "nothing answered at the host's address and WinRM port (refused, no route, DNS)", "check the address, the port (5985/5986), that WinRM listens (`winrm quickconfig`) and the network path"},
		{CodeAuthFailed, h, "the host refused the credentials (HTTP 401) or the account may not use WinRM", "check user, password (`password_env`) and transport; a locked-out account must be unlocked first"},
		{CodeLockoutGuard, h, "skipped: the shared credential was already refused by other hosts, and trying it here could lock the account out", "fix the credential, then run again for the skipped hosts"},
		{CodeTLS, h, "the TLS handshake or the certificate check failed", "check the host's certificate, its name and the CA file (`ca_file`)"},
		{CodeTimeout, h, "the host's time budget (`--timeout`) or a connect or operation timeout ran out", "the host or the network is slow or hung: check it, or raise `--timeout` for large rule tables"},
		{CodeProtocol, h, "the host answered with something that is not WS-Management (a proxy page, a wrong port)", "check that the address and port are the host's WinRM listener"},
		{CodeFault, h, "the host answered with a WS-Management fault", "the reason has the fault code and text; look it up in the host's WinRM event log"},
		{CodeQuota, h, "a WinRM quota on the host was exceeded (shells per user, concurrent operations)", "lower `--forks` or close other WinRM sessions of that user; raise the quota (`winrm set winrm/config/winrs`) if needed"},
		{CodeInsecureRefused, h, "winfleet refused to send credentials or commands unprotected (plain HTTP without message encryption)", "use HTTPS, or a transport with message encryption (ntlm); `allow_unencrypted` only in a lab"},
		{CodeConfig, h, "the host's inventory entry or connection settings are invalid", "fix the inventory entry named in the reason"},
		{CodeOutputTooLarge, h, "a command printed more than winfleet accepts from one host", "the host has an unusually large rule table or a command misbehaves: set `block_scan: false` for it or look at it by hand"},
		{CodeCancelled, h, "the run was interrupted before the host finished", "run again for the host; if writes were sent, their state is in the report"},
		{CodeMaxFail, h, "skipped: `--max-fail` stopped the rollout before this host", "fix the failures of the hosts before it, then apply again"},
	}
}

// CodeInfoFor returns the documentation of a reason code, and whether it is
// documented.
func CodeInfoFor(code string) (CodeInfo, bool) {
	infos := CodeInfos()
	i := slices.IndexFunc(infos, func(c CodeInfo) bool { return c.Code == code })
	if i < 0 {
		return CodeInfo{}, false
	}
	return infos[i], true
}

// hostCode is the code a host is shown and grouped under: its Code, else
// (a report written before codes existed, or by an executor that left it
// empty) the code of its first check that did not pass, else "".
func hostCode(h Host) string {
	if h.Code != "" {
		return h.Code
	}
	if h.Status.OK() {
		return ""
	}
	for _, c := range h.Checks {
		if !c.Status.OK() && c.Status != CheckSkipped && c.Code != "" {
			return c.Code
		}
	}
	return ""
}

// hostCause is what a host needing attention is grouped under in "by
// cause" tables: its code (hostCode), else its status, so that reports
// without codes still group (unreachable, auth_failed, timeout are codes
// too).
func hostCause(h Host) string {
	if c := hostCode(h); c != "" {
		return c
	}
	return string(h.Status)
}
