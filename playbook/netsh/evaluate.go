package netsh

import (
	"fmt"
	"strconv"
	"strings"
)

// Evaluate compares the observed rules (parsed from ReadCommand's output)
// with the desired rule d and returns the verdict, the expected and actual
// state for the report, and the commands that converge the host in
// opts.Dialect.
//
// Rules are the playbook's own when their name equals d.Name
// (case-insensitive, as netsh matches names) and their direction is d's.
// Present: one own rule, or several that agree, must be enabled, have d's
// action, protocol and local port (port rules) or program (program rules,
// compared case-insensitively after expanding the allowed environment
// variables with opts.Env), no narrower restriction (remote port, local
// address, service, interface type, IPsec), and exactly d's remote scope;
// a wider scope is reported as "too open". Profiles are not judged (they
// are shown in Actual). Drift on one rule is fixed with one "set rule"
// (advfirewall) or delete + add (legacy); own rules that disagree are all
// deleted and one is added. An enabled block rule under another name that
// covers d (same direction; TCP/UDP port overlap or same program) makes the
// check fail with NeedsHuman: apply never touches a rule the playbook does
// not name. Absent: only own rules matching d's definition (protocol and
// port, or program) are deleted.
//
// Evaluate returns an error only when it cannot judge (legacy output that
// does not show the scope of an own rule) or a value is unsafe to render
// (*UnsafeValueError), including a program path read from the host.
func Evaluate(d Desired, rules []Rule, opts Options) (Result, error) {
	w, err := d.normalise(opts)
	if err != nil {
		return Result{}, err
	}
	var own, otherDir, blockers []Rule
	for _, r := range rules {
		if strings.EqualFold(r.Name, w.name) {
			if r.Direction == w.dir {
				own = append(own, r)
			} else {
				otherDir = append(otherDir, r)
			}
			continue
		}
		if w.action == "Allow" && r.Enabled && r.Direction == w.dir && r.Action == "Block" && w.blockedBy(r, opts.Env) {
			blockers = append(blockers, r)
		}
	}
	res := Result{Expected: w.describe(), Actual: describeRules(own, otherDir, blockers)}
	prefix := fmt.Sprintf("rule %q: ", w.name)

	if w.state == StateAbsent {
		return w.evaluateAbsent(res, own, prefix, opts)
	}

	for _, r := range own {
		if r.RemoteIP.Kind == ScopeUnknown {
			return Result{}, fmt.Errorf("%snetsh did not show the rule's scope (legacy show needs verbose=ENABLE)", prefix)
		}
	}
	issues, cmds, err := w.present(own, otherDir, opts)
	if err != nil {
		return Result{}, err
	}
	res.Commands = cmds
	var reasons, codes []string
	for _, is := range issues {
		reasons = append(reasons, is.text)
		codes = append(codes, is.code)
	}
	for _, b := range blockers {
		reasons = append(reasons, fmt.Sprintf("blocked by rule %q (%s), which the playbook does not name: remove or change it by hand", b.Name, describeRule(b)))
		codes = append(codes, CodeBlocked)
		res.NeedsHuman = true
	}
	if len(reasons) == 0 {
		res.Compliant = true
		return res, nil
	}
	res.Reason = prefix + strings.Join(reasons, "; ")
	res.Code = topCode(codes)
	return res, nil
}

// evaluateAbsent judges a rule that must not exist: only own rules with
// w's definition count, and are deleted.
func (w want) evaluateAbsent(res Result, own []Rule, prefix string, opts Options) (Result, error) {
	res.Expected = "absent"
	var del []Rule
	for _, r := range own {
		if w.sameDefinition(r, opts.Env) {
			del = append(del, r)
		}
	}
	if len(del) == 0 {
		res.Compliant = true
		return res, nil
	}
	res.Reason = prefix + "present, want absent"
	res.Code = CodeUnwanted
	if len(del) > 1 {
		res.Reason = prefix + fmt.Sprintf("%d rules present, want absent", len(del))
	}
	var err error
	res.Commands, err = w.deleteObserved(del, opts.Dialect, true)
	return res, err
}

// present lists how the host's own rules differ from a rule that must
// exist, and the commands that fix it: add a missing rule; replace
// disagreeing duplicates with one; set (advfirewall) or delete and add
// (legacy, or what set cannot change) a drifted rule.
func (w want) present(own, otherDir []Rule, opts Options) ([]issue, []string, error) {
	switch {
	case len(own) == 0:
		m := "missing"
		if len(otherDir) > 0 {
			m = fmt.Sprintf("missing (found %d %s rule(s) with this name)", len(otherDir), dirWord(otherDir[0].Direction))
		}
		return []issue{{text: m, code: CodeMissing}}, []string{w.add(opts.Dialect)}, nil
	case !agree(own, opts.Env):
		descs := make([]string, len(own))
		for i, r := range own {
			descs[i] = "[" + describeRule(r) + "]"
		}
		is := issue{text: fmt.Sprintf("%d rules with this name disagree: %s", len(own), strings.Join(descs, " vs ")), code: CodeDuplicatesDisagree}
		dels, err := w.deleteObserved(own, opts.Dialect, false)
		return []issue{is}, append(dels, w.add(opts.Dialect)), err
	}
	issues := w.diff(own[0], opts.Env)
	if len(issues) == 0 {
		return nil, nil, nil
	}
	recreate := opts.Dialect == Legacy
	var set []string
	for _, is := range issues {
		recreate = recreate || is.recreate
		set = append(set, is.set)
	}
	if !recreate {
		return issues, []string{w.advMatch("set") + " new " + strings.Join(mergeSet(set), " ")}, nil
	}
	dels, err := w.deleteObserved(own, opts.Dialect, false)
	return issues, append(dels, w.add(opts.Dialect)), err
}

func dirWord(d string) string {
	if d == "Out" {
		return "outbound"
	}
	return "inbound"
}

// issue is one way an own rule differs from the desired rule.
type issue struct {
	text     string
	code     string // Code* constant
	set      string // advfirewall "new" argument(s) that fix it
	recreate bool   // set cannot fix it: delete and add
}

// diff lists how r differs from w.
func (w want) diff(r Rule, env map[string]string) []issue {
	var out []issue
	add := func(text, code, set string, recreate bool) { out = append(out, issue{text, code, set, recreate}) }
	if r.Enabled != w.enabled {
		if w.enabled {
			add("disabled", CodeDisabled, "enable=yes", false)
		} else {
			add("enabled, want disabled", CodeWrongRule, "enable=no", false)
		}
	}
	if r.Action != w.action {
		add(fmt.Sprintf("action is %s, want %s", r.Action, w.action), CodeWrongRule, "action="+strings.ToLower(w.action), false)
	}
	if w.kind == KindPort {
		proto := normProto(r.Protocol)
		if proto != w.protocol {
			add(fmt.Sprintf("protocol is %s, want %s", r.Protocol, w.protocol), CodeWrongPort, "protocol="+w.protocol+" localport="+w.ports.String(), false)
		} else if lp := strings.TrimSpace(r.LocalPort); lp != w.ports.String() {
			text, code := fmt.Sprintf("local port is %s, want %s", orAny(lp), w.ports), CodeWrongPort
			if portsCover(lp, w.ports) {
				text, code = text+" (too open)", CodeTooOpen
			}
			add(text, code, "localport="+w.ports.String(), false)
		}
		if isSet(r.Program) {
			add(fmt.Sprintf("limited to program %s", r.Program), CodeWrongRule, "", true)
		}
	} else {
		if !isSet(r.Program) {
			add(fmt.Sprintf("not limited to a program, want %s (too open)", w.programExp), CodeTooOpen, `program="`+w.program+`"`, false)
		} else if !samePath(r.Program, w.programExp, env) {
			add(fmt.Sprintf("program is %s, want %s", r.Program, w.programExp), CodeWrongProgram, `program="`+w.program+`"`, false)
		}
		if normProto(r.Protocol) != "ANY" {
			add(fmt.Sprintf("protocol is %s, want Any", r.Protocol), CodeWrongRule, "", true)
		}
	}
	if isSet(r.RemotePort) {
		add(fmt.Sprintf("remote port is %s, want Any", r.RemotePort), CodeWrongRule, "remoteport=any", false)
	}
	if r.LocalIP.Kind != ScopeAll && r.LocalIP.Kind != ScopeUnknown {
		add(fmt.Sprintf("local address is %s, want Any", r.LocalIP), CodeWrongRule, "localip=any", false)
	}
	if isSet(r.Service) {
		add(fmt.Sprintf("limited to service %s", r.Service), CodeWrongRule, "", true)
	}
	if isSet(r.InterfaceTypes) {
		add(fmt.Sprintf("interface types are %s, want Any", r.InterfaceTypes), CodeWrongRule, "interfacetype=any", false)
	}
	if r.Security != "" && !strings.EqualFold(r.Security, "NotRequired") {
		add(fmt.Sprintf("security is %s, want NotRequired", r.Security), CodeWrongRule, "security=notrequired", false)
	}
	if !w.scope.Equal(r.RemoteIP) {
		text, code := fmt.Sprintf("scope is %s, want %s", r.RemoteIP, w.scope), CodeWrongScope
		switch {
		case r.RemoteIP.Covers(w.scope) && !w.scope.Covers(r.RemoteIP):
			text, code = text+" (too open)", CodeTooOpen
		case w.scope.Covers(r.RemoteIP):
			text += " (too narrow)"
		}
		add(text, code, "remoteip="+advScope(w.scope), false)
	}
	return out
}

// mergeSet joins set arguments, dropping a localport= made redundant by a
// protocol= argument that carries it.
func mergeSet(args []string) []string {
	var out []string
	hasProto := false
	for _, a := range args {
		if strings.HasPrefix(a, "protocol=") {
			hasProto = true
		}
	}
	for _, a := range args {
		if a == "" || (hasProto && strings.HasPrefix(a, "localport=")) {
			continue
		}
		out = append(out, a)
	}
	return out
}

// isSet reports whether an optional rule field restricts the rule.
func isSet(v string) bool {
	v = strings.TrimSpace(v)
	return v != "" && !strings.EqualFold(v, "Any")
}

func orAny(v string) string {
	if v == "" {
		return "Any"
	}
	return v
}

// normProto returns TCP, UDP, ANY or the protocol as given, upper-cased;
// protocol numbers 6, 17 and 256 map to TCP, UDP and ANY.
func normProto(p string) string {
	switch u := strings.ToUpper(strings.TrimSpace(p)); u {
	case "6":
		return "TCP"
	case "17":
		return "UDP"
	case "", "256":
		return "ANY"
	default:
		return u
	}
}

// samePath compares two program paths case-insensitively after expanding the
// allowed environment variables.
func samePath(a, b string, env map[string]string) bool {
	return strings.EqualFold(ExpandEnv(a, env), ExpandEnv(b, env))
}

// sameDefinition reports whether an own rule r matches w's definition
// (protocol and port, or program); scope and state do not matter.
func (w want) sameDefinition(r Rule, env map[string]string) bool {
	if w.kind == KindPort {
		return normProto(r.Protocol) == w.protocol && strings.TrimSpace(r.LocalPort) == w.ports.String()
	}
	return isSet(r.Program) && samePath(r.Program, w.programExp, env)
}

// signature is what must be equal for duplicate rules to agree. Profiles and
// descriptive fields do not count.
func signature(r Rule, env map[string]string) string {
	return strings.Join([]string{yesNo(r.Enabled), r.Action, normProto(r.Protocol), orAny(r.LocalPort), orAny(r.RemotePort),
		r.LocalIP.String(), r.RemoteIP.String(), strings.ToLower(ExpandEnv(r.Program, env)), r.Service,
		orAny(r.InterfaceTypes), r.Security}, "\x00")
}

func agree(rs []Rule, env map[string]string) bool {
	for _, r := range rs[1:] {
		if signature(r, env) != signature(rs[0], env) {
			return false
		}
	}
	return true
}

// deleteObserved returns the commands deleting the observed own rules rs.
// advfirewall: with definition false, one `delete rule name=... dir=...`
// removing every own rule; with definition true, one delete per distinct
// definition, matched on protocol+port or program. legacy: one delete per
// distinct port or program. Program paths read from the host are validated.
func (w want) deleteObserved(rs []Rule, d Dialect, definition bool) ([]string, error) {
	if d == Advfirewall && !definition {
		return []string{w.advMatch("delete")}, nil
	}
	var out []string
	seen := map[string]bool{}
	for _, r := range rs {
		var cmd string
		if isSet(r.Program) {
			if err := checkProgram(r.Program); err != nil {
				return nil, &UnsafeValueError{Field: "program read from the host", Value: r.Program, Reason: err.(*UnsafeValueError).Reason}
			}
			if d == Legacy {
				cmd = legacyDeleteProgram(r.Program)
			} else {
				cmd = w.advMatch("delete") + ` program="` + r.Program + `"`
			}
		} else {
			proto := normProto(r.Protocol)
			if proto != "TCP" && proto != "UDP" {
				return nil, fmt.Errorf("rule %q: cannot delete a %s rule by port", w.name, r.Protocol)
			}
			// The command carries the parsed port, not the text read from
			// the host, which ParsePortRange accepts with blanks around it.
			pr, err := ParsePortRange(r.LocalPort)
			if err != nil {
				return nil, fmt.Errorf("rule %q: cannot delete by local port %q", w.name, r.LocalPort)
			}
			if d == Legacy {
				cmd = legacyDeletePort(proto, pr.String())
			} else {
				cmd = w.advMatch("delete") + " protocol=" + proto + " localport=" + pr.String()
			}
		}
		if !seen[strings.ToLower(cmd)] {
			seen[strings.ToLower(cmd)] = true
			out = append(out, cmd)
		}
	}
	return out, nil
}

// blockedBy reports whether the block rule r covers w's traffic: for a port
// rule, r has no program and its protocol and local ports overlap w's; for
// a program rule, r names the same program, or has no program and no
// protocol or port restriction. r's remote addresses must overlap w's scope
// (unknown overlaps, e.g. LocalSubnet against a list, count as overlapping).
func (w want) blockedBy(r Rule, env map[string]string) bool {
	if !w.scope.overlaps(r.RemoteIP) {
		return false
	}
	proto := normProto(r.Protocol)
	if w.kind == KindPort {
		if isSet(r.Program) {
			return false
		}
		if proto != "ANY" && proto != w.protocol {
			return false
		}
		return proto == "ANY" && !isSet(r.LocalPort) || portsOverlap(r.LocalPort, w.ports)
	}
	if isSet(r.Program) {
		return samePath(r.Program, w.programExp, env)
	}
	return proto == "ANY" && !isSet(r.LocalPort)
}

// overlaps reports whether s and o may share an address. Keywords other than
// in both lists (LocalSubnet, DNS, ...) are assumed to overlap any address.
func (s Scope) overlaps(o Scope) bool {
	if s.Kind == ScopeAll || o.Kind == ScopeAll || s.Kind == ScopeUnknown || o.Kind == ScopeUnknown {
		return true
	}
	if s.hasKeyword() || o.hasKeyword() {
		return true
	}
	// The unions overlap if some pair of ranges does: no need to merge
	// them first (Evaluate asks this for every rule of the host).
	for _, a := range s.Addresses {
		for _, b := range o.Addresses {
			if a.First.Is4() == b.First.Is4() && a.First.Compare(b.Last) <= 0 && b.First.Compare(a.Last) <= 0 {
				return true
			}
		}
	}
	return false
}

// hasKeyword reports whether s holds an address keyword (LocalSubnet, or
// one netsh displays that this package does not know).
func (s Scope) hasKeyword() bool {
	if s.Kind == ScopeSubnet {
		return true
	}
	for _, a := range s.Addresses {
		if a.Keyword != "" {
			return true
		}
	}
	return false
}

// portSpans parses a netsh port value ("Any", "135", "5000-5100", "80,443",
// keywords) into ranges. RPC-EPMap is port 135. ok is false for values it
// cannot read (RPC, IPHTTPS, garbage); all is true for Any or empty.
func portSpans(v string) (spans []PortRange, all, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" || strings.EqualFold(v, "Any") {
		return nil, true, true
	}
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if strings.EqualFold(p, "RPC-EPMap") {
			spans = append(spans, Port(135))
			continue
		}
		r, err := ParsePortRange(p)
		if err != nil {
			return nil, false, false
		}
		spans = append(spans, r)
	}
	return spans, false, true
}

// portsOverlap reports whether the port value v may include a port of want.
// Values it cannot read count as overlapping.
func portsOverlap(v string, want PortRange) bool {
	spans, all, ok := portSpans(v)
	if all || !ok {
		return true
	}
	for _, s := range spans {
		if s.First <= want.Last && want.First <= s.Last {
			return true
		}
	}
	return false
}

// portsCover reports whether the port value v includes every port of want
// (and, being different, more).
func portsCover(v string, want PortRange) bool {
	spans, all, ok := portSpans(v)
	if all {
		return true
	}
	if !ok {
		return false
	}
	for _, s := range spans {
		if s.First <= want.First && want.Last <= s.Last {
			return true
		}
	}
	return false
}

// describe is the Expected text of a present rule.
func (w want) describe() string {
	parts := []string{"enabled"}
	if !w.enabled {
		parts[0] = "disabled"
	}
	parts = append(parts, strings.ToLower(w.dir), strings.ToLower(w.action))
	if w.kind == KindPort {
		parts = append(parts, w.protocol+"/"+w.ports.String())
	} else {
		parts = append(parts, "program "+w.programExp)
	}
	return strings.Join(append(parts, "from "+w.scope.String()), ", ")
}

// describeRule is a one-line summary of an observed rule.
func describeRule(r Rule) string {
	parts := []string{"disabled", strings.ToLower(r.Direction), strings.ToLower(r.Action)}
	if r.Enabled {
		parts[0] = "enabled"
	}
	if isSet(r.Program) {
		parts = append(parts, "program "+r.Program)
	}
	if p := normProto(r.Protocol); p != "ANY" || !isSet(r.Program) {
		s := r.Protocol
		if p == "ANY" {
			s = "any protocol"
		}
		if isSet(r.LocalPort) {
			s += "/" + r.LocalPort
		}
		parts = append(parts, s)
	}
	if isSet(r.RemotePort) {
		parts = append(parts, "remote port "+r.RemotePort)
	}
	if r.LocalIP.Kind != ScopeAll && r.LocalIP.Kind != ScopeUnknown {
		parts = append(parts, "to "+r.LocalIP.String())
	}
	if isSet(r.Service) {
		parts = append(parts, "service "+r.Service)
	}
	parts = append(parts, "from "+r.RemoteIP.String())
	if len(r.Profiles) > 0 {
		parts = append(parts, "profiles "+strings.Join(r.Profiles, ","))
	}
	return strings.Join(parts, ", ")
}

// describeRules is the Actual text.
func describeRules(own, otherDir, blockers []Rule) string {
	var s string
	switch {
	case len(own) == 0:
		s = "absent"
	case len(own) == 1:
		s = describeRule(own[0])
	default:
		descs := make([]string, len(own))
		same := true
		for i, r := range own {
			descs[i] = describeRule(r)
			same = same && descs[i] == descs[0]
		}
		if same {
			s = strconv.Itoa(len(own)) + " identical rules: " + descs[0]
		} else {
			s = strconv.Itoa(len(own)) + " rules: " + strings.Join(descs, " | ")
		}
	}
	if len(otherDir) > 0 {
		s += fmt.Sprintf(" (and %d %s rule(s) with this name)", len(otherDir), dirWord(otherDir[0].Direction))
	}
	for _, b := range blockers {
		s += fmt.Sprintf("; blocked by %q: %s", b.Name, describeRule(b))
	}
	return s
}
