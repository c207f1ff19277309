package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/winfleet/winfleet/reports"
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
	if _, err := reports.WriteTargets(stdio.Out, r, targets, reports.WriteOptions{Evidence: o.Evidence}); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// diffOptions are the settings of `winfleet report diff`.
type diffOptions struct {
	Old, New string
	Format   string // text, json, markdown or html
}

func newReportDiffCmd(stdio Stdio, run func(context.Context, diffOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "diff OLD.json NEW.json",
		Short: "Compare two runs host by host: what drifted, what was fixed",
		Long: `diff compares two JSON reports host by host. It exits 2 when the new run has
drift the old one did not (a host newly non-compliant or failing), so a
nightly job can alert on change rather than on state.`,
		Example: `  winfleet report diff yesterday.json today.json
  winfleet report diff yesterday.json today.json --format json
  winfleet report diff yesterday.json today.json --format html > drift.html   # for the morning mail`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o := diffOptions{Old: args[0], New: args[1]}
			o.Format, _ = cmd.Flags().GetString("format")
			switch o.Format {
			case "text", "json", "markdown", "html":
			default:
				return fmt.Errorf("--format %q: must be text, json, markdown or html", o.Format)
			}
			return run(cmd.Context(), o)
		},
	}
	cmd.Flags().String("format", "text", "output format: text, json, markdown or html")
	return cmd
}

func runReportDiff(ctx context.Context, stdio Stdio, o diffOptions) error {
	oldR, err := readReport(ctx, o.Old)
	if err != nil {
		return err
	}
	newR, err := readReport(ctx, o.New)
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

// mergeOptions are the settings of `winfleet report merge`.
type mergeOptions struct {
	Inputs   []string
	Reports  []string
	Evidence reports.Evidence
}

func newReportMergeCmd(stdio Stdio, run func(context.Context, mergeOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "merge SHARD.json... -o json=ALL.json",
		Short:   "Combine reports of disjoint host sets (shards) into one",
		Example: `  winfleet report merge east.json west.json -o json=all.json -o csv=all.csv`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o := mergeOptions{Inputs: args}
			o.Reports, _ = cmd.Flags().GetStringArray("report")
			if len(o.Reports) == 0 {
				return errors.New("merge: give at least one -o FORMAT=PATH")
			}
			var err error
			if o.Evidence, err = evidenceOf(cmd); err != nil {
				return err
			}
			return run(cmd.Context(), o)
		},
	}
	cmd.Flags().StringArrayP("report", "o", nil, "FORMAT=PATH (repeatable)")
	evidenceFlag(cmd)
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
	if _, err := reports.WriteTargets(stdio.Out, merged, targets, reports.WriteOptions{Evidence: o.Evidence}); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
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
