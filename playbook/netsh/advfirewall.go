package netsh

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// advLabelWidth is the column where advfirewall values start (label plus
// colon padded to 38).
const advLabelWidth = 38

// ParseShow parses the output of ReadCommand in dialect d.
func ParseShow(d Dialect, o Output) ([]Rule, error) {
	switch d {
	case Legacy:
		return ParseLegacy(o)
	case Advfirewall:
		return ParseAdvfirewall(o)
	}
	return nil, &UnrecognizedError{Command: o.Command, Raw: raw(o), Detail: "unknown dialect " + string(d)}
}

// ParseAdvfirewall parses "netsh advfirewall firewall show rule ..." output,
// verbose or not (reference/netsh.md §3.2-§3.4). "No rules match the
// specified criteria." (exit 1) gives an empty, non-nil list and no error.
// The layout is checked strictly: every rule starts with "Rule Name:" and a
// line of dashes, every field line is "Label:" then the value (padded to
// column 38), the list ends with "Ok.", and Enabled, Direction, Profiles,
// LocalIP, RemoteIP, Protocol and Action must be present with known values.
// Fields with other English-looking labels are kept in Rule.Extra.
// Anything else is an *UnrecognizedError; the known failure messages are
// *OutputError values.
func ParseAdvfirewall(o Output) ([]Rule, error) {
	if err := knownFailure(o); err != nil {
		return nil, err
	}
	if !blank(o.Stderr) {
		return nil, unexpectedStderr(o)
	}
	if onlyLine(o.Stdout) == msgNoMatch {
		if o.ExitCode != 1 && o.ExitCode != 0 {
			return nil, unrecognized(o, "exit code %d", o.ExitCode)
		}
		return []Rule{}, nil
	}
	if o.ExitCode != 0 {
		return nil, unrecognized(o, "exit code %d", o.ExitCode)
	}
	p := advParser{o: o}
	return p.parse(o.Stdout)
}

// onlyLine returns the one line of s with text, or "" when s has none or
// several.
func onlyLine(s string) string {
	only := ""
	for _, l := range eachLine(s) {
		if l == "" {
			continue
		}
		if only != "" {
			return ""
		}
		only = l
	}
	return only
}

// advParser reads a rule list line by line (the output of a scan's
// "show rule name=all" is read on every host, so it allocates the rule
// slice, the Profiles and what a rule's values need, not a line slice, a
// map per rule or a copy per value). Values are substrings of the output,
// as they always were: a caller holds the output while it uses the rules
// (the playbook keeps both for one host's run, and its reports keep
// neither).
type advParser struct {
	o     Output
	rules []Rule
	cur   *Rule    // the rule being read: the last of rules, or nil
	seen  advField // known labels seen in the current rule
	last  string   // last label
	icmp  bool     // inside an ICMP sub-table (header seen)
}

// advField is a set of the labels the parser knows, one bit each.
type advField uint32

const (
	fDescription advField = 1 << iota
	fEnabled
	fDirection
	fProfiles
	fGrouping
	fLocalIP
	fRemoteIP
	fProtocol
	fLocalPort
	fRemotePort
	fEdgeTraversal
	fProgram
	fService
	fInterfaceTypes
	fSecurity
	fRuleSource
	fAction
)

// advFieldOf returns the bit of a known label, or 0.
func advFieldOf(label string) advField {
	switch label {
	case "Description":
		return fDescription
	case "Enabled":
		return fEnabled
	case "Direction":
		return fDirection
	case "Profiles":
		return fProfiles
	case "Grouping":
		return fGrouping
	case "LocalIP":
		return fLocalIP
	case "RemoteIP":
		return fRemoteIP
	case "Protocol":
		return fProtocol
	case "LocalPort":
		return fLocalPort
	case "RemotePort":
		return fRemotePort
	case "Edge traversal":
		return fEdgeTraversal
	case "Program":
		return fProgram
	case "Service":
		return fService
	case "InterfaceTypes":
		return fInterfaceTypes
	case "Security":
		return fSecurity
	case "Rule source":
		return fRuleSource
	case "Action":
		return fAction
	}
	return 0
}

// advMandatory are the fields every rule block must have, in the order
// finish reports a missing one.
var advMandatory = [...]struct {
	f     advField
	label string
}{{fEnabled, "Enabled"}, {fDirection, "Direction"}, {fProfiles, "Profiles"}, {fLocalIP, "LocalIP"},
	{fRemoteIP, "RemoteIP"}, {fProtocol, "Protocol"}, {fAction, "Action"}}

func (p *advParser) parse(out string) ([]Rule, error) {
	// Every rule starts with a "Rule Name:" line: one allocation holds them.
	p.rules = make([]Rule, 0, strings.Count(out, "Rule Name:"))
	ok := false
	dashes := -1 // the index of the line that must be dashes
	n := 0       // lines read
	for i, l := range eachLine(out) {
		n = i + 1
		if i == dashes {
			if !isDashes(l) {
				return nil, unrecognized(p.o, "line %d: want a line of dashes after Rule Name", i+1)
			}
			continue
		}
		if ok {
			if l != "" {
				return nil, unrecognized(p.o, "line %d: text after Ok.: %q", i+1, l)
			}
			continue
		}
		switch {
		case l == "":
			// Blank lines separate rule blocks; none occur inside one.
			if err := p.finish(i); err != nil {
				return nil, err
			}
		case l == "Ok.":
			if err := p.finish(i); err != nil {
				return nil, err
			}
			ok = true
		case strings.HasPrefix(l, "Rule Name:"):
			if err := p.finish(i); err != nil {
				return nil, err
			}
			name := fieldValue(l, len("Rule Name"))
			if name == "" {
				return nil, unrecognized(p.o, "line %d: empty rule name", i+1)
			}
			dashes = i + 1
			p.rules = append(p.rules, Rule{Name: name})
			p.cur = &p.rules[len(p.rules)-1]
			p.seen = 0
			p.last, p.icmp = "", false
		case p.cur == nil:
			return nil, unrecognized(p.o, "line %d: %q outside a rule block", i+1, l)
		case l[0] == ' ':
			if err := p.continuation(i, l); err != nil {
				return nil, err
			}
		default:
			if err := p.field(i, l); err != nil {
				return nil, err
			}
		}
	}
	if dashes == n {
		return nil, unrecognized(p.o, "line %d: want a line of dashes after Rule Name", n+1)
	}
	if !ok {
		return nil, unrecognized(p.o, `missing final "Ok."`)
	}
	if len(p.rules) == 0 {
		return nil, unrecognized(p.o, "no rule blocks")
	}
	return p.rules, nil
}

func isDashes(s string) bool {
	return len(s) >= 10 && strings.Trim(s, "-") == ""
}

// fieldValue returns the value of a field line whose label (without colon)
// is n bytes long: from column 38 when the padding reaches it, else after the
// colon with leading blanks trimmed (also when the label itself is longer
// than the column, which no known layout has but input may).
func fieldValue(l string, n int) string {
	if n < advLabelWidth && len(l) > advLabelWidth && strings.TrimLeft(l[n+1:advLabelWidth], " ") == "" {
		return l[advLabelWidth:]
	}
	return strings.TrimLeft(l[n+1:], " ")
}

// twoFields returns the fields of s, as strings.Fields splits them, when
// there are exactly two.
func twoFields(s string) (a, b string, ok bool) {
	if !asciiOnly(s) {
		// strings.Fields also splits at Unicode spaces; no valid line has any.
		if f := strings.Fields(s); len(f) == 2 {
			return f[0], f[1], true
		}
		return "", "", false
	}
	f := 0
	for i := 0; i < len(s); {
		for i < len(s) && isFieldSpace(s[i]) {
			i++
		}
		if i == len(s) {
			break
		}
		j := i
		for j < len(s) && !isFieldSpace(s[j]) {
			j++
		}
		switch f {
		case 0:
			a = s[i:j]
		case 1:
			b = s[i:j]
		default:
			return "", "", false
		}
		f++
		i = j
	}
	return a, b, f == 2
}

// isFieldSpace is strings.Fields' separator for an ASCII byte.
func isFieldSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func (p *advParser) continuation(i int, l string) error {
	t := strings.TrimSpace(l)
	if p.last != "Protocol" || !strings.HasPrefix(strings.ToUpper(p.cur.Protocol), "ICMP") {
		return unrecognized(p.o, "line %d: unexpected continuation line %q", i+1, l)
	}
	a, b, two := twoFields(t)
	if !p.icmp {
		if !two || a != "Type" || b != "Code" {
			return unrecognized(p.o, "line %d: want the ICMP header \"Type    Code\", got %q", i+1, l)
		}
		p.icmp = true
		return nil
	}
	if !two {
		return unrecognized(p.o, "line %d: bad ICMP type/code line %q", i+1, l)
	}
	p.cur.ICMP = append(p.cur.ICMP, ICMPTypeCode{Type: a, Code: b})
	return nil
}

func asciiOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func (p *advParser) field(i int, l string) error {
	c := strings.IndexByte(l, ':')
	if c <= 0 || !isLabel(l[:c]) {
		return unrecognized(p.o, "line %d: not a field line: %q", i+1, l)
	}
	label := l[:c]
	v := fieldValue(l, c)
	f := advFieldOf(label)
	if f != 0 && p.seen&f != 0 {
		return unrecognized(p.o, "line %d: field %q twice in one rule", i+1, label)
	}
	if f == 0 {
		// Unknown labels are kept in Extra, which also tells a repeat.
		if _, twice := p.cur.Extra[label]; twice {
			return unrecognized(p.o, "line %d: field %q twice in one rule", i+1, label)
		}
	}
	p.seen |= f
	p.last = label
	if !setField(p.cur, label, v) {
		return unrecognized(p.o, "line %d: unknown %s value %q", i+1, label, v)
	}
	return nil
}

// setField stores one "Label: value" of a rule block in r; it reports false
// for a value that label cannot have. Unknown labels go to r.Extra.
func setField(r *Rule, label, v string) bool {
	if dst := textField(r, label); dst != nil {
		*dst = v
		return true
	}
	switch label {
	case "Enabled":
		r.Enabled = v == "Yes"
		return v == "Yes" || v == "No"
	case "Direction":
		r.Direction = v
		return v == "In" || v == "Out"
	case "Profiles":
		// One allocation, and the package's constants rather than
		// substrings of the output.
		r.Profiles = make([]string, 0, strings.Count(v, ",")+1)
		for rest, more := v, true; more; {
			var pr string
			pr, rest, more = strings.Cut(rest, ",")
			switch pr {
			case "Domain":
				pr = "Domain"
			case "Private":
				pr = "Private"
			case "Public":
				pr = "Public"
			default:
				return false
			}
			r.Profiles = append(r.Profiles, pr)
		}
		return true
	case "LocalIP", "RemoteIP":
		s, err := parseDisplayScope(v)
		if label == "LocalIP" {
			r.LocalIP = s
		} else {
			r.RemoteIP = s
		}
		return err == nil
	case "Protocol":
		r.Protocol = v
		return v != ""
	case "Action":
		r.Action = v
		return v == "Allow" || v == "Block" || v == "Bypass"
	}
	if r.Extra == nil {
		r.Extra = map[string]string{}
	}
	r.Extra[label] = v
	return true
}

// textField is the field of r that holds label's value as it is shown,
// or nil.
func textField(r *Rule, label string) *string {
	switch label {
	case "Description":
		return &r.Description
	case "Grouping":
		return &r.Grouping
	case "LocalPort":
		return &r.LocalPort
	case "RemotePort":
		return &r.RemotePort
	case "Edge traversal":
		return &r.EdgeTraversal
	case "Program":
		return &r.Program
	case "Service":
		return &r.Service
	case "InterfaceTypes":
		return &r.InterfaceTypes
	case "Security":
		return &r.Security
	case "Rule source":
		return &r.RuleSource
	}
	return nil
}

// isLabel reports whether s looks like an advfirewall label: ASCII letters
// and single spaces, starting with a capital letter.
func isLabel(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' || strings.Contains(s, "  ") || s[len(s)-1] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == ' ' || isLetter(c)) {
			return false
		}
	}
	return true
}

// finish closes the current rule block, checking its mandatory fields.
func (p *advParser) finish(i int) error {
	if p.cur == nil {
		return nil
	}
	for _, m := range advMandatory {
		if p.seen&m.f == 0 {
			return unrecognized(p.o, "line %d: rule %q has no %s field", i+1, p.cur.Name, m.label)
		}
	}
	// p.icmp is only set once continuation has seen an ICMP protocol.
	if p.icmp && len(p.cur.ICMP) == 0 {
		return unrecognized(p.o, "line %d: rule %q: ICMP table without rows", i+1, p.cur.Name)
	}
	p.cur = nil
	return nil
}

// parseDisplayScope parses a LocalIP/RemoteIP value as netsh displays it:
// "Any", "LocalSubnet" or a comma list. Unlike ParseScope it accepts address
// keywords this package does not know (Windows 8+ has Intranet, Internet,
// PlayToDevice... whose display is not documented): a token of ASCII letters
// and digits starting with a letter is kept as a keyword. Such a scope never
// equals a desired one, and counts as overlapping any address, so accepting
// it cannot turn into a pass. The playbook words "subnet", "all" and "*" are
// not netsh displays and are refused.
func parseDisplayScope(v string) (Scope, error) {
	switch {
	case v == "Any":
		return Scope{Kind: ScopeAll}, nil
	case v == "LocalSubnet":
		return Scope{Kind: ScopeSubnet}, nil
	case v == "" || strings.EqualFold(v, "subnet") || strings.EqualFold(v, "all") || v == "*" || strings.EqualFold(v, "any"):
		return Scope{}, errors.New("not a netsh address display")
	}
	parts := strings.Split(v, ",")
	out := make([]Address, 0, len(parts))
	for _, p := range parts {
		a, err := ParseAddress(p)
		if err != nil {
			if !isKeywordToken(p) {
				return Scope{}, err
			}
			a = Address{Keyword: p, Bits: -1}
		}
		out = append(out, a)
	}
	return customScope(normaliseAddresses(out)), nil
}

func isKeywordToken(s string) bool {
	if s == "" || !isLetter(s[0]) || strings.EqualFold(s, "any") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isLetter(s[i]) && (s[i] < '0' || s[i] > '9') {
			return false
		}
	}
	return true
}
