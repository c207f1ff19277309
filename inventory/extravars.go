package inventory

import (
	"fmt"
	"strings"
)

// ExtraVarsSource names --extra-vars in positions and messages.
const ExtraVarsSource = "--extra-vars"

// ParseExtraVars reads one -e/--extra-vars value the way Ansible does:
// "@FILE" is a YAML or JSON vars file (read with readFile; its vars keep
// their file and line), a value starting with "{" is an inline YAML/JSON
// mapping, and anything else is key=value pairs split like a shell line
// (values stay strings, as in Ansible). Several -e merge, later ones
// winning; SetExtraVars gives them the highest precedence.
func ParseExtraVars(arg string, readFile func(string) ([]byte, error)) (map[string]Var, error) {
	m := map[string]Var{}
	s := strings.TrimSpace(arg)
	switch {
	case strings.HasPrefix(s, "@"):
		file := strings.TrimPrefix(s, "@")
		data, err := readFile(file)
		if err != nil {
			return nil, &Error{File: file, Msg: "read extra vars", Err: err}
		}
		if err := parseVarsFile(file, data, m); err != nil {
			return nil, err
		}
	case strings.HasPrefix(s, "{"):
		if err := parseVarsFile(ExtraVarsSource, []byte(s), m); err != nil {
			return nil, err
		}
	default:
		toks, off, err := shlexSplit(s)
		if err != nil {
			return nil, &Error{File: ExtraVarsSource, Col: off + 1, Msg: fmt.Sprintf("%q: %v", arg, err)}
		}
		for _, t := range toks {
			k, v, ok := strings.Cut(t.text, "=")
			if !ok || k == "" {
				return nil, &Error{File: ExtraVarsSource, Msg: fmt.Sprintf("%q is not key=value, a {...} mapping or @file", t.text)}
			}
			m[k] = Var{Name: k, Value: v, File: ExtraVarsSource, Vault: isVaultString(v)}
		}
	}
	for k, v := range m {
		v.Name = k
		m[k] = v
	}
	return m, nil
}

// SetExtraVars gives vars the highest precedence for every host, above
// host_vars/, as Ansible's --extra-vars: they change connection settings
// (ansible_user, ansible_port, ...) and playbook vars alike.
func (inv *Inventory) SetExtraVars(vars map[string]Var) {
	for _, h := range inv.hosts {
		h.extraVars = vars
	}
}

// RedactExtraVars returns an -e value fit for a report or a log line: the
// value of every key=value whose key is a secret name is masked, and an
// inline mapping that has a secret key, or a value that does not parse, is
// masked whole. An @file value names a file and is returned as it is.
func RedactExtraVars(arg string) string {
	s := strings.TrimSpace(arg)
	switch {
	case strings.HasPrefix(s, "@"):
		return arg
	case strings.HasPrefix(s, "{"):
		m := map[string]Var{}
		if err := parseVarsFile(ExtraVarsSource, []byte(s), m); err != nil {
			return "{" + Masked + "}"
		}
		for k := range m {
			if IsSecretName(k) {
				return "{" + Masked + "}"
			}
		}
		return arg
	}
	toks, _, err := shlexSplit(s)
	if err != nil {
		return Masked
	}
	secret := false
	parts := make([]string, len(toks))
	for i, t := range toks {
		if k, _, ok := strings.Cut(t.text, "="); ok && IsSecretName(k) {
			parts[i], secret = k+"="+Masked, true
			continue
		}
		parts[i] = shellQuote(t.text)
	}
	if !secret {
		return arg
	}
	return strings.Join(parts, " ")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`#;&|<>()*?[]{}~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
