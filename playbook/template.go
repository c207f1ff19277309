package playbook

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

var refRE = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)

// parseRefs returns the var names a template references. Only plain names
// are allowed inside {{ }}: no filters, no expressions.
func parseRefs(s string) ([]string, error) {
	var refs []string
	for _, m := range refRE.FindAllStringSubmatch(s, -1) {
		if !varNameRE.MatchString(m[1]) {
			return nil, fmt.Errorf("%q: only {{ var_name }} is supported", m[0])
		}
		refs = append(refs, m[1])
	}
	rest := refRE.ReplaceAllString(s, "")
	if strings.Contains(rest, "{{") || strings.Contains(rest, "}}") {
		return nil, fmt.Errorf("unbalanced {{ }} in %q", s)
	}
	return refs, nil
}

// secretVar reports whether a var name looks like a credential
// (ansible_password, password_env, become_pass, api_token, ...). Templates
// may not reference such vars: their values would reach command lines,
// error messages and reports.
func secretVar(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"password", "passwd", "secret", "token", "private_key"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return strings.HasSuffix(n, "_pass") || n == "pass"
}

// A VarError is a template that could not be resolved for a host: an unknown
// var, or a var whose value has the wrong shape.
type VarError struct {
	Host string
	Pos  Pos
	Var  string
	Msg  string
}

func (e *VarError) Error() string {
	h := ""
	if e.Host != "" {
		h = "host " + e.Host + ": "
	}
	return fmt.Sprintf("%s%s: var %q: %s", h, e.Pos, e.Var, e.Msg)
}

// vars is the var lookup for one host: item-level vars (per SSIS version)
// over inventory vars over playbook defaults.
type vars struct {
	host   string
	layers []map[string]any // highest precedence first
}

func (v vars) get(name string) (any, bool) {
	for _, l := range v.layers {
		if x, ok := l[name]; ok {
			return x, true
		}
	}
	return nil, false
}

func (v vars) with(m map[string]any) vars {
	return vars{host: v.host, layers: append([]map[string]any{m}, v.layers...)}
}

// truthy reports whether a when: var enables its item.
func (v vars) truthy(name string) bool {
	x, ok := v.get(name)
	if !ok || x == nil {
		return false
	}
	switch t := x.(type) {
	case bool:
		return t
	case string:
		s := strings.ToLower(strings.TrimSpace(t))
		return s != "" && s != "false" && s != "no" && s != "0"
	case int:
		return t != 0
	case float64:
		return t != 0
	case []any:
		return len(t) > 0
	}
	return true
}

func scalar(x any) (string, bool) {
	switch t := x.(type) {
	case string:
		return t, true
	case int:
		return strconv.Itoa(t), true
	case int64:
		return strconv.FormatInt(t, 10), true
	case uint64:
		return strconv.FormatUint(t, 10), true
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(t), true
	}
	return "", false
}

// expand resolves t against v. A template that is exactly one reference
// yields the var's value as is; otherwise the result is a string.
func (t Template) expand(v vars) (any, error) {
	for _, r := range t.refs {
		if secretVar(r) {
			return nil, &VarError{Host: v.host, Pos: t.Pos, Var: r, Msg: "holds a secret; a playbook may not put it on a command line (it would end up in reports)"}
		}
	}
	if len(t.refs) == 1 {
		if m := refRE.FindStringSubmatchIndex(t.Raw); m != nil && m[0] == 0 && m[1] == len(t.Raw) {
			x, ok := v.get(t.refs[0])
			if !ok {
				return nil, t.unknown(v, t.refs[0])
			}
			return x, nil
		}
	}
	var err error
	out := refRE.ReplaceAllStringFunc(t.Raw, func(m string) string {
		name := refRE.FindStringSubmatch(m)[1]
		x, ok := v.get(name)
		if !ok {
			if err == nil {
				err = t.unknown(v, name)
			}
			return ""
		}
		s, ok := scalar(x)
		if !ok && err == nil {
			err = &VarError{Host: v.host, Pos: t.Pos, Var: name, Msg: fmt.Sprintf("is a %T; only a string or number can be part of a larger value", x)}
		}
		return s
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (t Template) unknown(v vars, name string) error {
	return &VarError{Host: v.host, Pos: t.Pos, Var: name, Msg: "undefined (not in the inventory or the playbook's vars)"}
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
	s, ok := scalar(x)
	if !ok {
		return "", &VarError{Host: v.host, Pos: t.Pos, Var: firstRef(t), Msg: fmt.Sprintf("%s must be a string, not a %T", what, x)}
	}
	return s, nil
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
			s, ok := scalar(e)
			if !ok {
				return nil, &VarError{Host: v.host, Pos: t.Pos, Var: firstRef(t), Msg: fmt.Sprintf("%s list elements must be strings, not %T", what, e)}
			}
			raw = append(raw, s)
		}
	case []string:
		raw = l
	case nil:
	default:
		s, ok := scalar(x)
		if !ok {
			return nil, &VarError{Host: v.host, Pos: t.Pos, Var: firstRef(t), Msg: fmt.Sprintf("%s must be a string or a list, not a %T", what, x)}
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
