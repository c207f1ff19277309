package netsh

import (
	"fmt"
	"strings"
)

// Dialect selects which netsh context is used on a host.
type Dialect string

// Dialects. The zero value is invalid; use AutoDialect to pick one from the
// Windows version.
const (
	// Legacy is "netsh firewall ...": exactly the commands of the SSIS guide.
	// Native on Windows 2003, deprecated but working on later versions.
	Legacy Dialect = "legacy"
	// Advfirewall is "netsh advfirewall firewall ...", Vista/2008 and later.
	Advfirewall Dialect = "advfirewall"
)

// ParseDialect accepts "legacy" or "advfirewall" (case-insensitive).
// "auto" is not a dialect: resolve it with AutoDialect.
func ParseDialect(s string) (Dialect, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "legacy":
		return Legacy, nil
	case "advfirewall":
		return Advfirewall, nil
	}
	return "", fmt.Errorf("unknown netsh dialect %q (want legacy or advfirewall)", s)
}

// Kind is what a rule opens: a port or a program.
type Kind string

// Rule kinds.
const (
	KindPort    Kind = "port"
	KindProgram Kind = "program"
)

// State is whether a rule should exist.
type State string

// Rule states. The zero value means StatePresent.
const (
	StatePresent State = "present"
	StateAbsent  State = "absent"
)

// Desired is one firewall rule as the playbook wants it.
type Desired struct {
	// Name is the rule name, e.g. "RPC (TCP/135)". Names are compared
	// case-insensitively, as netsh does. "all" is refused.
	Name string
	// Kind is KindPort (Protocol + Ports) or KindProgram (Program).
	Kind Kind
	// Direction is "in" (default when empty) or "out", case-insensitive.
	Direction string
	// Action is "allow" (default when empty) or "block", case-insensitive.
	Action string
	// Disabled asks for a rule that exists but is disabled; the zero value
	// asks for an enabled rule.
	Disabled bool
	// Protocol is "TCP" or "UDP" for KindPort; empty means TCP.
	Protocol string
	// Ports is the local port or port range for KindPort, e.g. 135 or
	// 5000-5100. The legacy dialect supports a single port only.
	Ports PortRange
	// Program is the executable path for KindProgram, e.g.
	// `%ProgramFiles%\Microsoft SQL Server\130\DTS\Binn\MsDtsSrvr.exe`.
	// %ProgramFiles%, %ProgramFiles(x86)%, %SystemDrive% and %SystemRoot% are
	// allowed and expanded with Options.Env for comparison; they are sent
	// unexpanded (cmd.exe expands them on the host).
	Program string
	// Scope is who may connect. The zero Scope means ScopeSubnet.
	Scope Scope
	// State is present (default) or absent.
	State State
}

// PortRange is a TCP/UDP port or an inclusive range of ports.
type PortRange struct {
	First, Last uint16
}

// ParsePortRange parses "135" or "5000-5100" (1-65535, first <= last).
func ParsePortRange(s string) (PortRange, error) {
	t := strings.TrimSpace(s)
	a, b, isRange := strings.Cut(t, "-")
	first, err := parsePort(a)
	if err != nil {
		return PortRange{}, fmt.Errorf("bad port %q: %v", s, err)
	}
	last := first
	if isRange {
		if last, err = parsePort(b); err != nil {
			return PortRange{}, fmt.Errorf("bad port range %q: %v", s, err)
		}
		if last < first {
			return PortRange{}, fmt.Errorf("bad port range %q: end before start", s)
		}
	}
	return PortRange{First: first, Last: last}, nil
}

func parsePort(s string) (uint16, error) {
	if s == "" || len(s) > 5 {
		return 0, fmt.Errorf("want a number 1-65535")
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("want a number 1-65535")
		}
		n = n*10 + int(c-'0')
	}
	if n < 1 || n > 65535 {
		return 0, fmt.Errorf("want a number 1-65535")
	}
	return uint16(n), nil
}

// Port returns the range holding the single port p.
func Port(p uint16) PortRange { return PortRange{First: p, Last: p} }

// String returns "135" or "5000-5100".
func (r PortRange) String() string {
	if r.First == r.Last {
		return fmt.Sprint(r.First)
	}
	return fmt.Sprintf("%d-%d", r.First, r.Last)
}

// Rule is one firewall rule (advfirewall) or exception (legacy) as read back
// from the host. Fields not shown by a command are empty. For legacy
// exceptions Direction is "In" and Action is "Allow"; port openings have
// Program empty, allowed programs have Protocol "Any".
type Rule struct {
	Name        string
	Description string
	Enabled     bool
	// Direction is "In" or "Out".
	Direction string
	// Profiles lists the profiles in netsh spelling: Domain, Private, Public
	// (advfirewall) or Domain, Standard (legacy sections).
	Profiles []string
	Grouping string
	LocalIP  Scope
	// RemoteIP is the rule's remote address scope. For legacy output without
	// a Scope: detail line it has Kind ScopeUnknown.
	RemoteIP Scope
	// Protocol is "TCP", "UDP", "ICMPv4", "ICMPv6", "Any" or a number.
	Protocol string
	// LocalPort and RemotePort are the raw netsh values ("135", "Any",
	// "5000-5100", "80,443", "RPC-EPMap"); empty when not shown.
	LocalPort  string
	RemotePort string
	// ICMP holds the ICMP type/code rows of an ICMPv4/ICMPv6 rule.
	ICMP           []ICMPTypeCode
	EdgeTraversal  string
	Program        string
	Service        string
	InterfaceTypes string
	Security       string
	RuleSource     string
	// Action is "Allow", "Block" or "Bypass".
	Action string
	// Extra holds fields with labels this package does not know.
	Extra map[string]string
}

// ICMPTypeCode is one row of the ICMP sub-table of a rule.
type ICMPTypeCode struct {
	Type, Code string
}

// Output is what one command printed, as captured by the caller.
type Output struct {
	// Command is the command line that was run (used in error messages).
	Command string
	// Stdout and Stderr are the decoded output (see Decode).
	Stdout, Stderr string
	// ExitCode is the process exit code.
	ExitCode int
}

// Options tell the render and evaluate functions about the host.
type Options struct {
	// Dialect is the netsh dialect used on the host.
	Dialect Dialect
	// Env holds the host's values of ProgramFiles, ProgramFiles(x86),
	// SystemDrive and SystemRoot (keys case-insensitive, without %). Missing
	// keys leave the variable unexpanded. DefaultEnv has Windows' defaults.
	Env map[string]string
	// BlockScan makes the advfirewall dialect read every inbound rule
	// ("show rule name=all dir=in verbose") instead of the named rule, so
	// that a block rule under another name is found. Slower on hosts with
	// many rules; see README.md. Ignored by the legacy dialect, which has no
	// block rules.
	BlockScan bool
}

// DefaultEnv returns the default values of the environment variables allowed
// in program paths on a 64-bit Windows installed on C:.
func DefaultEnv() map[string]string {
	return map[string]string{
		"ProgramFiles":      `C:\Program Files`,
		"ProgramFiles(x86)": `C:\Program Files (x86)`,
		"SystemDrive":       `C:`,
		"SystemRoot":        `C:\Windows`,
	}
}

// Result is the verdict of Evaluate for one desired rule (or of
// EvaluateDCOM / EvaluateService).
type Result struct {
	// Compliant is true when the host already is in the desired state.
	Compliant bool
	// Reason says in one line why the check fails; empty when compliant.
	Reason string
	// Expected and Actual are short descriptions for the report.
	Expected, Actual string
	// Commands are the minimal ordered command lines that converge the host,
	// in the evaluated dialect; empty when compliant or when nothing can be
	// done safely.
	Commands []string
	// NeedsHuman is true when Commands alone cannot make the host compliant:
	// a rule the playbook does not name blocks the traffic and apply never
	// touches such a rule. Reason names it. apply must report failed.
	NeedsHuman bool
	// Code is the machine-readable reason when not compliant: one of the
	// Code* constants, the most important one when there are several
	// (see codePriority).
	Code string
}

// Reason codes of a verdict. They are published in reports (see
// reports/README.md); add, never rename.
const (
	CodeMissing            = "missing"             // the rule or value does not exist
	CodeDisabled           = "disabled"            // the rule exists but is disabled
	CodeTooOpen            = "too_open"            // open wider than asked (scope, port or program)
	CodeWrongScope         = "wrong_scope"         // the scope differs and is not wider
	CodeWrongPort          = "wrong_port"          // protocol or local port differ
	CodeWrongProgram       = "wrong_program"       // the program path differs
	CodeWrongRule          = "wrong_rule"          // direction, action or another restriction differs
	CodeDuplicatesDisagree = "duplicates_disagree" // several rules with the name disagree
	CodeBlocked            = "blocked"             // a block rule the playbook does not name shadows it
	CodeUnwanted           = "unwanted"            // state absent, but it exists
	CodeWrongValue         = "wrong_value"         // a registry value has the wrong type or data
	CodeNotRunning         = "not_running"         // the service is not running
	CodeNotStopped         = "not_stopped"         // the service should be stopped
)

// codePriority orders codes when a verdict has several reasons: what needs
// a person first, then what is too open, then what is absent.
var codePriority = []string{CodeBlocked, CodeTooOpen, CodeUnwanted, CodeMissing, CodeDuplicatesDisagree,
	CodeDisabled, CodeWrongProgram, CodeWrongPort, CodeWrongScope, CodeWrongRule, CodeWrongValue, CodeNotRunning, CodeNotStopped}

// topCode returns the highest-priority code of codes.
func topCode(codes []string) string {
	best, bestRank := "", len(codePriority)
	for _, c := range codes {
		for i, p := range codePriority {
			if c == p && i < bestRank {
				best, bestRank = c, i
			}
		}
	}
	return best
}
