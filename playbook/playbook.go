package playbook

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/winfleet/winfleet/inventory"
)

// A Playbook is the desired state of a host: firewall rules, registry values
// and services. Its string values are templates that may reference vars
// (see Template); they are resolved per host by the executor and by Plan.
type Playbook struct {
	Name        string
	Description string
	// Source is where the playbook came from: a file path, or
	// "builtin:NAME". Positions in errors use it as the file name.
	Source string
	// Digest is "sha256:HEX" of the source bytes, so a report says exactly
	// which playbook judged the fleet.
	Digest   string
	Vars     map[string]inventory.Var // defaults, at their playbook lines; inventory vars override them
	Rules    []Rule
	DCOM     []DCOMItem
	Services []ServiceItem
}

// State says whether an item must exist on the host or must not.
type State string

// Item states. A rule's State decides whether apply adds or removes it.
const (
	Present State = "present"
	Absent  State = "absent"
	Running State = "running" // services only
	Stopped State = "stopped" // services only
)

// Pos is a position in a playbook source.
type Pos struct {
	File string
	Line int
}

// String returns "file:line", or just "file" when the line is unknown
// (vars that come from the inventory are named "inventory").
func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// Template is a playbook string value that may reference vars as
// "{{ name }}". A value that is exactly one reference takes the var's value
// with its type (so a list var stays a list); otherwise each reference is
// replaced by the var's scalar value.
type Template struct {
	Raw string
	Pos Pos
	// refs are the var names referenced, in order, and lits the text
	// around them: Raw is lits[0] {{ refs[0] }} lits[1] … lits[len(refs)]
	// (lits is nil when there are no refs).
	refs []string
	lits []string
	set  bool // the key was present in the source
}

// Item fields shared by rules, registry items and services.
type Item struct {
	ID   string
	Name Template
	// Each is "" or "ssis": an "ssis" item is expanded once per SSIS version
	// installed on the host (see README.md, "Several SSIS versions").
	Each string
	// When names a var; the item applies to a host only when the var is set
	// to a non-empty, non-false, non-zero value.
	When string
	Pos  Pos
}

// Rule is one inbound, enabled, allow firewall rule (the only kind the SSIS
// guide needs; a block rule on the host is drift, never desired state).
type Rule struct {
	Item
	State    State
	Protocol string   // tcp | udp; empty for a program rule
	Port     Template // local port or range; empty for a program rule
	Program  Template // program path; empty for a port rule
	Scope    Template // subnet | all | list of addresses, CIDRs, ranges
}

// DCOMItem pins the DCOM/RPC dynamic port range in the registry
// (HKLM\SOFTWARE\Microsoft\Rpc\Internet: Ports, PortsInternetAvailable=Y,
// UseInternetPorts=Y; KB154596). The firewall opening for the range is a
// separate rule. Windows applies the range only after a restart.
type DCOMItem struct {
	Item
	State State
	Ports Template // "5000-5100", a comma list of ranges, or a list var
}

// ServiceItem is a check on a Windows service. Services are checked only:
// apply never starts or stops a service.
type ServiceItem struct {
	Item
	Service Template
	State   State
}

//go:embed builtin/*.yaml
var builtinFS embed.FS

// BuiltinNames lists the built-in playbooks, sorted.
func BuiltinNames() []string {
	ents, err := builtinFS.ReadDir("builtin")
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range ents {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// BuiltinSource returns the YAML source of a built-in playbook.
func BuiltinSource(name string) ([]byte, error) {
	b, err := builtinFS.ReadFile("builtin/" + name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("no built-in playbook %q (have %s)", name, strings.Join(BuiltinNames(), ", "))
	}
	return b, nil
}

// Builtin parses a built-in playbook.
func Builtin(name string) (*Playbook, error) {
	src, err := BuiltinSource(name)
	if err != nil {
		return nil, err
	}
	return Parse("builtin:"+name, src)
}

// Load reads and validates a playbook file. Errors name the file and line.
func Load(path string) (*Playbook, error) { return load(path, os.ReadFile) }

func load(path string, readFile func(string) ([]byte, error)) (*Playbook, error) {
	src, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("read playbook: %w", err)
	}
	return Parse(path, src)
}

// Resolve loads a playbook by file path or built-in name. A name that is an
// existing file, or that contains a path separator or ends in .yaml/.yml, is
// a file, read with readFile (nil means os.ReadFile); otherwise it must be
// a built-in name.
func Resolve(name string, readFile func(string) ([]byte, error)) (*Playbook, error) {
	if readFile == nil {
		readFile = os.ReadFile
	}
	if _, err := os.Stat(name); err == nil {
		return load(name, readFile)
	}
	if strings.ContainsAny(name, `/\`) || strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") || filepath.Ext(name) != "" {
		return load(name, readFile)
	}
	return Builtin(name)
}

// A ParseError is a problem in a playbook source, at a position.
type ParseError struct {
	Pos Pos
	Msg string
}

func (e *ParseError) Error() string { return e.Pos.String() + ": " + e.Msg }

// Parse parses and validates playbook source. file names it in errors.
// Every problem found is reported, joined with errors.Join.
func Parse(file string, src []byte) (*Playbook, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(src))
	if err := dec.Decode(&doc); err != nil {
		return nil, yamlError(file, err)
	}
	p := &parser{file: file}
	pb := p.playbook(&doc)
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	if err := staticCheck(pb); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(src)
	pb.Digest = "sha256:" + hex.EncodeToString(sum[:])
	return pb, nil
}

// yamlLineRE splits the yaml library's "yaml: line N: msg" (a syntax error)
// and "line N: msg" (one of a *yaml.TypeError's messages).
var yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlLine returns the line and message of a yaml error message, if it has one.
func yamlLine(msg string) (int, string, bool) {
	m := yamlLineRE.FindStringSubmatch(msg)
	if m == nil {
		return 0, "", false
	}
	line, err := strconv.Atoi(m[1])
	return line, m[2], err == nil
}

func yamlError(file string, err error) error {
	if line, msg, ok := yamlLine(err.Error()); ok {
		return &ParseError{Pos: Pos{file, line}, Msg: msg}
	}
	return &ParseError{Pos: Pos{file, 1}, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
}

type parser struct {
	file string
	errs []error
}

func (p *parser) pos(n *yaml.Node) Pos { return Pos{p.file, n.Line} }

func (p *parser) errf(n *yaml.Node, format string, args ...any) {
	p.errs = append(p.errs, &ParseError{Pos: p.pos(n), Msg: fmt.Sprintf(format, args...)})
}

// decodeErr records a failed yaml Decode of n: each of a *yaml.TypeError's
// messages ("line N: ...") at its own line, anything else at n's line, so
// every line of the joined error names the file.
func (p *parser) decodeErr(n *yaml.Node, what string, err error) {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		p.errf(n, "%s: %s", what, strings.ReplaceAll(err.Error(), "\n", " "))
		return
	}
	for _, e := range te.Errors {
		if line, msg, ok := yamlLine(e); ok {
			p.errs = append(p.errs, &ParseError{Pos: Pos{p.file, line}, Msg: what + ": " + msg})
			continue
		}
		p.errf(n, "%s: %s", what, strings.ReplaceAll(e, "\n", " "))
	}
}

// fields checks that n is a mapping with only the allowed keys and returns
// the value nodes by key.
func (p *parser) fields(n *yaml.Node, what string, allowed ...string) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	if n.Kind != yaml.MappingNode {
		p.errf(n, "%s must be a mapping", what)
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		ok := false
		for _, a := range allowed {
			if k.Value == a {
				ok = true
			}
		}
		switch {
		case !ok:
			p.errf(k, "unknown key %q in %s (allowed: %s)", k.Value, what, strings.Join(allowed, ", "))
		case out[k.Value] != nil:
			p.errf(k, "duplicate key %q in %s", k.Value, what)
		default:
			out[k.Value] = v
		}
	}
	return out
}

func (p *parser) str(n *yaml.Node, what string) string {
	if n == nil {
		return ""
	}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errf(n, "%s must be a string", what)
		return ""
	}
	return n.Value
}

var idRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
var varNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (p *parser) playbook(doc *yaml.Node) *Playbook {
	pb := &Playbook{Source: p.file, Vars: map[string]inventory.Var{}}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		p.errs = append(p.errs, &ParseError{Pos: Pos{p.file, 1}, Msg: "empty playbook"})
		return pb
	}
	root := doc.Content[0]
	f := p.fields(root, "playbook", "name", "description", "vars", "rules", "dcom", "services")
	pb.Name = p.str(f["name"], "name")
	if f["name"] == nil {
		p.errf(root, "playbook has no name")
	}
	pb.Description = p.str(f["description"], "description")
	if v := f["vars"]; v != nil {
		if v.Kind != yaml.MappingNode {
			p.errf(v, "vars must be a mapping")
		} else {
			seen := map[string]bool{}
			for i := 0; i+1 < len(v.Content); i += 2 {
				k, val := v.Content[i], v.Content[i+1]
				if !varNameRE.MatchString(k.Value) {
					p.errf(k, "var name %q is not a valid name ([A-Za-z_][A-Za-z0-9_]*)", k.Value)
					continue
				}
				if seen[k.Value] {
					p.errf(k, "duplicate var %q", k.Value)
					continue
				}
				seen[k.Value] = true
				var x any
				if err := val.Decode(&x); err != nil {
					p.decodeErr(val, "var "+k.Value, err)
					continue
				}
				pb.Vars[k.Value] = inventory.Var{Name: k.Value, Value: x, File: p.file, Line: k.Line}
			}
		}
	}
	ids := map[string]int{}
	seeID := func(it *Item, n *yaml.Node) {
		if it.ID == "" {
			p.errf(n, "item has no id")
			return
		}
		if !idRE.MatchString(it.ID) {
			p.errf(n, "id %q must be lower-case letters, digits, '-' and '_'", it.ID)
		}
		if l, ok := ids[it.ID]; ok {
			p.errf(n, "duplicate id %q (first at line %d)", it.ID, l)
		}
		ids[it.ID] = n.Line
	}
	for _, n := range p.seq(f["rules"], "rules") {
		r := p.rule(n)
		seeID(&r.Item, n)
		pb.Rules = append(pb.Rules, r)
	}
	for _, n := range p.seq(f["dcom"], "dcom") {
		d := p.dcom(n)
		seeID(&d.Item, n)
		pb.DCOM = append(pb.DCOM, d)
	}
	for _, n := range p.seq(f["services"], "services") {
		s := p.service(n)
		seeID(&s.Item, n)
		pb.Services = append(pb.Services, s)
	}
	if len(pb.Rules)+len(pb.DCOM)+len(pb.Services) == 0 {
		p.errf(root, "playbook has no rules, dcom items or services")
	}
	p.checkRefs(pb)
	return pb
}

func (p *parser) seq(n *yaml.Node, what string) []*yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.errf(n, "%s must be a list", what)
		return nil
	}
	return n.Content
}

func (p *parser) template(n *yaml.Node, what string) Template {
	if n == nil {
		return Template{}
	}
	t := Template{Pos: p.pos(n), set: true}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errf(n, "%s must be a string", what)
		return t
	}
	t, err := newTemplate(n.Value, t.Pos)
	if err != nil {
		p.errf(n, "%s: %v", what, err)
	}
	return t
}

func (p *parser) item(n *yaml.Node, f map[string]*yaml.Node) Item {
	it := Item{Pos: p.pos(n)}
	it.ID = p.str(f["id"], "id")
	it.Name = p.template(f["name"], "name")
	if f["name"] == nil {
		p.errf(n, "item %q has no name", it.ID)
	}
	it.Each = p.str(f["each"], "each")
	if it.Each != "" && it.Each != "ssis" {
		p.errf(f["each"], "each must be \"ssis\", not %q", it.Each)
	}
	it.When = p.str(f["when"], "when")
	if it.When != "" && !varNameRE.MatchString(it.When) {
		p.errf(f["when"], "when must be a var name, not %q", it.When)
	}
	return it
}

func (p *parser) state(n *yaml.Node, def State, allowed ...State) State {
	if n == nil {
		return def
	}
	s := State(strings.ToLower(p.str(n, "state")))
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	p.errf(n, "state must be one of %v, not %q", allowed, n.Value)
	return def
}

func (p *parser) enum(n *yaml.Node, what, def string, allowed ...string) string {
	if n == nil {
		return def
	}
	s := strings.ToLower(p.str(n, what))
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	p.errf(n, "%s must be one of %s, not %q", what, strings.Join(allowed, "|"), n.Value)
	return def
}

func (p *parser) rule(n *yaml.Node) Rule {
	f := p.fields(n, "rule", "id", "name", "each", "when", "state", "protocol", "port", "program", "scope")
	r := Rule{Item: p.item(n, f)}
	r.State = p.state(f["state"], Present, Present, Absent)
	r.Protocol = p.enum(f["protocol"], "protocol", "", "tcp", "udp")
	r.Port = p.template(f["port"], "port")
	r.Program = p.template(f["program"], "program")
	r.Scope = p.template(f["scope"], "scope")
	if !r.Scope.set {
		r.Scope = Template{Raw: "subnet", Pos: r.Pos, set: true}
	}
	switch {
	case r.Program.set && (r.Port.set || r.Protocol != ""):
		p.errf(n, "rule %q: give either program or protocol+port, not both", r.ID)
	case !r.Program.set && (!r.Port.set || r.Protocol == ""):
		p.errf(n, "rule %q: needs program, or protocol and port", r.ID)
	}
	return r
}

func (p *parser) dcom(n *yaml.Node) DCOMItem {
	f := p.fields(n, "dcom item", "id", "name", "each", "when", "state", "ports")
	d := DCOMItem{Item: p.item(n, f)}
	d.State = p.state(f["state"], Present, Present, Absent)
	d.Ports = p.template(f["ports"], "ports")
	if !d.Ports.set && d.State == Present {
		p.errf(n, "dcom item %q has no ports", d.ID)
	}
	return d
}

func (p *parser) service(n *yaml.Node) ServiceItem {
	f := p.fields(n, "service", "id", "name", "each", "when", "service", "state")
	s := ServiceItem{Item: p.item(n, f)}
	s.Service = p.template(f["service"], "service")
	if !s.Service.set {
		p.errf(n, "service item %q has no service", s.ID)
	}
	s.State = p.state(f["state"], Running, Running, Stopped)
	return s
}

// ssisVars are the vars bound per SSIS version in items with each: ssis.
var ssisVars = []string{"ssis_version", "ssis_service", "ssis_program", "ssis_rule_suffix"}

func isSSISVar(name string) bool {
	for _, v := range ssisVars {
		if v == name {
			return true
		}
	}
	return false
}

// checkRefs reports references to per-SSIS vars outside each: ssis items;
// other unknown vars can only be found per host (inventory vars vary).
func (p *parser) checkRefs(pb *Playbook) {
	check := func(it Item, ts ...Template) {
		for _, t := range ts {
			for _, r := range t.refs {
				if isSSISVar(r) && it.Each != "ssis" {
					p.errs = append(p.errs, &ParseError{Pos: t.Pos, Msg: fmt.Sprintf("var %q is only bound in items with \"each: ssis\"", r)})
				}
			}
		}
	}
	for _, r := range pb.Rules {
		check(r.Item, r.Name, r.Port, r.Program, r.Scope)
	}
	for _, d := range pb.DCOM {
		check(d.Item, d.Name, d.Ports)
	}
	for _, s := range pb.Services {
		check(s.Item, s.Name, s.Service)
	}
}

// items lists every item of the playbook: rules, then registry items, then
// services.
func (pb *Playbook) items() []Item { return slices.Collect(pb.eachItem()) }

// eachItem yields the items in the order of items, without copying the
// lists (it runs for every plan of every host).
func (pb *Playbook) eachItem() iter.Seq[Item] {
	return func(yield func(Item) bool) {
		for _, r := range pb.Rules {
			if !yield(r.Item) {
				return
			}
		}
		for _, d := range pb.DCOM {
			if !yield(d.Item) {
				return
			}
		}
		for _, s := range pb.Services {
			if !yield(s.Item) {
				return
			}
		}
	}
}
