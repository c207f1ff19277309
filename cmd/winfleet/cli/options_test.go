package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/winfleet/winfleet/playbook"
	"github.com/winfleet/winfleet/reports"
)

// parseArgs runs cmd with args and the given environment (viper reads
// WINFLEET_* from the process environment) and returns the error of
// resolving the options; the command's run function captures them.
func parseArgs(t *testing.T, cmd *cobra.Command, args []string, env map[string]string) error {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	return cmd.ExecuteContext(context.Background())
}

func testStdio(env map[string]string) Stdio {
	return Stdio{
		Out: &bytes.Buffer{}, Err: &bytes.Buffer{},
		Getenv:     func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		IsTerminal: func(any) bool { return false },
	}
}

// fleetDefaults are scan's options with -i inv.ini and nothing else set.
func fleetDefaults() fleetOptions {
	return fleetOptions{
		Mode: playbook.ModeScan, Select: selection{Inventory: []string{"inv.ini"}}, Playbook: "ssis-firewall", Dialect: "auto",
		Forks: 50, Timeout: 2 * time.Minute, ConnectTimeout: 10 * time.Second, Serial: "100%", MaxFail: 100,
		Log: logOptions{Format: "text"}, Evidence: reports.EvidenceFailing, AuthFailLimit: 3, MaxOutput: 4 << 20,
	}
}

func TestScanApplyOptions(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	cfg := filepath.Join(dir, "cfg.yaml")
	write(t, cfg, "inventory: from-config.ini\nforks: 7\ntimeout: 45s\nserial: 1,50%\nreport: [json=cfg.json]\ncheck: yes\n")
	tests := []struct {
		name  string
		apply bool
		args  []string
		env   map[string]string
		want  func(o *fleetOptions)
	}{
		{name: "defaults", args: []string{"-i", "inv.ini"}, want: func(*fleetOptions) {}},
		{name: "two inventories merge", args: []string{"-i", "inv.ini", "-i", "more.yml"},
			want: func(o *fleetOptions) { o.Select.Inventory = []string{"inv.ini", "more.yml"} }},
		{name: "config file (scan ignores serial and check)", args: []string{"--config", cfg},
			want: func(o *fleetOptions) {
				o.Select.Inventory, o.Forks, o.Timeout, o.Reports, o.ConfigFile = []string{"from-config.ini"}, 7, 45*time.Second, []string{"json=cfg.json"}, cfg
			}},
		{name: "apply reads serial and check: yes from the config file", apply: true, args: []string{"--config", cfg},
			want: func(o *fleetOptions) {
				o.Mode, o.Select.Inventory, o.Forks, o.Timeout, o.Serial, o.Reports, o.ConfigFile = playbook.ModeCheck, []string{"from-config.ini"}, 7, 45*time.Second, "1,50%", []string{"json=cfg.json"}, cfg
			}},
		{name: "environment beats config file", apply: true, args: []string{"--config", cfg},
			env: map[string]string{"WINFLEET_FORKS": "9", "WINFLEET_INVENTORY": "from-env.ini", "WINFLEET_MAX_FAIL": "5", "WINFLEET_CHECK": "off"},
			want: func(o *fleetOptions) {
				o.Mode, o.Select.Inventory, o.Forks, o.Timeout, o.Serial, o.Reports, o.ConfigFile, o.MaxFail = playbook.ModeApply, []string{"from-env.ini"}, 9, 45*time.Second, "1,50%", []string{"json=cfg.json"}, cfg, 5
			}},
		{name: "WINFLEET_CHECK=on runs check mode", apply: true, args: []string{"-i", "inv.ini"}, env: map[string]string{"WINFLEET_CHECK": "on"},
			want: func(o *fleetOptions) { o.Mode = playbook.ModeCheck }},
		{name: "--check=yes", apply: true, args: []string{"-i", "inv.ini", "--check=yes"}, want: func(o *fleetOptions) { o.Mode = playbook.ModeCheck }},
		{name: "flag beats environment and config file", apply: true,
			args: []string{"--config", cfg, "-f", "3", "-i", "flag.ini", "--check=false", "-vv", "-o", "csv=x.csv", "-o", "json=y.json"},
			env:  map[string]string{"WINFLEET_FORKS": "9"},
			want: func(o *fleetOptions) {
				o.Mode, o.Select.Inventory, o.Forks, o.Timeout, o.Serial, o.ConfigFile = playbook.ModeApply, []string{"flag.ini"}, 3, 45*time.Second, "1,50%", cfg
				o.Log.Verbose, o.Reports = 2, []string{"csv=x.csv", "json=y.json"}
			}},
		{name: "WINFLEET_CONFIG names the config file", args: []string{"-i", "inv.ini"}, env: map[string]string{"WINFLEET_CONFIG": cfg},
			want: func(o *fleetOptions) {
				o.Forks, o.Timeout, o.Reports, o.ConfigFile = 7, 45*time.Second, []string{"json=cfg.json"}, cfg
			}},
		{name: "booleans from the environment", args: []string{"-i", "inv.ini"}, env: map[string]string{"WINFLEET_NO_PROGRESS": "YES", "WINFLEET_ASK_PASS": "0"},
			want: func(o *fleetOptions) { o.NoProgress = true }},
		{name: "Ansible's short flags", apply: true, args: []string{"-i", "inv.ini", "-C", "-D", "-k", "-e", "dialect=legacy", "-e", "@vars.yml"},
			want: func(o *fleetOptions) {
				o.Mode, o.Diff, o.AskPass = playbook.ModeCheck, true, true
				o.Select.ExtraVars = []string{"dialect=legacy", "@vars.yml"}
			}},
		{name: "max output", args: []string{"-i", "inv.ini", "--max-output", "512KiB"},
			want: func(o *fleetOptions) { o.MaxOutput = 512 << 10 }},
		{name: "state dir", apply: true, args: []string{"-i", "inv.ini", "--state-dir", "/var/lib/wf"},
			want: func(o *fleetOptions) { o.StateDir, o.StateDirGiven = "/var/lib/wf", true }},
		{name: "a scan's state dir, no fact cache", args: []string{"-i", "inv.ini", "--state-dir", "/var/lib/wf", "--no-fact-cache"},
			want: func(o *fleetOptions) { o.StateDir, o.StateDirGiven, o.NoFactCache = "/var/lib/wf", true, true }},
		{name: "state dir from XDG_STATE_HOME", apply: true, args: []string{"-i", "inv.ini"}, env: map[string]string{"XDG_STATE_HOME": "/s", "HOME": "/h"},
			want: func(o *fleetOptions) { o.StateDir = "/s/winfleet" }},
		{name: "no fact cache from the environment", args: []string{"-i", "inv.ini"}, env: map[string]string{"WINFLEET_NO_FACT_CACHE": "true"},
			want: func(o *fleetOptions) { o.NoFactCache = true }},
		{name: "list hosts, quiet, evidence all", args: []string{"-i", "inv.ini", "--list-hosts", "-q", "--evidence", "all"},
			want: func(o *fleetOptions) { o.ListHosts, o.Quiet, o.Evidence = true, true, reports.EvidenceAll }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got fleetOptions
			capture := func(_ context.Context, o fleetOptions) error { got = o; return nil }
			cmd := newScanCmd(testStdio(tt.env), capture)
			if tt.apply {
				cmd = newApplyCmd(testStdio(tt.env), capture)
			}
			if err := parseArgs(t, cmd, tt.args, tt.env); err != nil {
				t.Fatalf("%q: %v", tt.args, err)
			}
			want := fleetDefaults()
			want.StateDir = stateDir(testStdio(tt.env), "")
			if tt.apply {
				want.Mode = playbook.ModeApply
			}
			tt.want(&want)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("%q (-want +got):\n%s", tt.args, d)
			}
		})
	}
}

// TestStrictSettings: a wrong setting is refused before anything runs, and
// the error names where it came from.
func TestStrictSettings(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	tests := []struct {
		name   string
		apply  bool
		args   []string
		env    map[string]string
		config string
		want   []string
	}{
		{name: "no inventory", args: nil, want: []string{"no inventory"}},
		{name: "forks 0", args: []string{"-i", "x", "-f", "0"}, want: []string{"--forks: 0: must be at least 1"}},
		{name: "timeout 0", args: []string{"-i", "x", "--timeout", "0s"}, want: []string{"--timeout"}},
		{name: "max-fail 101", apply: true, args: []string{"-i", "x", "--max-fail", "101"}, want: []string{"--max-fail: 101"}},
		{name: "max-fail NaN", apply: true, args: []string{"-i", "x", "--max-fail", "NaN"}, want: []string{"--max-fail: NaN is not a number"}},
		{name: "dialect", args: []string{"-i", "x", "--dialect", "netsh2"}, want: []string{`--dialect: "netsh2"`}},
		{name: "log format", args: []string{"-i", "x", "--log-format", "xml"}, want: []string{`--log-format: "xml"`}},
		{name: "missing config", args: []string{"-i", "x", "--config", "nosuch.yaml"}, want: []string{"nosuch.yaml"}},
		{name: "WINFLEET_TIMEOUT without unit", args: []string{"-i", "x"}, env: map[string]string{"WINFLEET_TIMEOUT": "30"},
			want: []string{`WINFLEET_TIMEOUT: "30" has no unit: write 30s`}},
		{name: "config timeout without unit", args: []string{"-i", "x", "--config", "c.yaml"}, config: "timeout: 30\n",
			want: []string{"c.yaml: timeout: 30 has no unit: write 30s"}},
		{name: "WINFLEET_FORKS=abc", args: []string{"-i", "x"}, env: map[string]string{"WINFLEET_FORKS": "abc"},
			want: []string{"WINFLEET_FORKS: abc is not a whole number"}},
		{name: "WINFLEET_CHECK=maybe", apply: true, args: []string{"-i", "x"}, env: map[string]string{"WINFLEET_CHECK": "maybe"},
			want: []string{"WINFLEET_CHECK: maybe is not a boolean"}},
		{name: "config check: sometimes", apply: true, args: []string{"-i", "x", "--config", "c.yaml"}, config: "check: sometimes\n",
			want: []string{"c.yaml: check: sometimes is not a boolean"}},
		{name: "unknown config key", args: []string{"-i", "x", "--config", "c.yaml"}, config: "forks: 3\nforkz: 4\n",
			want: []string{`config file c.yaml: unknown key "forkz"`}},
		{name: "max output", args: []string{"-i", "x", "--max-output", "lots"}, want: []string{`--max-output: "lots" is not a size`}},
		{name: "evidence", args: []string{"-i", "x", "--evidence", "some"}, want: []string{`--evidence: evidence "some": want failing or all`}},
		{name: "diff and a report on stdout", apply: true, args: []string{"-i", "x", "-D", "-o", "json=-"}, want: []string{"--diff prints on standard output, so -o json=- cannot"}},
		{name: "several problems at once", args: []string{"-i", "x", "--config", "c.yaml"}, config: "forks: many\ntimeout: 5\n",
			want: []string{"c.yaml: forks: many is not a whole number", "c.yaml: timeout: 5 has no unit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.config != "" {
				write(t, "c.yaml", tt.config)
			}
			ran := false
			capture := func(context.Context, fleetOptions) error { ran = true; return nil }
			cmd := newScanCmd(testStdio(tt.env), capture)
			if tt.apply {
				cmd = newApplyCmd(testStdio(tt.env), capture)
			}
			err := parseArgs(t, cmd, tt.args, tt.env)
			if err == nil {
				t.Fatalf("%q: no error, want %q", tt.args, tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q: error %q, want it to contain %q", tt.args, err, w)
				}
			}
			if ran {
				t.Error("the command ran despite a bad setting")
			}
		})
	}
}

// TestPlanHasOnlyItsFlags: plan connects to nothing, so flags about
// connections, rollouts and reports are unknown to it instead of being
// accepted and ignored.
func TestPlanHasOnlyItsFlags(t *testing.T) {
	var got planOptions
	capture := func(_ context.Context, o planOptions) error { got = o; return nil }
	if err := parseArgs(t, newPlanCmd(testStdio(nil), capture), []string{"-i", "a.ini", "-i", "b.ini", "-l", "sql*", "--dialect", "legacy", "-v"}, nil); err != nil {
		t.Fatal(err)
	}
	want := planOptions{Select: selection{Inventory: []string{"a.ini", "b.ini"}, Limit: "sql*"}, Playbook: "ssis-firewall", Dialect: "legacy", Log: logOptions{Format: "text", Verbose: 1}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("plan options (-want +got):\n%s", d)
	}
	for _, flag := range []string{"-o", "--forks", "--serial", "--max-fail", "--ask-pass", "--timeout", "--check"} {
		err := parseArgs(t, newPlanCmd(testStdio(nil), capture), []string{"-i", "a.ini", flag, "1"}, nil)
		if err == nil || !strings.Contains(err.Error(), "unknown") {
			t.Errorf("plan %s: error %v, want an unknown flag", flag, err)
		}
	}
}

// TestInventoryReadsTheConfigFile: inventory list uses the config file its
// own error message recommends.
func TestInventoryReadsTheConfigFile(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	write(t, "cfg.yaml", "inventory: hosts.ini\nlimit: 'sql0*'\n")
	var got inventoryOptions
	capture := func(_ context.Context, o inventoryOptions) error { got = o; return nil }
	if err := parseArgs(t, newInventoryCmd(testStdio(nil), capture), []string{"list", "--config", "cfg.yaml", "-o", "json"}, nil); err != nil {
		t.Fatal(err)
	}
	want := inventoryOptions{Select: selection{Inventory: []string{"hosts.ini"}, Limit: "sql0*"}, Format: "json"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("inventory list options (-want +got):\n%s", d)
	}
	if err := parseArgs(t, newInventoryCmd(testStdio(nil), capture), []string{"graph"}, map[string]string{"WINFLEET_INVENTORY": "env.ini"}); err != nil {
		t.Fatal(err)
	}
	if !got.Graph || got.Select.Inventory[0] != "env.ini" {
		t.Errorf("inventory graph options = %+v, want graph of env.ini", got)
	}
}

func TestConfigFileInWorkingDirectory(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	write(t, "winfleet.yaml", "forks: 11\n")
	var got fleetOptions
	err := parseArgs(t, newScanCmd(testStdio(map[string]string{"HOME": dir}), func(_ context.Context, o fleetOptions) error { got = o; return nil }), []string{"-i", "inv.ini"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Forks != 11 || got.ConfigFile != "winfleet.yaml" {
		t.Errorf("forks = %d from %q, want 11 from winfleet.yaml", got.Forks, got.ConfigFile)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestAnsibleFlagHints: an Ansible flag winfleet does not have gets a hint
// naming what to use instead; other unknown flags stay plain errors.
func TestAnsibleFlagHints(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-i", "x", "--become"}, "Administrators group"},
		{[]string{"-i", "x", "-b"}, "Administrators group"},
		{[]string{"-i", "x", "--vault-password-file", "f"}, "password_env"},
		{[]string{"-i", "x", "--tags", "fw"}, "winfleet playbook show"},
		{[]string{"-i", "x", "--syntax-check"}, "winfleet playbook validate"},
	}
	for _, tt := range tests {
		root := newRootCmd(testStdio(nil))
		root.SetArgs(append([]string{"apply"}, tt.args...))
		err := root.ExecuteContext(context.Background())
		if err == nil || !strings.Contains(err.Error(), "unknown") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("apply %q: error %v, want an unknown-flag error with the hint %q", tt.args, err, tt.want)
		}
	}
	root := newRootCmd(testStdio(nil))
	root.SetArgs([]string{"scan", "-i", "x", "--frobnicate"})
	if err := root.ExecuteContext(context.Background()); err == nil || strings.Contains(err.Error(), "Ansible") {
		t.Errorf("unknown non-Ansible flag: error %v, want a plain unknown-flag error", err)
	}
}

func TestRedactArgs(t *testing.T) {
	in := []string{"apply", "-i", "h.ini", "-e", "ansible_password=hunter2 dialect=legacy", "--extra-vars=api_token=abc", "-ebecome_pass=x", "-l", "sql*"}
	got := strings.Join(redactArgs(in), " ")
	want := "apply -i h.ini -e ansible_password=**** dialect=legacy --extra-vars=api_token=**** -ebecome_pass=**** -l sql*"
	if got != want {
		t.Errorf("redactArgs = %q\nwant          %q", got, want)
	}
}

// TestConfigKeysAreTheFlags keeps configKeys in step with the flags: every
// long flag of a command that reads the config file (has --config) is a
// config key or deliberately not one, and every config key is such a flag.
func TestConfigKeysAreTheFlags(t *testing.T) {
	flags := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Flags().Lookup("config") != nil {
			c.Flags().VisitAll(func(f *pflag.Flag) { flags[f.Name] = true })
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd(testStdio(nil)))
	for f := range flags {
		if !slices.Contains(configKeys(), f) && !slices.Contains(notConfigKeys, f) {
			t.Errorf("flag --%s is neither in configKeys nor in notConfigKeys", f)
		}
	}
	for _, k := range configKeys() {
		if !flags[k] {
			t.Errorf("config key %q is no flag of a command that reads the config file", k)
		}
	}
}
