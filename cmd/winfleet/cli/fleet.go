package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/winfleet/winfleet/inventory"
	"github.com/winfleet/winfleet/playbook"
	"github.com/winfleet/winfleet/remote/session"
	"github.com/winfleet/winfleet/reports"
)

// fleetOptions are the settings of a run over hosts: scan, apply, apply
// --check, and each step of the demo.
type fleetOptions struct {
	Mode           playbook.Mode
	Select         selection
	Playbook       string
	Dialect        string
	Forks          int
	Timeout        time.Duration // per-host budget, whole run of that host
	ConnectTimeout time.Duration
	Serial         string  // apply only; scan runs one batch
	MaxFail        float64 // apply only
	Reports        []string
	User           string
	PasswordEnv    string
	AskPass        bool
	Log            logOptions
	NoProgress     bool
	// Quiet prints the end summary only when a host needs attention, and
	// no progress line: for cron, which mails whatever is printed.
	Quiet bool
	// Evidence is which checks keep their raw output in html and junit.
	Evidence reports.Evidence
	// Diff prints, per host, the commands apply would send or sent
	// (apply -D/--diff).
	Diff bool
	// ListHosts prints the targeted hosts and exits (--list-hosts).
	ListHosts bool
	// Shard is the part of the targeted hosts this runner works on
	// (--shard K/N or auto); zero for all of them.
	Shard inventory.Shard
	// AuthFailLimit is how many hosts may refuse a shared credential before
	// the others skip it (the lockout guard).
	AuthFailLimit int
	// History is the directory every run's JSON report is kept in, Keep
	// how many are kept (0: all).
	History string
	Keep    int
	// MaxOutput is the most output one command may print, in bytes; more
	// ends the host as error (output_too_large) with an excerpt.
	MaxOutput int
	// StateDir holds the write journals of applies and the fact cache (see
	// stateDir); StateDirGiven says --state-dir or the config named it, so
	// a scan refuses it when it cannot be created instead of running
	// without the cache.
	StateDir      string
	StateDirGiven bool
	// NoFactCache turns the fact cache off (--no-fact-cache): a 2003 host
	// is read in two round trips (a 2008+ host in one either way) and
	// facts.json is neither read nor written.
	NoFactCache bool
	ConfigFile  string // the config file that was read, "" if none
}

// addFleetFlags declares the flags every run over hosts has.
func addFleetFlags(cmd *cobra.Command) {
	addInventoryFlags(cmd)
	f := cmd.Flags()
	f.StringP("playbook", "p", "ssis-firewall", "playbook file or built-in name")
	f.String("dialect", "auto", "netsh dialect: auto, legacy or advfirewall")
	f.IntP("forks", "f", 50, "hosts worked on at once")
	f.Duration("timeout", 2*time.Minute, "budget for the whole work on one host")
	f.Duration("connect-timeout", 10*time.Second, "TCP and TLS connect timeout")
	f.StringArrayP("report", "o", nil, "write a report: FORMAT=PATH (repeatable; formats: "+joinFormats()+"; PATH - for stdout)")
	f.StringP("user", "u", "", "WinRM user for hosts whose inventory sets none")
	f.String("password-env", "", "name of the environment variable holding the WinRM password")
	boolFlag(f, "ask-pass", "k", "prompt for the WinRM password (no echo)")
	boolFlag(f, "no-progress", "", "no progress line")
	boolFlag(f, "list-hosts", "", "print the hosts the run would target, and exit")
	f.String("evidence", "failing", "which checks keep their raw output in html and junit reports: failing or all")
	f.String("max-output", "4MiB", "the most output one command may print (stdout and stderr); more ends the host as error with an excerpt, so memory stays bounded")
	f.Int("auth-fail-limit", playbook.DefaultAuthFailLimit, "lockout guard: once this many hosts refused a shared credential, skip it on the others")
	f.String("shard", "", "work on one part of the targeted hosts: K/N, auto/N or auto (JOB_COMPLETION_INDEX, WINFLEET_SHARDS); see winfleet report merge")
	addHistoryFlags(cmd)
	addStateFlag(cmd)
	boolFlag(f, "no-fact-cache", "", "do not read or write the fact cache (facts.json in --state-dir): a Windows 2003 host is then read in two round trips, as on a first run")
	boolFlag(f, "quiet", "q", "print the end summary only when a host needs attention (for cron)")
	addLogFlags(cmd)
	addConfigFlag(cmd)
}

// addApplyFlags declares the flags of apply: rolling batches, check mode
// and the diff.
func addApplyFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.String("serial", "100%", "rolling batches, e.g. 1,10%,100%")
	f.Float64("max-fail", 100, "stop the rollout when more than this percent of a batch's hosts failed")
	boolFlag(f, "check", "C", "read state and report what would change; send no write")
	boolFlag(f, "diff", "D", "print per host the exact commands apply would send (--check) or sent")
}

// fleetOptionsFrom resolves cmd's flags, environment and config file into
// fleetOptions; any problem is an error before anything is contacted.
func fleetOptionsFrom(ctx context.Context, cmd *cobra.Command, stdio Stdio, mode playbook.Mode) (fleetOptions, error) {
	s, err := loadSettings(ctx, cmd, stdio)
	if err != nil {
		return fleetOptions{}, err
	}
	o := fleetOptions{
		Mode:           mode,
		Select:         s.selection(),
		Playbook:       s.str("playbook"),
		Dialect:        s.str("dialect"),
		Forks:          s.int("forks"),
		Timeout:        s.duration("timeout"),
		ConnectTimeout: s.duration("connect-timeout"),
		Serial:         "100%",
		MaxFail:        100,
		Reports:        s.strs("report", true),
		User:           s.str("user"),
		PasswordEnv:    s.str("password-env"),
		AskPass:        s.bool("ask-pass"),
		Log:            s.logOptions(),
		NoProgress:     s.bool("no-progress"),
		Quiet:          s.bool("quiet"),
		ConfigFile:     s.file,
	}
	if cmd.Flags().Lookup("serial") != nil {
		o.Serial, o.MaxFail = s.str("serial"), s.float("max-fail")
	}
	if mode == playbook.ModeApply && s.bool("check") {
		o.Mode = playbook.ModeCheck
	}
	if mode == playbook.ModeApply {
		o.Diff = s.bool("diff")
	}
	o.ListHosts = s.bool("list-hosts")
	if o.AuthFailLimit = s.int("auth-fail-limit"); o.AuthFailLimit < 1 {
		s.bad("auth-fail-limit", "%d: must be at least 1", o.AuthFailLimit)
	}
	if spec := s.str("shard"); spec != "" {
		if o.Shard, err = inventory.ParseShard(spec, stdio.Getenv); err != nil {
			s.bad("shard", "%v", err)
		}
	}
	o.History, o.Keep = s.historyOptions()
	o.MaxOutput = s.byteSize("max-output")
	o.StateDir, o.StateDirGiven = stateDir(stdio, s.str("state-dir")), s.str("state-dir") != ""
	o.NoFactCache = s.bool("no-fact-cache")
	ev, err := reports.ParseEvidence(s.str("evidence"))
	if err != nil {
		s.bad("evidence", "%v", err)
	}
	o.Evidence = ev
	if o.Diff {
		for _, r := range o.Reports {
			if t, err := reports.ParseTarget(r); err == nil && t.Stdout() {
				s.bad("diff", "--diff prints on standard output, so -o %s cannot: write that report to a file", r)
			}
		}
	}
	if o.Forks < 1 {
		s.bad("forks", "%d: must be at least 1", o.Forks)
	}
	if o.Timeout <= 0 {
		s.bad("timeout", "%s: must be positive", o.Timeout)
	}
	if o.ConnectTimeout <= 0 {
		s.bad("connect-timeout", "%s: must be positive", o.ConnectTimeout)
	}
	if o.MaxFail < 0 || o.MaxFail > 100 {
		s.bad("max-fail", "%g: must be a percentage from 0 to 100", o.MaxFail)
	}
	switch o.Dialect {
	case "auto", "legacy", "advfirewall":
	default:
		s.bad("dialect", "%q: must be auto, legacy or advfirewall", o.Dialect)
	}
	return o, s.err()
}

// fleetRun is everything a scan or apply needs, resolved before any host is
// contacted.
type fleetRun struct {
	pb      *playbook.Playbook
	targets []playbook.Target
	dialer  session.Dialer
	outputs []reports.Target
	serial  []playbook.Batch
}

// prepare loads and checks everything a run needs; any error is fatal
// (exit 1) and nothing has been contacted yet.
func prepare(ctx context.Context, stdio Stdio, o fleetOptions, log *slog.Logger) (*fleetRun, error) {
	fr := &fleetRun{}
	var err error
	if fr.outputs, err = reports.ParseTargets(o.Reports); err != nil {
		return nil, err
	}
	var unwritable []error
	for _, t := range fr.outputs {
		unwritable = append(unwritable, t.CheckWritable())
	}
	if err := errors.Join(unwritable...); err != nil {
		return nil, err
	}
	if fr.serial, err = playbook.ParseSerial(o.Serial); err != nil {
		return nil, fmt.Errorf("--serial: %w", err)
	}
	hosts, err := selectHosts(ctx, o.Select, log)
	if err != nil {
		return nil, err
	}
	if !o.Shard.IsZero() {
		// A shard may be empty on a small fleet: its run has no host and
		// exits 0; the merge of all shards is the gate.
		hosts = o.Shard.Select(hosts)
		log.Info("shard", "shard", o.Shard.String(), "hosts", len(hosts))
	}
	if fr.pb, err = playbook.Resolve(o.Playbook, inputReader(ctx)); err != nil {
		return nil, err
	}
	asked, err := askPassword(stdio, o.AskPass)
	if err != nil {
		return nil, err
	}
	if fr.dialer, fr.targets, err = connect(stdio, o, hosts, asked, log); err != nil {
		return nil, err
	}
	return fr, nil
}

// runFleet runs a scan or apply, writes its reports and returns the report
// (nil when the run could not start) with the error that carries the exit
// code. The reports are written even when the run is interrupted.
func runFleet(ctx context.Context, stdio Stdio, o fleetOptions) (_ *reports.Report, err error) {
	var held *heldLog
	if o.Quiet {
		held = &heldLog{}
		defer func() {
			if err != nil {
				held.flush(stdio.Err) // before the caller prints err
			}
		}()
	}
	log := newLogger(terminal{held: held}.logWriter(stdio), o.Log)
	if o.ListHosts {
		return nil, listHosts(ctx, stdio, o.Select, log)
	}
	fr, err := prepare(ctx, stdio, o, log)
	if err != nil {
		return nil, err
	}
	run := newRun(stdio, o, fr)
	if o.StateDir == "" { // never the current directory
		o.StateDir = stateDir(stdio, "")
	}
	facts, err := factCacheFor(o, log)
	if err != nil {
		return nil, err
	}
	var journal *journal
	if o.Mode == playbook.ModeApply {
		names := make([]string, len(fr.targets))
		for i, t := range fr.targets {
			names[i] = t.Name
		}
		if journal, err = openJournal(stdio, filepath.Join(o.StateDir, "journal"), run, names); err != nil {
			return nil, err
		}
	}
	if err := moveAside(fr.outputs); err != nil {
		return nil, errors.Join(err, journal.close(true)) // nothing was sent
	}
	term := newTerminal(stdio, len(fr.targets), string(o.Mode), o.NoProgress || o.Quiet || o.Log.Format == "json")
	term.held = held
	rlog := newLogger(term.logWriter(stdio), o.Log)
	rep := execute(ctx, o, fr, run, journal, facts, term, rlog)
	if err := facts.save(); err != nil {
		rlog.Warn("the next run cannot use this run's facts", "error", err)
	}
	err = finish(ctx, stdio, o, term, rep, fr.outputs)
	var ee *exitError
	written := err == nil || errors.As(err, &ee) && ee.code != ExitFatal
	if jerr := journal.close(written); jerr != nil {
		fmt.Fprintf(stdio.Err, "winfleet: %v\n", jerr)
	}
	return rep, err
}

// newRun is the run-level record of a run over fr, before it starts.
func newRun(stdio Stdio, o fleetOptions, fr *fleetRun) reports.Run {
	return reports.Run{
		RunID:          newRunID(),
		Mode:           o.Mode,
		Playbook:       fr.pb.Name,
		Inventory:      o.Select.inventoryName(),
		PlaybookDigest: fr.pb.Digest,
		Operator:       operator(stdio),
		Controller:     controller(),
		CommandLine:    redactArgs(stdio.Args),
		Shard:          o.Shard.String(),
		Tool:           reportTool(),
		StartedAt:      time.Now().UTC(),
	}
}

// execute runs the executor over the prepared hosts and returns the report.
func execute(ctx context.Context, o fleetOptions, fr *fleetRun, run reports.Run, journal *journal, facts *factCache, term terminal, log *slog.Logger) *reports.Report {
	d := term.display
	po := playbook.Options{
		Mode:           o.Mode,
		Forks:          o.Forks,
		HostTimeout:    o.Timeout,
		Serial:         fr.serial,
		MaxFailPercent: o.MaxFail,
		Dialect:        o.Dialect,
		AuthFailLimit:  o.AuthFailLimit,
		Grace:          2 * time.Second,
		Journal:        journalOf(journal),
		Facts:          factsOf(facts),
		Events: func(e playbook.Event) {
			switch e.Kind {
			case playbook.HostStarted:
				d.HostStarted(e.Host)
			case playbook.HostFinished:
				d.HostFinished(e.Host, string(e.Result.Status))
				log.Info("host finished", "host", e.Host, "status", e.Result.Status, "code", e.Result.Code, "reason", e.Result.Reason)
			case playbook.BatchStarted:
				if e.Batches > 1 {
					d.BatchStarted(e.Batch, e.Batches, e.Size)
				}
				log.Info("batch started", "batch", e.Batch, "of", e.Batches, "hosts", e.Size)
			case playbook.RolloutStopped:
				log.Warn("rollout stopped: --max-fail exceeded", "batch", e.Batch, "skipped_hosts", e.Remaining)
			}
		},
	}
	results := playbook.Run(ctx, fr.pb, fr.targets, fr.dialer, po)
	d.Finish()
	run.FinishedAt = time.Now().UTC()
	return reports.FromRun(run, results)
}

// journalOf is the journal for the executor: none (a nil interface, not a
// nil *journal) when the run keeps none.
func journalOf(j *journal) playbook.Journal {
	if j == nil {
		return nil
	}
	return j
}

// inventoryName is how reports name the inventory: its sources, joined.
func (s selection) inventoryName() string {
	name := ""
	for i, p := range s.Inventory {
		if i > 0 {
			name += ","
		}
		name += p
	}
	return name
}

// finish writes the reports and the summary and turns the outcome into the
// exit code.
func finish(ctx context.Context, stdio Stdio, o fleetOptions, term terminal, rep *reports.Report, outputs []reports.Target) error {
	code := exitFor(reports.Outcome(rep))
	if ctx.Err() != nil {
		code = ExitInterrupted
	}
	paths, werr := writeRun(stdio, rep, outputs, reports.WriteOptions{Evidence: o.Evidence, ExitCode: code}, o.History, o.Keep)
	if o.Diff {
		if err := reports.WriteCommandDiff(stdio.Out, rep); err != nil {
			werr = errors.Join(werr, err)
		}
	}
	if werr != nil {
		code = ExitFatal
	}
	if code != ExitOK {
		term.held.flush(stdio.Err)
	}
	so := reports.SummaryOptions{Paths: paths, Color: term.color, Quiet: o.Quiet, ExitCode: code}
	write := reports.WriteSummary
	if o.Log.Format == "json" {
		write = reports.WriteSummaryJSON
	}
	if err := write(stdio.Err, rep, so); err != nil && werr == nil {
		werr, code = err, ExitFatal
	}
	return runExit(werr, code)
}

// writeRun writes a run's reports and, with a history directory, its
// history entry; it returns where they went and every write error.
func writeRun(stdio Stdio, rep *reports.Report, outputs []reports.Target, wo reports.WriteOptions, history string, keep int) ([]string, error) {
	paths, werr := reports.WriteTargets(stdio.Out, rep, outputs, wo)
	if path, err := saveHistory(history, keep, rep); err != nil {
		werr = errors.Join(werr, err)
	} else if path != "" {
		paths = append(paths, path)
	}
	return paths, werr
}

// runExit is how a command that wrote a run's reports ends: fatal when a
// report could not be written, else with the run's code.
func runExit(werr error, code int) error {
	switch {
	case werr != nil:
		return &exitError{code: ExitFatal, err: fmt.Errorf("report: %w", werr)}
	case code == ExitInterrupted:
		return &exitError{code: code, err: errors.New("interrupted; partial reports written")}
	case code != ExitOK:
		return &exitError{code: code}
	}
	return nil
}

// listHosts prints the hosts a run would target, as ansible --list-hosts
// does, without contacting any.
func listHosts(ctx context.Context, stdio Stdio, sel selection, log *slog.Logger) error {
	hosts, err := selectHosts(ctx, sel, log)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "  hosts (%d):\n", len(hosts))
	for _, h := range hosts {
		fmt.Fprintf(stdio.Out, "    %s\n", h.Name)
	}
	return nil
}

// newRunID returns a time-ordered unique run id.
func newRunID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// operator is the user running winfleet, for the report.
func operator(stdio Stdio) string {
	for _, k := range []string{"USER", "USERNAME", "LOGNAME"} {
		if u, ok := stdio.Getenv(k); ok && u != "" {
			return u
		}
	}
	return ""
}

// controller is the machine winfleet runs on, for the report.
func controller() string {
	h, _ := os.Hostname()
	return h
}

// joinFormats lists the report formats for help texts.
func joinFormats() string {
	s := ""
	for i, f := range reports.Formats() {
		if i > 0 {
			s += ", "
		}
		s += f
	}
	return s
}

// vars of a host, for commands that show or plan without connecting.
func hostTargets(hosts []*inventory.Host) []playbook.Target {
	ts := make([]playbook.Target, len(hosts))
	for i, h := range hosts {
		addr, _ := h.Address()
		ts[i] = playbook.Target{Name: h.Name, Address: addr, Groups: h.Groups(), Vars: h.Vars()}
	}
	return ts
}
