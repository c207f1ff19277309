package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/winfleet/winfleet/reports"
	"github.com/winfleet/winfleet/reports/history"
)

func newReportCmd(stdio Stdio) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Re-render, compare and combine JSON reports",
	}
	cmd.AddCommand(
		newReportRenderCmd(stdio, func(ctx context.Context, o renderOptions) error { return runReportRender(ctx, stdio, o) }),
		newReportDiffCmd(stdio, func(ctx context.Context, o diffOptions) error { return runReportDiff(ctx, stdio, o) }),
		newReportMergeCmd(stdio, func(ctx context.Context, o mergeOptions) error { return runReportMerge(ctx, stdio, o) }),
		newReportTrendCmd(stdio, func(ctx context.Context, o trendOptions) error { return runReportTrend(ctx, stdio, o) }),
		newReportRecoverCmd(stdio, func(ctx context.Context, o renderOptions) error { return runReportRecover(ctx, stdio, o) }),
	)
	return cmd
}

// renderOptions are the settings of `winfleet report render`.
type renderOptions struct {
	Input    string
	Reports  []string
	Evidence reports.Evidence
}

// evidenceFlag declares --evidence; evidenceOf reads it.
func evidenceFlag(cmd *cobra.Command) {
	cmd.Flags().String("evidence", "failing", "which checks keep their raw output in html and junit reports: failing or all")
}

func evidenceOf(cmd *cobra.Command) (reports.Evidence, error) {
	s, _ := cmd.Flags().GetString("evidence")
	e, err := reports.ParseEvidence(s)
	if err != nil {
		return "", fmt.Errorf("--evidence: %w", err)
	}
	return e, nil
}

func newReportRenderCmd(stdio Stdio, run func(context.Context, renderOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "render REPORT.json -o FORMAT=PATH...",
		Short: "Turn a JSON report into other formats",
		Example: `  winfleet report render scan.json -o csv=scan.csv -o html=scan.html
  winfleet report render scan.json -o markdown=-`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o := renderOptions{Input: args[0]}
			o.Reports, _ = cmd.Flags().GetStringArray("report")
			if len(o.Reports) == 0 {
				o.Reports = []string{"text=-"}
			}
			var err error
			if o.Evidence, err = evidenceOf(cmd); err != nil {
				return err
			}
			return run(cmd.Context(), o)
		},
	}
	cmd.Flags().StringArrayP("report", "o", nil, "FORMAT=PATH (repeatable; default text=-)")
	evidenceFlag(cmd)
	return cmd
}

func runReportRender(ctx context.Context, stdio Stdio, o renderOptions) error {
	targets, err := reports.ParseTargets(o.Reports)
	if err != nil {
		return err
	}
	r, err := readReport(ctx, o.Input)
	if err != nil {
		return err
	}
	// A re-rendered report exits as its run would have (prometheus records it).
	wo := reports.WriteOptions{Evidence: o.Evidence, ExitCode: exitFor(reports.Outcome(r))}
	if _, err := reports.WriteTargets(stdio.Out, r, targets, wo); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// diffOptions are the settings of `winfleet report diff`.
type diffOptions struct {
	// Old and New are report files; both empty means the two runs of
	// History that Since picks.
	Old, New string
	History  string
	Since    string // last, yesterday or a DATE
	Format   string // text, json, markdown or html
}

func newReportDiffCmd(stdio Stdio, run func(context.Context, diffOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "diff [OLD.json NEW.json]",
		Short: "Compare two runs host by host: what drifted, what was fixed",
		Long: `diff compares two JSON reports host by host. It exits 2 when the new run has
drift the old one did not (a host newly non-compliant or failing), so a
nightly job can alert on change rather than on state.

Without files it compares runs kept by --history: the newest run with the
one --since picks: "last" (the run before it, the default), "yesterday" (the
newest run of the previous day) or a date YYYY-MM-DD (the newest run on or
before that day).`,
		Example: `  winfleet report diff yesterday.json today.json
  winfleet report diff --history /var/lib/winfleet/history
  winfleet report diff --history /var/lib/winfleet/history --since yesterday --format html > drift.html`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 0 && len(args) != 2 {
				return fmt.Errorf("give two reports (OLD NEW), or none with --history; got %d", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := loadSettings(cmd.Context(), cmd, stdio)
			if err != nil {
				return err
			}
			o := diffOptions{History: s.str("history"), Since: s.str("since"), Format: s.str("format")}
			if len(args) == 2 {
				o.Old, o.New = args[0], args[1]
				if cmd.Flags().Lookup("since").Changed {
					return errors.New("--since picks runs from --history: give no report files with it")
				}
			} else if o.History == "" {
				return errNoHistory
			}
			switch o.Format {
			case "text", "json", "markdown", "html":
			default:
				s.bad("format", "%q: must be text, json, markdown or html", o.Format)
			}
			if err := s.err(); err != nil {
				return err
			}
			return run(cmd.Context(), o)
		},
	}
	cmd.Flags().String("format", "text", "output format: text, json, markdown or html")
	cmd.Flags().String("since", "last", "with --history: compare the newest run with last, yesterday or YYYY-MM-DD")
	cmd.Flags().String("history", "", "the history directory of --history runs")
	addConfigFlag(cmd)
	return cmd
}

func runReportDiff(ctx context.Context, stdio Stdio, o diffOptions) error {
	oldR, newR, err := diffInputs(ctx, stdio, o)
	if err != nil {
		return err
	}
	d := reports.Diff(oldR, newR)
	switch o.Format {
	case "json":
		err = d.WriteJSON(stdio.Out)
	case "markdown":
		err = d.WriteMarkdown(stdio.Out)
	case "html":
		err = d.WriteHTML(stdio.Out)
	default:
		err = d.WriteText(stdio.Out)
	}
	if err != nil {
		return err
	}
	if d.NewDrift() {
		return &exitError{code: ExitDrift}
	}
	return nil
}

// diffInputs reads the two reports: the files given, or the history's.
func diffInputs(ctx context.Context, stdio Stdio, o diffOptions) (oldR, newR *reports.Report, err error) {
	if o.Old != "" {
		if oldR, err = readReport(ctx, o.Old); err != nil {
			return nil, nil, err
		}
		newR, err = readReport(ctx, o.New)
		return oldR, newR, err
	}
	st, err := history.Open(o.History, history.Options{})
	if err != nil {
		return nil, nil, fmt.Errorf("--history %s: %w", o.History, err)
	}
	old, cur, problems, err := st.Since(o.Since)
	warnProblems(stdio, problems)
	if err != nil {
		return nil, nil, fmt.Errorf("--history %s: %w", o.History, err)
	}
	return old.Report, cur.Report, nil
}

// warnProblems prints the history files that could not be read; they never
// stop the others from being used.
func warnProblems(stdio Stdio, problems []history.Problem) {
	for _, p := range problems {
		fmt.Fprintf(stdio.Err, "winfleet: warning: %v\n", p)
	}
}

// trendOptions are the settings of `winfleet report trend`.
type trendOptions struct {
	History  string
	From, To time.Time // zero: from the first run, to the last
	Format   string    // text or json
}

func newReportTrendCmd(stdio Stdio, run func(context.Context, trendOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "trend [DIR]",
		Short: "Per-day counts by status and the hosts that changed status, from a --history directory",
		Example: `  winfleet report trend /var/lib/winfleet/history
  winfleet report trend /var/lib/winfleet/history --from 2026-11-01 --format json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := loadSettings(cmd.Context(), cmd, stdio)
			if err != nil {
				return err
			}
			o := trendOptions{History: s.str("history"), Format: s.str("format")}
			if len(args) == 1 {
				o.History = args[0]
			}
			if o.History == "" {
				return errors.New("give the history directory: winfleet report trend DIR (or --history, or history: in the config file)")
			}
			for _, d := range []struct {
				key string
				t   *time.Time
			}{{"from", &o.From}, {"to", &o.To}} {
				if v := s.str(d.key); v != "" {
					if *d.t, err = time.ParseInLocation(history.DateLayout, v, time.Local); err != nil {
						s.bad(d.key, "%q: want a date YYYY-MM-DD", v)
					}
				}
			}
			if o.Format != "text" && o.Format != "json" {
				s.bad("format", "%q: must be text or json", o.Format)
			}
			if err := s.err(); err != nil {
				return err
			}
			return run(cmd.Context(), o)
		},
	}
	cmd.Flags().String("format", "text", "output format: text or json")
	cmd.Flags().String("from", "", "first day, YYYY-MM-DD (default: the first run)")
	cmd.Flags().String("to", "", "last day, YYYY-MM-DD (default: the last run)")
	cmd.Flags().String("history", "", "the history directory (instead of DIR)")
	addConfigFlag(cmd)
	return cmd
}

func runReportTrend(_ context.Context, stdio Stdio, o trendOptions) error {
	st, err := history.Open(o.History, history.Options{})
	if err != nil {
		return fmt.Errorf("%s: %w", o.History, err)
	}
	tr, problems, err := st.Trend(o.From, o.To)
	warnProblems(stdio, problems)
	if err != nil {
		return err
	}
	if o.Format == "json" {
		return tr.WriteJSON(stdio.Out)
	}
	return tr.WriteText(stdio.Out)
}

// mergeOptions are the settings of `winfleet report merge`.
type mergeOptions struct {
	Inputs   []string
	Reports  []string
	Evidence reports.Evidence
	History  string
	Keep     int
	Quiet    bool
}

func newReportMergeCmd(stdio Stdio, run func(context.Context, mergeOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "merge SHARD.json... -o json=ALL.json",
		Short: "Combine reports of disjoint host sets (shards) into one; exits like a scan",
		Long: `merge combines the reports of runs over disjoint host sets into one report.
Reports of --shard K/N runs must be complete: every shard 1..N exactly once.

It exits like a scan of the whole fleet (0 compliant, 2 drift, 3 could not
check), so the merge step is the gate of a sharded run; 1 when shards are
missing, overlap or cannot be read.`,
		Example: `  winfleet report merge east.json west.json -o json=all.json -o csv=all.csv
  winfleet report merge shards/*.json -o json=all.json --history /var/lib/winfleet/history`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := loadSettings(cmd.Context(), cmd, stdio)
			if err != nil {
				return err
			}
			o := mergeOptions{Inputs: args, Reports: s.strs("report", true), Quiet: s.bool("quiet")}
			o.History, o.Keep = s.historyOptions()
			if o.Evidence, err = reports.ParseEvidence(s.str("evidence")); err != nil {
				s.bad("evidence", "%v", err)
			}
			if len(o.Reports) == 0 && o.History == "" {
				s.errs = append(s.errs, errors.New("merge: give at least one -o FORMAT=PATH or --history DIR"))
			}
			if err := s.err(); err != nil {
				return err
			}
			return run(cmd.Context(), o)
		},
	}
	cmd.Flags().StringArrayP("report", "o", nil, "FORMAT=PATH (repeatable)")
	evidenceFlag(cmd)
	addHistoryFlags(cmd)
	boolFlag(cmd.Flags(), "quiet", "q", "print the summary only when a host needs attention")
	addConfigFlag(cmd)
	return cmd
}

func runReportMerge(ctx context.Context, stdio Stdio, o mergeOptions) error {
	targets, err := reports.ParseTargets(o.Reports)
	if err != nil {
		return err
	}
	shards := make([]reports.Shard, len(o.Inputs))
	for i, p := range o.Inputs {
		r, err := readReport(ctx, p)
		if err != nil {
			return err
		}
		shards[i] = reports.Shard{Name: p, Report: r}
	}
	merged, err := reports.MergeShards(shards...)
	if err != nil {
		return err
	}
	if merged.Tool == nil {
		merged.Tool = reportTool()
	}
	code := exitFor(reports.Outcome(merged))
	paths, werr := writeRun(stdio, merged, targets, reports.WriteOptions{Evidence: o.Evidence, ExitCode: code}, o.History, o.Keep)
	if werr != nil {
		code = ExitFatal
	}
	if err := reports.WriteSummary(stdio.Err, merged, reports.SummaryOptions{Paths: paths, Quiet: o.Quiet, ExitCode: code}); err != nil {
		werr = errors.Join(werr, err)
	}
	return runExit(werr, code)
}

func newReportRecoverCmd(stdio Stdio, run func(context.Context, renderOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "recover [JOURNAL] -o FORMAT=PATH...",
		Short: "Rebuild the report of an apply that died (killed, crashed) from its write journal",
		Long: `recover turns the write journal an apply keeps in its state directory into a
report. Hosts the run finished keep their results; a host whose writes were
sent but never answered is reported with those writes as sent (their effect
is unknown: code write_unconfirmed, scan it); the other hosts are cancelled.
The report's "incomplete" key says it was rebuilt. An apply that finds the
journal of an apply that died names it in a warning. Without JOURNAL, the
newest journal of an unfinished apply in the state directory is used.`,
		Example: `  winfleet report recover -o json=apply.json
  winfleet report recover ~/.local/state/winfleet/journal/20261206T031500Z-1a2b3c4d.journal -o json=apply.json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var o renderOptions
			if len(args) == 1 {
				o.Input = args[0]
			} else {
				dir, _ := cmd.Flags().GetString("state-dir")
				p, err := newestUnfinishedJournal(filepath.Join(stateDir(stdio, dir), "journal"))
				if err != nil {
					return err
				}
				o.Input = p
			}
			o.Reports, _ = cmd.Flags().GetStringArray("report")
			if len(o.Reports) == 0 {
				o.Reports = []string{"text=-"}
			}
			var err error
			if o.Evidence, err = evidenceOf(cmd); err != nil {
				return err
			}
			return run(cmd.Context(), o)
		},
	}
	cmd.Flags().StringArrayP("report", "o", nil, "FORMAT=PATH (repeatable; default text=-)")
	evidenceFlag(cmd)
	addStateFlag(cmd)
	return cmd
}

// newestUnfinishedJournal is the newest journal in dir that no running
// apply holds and that has no end record.
func newestUnfinishedJournal(dir string) (string, error) {
	files := journalFiles(dir)
	for i := len(files) - 1; i >= 0; i-- {
		if _, ended, running, err := inspectJournal(files[i]); err == nil && !ended && !running {
			return files[i], nil
		}
	}
	return "", fmt.Errorf("no journal of an unfinished apply in %s", dir)
}

// runReportRecover rebuilds and writes the report; it exits like the run
// would have (3 when hosts did not finish, 2 on drift).
func runReportRecover(ctx context.Context, stdio Stdio, o renderOptions) error {
	targets, err := reports.ParseTargets(o.Reports)
	if err != nil {
		return err
	}
	data, err := readInput(ctx, o.Input)
	if err != nil {
		return err
	}
	r, err := recoverJournal(o.Input, data)
	if err != nil {
		return err
	}
	code := exitFor(reports.Outcome(r))
	_, err = reports.WriteTargets(stdio.Out, r, targets, reports.WriteOptions{Evidence: o.Evidence, ExitCode: code})
	return runExit(err, code)
}

// readReport reads a JSON report with the input size cap; errors name the
// file.
func readReport(ctx context.Context, path string) (*reports.Report, error) {
	data, err := readInput(ctx, path)
	if err != nil {
		return nil, err
	}
	r, err := reports.ReadJSON(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}
