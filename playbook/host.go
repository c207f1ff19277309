package playbook

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/winfleet/winfleet/playbook/netsh"
	"github.com/winfleet/winfleet/reports"
)

// closeMin is the least time Close gets, even when the host's budget is
// spent or the run was cancelled, so that no shell is left open on a host
// that still answers.
const closeMin = time.Second

// Run works on every target: scan, apply or apply --check (o.Mode), with at
// most o.Forks hosts at once, in o.Serial batches. It returns one result per
// target, in target order; every host gets a status, whatever happens. Run
// returns when every host has finished and its session is closed.
//
// When ctx is cancelled no new host starts (those not started become
// cancelled); hosts in flight may finish within o.Grace, and are then
// cancelled too. An apply host that has not sent its changes by the time ctx
// is cancelled sends none.
//
// The zero Mode is scan: nothing is written unless Mode says apply.
func Run(ctx context.Context, pb *Playbook, targets []Target, d Dialer, o Options) []reports.Host {
	if o.Mode == "" {
		o.Mode = reports.ModeScan
	}
	x := &executor{pb: pb, d: d, o: o}
	e := &engine{o: o, hostFn: x.host}
	return e.run(ctx, targets)
}

type executor struct {
	pb *Playbook
	d  Dialer
	o  Options
}

// hostRun is the work on one host.
type hostRun struct {
	x       *executor
	t       Target
	v       vars
	s       Session
	res     reports.Host
	opts    netsh.Options
	dialect netsh.Dialect // "" until known
	out     map[string]netsh.Output
	// shown holds firewall reads parsed once: with block_scan every rule
	// check reads the same "show rule name=all" output.
	shown map[string]parsedShow
}

type parsedShow struct {
	rules []netsh.Rule
	err   error
}

// dialectFor returns the dialect fixed by the options or the host var
// `dialect` ("" means: not fixed, see dialectFromVersionVar and ver).
func dialectFor(o Options, v vars) (netsh.Dialect, error) {
	if o.Dialect != "" && !strings.EqualFold(o.Dialect, "auto") {
		return netsh.ParseDialect(o.Dialect)
	}
	if x, ok := v.get("dialect"); ok {
		s, _ := scalar(x)
		if s != "" && !strings.EqualFold(s, "auto") {
			d, err := netsh.ParseDialect(s)
			if err != nil {
				return "", &VarError{Host: v.host, Pos: Pos{File: "inventory"}, Var: "dialect", Msg: err.Error()}
			}
			return d, nil
		}
	}
	return "", nil
}

// blockScan reports whether advfirewall hosts are read with every inbound
// rule (the var block_scan, default true), so that a block rule under a
// name the playbook does not use is found. Reading by name is cheaper on
// hosts with hundreds of rules but blind to such rules.
func blockScan(v vars) bool {
	if _, ok := v.get("block_scan"); !ok {
		return true
	}
	return v.truthy("block_scan")
}

func (x *executor) host(runCtx, hctx context.Context, t Target) reports.Host {
	h := &hostRun{x: x, t: t, v: hostVars(x.pb, t), out: map[string]netsh.Output{}, shown: map[string]parsedShow{}}
	h.opts = netsh.Options{Env: netsh.DefaultEnv(), BlockScan: blockScan(h.v)}
	h.res.Checks = []reports.Check{}
	switch x.o.Mode {
	case reports.ModeScan, reports.ModeCheck, reports.ModeApply:
	default:
		return h.fail(reports.StatusError, fmt.Errorf("unknown mode %q (want scan, apply or check)", x.o.Mode))
	}

	// Everything that can be known before connecting is checked before
	// connecting: a bad var never costs a connection.
	d, err := dialectFor(x.o, h.v)
	if err == nil && d == "" {
		// windows_version is a hint that saves the round trip for ver.
		d, err = dialectFromVersionVar(h.v)
	}
	if err != nil {
		return h.fail(reports.StatusError, err)
	}
	h.dialect = d
	sv, haveSV, err := ssisFromVar(h.v)
	if err != nil {
		return h.fail(reports.StatusError, err)
	}
	static, err := expand(x.pb, h.v, nil, false)
	if err != nil {
		return h.fail(reports.StatusError, err)
	}
	for _, c := range static {
		if c.err != nil {
			return h.fail(reports.StatusError, c.err)
		}
	}

	s, err := x.d.Dial(hctx, t)
	if err != nil {
		return h.fail(classify(err, hctx), fmt.Errorf("connect: %w", err))
	}
	h.s = s
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(hctx), closeMin)
		if dl, ok := hctx.Deadline(); ok && time.Until(dl) > closeMin {
			cancel()
			cctx, cancel = context.WithDeadline(context.WithoutCancel(hctx), dl)
		}
		defer cancel()
		_ = s.Close(cctx)
	}()
	return h.work(runCtx, hctx, sv, haveSV)
}

// fail ends the host with status s and err as its error and reason.
func (h *hostRun) fail(s reports.HostStatus, err error) reports.Host {
	h.res.Status = s
	h.res.Error = err.Error()
	h.res.Reason = reasonFor(err)
	return h.res
}

func reasonFor(err error) string {
	switch {
	case errors.Is(err, netsh.ErrNotElevated):
		return "not elevated: winfleet needs an administrator session (a member of the host's Administrators group; a local account also needs LocalAccountTokenFilterPolicy=1, or UAC filters its token)"
	case errors.Is(err, netsh.ErrFirewallStopped):
		return "the Windows Firewall service (MpsSvc) is not running on the host"
	}
	return err.Error()
}

// batch runs cmds in one round trip and records their outputs.
func (h *hostRun) batch(ctx context.Context, cmds []string) ([]netsh.Output, error) {
	if len(cmds) == 0 {
		return nil, nil
	}
	outs, err := h.s.RunBatch(ctx, cmds)
	if err != nil {
		return nil, err
	}
	if len(outs) != len(cmds) {
		return nil, fmt.Errorf("session returned %d outputs for %d commands", len(outs), len(cmds))
	}
	res := make([]netsh.Output, len(cmds))
	for i, o := range outs {
		res[i] = netsh.Output{Command: cmds[i], Stdout: o.Stdout, Stderr: o.Stderr, ExitCode: o.ExitCode}
		h.out[cmds[i]] = res[i]
		delete(h.shown, cmds[i])
	}
	return res, nil
}

// transport ends the host after a Dial or RunBatch error.
func (h *hostRun) transport(hctx context.Context, what string, err error) reports.Host {
	st := classify(err, hctx)
	r := h.fail(st, fmt.Errorf("%s: %w", what, err))
	if st == reports.StatusCancelled {
		r.Reason = "cancelled while " + what
	}
	if st == reports.StatusTimeout && errors.Is(hctx.Err(), context.DeadlineExceeded) && h.x.o.HostTimeout > 0 {
		r.Reason = fmt.Sprintf("host budget of %s ran out while %s", h.x.o.HostTimeout, what)
	}
	return r
}

// readCmds returns the deduplicated read commands of checks, in order.
// A check whose command cannot be rendered has none; evaluateOne reports it.
func (h *hostRun) readCmds(cs []check) []string {
	var cmds []string
	for _, c := range cs {
		if cmd, err := h.readCmd(c); err == nil && cmd != "" {
			cmds = appendNew(cmds, cmd)
		}
	}
	return cmds
}

func (h *hostRun) netshOpts() netsh.Options {
	o := h.opts
	o.Dialect = h.dialect
	return o
}

// readCmd is the one command whose output a check is evaluated on.
func (h *hostRun) readCmd(c check) (string, error) {
	if c.err != nil {
		return "", c.err
	}
	switch c.kind {
	case kindRule:
		return netsh.ReadCommand(c.rule, h.netshOpts())
	case kindDCOM:
		return netsh.RegQueryCommand(c.reg.Key)
	case kindService:
		return netsh.ScQueryCommand(c.service)
	}
	return "", fmt.Errorf("unknown check kind")
}

// work is the session part: read, evaluate, and for apply write and verify.
//
// Round trip 1 carries ver, net session, the SSIS discovery (sc qc of the
// sql_version's service, else the service list) and every read that waits
// for nothing: all of them when the dialect is fixed and the SSIS versions
// are known, else the non-firewall ones. Round trip 2 carries what round
// trip 1 revealed: sc qc of each discovered SSIS service and the firewall
// reads. A host whose dialect and sql_version are given needs one round trip.
func (h *hostRun) work(runCtx, hctx context.Context, sv netsh.SSISVersion, haveSV bool) reports.Host {
	needSSIS := h.usesSSIS()
	var versions []netsh.SSISVersion
	rt1 := []string{netsh.VerCommand, netsh.NetSessionCommand}
	listCmd := ""
	if needSSIS && haveSV {
		versions = []netsh.SSISVersion{sv}
	} else if needSSIS {
		listCmd = netsh.ScListCommand
		rt1 = append(rt1, listCmd)
	}
	var qcCmds []string
	addQC := func(l []string) ([]string, error) {
		for _, sv := range versions {
			qc, err := netsh.ScQcCommand(sv.Service)
			if err != nil {
				return nil, err
			}
			qcCmds = append(qcCmds, qc)
			l = appendNew(l, qc)
		}
		return l, nil
	}
	rt1, err := addQC(rt1)
	if err != nil {
		return h.fail(reports.StatusError, err)
	}
	pre, err := expand(h.x.pb, h.v, installsOf(versions), !needSSIS || haveSV)
	if err != nil {
		return h.fail(reports.StatusError, err)
	}
	early := pre
	if h.dialect == "" {
		early = nil
		for _, c := range pre {
			if c.kind != kindRule {
				early = append(early, c)
			}
		}
	}
	cmds := h.readCmds(early)
	rt1 = appendNew(rt1, cmds...)
	if _, err := h.batch(hctx, rt1); err != nil {
		return h.transport(hctx, "reading the host", err)
	}

	v, err := netsh.ParseVer(h.out[netsh.VerCommand])
	if err != nil {
		return h.readError(err, netsh.VerCommand)
	}
	h.res.WindowsVersion = fmt.Sprintf("%s (%s)", v.ProductName(), v)
	if h.dialect == "" {
		h.dialect = netsh.AutoDialect(v)
	}
	h.res.Dialect = string(h.dialect)
	elevated, err := netsh.ParseNetSession(h.out[netsh.NetSessionCommand])
	if err != nil {
		return h.readError(err, netsh.NetSessionCommand)
	}
	if !elevated {
		return h.readError(&netsh.OutputError{Command: netsh.NetSessionCommand, Raw: raw(h.out[netsh.NetSessionCommand]), Err: netsh.ErrNotElevated}, netsh.NetSessionCommand)
	}

	var rt2 []string
	if listCmd != "" {
		entries, err := netsh.ParseScList(h.out[listCmd])
		if err != nil {
			return h.readError(err, listCmd)
		}
		versions = ssisFromList(entries)
		if rt2, err = addQC(rt2); err != nil {
			return h.fail(reports.StatusError, err)
		}
	}
	// The firewall reads of each: ssis items do not depend on the program
	// path (advfirewall reads by name, legacy lists every program), so they
	// are computed with the default path and sent alongside sc qc.
	installs := installsOf(versions)
	checks := pre // versions known before round trip 1: nothing new to expand
	if listCmd != "" {
		if checks, err = expand(h.x.pb, h.v, installs, true); err != nil {
			return h.fail(reports.StatusError, err)
		}
	}
	cmds = h.readCmds(checks)
	for _, c := range cmds {
		if _, done := h.out[c]; !done {
			rt2 = appendNew(rt2, c)
		}
	}
	if _, err := h.batch(hctx, rt2); err != nil {
		return h.transport(hctx, "reading the host", err)
	}
	if len(installs) > 0 {
		for i := range installs {
			qc := qcCmds[i]
			cfg, err := netsh.ParseScQc(h.out[qc])
			if err != nil {
				return h.readError(err, qc)
			}
			if !cfg.Installed {
				return h.readError(fmt.Errorf("SSIS %s is not installed (no service %s), but sql_version says it is", installs[i].v.Dir, installs[i].v.Service), qc)
			}
			installs[i].program = cfg.Executable
		}
		if checks, err = expand(h.x.pb, h.v, installs, true); err != nil {
			return h.fail(reports.StatusError, err)
		}
	}

	results := h.evaluate(checks)
	return h.finish(runCtx, hctx, checks, results)
}

func installsOf(versions []netsh.SSISVersion) []ssisInstall {
	var out []ssisInstall
	for _, sv := range versions {
		out = append(out, ssisInstall{v: sv, program: sv.ProgramPath(""), dirNum: dirNum(sv.Dir)})
	}
	return out
}

// usesSSIS reports whether any applicable item has each: ssis.
func (h *hostRun) usesSSIS() bool {
	for _, it := range h.x.pb.items() {
		if it.Each == "ssis" {
			if ok, _ := applies(it, h.v); ok {
				return true
			}
		}
	}
	return false
}

func (pb *Playbook) items() []Item {
	var out []Item
	for _, r := range pb.Rules {
		out = append(out, r.Item)
	}
	for _, d := range pb.DCOM {
		out = append(out, d.Item)
	}
	for _, s := range pb.Services {
		out = append(out, s.Item)
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

func raw(o netsh.Output) string {
	if o.Stderr == "" {
		return o.Stdout
	}
	return o.Stdout + o.Stderr
}

// readError ends the host with status error after a read it cannot use;
// the raw output is kept in a check so the report shows it.
func (h *hostRun) readError(err error, cmd string) reports.Host {
	o := h.out[cmd]
	h.res.Checks = append(h.res.Checks, reports.Check{
		ID: "host-read", Name: "read host state", Status: reports.CheckError,
		Commands: []string{cmd}, Output: raw(o), Actual: err.Error(),
	})
	if h.res.Dialect == "" && h.dialect != "" {
		h.res.Dialect = string(h.dialect)
	}
	return h.fail(reports.StatusError, err)
}

// verdict is one check's evaluation.
type verdict struct {
	res  netsh.Result
	err  error
	cmds []string // read commands
	out  string
}

func (h *hostRun) evaluate(checks []check) []verdict {
	vs := make([]verdict, len(checks))
	for i, c := range checks {
		vs[i] = h.evaluateOne(c)
	}
	return vs
}

func (h *hostRun) evaluateOne(c check) verdict {
	if c.err != nil {
		return verdict{err: c.err}
	}
	cmd, err := h.readCmd(c)
	if err != nil {
		return verdict{err: err}
	}
	o, ok := h.out[cmd]
	vd := verdict{cmds: []string{cmd}, out: raw(o)}
	if c.kind == kindRule && h.opts.BlockScan && h.dialect == netsh.Advfirewall {
		vd.out = excerptRules(vd.out, c.rule.Name)
	}
	if !ok {
		vd.err = fmt.Errorf("internal error: %q was not read", cmd)
		return vd
	}
	switch c.kind {
	case kindRule:
		p, done := h.shown[cmd]
		if !done {
			p.rules, p.err = netsh.ParseShow(h.dialect, o)
			h.shown[cmd] = p
		}
		if p.err != nil {
			vd.err = p.err
			return vd
		}
		vd.res, vd.err = netsh.Evaluate(c.rule, p.rules, h.netshOpts())
	case kindDCOM:
		key, err := netsh.ParseRegQuery(o)
		if err != nil {
			vd.err = err
			return vd
		}
		vd.res, vd.err = netsh.EvaluateRegistry(c.reg, key)
	case kindService:
		st, err := netsh.ParseScQuery(o)
		if err != nil {
			vd.err = err
			return vd
		}
		if st.Name == "" {
			st.Name = c.service
		}
		vd.res = netsh.EvaluateService(st, c.svcState != Stopped)
	}
	return vd
}

// fixable reports whether apply can converge a failing check by itself.
func fixable(vd verdict) bool {
	return vd.err == nil && !vd.res.Compliant && !vd.res.NeedsHuman && len(vd.res.Commands) > 0
}

// finish turns verdicts into the host result; in apply mode it sends the
// changes and verifies them.
func (h *hostRun) finish(runCtx, hctx context.Context, checks []check, vds []verdict) reports.Host {
	mode := h.x.o.Mode
	rc := make([]reports.Check, len(checks))
	var errs, fails, fixes []string
	for i, c := range checks {
		vd := vds[i]
		rc[i] = reports.Check{ID: c.id, Name: c.name, Expected: vd.res.Expected, Actual: vd.res.Actual,
			Commands: append([]string{}, vd.cmds...), Output: vd.out}
		switch {
		case vd.err != nil:
			rc[i].Status = reports.CheckError
			if rc[i].Actual == "" {
				rc[i].Actual = vd.err.Error()
			}
			errs = append(errs, c.id+": "+reasonFor(vd.err))
		case vd.res.Compliant:
			rc[i].Status = reports.CheckPass
		case mode != reports.ModeScan && fixable(vd):
			rc[i].Status = reports.CheckWouldChange
			fixes = append(fixes, c.id+": "+vd.res.Reason)
		default:
			rc[i].Status = reports.CheckFail
			fails = append(fails, c.id+": "+vd.res.Reason)
		}
	}
	h.res.Checks = rc
	switch {
	case len(errs) > 0:
		h.res.Status = reports.StatusError
		h.res.Reason = strings.Join(errs, "; ")
		h.res.Error = h.res.Reason
		return h.res
	case len(fails) == 0 && len(fixes) == 0:
		h.res.Status = reports.StatusCompliant
		h.res.Reason = fmt.Sprintf("%d checks pass", len(rc))
		return h.res
	case mode == reports.ModeScan:
		h.res.Status = reports.StatusNoncompliant
		h.res.Reason = strings.Join(fails, "; ")
		return h.res
	case mode == reports.ModeCheck:
		h.res.Status = reports.StatusWouldChange
		if len(fails) > 0 {
			h.res.Status = reports.StatusNoncompliant
		}
		h.res.Reason = strings.Join(append(fixes, fails...), "; ")
		return h.res
	}
	if len(fixes) == 0 {
		h.res.Status = reports.StatusFailed
		h.res.Reason = "apply cannot fix: " + strings.Join(fails, "; ")
		return h.res
	}

	// Apply: no change starts once the run is cancelled.
	if runCtx.Err() != nil {
		h.res.Status = reports.StatusCancelled
		h.res.Reason = "cancelled before changes were sent"
		return h.res
	}
	var writes []string
	owner := map[int][]int{} // check index -> indices in writes
	for i, vd := range vds {
		if rc[i].Status != reports.CheckWouldChange {
			continue
		}
		for _, w := range vd.res.Commands {
			owner[i] = append(owner[i], len(writes))
			writes = append(writes, w)
		}
	}
	outs, err := h.batch(hctx, writes)
	if err != nil {
		return h.transport(hctx, "sending changes", err)
	}
	var writeErrs []string
	for i := range rc {
		for _, wi := range owner[i] {
			rc[i].Commands = append(rc[i].Commands, writes[wi])
			rc[i].Output += raw(outs[wi])
			if _, err := netsh.ParseChange(outs[wi]); err != nil {
				rc[i].Status = reports.CheckError
				writeErrs = append(writeErrs, checks[i].id+": "+reasonFor(err))
			}
		}
	}
	if len(writeErrs) > 0 {
		h.res.Status = reports.StatusFailed
		h.res.Reason = "changes failed: " + strings.Join(writeErrs, "; ")
		h.res.Error = h.res.Reason
		return h.res
	}

	// Verify: read every check again, in one round trip.
	reread := h.readCmds(checks)
	if _, err := h.batch(hctx, reread); err != nil {
		return h.transport(hctx, "verifying changes", err)
	}
	after := h.evaluate(checks)
	var still []string
	for i, vd := range after {
		rc[i].Commands = append(rc[i].Commands, vd.cmds...)
		rc[i].Output += vd.out
		switch {
		case vd.err != nil:
			rc[i].Status = reports.CheckError
			still = append(still, checks[i].id+": "+reasonFor(vd.err))
		case !vd.res.Compliant:
			rc[i].Status = reports.CheckFail
			rc[i].Actual = vd.res.Actual
			still = append(still, checks[i].id+": "+vd.res.Reason)
		case rc[i].Status == reports.CheckWouldChange:
			rc[i].Status = reports.CheckChanged
			rc[i].Actual = vd.res.Actual
		}
	}
	if len(still) > 0 {
		h.res.Status = reports.StatusFailed
		h.res.Reason = "not compliant after apply: " + strings.Join(still, "; ")
		return h.res
	}
	h.res.Status = reports.StatusChanged
	h.res.Reason = "changed: " + strings.Join(fixes, "; ")
	return h.res
}

// excerptRules cuts the output of "show rule name=all ... verbose" down to
// what matters to one check: the rule blocks named name and every block
// rule, with a last line saying how many blocks were left out. A stock
// Windows host prints hundreds of inbound rules; copying all of them into
// every check of every host would make reports hundreds of megabytes.
// Output without "Rule Name:" blocks (no match, an error, another
// language) is returned unchanged: it is evidence.
func excerptRules(out, name string) string {
	lines := strings.SplitAfter(out, "\n")
	var starts []int
	end := len(lines)
	for i, l := range lines {
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(t, "Rule Name:"):
			starts = append(starts, i)
		case t == "Ok." && len(starts) > 0 && end == len(lines):
			end = i
		}
	}
	if len(starts) == 0 {
		return out
	}
	var b strings.Builder
	for _, l := range lines[:starts[0]] {
		b.WriteString(l)
	}
	kept := 0
	for k, st := range starts {
		stop := end
		if k+1 < len(starts) {
			stop = starts[k+1]
		}
		if stop < st {
			stop = st
		}
		block := lines[st:stop]
		if !keepBlock(block, name) {
			continue
		}
		if kept > 0 {
			b.WriteString("\r\n")
		}
		kept++
		for j, l := range block {
			// The blank line before the next block is written above.
			if j == len(block)-1 && k+1 < len(starts) && strings.TrimSpace(l) == "" {
				continue
			}
			b.WriteString(l)
		}
	}
	for _, l := range lines[end:] {
		b.WriteString(l)
	}
	if omitted := len(starts) - kept; omitted > 0 {
		fmt.Fprintf(&b, "[winfleet: %d of %d rules not shown: only rules named %q and block rules are kept]\r\n", omitted, len(starts), name)
	}
	return b.String()
}

func keepBlock(block []string, name string) bool {
	for _, l := range block {
		t := strings.TrimSpace(l)
		if v, ok := strings.CutPrefix(t, "Rule Name:"); ok && strings.EqualFold(strings.TrimSpace(v), name) {
			return true
		}
		if v, ok := strings.CutPrefix(t, "Action:"); ok && strings.EqualFold(strings.TrimSpace(v), "Block") {
			return true
		}
	}
	return false
}
