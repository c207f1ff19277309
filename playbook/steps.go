package playbook

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/winfleet/winfleet/playbook/netsh"
)

// closeMin is the least time Close gets, even when the host's budget is
// spent or the run was cancelled, so that no shell is left open on a host
// that still answers.
const closeMin = time.Second

// hostRun is the work on one host: a short list of named steps, each of
// which either hands on to the next or ends the host with its result.
type hostRun struct {
	x *executor
	t Target
	// runCtx is the caller's context: done as soon as cancellation
	// starts, so no write starts after it. hctx carries the host's budget
	// and is cancelled when the run's grace ends.
	runCtx, hctx context.Context

	logon    *logonTicket // reports the first round trip's logon outcome
	v        vars
	opts     netsh.Options // the dialect is set once known
	f        facts
	plan     readPlan
	spec     []string      // reads the cached facts call for (speculate)
	memo     map[int]check // expand's, for this host's v
	s        Session
	r        *readings
	checks   []check
	verdicts []verdict
	res      HostResult
}

// step is one named stage of the work on a host. run reports whether the
// next step runs; a step that ends the host has set h.res.
type step struct {
	name string
	run  func() (next bool)
}

func (x *executor) host(runCtx, hctx context.Context, t Target, logon *logonTicket) HostResult {
	h := &hostRun{x: x, t: t, runCtx: runCtx, hctx: hctx, r: newReadings(), logon: logon, memo: map[int]check{}}
	h.res.Checks = []CheckResult{}
	defer x.closeLater(h)
	for _, s := range []step{
		{"resolve", h.resolve},   // vars, dialect, SSIS version, read plan: refuse bad values before connecting
		{"connect", h.connect},   // open the WinRM shell
		{"discover", h.discover}, // round trip 1: ver, elevation, SSIS discovery, the reads already known or guessed (speculate)
		{"read", h.read},         // round trip 2, when the guess missed: sc qc where the SSIS search could not tell, the remaining reads
		{"judge", h.judge},       // verdict per check; scan and check mode end here
		{"converge", h.converge}, // apply: send the minimal writes
		{"verify", h.verify},     // apply: read again; changed only if compliant now
	} {
		if !s.run() {
			break
		}
	}
	return h.res
}

func (h *hostRun) resolve() bool {
	o := h.x.o
	if !o.Mode.Valid() {
		return h.fail(StatusError, CodeConfig, fmt.Errorf("unknown mode %q (want scan, apply or check)", o.Mode))
	}
	h.v = hostVars(h.x.pb, h.t)
	var err error
	if h.f, h.opts, err = knownFacts(o, h.v); err != nil {
		return h.failErr(err)
	}
	if h.plan, err = planReads(h.x.pb, h.v, h.f, h.opts, h.memo); err != nil {
		return h.failErr(err)
	}
	// Everything that can be known before connecting is checked before
	// connecting: a bad var never costs a connection.
	for _, c := range h.plan.checks {
		if err := resolveErr(c); err != nil {
			return h.failErr(err)
		}
	}
	h.spec = h.speculate()
	return true
}

func (h *hostRun) connect() bool {
	s, err := h.x.d.Dial(h.hctx, h.t)
	if err != nil {
		return h.transport("connect", err)
	}
	h.s = s
	if n, ok := s.(LogonNotifier); ok {
		n.OnLogon(func() { h.logon.done(logonAccepted) })
	}
	return true
}

// closeLater deletes the host's shell in the background: the host's result
// does not depend on the Delete, so its fork slot goes to the next host one
// round trip sooner. At most Forks Deletes run at once (a host waits, in
// its slot, for a free one), and Run waits for every Delete before it
// returns, so no shell is left open behind a finished run. The goroutine
// keeps the session and the budget only, not the host's readings.
func (x *executor) closeLater(h *hostRun) {
	if h.s == nil {
		return
	}
	s, hctx := h.s, h.hctx
	x.closers <- struct{}{}
	x.closing.Add(1)
	go func() {
		defer func() { <-x.closers; x.closing.Done() }()
		closeSession(hctx, s)
	}()
}

// closeSession deletes the shell, with at least closeMin even when the
// host's budget (hctx) is spent or the run was cancelled.
func closeSession(hctx context.Context, s Session) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(hctx), closeMin)
	if dl, ok := hctx.Deadline(); ok && time.Until(dl) > closeMin {
		cancel()
		cctx, cancel = context.WithDeadline(context.WithoutCancel(hctx), dl)
	}
	defer cancel()
	_ = s.Close(cctx)
}

func (h *hostRun) discover() bool {
	// The first round trip is the logon: its outcome tells the lockout
	// guard whether the host's credential works (a LogonNotifier session
	// has told it already if the host accepted it).
	_, err := h.batch(appendNew(h.plan.all(), h.spec...))
	h.logon.done(logonOf(err))
	if err != nil {
		return h.transport("reading the host", err)
	}
	ver, err := netsh.ParseVer(h.r.out[netsh.VerCommand])
	if err != nil {
		return h.readError(err, netsh.VerCommand)
	}
	h.res.WindowsVersion = fmt.Sprintf("%s (%s)", ver.ProductName(), ver)
	if h.f.dialect == "" {
		h.f.dialect = netsh.AutoDialect(ver)
	}
	h.opts.Dialect = h.f.dialect
	h.res.Dialect = string(h.f.dialect)
	elevated, err := netsh.ParseNetSession(h.r.out[netsh.NetSessionCommand])
	if err != nil {
		return h.readError(err, netsh.NetSessionCommand)
	}
	if !elevated {
		o := h.r.out[netsh.NetSessionCommand]
		return h.readError(&netsh.OutputError{Command: netsh.NetSessionCommand, Raw: rawOutput(o), Err: netsh.ErrNotElevated}, netsh.NetSessionCommand)
	}
	if !h.f.known && h.r.has(netsh.ScListCommand) {
		entries, err := h.r.services()
		if err != nil {
			return h.readError(err, netsh.ScListCommand)
		}
		h.f.installs = installsOf(ssisFromList(entries)...)
		h.f.known = true
		if ver.Major >= 6 {
			h.programsFromSearch()
		}
	}
	return true
}

// programsFromSearch takes the SSIS programs from the SSIS search of round
// trip 1. The search only saves sc qc's round trip: an answer it cannot
// read (another language, a reg.exe that cannot search) leaves the
// programs to sc qc, as does a version it did not find.
func (h *hostRun) programsFromSearch() {
	found, err := netsh.ParseServiceSearch(h.r.out[netsh.SSISSearchCommand])
	if err != nil {
		return
	}
	for i, in := range h.f.installs {
		for _, s := range found {
			if strings.EqualFold(s.Service, in.v.Service) {
				h.f.installs[i].program, h.f.installs[i].source = s.Executable, netsh.SSISSearchCommand
				break
			}
		}
	}
}

func (h *hostRun) read() bool {
	// What round trip 1 revealed (the dialect, the SSIS versions) decides
	// the rest: sc qc of each version and the firewall reads. The reads
	// of each: ssis items do not depend on the program path (advfirewall
	// reads by name, legacy lists every program), so they go alongside
	// sc qc.
	if !h.replan() || !h.readMissing() {
		return false
	}
	read := false // a program came from sc qc: the checks change
	for i, in := range h.f.installs {
		qc, err := netsh.ScQcCommand(in.v.Service)
		if err != nil || in.source != "" || !h.r.has(qc) {
			continue // the search gave the program, or nothing asked sc qc (no each: ssis item applies)
		}
		cfg, err := netsh.ParseScQc(h.r.out[qc])
		if err != nil {
			return h.readError(err, qc)
		}
		if !cfg.Installed {
			return h.readError(fmt.Errorf("SSIS %s is not installed (no service %s), but sql_version says it is", in.v.Dir, in.v.Service), qc)
		}
		h.f.installs[i].program = cfg.Executable
		h.f.installs[i].source = qc
		read = true
	}
	// With the real program paths the checks are final; any read they
	// add (none with the built-in dialects) is asked now.
	if read && (!h.replan() || !h.readMissing()) {
		return false
	}
	h.checks = h.plan.checks
	h.remember()
	return true
}

// replan recomputes the read plan from what is known now.
func (h *hostRun) replan() bool {
	p, err := planReads(h.x.pb, h.v, h.f, h.opts, h.memo)
	if err != nil {
		return h.failErr(err)
	}
	h.plan = p
	return true
}

// readMissing sends the plan's commands not answered yet, in one round
// trip (none when everything was read).
func (h *hostRun) readMissing() bool {
	var missing []string
	for _, c := range h.plan.all() {
		if !h.r.has(c) {
			missing = append(missing, c)
		}
	}
	if _, err := h.batch(missing); err != nil {
		return h.transport("reading the host", err)
	}
	return true
}

func (h *hostRun) judge() bool {
	h.verdicts = judgeAll(h.checks, h.r, h.opts)
	mode := h.x.o.Mode
	h.res.Checks = make([]CheckResult, len(h.checks))
	for i, c := range h.checks {
		vd := h.verdicts[i]
		cr := CheckResult{ID: c.base().id, Name: c.base().name, Expected: vd.res.Expected, Actual: vd.res.Actual,
			Commands: append([]string{}, vd.cmds...), Output: vd.out, Err: vd.err}
		cr.Status, cr.Code, cr.reason = judgeCheck(mode, vd)
		if cr.Status == CheckWouldChange {
			for _, w := range vd.res.Commands {
				cr.Writes = append(cr.Writes, Write{Command: w, State: WriteWouldSend})
			}
		}
		if cr.Status == CheckError && cr.Actual == "" {
			cr.Actual = vd.err.Error()
		}
		h.res.Checks[i] = cr
	}
	d := decideJudged(mode, h.res.Checks)
	h.setDecision(d)
	return d.converge
}

func (h *hostRun) converge() bool {
	// The writes apply sends: the would_change checks' commands, in check
	// order, as not sent until they are.
	var writes []string
	owner := map[int][]int{} // check index -> indices in writes
	for i := range h.res.Checks {
		cr := &h.res.Checks[i]
		if cr.Status != CheckWouldChange {
			continue
		}
		for j := range cr.Writes {
			cr.Writes[j].State = WriteNotSent
			owner[i] = append(owner[i], len(writes))
			writes = append(writes, cr.Writes[j].Command)
		}
	}
	// No change starts once the run is cancelled.
	if h.runCtx.Err() != nil {
		h.setDecision(decision{status: StatusCancelled, code: CodeCancelled, reason: "cancelled before changes were sent"})
		return false
	}
	// Write-ahead: the journal holds the writes before they leave.
	if j := h.x.o.Journal; j != nil {
		if err := j.Sending(h.t.Name, h.journalWrites(owner, nil)); err != nil {
			return h.fail(StatusError, CodeWriteFailed, fmt.Errorf("write journal: %w; nothing was sent", err))
		}
	}
	outs, err := h.batch(writes)
	if j := h.x.o.Journal; j != nil {
		j.Answered(h.t.Name, h.journalWrites(owner, outs))
	}
	failed, unconfirmed := false, 0
	for i, idx := range owner {
		cr := &h.res.Checks[i]
		cr.Before = cr.Actual
		for k, wi := range idx {
			w := &cr.Writes[k]
			cr.Commands = append(cr.Commands, w.Command)
			if wi >= len(outs) {
				// Sent, or about to be, when the transport failed: its
				// effect on the host is unknown.
				w.State = WriteSent
				unconfirmed++
				cr.Status, cr.Code = CheckError, CodeWriteUnconfirmed
				cr.reason = "a write was sent and not answered: its effect is unknown"
				continue
			}
			o := outs[wi]
			w.State, w.ExitCode, w.Output = WriteAnswered, o.ExitCode, rawOutput(o)
			cr.Output += w.Output
			if _, perr := netsh.ParseChange(o); perr != nil {
				cr.Status, cr.Code, cr.reason, cr.Err = CheckError, writeCode(perr), reasonFor(perr), perr
				failed = true
			}
		}
	}
	if err != nil {
		h.transport("sending changes", err)
		if unconfirmed > 0 {
			h.res.Code = CodeWriteUnconfirmed
			h.res.Reason += fmt.Sprintf("; %d write(s) sent without an answer: their effect on the host is unknown, scan it", unconfirmed)
		}
		return false
	}
	if failed {
		h.setDecision(decideWritesFailed(h.res.Checks))
		return false
	}
	return true
}

func (h *hostRun) verify() bool {
	// Read every check again, in one round trip.
	if _, err := h.batch(readCommands(h.checks, h.opts)); err != nil {
		return h.transport("verifying changes", err)
	}
	after := judgeAll(h.checks, h.r, h.opts)
	for i, vd := range after {
		cr := &h.res.Checks[i]
		cr.Commands = append(cr.Commands, vd.cmds...)
		cr.Output += vd.out
		was := cr.Status
		switch {
		case vd.err != nil:
			cr.Status, cr.Code, cr.reason, cr.Err = CheckError, codeOf(vd.err), reasonFor(vd.err), vd.err
		case !vd.res.Compliant:
			cr.Status, cr.Actual, cr.reason = CheckFail, vd.res.Actual, vd.res.Reason
			if was == CheckWouldChange {
				cr.Code = CodeVerifyFailed
			}
		case was == CheckWouldChange:
			cr.Status, cr.Code, cr.Actual = CheckChanged, "", vd.res.Actual
		}
	}
	h.setDecision(decideVerified(h.res.Checks))
	return false
}

// journalWrites lists the writes of the checks in owner (check index ->
// indices in the write round trip) for the journal, with the answers in
// outs where there are some.
func (h *hostRun) journalWrites(owner map[int][]int, outs []netsh.Output) []JournalWrite {
	var ws []JournalWrite
	for i := range h.res.Checks {
		cr := h.res.Checks[i]
		for k, wi := range owner[i] {
			w := JournalWrite{Check: cr.ID, Command: cr.Writes[k].Command}
			if wi < len(outs) {
				w.Answered, w.ExitCode, w.Output = true, outs[wi].ExitCode, rawOutput(outs[wi])
			}
			ws = append(ws, w)
		}
	}
	return ws
}

// batch runs cmds in one round trip and records the answers. On a
// transport error the outputs answered before it are still recorded and
// returned.
func (h *hostRun) batch(cmds []string) ([]netsh.Output, error) {
	if len(cmds) == 0 {
		return nil, nil
	}
	outs, err := h.s.RunBatch(h.hctx, cmds)
	if len(outs) > len(cmds) {
		return nil, &TransportError{Status: StatusError, Code: CodeProtocol,
			Err: fmt.Errorf("session returned %d outputs for %d commands", len(outs), len(cmds))}
	}
	res := make([]netsh.Output, len(outs))
	for i, o := range outs {
		res[i] = netsh.Output{Command: cmds[i], Stdout: o.Stdout, Stderr: o.Stderr, ExitCode: o.ExitCode}
		h.r.record(res[i])
	}
	if err == nil && len(outs) != len(cmds) {
		err = &TransportError{Status: StatusError, Code: CodeProtocol,
			Err: fmt.Errorf("session returned %d outputs for %d commands", len(outs), len(cmds))}
	}
	return res, err
}

// setDecision puts a decision into the result.
func (h *hostRun) setDecision(d decision) {
	h.res.Status, h.res.Code, h.res.Reason = d.status, d.code, d.reason
	if d.err != nil {
		h.res.Err = d.err
	}
}

// fail ends the host with status s, code and err as its error and reason.
func (h *hostRun) fail(s Status, code Code, err error) bool {
	h.res.Status, h.res.Code, h.res.Err, h.res.Reason = s, code, err, reasonFor(err)
	return false
}

// failErr ends the host with status error, the code err carries.
func (h *hostRun) failErr(err error) bool { return h.fail(StatusError, codeOf(err), err) }

// transport ends the host after a Dial or RunBatch error. Evidence the
// transport kept (an excerpt of a too large output) goes into the report
// as a host-read check.
func (h *hostRun) transport(what string, err error) bool {
	st, code := classify(err, h.hctx)
	h.fail(st, code, fmt.Errorf("%s: %w", what, err))
	var te *TransportError
	if errors.As(err, &te) && te.Evidence != "" {
		h.res.Checks = append(h.res.Checks, CheckResult{ID: "host-read", Name: "read host state", Status: CheckError,
			Code: code, Actual: te.Err.Error(), Output: te.Evidence, Err: err, reason: h.res.Reason})
	}
	switch {
	case st == StatusCancelled:
		h.res.Reason = "cancelled while " + what
	case st == StatusTimeout && errors.Is(h.hctx.Err(), context.DeadlineExceeded) && h.x.o.HostTimeout > 0:
		h.res.Reason = fmt.Sprintf("host budget of %s ran out while %s", h.x.o.HostTimeout, what)
	}
	return false
}

// readError ends the host with status error after a read it cannot use;
// the raw output is kept in a check so the report shows it.
func (h *hostRun) readError(err error, cmd string) bool {
	o := h.r.out[cmd]
	h.res.Checks = append(h.res.Checks, CheckResult{
		ID: "host-read", Name: "read host state", Status: CheckError, Code: codeOf(err),
		Commands: []string{cmd}, Output: rawOutput(o), Actual: err.Error(), Err: err, reason: reasonFor(err),
	})
	if h.res.Dialect == "" && h.f.dialect != "" {
		h.res.Dialect = string(h.f.dialect)
	}
	return h.failErr(err)
}

// logonOf is what a first round trip's error says about the logon.
func logonOf(err error) logonOutcome {
	var te *TransportError
	switch {
	case err == nil:
		return logonAccepted
	case errors.As(err, &te) && te.Status == StatusAuthFailed:
		return logonRefused
	}
	return logonUnknown
}

// classify maps an error from Dial, RunBatch or a context to a host status
// and code. hctx is the host's context: cancelled means the run's grace ran
// out (the host becomes cancelled), deadline exceeded means its budget did
// (timeout); only then does the transport adapter's classification count.
func classify(err error, hctx context.Context) (Status, Code) {
	switch {
	case errors.Is(hctx.Err(), context.Canceled):
		return StatusCancelled, CodeCancelled
	case errors.Is(hctx.Err(), context.DeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return StatusTimeout, CodeTimeout
	}
	var te *TransportError
	if errors.As(err, &te) {
		return te.Status, te.Code
	}
	if errors.Is(err, context.Canceled) {
		return StatusCancelled, CodeCancelled
	}
	return StatusError, CodeProtocol
}
