package playbook

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/winfleet/winfleet/playbook/netsh"
)

// HostPlan is what apply would do on one host, computed offline.
type HostPlan struct {
	Host, Address string
	// Dialect is the netsh dialect the commands are rendered in.
	Dialect string
	// Reads are the commands a scan of the host sends (ver, net session,
	// SSIS discovery, then each check's read), deduplicated.
	Reads []string
	// Writes are the commands apply would send if every present item were
	// missing and every absent item existed, in order.
	Writes []string
	// Checks are the resolved items and their share of Writes.
	Checks []PlanCheck
	// Notes explain assumptions (a dialect or SSIS version not known
	// offline).
	Notes []string
	// Error is set when the host cannot be planned (an unknown var, an
	// unsafe value); Reads and Writes are then empty.
	Error error
}

// PlanCheck is one resolved playbook item in a HostPlan.
type PlanCheck struct {
	ID, Name string
	Writes   []string
}

// Plan renders, without connecting to anything, the exact commands apply
// would send to each target, assuming every present item is missing and
// every absent item exists (the most apply can send).
//
// The dialect is Options.Dialect if legacy or advfirewall, else the host
// var `dialect`, else derived from the host var `windows_version` ("6.1",
// "10.0.17763", "2003", "2012 R2", ...); with none of these Plan assumes
// advfirewall and says so in Notes. The SSIS version comes from the
// `sql_version` var and the program path from `ssis_root` (default
// %ProgramFiles%\Microsoft SQL Server); without sql_version the each: ssis
// items are discovered at run time and Plan leaves them out, with a note.
//
// Per-host problems are in HostPlan.Error; the returned error joins them.
func Plan(pb *Playbook, targets []Target, o Options) ([]HostPlan, error) {
	plans := make([]HostPlan, len(targets))
	var errs []error
	for i, t := range targets {
		plans[i] = planHost(pb, t, o)
		if plans[i].Error != nil {
			errs = append(errs, plans[i].Error)
		}
	}
	return plans, errors.Join(errs...)
}

func planHost(pb *Playbook, t Target, o Options) HostPlan {
	hp := HostPlan{Host: t.Name, Address: t.Address}
	v := hostVars(pb, t)
	fail := func(err error) HostPlan {
		hp.Error = err
		hp.Reads, hp.Writes, hp.Checks = nil, nil, nil
		return hp
	}
	d, err := dialectFor(o, v)
	if err != nil {
		return fail(err)
	}
	if d == "" {
		d, err = dialectFromVersionVar(v)
		if err != nil {
			return fail(err)
		}
		if d == "" {
			d = netsh.Advfirewall
			hp.Notes = append(hp.Notes, "dialect auto: no dialect or windows_version var, assumed advfirewall (Windows 2008 and later)")
		}
	}
	hp.Dialect = string(d)
	opts := netsh.Options{Dialect: d, Env: netsh.DefaultEnv(), BlockScan: blockScan(v)}

	sv, haveSV, err := ssisFromVar(v)
	if err != nil {
		return fail(err)
	}
	h := &hostRun{v: v, opts: opts, dialect: d, x: &executor{pb: pb}}
	needSSIS := h.usesSSIS()
	hp.Reads = []string{netsh.VerCommand, netsh.NetSessionCommand}
	var installs []ssisInstall
	switch {
	case needSSIS && haveSV:
		root := ""
		if x, ok := v.get("ssis_root"); ok {
			root, _ = scalar(x)
		}
		in := ssisInstall{v: sv, program: sv.ProgramPath(root), dirNum: dirNum(sv.Dir)}
		installs = append(installs, in)
		qc, err := netsh.ScQcCommand(sv.Service)
		if err != nil {
			return fail(err)
		}
		hp.Reads = append(hp.Reads, qc)
	case needSSIS:
		hp.Reads = append(hp.Reads, netsh.ScListCommand)
		hp.Notes = append(hp.Notes, "no sql_version var: SSIS versions are discovered on the host at run time, so each: ssis items are not shown")
	}
	checks, err := expand(pb, v, installs, haveSV || !needSSIS)
	if err != nil {
		return fail(err)
	}
	for _, c := range checks {
		if c.err != nil {
			return fail(c.err)
		}
		cmd, err := h.readCmd(c)
		if err != nil {
			return fail(fmt.Errorf("host %s: %s: %w", t.Name, c.id, err))
		}
		hp.Reads = appendNew(hp.Reads, cmd)
		writes, err := planWrites(c, opts)
		if err != nil {
			return fail(fmt.Errorf("host %s: %s: %w", t.Name, c.id, err))
		}
		hp.Checks = append(hp.Checks, PlanCheck{ID: c.id, Name: c.name, Writes: writes})
		hp.Writes = append(hp.Writes, writes...)
	}
	return hp
}

func planWrites(c check, opts netsh.Options) ([]string, error) {
	switch c.kind {
	case kindRule:
		if c.rule.State == netsh.StateAbsent {
			cmd, err := netsh.DeleteCommand(c.rule, opts)
			if err != nil {
				return nil, err
			}
			return []string{cmd}, nil
		}
		r, err := netsh.Evaluate(c.rule, nil, opts)
		return r.Commands, err
	case kindDCOM:
		key := netsh.RegKey{Path: c.reg.Key}
		if c.reg.State == netsh.StateAbsent {
			key.Exists = true
			key.Values = c.reg.Values
		}
		r, err := netsh.EvaluateRegistry(c.reg, key)
		return r.Commands, err
	}
	return nil, nil
}

var (
	winVerRE  = regexp.MustCompile(`^(\d+)\.(\d+)(?:\.(\d+))?`)
	winYearRE = regexp.MustCompile(`20(08|12|16|19|22|25)`)
)

// dialectFromVersionVar derives the dialect from the windows_version var:
// a version number ("5.2", "10.0.17763") or a Windows Server name or year
// ("2003", "Windows Server 2008 R2"). "" when the var is not set.
func dialectFromVersionVar(v vars) (netsh.Dialect, error) {
	x, ok := v.get("windows_version")
	if !ok {
		return "", nil
	}
	s, _ := scalar(x)
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if m := winVerRE.FindStringSubmatch(s); m != nil {
		maj, _ := strconv.Atoi(m[1])
		mnr, _ := strconv.Atoi(m[2])
		b, _ := strconv.Atoi(m[3])
		return netsh.AutoDialect(netsh.Version{Major: maj, Minor: mnr, Build: b}), nil
	}
	l := strings.ToLower(s)
	switch {
	case strings.Contains(l, "2000"), strings.Contains(l, "2003"), strings.Contains(l, "xp"):
		return netsh.Legacy, nil
	case winYearRE.MatchString(l), strings.Contains(l, "vista"):
		return netsh.Advfirewall, nil
	}
	return "", &VarError{Host: v.host, Pos: Pos{File: "inventory"}, Var: "windows_version",
		Msg: fmt.Sprintf("%q is neither a version number (6.1, 10.0.17763) nor a Windows Server year", s)}
}
