package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

func newLabCmd(stdio Stdio) *cobra.Command {
	return &cobra.Command{
		Use:   "lab",
		Short: "Serve an emulated fleet on loopback until interrupted",
		RunE: func(cmd *cobra.Command, _ []string) error {
			return errors.New("lab: not wired yet")
		},
	}
}

func newDemoCmd(stdio Stdio) *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Emulated fleet + scan + apply + scan again; reports into ./winfleet-demo/",
		RunE: func(cmd *cobra.Command, _ []string) error {
			return errors.New("demo: not wired yet")
		},
	}
}
