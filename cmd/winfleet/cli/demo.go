package cli

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/winfleet/winfleet/lab/fleet"
	"github.com/winfleet/winfleet/playbook"
	"github.com/winfleet/winfleet/reports"
)

// demoFleet is the fleet `winfleet demo` serves.
//
//go:embed demo-fleet.yaml
var demoFleet []byte

func newDemoCmd(stdio Stdio) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Emulated fleet + scan + apply + scan again; reports into ./winfleet-demo/",
		Long: `demo starts two dozen emulated Windows SSIS servers on loopback (old and new
Windows, drifted firewalls, a host that is down, one with the wrong password),
speaking NTLM with message encryption as a default Windows server does. It
then runs scan, apply and scan again exactly as you would on a real fleet,
writes JSON and CSV reports of each step into the directory, and explains
what happened. It needs no setup and sends nothing beyond loopback.`,
		Example: `  winfleet demo
  winfleet demo --dir /tmp/demo`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), stdio, dir)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "winfleet-demo", "directory for the inventory and reports")
	return cmd
}

// demoStep is one run of the demo.
type demoStep struct {
	title  string
	mode   playbook.Mode
	serial string
	base   string // report file base name
}

func runDemo(ctx context.Context, stdio Stdio, dir string) error {
	start := time.Now()
	fl, err := fleet.Parse("demo-fleet.yaml", demoFleet)
	if err != nil {
		return fmt.Errorf("demo fleet: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// The demo always generates its password: it lives only in this process.
	lab, err := fleet.Serve(ctx, fl, fleet.ServeOptions{})
	if err != nil {
		return fmt.Errorf("demo lab: %w", err)
	}
	defer lab.Close()
	invPath := filepath.Join(dir, "inventory.yaml")
	if err := writeLabFiles(lab, fl, labOptions{InventoryOut: invPath, AnswersOut: filepath.Join(dir, "answers.json")}); err != nil {
		return err
	}
	password, _ := lab.Password()
	env := stdio.Getenv
	demoIO := stdio
	demoIO.Err = stdio.Out // the demo tells one story, on standard output
	demoIO.Getenv = func(k string) (string, bool) {
		if k == lab.PasswordEnv() {
			return password, true
		}
		return env(k)
	}
	out := stdio.Out
	fmt.Fprintf(out, "winfleet demo: %d emulated Windows SSIS servers on loopback (%s …), NTLM with message encryption.\n",
		len(lab.Hosts()), lab.Hosts()[0].Address)
	fmt.Fprintf(out, "inventory: %s (the password stays in this process: the inventory names $%s)\n\n", invPath, lab.PasswordEnv())

	steps := []demoStep{
		{"1/3 scan: what does the fleet look like?", playbook.ModeScan, "100%", "scan-before"},
		{"2/3 apply: converge every host, canary first (--serial 1,100%)", playbook.ModeApply, "1,100%", "apply"},
		{"3/3 scan again: is the fleet compliant now?", playbook.ModeScan, "100%", "scan-after"},
	}
	var reps []*reports.Report
	for _, s := range steps {
		fmt.Fprintf(out, "== %s\n", s.title)
		o := fleetOptions{
			Mode: s.mode, Select: selection{Inventory: []string{invPath}}, Playbook: "ssis-firewall", Dialect: "auto",
			Forks: 24, Timeout: 20 * time.Second, ConnectTimeout: 2 * time.Second, Serial: s.serial, MaxFail: 100,
			Log: logOptions{Format: "text"}, NoProgress: true,
			StateDir: filepath.Join(dir, "state"), // the demo's apply journal stays in its directory
			Reports: []string{
				"json=" + filepath.Join(dir, s.base+".json"),
				"csv=" + filepath.Join(dir, s.base+".csv"),
			},
		}
		rep, err := runFleet(ctx, demoIO, o)
		var ee *exitError
		if err != nil && (!errors.As(err, &ee) || ee.code == ExitFatal || ee.code == ExitInterrupted) {
			return err
		}
		reps = append(reps, rep)
		fmt.Fprintln(out)
	}
	explainDemo(out, reps, dir, time.Since(start))
	return nil
}

// explainDemo tells in a few lines what the three runs showed.
func explainDemo(w io.Writer, reps []*reports.Report, dir string, took time.Duration) {
	before, apply, after := reps[0], reps[1], reps[2]
	fmt.Fprintln(w, "== What happened")
	fmt.Fprintf(w, "- The first scan found %d compliant and %d non-compliant hosts; %d could not be checked.\n",
		before.Summary[reports.StatusCompliant], before.Summary[reports.StatusNoncompliant], unchecked(before))
	fmt.Fprintf(w, "- apply changed %d hosts and re-read each one; %d failed to converge (apply never deletes a rule the playbook does not name, such as another team's block rule).\n",
		apply.Summary[reports.StatusChanged], apply.Summary[reports.StatusFailed])
	fmt.Fprintf(w, "- The second scan finds %d compliant hosts; what remains needs a person: see the reasons above.\n",
		after.Summary[reports.StatusCompliant])
	fmt.Fprintf(w, "- Reports: %s/{scan-before,apply,scan-after}.{json,csv}. Compare runs with:\n    winfleet report diff %s %s\n",
		dir, filepath.Join(dir, "scan-before.json"), filepath.Join(dir, "scan-after.json"))
	fmt.Fprintf(w, "- Took %s. On a real fleet: winfleet scan -i YOUR-INVENTORY -o json=scan.json\n", took.Round(100*time.Millisecond))
}

// unchecked counts hosts that could not be checked.
func unchecked(r *reports.Report) int {
	n := 0
	for _, s := range []reports.HostStatus{reports.StatusUnreachable, reports.StatusAuthFailed, reports.StatusTimeout, reports.StatusError} {
		n += r.Summary[s]
	}
	return n
}
