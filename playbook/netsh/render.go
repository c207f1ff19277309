package netsh

import (
	"fmt"
	"strings"
)

// Command prefixes.
const (
	legacyPrefix = "netsh firewall "
	advPrefix    = "netsh advfirewall firewall "
)

// envVars are the environment variables allowed in program paths, in their
// canonical spelling. Only these may bring a % onto a command line.
var envVars = []string{"ProgramFiles", "ProgramFiles(x86)", "SystemDrive", "SystemRoot"}

// unsafeChars are refused in every value that reaches a command line: cmd.exe
// metacharacters, the quote that ends our quoting, ! (delayed expansion under
// cmd /v:on) and % (variable expansion; paths get a narrow exception).
const unsafeChars = "\"&|<>^!%"

// lookalikeChars are the fullwidth and typographic forms of unsafeChars that
// Windows' "best fit" conversion to an ANSI code page can turn back into the
// ASCII metacharacter; refused for the same reason.
const lookalikeChars = "\uFF02\uFF06\uFF5C\uFF1C\uFF1E\uFF3E\uFF01\uFF05\u201C\u201D\u201E\u02BA\u2033"

// checkText refuses empty values, control characters and unsafeChars.
func checkText(field, v string) error {
	if strings.TrimSpace(v) == "" {
		return &UnsafeValueError{Field: field, Value: v, Reason: "empty"}
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			return &UnsafeValueError{Field: field, Value: v, Reason: "control character or line break"}
		}
		if strings.ContainsRune(unsafeChars, r) || strings.ContainsRune(lookalikeChars, r) {
			return &UnsafeValueError{Field: field, Value: v, Reason: fmt.Sprintf("character %q is not allowed", r)}
		}
	}
	return nil
}

// checkRuleName validates a rule name: checkText, and not "all", which netsh
// reads as every rule (a delete would remove them all).
func checkRuleName(v string) error {
	if err := checkText("rule name", v); err != nil {
		return err
	}
	if strings.EqualFold(strings.TrimSpace(v), "all") {
		return &UnsafeValueError{Field: "rule name", Value: v, Reason: `"all" means every rule to netsh`}
	}
	if v != strings.TrimSpace(v) {
		return &UnsafeValueError{Field: "rule name", Value: v, Reason: "leading or trailing blanks"}
	}
	return nil
}

// checkProgram validates a program path. % is allowed only as part of
// %ProgramFiles%, %ProgramFiles(x86)%, %SystemDrive% or %SystemRoot%; the
// path must be absolute (drive, UNC, or one of those variables first).
func checkProgram(v string) error {
	rest := v
	var b strings.Builder
	for {
		i := strings.IndexByte(rest, '%')
		if i < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i])
		j := strings.IndexByte(rest[i+1:], '%')
		if j < 0 {
			return &UnsafeValueError{Field: "program", Value: v, Reason: "unpaired %"}
		}
		name := rest[i+1 : i+1+j]
		if !knownEnvVar(name) {
			return &UnsafeValueError{Field: "program", Value: v, Reason: fmt.Sprintf("%%%s%% is not an allowed variable (allowed: %%%s%%)", name, strings.Join(envVars, "%, %"))}
		}
		b.WriteString("X")
		rest = rest[i+j+2:]
	}
	plain := b.String()
	if err := checkText("program", plain); err != nil {
		return &UnsafeValueError{Field: "program", Value: v, Reason: err.(*UnsafeValueError).Reason}
	}
	abs := strings.HasPrefix(v, `\\`) || strings.HasPrefix(v, "%") ||
		(len(v) >= 3 && isLetter(v[0]) && v[1] == ':' && v[2] == '\\')
	if !abs {
		return &UnsafeValueError{Field: "program", Value: v, Reason: `not an absolute path (want C:\..., \\server\... or %ProgramFiles%\...)`}
	}
	return nil
}

func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }

func knownEnvVar(name string) bool {
	for _, e := range envVars {
		if strings.EqualFold(e, name) {
			return true
		}
	}
	return false
}

// ExpandEnv replaces %ProgramFiles%, %ProgramFiles(x86)%, %SystemDrive% and
// %SystemRoot% (case-insensitive) with their values in env (keys
// case-insensitive). Other text, and variables env lacks, stay as they are.
func ExpandEnv(path string, env map[string]string) string {
	if !strings.Contains(path, "%") {
		return path
	}
	var b strings.Builder
	rest := path
	for {
		i := strings.IndexByte(rest, '%')
		if i < 0 {
			b.WriteString(rest)
			return b.String()
		}
		j := strings.IndexByte(rest[i+1:], '%')
		if j < 0 {
			b.WriteString(rest)
			return b.String()
		}
		name := rest[i+1 : i+1+j]
		val, ok := lookupEnv(env, name)
		if !ok || !knownEnvVar(name) {
			b.WriteString(rest[:i+1])
			rest = rest[i+1:]
			continue
		}
		b.WriteString(rest[:i])
		b.WriteString(val)
		rest = rest[i+j+2:]
	}
}

func lookupEnv(env map[string]string, name string) (string, bool) {
	if v, ok := env[name]; ok {
		return v, true
	}
	for k, v := range env {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// want is a validated, normalised Desired.
type want struct {
	name       string
	kind       Kind
	dir        string // "In" | "Out"
	action     string // "Allow" | "Block"
	enabled    bool
	protocol   string // "TCP" | "UDP" (port rules)
	ports      PortRange
	program    string // as given (sent on the command line)
	programExp string // expanded with opts.Env (compared)
	scope      Scope
	state      State
}

func (d Desired) normalise(opts Options) (want, error) {
	w := want{name: d.Name, kind: d.Kind, enabled: !d.Disabled, scope: d.Scope, state: d.State}
	if err := checkRuleName(d.Name); err != nil {
		return want{}, err
	}
	switch strings.ToLower(d.Direction) {
	case "", "in":
		w.dir = "In"
	case "out":
		w.dir = "Out"
	default:
		return want{}, fmt.Errorf("rule %q: direction %q: want in or out", d.Name, d.Direction)
	}
	switch strings.ToLower(d.Action) {
	case "", "allow":
		w.action = "Allow"
	case "block":
		w.action = "Block"
	default:
		return want{}, fmt.Errorf("rule %q: action %q: want allow or block", d.Name, d.Action)
	}
	switch d.State {
	case "":
		w.state = StatePresent
	case StatePresent, StateAbsent:
	default:
		return want{}, fmt.Errorf("rule %q: state %q: want present or absent", d.Name, d.State)
	}
	switch d.Kind {
	case KindPort:
		switch strings.ToUpper(d.Protocol) {
		case "", "TCP":
			w.protocol = "TCP"
		case "UDP":
			w.protocol = "UDP"
		default:
			return want{}, fmt.Errorf("rule %q: protocol %q: want TCP or UDP", d.Name, d.Protocol)
		}
		if d.Ports.First == 0 || d.Ports.Last < d.Ports.First {
			return want{}, fmt.Errorf("rule %q: port %s: want 1-65535 or a range", d.Name, d.Ports)
		}
		if d.Program != "" {
			return want{}, fmt.Errorf("rule %q: a port rule has no program", d.Name)
		}
		w.ports = d.Ports
	case KindProgram:
		if err := checkProgram(d.Program); err != nil {
			return want{}, err
		}
		w.program = d.Program
		w.programExp = ExpandEnv(d.Program, opts.Env)
	default:
		return want{}, fmt.Errorf("rule %q: kind %q: want port or program", d.Name, d.Kind)
	}
	switch d.Scope.Kind {
	case ScopeUnknown:
		w.scope = Scope{Kind: ScopeSubnet}
	case ScopeCustom:
		if len(d.Scope.Addresses) == 0 {
			return want{}, fmt.Errorf("rule %q: custom scope without addresses", d.Name)
		}
		w.scope = customScope(normaliseAddresses(append([]Address(nil), d.Scope.Addresses...)))
	}
	switch opts.Dialect {
	case Advfirewall:
	case Legacy:
		if w.dir != "In" || w.action != "Allow" {
			return want{}, fmt.Errorf("rule %q: the legacy dialect only opens inbound exceptions (want direction in, action allow)", d.Name)
		}
		if w.kind == KindPort && w.ports.First != w.ports.Last {
			return want{}, fmt.Errorf("rule %q: %w, not %s", d.Name, ErrLegacyPortRange, w.ports)
		}
	default:
		return want{}, fmt.Errorf("unknown netsh dialect %q", opts.Dialect)
	}
	return w, nil
}

// ReadCommand returns the command that reads the state of want's rule:
// legacy "netsh firewall show portopening|allowedprogram verbose=ENABLE";
// advfirewall `netsh advfirewall firewall show rule name="NAME" verbose`, or
// with opts.BlockScan "netsh advfirewall firewall show rule name=all dir=in
// verbose" (dir=out for an outbound rule). Parse its output with ParseShow.
func ReadCommand(d Desired, opts Options) (string, error) {
	w, err := d.normalise(opts)
	if err != nil {
		return "", err
	}
	if opts.Dialect == Legacy {
		if w.kind == KindPort {
			return legacyPrefix + "show portopening verbose=ENABLE", nil
		}
		return legacyPrefix + "show allowedprogram verbose=ENABLE", nil
	}
	if opts.BlockScan {
		return advPrefix + "show rule name=all dir=" + strings.ToLower(w.dir) + " verbose", nil
	}
	return advPrefix + `show rule name="` + w.name + `" verbose`, nil
}

// AddCommand returns the command that creates want's rule in opts.Dialect.
// The legacy commands are the SSIS guide's, byte for byte:
//
//	netsh firewall add portopening protocol=TCP port=135 name="RPC (TCP/135)" mode=ENABLE scope=SUBNET
//	netsh firewall add allowedprogram program="%ProgramFiles%\...\MsDtsSrvr.exe" name="SSIS Service" scope=SUBNET
func AddCommand(d Desired, opts Options) (string, error) {
	w, err := d.normalise(opts)
	if err != nil {
		return "", err
	}
	return w.add(opts.Dialect), nil
}

// DeleteCommand returns the command that deletes the rules matching want's
// name and definition (direction and protocol+port, or program) in
// opts.Dialect. The legacy dialect keys exceptions by port or program only
// and deletes in both profiles:
//
//	netsh firewall delete portopening protocol=TCP port=135 profile=ALL
//	netsh firewall delete allowedprogram program="..." profile=ALL
func DeleteCommand(d Desired, opts Options) (string, error) {
	w, err := d.normalise(opts)
	if err != nil {
		return "", err
	}
	if opts.Dialect == Legacy {
		if w.kind == KindPort {
			return legacyDeletePort(w.protocol, w.ports.String()), nil
		}
		return legacyDeleteProgram(w.program), nil
	}
	if w.kind == KindPort {
		return w.advMatch("delete") + " protocol=" + w.protocol + " localport=" + w.ports.String(), nil
	}
	return w.advMatch("delete") + ` program="` + w.program + `"`, nil
}

func (w want) add(d Dialect) string {
	if d == Legacy {
		var b strings.Builder
		if w.kind == KindPort {
			fmt.Fprintf(&b, `%sadd portopening protocol=%s port=%s name="%s" mode=%s`, legacyPrefix, w.protocol, w.ports, w.name, legacyMode(w.enabled))
		} else {
			fmt.Fprintf(&b, `%sadd allowedprogram program="%s" name="%s"`, legacyPrefix, w.program, w.name)
			if !w.enabled {
				b.WriteString(" mode=DISABLE")
			}
		}
		b.WriteString(" " + legacyScope(w.scope))
		return b.String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, `%sadd rule name="%s" dir=%s action=%s`, advPrefix, w.name, strings.ToLower(w.dir), strings.ToLower(w.action))
	if w.kind == KindPort {
		fmt.Fprintf(&b, " protocol=%s localport=%s remoteip=%s profile=any", w.protocol, w.ports, advScope(w.scope))
		if !w.enabled {
			b.WriteString(" enable=no")
		}
	} else {
		fmt.Fprintf(&b, ` program="%s" remoteip=%s profile=any enable=%s`, w.program, advScope(w.scope), yesNo(w.enabled))
	}
	return b.String()
}

// advMatch returns `netsh advfirewall firewall VERB rule name="NAME" dir=in`.
func (w want) advMatch(verb string) string {
	return fmt.Sprintf(`%s%s rule name="%s" dir=%s`, advPrefix, verb, w.name, strings.ToLower(w.dir))
}

// legacyDeletePort and legacyDeleteProgram delete in both profiles legacy
// netsh knows (profile=ALL is Domain + Standard). Without it netsh deletes in
// the current profile only, and an exception left in the other profile would
// survive every apply (see README.md).
func legacyDeletePort(protocol, port string) string {
	return legacyPrefix + "delete portopening protocol=" + protocol + " port=" + port + " profile=ALL"
}

func legacyDeleteProgram(program string) string {
	return legacyPrefix + `delete allowedprogram program="` + program + `" profile=ALL`
}

func legacyMode(enabled bool) string {
	if enabled {
		return "ENABLE"
	}
	return "DISABLE"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// legacyScope renders scope=SUBNET | scope=ALL | scope=CUSTOM addresses=....
// Addresses come from a parsed Scope, so they hold only address characters.
func legacyScope(s Scope) string {
	switch s.Kind {
	case ScopeAll:
		return "scope=ALL"
	case ScopeCustom:
		return "scope=CUSTOM addresses=" + s.String()
	}
	return "scope=SUBNET"
}

// advScope renders the remoteip= value: localsubnet | any | a list.
func advScope(s Scope) string {
	switch s.Kind {
	case ScopeAll:
		return "any"
	case ScopeCustom:
		return s.String()
	}
	return "localsubnet"
}
