package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/winfleet/winfleet/playbook"
)

// newScanCmd is `winfleet scan`; run does the work (runFleet, or a test's
// capture of the options).
func newScanCmd(stdio Stdio, run func(context.Context, fleetOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Read-only compliance check of every targeted host",
		Long: `scan connects to every targeted host, reads its firewall state and judges it
against the playbook. It never changes anything.

Exit codes: 0 every host compliant; 2 at least one host non-compliant;
3 no drift on the hosts reached but at least one could not be checked;
1 fatal (bad flags or settings, inventory or playbook, no host matched, a
report not written); 130 interrupted (partial reports are still written).`,
		Example: `  winfleet scan -i hosts.ini
  winfleet scan -i hosts.yaml -l 'sql:!dmz' -o json=scan.json -o csv=scan.csv
  WINFLEET_FORKS=200 winfleet scan -i fleet.csv --timeout 30s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o, err := fleetOptionsFrom(cmd.Context(), cmd, stdio, playbook.ModeScan)
			if err != nil {
				return err
			}
			return run(cmd.Context(), o)
		},
	}
	addFleetFlags(cmd)
	return cmd
}
