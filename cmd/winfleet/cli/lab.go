package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/winfleet/winfleet/internal/atomicfile"
	"github.com/winfleet/winfleet/lab/fleet"
	"github.com/winfleet/winfleet/lab/winsim"
)

// labOptions are the settings of `winfleet lab`.
type labOptions struct {
	FleetFile    string
	Hosts        int
	Seed         int64
	Latency      time.Duration
	InventoryOut string
	AnswersOut   string
	FleetOut     string
	Port         int
	// StatsOut is where the lab's counters (per host: logons accepted and
	// rejected, shells, commands, writes) are written, atomically, on exit
	// and on SIGUSR1.
	StatsOut         string
	LockoutThreshold int
	WriteFault       winsim.WriteFault
}

func newLabCmd(stdio Stdio) *cobra.Command {
	var o labOptions
	cmd := &cobra.Command{
		Use:   "lab (--fleet FILE | --hosts N [--seed S]) --inventory-out FILE",
		Short: "Serve an emulated fleet on loopback until interrupted",
		Long: `lab serves emulated Windows SSIS hosts over WinRM on loopback addresses
(127.0.0.2, 127.0.0.3, …), one per host, until interrupted, and writes a
winfleet inventory for them. The hosts accept the password in
WINFLEET_PASSWORD; if it is unset, lab generates one and prints it once. The
inventory names the variable, never the password.

--answers-out writes, per host, the status a correct "winfleet scan" must
report, derived from the fleet's ground truth. The fleet file format is
documented in lab/fleet/README.md (example: examples/fleet.yaml).`,
		Example: `  winfleet lab --hosts 40 --seed 7 --inventory-out inv.yaml --answers-out answers.json &
  winfleet scan -i inv.yaml -o json=scan.json
  winfleet lab --fleet examples/fleet.yaml --latency 20ms --inventory-out lab.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			wf, _ := cmd.Flags().GetString("write-fault")
			var err error
			if o.WriteFault, err = parseWriteFault(wf); err != nil {
				return err
			}
			if (o.FleetFile == "") == (o.Hosts == 0) {
				return errors.New("lab: give exactly one of --fleet FILE and --hosts N")
			}
			if o.InventoryOut == "" {
				return errors.New("lab: --inventory-out FILE is required")
			}
			return runLab(cmd.Context(), stdio, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.FleetFile, "fleet", "", "fleet file (YAML) describing the hosts")
	f.IntVar(&o.Hosts, "hosts", 0, "generate a realistic fleet of N hosts")
	f.Int64Var(&o.Seed, "seed", 1, "seed of the generated fleet (same seed, same fleet)")
	f.DurationVar(&o.Latency, "latency", 0, "latency added to every WinRM request")
	f.StringVar(&o.InventoryOut, "inventory-out", "", "write the lab's winfleet inventory here")
	f.StringVar(&o.AnswersOut, "answers-out", "", "write the expected scan status of each host here (JSON)")
	f.StringVar(&o.FleetOut, "fleet-out", "", "write the fleet file that is served (useful with --hosts)")
	f.IntVar(&o.Port, "port", 0, "port every host listens on (default: a free port per host)")
	f.StringVar(&o.StatsOut, "stats-out", "", "write the lab's counters (logons accepted and rejected, shells, commands, writes per host) here as JSON, on exit and on SIGUSR1")
	f.IntVar(&o.LockoutThreshold, "lockout-threshold", 0, "model a domain account lockout: after N rejected logons an account is refused everywhere (0: off)")
	f.String("write-fault", "", "make every host fail its writes: drop_before_write, drop_after_write or hang_on_write, optionally :AFTER (writes that succeed first)")
	return cmd
}

// startLab loads or generates the fleet and serves it.
func startLab(ctx context.Context, stdio Stdio, o labOptions) (*fleet.Lab, *fleet.Fleet, error) {
	var fl *fleet.Fleet
	if o.FleetFile != "" {
		var err error
		if fl, err = fleet.Load(o.FleetFile); err != nil {
			return nil, nil, err
		}
	} else {
		if o.Hosts < 1 {
			return nil, nil, fmt.Errorf("lab: --hosts %d: must be at least 1", o.Hosts)
		}
		fl = fleet.Generate(o.Hosts, o.Seed)
	}
	password, _ := stdio.Getenv(fleet.DefaultPasswordEnv)
	lab, err := fleet.Serve(ctx, fl, fleet.ServeOptions{Latency: o.Latency, Password: password, Port: o.Port, CAFile: labCAFile(o.InventoryOut),
		LockoutThreshold: o.LockoutThreshold, WriteFault: o.WriteFault})
	if err != nil {
		return nil, nil, err
	}
	return lab, fl, nil
}

// labCAFile is where the lab's CA certificate is written, beside the
// inventory, so that the inventory's https hosts are verified against it.
func labCAFile(inventory string) string {
	abs, err := filepath.Abs(inventory)
	if err != nil {
		abs = inventory
	}
	return strings.TrimSuffix(abs, filepath.Ext(abs)) + "-ca.pem"
}

// labGCPercent is the lab's GOGC unless the environment sets one.
const labGCPercent = 400

// runLab serves the fleet until ctx is done.
func runLab(ctx context.Context, stdio Stdio, o labOptions) error {
	start := time.Now()
	if _, set := os.LookupEnv("GOGC"); !set {
		// The lab is a test bench that shares the machine with the client
		// it serves: trading memory for less GC leaves more CPU to the
		// client (lab CPU per scanned host -10 %; remote/README.md,
		// BENCHMARKS). An explicit GOGC wins.
		debug.SetGCPercent(labGCPercent)
	}
	lab, fl, err := startLab(ctx, stdio, o)
	if err != nil {
		return err
	}
	defer lab.Close()
	if err := writeLabFiles(lab, fl, o); err != nil {
		return err
	}
	if pw, generated := lab.Password(); generated {
		fmt.Fprintf(stdio.Err, "WINFLEET_PASSWORD was not set; the lab hosts accept this generated password (shown once):\n  export %s='%s'\n", lab.PasswordEnv(), pw)
	}
	hosts := lab.Hosts()
	first, last := hosts[0], hosts[len(hosts)-1]
	fmt.Fprintf(stdio.Err, "lab: serving %d hosts (%s:%d … %s:%d) in %s; inventory %s. Interrupt to stop.\n",
		len(hosts), first.Address, first.Port, last.Address, last.Port, time.Since(start).Round(time.Millisecond), o.InventoryOut)
	writeStats := func() error {
		if o.StatsOut == "" {
			return nil
		}
		if err := writeFileAtomic(o.StatsOut, lab.WriteStats); err != nil {
			return fmt.Errorf("lab: --stats-out: %w", err)
		}
		return nil
	}
	request := make(chan os.Signal, 1)
	if sigs := statsSignals(); len(sigs) > 0 {
		signal.Notify(request, sigs...)
		defer signal.Stop(request)
	}
	for running := true; running; {
		select {
		case <-request:
			if err := writeStats(); err != nil {
				fmt.Fprintln(stdio.Err, err)
			}
		case <-ctx.Done():
			running = false
		}
	}
	fmt.Fprintf(stdio.Err, "lab: stopping; %s\n", lab.Stats().Summary())
	return writeStats()
}

// parseWriteFault reads --write-fault MODE[:AFTER].
func parseWriteFault(s string) (winsim.WriteFault, error) {
	if s == "" {
		return winsim.WriteFault{}, nil
	}
	mode, after, hasAfter := strings.Cut(s, ":")
	wf := winsim.WriteFault{Mode: winsim.WriteFaultMode(mode)}
	if !wf.Mode.Valid() {
		return wf, fmt.Errorf("--write-fault %q: want drop_before_write, drop_after_write or hang_on_write, optionally :AFTER", s)
	}
	if hasAfter {
		n, err := strconv.Atoi(after)
		if err != nil || n < 0 {
			return wf, fmt.Errorf("--write-fault %q: AFTER must be a count of writes", s)
		}
		wf.After = n
	}
	return wf, nil
}

// writeLabFiles writes the CA (if any host uses https), inventory, answers
// and fleet files atomically.
func writeLabFiles(lab *fleet.Lab, fl *fleet.Fleet, o labOptions) error {
	if pem := lab.CACertPEM(); pem != nil {
		write := func(w io.Writer) error { _, err := w.Write(pem); return err }
		if err := writeFileAtomic(labCAFile(o.InventoryOut), write); err != nil {
			return fmt.Errorf("lab: CA certificate: %w", err)
		}
	}
	if err := writeFileAtomic(o.InventoryOut, lab.WriteInventory); err != nil {
		return fmt.Errorf("lab: inventory: %w", err)
	}
	if o.AnswersOut != "" {
		if err := writeFileAtomic(o.AnswersOut, lab.WriteAnswers); err != nil {
			return fmt.Errorf("lab: answers: %w", err)
		}
	}
	if o.FleetOut != "" {
		if err := writeFileAtomic(o.FleetOut, fl.Write); err != nil {
			return fmt.Errorf("lab: fleet: %w", err)
		}
	}
	return nil
}

// writeFileAtomic writes what write produces to path (mode 0600 when new:
// the lab's inventory and answers, the fact cache) so that it is never
// half-written.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	return atomicfile.Write(path, 0o600, write)
}
