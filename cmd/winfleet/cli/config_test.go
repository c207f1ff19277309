package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// runOptionsFor parses args with the scan command's flags and resolves them
// with the given environment.
func runOptionsFor(t *testing.T, args []string, env map[string]string) (runOptions, error) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v) // viper reads WINFLEET_* from the process environment
	}
	stdio := Stdio{
		Out: &bytes.Buffer{}, Err: &bytes.Buffer{},
		Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
	}
	cmd := newApplyCmd(stdio)
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatalf("ParseFlags(%q): %v", args, err)
	}
	return resolveRunOptions(cmd, stdio)
}

func TestResolveRunOptionsPrecedence(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	cfg := filepath.Join(dir, "cfg.yaml")
	if err := os.WriteFile(cfg, []byte("inventory: from-config.ini\nforks: 7\ntimeout: 45s\nserial: 1,50%\nreport: [json=cfg.json]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	defaults := runOptions{
		Playbook: "ssis-firewall", Forks: 50, Timeout: 2 * time.Minute, ConnectTimeout: 10 * time.Second,
		Serial: "100%", MaxFail: 100, Dialect: "auto", LogFormat: "text", Reports: []string{},
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want func(o *runOptions)
	}{
		{
			name: "defaults",
			args: []string{"-i", "inv.ini"},
			want: func(o *runOptions) { o.Inventory = "inv.ini" },
		},
		{
			name: "config file",
			args: []string{"--config", cfg},
			want: func(o *runOptions) {
				o.Inventory, o.Forks, o.Timeout, o.Serial, o.Reports, o.ConfigFile = "from-config.ini", 7, 45*time.Second, "1,50%", []string{"json=cfg.json"}, cfg
			},
		},
		{
			name: "environment beats config file",
			args: []string{"--config", cfg},
			env:  map[string]string{"WINFLEET_FORKS": "9", "WINFLEET_INVENTORY": "from-env.ini", "WINFLEET_MAX_FAIL": "5"},
			want: func(o *runOptions) {
				o.Inventory, o.Forks, o.Timeout, o.Serial, o.Reports, o.ConfigFile, o.MaxFail = "from-env.ini", 9, 45*time.Second, "1,50%", []string{"json=cfg.json"}, cfg, 5
			},
		},
		{
			name: "flag beats environment and config file",
			args: []string{"--config", cfg, "-f", "3", "-i", "flag.ini", "--check", "-vv", "-o", "csv=x.csv", "-o", "json=y.json"},
			env:  map[string]string{"WINFLEET_FORKS": "9"},
			want: func(o *runOptions) {
				o.Inventory, o.Forks, o.Timeout, o.Serial, o.ConfigFile = "flag.ini", 3, 45*time.Second, "1,50%", cfg
				o.Check, o.Verbose, o.Reports = true, 2, []string{"csv=x.csv", "json=y.json"}
			},
		},
		{
			name: "WINFLEET_CONFIG names the config file",
			args: []string{"-i", "inv.ini"},
			env:  map[string]string{"WINFLEET_CONFIG": cfg},
			want: func(o *runOptions) {
				o.Inventory, o.Forks, o.Timeout, o.Serial, o.Reports, o.ConfigFile = "inv.ini", 7, 45*time.Second, "1,50%", []string{"json=cfg.json"}, cfg
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := runOptionsFor(t, tt.args, tt.env)
			if err != nil {
				t.Fatalf("resolveRunOptions(%q) error: %v", tt.args, err)
			}
			want := defaults
			tt.want(&want)
			if got.Reports == nil {
				got.Reports = []string{}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("resolveRunOptions(%q) mismatch (-want +got):\n%s", tt.args, diff)
			}
		})
	}
}

func TestResolveRunOptionsErrors(t *testing.T) {
	t.Chdir(t.TempDir())
	tests := []struct {
		args []string
		want string
	}{
		{[]string{}, "no inventory"},
		{[]string{"-i", "x", "-f", "0"}, "--forks 0"},
		{[]string{"-i", "x", "--timeout", "0s"}, "--timeout"},
		{[]string{"-i", "x", "--max-fail", "101"}, "--max-fail 101"},
		{[]string{"-i", "x", "--dialect", "netsh2"}, `--dialect "netsh2"`},
		{[]string{"-i", "x", "--log-format", "xml"}, `--log-format "xml"`},
		{[]string{"-i", "x", "--config", "nosuch.yaml"}, "nosuch.yaml"},
	}
	for _, tt := range tests {
		_, err := runOptionsFor(t, tt.args, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("resolveRunOptions(%q) error = %v, want it to contain %q", tt.args, err, tt.want)
		}
	}
}

func TestConfigFileInWorkingDirectory(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("winfleet.yaml", []byte("forks: 11\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := runOptionsFor(t, []string{"-i", "inv.ini"}, map[string]string{"HOME": dir})
	if err != nil {
		t.Fatal(err)
	}
	if got.Forks != 11 || got.ConfigFile != "winfleet.yaml" {
		t.Errorf("forks = %d from %q, want 11 from winfleet.yaml", got.Forks, got.ConfigFile)
	}
}
