package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"
)

var reYAMLLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAMLDoc parses data into its root node; nil for an empty document.
// A file holds one document: a second one (after "---") is an error at its
// line, as is a key repeated in one mapping (Ansible warns and keeps the
// last; an unattended run must not silently lose the first).
func parseYAMLDoc(file string, data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlErr(file, err)
	}
	var second yaml.Node
	switch err := dec.Decode(&second); {
	case err == nil:
		line := second.Line
		if len(second.Content) > 0 {
			line = second.Content[0].Line
		}
		return nil, &Error{File: file, Line: line, Msg: "a second YAML document: an inventory or vars file holds one document (remove the '---' or split the file)"}
	case !errors.Is(err, io.EOF):
		return nil, yamlErr(file, err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	if err := duplicateKeys(file, doc.Content[0], 0); err != nil {
		return nil, err
	}
	root := doc.Content[0]
	for root.Kind == yaml.AliasNode {
		root = root.Alias
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, nil
	}
	return root, nil
}

func yamlErr(file string, err error) error {
	if m := reYAMLLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: file, Line: line, Msg: m[2]}
	}
	return &Error{File: file, Line: 1, Msg: err.Error()}
}

// duplicateKeys finds a key given twice in one mapping, anywhere in n.
// Merge keys ("<<") may repeat; aliases are not followed (their targets are
// checked where they are defined).
func duplicateKeys(file string, n *yaml.Node, depth int) error {
	if depth > 100 {
		return nil // nodeValue refuses such nesting with its own message
	}
	if n.Kind == yaml.MappingNode {
		first := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind == yaml.ScalarNode && k.Tag != "!!merge" {
				if l, dup := first[k.Value]; dup {
					return &Error{File: file, Line: k.Line, Col: k.Column, Msg: fmt.Sprintf("duplicate key %q (first at line %d)", k.Value, l)}
				}
				first[k.Value] = k.Line
			}
		}
	}
	for _, c := range n.Content {
		if err := duplicateKeys(file, c, depth+1); err != nil {
			return err
		}
	}
	return nil
}

type pair struct{ k, v *yaml.Node }

// mapPairs returns a mapping's key/value pairs with aliases resolved and
// "<<" merge keys applied. Like the Python dict Ansible builds, a repeated
// key keeps its first position and its last value, and explicit keys win
// over merged ones.
func mapPairs(n *yaml.Node) []pair {
	var out []pair
	idx := map[string]int{}
	put := func(p pair, override bool) {
		key := p.k.Tag + "\x00" + p.k.Value
		if i, ok := idx[key]; ok {
			if override {
				out[i].v = p.v
			}
			return
		}
		idx[key] = len(out)
		out = append(out, p)
	}
	var merged []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			srcs := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				srcs = srcs[:0]
				for _, s := range v.Content {
					srcs = append(srcs, deref(s))
				}
			}
			for _, s := range srcs {
				if s.Kind == yaml.MappingNode {
					merged = append(merged, mapPairs(s)...)
				}
			}
			continue
		}
		put(pair{deref(k), v}, true)
	}
	for _, p := range merged {
		put(p, false)
	}
	return out
}

func deref(n *yaml.Node) *yaml.Node {
	for depth := 0; n.Kind == yaml.AliasNode && n.Alias != nil && depth < 100; depth++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a scalar (" + n.Tag + ")"
	}
	return "something else"
}

// yamlVar converts a YAML value node into a Var.
func yamlVar(file string, key, n *yaml.Node) (Var, error) {
	v := Var{File: file, Line: key.Line}
	if n.Kind == yaml.ScalarNode && n.Tag == "!vault" {
		v.Value, v.Vault = n.Value, true
		return v, nil
	}
	budget := maxValueNodes
	val, err := nodeValue(file, n, 0, &budget)
	if budget < 0 {
		return v, &Error{File: file, Line: key.Line, Col: key.Column, Msg: fmt.Sprintf("value of %q too large (aliases expand to more than %d nodes)", key.Value, maxValueNodes)}
	}
	if err != nil {
		return v, err
	}
	if s, ok := val.(string); ok && isVaultString(s) {
		v.Vault = true
	}
	v.Value = val
	return v, nil
}

// maxValueNodes bounds the nodes one value may expand to through aliases
// (a "billion laughs" document would otherwise never finish).
const maxValueNodes = 1 << 20

// nodeValue decodes n into plain Go values. Tags YAML does not know (such as
// !vault inside a structure) keep the scalar's text.
func nodeValue(file string, n *yaml.Node, depth int, budget *int) (any, error) {
	if depth > 100 {
		return nil, &Error{File: file, Line: n.Line, Col: n.Column, Msg: "value nested too deeply"}
	}
	if *budget--; *budget < 0 {
		return nil, &Error{File: file, Line: n.Line, Col: n.Column, Msg: "value too large (aliases expand to more than a million nodes)"}
	}
	n = deref(n)
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Style == 0 {
			switch n.Tag {
			case "!!str", "!!int", "!!float", "!!bool":
				// Ansible reads YAML 1.1: type plain scalars as PyYAML does.
				if v, ok := yaml11Plain(n.Value); ok {
					return v, nil
				}
				if n.Tag != "!!str" {
					return n.Value, nil
				}
			}
		}
		switch n.Tag {
		case "!!str":
			return n.Value, nil
		case "!!binary":
			return n.Value, nil
		case "!!null", "!!bool", "!!int", "!!float", "!!timestamp":
		default:
			return n.Value, nil
		}
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, &Error{File: file, Line: n.Line, Col: n.Column, Msg: err.Error()}
		}
		switch x := v.(type) {
		case time.Time:
			return n.Value, nil
		case float64:
			if math.IsInf(x, 0) || math.IsNaN(x) {
				return n.Value, nil
			}
		case int64:
			return int(x), nil
		case uint64:
			return n.Value, nil
		}
		return v, nil
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := nodeValue(file, c, depth+1, budget)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for _, p := range mapPairs(n) {
			v, err := nodeValue(file, p.v, depth+1, budget)
			if err != nil {
				return nil, err
			}
			out[p.k.Value] = v
		}
		return out, nil
	case yaml.AliasNode:
		return nil, &Error{File: file, Line: n.Line, Col: n.Column, Msg: "unresolved alias"}
	}
	return nil, &Error{File: file, Line: n.Line, Col: n.Column, Msg: "unsupported YAML node"}
}

// parseYAMLInv reads a YAML (or JSON) inventory in Ansible's structure:
// top-level keys are groups; a group has optional vars, children and hosts.
func parseYAMLInv(inv *Inventory, file string, data []byte) error {
	root, err := parseYAMLDoc(file, data)
	if err != nil || root == nil {
		return err
	}
	if root.Kind != yaml.MappingNode {
		return &Error{File: file, Line: root.Line, Col: root.Column, Msg: "YAML inventory must be a mapping of groups (like all: {hosts: ..., children: ...}), got " + kindName(root)}
	}
	if isListFormat(root) {
		return parseListFormat(inv, file, root)
	}
	y := yamlParser{inv: inv, file: file}
	for _, p := range mapPairs(root) {
		if p.k.Value == "plugin" {
			return &Error{File: file, Line: p.k.Line, Col: p.k.Column, Msg: "this is an inventory plugin configuration, not a YAML inventory"}
		}
		if _, err := y.group(p.k, p.v, 0); err != nil {
			return err
		}
	}
	return nil
}

type yamlParser struct {
	inv  *Inventory
	file string
}

func (y *yamlParser) errAt(n *yaml.Node, format string, args ...any) *Error {
	return &Error{File: y.file, Line: n.Line, Col: n.Column, Msg: fmt.Sprintf(format, args...)}
}

func (y *yamlParser) group(key, val *yaml.Node, depth int) (*Group, error) {
	if depth > 1000 {
		return nil, &Error{File: y.file, Line: key.Line, Msg: "groups nested too deeply"}
	}
	name := key.Value
	if key.Kind != yaml.ScalarNode || name == "" {
		return nil, y.errAt(key, "group name must be a non-empty string")
	}
	if val.Kind != yaml.MappingNode && !isNull(val) {
		y.inv.warn(y.file, key.Line, "", "skipping %q: not a valid group definition (want a mapping with hosts, children or vars)", name)
		return nil, nil
	}
	g := y.inv.addGroup(name, y.file, key.Line)
	if isNull(val) {
		return g, nil
	}
	pairs := mapPairs(val)
	for i, p := range pairs {
		switch p.k.Value {
		case "vars", "children", "hosts":
			if p.v.Kind == yaml.ScalarNode && !isNull(p.v) {
				// a string is allowed and means {string: null}
				pairs[i].v = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: p.v.Line, Column: p.v.Column,
					Content: []*yaml.Node{p.v, {Kind: yaml.ScalarNode, Tag: "!!null", Line: p.v.Line}}}
			} else if p.v.Kind != yaml.MappingNode && !isNull(p.v) {
				return nil, y.errAt(p.v, "%q entry of group %q must be a mapping, got %s", p.k.Value, name, kindName(p.v))
			}
		}
	}
	for _, p := range pairs {
		if p.v.Kind != yaml.MappingNode {
			if !isNull(p.v) {
				y.inv.warn(y.file, p.k.Line, "", "skipping key %q in group %q: it is not a mapping", p.k.Value, name)
			}
			continue
		}
		switch p.k.Value {
		case "vars":
			for _, vp := range mapPairs(p.v) {
				v, err := yamlVar(y.file, vp.k, vp.v)
				if err != nil {
					return nil, err
				}
				if err := setGroupVar(g, vp.k.Value, v); err != nil {
					return nil, err
				}
			}
		case "children":
			for _, cp := range mapPairs(p.v) {
				c, err := y.group(cp.k, cp.v, depth+1)
				if err != nil {
					return nil, err
				}
				if c != nil {
					g.addChild(c, pos{y.file, cp.k.Line})
				}
			}
		case "hosts":
			for _, hp := range mapPairs(p.v) {
				if err := y.host(g, hp.k, hp.v); err != nil {
					return nil, err
				}
			}
		default:
			y.inv.warn(y.file, p.k.Line, "", "skipping unexpected key %q in group %q: only vars, children and hosts are valid", p.k.Value, name)
		}
	}
	return g, nil
}

func (y *yamlParser) host(g *Group, key, val *yaml.Node) error {
	if key.Kind != yaml.ScalarNode || key.Value == "" || isNull(key) {
		return y.errAt(key, "host name must be a non-empty string")
	}
	if val.Kind != yaml.MappingNode && !isNull(val) {
		return y.errAt(val, "vars of host %q must be a mapping, got %s", key.Value, kindName(val))
	}
	names, port, err := expandHostPattern(key.Value)
	if err != nil {
		return y.errAt(key, "%v", err)
	}
	var keys []string
	var vals []Var
	if val.Kind == yaml.MappingNode {
		for _, vp := range mapPairs(val) {
			v, err := yamlVar(y.file, vp.k, vp.v)
			if err != nil {
				return err
			}
			keys = append(keys, vp.k.Value)
			vals = append(vals, v)
		}
	}
	for _, n := range names {
		h := y.inv.addHost(n, g, port, y.file, key.Line)
		for i, k := range keys {
			h.setVar(k, vals[i])
		}
	}
	return nil
}

// parseVarsFile reads a group_vars/ or host_vars/ file (YAML or JSON; a
// mapping at the top) into m.
func parseVarsFile(file string, data []byte, m map[string]Var) error {
	root, err := parseYAMLDoc(file, data)
	if err != nil || root == nil {
		return err
	}
	if root.Kind != yaml.MappingNode {
		return &Error{File: file, Line: root.Line, Col: root.Column, Msg: "vars file must be a mapping of variable names to values, got " + kindName(root)}
	}
	for _, p := range mapPairs(root) {
		v, err := yamlVar(file, p.k, p.v)
		if err != nil {
			return err
		}
		m[p.k.Value] = v
	}
	return nil
}
