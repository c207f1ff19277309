package inventory

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// A Var is one variable as written in one place: its value and where it was
// defined. Values keep the Go types their source gives them: from YAML and
// JSON the decoded value (string, int, float64, bool, nil, []any,
// map[string]any); from INI what Ansible's INI parser makes of the text (see
// the package README).
type Var struct {
	// Name is the variable's name, as the accessors (Host.Var, Host.Vars,
	// Group.Vars) return it.
	Name  string
	Value any
	File  string
	Line  int
	// Vault is true when the value is Ansible Vault ciphertext (a "!vault"
	// tagged YAML scalar or a string starting with "$ANSIBLE_VAULT;").
	Vault bool
}

// Inventory is a loaded inventory: hosts and groups in the order they were
// first defined, with the implicit groups "all" and "ungrouped".
type Inventory struct {
	// Path is the path given to Load.
	Path string

	hosts    []*Host
	hostIdx  map[string]*Host
	groups   []*Group
	groupIdx map[string]*Group
	warnings []Warning
}

// A Group is an inventory group.
type Group struct {
	Name string
	// File and Line say where the group was first defined (zero for the
	// implicit groups).
	File string
	Line int
	// Priority is ansible_group_priority (default 1); among groups of the
	// same depth a higher priority wins.
	Priority int

	vars     map[string]Var // inventory file
	fileVars map[string]Var // group_vars/
	children []*Group
	childPos []pos // where each child link was declared
	parents  []*Group
	hosts    []*Host
	depth    int
	order    int
}

// A Host is an inventory host.
type Host struct {
	Name string
	// File and Line say where the host was first defined.
	File string
	Line int
	// Index is the host's position in inventory order (0-based).
	Index int

	vars      map[string]Var // inventory file
	fileVars  map[string]Var // host_vars/
	extraVars map[string]Var // --extra-vars: above everything
	groups    []*Group       // direct groups, in the order the host was added
}

type pos struct {
	file string
	line int
}

func newInventory(path string) *Inventory {
	inv := &Inventory{Path: path, hostIdx: map[string]*Host{}, groupIdx: map[string]*Group{}}
	all := inv.addGroup("all", "", 0)
	ung := inv.addGroup("ungrouped", "", 0)
	all.addChild(ung, pos{})
	return inv
}

// Hosts returns every host in inventory order.
func (inv *Inventory) Hosts() []*Host { return slices.Clone(inv.hosts) }

// Host returns the named host, or nil.
func (inv *Inventory) Host(name string) *Host { return inv.hostIdx[name] }

// Groups returns every group in the order groups were first defined; "all"
// and "ungrouped" come first.
func (inv *Inventory) Groups() []*Group { return slices.Clone(inv.groups) }

// Group returns the named group, or nil.
func (inv *Inventory) Group(name string) *Group { return inv.groupIdx[name] }

// Warnings returns what loading found suspicious but not fatal.
func (inv *Inventory) Warnings() []Warning { return slices.Clone(inv.warnings) }

func (inv *Inventory) warn(file string, line int, host, format string, args ...any) {
	inv.warnings = append(inv.warnings, Warning{File: file, Line: line, Host: host, Msg: fmt.Sprintf(format, args...)})
}

func (inv *Inventory) addGroup(name, file string, line int) *Group {
	if g := inv.groupIdx[name]; g != nil {
		return g
	}
	g := &Group{Name: name, File: file, Line: line, Priority: 1, order: len(inv.groups)}
	inv.groups = append(inv.groups, g)
	inv.groupIdx[name] = g
	return g
}

// addHost adds (or finds) a host and, if g is not nil, puts it in g. port,
// when non-zero, becomes ansible_port if the host is new (Ansible's rule).
func (inv *Inventory) addHost(name string, g *Group, port int, file string, line int) *Host {
	h := inv.hostIdx[name]
	if h == nil {
		h = &Host{Name: name, File: file, Line: line, Index: len(inv.hosts)}
		inv.hosts = append(inv.hosts, h)
		inv.hostIdx[name] = h
		if port != 0 {
			h.setVar("ansible_port", Var{Value: port, File: file, Line: line})
		}
	}
	if g != nil {
		g.addHost(h)
	}
	return h
}

func (g *Group) addHost(h *Host) {
	// A host is in few groups, so checking the host's list is cheap even
	// when the group has thousands of hosts.
	if slices.Contains(h.groups, g) {
		return
	}
	h.groups = append(h.groups, g)
	g.hosts = append(g.hosts, h)
}

func (g *Group) removeHost(h *Host) {
	g.hosts = slices.DeleteFunc(g.hosts, func(x *Host) bool { return x == h })
	h.groups = slices.DeleteFunc(h.groups, func(x *Group) bool { return x == g })
}

func (g *Group) addChild(c *Group, p pos) {
	if slices.Contains(g.children, c) {
		return
	}
	g.children = append(g.children, c)
	g.childPos = append(g.childPos, p)
	c.parents = append(c.parents, g)
}

func (h *Host) setVar(k string, v Var) {
	if h.vars == nil {
		h.vars = make(map[string]Var, 2)
	}
	h.vars[k] = v
}

func (g *Group) setVar(k string, v Var) {
	if g.vars == nil {
		g.vars = map[string]Var{}
	}
	g.vars[k] = v
}

// Children returns the group's direct child groups in definition order.
func (g *Group) Children() []*Group { return slices.Clone(g.children) }

// Parents returns the group's direct parent groups.
func (g *Group) Parents() []*Group { return slices.Clone(g.parents) }

// Hosts returns the hosts directly in the group, in the order they were added.
func (g *Group) Hosts() []*Host { return slices.Clone(g.hosts) }

// Depth is the length of the longest path from "all" to the group (all is 0).
func (g *Group) Depth() int { return g.depth }

// Vars returns the group's own variables: the inventory file's, overridden by
// group_vars/ files. It does not include inherited variables.
func (g *Group) Vars() map[string]Var {
	m := make(map[string]Var, len(g.vars)+len(g.fileVars))
	for k, v := range g.vars {
		v.Name = k
		m[k] = v
	}
	for k, v := range g.fileVars {
		v.Name = k
		m[k] = v
	}
	return m
}

// allHosts returns the hosts of g and of its descendants, each once, in
// inventory order.
func (g *Group) allHosts() []*Host {
	seenG := map[*Group]bool{}
	seenH := map[*Host]bool{}
	var out []*Host
	var walk func(*Group)
	walk = func(x *Group) {
		if seenG[x] {
			return
		}
		seenG[x] = true
		for _, h := range x.hosts {
			if !seenH[h] {
				seenH[h] = true
				out = append(out, h)
			}
		}
		for _, c := range x.children {
			walk(c)
		}
	}
	walk(g)
	sortHosts(out)
	return out
}

func sortHosts(hs []*Host) {
	sort.Slice(hs, func(i, j int) bool { return hs[i].Index < hs[j].Index })
}

// ancestors returns every group h belongs to, directly or through a child
// group, including "all", in no particular order.
func (h *Host) ancestors() []*Group {
	out := make([]*Group, 0, 8)
	var walk func(*Group)
	walk = func(g *Group) {
		if slices.Contains(out, g) {
			return
		}
		out = append(out, g)
		for _, p := range g.parents {
			walk(p)
		}
	}
	for _, g := range h.groups {
		walk(g)
	}
	return out
}

// Groups returns the names of every group the host belongs to, directly or
// through a child group, except "all", sorted by name (Ansible's
// group_names).
func (h *Host) Groups() []string {
	var out []string
	for _, g := range h.ancestors() {
		if g.Name != "all" {
			out = append(out, g.Name)
		}
	}
	slices.Sort(out)
	return out
}

// layers returns the host's variable sources from lowest to highest
// precedence, following Ansible's VariableManager with the default
// VARIABLE_PRECEDENCE:
//
//	all (inventory file) < other groups (inventory file, sorted)
//	< group_vars/all < group_vars/<group> (sorted)
//	< host (inventory file) < host_vars/<host> < --extra-vars
//
// Groups are sorted by depth, then ansible_group_priority, then name.
func (h *Host) layers() []map[string]Var {
	return h.layersCached(nil)
}

// groupLayers returns the group part of the layers for hosts whose direct
// groups are gs.
func groupLayers(direct []*Group) []map[string]Var {
	anc := (&Host{groups: direct}).ancestors()
	var all *Group
	gs := anc[:0:0]
	for _, g := range anc {
		if g.Name == "all" {
			all = g
		} else {
			gs = append(gs, g)
		}
	}
	sortGroups(gs)
	out := make([]map[string]Var, 0, 2*len(gs)+4)
	if all != nil {
		out = append(out, all.vars)
	}
	for _, g := range gs {
		out = append(out, g.vars)
	}
	if all != nil {
		out = append(out, all.fileVars)
	}
	for _, g := range gs {
		out = append(out, g.fileVars)
	}
	return out
}

// layersCached is layers with the group part shared between hosts that are
// directly in exactly one and the same group (most hosts of a large
// inventory), when cache is not nil.
func (h *Host) layersCached(cache map[*Group][]map[string]Var) []map[string]Var {
	var gl []map[string]Var
	if cache != nil && len(h.groups) == 1 {
		var ok bool
		if gl, ok = cache[h.groups[0]]; !ok {
			gl = groupLayers(h.groups)
			cache[h.groups[0]] = gl
		}
		out := make([]map[string]Var, len(gl), len(gl)+3)
		copy(out, gl)
		return append(out, h.vars, h.fileVars, h.extraVars)
	}
	gl = groupLayers(h.groups)
	return append(gl, h.vars, h.fileVars, h.extraVars)
}

func sortGroups(gs []*Group) {
	sort.Slice(gs, func(i, j int) bool {
		a, b := gs[i], gs[j]
		if a.depth != b.depth {
			return a.depth < b.depth
		}
		if a.Priority != b.Priority {
			return a.Priority < b.Priority
		}
		return a.Name < b.Name
	})
}

// Vars returns the host's resolved variables with Ansible's precedence (see
// layers). The map is the caller's.
func (h *Host) Vars() map[string]Var {
	m := map[string]Var{}
	for _, l := range h.layers() {
		for k, v := range l {
			v.Name = k
			m[k] = v
		}
	}
	return m
}

// Var returns the resolved value of one variable.
func (h *Host) Var(name string) (Var, bool) {
	v, _, ok := h.lookup(h.layers(), name)
	return v, ok
}

// lookup finds name in layers, returning the value and its layer rank
// (higher wins).
func (h *Host) lookup(layers []map[string]Var, name string) (Var, int, bool) {
	for i := len(layers) - 1; i >= 0; i-- {
		if v, ok := layers[i][name]; ok {
			v.Name = name
			return v, i, true
		}
	}
	return Var{}, -1, false
}

// isVaultString reports whether s is Ansible Vault ciphertext.
func isVaultString(s string) bool {
	return strings.HasPrefix(strings.TrimLeft(s, " \t\r\n"), "$ANSIBLE_VAULT;")
}

// setGroupVar sets an inventory-file group variable the way Ansible's
// Group.set_variable does: ansible_group_priority sets the priority and is
// not kept as a variable.
func setGroupVar(g *Group, k string, v Var) error {
	if k == "ansible_group_priority" {
		n, ok := toInt(v.Value)
		if !ok {
			return &Error{File: v.File, Line: v.Line, Msg: fmt.Sprintf("group %s: ansible_group_priority must be an integer, got %v", g.Name, v.Value)}
		}
		g.Priority = n
		return nil
	}
	g.setVar(k, v)
	return nil
}

// toInt converts an int, a whole float or a decimal string to int.
func toInt(v any) (int, bool) {
	switch v := v.(type) {
	case int:
		return v, true
	case int64:
		return int(v), true
	case uint64:
		return int(v), v <= 1<<62
	case float64:
		return int(v), v == float64(int(v))
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(v))
		return n, err == nil
	}
	return 0, false
}
