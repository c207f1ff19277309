package playbook

import (
	"errors"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/winfleet/winfleet/inventory"
	"github.com/winfleet/winfleet/playbook/netsh"
)

// ssisInstall is one SSIS version found on (or declared for) a host.
type ssisInstall struct {
	v       netsh.SSISVersion
	program string // MsDtsSrvr.exe path: as the host told it, or the plan's guess
	dirNum  int
	// source says where program came from, for errors: the command that
	// read it (the SSIS search or sc qc), or "" before it was read.
	source string
}

// hostVars builds the var lookup of a target: inventory vars over the
// playbook's defaults.
func hostVars(pb *Playbook, t Target) vars {
	return vars{host: t.Name, layers: []map[string]inventory.Var{t.Vars, pb.Vars}}
}

// applies reports whether an item applies to the host (its when: var).
func applies(it Item, v vars) (bool, error) {
	if it.When == "" {
		return true, nil
	}
	x, ok := v.get(it.When)
	if !ok {
		return false, &VarError{Host: v.host, Pos: it.Pos, Var: it.When, Code: CodeUndefinedVar, Undefined: true, Msg: "undefined (used in when:)"}
	}
	return v.truthy(it.Pos, x)
}

// ssisVarsFor returns the vars bound for one SSIS install. The newest
// install keeps the playbook's rule name (suffix ""); older ones get " NNN"
// so that two versions never share a rule name.
func ssisVarsFor(in ssisInstall, newest bool) map[string]inventory.Var {
	suffix := ""
	if !newest {
		suffix = " " + in.v.Dir
	}
	// The values were found on the host (or given by sql_version): errors
	// about them name where they came from.
	src := in.source
	if src == "" {
		src = "discovered SSIS " + in.v.Dir
	}
	return inventory.VarsFrom(src, map[string]any{
		"ssis_version":     in.v.Dir,
		"ssis_service":     in.v.Service,
		"ssis_program":     in.program,
		"ssis_rule_suffix": suffix,
	})
}

// expand resolves every item of pb for a host. installs are the SSIS
// versions found on it; with discovered false (before discovery) each: ssis
// items are left out. listed says the host's discovery reads the service
// list: service checks are then judged from it (see serviceCheck). An error is returned for problems that make
// the whole host unusable (an undefined when: var); an item that cannot be
// resolved becomes an unresolved check carrying its error.
//
// memo, if not nil, keeps the checks of items without each: ssis by their
// place in the playbook: they depend on v alone, so a host that is planned
// again as it learns its facts (three times per scan) resolves them once.
// A memo belongs to one host's v.
func expand(pb *Playbook, v vars, installs []ssisInstall, discovered, listed bool, memo map[int]check) ([]check, error) {
	var out []check
	newest := -1
	for i, in := range installs {
		if newest < 0 || in.dirNum > installs[newest].dirNum {
			newest = i
		}
	}
	k := -1 // the item's place in the playbook
	each := func(it Item, f func(v vars, idSuffix string) check) error {
		k++
		ok, err := applies(it, v)
		if err != nil || !ok {
			return err
		}
		if it.Each != "ssis" {
			c, done := memo[k]
			if !done {
				c = f(v, "")
				if memo != nil {
					memo[k] = c
				}
			}
			out = append(out, c)
			return nil
		}
		if !discovered {
			return nil
		}
		if len(installs) == 0 {
			out = append(out, unresolved{item{it.ID, it.ID}, errNoSSIS})
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
		errs = append(errs, each(s.Item, func(v vars, sfx string) check { return resolveService(s, v, sfx, listed) }))
	}
	return out, errors.Join(errs...)
}

// unsafe adds host, position and var to a netsh.UnsafeValueError.
func unsafe(err error, v vars, t Template) error {
	var ue *netsh.UnsafeValueError
	if errors.As(err, &ue) {
		name := firstRef(t)
		if name == "" {
			return &VarError{Host: v.host, Pos: t.Pos, Code: CodeUnsafeValue, Msg: "refused: " + ue.Error()}
		}
		x, _ := v.get(name)
		x.Name = name
		return v.errAt(t.Pos, x, CodeUnsafeValue, "refused: %s", ue.Error())
	}
	return err
}

// resolveName resolves the item's name; on failure the check is
// unresolved.
func resolveName(it Item, v vars, sfx string) (item, error) {
	name, err := it.Name.str(v, "name")
	return item{id: it.ID + sfx, name: name}, err
}

func resolveRule(r Rule, v vars, sfx string) check {
	it, err := resolveName(r.Item, v, sfx)
	if err != nil {
		return unresolved{it, err}
	}
	fail := func(err error) check { return unresolved{it, err} }
	d := netsh.Desired{Name: it.name, State: netsh.StatePresent}
	if r.State == Absent {
		d.State = netsh.StateAbsent
	}
	if r.Program.set {
		d.Kind = netsh.KindProgram
		p, err := r.Program.str(v, "program")
		if err != nil {
			return fail(err)
		}
		if p == "" {
			return fail(r.Program.shapeErr(v, "program is empty"))
		}
		d.Program = p
	} else {
		d.Kind = netsh.KindPort
		d.Protocol = strings.ToUpper(r.Protocol)
		ps, err := r.Port.str(v, "port")
		if err != nil {
			return fail(err)
		}
		pr, err := netsh.ParsePortRange(ps)
		if err != nil {
			return fail(r.Port.shapeErr(v, "%v", err))
		}
		d.Ports = pr
	}
	scope, err := resolveScope(r.Scope, v)
	if err != nil {
		return fail(err)
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
			return fail(unsafe(err, v, t))
		}
	}
	return ruleCheck{it, d}
}

func resolveScope(t Template, v vars) (netsh.Scope, error) {
	l, err := t.list(v, "scope")
	if err != nil {
		return netsh.Scope{}, err
	}
	bad := func(err error) error { return t.shapeErr(v, "scope: %v", err) }
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
	it, err := resolveName(d.Item, v, sfx)
	if err != nil {
		return unresolved{it, err}
	}
	want := netsh.RegistryWant{Key: netsh.RPCInternetKey, State: netsh.StatePresent}
	if d.State == Absent {
		want.State = netsh.StateAbsent
	}
	var ports []netsh.PortRange
	if d.Ports.set {
		l, err := d.Ports.list(v, "ports")
		if err != nil {
			return unresolved{it, err}
		}
		for _, s := range l {
			pr, err := netsh.ParsePortRange(s)
			if err != nil {
				return unresolved{it, d.Ports.shapeErr(v, "%v", err)}
			}
			ports = append(ports, pr)
		}
		if len(ports) == 0 && want.State == netsh.StatePresent {
			return unresolved{it, d.Ports.shapeErr(v, "no port range given")}
		}
	}
	want.Values = netsh.DCOMValues(ports...)
	return registryCheck{it, want}
}

func resolveService(s ServiceItem, v vars, sfx string, listed bool) check {
	it, err := resolveName(s.Item, v, sfx)
	if err != nil {
		return unresolved{it, err}
	}
	name, err := s.Service.str(v, "service")
	if err != nil {
		return unresolved{it, err}
	}
	if _, err := netsh.ScQueryCommand(name); err != nil {
		return unresolved{it, unsafe(err, v, s.Service)}
	}
	return serviceCheck{it, name, s.State != Stopped, listed}
}

// ssisFromVar returns the SSIS version named by the sql_version var, or
// ok=false when the var is not set.
func ssisFromVar(v vars) (netsh.SSISVersion, bool, error) {
	s, x, ok, err := v.lookupText("sql_version")
	if err != nil || !ok {
		return netsh.SSISVersion{}, false, err
	}
	sv, found := netsh.LookupSSIS(s)
	if !found {
		return netsh.SSISVersion{}, false, v.errAt(Pos{}, x, CodeUndefinedVar,
			"%q is not a known SQL Server version (90..160, 2005..2022, or MsDtsServerNNN)", s)
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
