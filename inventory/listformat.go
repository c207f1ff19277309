package inventory

import "go.yaml.in/yaml/v3"

// isListFormat reports whether root is the JSON that `ansible-inventory
// --list` and inventory scripts print (groups with "hosts" as a list, and
// "_meta": {"hostvars": {...}}). The "_meta" key is what tells it apart:
// without it a list where YAML inventories want a mapping is an error.
func isListFormat(root *yaml.Node) bool {
	for _, p := range mapPairs(root) {
		if p.k.Value == "_meta" {
			return true
		}
	}
	return false
}

// parseListFormat reads the ansible-inventory --list / script JSON format the
// way Ansible's script plugin does, so an export of a dynamic inventory can
// be used as is. Host names are taken literally (no ranges).
func parseListFormat(inv *Inventory, file string, root *yaml.Node) error {
	errAt := func(n *yaml.Node, msg string) error {
		return &Error{File: file, Line: n.Line, Col: n.Column, Msg: msg}
	}
	var meta *yaml.Node
	for _, p := range mapPairs(root) {
		name := p.k.Value
		if name == "_meta" {
			meta = p.v
			continue
		}
		g := inv.addGroup(name, file, p.k.Line)
		data := p.v
		if data.Kind == yaml.SequenceNode {
			data = &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: "hosts", Line: p.v.Line}, p.v}}
		} else if isNull(data) {
			continue
		} else if data.Kind != yaml.MappingNode {
			return errAt(data, "group "+quote(name)+" must be a list of hosts or a mapping")
		}
		pairs := mapPairs(data)
		simple := true
		for _, q := range pairs {
			switch q.k.Value {
			case "hosts", "vars", "children":
				simple = false
			}
		}
		if simple {
			// Ansible's shorthand {"name": {vars}}: a group holding a host
			// of the same name, the vars set on the group.
			inv.addHost(name, g, 0, file, p.k.Line)
			for _, q := range pairs {
				v, err := yamlVar(file, q.k, q.v)
				if err != nil {
					return err
				}
				if err := setGroupVar(g, q.k.Value, v); err != nil {
					return err
				}
			}
			continue
		}
		for _, q := range pairs {
			switch q.k.Value {
			case "hosts":
				if q.v.Kind != yaml.SequenceNode {
					return errAt(q.v, "hosts of group "+quote(name)+" must be a list")
				}
				for _, hn := range q.v.Content {
					hn = deref(hn)
					if hn.Kind != yaml.ScalarNode || hn.Value == "" {
						return errAt(hn, "host name must be a non-empty string")
					}
					inv.addHost(hn.Value, g, 0, file, hn.Line)
				}
			case "vars":
				if q.v.Kind != yaml.MappingNode {
					return errAt(q.v, "vars of group "+quote(name)+" must be a mapping")
				}
				for _, vp := range mapPairs(q.v) {
					v, err := yamlVar(file, vp.k, vp.v)
					if err != nil {
						return err
					}
					if err := setGroupVar(g, vp.k.Value, v); err != nil {
						return err
					}
				}
			case "children":
				if q.v.Kind != yaml.SequenceNode {
					return errAt(q.v, "children of group "+quote(name)+" must be a list")
				}
				for _, cn := range q.v.Content {
					cn = deref(cn)
					if cn.Kind != yaml.ScalarNode || cn.Value == "" {
						return errAt(cn, "child group name must be a non-empty string")
					}
					g.addChild(inv.addGroup(cn.Value, file, cn.Line), pos{file, cn.Line})
				}
			}
		}
	}
	if meta == nil {
		return nil
	}
	if meta.Kind != yaml.MappingNode {
		return errAt(meta, "_meta must be a mapping")
	}
	for _, p := range mapPairs(meta) {
		if p.k.Value != "hostvars" {
			continue
		}
		if p.v.Kind != yaml.MappingNode {
			return errAt(p.v, "_meta.hostvars must be a mapping")
		}
		for _, hp := range mapPairs(p.v) {
			h := inv.hostIdx[hp.k.Value]
			if h == nil {
				continue // Ansible only applies hostvars to hosts listed in groups
			}
			if hp.v.Kind != yaml.MappingNode {
				if isNull(hp.v) {
					continue
				}
				return errAt(hp.v, "hostvars of "+quote(hp.k.Value)+" must be a mapping")
			}
			for _, vp := range mapPairs(hp.v) {
				v, err := yamlVar(file, vp.k, vp.v)
				if err != nil {
					return err
				}
				h.setVar(vp.k.Value, v)
			}
		}
	}
	return nil
}
