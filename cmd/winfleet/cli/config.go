package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"
)

// runOptions are the settings shared by scan, apply and plan, resolved once
// per run from flags, WINFLEET_* environment variables, the config file and
// defaults, in that order of precedence.
type runOptions struct {
	Inventory      string
	Playbook       string
	Limit          string
	Forks          int
	Timeout        time.Duration // per-host budget, whole run of that host
	ConnectTimeout time.Duration
	Serial         string
	MaxFail        float64
	Reports        []string // FORMAT=PATH
	User           string
	PasswordEnv    string
	AskPass        bool
	Dialect        string
	LogFormat      string
	Verbose        int
	NoProgress     bool
	Check          bool   // apply --check
	ConfigFile     string // the config file that was read, "" if none
}

// addRunFlags declares the common flags (Ansible's names where one exists).
func addRunFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringP("inventory", "i", "", "inventory file: Ansible INI or YAML, or CSV")
	f.StringP("playbook", "p", "ssis-firewall", "playbook file or built-in name")
	f.StringP("limit", "l", "", "limit to hosts matching an Ansible pattern (a:b, a:&b, a:!b, sql0*, ~regex, @file)")
	f.IntP("forks", "f", 50, "hosts worked on at once")
	f.Duration("timeout", 2*time.Minute, "budget for the whole work on one host")
	f.Duration("connect-timeout", 10*time.Second, "TCP and TLS connect timeout")
	f.String("serial", "100%", "rolling batches, e.g. 1,10%,100% (apply)")
	f.Float64("max-fail", 100, "stop the rollout when more than this percent of a batch's hosts failed")
	f.StringArrayP("report", "o", nil, "write a report: FORMAT=PATH (repeatable; formats: json, csv, junit, markdown, html, text; PATH - for stdout)")
	f.StringP("user", "u", "", "WinRM user for hosts whose inventory sets none")
	f.String("password-env", "", "name of the environment variable holding the WinRM password")
	f.Bool("ask-pass", false, "prompt for the WinRM password (no echo)")
	f.String("dialect", "auto", "netsh dialect: auto, legacy or advfirewall")
	f.String("log-format", "text", "log format: text or json")
	f.CountP("verbose", "v", "more log output (repeatable)")
	f.Bool("no-progress", false, "no progress bar")
	f.String("config", "", "config file (default ./winfleet.yaml, else the user config dir's winfleet/config.yaml)")
}

// newViper builds the one viper instance of a run: flags bound, WINFLEET_*
// environment, then the config file.
func newViper(cmd *cobra.Command, stdio Stdio) (*viper.Viper, string, error) {
	v := viper.New()
	if err := v.BindPFlags(cmd.Flags()); err != nil {
		return nil, "", err
	}
	v.SetEnvPrefix("WINFLEET")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()

	path, err := configFile(cmd, stdio)
	if err != nil {
		return nil, "", err
	}
	if path != "" {
		v.SetConfigFile(path)
		v.SetConfigType("yaml")
		if err := v.ReadInConfig(); err != nil {
			return nil, "", fmt.Errorf("config file %s: %w", path, err)
		}
	}
	return v, path, nil
}

// configFile finds the config file: --config (or WINFLEET_CONFIG), else
// ./winfleet.yaml, else <user config dir>/winfleet/config.yaml. Only an
// explicitly named file must exist.
func configFile(cmd *cobra.Command, stdio Stdio) (string, error) {
	if f := cmd.Flags().Lookup("config"); f != nil && f.Changed {
		return f.Value.String(), nil
	}
	if p, ok := stdio.Getenv("WINFLEET_CONFIG"); ok && p != "" {
		return p, nil
	}
	candidates := []string{"winfleet.yaml"}
	if dir, ok := stdio.Getenv("XDG_CONFIG_HOME"); ok && dir != "" {
		candidates = append(candidates, filepath.Join(dir, "winfleet", "config.yaml"))
	} else if home, ok := stdio.Getenv("HOME"); ok && home != "" {
		candidates = append(candidates, filepath.Join(home, ".config", "winfleet", "config.yaml"))
	}
	for _, c := range candidates {
		if _, err := os.Stat(c); err == nil {
			return c, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("config file %s: %w", c, err)
		}
	}
	return "", nil
}

// resolveRunOptions turns flags, environment and config into runOptions.
func resolveRunOptions(cmd *cobra.Command, stdio Stdio) (runOptions, error) {
	v, path, err := newViper(cmd, stdio)
	if err != nil {
		return runOptions{}, err
	}
	o := runOptions{
		Inventory:      v.GetString("inventory"),
		Playbook:       v.GetString("playbook"),
		Limit:          v.GetString("limit"),
		Forks:          v.GetInt("forks"),
		Timeout:        v.GetDuration("timeout"),
		ConnectTimeout: v.GetDuration("connect-timeout"),
		Serial:         v.GetString("serial"),
		MaxFail:        v.GetFloat64("max-fail"),
		Reports:        v.GetStringSlice("report"),
		User:           v.GetString("user"),
		PasswordEnv:    v.GetString("password-env"),
		AskPass:        v.GetBool("ask-pass"),
		Dialect:        v.GetString("dialect"),
		LogFormat:      v.GetString("log-format"),
		Verbose:        v.GetInt("verbose"),
		NoProgress:     v.GetBool("no-progress"),
		ConfigFile:     path,
	}
	if f := cmd.Flags().Lookup("check"); f != nil {
		o.Check = v.GetBool("check")
	}
	return o, o.validate()
}

func (o runOptions) validate() error {
	var errs []error
	if o.Inventory == "" {
		errs = append(errs, errNoInventory)
	}
	if o.Forks < 1 {
		errs = append(errs, fmt.Errorf("--forks %d: must be at least 1", o.Forks))
	}
	if o.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("--timeout %s: must be positive", o.Timeout))
	}
	if o.ConnectTimeout <= 0 {
		errs = append(errs, fmt.Errorf("--connect-timeout %s: must be positive", o.ConnectTimeout))
	}
	if o.MaxFail < 0 || o.MaxFail > 100 {
		errs = append(errs, fmt.Errorf("--max-fail %g: must be a percentage from 0 to 100", o.MaxFail))
	}
	switch o.Dialect {
	case "auto", "legacy", "advfirewall":
	default:
		errs = append(errs, fmt.Errorf("--dialect %q: must be auto, legacy or advfirewall", o.Dialect))
	}
	switch o.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("--log-format %q: must be text or json", o.LogFormat))
	}
	return errors.Join(errs...)
}

var errNoInventory = errors.New("no inventory: use -i FILE (or WINFLEET_INVENTORY, or inventory: in the config file)")
