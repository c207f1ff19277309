package cli

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/winfleet/winfleet/inventory"
)

func newInventoryCmd(stdio Stdio) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "inventory",
		Short: "Show the resolved inventory: hosts, groups and vars (secrets masked)",
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the resolved hosts with their connection settings and vars",
		Example: `  winfleet inventory list -i hosts.ini
  winfleet inventory list -i hosts.yaml -l 'sql:&prod' -o json | jq '.hosts[].address'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, _ := cmd.Flags().GetString("inventory")
			limit, _ := cmd.Flags().GetString("limit")
			format, _ := cmd.Flags().GetString("output")
			inv, err := loadInventory(stdio, path)
			if err != nil {
				return err
			}
			if limit == "" {
				limit = "all"
			}
			hosts, err := inv.Select(limit, os.ReadFile)
			if err != nil {
				return err
			}
			return inventory.WriteList(stdio.Out, hosts, format)
		},
	}
	list.Flags().StringP("inventory", "i", "", "inventory file")
	list.Flags().StringP("limit", "l", "", "limit to hosts matching an Ansible pattern")
	list.Flags().StringP("output", "o", "table", "output format: table or json")

	graph := &cobra.Command{
		Use:     "graph",
		Short:   "Print the group tree, as ansible-inventory --graph does",
		Example: `  winfleet inventory graph -i hosts.ini`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, _ := cmd.Flags().GetString("inventory")
			inv, err := loadInventory(stdio, path)
			if err != nil {
				return err
			}
			return inventory.WriteGraph(stdio.Out, inv)
		},
	}
	graph.Flags().StringP("inventory", "i", "", "inventory file")
	cmd.AddCommand(list, graph)
	return cmd
}

// loadInventory loads path (or WINFLEET_INVENTORY) and prints its warnings.
func loadInventory(stdio Stdio, path string) (*inventory.Inventory, error) {
	if path == "" {
		path, _ = stdio.Getenv("WINFLEET_INVENTORY")
	}
	if path == "" {
		return nil, errNoInventory
	}
	inv, err := inventory.Load(path)
	if err != nil {
		return nil, err
	}
	log := newLogger(stdio, "text", 0)
	for _, w := range inv.Warnings() {
		log.Warn("inventory", "warning", w.String())
	}
	return inv, nil
}
