package inventory

import (
	"bytes"
	"regexp"
	"strings"
)

var (
	reSection   = regexp.MustCompile(`^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$`)
	reGroupName = regexp.MustCompile(`^([^:\]\s]+)\s*(?:#.*)?$`)
)

type pending struct {
	line    int
	state   string
	name    string
	parents []*Group
	pLines  []int
}

// parseINI reads an Ansible INI inventory into inv, following Ansible's ini
// inventory plugin line by line.
func parseINI(inv *Inventory, file string, data []byte) error {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	pend := map[string]*pending{}
	var pendOrder []string
	group := inv.groupIdx["ungrouped"]
	state := "hosts"
	lineno := 0
	for len(data) > 0 {
		lineno++
		var raw []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			raw, data = data[:i], data[i+1:]
		} else {
			raw, data = data, nil
		}
		trimmed := bytes.TrimSpace(raw)
		if len(trimmed) == 0 || trimmed[0] == '#' || trimmed[0] == ';' {
			continue
		}
		line := string(trimmed)
		col := len(raw) - len(bytes.TrimLeft(raw, " \t\r\n\v\f")) + 1
		// Only a line starting with '[' can be a section header; the regexp
		// is not run on host lines (a large inventory has many).
		if m := sectionMatch(line); m != nil {
			name, st := m[1], m[2]
			if st == "" {
				st = "hosts"
			}
			if st != "hosts" && st != "children" && st != "vars" {
				return &Error{File: file, Line: lineno, Col: col, Msg: "section [" + name + ":" + st + "] has unknown type " + quote(st) + " (want hosts, children or vars)"}
			}
			if inv.groupIdx[name] == nil {
				if st == "vars" && pend[name] == nil {
					pend[name] = &pending{line: lineno, state: st, name: name}
					pendOrder = append(pendOrder, name)
				}
			}
			group = inv.addGroup(name, file, lineno)
			state = st
			if p := pend[name]; p != nil && st != "vars" {
				switch p.state {
				case "children":
					addPendingChildren(inv, name, pend, file)
				case "vars":
					delete(pend, name)
				}
			}
			continue
		}
		if line[0] == '[' && line[len(line)-1] == ']' {
			return &Error{File: file, Line: lineno, Col: col, Msg: "invalid section header " + quote(line) + ": want [group], [group:vars] or [group:children] with no spaces"}
		}
		switch state {
		case "hosts":
			if err := iniHostLine(inv, group, file, lineno, col, line); err != nil {
				return err
			}
		case "vars":
			k, v, ok := strings.Cut(line, "=")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if !ok {
				return &Error{File: file, Line: lineno, Col: col, Msg: "expected key=value (the line is not echoed: it may hold a secret)"}
			}
			if k == "" {
				return &Error{File: file, Line: lineno, Col: col, Msg: "empty variable name in " + quote(line)}
			}
			if err := setGroupVar(group, k, iniVar(v, file, lineno)); err != nil {
				return err
			}
		case "children":
			m := reGroupName.FindStringSubmatch(line)
			if m == nil {
				return &Error{File: file, Line: lineno, Col: col, Msg: "expected a group name, got " + quote(line)}
			}
			child := m[1]
			if c := inv.groupIdx[child]; c != nil {
				group.addChild(c, pos{file, lineno})
				continue
			}
			p := pend[child]
			if p == nil {
				p = &pending{line: lineno, state: "children", name: child}
				pend[child] = p
				pendOrder = append(pendOrder, child)
			}
			p.parents = append(p.parents, group)
			p.pLines = append(p.pLines, lineno)
		}
	}
	for _, name := range pendOrder {
		p := pend[name]
		if p == nil {
			continue
		}
		if p.state == "vars" {
			return &Error{File: file, Line: p.line, Msg: "section [" + name + ":vars] is for group " + quote(name) + ", which is never defined"}
		}
		parent := p.parents[len(p.parents)-1]
		return &Error{File: file, Line: p.pLines[len(p.pLines)-1], Msg: "section [" + parent.Name + ":children] includes undefined group " + quote(name)}
	}
	return nil
}

func sectionMatch(line string) []string {
	if line[0] != '[' {
		return nil
	}
	return reSection.FindStringSubmatch(line)
}

func addPendingChildren(inv *Inventory, name string, pend map[string]*pending, file string) {
	p := pend[name]
	delete(pend, name)
	for i, parent := range p.parents {
		// the child group exists now: it was just declared
		parent.addChild(inv.groupIdx[name], pos{file, p.pLines[i]})
		if pp := pend[parent.Name]; pp != nil && pp.state == "children" {
			addPendingChildren(inv, parent.Name, pend, file)
		}
	}
}

func iniVar(v, file string, line int) Var {
	val := iniValue(v)
	s, isStr := val.(string)
	return Var{Value: val, File: file, Line: line, Vault: isStr && isVaultString(s)}
}

func iniHostLine(inv *Inventory, g *Group, file string, lineno, col int, line string) error {
	toks, off, err := shlexSplit(line)
	if err != nil {
		return &Error{File: file, Line: lineno, Col: col + off, Msg: "host line: " + err.Error()}
	}
	if len(toks) == 0 || toks[0].text == "" {
		return &Error{File: file, Line: lineno, Col: col, Msg: "empty host name"}
	}
	hp := toks[0].text
	names, port, err := expandHostPattern(hp)
	if err != nil {
		return &Error{File: file, Line: lineno, Col: col + toks[0].off, Msg: err.Error()}
	}
	if port == 0 && strings.HasSuffix(strings.TrimSpace(hp), ":") {
		return &Error{File: file, Line: lineno, Col: col + toks[0].off, Msg: "invalid host pattern " + quote(hp) + ": a trailing ':' must be followed by a port"}
	}
	for _, n := range names {
		if strings.TrimSpace(n) == "---" {
			return &Error{File: file, Line: lineno, Col: col, Msg: "invalid host pattern '---' (is this a YAML file?)"}
		}
	}
	var kv []Var
	var keys []string
	for _, t := range toks[1:] {
		k, v, ok := strings.Cut(t.text, "=")
		if !ok {
			return &Error{File: file, Line: lineno, Col: col + t.off, Msg: "expected key=value host variable after the host name (the text is not echoed: it may hold a secret)"}
		}
		if k == "" {
			return &Error{File: file, Line: lineno, Col: col + t.off, Msg: "empty variable name in " + quote(t.text)}
		}
		keys = append(keys, k)
		kv = append(kv, iniVar(v, file, lineno))
	}
	for _, n := range names {
		h := inv.addHost(n, g, port, file, lineno)
		for i, k := range keys {
			h.setVar(k, kv[i])
		}
	}
	return nil
}

func quote(s string) string {
	return "\"" + strings.ReplaceAll(s, "\"", "\\\"") + "\""
}
