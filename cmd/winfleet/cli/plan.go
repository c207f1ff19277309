package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/winfleet/winfleet/playbook"
)

// planOptions are the settings of `winfleet plan`: it connects to nothing,
// so it has no connection, rollout or report settings.
type planOptions struct {
	Select   selection
	Playbook string
	Dialect  string
	Log      logOptions
}

// newPlanCmd is `winfleet plan`; run does the work.
func newPlanCmd(stdio Stdio, run func(context.Context, planOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Print, per host, the exact commands apply would send (offline)",
		Long: `plan connects to nothing. For every targeted host it prints the read commands a
scan sends and the write commands apply would send if every rule were missing,
rendered in the host's dialect (from --dialect, the host var "dialect", or the
host var "windows_version"; else advfirewall is assumed, as the notes say).`,
		Example: `  winfleet plan -i hosts.ini
  winfleet plan -i hosts.ini -l sql01.corp.example --dialect legacy`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := loadSettings(cmd.Context(), cmd, stdio)
			if err != nil {
				return err
			}
			o := planOptions{Select: s.selection(), Playbook: s.str("playbook"), Dialect: s.str("dialect"), Log: s.logOptions()}
			switch o.Dialect {
			case "auto", "legacy", "advfirewall":
			default:
				s.bad("dialect", "%q: must be auto, legacy or advfirewall", o.Dialect)
			}
			if err := s.err(); err != nil {
				return err
			}
			return run(cmd.Context(), o)
		},
	}
	addInventoryFlags(cmd)
	cmd.Flags().StringP("playbook", "p", "ssis-firewall", "playbook file or built-in name")
	cmd.Flags().String("dialect", "auto", "netsh dialect: auto, legacy or advfirewall")
	addLogFlags(cmd)
	addConfigFlag(cmd)
	return cmd
}

// runPlan loads inventory and playbook and prints each host's plan.
func runPlan(ctx context.Context, stdio Stdio, o planOptions) error {
	log := newLogger(stdio.Err, o.Log)
	hosts, err := selectHosts(ctx, o.Select, log)
	if err != nil {
		return err
	}
	pb, err := playbook.Resolve(o.Playbook, inputReader(ctx))
	if err != nil {
		return err
	}
	plans, err := playbook.Plan(pb, hostTargets(hosts), playbook.Options{Dialect: o.Dialect})
	if failed := writePlans(stdio.Out, plans); failed > 0 {
		return &exitError{code: ExitFatal, err: fmt.Errorf("%d host(s) cannot be planned:\n%w", failed, err)}
	}
	return nil
}

// writePlans prints the plans and returns how many hosts could not be
// planned.
func writePlans(w io.Writer, plans []playbook.HostPlan) (failed int) {
	for i, p := range plans {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "# %s (%s) dialect=%s\n", p.Host, p.Address, p.Dialect)
		if p.Error != nil {
			failed++
			fmt.Fprintf(w, "error: %v\n", p.Error)
			continue
		}
		for _, n := range p.Notes {
			fmt.Fprintf(w, "note: %s\n", n)
		}
		fmt.Fprintln(w, "reads:")
		for _, c := range p.Reads {
			fmt.Fprintf(w, "  %s\n", c)
		}
		fmt.Fprintln(w, "writes:")
		for _, c := range p.Writes {
			fmt.Fprintf(w, "  %s\n", c)
		}
	}
	return failed
}
