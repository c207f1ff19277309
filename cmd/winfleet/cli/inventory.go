package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/winfleet/winfleet/inventory"
)

// inventoryOptions are the settings of `winfleet inventory list|graph`. They
// come from the same flags, environment and config file as a scan, so the
// inventory a scan would use is the one listed.
type inventoryOptions struct {
	Graph  bool
	Select selection
	Format string // list: table or json
}

// newInventoryCmd is `winfleet inventory`; run does the work.
func newInventoryCmd(stdio Stdio, run func(context.Context, inventoryOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "inventory",
		Short: "Show the resolved inventory: hosts, groups and vars (secrets masked)",
	}
	resolve := func(c *cobra.Command, graph bool) (inventoryOptions, error) {
		s, err := loadSettings(c.Context(), c, stdio)
		if err != nil {
			return inventoryOptions{}, err
		}
		o := inventoryOptions{Graph: graph, Select: s.selection()}
		if !graph {
			o.Format, _ = c.Flags().GetString("output")
			if o.Format != "table" && o.Format != "json" {
				return o, fmt.Errorf("-o %q: must be table or json", o.Format)
			}
		}
		return o, s.err()
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the resolved hosts with their connection settings and vars",
		Example: `  winfleet inventory list -i hosts.ini
  winfleet inventory list -i hosts.yaml -l 'sql:&prod' -o json | jq '.hosts[].address'`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			o, err := resolve(c, false)
			if err != nil {
				return err
			}
			return run(c.Context(), o)
		},
	}
	addInventoryFlags(list)
	addConfigFlag(list)
	list.Flags().StringP("output", "o", "table", "output format: table or json")

	graph := &cobra.Command{
		Use:     "graph",
		Short:   "Print the group tree, as ansible-inventory --graph does",
		Example: `  winfleet inventory graph -i hosts.ini`,
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			o, err := resolve(c, true)
			if err != nil {
				return err
			}
			return run(c.Context(), o)
		},
	}
	addInventoryFlags(graph)
	addConfigFlag(graph)
	cmd.AddCommand(list, graph)
	return cmd
}

// runInventory lists or graphs the inventory.
func runInventory(ctx context.Context, stdio Stdio, o inventoryOptions) error {
	log := newLogger(stdio.Err, logOptions{Format: "text"})
	if o.Graph {
		inv, err := loadInventory(ctx, o.Select, log)
		if err != nil {
			return err
		}
		return inventory.WriteGraph(stdio.Out, inv)
	}
	hosts, err := selectHosts(ctx, o.Select, log)
	if err != nil {
		return err
	}
	return inventory.WriteList(stdio.Out, hosts, o.Format)
}
