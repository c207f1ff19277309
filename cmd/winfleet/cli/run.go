package cli

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/winfleet/winfleet/inventory"
	"github.com/winfleet/winfleet/playbook"
	"github.com/winfleet/winfleet/remote"
	"github.com/winfleet/winfleet/reports"
)

func newScanCmd(stdio Stdio) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Read-only compliance check of every targeted host",
		Long: `scan connects to every targeted host, reads its firewall state and judges it
against the playbook. It never changes anything.

Exit codes: 0 every host compliant; 2 at least one host non-compliant;
3 no drift on the hosts reached but at least one could not be checked;
1 fatal (bad flags, inventory or playbook, no host matched, a report not
written); 130 interrupted (partial reports are still written).`,
		Example: `  winfleet scan -i hosts.ini
  winfleet scan -i hosts.yaml -l 'sql:!dmz' -o json=scan.json -o csv=scan.csv
  WINFLEET_FORKS=200 winfleet scan -i fleet.csv --timeout 30s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, err := resolveRunOptions(cmd, stdio)
			if err != nil {
				return err
			}
			return runFleet(cmd.Context(), stdio, opts, reports.ModeScan)
		},
	}
	addRunFlags(cmd)
	return cmd
}

func newApplyCmd(stdio Stdio) *cobra.Command {
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
		Example: `  winfleet apply -i hosts.ini --check
  winfleet apply -i hosts.ini --serial 1,10%,100% --max-fail 0 -o json=apply.json
  winfleet apply -i hosts.ini -l sql01.corp.example -p my-ssis.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, err := resolveRunOptions(cmd, stdio)
			if err != nil {
				return err
			}
			mode := reports.ModeApply
			if opts.Check {
				mode = reports.ModeCheck
			}
			return runFleet(cmd.Context(), stdio, opts, mode)
		},
	}
	addRunFlags(cmd)
	cmd.Flags().Bool("check", false, "read state and report what would change; send no write")
	return cmd
}

// fleetRun is everything a scan or apply needs, resolved before any host is
// contacted.
type fleetRun struct {
	pb      *playbook.Playbook
	targets []playbook.Target
	dialer  dialer
	outputs []reports.Target
	serial  []playbook.Batch
}

// prepare loads and checks everything a run needs; any error is fatal
// (exit 1) and nothing has been contacted yet.
func prepare(stdio Stdio, opts runOptions, log *slog.Logger) (*fleetRun, error) {
	fr := &fleetRun{}
	var err error
	if fr.outputs, err = reports.ParseTargets(opts.Reports); err != nil {
		return nil, err
	}
	if fr.serial, err = playbook.ParseSerial(opts.Serial); err != nil {
		return nil, fmt.Errorf("--serial: %w", err)
	}
	hosts, err := selectHosts(opts, log)
	if err != nil {
		return nil, err
	}
	if fr.pb, err = playbook.Resolve(opts.Playbook); err != nil {
		return nil, err
	}
	askedPass, err := askPassword(stdio, opts)
	if err != nil {
		return nil, err
	}
	fr.dialer = dialer{}
	var errs []error
	var clear []string
	warned := map[string]int{} // one line per inventory warning, not per host
	for _, h := range hosts {
		hc, warnings, err := remoteTarget(stdio, opts, h, askedPass)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, w := range warnings {
			w.Host = ""
			warned[w.String()]++
		}
		if !hc.target.HTTPS && hc.target.AllowUnencrypted {
			clear = append(clear, h.Name)
		}
		hc.opts.Logger = remoteLogger(opts, log)
		fr.dialer[h.Name] = hc
		fr.targets = append(fr.targets, playbook.Target{Name: h.Name, Address: hc.target.Host, Vars: plainVars(h)})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, w := range slices.Sorted(maps.Keys(warned)) {
		log.Warn("inventory", "warning", w, "hosts", warned[w])
	}
	if len(clear) > 0 {
		log.Warn("WinRM over plain HTTP without encryption (allowed by message_encryption=never or allow_unencrypted): commands and output travel in clear",
			"hosts", len(clear), "first", clear[0])
	}
	return fr, nil
}

// remoteLogger is the logger the WinRM clients get: per-request debug lines
// and per-host warnings only with -v (prepare has already warned once for
// the whole run about what matters, such as clear-text hosts).
func remoteLogger(opts runOptions, log *slog.Logger) *slog.Logger {
	if opts.Verbose > 0 {
		return log
	}
	return nil
}

// selectHosts loads the inventory, logs its warnings and returns the hosts
// --limit selects (all of them without --limit).
func selectHosts(opts runOptions, log *slog.Logger) ([]*inventory.Host, error) {
	inv, err := inventory.Load(opts.Inventory)
	if err != nil {
		return nil, err
	}
	for _, w := range inv.Warnings() {
		log.Warn("inventory", "warning", w.String())
	}
	pattern := opts.Limit
	if pattern == "" {
		pattern = "all"
	}
	return inv.Select(pattern, os.ReadFile)
}

// plainVars flattens a host's inventory vars to their values.
func plainVars(h *inventory.Host) map[string]any {
	vars := h.Vars()
	out := make(map[string]any, len(vars))
	for k, v := range vars {
		out[k] = v.Value
	}
	return out
}

// hostConn is one host's resolved connection.
type hostConn struct {
	target remote.Target
	opts   remote.Options
}

// remoteTarget resolves a host's connection settings into a remote.Target.
// Password precedence: the host's password_env, a plaintext inventory var,
// --password-env, --ask-pass, then WINFLEET_PASSWORD.
// The connection's warnings (such as a plaintext password) are returned for
// the caller to report.
func remoteTarget(stdio Stdio, opts runOptions, h *inventory.Host, askedPass string) (hostConn, []inventory.Warning, error) {
	c, err := h.Conn(stdio.Getenv)
	if err != nil {
		return hostConn{}, nil, err
	}
	// The host's own password (password_env, or a plaintext var) wins; then
	// what the command line says (--password-env, --ask-pass); then the
	// generic WINFLEET_PASSWORD, which inventory.Conn fills in last.
	password := c.Password.Reveal()
	if c.PasswordSource == "" || c.PasswordSource == "WINFLEET_PASSWORD" {
		switch {
		case opts.PasswordEnv != "":
			p, ok := stdio.Getenv(opts.PasswordEnv)
			if !ok {
				return hostConn{}, nil, fmt.Errorf("host %s: --password-env %s: the variable is not set", h.Name, opts.PasswordEnv)
			}
			password = p
		case opts.AskPass:
			password = askedPass
		}
	}
	user := c.User
	if user == "" {
		user = opts.User
	}
	t := remote.Target{
		Host:      c.Address,
		Port:      c.Port,
		HTTPS:     c.Scheme == "https",
		Transport: c.Transport,
		User:      user,
		Password:  password,
		// message_encryption=never or allow_unencrypted=true is the
		// operator's explicit acceptance of clear text on plain HTTP;
		// nothing else allows it.
		AllowUnencrypted:   c.MessageEncryption == "never" || truthyVar(h, "allow_unencrypted"),
		MessageEncryption:  c.MessageEncryption,
		CAFile:             c.CAFile,
		ServerName:         c.ServerName,
		InsecureSkipVerify: c.CertValidation == "ignore",
	}
	if c.Transport == "certificate" {
		if t.ClientCertPEM, err = os.ReadFile(c.ClientCert); err != nil {
			return hostConn{}, nil, fmt.Errorf("host %s: client certificate: %w", h.Name, err)
		}
		if t.ClientKeyPEM, err = os.ReadFile(c.ClientKey); err != nil {
			return hostConn{}, nil, fmt.Errorf("host %s: client key: %w", h.Name, err)
		}
	}
	ro := remote.Options{ConnectTimeout: opts.ConnectTimeout, OperationTimeout: c.OperationTimeout, ReadTimeout: c.ReadTimeout}
	return hostConn{target: t, opts: ro}, c.Warnings, nil
}

// truthyVar reports whether a host var is set to true (a YAML boolean, or
// the strings true/yes/1 from INI or CSV).
func truthyVar(h *inventory.Host, name string) bool {
	v, ok := h.Var(name)
	if !ok {
		return false
	}
	switch x := v.Value.(type) {
	case bool:
		return x
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "yes", "1", "on":
			return true
		}
	case int:
		return x != 0
	}
	return false
}

// askPassword reads the password once for --ask-pass: without echo from a
// terminal, else one line from standard input.
func askPassword(stdio Stdio, opts runOptions) (string, error) {
	if !opts.AskPass {
		return "", nil
	}
	if f, ok := stdio.In.(*os.File); ok && stdio.IsTerminal(f) {
		fmt.Fprint(stdio.Err, "WinRM password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stdio.Err)
		if err != nil {
			return "", fmt.Errorf("--ask-pass: %w", err)
		}
		return string(b), nil
	}
	line, err := bufio.NewReader(stdio.In).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("--ask-pass: no password on standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// dialer opens remote clients for the executor, by host name. It is filled
// before the run starts and only read afterwards.
type dialer map[string]hostConn

func (d dialer) Dial(ctx context.Context, t playbook.Target) (playbook.Session, error) {
	hc, ok := d[t.Name]
	if !ok {
		return nil, fmt.Errorf("host %s: not in the resolved inventory", t.Name)
	}
	c, err := remote.Dial(ctx, hc.target, hc.opts)
	if err != nil {
		return nil, err
	}
	return session{c}, nil
}

// session adapts *remote.Client to playbook.Session.
type session struct{ c *remote.Client }

func (s session) RunBatch(ctx context.Context, cmds []string) ([]playbook.Output, error) {
	res, err := s.c.RunBatch(ctx, cmds)
	if err != nil {
		return nil, err
	}
	out := make([]playbook.Output, len(res))
	for i, r := range res {
		out[i] = playbook.Output{Stdout: r.Stdout, Stderr: r.Stderr, ExitCode: r.ExitCode}
	}
	return out, nil
}

func (s session) Close(ctx context.Context) error { return s.c.Close(ctx) }

// runFleet runs a scan or apply and writes its reports. The reports are
// written even when the run is interrupted.
func runFleet(ctx context.Context, stdio Stdio, opts runOptions, mode reports.Mode) error {
	log := newLogger(stdio, opts.LogFormat, opts.Verbose)
	fr, err := prepare(stdio, opts, log)
	if err != nil {
		return err
	}
	rep := execute(ctx, stdio, opts, mode, fr, log)
	return finish(ctx, stdio, rep, fr.outputs)
}

// execute runs the executor over the prepared hosts and returns the report.
func execute(ctx context.Context, stdio Stdio, opts runOptions, mode reports.Mode, fr *fleetRun, log *slog.Logger) *reports.Report {
	bar := newProgress(stdio, len(fr.targets), string(mode), opts.NoProgress)
	rep := &reports.Report{
		Schema:    reports.Schema,
		RunID:     newRunID(),
		Mode:      mode,
		Playbook:  fr.pb.Name,
		Inventory: opts.Inventory,
		StartedAt: time.Now().UTC(),
	}
	po := playbook.Options{
		Mode:           mode,
		Forks:          opts.Forks,
		HostTimeout:    opts.Timeout,
		Serial:         fr.serial,
		MaxFailPercent: opts.MaxFail,
		Dialect:        opts.Dialect,
		Grace:          2 * time.Second,
		Events: func(e playbook.Event) {
			switch e.Kind {
			case playbook.HostFinished:
				bar.done(string(mode), e.Result.Status)
				log.Info("host finished", "host", e.Host, "status", e.Result.Status, "reason", e.Result.Reason)
			case playbook.BatchStarted:
				log.Info("batch started", "batch", e.Batch)
			case playbook.RolloutStopped:
				log.Warn("rollout stopped: --max-fail exceeded; the remaining hosts are skipped", "batch", e.Batch)
			}
		},
	}
	rep.Hosts = playbook.Run(ctx, fr.pb, fr.targets, fr.dialer, po)
	bar.finish()
	rep.FinishedAt = time.Now().UTC()
	reports.Summarize(rep)
	return rep
}

// finish writes the reports and the summary and turns the outcome into the
// exit code.
func finish(ctx context.Context, stdio Stdio, rep *reports.Report, outputs []reports.Target) error {
	paths, werr := reports.WriteTargets(stdio.Out, rep, outputs, reports.WriteOptions{})
	if err := reports.WriteSummary(stdio.Err, rep, paths); err != nil && werr == nil {
		werr = err
	}
	switch {
	case werr != nil:
		return &exitError{code: ExitFatal, err: fmt.Errorf("report: %w", werr)}
	case ctx.Err() != nil:
		return &exitError{code: ExitInterrupted, err: errors.New("interrupted; partial reports written")}
	}
	if code := reports.ExitCode(rep); code != ExitOK {
		return &exitError{code: code}
	}
	return nil
}

// newRunID returns a time-ordered unique run id.
func newRunID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}
