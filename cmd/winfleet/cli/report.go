package cli

import (
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
	render := &cobra.Command{
		Use:   "render REPORT.json -o FORMAT=PATH...",
		Short: "Turn a JSON report into other formats",
		Example: `  winfleet report render scan.json -o csv=scan.csv -o html=scan.html
  winfleet report render scan.json -o markdown=-`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			outs, _ := cmd.Flags().GetStringArray("report")
			if len(outs) == 0 {
				outs = []string{"text=-"}
			}
			targets, err := reports.ParseTargets(outs)
			if err != nil {
				return err
			}
			r, err := reports.ReadFile(args[0])
			if err != nil {
				return err
			}
			if _, err := reports.WriteTargets(stdio.Out, r, targets, reports.WriteOptions{}); err != nil {
				return fmt.Errorf("report: %w", err)
			}
			return nil
		},
	}
	render.Flags().StringArrayP("report", "o", nil, "FORMAT=PATH (repeatable; default text=-)")

	diff := &cobra.Command{
		Use:   "diff OLD.json NEW.json",
		Short: "Compare two runs host by host: what drifted, what was fixed",
		Long: `diff compares two JSON reports host by host. It exits 2 when the new run has
drift the old one did not (a host newly non-compliant or failing), so a
nightly job can alert on change rather than on state.`,
		Example: `  winfleet report diff yesterday.json today.json
  winfleet report diff yesterday.json today.json --format json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, _ := cmd.Flags().GetString("format")
			oldR, err := reports.ReadFile(args[0])
			if err != nil {
				return err
			}
			newR, err := reports.ReadFile(args[1])
			if err != nil {
				return err
			}
			d := reports.Diff(oldR, newR)
			switch format {
			case "text":
				err = d.WriteText(stdio.Out)
			case "json":
				err = d.WriteJSON(stdio.Out)
			default:
				return fmt.Errorf("--format %q: must be text or json", format)
			}
			if err != nil {
				return err
			}
			if d.NewDrift() {
				return &exitError{code: ExitDrift}
			}
			return nil
		},
	}
	diff.Flags().String("format", "text", "output format: text or json")

	merge := &cobra.Command{
		Use:     "merge SHARD.json... -o json=ALL.json",
		Short:   "Combine reports of disjoint host sets (shards) into one",
		Example: `  winfleet report merge east.json west.json -o json=all.json -o csv=all.csv`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			outs, _ := cmd.Flags().GetStringArray("report")
			if len(outs) == 0 {
				return errors.New("merge: give at least one -o FORMAT=PATH")
			}
			targets, err := reports.ParseTargets(outs)
			if err != nil {
				return err
			}
			shards := make([]reports.Shard, len(args))
			for i, p := range args {
				r, err := reports.ReadFile(p)
				if err != nil {
					return err
				}
				shards[i] = reports.Shard{Name: p, Report: r}
			}
			merged, err := reports.MergeShards(shards...)
			if err != nil {
				return err
			}
			if _, err := reports.WriteTargets(stdio.Out, merged, targets, reports.WriteOptions{}); err != nil {
				return fmt.Errorf("report: %w", err)
			}
			return nil
		},
	}
	merge.Flags().StringArrayP("report", "o", nil, "FORMAT=PATH (repeatable)")
	cmd.AddCommand(render, diff, merge)
	return cmd
}
