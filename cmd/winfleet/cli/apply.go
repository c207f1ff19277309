package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/winfleet/winfleet/playbook"
)

// newApplyCmd is `winfleet apply`; run does the work.
func newApplyCmd(stdio Stdio, run func(context.Context, fleetOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Converge hosts to the playbook (--check: report what would change)",
		Long: `apply reads each host's state, sends the minimal netsh commands to converge it,
reads it again and verifies: a host is "changed" only if the re-read is
compliant, else "failed". Rules the playbook does not name are never touched.

--check reads state and reports "would_change" without sending any write.
--serial rolls out in batches (e.g. 1,10%,100%: a canary host, then 10% of
the hosts, then the rest); --max-fail PERCENT stops the rollout after a batch
in which more than PERCENT of the hosts failed, and the remaining hosts are
reported as "skipped".

Exit codes: 0 every host converged and verified; 2 a host failed or
(--check) would change; 3 a host could not be reached; 1 fatal; 130
interrupted.`,
		Example: `  winfleet apply -i hosts.ini --check --diff
  winfleet apply -i hosts.ini --serial 1,10%,100% --max-fail 0 -o json=apply.json
  winfleet apply -i hosts.ini -l sql01.corp.example -p my-ssis.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o, err := fleetOptionsFrom(cmd.Context(), cmd, stdio, playbook.ModeApply)
			if err != nil {
				return err
			}
			return run(cmd.Context(), o)
		},
	}
	addFleetFlags(cmd)
	addApplyFlags(cmd)
	return cmd
}
