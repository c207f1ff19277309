package playbook

import (
	"errors"
	"fmt"
	"strings"

	"github.com/winfleet/winfleet/playbook/netsh"
)

// This file holds the status decisions: pure functions of the checks'
// verdicts, table-tested in decide_test.go.

// decision is a host's status with its code and one-line reason.
type decision struct {
	status Status
	code   Code
	reason string
	err    error
	// converge is set when apply has writes to send.
	converge bool
}

// judgeCheck is the status of one check judged before any write. A check
// apply can fix is would_change outside scan mode; one it cannot fix (a
// block rule under another name) is fail.
func judgeCheck(mode Mode, vd verdict) (CheckStatus, Code, string) {
	switch {
	case vd.err != nil:
		return CheckError, codeOf(vd.err), reasonFor(vd.err)
	case vd.res.Compliant:
		return CheckPass, "", ""
	case mode != ModeScan && vd.fixable():
		return CheckWouldChange, Code(vd.res.Code), vd.res.Reason
	}
	return CheckFail, Code(vd.res.Code), vd.res.Reason
}

// decideJudged decides a host from its checks before any write:
//
//	a check error              -> error
//	every check passes          -> compliant
//	scan, a check fails         -> noncompliant
//	check, all fixable          -> would_change
//	check, one not fixable      -> noncompliant
//	apply, nothing fixable      -> failed ("apply cannot fix")
//	apply, something fixable    -> converge
//
// The code is that of the first check that decided the status.
func decideJudged(mode Mode, cs []CheckResult) decision {
	errs, fails, fixes := byStatus(cs, CheckError), byStatus(cs, CheckFail), byStatus(cs, CheckWouldChange)
	switch {
	case len(errs) > 0:
		return decision{status: StatusError, code: errs[0].Code, reason: reasons(errs), err: checkErrors(errs)}
	case len(fails) == 0 && len(fixes) == 0:
		return decision{status: StatusCompliant, reason: fmt.Sprintf("%d checks pass", len(cs))}
	case mode == ModeScan:
		return decision{status: StatusNoncompliant, code: fails[0].Code, reason: reasons(fails)}
	case mode == ModeCheck:
		d := decision{status: StatusWouldChange, reason: reasons(append(fixes, fails...))}
		if len(fails) > 0 {
			d.status, d.code = StatusNoncompliant, fails[0].Code
		} else {
			d.code = fixes[0].Code
		}
		return d
	case len(fixes) == 0:
		return decision{status: StatusFailed, code: fails[0].Code, reason: "apply cannot fix: " + reasons(fails)}
	}
	return decision{converge: true}
}

// decideWritesFailed decides a host whose writes were answered but at least
// one failed: failed, naming the writes.
func decideWritesFailed(cs []CheckResult) decision {
	errs := byStatus(cs, CheckError)
	return decision{status: StatusFailed, code: errs[0].Code, reason: "changes failed: " + reasons(errs), err: checkErrors(errs)}
}

// decideVerified decides a host after apply re-read it: changed when every
// check passes or changed, else failed ("not compliant after apply").
func decideVerified(cs []CheckResult) decision {
	var still, changed []CheckResult
	for _, c := range cs {
		switch c.Status {
		case CheckFail, CheckError:
			still = append(still, c)
		case CheckChanged:
			changed = append(changed, c)
		}
	}
	if len(still) > 0 {
		return decision{status: StatusFailed, code: still[0].Code, reason: "not compliant after apply: " + reasons(still), err: checkErrors(still)}
	}
	return decision{status: StatusChanged, reason: "changed: " + reasons(changed)}
}

func byStatus(cs []CheckResult, s CheckStatus) []CheckResult {
	var out []CheckResult
	for _, c := range cs {
		if c.Status == s {
			out = append(out, c)
		}
	}
	return out
}

// reasons joins "id: reason" of each check.
func reasons(cs []CheckResult) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.ID + ": " + c.reason
	}
	return strings.Join(parts, "; ")
}

// checkErrors joins the checks' errors, keeping them typed.
func checkErrors(cs []CheckResult) error {
	var errs []error
	for _, c := range cs {
		if c.Err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.ID, c.Err))
		}
	}
	return errors.Join(errs...)
}

// resolveErr is the error of a check whose item could not be resolved.
func resolveErr(c check) error {
	if u, ok := c.(unresolved); ok {
		return u.err
	}
	return nil
}

// codeOf is the reason code of an error that stopped a check or a host.
func codeOf(err error) Code {
	var ve *VarError
	var ue *netsh.UnsafeValueError
	var te *TransportError
	switch {
	case errors.As(err, &ve):
		return ve.Code
	case errors.As(err, &te):
		return te.Code
	case errors.Is(err, errNoSSIS):
		return CodeNoSSIS
	case errors.Is(err, netsh.ErrNotElevated):
		return CodeNotElevated
	case errors.Is(err, netsh.ErrFirewallStopped):
		return CodeFirewallStopped
	case errors.As(err, &ue):
		return CodeUnsafeValue
	}
	return CodeUnrecognizedOutput
}

// writeCode is the code of a write whose answer reports a failure.
func writeCode(err error) Code {
	if errors.Is(err, netsh.ErrNotElevated) || errors.Is(err, netsh.ErrFirewallStopped) {
		return codeOf(err)
	}
	return CodeWriteFailed
}

// reasonFor is the one-line reason of an error, with the operator's next
// step where there is a well-known one.
func reasonFor(err error) string {
	switch {
	case errors.Is(err, netsh.ErrNotElevated):
		return "not elevated: winfleet needs an administrator session (a member of the host's Administrators group; a local account also needs LocalAccountTokenFilterPolicy=1, or UAC filters its token)"
	case errors.Is(err, netsh.ErrFirewallStopped):
		return "the Windows Firewall service (MpsSvc) is not running on the host"
	}
	return err.Error()
}
