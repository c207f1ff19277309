package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/winfleet/winfleet/inventory"
	"github.com/winfleet/winfleet/playbook"
	"github.com/winfleet/winfleet/remote"
	"github.com/winfleet/winfleet/remote/session"
)

var errNoInventory = errors.New("no inventory: use -i FILE (or WINFLEET_INVENTORY, or inventory: in the config file)")

// addInventoryFlags declares -i (repeatable, merged as Ansible merges), -l
// and -e.
func addInventoryFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArrayP("inventory", "i", nil, "inventory file or directory: Ansible INI or YAML, or CSV (repeatable: merged as Ansible does)")
	f.StringP("limit", "l", "", "limit to hosts matching an Ansible pattern (a:b, a:&b, a:!b, sql0*, ~regex, @file)")
	f.StringArrayP("extra-vars", "e", nil, "vars for every host, above the inventory's (Ansible's precedence): key=value ..., a {...} YAML/JSON mapping, or @FILE (repeatable)")
}

// addConfigFlag declares --config.
func addConfigFlag(cmd *cobra.Command) {
	cmd.Flags().String("config", "", "config file (default ./winfleet.yaml, else the user config dir's winfleet/config.yaml)")
}

// addLogFlags declares --log-format and -v.
func addLogFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.String("log-format", "text", "log format: text or json")
	f.CountP("verbose", "v", "more log output (repeatable)")
}

// logOptions are the logging settings every command that logs has.
type logOptions struct {
	Format  string // text or json
	Verbose int
}

func (s *settings) logOptions() logOptions {
	o := logOptions{Format: s.str("log-format"), Verbose: s.int("verbose")}
	switch o.Format {
	case "text", "json":
	default:
		s.bad("log-format", "%q: must be text or json", o.Format)
	}
	return o
}

// selection is which inventory and which hosts of it a command works on.
type selection struct {
	Inventory []string
	Limit     string
	ExtraVars []string // -e values, in order
}

func (s *settings) selection() selection {
	sel := selection{Inventory: s.strs("inventory", false), Limit: s.str("limit"), ExtraVars: s.strs("extra-vars", false)}
	if len(sel.Inventory) == 0 {
		s.errs = append(s.errs, errNoInventory)
	}
	return sel
}

// selectHosts loads the inventory, logs its warnings and returns the hosts
// --limit selects (all of them without --limit). A --limit that does not
// parse is an error, never "everything".
func selectHosts(ctx context.Context, sel selection, log *slog.Logger) ([]*inventory.Host, error) {
	inv, err := loadInventory(ctx, sel, log)
	if err != nil {
		return nil, err
	}
	pattern := sel.Limit
	if strings.TrimSpace(pattern) == "" {
		pattern = "all"
	}
	hosts, err := inv.Select(pattern, inputReader(ctx))
	if err != nil {
		return nil, fmt.Errorf("--limit: %w", err)
	}
	return hosts, nil
}

// loadInventory loads every -i source into one inventory and logs its
// warnings.
func loadInventory(ctx context.Context, sel selection, log *slog.Logger) (*inventory.Inventory, error) {
	inv, err := inventory.Loader{ReadFile: inputReader(ctx)}.Load(sel.Inventory...)
	if err != nil {
		return nil, err
	}
	if len(sel.ExtraVars) > 0 {
		extra := map[string]inventory.Var{}
		for _, arg := range sel.ExtraVars {
			m, err := inventory.ParseExtraVars(arg, inputReader(ctx))
			if err != nil {
				return nil, fmt.Errorf("-e: %w", err)
			}
			maps.Copy(extra, m)
		}
		inv.SetExtraVars(extra)
	}
	for _, w := range inv.Warnings() {
		log.Warn("inventory", "warning", w.String())
	}
	return inv, nil
}

// passwordFallbacks are the CLI's password sources, in order, for hosts
// whose inventory gives none: --password-env, --ask-pass, WINFLEET_PASSWORD.
func passwordFallbacks(passwordEnv string, askPass bool, asked inventory.Secret) []inventory.PasswordFallback {
	var fs []inventory.PasswordFallback
	if passwordEnv != "" {
		fs = append(fs, inventory.EnvFallback("--password-env "+passwordEnv, passwordEnv, true))
	}
	if askPass {
		fs = append(fs, inventory.ValueFallback("--ask-pass", asked))
	}
	return append(fs, inventory.EnvFallback("WINFLEET_PASSWORD", "WINFLEET_PASSWORD", false))
}

// connect resolves every host's connection: the dialer the executor uses
// and the targets it works on, in inventory order. Every host's settings are
// checked before any host is contacted; the errors of all hosts are
// returned together.
func connect(stdio Stdio, o fleetOptions, hosts []*inventory.Host, asked inventory.Secret, log *slog.Logger) (session.Dialer, []playbook.Target, error) {
	d := session.Dialer{}
	targets := make([]playbook.Target, 0, len(hosts))
	var errs hostErrors
	var clear []string
	warned := map[string]int{} // one line per inventory warning, not per host
	fallbacks := passwordFallbacks(o.PasswordEnv, o.AskPass, asked)
	for _, h := range hosts {
		c, err := h.Conn(stdio.Getenv, fallbacks...)
		if err != nil {
			errs.add(h.Name, err)
			continue
		}
		for _, w := range c.Warnings {
			w.Host = ""
			warned[w.String()]++
		}
		t, err := remoteTarget(h.Name, c, o.User)
		if err != nil {
			errs.add(h.Name, err)
			continue
		}
		if !t.HTTPS && t.AllowUnencrypted {
			clear = append(clear, h.Name)
		}
		ro := remote.Options{ConnectTimeout: o.ConnectTimeout, OperationTimeout: c.OperationTimeout, ReadTimeout: c.ReadTimeout, MaxOutput: o.MaxOutput}
		if o.Log.Verbose > 0 {
			ro.Logger = log // per-request debug lines and per-host warnings only with -v
		}
		d[h.Name] = session.Conn{Target: t, Options: ro}
		targets = append(targets, playbook.Target{Name: h.Name, Address: t.Host, Groups: h.Groups(), Vars: h.Vars(),
			Credential: credentialOf(t.User, c.PasswordSource)})
	}
	if err := errs.err(); err != nil {
		return nil, nil, err
	}
	for _, w := range slices.Sorted(maps.Keys(warned)) {
		log.Warn("inventory", "warning", w, "hosts", warned[w])
	}
	if len(clear) > 0 {
		log.Warn("WinRM over plain HTTP without encryption (allowed by message_encryption=never or allow_unencrypted): commands and output travel in clear",
			"hosts", len(clear), "first", clear[0])
	}
	return d, targets, nil
}

// hostErrors collects the hosts' connection errors and reports each
// distinct problem once: 10,000 hosts whose password_env names an unset
// variable are one error (the first host's, with its file:line) and a count
// with the first few names, not 10,000 lines.
type hostErrors struct {
	keys  []string            // distinct problems, in order of first appearance
	first map[string]error    // the first host's error of each problem
	hosts map[string][]string // every host with each problem
}

func (e *hostErrors) add(host string, err error) {
	if e.first == nil {
		e.first, e.hosts = map[string]error{}, map[string][]string{}
	}
	msg := err.Error()
	var ie *inventory.Error
	if errors.As(err, &ie) {
		msg = ie.Msg // without the file:line, which differs per host
	}
	key := strings.Replace(msg, "host "+host+": ", "", 1)
	if _, ok := e.first[key]; !ok {
		e.keys = append(e.keys, key)
		e.first[key] = err
	}
	e.hosts[key] = append(e.hosts[key], host)
}

// err is every problem, joined; nil when there is none.
func (e *hostErrors) err() error {
	var errs []error
	for _, k := range e.keys {
		errs = append(errs, e.first[k])
		if more := e.hosts[k][1:]; len(more) > 0 {
			shown := more[:min(len(more), 5)]
			etc := ""
			if len(more) > len(shown) {
				etc = ", …"
			}
			errs = append(errs, fmt.Errorf("  (the same for %d more hosts: %s%s)", len(more), strings.Join(shown, ", "), etc))
		}
	}
	return errors.Join(errs...)
}

// credentialOf identifies the credential a host logs on with, without the
// secret: the user and where the password comes from. Hosts whose
// password_env names the same variable, or that use the same fallback,
// share an account; a plaintext password var is its own where it is set.
func credentialOf(user string, src inventory.PasswordSource) string {
	switch src.Kind {
	case inventory.SourceNone:
		return ""
	case inventory.SourceHostEnv:
		return user + " with password_env " + src.Name
	}
	return user + " with " + src.String()
}

// remoteTarget turns a host's resolved connection into a remote.Target.
func remoteTarget(host string, c inventory.Conn, defaultUser string) (remote.Target, error) {
	user := c.User
	if user == "" {
		user = defaultUser
	}
	t := remote.Target{
		Host:               c.Address,
		Port:               c.Port,
		HTTPS:              c.Scheme == inventory.HTTPS,
		Transport:          string(c.Transport),
		User:               user,
		Password:           c.Password.Reveal(),
		AllowUnencrypted:   c.AllowUnencrypted,
		MessageEncryption:  string(c.MessageEncryption),
		CAFile:             c.CAFile,
		ServerName:         c.ServerName,
		InsecureSkipVerify: c.CertValidation == inventory.CertIgnore,
	}
	if c.Transport == inventory.TransportCertificate {
		var err error
		if t.ClientCertPEM, err = os.ReadFile(c.ClientCert); err != nil {
			return t, fmt.Errorf("host %s: client certificate: %w", host, err)
		}
		if t.ClientKeyPEM, err = os.ReadFile(c.ClientKey); err != nil {
			return t, fmt.Errorf("host %s: client key: %w", host, err)
		}
	}
	return t, nil
}

// askPassword reads the password once for --ask-pass: without echo from a
// terminal, else one line from standard input.
func askPassword(stdio Stdio, ask bool) (inventory.Secret, error) {
	if !ask {
		return inventory.Secret{}, nil
	}
	if f, ok := stdio.In.(*os.File); ok && stdio.IsTerminal(f) {
		fmt.Fprint(stdio.Err, "WinRM password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stdio.Err)
		if err != nil {
			return inventory.Secret{}, fmt.Errorf("--ask-pass: %w", err)
		}
		return inventory.NewSecret(string(b)), nil
	}
	line, err := bufio.NewReader(stdio.In).ReadString('\n')
	if err != nil && line == "" {
		return inventory.Secret{}, fmt.Errorf("--ask-pass: no password on standard input: %w", err)
	}
	return inventory.NewSecret(strings.TrimRight(line, "\r\n")), nil
}
