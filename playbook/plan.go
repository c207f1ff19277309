package playbook

import (
	"errors"
	"fmt"
	"slices"

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
	fail := func(err error) HostPlan {
		hp.Error = err
		hp.Reads, hp.Writes, hp.Checks = nil, nil, nil
		return hp
	}
	v := hostVars(pb, t)
	f, opts, err := knownFacts(o, v)
	if err != nil {
		return fail(err)
	}
	if f.dialect == "" {
		f.dialect, opts.Dialect = netsh.Advfirewall, netsh.Advfirewall
		hp.Notes = append(hp.Notes, "dialect auto: no dialect or windows_version var, assumed advfirewall (Windows 2008 and later)")
	}
	hp.Dialect = string(f.dialect)
	if f.known {
		root, _, _, err := v.lookupText("ssis_root")
		if err != nil {
			return fail(err)
		}
		f.installs[0].program = f.installs[0].v.ProgramPath(root)
	}
	p, err := planReads(pb, v, f, opts, nil)
	if err != nil {
		return fail(err)
	}
	if !f.known && slices.Contains(p.discovery, netsh.ScListCommand) {
		hp.Notes = append(hp.Notes, "no sql_version var: SSIS versions are discovered on the host at run time, so each: ssis items are not shown")
	}
	hp.Reads = p.all()
	for _, c := range p.checks {
		if err := resolveErr(c); err != nil {
			return fail(err)
		}
		writes, err := c.worstCaseWrites(opts)
		if err != nil {
			return fail(fmt.Errorf("host %s: %s: %w", t.Name, c.base().id, err))
		}
		hp.Checks = append(hp.Checks, PlanCheck{ID: c.base().id, Name: c.base().name, Writes: writes})
		hp.Writes = append(hp.Writes, writes...)
	}
	return hp
}
