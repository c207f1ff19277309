package playbook

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/winfleet/winfleet/playbook/netsh"
)

// checkKind says which netsh evaluation a check uses.
type checkKind int

const (
	kindRule checkKind = iota + 1
	kindDCOM
	kindService
)

// check is one playbook item resolved for one host (and, for each: ssis
// items, one SSIS version).
type check struct {
	id, name string
	kind     checkKind
	rule     netsh.Desired
	reg      netsh.RegistryWant
	service  string
	svcState State
	// err is a resolution error: the check cannot be evaluated.
	err error
}

// ssisInstall is one SSIS version found on (or declared for) a host.
type ssisInstall struct {
	v       netsh.SSISVersion
	program string // MsDtsSrvr.exe path: sc qc's, or the plan's guess
	dirNum  int
}

// hostVars builds the var lookup of a target: inventory vars over the
// playbook's defaults.
func hostVars(pb *Playbook, t Target) vars {
	return vars{host: t.Name, layers: []map[string]any{t.Vars, pb.Vars}}
}

// applies reports whether an item applies to the host (its when: var).
func applies(it Item, v vars) (bool, error) {
	if it.When == "" {
		return true, nil
	}
	if _, ok := v.get(it.When); !ok {
		return false, &VarError{Host: v.host, Pos: it.Pos, Var: it.When, Msg: "undefined (used in when:)"}
	}
	return v.truthy(it.When), nil
}

// ssisVarsFor returns the vars bound for one SSIS install. The newest
// install keeps the playbook's rule name (suffix ""); older ones get " NNN"
// so that two versions never share a rule name.
func ssisVarsFor(in ssisInstall, newest bool) map[string]any {
	suffix := ""
	if !newest {
		suffix = " " + in.v.Dir
	}
	return map[string]any{
		"ssis_version":     in.v.Dir,
		"ssis_service":     in.v.Service,
		"ssis_program":     in.program,
		"ssis_rule_suffix": suffix,
	}
}

// expand resolves every item of pb for a host. installs are the SSIS
// versions found on it; with discovered false (before discovery) each: ssis
// items are left out. An error is returned for problems that make
// the whole host unusable (an undefined when: var); per-item problems are
// kept in check.err.
func expand(pb *Playbook, v vars, installs []ssisInstall, discovered bool) ([]check, error) {
	var out []check
	newest := -1
	for i, in := range installs {
		if newest < 0 || in.dirNum > installs[newest].dirNum {
			newest = i
		}
	}
	each := func(it Item, f func(v vars, idSuffix string) check) error {
		ok, err := applies(it, v)
		if err != nil || !ok {
			return err
		}
		if it.Each != "ssis" {
			out = append(out, f(v, ""))
			return nil
		}
		if !discovered {
			return nil
		}
		if len(installs) == 0 {
			out = append(out, check{id: it.ID, name: it.ID, err: errNoSSIS})
			return nil
		}
		for i, in := range installs {
			out = append(out, f(v.with(ssisVarsFor(in, i == newest)), "-"+in.v.Dir))
		}
		return nil
	}
	var errs []error
	for _, r := range pb.Rules {
		errs = append(errs, each(r.Item, func(v vars, sfx string) check { return resolveRule(r, v, sfx) }))
	}
	for _, d := range pb.DCOM {
		errs = append(errs, each(d.Item, func(v vars, sfx string) check { return resolveDCOM(d, v, sfx) }))
	}
	for _, s := range pb.Services {
		errs = append(errs, each(s.Item, func(v vars, sfx string) check { return resolveService(s, v, sfx) }))
	}
	return out, errors.Join(errs...)
}

// errNoSSIS is the error of an each: ssis check on a host with no SSIS.
var errNoSSIS = errors.New("no SSIS service (MsDtsServer*) is installed on the host")

// unsafe adds host, position and var to a netsh.UnsafeValueError.
func unsafe(err error, v vars, t Template) error {
	var ue *netsh.UnsafeValueError
	if errors.As(err, &ue) {
		name := firstRef(t)
		if name == "" {
			name = "(literal)"
		}
		return &VarError{Host: v.host, Pos: t.Pos, Var: name, Msg: "refused: " + ue.Error()}
	}
	return err
}

func resolveName(it Item, v vars, sfx string) (check, vars) {
	c := check{id: it.ID + sfx}
	name, err := it.Name.str(v, "name")
	if err != nil {
		c.err = err
	}
	c.name = name
	return c, v
}

func resolveRule(r Rule, v vars, sfx string) check {
	c, _ := resolveName(r.Item, v, sfx)
	c.kind = kindRule
	if c.err != nil {
		return c
	}
	d := netsh.Desired{Name: c.name, State: netsh.StatePresent}
	if r.State == Absent {
		d.State = netsh.StateAbsent
	}
	if r.Program.set {
		d.Kind = netsh.KindProgram
		p, err := r.Program.str(v, "program")
		if err != nil {
			c.err = err
			return c
		}
		if p == "" {
			c.err = &VarError{Host: v.host, Pos: r.Program.Pos, Var: firstRef(r.Program), Msg: "program is empty"}
			return c
		}
		d.Program = p
	} else {
		d.Kind = netsh.KindPort
		d.Protocol = strings.ToUpper(r.Protocol)
		ps, err := r.Port.str(v, "port")
		if err != nil {
			c.err = err
			return c
		}
		pr, err := netsh.ParsePortRange(ps)
		if err != nil {
			c.err = &VarError{Host: v.host, Pos: r.Port.Pos, Var: firstRef(r.Port), Msg: err.Error()}
			return c
		}
		d.Ports = pr
	}
	scope, err := resolveScope(r.Scope, v)
	if err != nil {
		c.err = err
		return c
	}
	d.Scope = scope
	// Render once to refuse unsafe values now, naming the var they came from.
	if _, err := netsh.AddCommand(d, netsh.Options{Dialect: netsh.Advfirewall, Env: netsh.DefaultEnv()}); err != nil {
		var ue *netsh.UnsafeValueError
		if errors.As(err, &ue) {
			t := r.Name
			switch {
			case strings.Contains(ue.Field, "program"):
				t = r.Program
			case strings.Contains(ue.Field, "address") || strings.Contains(ue.Field, "scope"):
				t = r.Scope
			case strings.Contains(ue.Field, "port") || strings.Contains(ue.Field, "protocol"):
				t = r.Port
			}
			c.err = unsafe(err, v, t)
			return c
		}
	}
	c.rule = d
	return c
}

func resolveScope(t Template, v vars) (netsh.Scope, error) {
	l, err := t.list(v, "scope")
	if err != nil {
		return netsh.Scope{}, err
	}
	bad := func(err error) error {
		return &VarError{Host: v.host, Pos: t.Pos, Var: firstRef(t), Msg: "scope: " + err.Error()}
	}
	switch {
	case len(l) == 0:
		return netsh.Scope{}, bad(errors.New("empty (want subnet, all, or addresses)"))
	case len(l) == 1:
		s, err := netsh.ParseScope(l[0])
		if err != nil {
			return netsh.Scope{}, bad(err)
		}
		return s, nil
	}
	s, err := netsh.CustomScope(l...)
	if err != nil {
		return netsh.Scope{}, bad(err)
	}
	return s, nil
}

func resolveDCOM(d DCOMItem, v vars, sfx string) check {
	c, _ := resolveName(d.Item, v, sfx)
	c.kind = kindDCOM
	if c.err != nil {
		return c
	}
	want := netsh.RegistryWant{Key: netsh.RPCInternetKey, State: netsh.StatePresent}
	if d.State == Absent {
		want.State = netsh.StateAbsent
	}
	var ports []netsh.PortRange
	if d.Ports.set {
		l, err := d.Ports.list(v, "ports")
		if err != nil {
			c.err = err
			return c
		}
		for _, s := range l {
			pr, err := netsh.ParsePortRange(s)
			if err != nil {
				c.err = &VarError{Host: v.host, Pos: d.Ports.Pos, Var: firstRef(d.Ports), Msg: err.Error()}
				return c
			}
			ports = append(ports, pr)
		}
		if len(ports) == 0 && want.State == netsh.StatePresent {
			c.err = &VarError{Host: v.host, Pos: d.Ports.Pos, Var: firstRef(d.Ports), Msg: "no port range given"}
			return c
		}
	}
	want.Values = netsh.DCOMValues(ports...)
	c.reg = want
	return c
}

func resolveService(s ServiceItem, v vars, sfx string) check {
	c, _ := resolveName(s.Item, v, sfx)
	c.kind = kindService
	c.svcState = s.State
	if c.err != nil {
		return c
	}
	name, err := s.Service.str(v, "service")
	if err != nil {
		c.err = err
		return c
	}
	if _, err := netsh.ScQueryCommand(name); err != nil {
		c.err = unsafe(err, v, s.Service)
		return c
	}
	c.service = name
	return c
}

// ssisFromVar returns the SSIS version named by the sql_version var, or
// ok=false when the var is not set.
func ssisFromVar(v vars) (netsh.SSISVersion, bool, error) {
	x, ok := v.get("sql_version")
	if !ok || x == nil {
		return netsh.SSISVersion{}, false, nil
	}
	s, _ := scalar(x)
	if strings.TrimSpace(s) == "" {
		return netsh.SSISVersion{}, false, nil
	}
	sv, found := netsh.LookupSSIS(strings.TrimSpace(s))
	if !found {
		return netsh.SSISVersion{}, false, &VarError{Host: v.host, Var: "sql_version", Pos: Pos{File: "inventory"},
			Msg: fmt.Sprintf("%q is not a known SQL Server version (90..160, 2005..2022, or MsDtsServerNNN)", s)}
	}
	return sv, true, nil
}

var msdtsRE = regexp.MustCompile(`(?i)^MsDtsServer(\d*)$`)

// ssisFromList picks the SSIS services out of a service list. A version
// LookupSSIS does not know (a future MsDtsServer170) is still used, with
// its directory taken from the service name.
func ssisFromList(entries []netsh.ServiceEntry) []netsh.SSISVersion {
	var out []netsh.SSISVersion
	seen := map[string]bool{}
	for _, e := range entries {
		m := msdtsRE.FindStringSubmatch(e.Name)
		if m == nil || seen[strings.ToLower(e.Name)] {
			continue
		}
		seen[strings.ToLower(e.Name)] = true
		if sv, ok := netsh.LookupSSIS(e.Name); ok {
			out = append(out, sv)
			continue
		}
		if m[1] == "" {
			continue
		}
		out = append(out, netsh.SSISVersion{Dir: m[1], Service: e.Name, DisplayName: e.DisplayName})
	}
	sort.Slice(out, func(i, j int) bool { return dirNum(out[i].Dir) < dirNum(out[j].Dir) })
	return out
}

func dirNum(d string) int {
	n, _ := strconv.Atoi(d)
	return n
}
