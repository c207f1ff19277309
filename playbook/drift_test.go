package playbook_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/winfleet/winfleet/lab/winsim"
	"github.com/winfleet/winfleet/playbook"
	"github.com/winfleet/winfleet/playbook/netsh"
	"github.com/winfleet/winfleet/remote"
)

const dRoot = `D:\Program Files\Microsoft SQL Server`

func rpcRule() winsim.Rule {
	return winsim.Rule{Name: "RPC (TCP/135)", Enabled: true, Protocol: "TCP", LocalPort: "135", RemoteIP: []string{"LocalSubnet"}}
}

func ssisRule(name string, s winsim.SSIS) winsim.Rule {
	return winsim.Rule{Name: name, Enabled: true, Program: s.Program(), RemoteIP: []string{"LocalSubnet"}}
}

var ssis130 = winsim.SSIS{Version: 130}

func with(r winsim.Rule, f func(*winsim.Rule)) winsim.Rule { f(&r); return r }

// TestDrift runs every drift kind of the issue through the whole stack
// (remote client, WinRM emulator, simulated host): scan must give the
// status and reason, apply must converge, and a second apply must send no
// write command (counted from the host's own log of programs it ran).
func TestDrift(t *testing.T) {
	tests := []struct {
		name     string
		cfg      winsim.Config
		vars     map[string]any
		scan     playbook.Status
		reason   []string // substrings of the scan reason
		dialect  string
		converge bool // apply is expected to converge
		// check and apply are the statuses of apply --check and apply
		// when apply cannot converge.
		check, apply playbook.Status
	}{
		{
			name: "compliant", cfg: winsim.Config{Version: winsim.Win2019, SSIS: []winsim.SSIS{ssis130}, Rules: []winsim.Rule{rpcRule(), ssisRule("SSIS Service", ssis130)}},
			scan: playbook.StatusCompliant, dialect: "advfirewall", converge: true,
		},
		{
			name: "missing", cfg: winsim.Config{Version: winsim.Win2019, SSIS: []winsim.SSIS{ssis130}},
			scan: playbook.StatusNoncompliant, reason: []string{"rpc-135", "ssis-service-130", "missing"}, dialect: "advfirewall", converge: true,
		},
		{
			name: "disabled", cfg: winsim.Config{Version: winsim.Win2016, SSIS: []winsim.SSIS{ssis130},
				Rules: []winsim.Rule{with(rpcRule(), func(r *winsim.Rule) { r.Enabled = false }), ssisRule("SSIS Service", ssis130)}},
			scan: playbook.StatusNoncompliant, reason: []string{"rpc-135", "disabled"}, dialect: "advfirewall", converge: true,
		},
		{
			name: "scope ALL", cfg: winsim.Config{Version: winsim.Win2012R2, SSIS: []winsim.SSIS{ssis130},
				Rules: []winsim.Rule{with(rpcRule(), func(r *winsim.Rule) { r.RemoteIP = nil }), ssisRule("SSIS Service", ssis130)}},
			scan: playbook.StatusNoncompliant, reason: []string{"rpc-135", "too open"}, dialect: "advfirewall", converge: true,
		},
		{
			name: "wrong port", cfg: winsim.Config{Version: winsim.Win2022, SSIS: []winsim.SSIS{ssis130},
				Rules: []winsim.Rule{with(rpcRule(), func(r *winsim.Rule) { r.LocalPort = "136" }), ssisRule("SSIS Service", ssis130)}},
			scan: playbook.StatusNoncompliant, reason: []string{"rpc-135", "136"}, dialect: "advfirewall", converge: true,
		},
		{
			name: "wrong program path", cfg: winsim.Config{Version: winsim.Win2019, SSIS: []winsim.SSIS{ssis130},
				Rules: []winsim.Rule{rpcRule(), ssisRule("SSIS Service", winsim.SSIS{Version: 100})}},
			scan: playbook.StatusNoncompliant, reason: []string{"ssis-service-130", `\100\`}, dialect: "advfirewall", converge: true,
		},
		{
			name: "duplicates that disagree", cfg: winsim.Config{Version: winsim.Win2019, SSIS: []winsim.SSIS{ssis130},
				Rules: []winsim.Rule{rpcRule(), with(rpcRule(), func(r *winsim.Rule) { r.RemoteIP = nil }), ssisRule("SSIS Service", ssis130)}},
			scan: playbook.StatusNoncompliant, reason: []string{"rpc-135"}, dialect: "advfirewall", converge: true,
		},
		{
			name: "block rule", cfg: winsim.Config{Version: winsim.Win2019, SSIS: []winsim.SSIS{ssis130},
				Rules: []winsim.Rule{with(rpcRule(), func(r *winsim.Rule) { r.Action = "Block" }), ssisRule("SSIS Service", ssis130)}},
			scan: playbook.StatusNoncompliant, reason: []string{"rpc-135", "lock"}, dialect: "advfirewall", converge: true,
		},
		{
			name: "2003 legacy-only host", cfg: winsim.Config{Version: winsim.Win2003, SSIS: []winsim.SSIS{{Version: 90}}},
			scan: playbook.StatusNoncompliant, reason: []string{"rpc-135", "ssis-service-90", "missing"}, dialect: "legacy", converge: true,
		},
		{
			name: "2008 without the deprecation notice", cfg: winsim.Config{Version: winsim.Win2008, SSIS: []winsim.SSIS{{Version: 100}}},
			vars: map[string]any{"dialect": "legacy"},
			scan: playbook.StatusNoncompliant, reason: []string{"rpc-135", "ssis-service-100"}, dialect: "legacy", converge: true,
		},
		{
			name: "2008 R2 legacy with the notice", cfg: winsim.Config{Version: winsim.Win2008R2, SSIS: []winsim.SSIS{{Version: 100}}},
			vars: map[string]any{"dialect": "legacy"},
			scan: playbook.StatusNoncompliant, reason: []string{"rpc-135", "ssis-service-100"}, dialect: "legacy", converge: true,
		},
		{
			name: "SSIS on D:", cfg: winsim.Config{Version: winsim.Win2019, SSIS: []winsim.SSIS{{Version: 110, Root: dRoot}},
				Rules: []winsim.Rule{rpcRule(), ssisRule("SSIS Service", winsim.SSIS{Version: 110})}},
			scan: playbook.StatusNoncompliant, reason: []string{"ssis-service-110", `D:\Program Files`}, dialect: "advfirewall", converge: true,
		},
		{
			name: "two SSIS versions", cfg: winsim.Config{Version: winsim.Win2019, SSIS: []winsim.SSIS{{Version: 120}, ssis130},
				Rules: []winsim.Rule{rpcRule(), ssisRule("SSIS Service", ssis130)}},
			scan: playbook.StatusNoncompliant, reason: []string{"ssis-service-120", `SSIS Service 120`}, dialect: "advfirewall", converge: true,
		},
		{
			name: "non-English output", cfg: winsim.Config{Version: winsim.Win2019, SSIS: []winsim.SSIS{ssis130}, Faults: winsim.Faults{Language: "de-DE"},
				Rules: []winsim.Rule{rpcRule(), ssisRule("SSIS Service", ssis130)}},
			scan: playbook.StatusError, reason: []string{"unrecognized output"}, dialect: "advfirewall",
			check: playbook.StatusError, apply: playbook.StatusError,
		},
		{
			name: "2003 scope ALL and old program path", cfg: winsim.Config{Version: winsim.Win2003, SSIS: []winsim.SSIS{{Version: 90, Root: dRoot}},
				Rules: []winsim.Rule{with(rpcRule(), func(r *winsim.Rule) { r.RemoteIP = nil }), ssisRule("SSIS Service", winsim.SSIS{Version: 90})}},
			scan: playbook.StatusNoncompliant, reason: []string{"rpc-135", "ssis-service-90"}, dialect: "legacy", converge: true,
		},
		{
			name: "2008 R2 legacy, address list", cfg: winsim.Config{Version: winsim.Win2008R2, SSIS: []winsim.SSIS{{Version: 100}}},
			vars: map[string]any{"dialect": "legacy", "firewall_scope": "10.7.7.7,192.168.0.0/255.255.0.0"},
			scan: playbook.StatusNoncompliant, reason: []string{"rpc-135", "ssis-service-100"}, dialect: "legacy", converge: true,
		},
		{
			name: "sql_version given, SSIS on D:", cfg: winsim.Config{Version: winsim.Win2012, SSIS: []winsim.SSIS{{Version: 110, Root: dRoot}}},
			vars: map[string]any{"sql_version": "2012"},
			scan: playbook.StatusNoncompliant, reason: []string{"rpc-135", "ssis-service-110"}, dialect: "advfirewall", converge: true,
		},
		{
			name: "SSIS service stopped", cfg: winsim.Config{Version: winsim.Win2019, SSIS: []winsim.SSIS{{Version: 130, Stopped: true}},
				Rules: []winsim.Rule{rpcRule(), ssisRule("SSIS Service", ssis130)}},
			scan: playbook.StatusNoncompliant, reason: []string{"ssis-running-130", "stopped"}, dialect: "advfirewall",
			check: playbook.StatusNoncompliant, apply: playbook.StatusFailed, // apply never starts a service
		},
		{
			name: "DCOM range", cfg: winsim.Config{Version: winsim.Win2019, SSIS: []winsim.SSIS{ssis130}, Rules: []winsim.Rule{rpcRule(), ssisRule("SSIS Service", ssis130)}},
			vars: map[string]any{"dcom_ports": "5000-5100"},
			scan: playbook.StatusNoncompliant, reason: []string{"dcom-registry", "dcom-ports"}, dialect: "advfirewall", converge: true,
		},
		{
			name: "custom address list", cfg: winsim.Config{Version: winsim.Win2019, SSIS: []winsim.SSIS{ssis130}, Rules: []winsim.Rule{rpcRule(), ssisRule("SSIS Service", ssis130)}},
			vars: map[string]any{"firewall_scope": []any{"10.1.0.0/16", "192.168.7.7"}},
			scan: playbook.StatusNoncompliant, reason: []string{"rpc-135", "ssis-service-130"}, dialect: "advfirewall", converge: true,
		},
	}
	pb := builtin(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := startHost(t, "sql01", tt.cfg)
			ts := []playbook.Target{h.target(tt.vars)}
			d := remoteDialer{opts: remote.Options{}}
			o := playbook.Options{Mode: playbook.ModeScan, HostTimeout: 20 * time.Second}

			scan := playbook.Run(t.Context(), pb, ts, d, o)[0]
			t.Logf("scan: %s: %s", scan.Status, scan.Reason)
			if scan.Status != tt.scan {
				t.Fatalf("scan: status %s (%s), want %s\n%s", scan.Status, scan.Reason, tt.scan, dumpChecks(scan))
			}
			for _, w := range tt.reason {
				if !strings.Contains(scan.Reason, w) {
					t.Errorf("scan reason %q does not mention %q", scan.Reason, w)
				}
			}
			if scan.Dialect != tt.dialect {
				t.Errorf("dialect %q, want %q", scan.Dialect, tt.dialect)
			}
			if n := h.writes(); n != 0 {
				t.Errorf("scan wrote %d times", n)
			}

			o.Mode = playbook.ModeCheck
			check := playbook.Run(t.Context(), pb, ts, d, o)[0]
			if n := h.writes(); n != 0 {
				t.Errorf("apply --check wrote %d times", n)
			}
			wantCheck := tt.check
			if wantCheck == "" {
				wantCheck = playbook.StatusWouldChange
				if tt.scan == playbook.StatusCompliant {
					wantCheck = playbook.StatusCompliant
				}
			}
			if check.Status != wantCheck {
				t.Errorf("apply --check: status %s (%s), want %s", check.Status, check.Reason, wantCheck)
			}

			o.Mode = playbook.ModeApply
			apply := playbook.Run(t.Context(), pb, ts, d, o)[0]
			wantApply := playbook.StatusChanged
			switch {
			case !tt.converge:
				wantApply = tt.apply
			case tt.scan == playbook.StatusCompliant:
				wantApply = playbook.StatusCompliant
			}
			if apply.Status != wantApply {
				t.Fatalf("apply: status %s (%s), want %s\n%s", apply.Status, apply.Reason, wantApply, dumpChecks(apply))
			}
			if !tt.converge {
				if n := h.writes(); n != 0 {
					t.Errorf("apply on a host it cannot read wrote %d times", n)
				}
				return
			}
			for _, inv := range h.sim.Log() {
				if inv.Write && !ownWrite(inv.Line) {
					t.Errorf("apply wrote to something the playbook does not name: %s", inv.Line)
				}
			}
			before := h.writes()
			again := playbook.Run(t.Context(), pb, ts, d, o)[0]
			if again.Status != playbook.StatusCompliant {
				t.Errorf("second apply: status %s (%s), want compliant\n%s", again.Status, again.Reason, dumpChecks(again))
			}
			if n := h.writes() - before; n != 0 {
				t.Errorf("second apply sent %d write commands, want 0", n)
			}
			rescan := playbook.Run(t.Context(), pb, ts, d, playbook.Options{Mode: playbook.ModeScan})[0]
			if rescan.Status != playbook.StatusCompliant {
				t.Errorf("scan after apply: %s (%s)", rescan.Status, rescan.Reason)
			}
			if h.srv.OpenShells() != 0 {
				t.Errorf("%d shells left open", h.srv.OpenShells())
			}
		})
	}
}

// ownWrite reports whether a write command line targets something the
// built-in playbook names: one of its rules (by name; in the legacy dialect,
// where exceptions are keyed by port or program, by TCP/135 or an SSIS
// program) or the RPC\Internet registry key.
func ownWrite(line string) bool {
	for _, s := range []string{`name="RPC (TCP/135)"`, `name="SSIS Service`, `name="SSIS DCOM ports"`,
		`reg add "HKLM\SOFTWARE\Microsoft\Rpc\Internet" `, `reg delete "HKLM\SOFTWARE\Microsoft\Rpc\Internet" `} {
		if strings.Contains(line, s) {
			return true
		}
	}
	return strings.HasPrefix(line, "netsh firewall delete portopening protocol=TCP port=135 ") ||
		strings.HasPrefix(line, "netsh firewall delete allowedprogram program=") && strings.Contains(line, `\DTS\Binn\MsDtsSrvr.exe"`)
}

func dumpChecks(r playbook.HostResult) string {
	var b strings.Builder
	for _, c := range r.Checks {
		b.WriteString("  " + c.ID + " " + string(c.Status) + ": expected " + c.Expected + " | actual " + c.Actual + "\n")
		for _, cmd := range c.Commands {
			b.WriteString("    > " + cmd + "\n")
		}
		if c.Status == playbook.CheckError || c.Status == playbook.CheckFail {
			b.WriteString("    output: " + strings.ReplaceAll(c.Output, "\r\n", "⏎") + "\n")
		}
	}
	if r.Err != nil {
		b.WriteString("  error: " + r.Err.Error() + "\n")
	}
	return b.String()
}

// TestRollbackAbsent: a playbook with state: absent removes exactly the
// rules that match its names and definitions, and nothing else.
func TestRollbackAbsent(t *testing.T) {
	pb, err := playbook.Parse("rollback.yaml", []byte(`name: rollback
rules:
  - id: rpc-135
    name: "RPC (TCP/135)"
    state: absent
    protocol: tcp
    port: "135"
  - id: ssis-service
    each: ssis
    name: "SSIS Service{{ ssis_rule_suffix }}"
    state: absent
    program: "{{ ssis_program }}"
`))
	if err != nil {
		t.Fatal(err)
	}
	other := winsim.Rule{Name: "Other", Enabled: true, Protocol: "TCP", LocalPort: "135"}
	sameNameOtherPort := with(rpcRule(), func(r *winsim.Rule) { r.LocalPort = "4444" })
	h := startHost(t, "sql01", winsim.Config{Version: winsim.Win2019, SSIS: []winsim.SSIS{ssis130},
		Rules: []winsim.Rule{rpcRule(), ssisRule("SSIS Service", ssis130), other, sameNameOtherPort}})
	ts := []playbook.Target{h.target(nil)}
	r := playbook.Run(t.Context(), pb, ts, remoteDialer{}, playbook.Options{Mode: playbook.ModeApply})[0]
	if r.Status != playbook.StatusChanged {
		t.Fatalf("apply: %s (%s)\n%s", r.Status, r.Reason, dumpChecks(r))
	}
	var names []string
	for _, rule := range h.sim.Rules() {
		names = append(names, rule.Name+"/"+rule.LocalPort)
	}
	if got, want := strings.Join(names, ","), "Other/135,RPC (TCP/135)/4444"; got != want {
		t.Errorf("rules after rollback = %s, want %s", got, want)
	}
	for _, inv := range h.sim.Log() {
		if inv.Write && strings.Contains(inv.Line, "Other") {
			t.Errorf("a write touched a rule the playbook does not name: %s", inv.Line)
		}
	}
	before := h.writes()
	if r := playbook.Run(t.Context(), pb, ts, remoteDialer{}, playbook.Options{Mode: playbook.ModeApply})[0]; r.Status != playbook.StatusCompliant || h.writes() != before {
		t.Errorf("second rollback: %s, %d writes", r.Status, h.writes()-before)
	}
}

// TestForeignBlockRule: a block rule the playbook does not name blocks the
// SSIS traffic. Scan reports it (block_scan is on by default), apply never
// touches it and ends failed. With block_scan: false the host is read by
// rule name only and the block rule goes unseen (the documented trade-off).
func TestForeignBlockRule(t *testing.T) {
	blocker := winsim.Rule{Name: "Block RPC", Enabled: true, Action: "Block", Protocol: "TCP", LocalPort: "135"}
	h := startHost(t, "sql01", winsim.Config{Version: winsim.Win2019, SSIS: []winsim.SSIS{ssis130},
		Rules: []winsim.Rule{rpcRule(), ssisRule("SSIS Service", ssis130), blocker}})
	ts := []playbook.Target{h.target(nil)}
	scan := playbook.Run(t.Context(), builtin(t), ts, remoteDialer{}, playbook.Options{Mode: playbook.ModeScan})[0]
	if scan.Status != playbook.StatusNoncompliant || !strings.Contains(scan.Reason, "Block RPC") {
		t.Fatalf("scan: %s (%s), want noncompliant naming the block rule\n%s", scan.Status, scan.Reason, dumpChecks(scan))
	}
	apply := playbook.Run(t.Context(), builtin(t), ts, remoteDialer{}, playbook.Options{Mode: playbook.ModeApply})[0]
	if apply.Status != playbook.StatusFailed {
		t.Errorf("apply: %s (%s), want failed", apply.Status, apply.Reason)
	}
	if n := h.writes(); n != 0 {
		t.Errorf("apply wrote %d times; the block rule is not the playbook's to change", n)
	}
	if len(h.sim.Rules()) != 3 {
		t.Errorf("rules changed: %v", h.sim.Rules())
	}
	byName := []playbook.Target{h.target(map[string]any{"block_scan": false})}
	if r := playbook.Run(t.Context(), builtin(t), byName, remoteDialer{}, playbook.Options{Mode: playbook.ModeScan})[0]; r.Status != playbook.StatusCompliant {
		t.Errorf("block_scan false: %s (%s), want compliant (by-name reads do not see other rules)", r.Status, r.Reason)
	}
}

// TestUnsafeDiscoveredPath: a program path read from the host goes through
// the same validation as a playbook value; one that could inject a command
// is refused, naming host and var, and nothing is written.
func TestUnsafeDiscoveredPath(t *testing.T) {
	h := startHost(t, "sql01", winsim.Config{Version: winsim.Win2019, SSIS: []winsim.SSIS{{Version: 130, Root: `D:\R&D\Microsoft SQL Server`}}})
	r := playbook.Run(t.Context(), builtin(t), []playbook.Target{h.target(nil)}, remoteDialer{}, playbook.Options{Mode: playbook.ModeApply})[0]
	t.Logf("%s: %s", r.Status, r.Reason)
	if r.Status != playbook.StatusError || !strings.Contains(r.Reason, `host sql01: builtin:ssis-firewall:`) || !strings.Contains(r.Reason, `var "ssis_program" (set at `+netsh.SSISSearchCommand+`): refused`) {
		t.Errorf("status %s reason %q, want error refusing var ssis_program on sql01", r.Status, r.Reason)
	}
	if n := h.writes(); n != 0 {
		t.Errorf("%d writes", n)
	}
}

// TestApplyThenRollback: apply the built-in with DCOM on a host with two
// SSIS versions, then the rollback playbook: the host is back where it was.
func TestApplyThenRollback(t *testing.T) {
	keep := winsim.Rule{Name: "Keep me", Enabled: true, Protocol: "TCP", LocalPort: "8080"}
	h := startHost(t, "sql01", winsim.Config{Version: winsim.Win2016, SSIS: []winsim.SSIS{{Version: 120}, ssis130}, Rules: []winsim.Rule{keep}})
	ts := []playbook.Target{h.target(map[string]any{"dcom_ports": "5000-5100"})}
	o := playbook.Options{Mode: playbook.ModeApply}
	if r := playbook.Run(t.Context(), builtin(t), ts, remoteDialer{}, o)[0]; r.Status != playbook.StatusChanged {
		t.Fatalf("apply: %s (%s)\n%s", r.Status, r.Reason, dumpChecks(r))
	}
	if n := len(h.sim.Rules()); n != 5 {
		t.Errorf("after apply: %d rules, want 5 (keep, rpc, ssis 130, ssis 120, dcom)", n)
	}
	rb, err := playbook.Load("testdata/rollback-ssis-firewall.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if r := playbook.Run(t.Context(), rb, ts, remoteDialer{}, o)[0]; r.Status != playbook.StatusChanged {
		t.Fatalf("rollback: %s (%s)\n%s", r.Status, r.Reason, dumpChecks(r))
	}
	rules := h.sim.Rules()
	if len(rules) != 1 || rules[0].Name != "Keep me" {
		t.Errorf("after rollback: %+v, want only %q", rules, keep.Name)
	}
	if _, ok := h.sim.RegistryValue(`HKLM\SOFTWARE\Microsoft\Rpc\Internet`, "Ports"); ok {
		t.Errorf("Ports value still set after rollback")
	}
	before := h.writes()
	if r := playbook.Run(t.Context(), rb, ts, remoteDialer{}, o)[0]; r.Status != playbook.StatusCompliant || h.writes() != before {
		t.Errorf("second rollback: %s (%s), %d writes", r.Status, r.Reason, h.writes()-before)
	}
}

// TestLegacyRollback: on a 2003 host (legacy dialect, exceptions keyed by
// port and program) apply then rollback returns to the original table.
func TestLegacyRollback(t *testing.T) {
	keep := winsim.Rule{Name: "Web", Enabled: true, Protocol: "TCP", LocalPort: "80", RemoteIP: []string{"LocalSubnet"}}
	h := startHost(t, "old01", winsim.Config{Version: winsim.Win2003, SSIS: []winsim.SSIS{{Version: 90, Root: dRoot}}, Rules: []winsim.Rule{keep}})
	ts := []playbook.Target{h.target(nil)}
	o := playbook.Options{Mode: playbook.ModeApply}
	if r := playbook.Run(t.Context(), builtin(t), ts, remoteDialer{}, o)[0]; r.Status != playbook.StatusChanged || r.Dialect != "legacy" {
		t.Fatalf("apply: %s %s (%s)\n%s", r.Status, r.Dialect, r.Reason, dumpChecks(r))
	}
	rb, err := playbook.Load("testdata/rollback-ssis-firewall.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if r := playbook.Run(t.Context(), rb, ts, remoteDialer{}, o)[0]; r.Status != playbook.StatusChanged {
		t.Fatalf("rollback: %s (%s)\n%s", r.Status, r.Reason, dumpChecks(r))
	}
	if rules := h.sim.Rules(); len(rules) != 1 || rules[0].Name != "Web" {
		t.Errorf("after rollback: %+v, want only Web", rules)
	}
	before := h.writes()
	if r := playbook.Run(t.Context(), rb, ts, remoteDialer{}, o)[0]; r.Status != playbook.StatusCompliant || h.writes() != before {
		t.Errorf("second rollback: %s (%s), %d writes", r.Status, r.Reason, h.writes()-before)
	}
}

// TestServiceEvidence: without sql_version the SSIS service's state is
// judged from the service list that discovery reads, and the report keeps
// that service's block of it, not the whole list; with sql_version (no
// list read) it is sc query of the service.
func TestServiceEvidence(t *testing.T) {
	cfg := winsim.Config{Version: winsim.Win2019, SSIS: []winsim.SSIS{{Version: 130, Stopped: true}},
		Rules: []winsim.Rule{rpcRule(), ssisRule("SSIS Service", ssis130)}}
	for _, tt := range []struct {
		vars map[string]any
		read string
	}{
		{nil, netsh.ScListCommand},
		{map[string]any{"sql_version": "130"}, "sc query MsDtsServer130"},
	} {
		h := startHost(t, "sql01", cfg)
		r := playbook.Run(t.Context(), builtin(t), []playbook.Target{h.target(tt.vars)}, remoteDialer{}, playbook.Options{Mode: playbook.ModeScan})[0]
		var c *playbook.CheckResult
		for i := range r.Checks {
			if r.Checks[i].ID == "ssis-running-130" {
				c = &r.Checks[i]
			}
		}
		if c == nil {
			t.Fatalf("%v: no ssis-running-130 check in %+v", tt.vars, r)
		}
		if c.Status != playbook.CheckFail || !slices.Equal(c.Commands, []string{tt.read}) || c.Actual != "stopped" {
			t.Errorf("%v: %s %q, commands %q; want fail (stopped) read by %q", tt.vars, c.Status, c.Actual, c.Commands, tt.read)
		}
		if !strings.Contains(c.Output, "SERVICE_NAME: MsDtsServer130") || !strings.Contains(c.Output, "STATE              : 1  STOPPED") ||
			strings.Contains(c.Output, "SERVICE_NAME: WinRM") {
			t.Errorf("%v: output %q, want MsDtsServer130's block only", tt.vars, c.Output)
		}
		if tt.read == netsh.ScListCommand && !strings.Contains(c.Output, "services not shown: only MsDtsServer130 is kept]") {
			t.Errorf("output %q does not say the rest of the list was left out", c.Output)
		}
	}
}
