package reports

import (
	"slices"

	"github.com/winfleet/winfleet/playbook"
)

// Reason codes are the playbook's (playbook.Code, playbook.Codes): the
// executor decides them and the report carries them as strings in
// Check.Code and Host.Code. This file documents them: CodeInfos returns
// what each means and what an operator does about it, in the order of
// playbook.Codes(), and README.md has the same table (a test keeps the
// three equal).

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
		{string(playbook.CodeMissing), c, "the rule, registry value or service the playbook wants is not on the host", "`winfleet apply` creates it; if it comes back missing, look for a GPO or script that removes it"},
		{string(playbook.CodeDisabled), c, "the rule exists but is disabled", "`winfleet apply` enables it; find out who disabled it"},
		{string(playbook.CodeTooOpen), c, "the rule is open wider than the playbook asks (remote address Any where `subnet` is wanted, all profiles where one is wanted)", "traffic works, but the host is exposed: `winfleet apply` narrows it; find out who widened it"},
		{string(playbook.CodeWrongScope), c, "the rule's remote addresses differ from the playbook's, without being wider", "some intended clients may be blocked: `winfleet apply` sets the scope; check the playbook's `scope` for the host"},
		{string(playbook.CodeWrongPort), c, "the rule's port or protocol differ", "`winfleet apply` sets them; a non-standard port may be deliberate: check with the host's owner first"},
		{string(playbook.CodeWrongProgram), c, "the rule opens another program path (often another SSIS version's `MsDtsSrvr.exe`, or another drive)", "check the host's `sql_version` and where SSIS is installed; `winfleet apply` points the rule at the playbook's path"},
		{string(playbook.CodeWrongRule), c, "the direction, action or another field of the named rule differ (an outbound or block rule under the playbook's name)", "`winfleet apply` rewrites the rule; look at the rule on the host first"},
		{string(playbook.CodeDuplicatesDisagree), c, "several rules with the playbook's name exist and disagree with each other", "`winfleet apply` deletes them and adds one rule; the would-send commands list exactly which"},
		{string(playbook.CodeBlocked), c, "a block rule the playbook does not name shadows the opening (block wins in Windows Firewall)", "needs a person: remove or narrow the block rule by hand (winfleet never deletes rules it does not own), then scan again"},
		{string(playbook.CodeUnwanted), c, "the playbook says `state: absent`, but the rule or value exists", "`winfleet apply` deletes it"},
		{string(playbook.CodeWrongValue), c, "a registry value differs from the playbook's", "`winfleet apply` sets it; some values (the DCOM port range) need a reboot or service restart to take effect"},
		{string(playbook.CodeNotRunning), c, "a service the playbook wants running is not running", "start it (`sc start NAME`) and find out why it stopped (the host's System event log)"},
		{string(playbook.CodeNotStopped), c, "a service the playbook wants stopped is running", "stop it, and disable it if it must stay stopped"},
		{string(playbook.CodeNoSSIS), c, "a check made per SSIS version found no SSIS service (`MsDtsServer*`) on the host", "set `sql_version` for the host if SSIS is installed under another name, or take the host out of the SSIS group"},
		{string(playbook.CodeUnrecognizedOutput), c, "a command's output could not be parsed (a language or a Windows build winfleet does not know)", "the evidence has the raw output: report it with the host's Windows version and language"},
		{string(playbook.CodeNotElevated), c, "the WinRM session is not an administrator's, so netsh cannot read or change the firewall", "use an account in the host's Administrators group; a local account also needs `LocalAccountTokenFilterPolicy=1`"},
		{string(playbook.CodeFirewallStopped), c, "the Windows Firewall service (MpsSvc) is not running, so no rule can be read or changed", "start MpsSvc (and set it to automatic), then scan again"},
		{string(playbook.CodeUnsafeValue), c, "a value (rule name, path, address) would be unsafe on a `cmd.exe` command line, so the check was refused", "fix the value named in the reason, in the inventory or playbook"},
		{string(playbook.CodeUndefinedVar), c, "the playbook uses a var the host does not define", "define the var named in the reason for the host or its group"},
		{string(playbook.CodeWriteFailed), c, "a write command ran and answered with an error (exit code and output in the writes)", "read the command's output in the report; fix the cause, then apply again"},
		{string(playbook.CodeWriteUnconfirmed), c, "a write command was sent and no answer came (connection dropped, budget ran out): its effect on the host is unknown", "scan the host to learn its state, then apply again if needed"},
		{string(playbook.CodeVerifyFailed), c, "apply sent its commands, but the state read back afterwards is still not compliant", "something on the host undoes or overrides the change (a GPO, a block rule): compare before and after in the report"},
		{string(playbook.CodeUnreachable), h, "nothing answered at the host's address and WinRM port (refused, no route, DNS)", "check the address, the port (5985/5986), that WinRM listens (`winrm quickconfig`) and the network path"},
		{string(playbook.CodeAuthFailed), h, "the host refused the credentials (HTTP 401) or the account may not use WinRM", "check user, password (`password_env`) and transport; a locked-out account must be unlocked first"},
		{string(playbook.CodeLockoutGuard), h, "skipped: the shared credential was already refused by other hosts, and trying it here could lock the account out", "fix the credential, then run again for the skipped hosts"},
		{string(playbook.CodeTLS), h, "the TLS handshake or the certificate check failed", "check the host's certificate, its name and the CA file (`ca_file`)"},
		{string(playbook.CodeTimeout), h, "the host's time budget (`--timeout`) or a connect or operation timeout ran out", "the host or the network is slow or hung: check it, or raise `--timeout` for large rule tables"},
		{string(playbook.CodeProtocol), h, "the host answered with something that is not WS-Management (a proxy page, a wrong port)", "check that the address and port are the host's WinRM listener"},
		{string(playbook.CodeFault), h, "the host answered with a WS-Management fault", "the reason has the fault code and text; look it up in the host's WinRM event log"},
		{string(playbook.CodeQuota), h, "a WinRM quota on the host was exceeded (shells per user, concurrent operations)", "lower `--forks` or close other WinRM sessions of that user; raise the quota (`winrm set winrm/config/winrs`) if needed"},
		{string(playbook.CodeInsecureRefused), h, "winfleet refused to send credentials or commands unprotected (plain HTTP without message encryption)", "use HTTPS, or a transport with message encryption (ntlm); `allow_unencrypted` only in a lab"},
		{string(playbook.CodeConfig), h, "the host's inventory entry or connection settings are invalid", "fix the inventory entry named in the reason"},
		{string(playbook.CodeOutputTooLarge), h, "a command printed more than winfleet accepts from one host", "the host has an unusually large rule table or a command misbehaves: set `block_scan: false` for it or look at it by hand"},
		{string(playbook.CodeCancelled), h, "the run was interrupted before the host finished", "run again for the host; if writes were sent, their state is in the report"},
		{string(playbook.CodeMaxFail), h, "skipped: `--max-fail` stopped the rollout before this host", "fix the failures of the hosts before it, then apply again"},
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
		if c.Status.Failing() && c.Code != "" {
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
