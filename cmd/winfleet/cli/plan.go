package cli

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/winfleet/winfleet/inventory"
	"github.com/winfleet/winfleet/playbook"
)

func newPlanCmd(stdio Stdio) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Print, per host, the exact commands apply would send (offline)",
		Long: `plan connects to nothing. For every targeted host it prints the read commands a
scan sends and the write commands apply would send if every rule were missing,
rendered in the host's dialect (from --dialect, the host var "dialect", or the
host var "windows_version"; else both are assumed, as the notes say).`,
		Example: `  winfleet plan -i hosts.ini
  winfleet plan -i hosts.ini -l sql01.corp.example --dialect legacy`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, err := resolveRunOptions(cmd, stdio)
			if err != nil {
				return err
			}
			return runPlan(stdio, opts)
		},
	}
	addRunFlags(cmd)
	return cmd
}

// runPlan loads inventory and playbook and prints each host's plan.
func runPlan(stdio Stdio, opts runOptions) error {
	log := newLogger(stdio, opts.LogFormat, opts.Verbose)
	hosts, err := selectHosts(opts, log)
	if err != nil {
		return err
	}
	pb, err := playbook.Resolve(opts.Playbook)
	if err != nil {
		return err
	}
	targets := make([]playbook.Target, len(hosts))
	for i, h := range hosts {
		targets[i] = playbook.Target{Name: h.Name, Address: hostAddress(h, stdio, log), Vars: plainVars(h)}
	}
	plans, err := playbook.Plan(pb, targets, playbook.Options{Dialect: opts.Dialect})
	if err != nil {
		return err
	}
	failed := writePlans(stdio.Out, plans)
	if failed > 0 {
		return &exitError{code: ExitFatal, err: fmt.Errorf("%d host(s) cannot be planned", failed)}
	}
	return nil
}

// hostAddress is the host's connection address, or its name when its
// connection settings do not resolve (plan needs no password).
func hostAddress(h *inventory.Host, stdio Stdio, log *slog.Logger) string {
	c, err := h.Conn(stdio.Getenv)
	if err != nil {
		log.Debug("plan: connection settings", "host", h.Name, "error", err)
		if v, ok := h.Var("ansible_host"); ok {
			return fmt.Sprint(v.Value)
		}
		return h.Name
	}
	return c.Address
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
