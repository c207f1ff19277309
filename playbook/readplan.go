package playbook

import (
	"slices"

	"github.com/winfleet/winfleet/playbook/netsh"
)

// facts is what is known about a host: from its vars before connecting,
// then from each round trip.
type facts struct {
	// dialect is "" until known (from the options, the dialect or
	// windows_version var, or the host's ver).
	dialect netsh.Dialect
	// installs are the SSIS versions; their program paths are guesses
	// until sc qc has been read.
	installs []ssisInstall
	// known says installs is complete: sql_version named it, or the
	// service list was read.
	known bool
	// listed says discovery reads the service list and the SSIS search
	// (no sql_version var): the list also gives every service's state, so
	// service checks are judged from it, and the search gives the SSIS
	// programs, so sc qc is read only for a version it did not find.
	listed bool
}

// knownFacts is what the options and a host's vars tell before connecting:
// the dialect (dialect, windows_version; "" when only ver can tell), the
// SSIS version (sql_version, its program path a guess until read) and
// the netsh options (block_scan). Run and Plan both start from it.
func knownFacts(o Options, v vars) (facts, netsh.Options, error) {
	d, err := knownDialect(o, v)
	if err != nil {
		return facts{}, netsh.Options{}, err
	}
	sv, haveSV, err := ssisFromVar(v)
	if err != nil {
		return facts{}, netsh.Options{}, err
	}
	bs, err := blockScan(v)
	if err != nil {
		return facts{}, netsh.Options{}, err
	}
	f := facts{dialect: d, known: haveSV, listed: !haveSV}
	if haveSV {
		f.installs = installsOf(sv)
	}
	return f, netsh.Options{Env: netsh.DefaultEnv(), BlockScan: bs, Dialect: d}, nil
}

// readPlan is what a host must be asked, and the checks that result, for
// what is known. It is pure: Run computes it before and after each round
// trip, and Plan computes it once, offline, from the vars.
type readPlan struct {
	// discovery is ver, net session and the SSIS discovery: with
	// sql_version sc qc of that version; without it the service list and
	// the SSIS search, then sc qc of a version whose program the search
	// did not give (reg.exe 3.0 cannot search).
	discovery []string
	// checks are the items resolved with these facts; each: ssis items
	// only once the versions are known.
	checks []check
	// reads are the checks' read commands that can be rendered with these
	// facts (a firewall read needs the dialect).
	reads []string
}

// all is discovery then reads, without duplicates.
func (p readPlan) all() []string { return appendNew(slices.Clone(p.discovery), p.reads...) }

// planReads computes the read plan of a host. o carries the netsh options
// but its dialect, which comes from f; memo is expand's (nil for none).
func planReads(pb *Playbook, v vars, f facts, o netsh.Options, memo map[int]check) (readPlan, error) {
	needSSIS, err := usesSSIS(pb, v)
	if err != nil {
		return readPlan{}, err
	}
	p := readPlan{discovery: []string{netsh.VerCommand, netsh.NetSessionCommand}}
	if needSSIS && f.listed {
		p.discovery = append(p.discovery, netsh.ScListCommand, netsh.SSISSearchCommand)
	}
	for _, in := range f.installs {
		if !needSSIS || in.source != "" {
			continue // the search gave its program
		}
		qc, err := netsh.ScQcCommand(in.v.Service)
		if err != nil {
			return readPlan{}, err
		}
		p.discovery = appendNew(p.discovery, qc)
	}
	if p.checks, err = expand(pb, v, f.installs, f.known || !needSSIS, needSSIS && f.listed, memo); err != nil {
		return readPlan{}, err
	}
	o.Dialect = f.dialect
	p.reads = readCommands(p.checks, o)
	return p, nil
}

// usesSSIS reports whether any item that applies to the host has each: ssis.
func usesSSIS(pb *Playbook, v vars) (bool, error) {
	for it := range pb.eachItem() {
		if it.Each != "ssis" {
			continue
		}
		if ok, err := applies(it, v); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

func installsOf(versions ...netsh.SSISVersion) []ssisInstall {
	var out []ssisInstall
	for _, sv := range versions {
		out = append(out, ssisInstall{v: sv, program: sv.ProgramPath(""), dirNum: dirNum(sv.Dir)})
	}
	return out
}

// appendNew appends the cmds that l does not hold yet, in order. Lists are
// a handful of commands, so a linear search beats a set.
func appendNew(l []string, cmds ...string) []string {
	for _, c := range cmds {
		if !slices.Contains(l, c) {
			l = append(l, c)
		}
	}
	return l
}
