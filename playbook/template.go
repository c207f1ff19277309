package playbook

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/winfleet/winfleet/inventory"
)

var refRE = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)

// parseTemplate splits s into literal text and var references, so that s
// is lits[0] {{ refs[0] }} lits[1] … {{ refs[n-1] }} lits[n]. Only plain
// names are allowed inside {{ }}: no filters, no expressions. The split is
// done once, when the playbook is loaded: expanding for a host is then a
// concatenation, not a regexp run.
func parseTemplate(s string) (lits, refs []string, err error) {
	prev := 0
	for _, m := range refRE.FindAllStringSubmatchIndex(s, -1) {
		if name := s[m[2]:m[3]]; !varNameRE.MatchString(name) {
			return nil, nil, fmt.Errorf("%q: only {{ var_name }} is supported", s[m[0]:m[1]])
		}
		lits = append(lits, s[prev:m[0]])
		refs = append(refs, s[m[2]:m[3]])
		prev = m[1]
	}
	lits = append(lits, s[prev:])
	if rest := strings.Join(lits, ""); strings.Contains(rest, "{{") || strings.Contains(rest, "}}") {
		return nil, nil, fmt.Errorf("unbalanced {{ }} in %q", s)
	}
	return lits, refs, nil
}

// newTemplate is the template raw at pos.
func newTemplate(raw string, pos Pos) (Template, error) {
	lits, refs, err := parseTemplate(raw)
	return Template{Raw: raw, Pos: pos, refs: refs, lits: lits, set: true}, err
}

// vars is the var lookup for one host: item-level vars (per SSIS version)
// over inventory vars over playbook defaults. Every var keeps where it was
// set, so errors name the inventory file and line.
type vars struct {
	host   string
	layers []map[string]inventory.Var // highest precedence first
}

func (v vars) get(name string) (inventory.Var, bool) {
	for _, l := range v.layers {
		if x, ok := l[name]; ok {
			x.Name = name
			return x, true
		}
	}
	return inventory.Var{}, false
}

func (v vars) with(m map[string]inventory.Var) vars {
	return vars{host: v.host, layers: append([]map[string]inventory.Var{m}, v.layers...)}
}

// errAt makes a *VarError for var x used by the template at pos.
func (v vars) errAt(pos Pos, x inventory.Var, code Code, format string, args ...any) *VarError {
	return &VarError{Host: v.host, Pos: pos, Var: x.Name, Def: x.Pos(), Code: code, Msg: fmt.Sprintf(format, args...)}
}

// usable returns x's error as a *VarError when its value cannot be used
// (Ansible Vault ciphertext), naming the var's own file and line.
func (v vars) usable(pos Pos, x inventory.Var) error {
	if err := x.CheckUsable(); err != nil {
		return v.errAt(pos, x, CodeUndefinedVar, "value is Ansible Vault ciphertext, which winfleet cannot decrypt")
	}
	return nil
}

// scalar returns a usable var's value as text ("" for null); ok is false
// for lists and mappings.
func (v vars) scalar(pos Pos, x inventory.Var) (string, bool, error) {
	if err := v.usable(pos, x); err != nil {
		return "", false, err
	}
	if x.Value == nil {
		return "", true, nil
	}
	s, ok, _ := x.Scalar()
	return s, ok, nil
}

// lookupText returns a host var used by the executor itself (dialect,
// windows_version, sql_version, ...) as trimmed text; ok is false when it is
// unset or empty.
func (v vars) lookupText(name string) (s string, x inventory.Var, ok bool, err error) {
	x, found := v.get(name)
	if !found {
		return "", x, false, nil
	}
	s, isScalar, err := v.scalar(Pos{}, x)
	if err != nil {
		return "", x, false, err
	}
	if !isScalar {
		return "", x, false, v.errAt(Pos{}, x, CodeUndefinedVar, "must be a string, not a %T", x.Value)
	}
	s = strings.TrimSpace(s)
	return s, x, s != "", nil
}

// truthy reports whether a var switches something on, as inventory's one
// truthiness rule reads it ("off" and "no" are false).
func (v vars) truthy(pos Pos, x inventory.Var) (bool, error) {
	b, err := x.Truthy()
	if err != nil {
		return false, v.usable(pos, x)
	}
	return b, nil
}

// expand resolves t against v. A template that is exactly one reference
// yields the var's value as is; otherwise the result is a string.
func (t Template) expand(v vars) (any, error) {
	for _, r := range t.refs {
		if inventory.IsSecretName(r) {
			return nil, &VarError{Host: v.host, Pos: t.Pos, Var: r, Code: CodeUnsafeValue,
				Msg: "holds a secret; a playbook may not put it on a command line (it would end up in reports)"}
		}
	}
	if len(t.refs) == 0 {
		return t.Raw, nil
	}
	if len(t.refs) == 1 && t.lits[0] == "" && t.lits[1] == "" {
		x, ok := v.get(t.refs[0])
		if !ok {
			return nil, t.unknown(v, t.refs[0])
		}
		if err := v.usable(t.Pos, x); err != nil {
			return nil, err
		}
		return x.Value, nil
	}
	// The first bad var is kept: one is enough to refuse the value, and one
	// message is easier to act on.
	var err error
	keep := func(e error) {
		if err == nil {
			err = e
		}
	}
	var b strings.Builder
	for i, name := range t.refs {
		b.WriteString(t.lits[i])
		x, ok := v.get(name)
		if !ok {
			keep(t.unknown(v, name))
			continue
		}
		s, isScalar, serr := v.scalar(t.Pos, x)
		switch {
		case serr != nil:
			keep(serr)
		case !isScalar:
			keep(v.errAt(t.Pos, x, CodeUndefinedVar, "is a %T; only a string or number can be part of a larger value", x.Value))
		}
		b.WriteString(s)
	}
	b.WriteString(t.lits[len(t.refs)])
	if err != nil {
		return nil, err
	}
	return b.String(), nil
}

func (t Template) unknown(v vars, name string) error {
	return &VarError{Host: v.host, Pos: t.Pos, Var: name, Code: CodeUndefinedVar, Undefined: true, Msg: "undefined (not in the inventory or the playbook's vars)"}
}

// str resolves t to a string; a list value is an error.
func (t Template) str(v vars, what string) (string, error) {
	x, err := t.expand(v)
	if err != nil {
		return "", err
	}
	if x == nil {
		return "", nil
	}
	s, ok, _ := inventory.Var{Value: x}.Scalar()
	if !ok {
		return "", t.shapeErr(v, "%s must be a string, not a %T", what, x)
	}
	return s, nil
}

// shapeErr is a *VarError about the value of t's first var.
func (t Template) shapeErr(v vars, format string, args ...any) error {
	x, _ := v.get(firstRef(t))
	x.Name = firstRef(t)
	return v.errAt(t.Pos, x, CodeUndefinedVar, format, args...)
}

// list resolves t to a list of strings: a list var gives its elements, a
// string is split at commas. Empty elements are dropped.
func (t Template) list(v vars, what string) ([]string, error) {
	x, err := t.expand(v)
	if err != nil {
		return nil, err
	}
	var raw []string
	switch l := x.(type) {
	case []any:
		for _, e := range l {
			s, ok, _ := inventory.Var{Value: e}.Scalar()
			if !ok {
				return nil, t.shapeErr(v, "%s list elements must be strings, not %T", what, e)
			}
			raw = append(raw, s)
		}
	case []string:
		raw = l
	case nil:
	default:
		s, ok, _ := inventory.Var{Value: x}.Scalar()
		if !ok {
			return nil, t.shapeErr(v, "%s must be a string or a list, not a %T", what, x)
		}
		raw = strings.Split(s, ",")
	}
	var out []string
	for _, s := range raw {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

func firstRef(t Template) string {
	if len(t.refs) > 0 {
		return t.refs[0]
	}
	return ""
}
