// Package cli is winfleet's command line: cobra commands, viper configuration
// and the wiring of inventory, playbook, remote and reports. It is the only
// package that imports cobra and viper.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// Stdio is the process's standard streams and environment, injected so that
// tests can run commands in-process.
type Stdio struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
	// Getenv looks up an environment variable.
	Getenv func(string) (string, bool)
	// IsTerminal reports whether Err is an interactive terminal (for the
	// progress bar) and In is one (for --ask-pass).
	IsTerminal func(f any) bool
	// Args is the command line (without the program name), which reports
	// record with secrets removed; Main sets it.
	Args []string
}

// OSStdio returns the real process streams and environment.
func OSStdio() Stdio {
	return Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Getenv: os.LookupEnv, IsTerminal: isTerminal}
}

// Main runs winfleet with args (without the program name) and returns the
// process exit code.
func Main(ctx context.Context, args []string, stdio Stdio) int {
	if stdio.Getenv == nil {
		stdio.Getenv = func(string) (string, bool) { return "", false }
	}
	if stdio.IsTerminal == nil {
		stdio.IsTerminal = func(any) bool { return false }
	}
	stdio.Args = args
	root := newRootCmd(stdio)
	root.SetArgs(args)
	root.SetIn(stdio.In)
	root.SetOut(stdio.Out)
	root.SetErr(stdio.Err)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stdio.Err, "winfleet: %v\n", ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(stdio.Err, "winfleet: %v\n", err)
	return ExitFatal
}

func newRootCmd(stdio Stdio) *cobra.Command {
	root := &cobra.Command{
		Use:   "winfleet",
		Short: "Check and converge the SSIS firewall rules of Windows servers over WinRM",
		Long: `winfleet reads an inventory of Windows servers running SQL Server Integration
Services, connects to them concurrently over WinRM, and checks or applies the
netsh firewall rules of Microsoft's SSIS firewall guide (TCP 135 "RPC (TCP/135)"
and MsDtsSrvr.exe "SSIS Service"), writing compliance reports.`,
		Example: `  winfleet demo
  winfleet scan -i hosts.ini -o json=scan.json -o csv=scan.csv
  winfleet apply -i hosts.ini --serial 1,10%,100% --max-fail 5
  winfleet plan -i hosts.ini -l 'sql0*'`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(flagError)
	fleet := func(ctx context.Context, o fleetOptions) error { _, err := runFleet(ctx, stdio, o); return err }
	root.AddCommand(
		newScanCmd(stdio, fleet),
		newApplyCmd(stdio, fleet),
		newPlanCmd(stdio, func(ctx context.Context, o planOptions) error { return runPlan(ctx, stdio, o) }),
		newInventoryCmd(stdio, func(ctx context.Context, o inventoryOptions) error { return runInventory(ctx, stdio, o) }),
		newPlaybookCmd(stdio),
		newReportCmd(stdio),
		newLabCmd(stdio),
		newDemoCmd(stdio),
	)
	addVersion(root, stdio) // winfleet version, winfleet --version
	return root
}
