package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/winfleet/winfleet/inventory"
)

// configKeys are the keys a config file may hold: the long names of the
// flags of every command that reads it. A key one command does not use is
// ignored by it (one config file serves scan, apply, plan and inventory);
// a key no command knows is an error, because a typo must not silently
// fall back to a default on an unattended run.
func configKeys() []string {
	return []string{
		"inventory", "playbook", "limit", "dialect", "forks", "timeout", "connect-timeout", "serial", "max-fail",
		"report", "user", "password-env", "ask-pass", "check", "diff", "log-format", "verbose", "no-progress", "quiet",
		"evidence", "extra-vars", "shard", "history", "keep", "since", "auth-fail-limit", "state-dir", "no-fact-cache", "max-output",
		"format", "from", "to",
	}
}

// notConfigKeys are the flags of commands that read the config file that
// make no sense there: where the config file is, one-shot actions, and
// inventory list's display format (-o table|json, read from the flag only).
var notConfigKeys = []string{"config", "help", "list-hosts", "output"}

// settings resolves a command's options from the one viper instance of the
// run: flag > WINFLEET_* environment > config file > default. Every value is
// parsed strictly (a boolean is a word inventory.ParseBool accepts, a
// duration has a unit, a number is a number) and every problem names where
// the value came from; errors collect so that one run reports them all.
type settings struct {
	cmd  *cobra.Command
	v    *viper.Viper
	env  func(string) (string, bool)
	file string // the config file read, "" if none
	errs []error
}

// loadSettings builds the settings of cmd: its flags, WINFLEET_* variables
// and the config file (--config, WINFLEET_CONFIG, ./winfleet.yaml or the
// user config dir's winfleet/config.yaml). The config file is read with the
// same size cap and Ctrl-C handling as every input.
func loadSettings(ctx context.Context, cmd *cobra.Command, stdio Stdio) (*settings, error) {
	v := viper.New()
	if err := v.BindPFlags(cmd.Flags()); err != nil {
		return nil, err
	}
	v.SetEnvPrefix("WINFLEET")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	s := &settings{cmd: cmd, v: v, env: stdio.Getenv}
	path, err := configFile(cmd, stdio)
	if err != nil {
		return nil, err
	}
	if path == "" {
		return s, nil
	}
	data, err := readInput(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	v.SetConfigType("yaml")
	if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	s.file = path
	var unknown []error
	keys := configKeys()
	for _, k := range v.AllKeys() {
		if v.InConfig(k) && !slices.Contains(keys, k) {
			unknown = append(unknown, fmt.Errorf("config file %s: unknown key %q (keys are the long flag names: %s)", path, k, strings.Join(keys, ", ")))
		}
	}
	return s, errors.Join(unknown...)
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
	if cmd.Flags().Lookup("config") == nil {
		return "", nil
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

// envName is the environment variable of a key.
func envName(key string) string {
	return "WINFLEET_" + strings.ToUpper(strings.ReplaceAll(key, "-", "_"))
}

// where names the place key's value comes from, for messages: "--forks",
// "WINFLEET_FORKS", "winfleet.yaml: forks" or "--forks (default)".
func (s *settings) where(key string) string {
	if f := s.cmd.Flags().Lookup(key); f != nil && f.Changed {
		return "--" + key
	}
	if v, ok := s.env(envName(key)); ok && v != "" {
		return envName(key)
	}
	if s.file != "" && s.v.InConfig(key) {
		return s.file + ": " + key
	}
	return "--" + key + " (default)"
}

// bad records a problem with key's value.
func (s *settings) bad(key string, format string, args ...any) {
	s.errs = append(s.errs, fmt.Errorf("%s: %s", s.where(key), fmt.Sprintf(format, args...)))
}

// err is every problem found, joined; nil when there is none.
func (s *settings) err() error { return errors.Join(s.errs...) }

func (s *settings) str(key string) string {
	switch x := s.v.Get(key).(type) {
	case nil:
		return ""
	case string:
		return x
	case []string:
		return strings.Join(x, ",")
	case []any, map[string]any:
		s.bad(key, "want a single value, not %v", x)
		return ""
	default:
		return fmt.Sprint(x)
	}
}

// strs reads a repeatable value: a flag given several times, a list in the
// config file, or one value (split at blanks when split is set, as for
// WINFLEET_REPORT="json=a.json csv=b.csv").
func (s *settings) strs(key string, split bool) []string {
	switch x := s.v.Get(key).(type) {
	case nil:
		return nil
	case []string:
		if len(x) == 0 {
			return nil
		}
		return x
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if _, isMap := e.(map[string]any); isMap {
				s.bad(key, "list elements must be strings, not %v", e)
				continue
			}
			out = append(out, fmt.Sprint(e))
		}
		return out
	case string:
		if split {
			return strings.Fields(x)
		}
		if x == "" {
			return nil
		}
		return []string{x}
	default:
		s.bad(key, "want a string or a list, not %v", x)
		return nil
	}
}

func (s *settings) int(key string) int {
	switch x := s.v.Get(key).(type) {
	case int:
		return x
	case int64:
		return int(x)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<31 {
			return int(x)
		}
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(x))
		if err == nil {
			return n
		}
	}
	s.bad(key, "%v is not a whole number", s.v.Get(key))
	return 0
}

func (s *settings) float(key string) float64 {
	var f float64
	switch x := s.v.Get(key).(type) {
	case float64:
		f = x
	case int:
		f = float64(x)
	case string:
		v, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			s.bad(key, "%q is not a number", x)
			return 0
		}
		f = v
	default:
		s.bad(key, "%v is not a number", x)
		return 0
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		s.bad(key, "%v is not a number", f)
		return 0
	}
	return f
}

func (s *settings) bool(key string) bool {
	switch x := s.v.Get(key).(type) {
	case bool:
		return x
	case int:
		if x == 0 || x == 1 {
			return x == 1
		}
	case string:
		b, err := inventory.ParseBool(x)
		if err == nil {
			return b
		}
	case nil:
		return false
	}
	s.bad(key, "%v is not a boolean (want true/false, yes/no, on/off or 1/0)", s.v.Get(key))
	return false
}

// duration reads a duration; a number without a unit is refused (30 could
// mean seconds or nanoseconds), with the fix in the message.
func (s *settings) duration(key string) time.Duration {
	switch x := s.v.Get(key).(type) {
	case time.Duration:
		return x
	case string:
		d, err := time.ParseDuration(strings.TrimSpace(x))
		if err == nil {
			return d
		}
		if _, nerr := strconv.ParseFloat(strings.TrimSpace(x), 64); nerr == nil {
			s.bad(key, "%q has no unit: write %ss (or ms, m, h)", x, strings.TrimSpace(x))
			return 0
		}
		s.bad(key, "%q is not a duration (e.g. 30s, 2m, 1h30m)", x)
	case int, float64:
		s.bad(key, "%v has no unit: write %vs (or ms, m, h)", x, x)
	default:
		s.bad(key, "%v is not a duration (e.g. 30s, 2m)", x)
	}
	return 0
}

// byteSize reads a size: a number of bytes or one with a unit (KiB, MiB,
// GiB; KB, MB and GB are read as the same powers of two).
func (s *settings) byteSize(key string) int {
	raw := strings.TrimSpace(s.str(key))
	num := strings.TrimRightFunc(raw, func(r rune) bool { return r < '0' || r > '9' })
	mult := map[string]int{"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20, "g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30}[strings.ToLower(strings.TrimSpace(raw[len(num):]))]
	n, err := strconv.Atoi(num)
	if err != nil || mult == 0 || n < 1 || n > (1<<40)/mult {
		s.bad(key, "%q is not a size (e.g. 4MiB, 512KiB)", raw)
		return 0
	}
	return n * mult
}

// boolValue is a boolean flag that accepts the same words as the config file
// and the environment (inventory.ParseBool): --check=yes, --no-progress=off.
type boolValue bool

func (b *boolValue) Set(s string) error {
	v, err := inventory.ParseBool(s)
	if err != nil {
		return err
	}
	*b = boolValue(v)
	return nil
}

func (b *boolValue) String() string   { return strconv.FormatBool(bool(*b)) }
func (b *boolValue) Type() string     { return "bool" }
func (b *boolValue) IsBoolFlag() bool { return true }

// boolFlag declares a boolean flag that reads like every other boolean.
func boolFlag(fs *pflag.FlagSet, name, short, usage string) {
	var b boolValue
	f := fs.VarPF(&b, name, short, usage)
	f.NoOptDefVal = "true"
}
