package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/winfleet/winfleet/playbook"
)

func newPlaybookCmd(stdio Stdio) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "playbook",
		Short: "Print a built-in playbook or check a playbook file",
	}
	show := &cobra.Command{
		Use:   "show [NAME]",
		Short: "Print a built-in playbook (default ssis-firewall); with no built-in of that name, list them",
		Example: `  winfleet playbook show ssis-firewall > my-ssis.yaml
  winfleet playbook validate my-ssis.yaml`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := "ssis-firewall"
			if len(args) == 1 {
				name = args[0]
			}
			src, err := playbook.BuiltinSource(name)
			if err != nil {
				return fmt.Errorf("%w (built-in playbooks: %s)", err, strings.Join(playbook.BuiltinNames(), ", "))
			}
			_, err = stdio.Out.Write(src)
			return err
		},
	}
	validate := &cobra.Command{
		Use:     "validate FILE",
		Short:   "Check a playbook file; errors name the file and line",
		Example: `  winfleet playbook validate my-ssis.yaml`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pb, err := playbook.Load(args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(stdio.Out, "%s: ok: playbook %q, %d rule(s), %d registry item(s), %d service check(s)\n",
				args[0], pb.Name, len(pb.Rules), len(pb.DCOM), len(pb.Services))
			return nil
		},
	}
	cmd.AddCommand(show, validate)
	return cmd
}
