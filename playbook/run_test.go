package playbook

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/winfleet/winfleet/inventory"
	"github.com/winfleet/winfleet/playbook/netsh"
)

// fakeSession is a Session with function fields.
type fakeSession struct {
	run   func(ctx context.Context, cmds []string) ([]Output, error)
	close func(ctx context.Context) error
}

func (f fakeSession) RunBatch(ctx context.Context, cmds []string) ([]Output, error) {
	return f.run(ctx, cmds)
}
func (f fakeSession) Close(ctx context.Context) error { return f.close(ctx) }

type dialFunc func(ctx context.Context, t Target) (Session, error)

func (f dialFunc) Dial(ctx context.Context, t Target) (Session, error) { return f(ctx, t) }

// miniHost answers the handful of commands the built-in playbook sends on
// a Windows 2019 host with SSIS 130, in advfirewall's en-US format. It is a
// test double of a host, not a model of Windows: winsim is that.
type miniHost struct {
	mu        sync.Mutex
	rules     map[string]string // rule name -> RemoteIP shown
	elevated  bool
	rejectAdd bool // add rule answers Ok. but does nothing
	batches   [][]string
	closed    int
}

func newMiniHost() *miniHost { return &miniHost{rules: map[string]string{}, elevated: true} }

func field(label, value string) string { return fmt.Sprintf("%-38s%s\r\n", label+":", value) }

const ssisProgram = `C:\Program Files\Microsoft SQL Server\130\DTS\Binn\MsDtsSrvr.exe`

func (m *miniHost) answer(cmd string) Output {
	switch {
	case cmd == "ver":
		return Output{Stdout: "\r\nMicrosoft Windows [Version 10.0.17763.1]\r\n"}
	case cmd == "net session":
		if !m.elevated {
			return Output{Stderr: "System error 5 has occurred.\r\n\r\nAccess is denied.\r\n\r\n", ExitCode: 2}
		}
		return Output{Stdout: "There are no entries in the list.\r\n\r\n"}
	case strings.HasPrefix(cmd, "sc query type= service"):
		return Output{Stdout: "\r\nSERVICE_NAME: MsDtsServer130\r\nDISPLAY_NAME: SQL Server Integration Services 13.0\r\n" +
			"        TYPE               : 10  WIN32_OWN_PROCESS\r\n        STATE              : 4  RUNNING\r\n" +
			"                                (STOPPABLE, NOT_PAUSABLE, ACCEPTS_SHUTDOWN)\r\n        WIN32_EXIT_CODE    : 0  (0x0)\r\n" +
			"        SERVICE_EXIT_CODE  : 0  (0x0)\r\n        CHECKPOINT         : 0x0\r\n        WAIT_HINT          : 0x0\r\n\r\n"}
	case cmd == netsh.SSISSearchCommand:
		return Output{Stdout: "\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\MsDtsServer130\r\n" +
			"    ImagePath    REG_EXPAND_SZ    \"" + ssisProgram + "\"\r\n\r\nEnd of search: 1 match(es) found.\r\n"}
	case cmd == "sc qc MsDtsServer130":
		return Output{Stdout: "[SC] QueryServiceConfig SUCCESS\r\n\r\nSERVICE_NAME: MsDtsServer130\r\n" +
			"        TYPE               : 10  WIN32_OWN_PROCESS\r\n        START_TYPE         : 2   AUTO_START\r\n" +
			"        ERROR_CONTROL      : 1   NORMAL\r\n        BINARY_PATH_NAME   : \"" + ssisProgram + "\"\r\n" +
			"        LOAD_ORDER_GROUP   :\r\n        TAG                : 0\r\n        DISPLAY_NAME       : SQL Server Integration Services 13.0\r\n" +
			"        DEPENDENCIES       :\r\n        SERVICE_START_NAME : NT Service\\MsDtsServer130\r\n"}
	case cmd == "sc query MsDtsServer130":
		return Output{Stdout: "\r\nSERVICE_NAME: MsDtsServer130\r\n        TYPE               : 10  WIN32_OWN_PROCESS\r\n" +
			"        STATE              : 4  RUNNING\r\n                                (STOPPABLE, NOT_PAUSABLE, ACCEPTS_SHUTDOWN)\r\n" +
			"        WIN32_EXIT_CODE    : 0  (0x0)\r\n        SERVICE_EXIT_CODE  : 0  (0x0)\r\n        CHECKPOINT         : 0x0\r\n        WAIT_HINT          : 0x0\r\n\r\n"}
	case cmd == "netsh advfirewall firewall show rule name=all dir=in verbose":
		var names []string
		for name := range m.rules {
			names = append(names, name)
		}
		sort.Strings(names)
		return m.show(names)
	case strings.HasPrefix(cmd, `netsh advfirewall firewall show rule name="`):
		name := strings.TrimSuffix(strings.TrimPrefix(cmd, `netsh advfirewall firewall show rule name="`), `" verbose`)
		if _, ok := m.rules[name]; !ok {
			return m.show(nil)
		}
		return m.show([]string{name})
	case strings.HasPrefix(cmd, `netsh advfirewall firewall add rule name="`):
		if !m.elevated {
			return Output{Stdout: "The requested operation requires elevation (Run as administrator).\r\n\r\n", ExitCode: 1}
		}
		if !m.rejectAdd {
			name := strings.SplitN(strings.TrimPrefix(cmd, `netsh advfirewall firewall add rule name="`), `"`, 2)[0]
			m.rules[name] = "LocalSubnet"
		}
		return Output{Stdout: "Ok.\r\n\r\n"}
	}
	return Output{Stdout: "'" + cmd + "' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", ExitCode: 1}
}

// show prints the named rules as advfirewall's show rule ... verbose does.
func (m *miniHost) show(names []string) Output {
	if len(names) == 0 {
		return Output{Stdout: "\r\nNo rules match the specified criteria.\r\n\r\n", ExitCode: 1}
	}
	var b strings.Builder
	for _, name := range names {
		b.WriteString("\r\n" + field("Rule Name", name) + strings.Repeat("-", 70) + "\r\n")
		b.WriteString(field("Description", "") + field("Enabled", "Yes") + field("Direction", "In") + field("Profiles", "Domain,Private,Public") +
			field("Grouping", "") + field("LocalIP", "Any") + field("RemoteIP", m.rules[name]))
		if name == "RPC (TCP/135)" {
			b.WriteString(field("Protocol", "TCP") + field("LocalPort", "135") + field("RemotePort", "Any") + field("Edge traversal", "No"))
		} else {
			b.WriteString(field("Protocol", "Any") + field("Edge traversal", "No") + field("Program", ssisProgram))
		}
		b.WriteString(field("InterfaceTypes", "Any") + field("Security", "NotRequired") + field("Rule source", "Local Setting") + field("Action", "Allow"))
	}
	b.WriteString("Ok.\r\n\r\n")
	return Output{Stdout: b.String()}
}

func (m *miniHost) session() Session {
	return fakeSession{
		run: func(ctx context.Context, cmds []string) ([]Output, error) {
			m.mu.Lock()
			defer m.mu.Unlock()
			m.batches = append(m.batches, cmds)
			out := make([]Output, len(cmds))
			for i, c := range cmds {
				out[i] = m.answer(c)
			}
			return out, nil
		},
		close: func(context.Context) error { m.mu.Lock(); m.closed++; m.mu.Unlock(); return nil },
	}
}

func (m *miniHost) writes() []string {
	var w []string
	for _, b := range m.batches {
		for _, c := range b {
			if strings.Contains(c, " add ") || strings.Contains(c, " delete ") || strings.Contains(c, " set ") {
				w = append(w, c)
			}
		}
	}
	return w
}

func builtin(t *testing.T) *Playbook {
	t.Helper()
	pb, err := Builtin("ssis-firewall")
	if err != nil {
		t.Fatal(err)
	}
	return pb
}

func runOne(t *testing.T, m *miniHost, o Options) HostResult {
	t.Helper()
	d := dialFunc(func(context.Context, Target) (Session, error) { return m.session(), nil })
	rs := Run(t.Context(), builtin(t), []Target{{Name: "sql01", Address: "127.0.0.1"}}, d, o)
	if len(rs) != 1 {
		t.Fatalf("Run returned %d results", len(rs))
	}
	if m.closed != 1 {
		t.Errorf("session closed %d times, want 1", m.closed)
	}
	return rs[0]
}

func TestRunScan(t *testing.T) {
	m := newMiniHost()
	m.rules["RPC (TCP/135)"] = "Any" // too open
	r := runOne(t, m, Options{Mode: ModeScan})
	t.Logf("reason: %s", r.Reason)
	for _, c := range r.Checks {
		t.Logf("check %s %s expected %q actual %q commands %q", c.ID, c.Status, c.Expected, c.Actual, c.Commands)
	}
	if r.Status != StatusNoncompliant {
		t.Fatalf("status = %s (%s), want noncompliant", r.Status, r.Reason)
	}
	if !strings.Contains(r.Reason, "rpc-135") || !strings.Contains(r.Reason, "ssis-service-130") {
		t.Errorf("reason %q should name rpc-135 and ssis-service-130", r.Reason)
	}
	want := map[string]CheckStatus{"rpc-135": "fail", "ssis-service-130": "fail", "ssis-running-130": "pass"}
	for _, c := range r.Checks {
		if want[c.ID] != c.Status {
			t.Errorf("check %s = %s, want %s (actual %q)", c.ID, c.Status, want[c.ID], c.Actual)
		}
		delete(want, c.ID)
		if len(c.Commands) == 0 {
			t.Errorf("check %s lists no commands", c.ID)
		}
	}
	if len(want) != 0 {
		t.Errorf("missing checks %v", want)
	}
	if len(m.batches) != 1 || len(m.writes()) != 0 {
		t.Errorf("scan sent %d batches and writes %q, want 1 batch and no writes", len(m.batches), m.writes())
	}
	if r.Dialect != "advfirewall" || !strings.Contains(r.WindowsVersion, "2019") {
		t.Errorf("dialect %q windows %q", r.Dialect, r.WindowsVersion)
	}
}

func TestRunCheckSendsNoWrites(t *testing.T) {
	m := newMiniHost()
	r := runOne(t, m, Options{Mode: ModeCheck})
	if r.Status != StatusWouldChange {
		t.Fatalf("status = %s (%s), want would_change", r.Status, r.Reason)
	}
	if w := m.writes(); len(w) != 0 {
		t.Errorf("apply --check sent writes %q", w)
	}
}

func TestRunApply(t *testing.T) {
	m := newMiniHost()
	r := runOne(t, m, Options{Mode: ModeApply})
	t.Logf("reason: %s; batches %q", r.Reason, m.batches)
	if r.Status != StatusChanged {
		t.Fatalf("status = %s (%s), want changed", r.Status, r.Reason)
	}
	if w := m.writes(); len(w) != 2 {
		t.Errorf("writes = %q, want two add rule commands", w)
	}
	if len(m.batches) != 3 {
		t.Errorf("apply used %d round trips, want 3 (read, write, verify)", len(m.batches))
	}
	// Second apply: nothing to do, no write.
	m2 := &miniHost{rules: m.rules, elevated: true}
	r2 := runOne(t, m2, Options{Mode: ModeApply})
	if r2.Status != StatusCompliant || len(m2.writes()) != 0 {
		t.Errorf("second apply: status %s, writes %q; want compliant and none", r2.Status, m2.writes())
	}
}

func TestRunApplyVerifyFails(t *testing.T) {
	m := newMiniHost()
	m.rejectAdd = true
	r := runOne(t, m, Options{Mode: ModeApply})
	if r.Status != StatusFailed || !strings.Contains(r.Reason, "not compliant after apply") {
		t.Fatalf("status = %s (%s), want failed after verification", r.Status, r.Reason)
	}
}

func TestRunNotElevated(t *testing.T) {
	m := newMiniHost()
	m.elevated = false
	r := runOne(t, m, Options{Mode: ModeApply})
	if r.Status != StatusError || !strings.HasPrefix(r.Reason, "not elevated: winfleet needs an administrator session") {
		t.Fatalf("status = %s (%s), want error not elevated", r.Status, r.Reason)
	}
	if len(m.batches) != 1 || len(m.writes()) != 0 {
		t.Errorf("not elevated: %d batches, writes %q; want 1 and none", len(m.batches), m.writes())
	}
	if len(r.Checks) == 0 || !strings.Contains(r.Checks[0].Output, "Access is denied") {
		t.Errorf("raw output not kept: %+v", r.Checks)
	}
}

func TestRunOneRoundTrip(t *testing.T) {
	m := newMiniHost()
	m.rules["RPC (TCP/135)"] = "LocalSubnet"
	m.rules["SSIS Service"] = "LocalSubnet"
	d := dialFunc(func(context.Context, Target) (Session, error) { return m.session(), nil })
	tg := Target{Name: "sql01", Vars: testVars(map[string]any{"sql_version": "2016", "windows_version": "10.0.17763"})}
	rs := Run(t.Context(), builtin(t), []Target{tg}, d, Options{Mode: ModeScan})
	if rs[0].Status != StatusCompliant {
		t.Fatalf("status = %s (%s)", rs[0].Status, rs[0].Reason)
	}
	if len(m.batches) != 1 {
		t.Errorf("round trips = %d (%q), want 1 with sql_version and windows_version set", len(m.batches), m.batches)
	}
}

func TestRunTransportErrors(t *testing.T) {
	hang := fakeSession{
		run:   func(ctx context.Context, _ []string) ([]Output, error) { <-ctx.Done(); return nil, ctx.Err() },
		close: func(context.Context) error { return nil },
	}
	d := dialFunc(func(ctx context.Context, tg Target) (Session, error) {
		switch tg.Name {
		case "down":
			return nil, fmt.Errorf("dial: %w", transportErr(StatusUnreachable))
		case "badpw":
			return nil, transportErr(StatusAuthFailed)
		case "hang":
			return hang, nil
		}
		return nil, errors.New("boom")
	})
	ts := []Target{{Name: "down"}, {Name: "badpw"}, {Name: "hang"}, {Name: "weird"}}
	start := time.Now()
	rs := Run(t.Context(), builtin(t), ts, d, Options{Mode: ModeScan, Forks: 4, HostTimeout: 100 * time.Millisecond})
	want := []Status{"unreachable", "auth_failed", "timeout", "error"}
	for i, r := range rs {
		if r.Status != want[i] || r.Err == nil {
			t.Errorf("%s: status %s error %v, want %s with an error", r.Host, r.Status, r.Err, want[i])
		}
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("run took %s with a 100ms host budget", el)
	}
}

func TestRunVarErrors(t *testing.T) {
	dialed := false
	d := dialFunc(func(context.Context, Target) (Session, error) { dialed = true; return nil, errors.New("no") })
	pb, err := Parse("pb.yaml", []byte("name: x\nrules:\n  - id: a\n    name: '{{ rule_name }}'\n    protocol: tcp\n    port: '1'\n"))
	if err != nil {
		t.Fatal(err)
	}
	rs := Run(t.Context(), pb, []Target{{Name: "sql01"}}, d, Options{})
	if rs[0].Status != StatusError || !strings.Contains(rs[0].Reason, `host sql01: pb.yaml:4: var "rule_name"`) {
		t.Errorf("unknown var: %s %q", rs[0].Status, rs[0].Reason)
	}
	rs = Run(t.Context(), pb, []Target{{Name: "sql02", Vars: testVars(map[string]any{"rule_name": `x" & del C:\ & "`})}}, d, Options{})
	if rs[0].Status != StatusError || !strings.Contains(rs[0].Reason, `host sql02: pb.yaml:4: var "rule_name" (set at inventory.yml): refused`) {
		t.Errorf("unsafe var: %s %q", rs[0].Status, rs[0].Reason)
	}
	if dialed {
		t.Errorf("a host with a bad var was dialled")
	}
}

func TestRunZeroModeIsScan(t *testing.T) {
	m := newMiniHost()
	r := runOne(t, m, Options{})
	if r.Status != StatusNoncompliant || len(m.writes()) != 0 {
		t.Errorf("zero Options: status %s, writes %q; want a scan (noncompliant, no writes)", r.Status, m.writes())
	}
	m = newMiniHost()
	d := dialFunc(func(context.Context, Target) (Session, error) { return m.session(), nil })
	if r := Run(t.Context(), builtin(t), []Target{{Name: "x"}}, d, Options{Mode: "destroy"})[0]; r.Status != StatusError || len(m.batches) != 0 {
		t.Errorf("unknown mode: %s, %d batches", r.Status, len(m.batches))
	}
}

// BenchmarkExecutor1000 measures the executor alone: 1,000 hosts at
// forks=200 whose sessions answer each round trip after 20 ms (a miniHost
// behind a timer, no WinRM). The wall time against the ideal (batches ×
// round trips × latency) shows the scheduling overhead; CPU per host is the
// executor's and netsh's own cost (planning, parsing, evaluation).
//
//	go test -run '^$' -bench Executor1000 -benchtime 3x ./playbook/
func BenchmarkExecutor1000(b *testing.B) {
	const n, forks, latency = 1000, 200, 20 * time.Millisecond
	pb, err := Builtin("ssis-firewall")
	if err != nil {
		b.Fatal(err)
	}
	ts := make([]Target, n)
	for i := range ts {
		ts[i] = Target{Name: fmt.Sprintf("sql%04d", i)}
	}
	good := map[string]string{"RPC (TCP/135)": "LocalSubnet", "SSIS Service": "LocalSubnet"}
	d := dialFunc(func(context.Context, Target) (Session, error) {
		m := &miniHost{rules: good, elevated: true}
		inner := m.session()
		return fakeSession{
			run: func(ctx context.Context, cmds []string) ([]Output, error) {
				t := time.NewTimer(latency)
				defer t.Stop()
				select {
				case <-ctx.Done():
					return nil, ctx.Err()
				case <-t.C:
				}
				return inner.RunBatch(ctx, cmds)
			},
			close: inner.Close,
		}, nil
	})
	var wall, cpu time.Duration
	for b.Loop() {
		c0 := processCPU()
		start := time.Now()
		rs := Run(b.Context(), pb, ts, d, Options{Mode: ModeScan, Forks: forks})
		wall += time.Since(start)
		cpu += processCPU() - c0
		for _, r := range rs {
			if r.Status != StatusCompliant {
				b.Fatalf("%s: %s (%s)", r.Host, r.Status, r.Reason)
			}
		}
	}
	ideal := time.Duration((n+forks-1)/forks) * latency // one round trip per host
	iters := time.Duration(b.N)
	b.ReportMetric(float64((wall / iters).Milliseconds()), "wall-ms")
	b.ReportMetric(float64(ideal.Milliseconds()), "ideal-ms")
	b.ReportMetric(float64(wall/iters)/float64(ideal), "wall/ideal")
	b.ReportMetric(float64((cpu/iters).Microseconds())/n, "cpu-µs/host")
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestOffIsFalse: one truthiness rule. "off" from an INI inventory turns a
// when: item off and block_scan off, as it turns allow_unencrypted off.
func TestOffIsFalse(t *testing.T) {
	inv, err := inventory.Parse("hosts.ini", inventory.FormatINI, []byte("sql01 block_scan=off dcom_ports=off sql_version=2016 windows_version=2019\n"))
	if err != nil {
		t.Fatal(err)
	}
	m := newMiniHost()
	m.rules["RPC (TCP/135)"] = "LocalSubnet"
	m.rules["SSIS Service"] = "LocalSubnet"
	d := dialFunc(func(context.Context, Target) (Session, error) { return m.session(), nil })
	r := Run(t.Context(), builtin(t), []Target{{Name: "sql01", Vars: inv.Host("sql01").Vars()}}, d, Options{})[0]
	if r.Status != StatusCompliant {
		t.Fatalf("status %s (%s), want compliant", r.Status, r.Reason)
	}
	for _, c := range r.Checks {
		if strings.HasPrefix(c.ID, "dcom") {
			t.Errorf("dcom_ports=off still enabled check %s", c.ID)
		}
	}
	for _, cmd := range m.batches[0] {
		if strings.Contains(cmd, "name=all") {
			t.Errorf("block_scan=off still read every rule: %q", cmd)
		}
	}
}

// TestVaultValueNamedAtItsLine: a Vault-encrypted inventory value used by
// the playbook is refused by name at its inventory file and line, not
// parsed as a bad address at the playbook's line.
func TestVaultValueNamedAtItsLine(t *testing.T) {
	src := "all:\n  hosts:\n    sql01:\n      sql_version: 2016\n      windows_version: 2019\n      firewall_scope: !vault |\n        $ANSIBLE_VAULT;1.1;AES256\n        6238343734\n"
	inv, err := inventory.Parse("hosts.yml", inventory.FormatYAML, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	dialed := false
	d := dialFunc(func(context.Context, Target) (Session, error) { dialed = true; return nil, errors.New("no") })
	r := Run(t.Context(), builtin(t), []Target{{Name: "sql01", Vars: inv.Host("sql01").Vars()}}, d, Options{})[0]
	if r.Status != StatusError || r.Code != CodeUndefinedVar || !strings.Contains(r.Reason, `var "firewall_scope" (set at hosts.yml:6)`) ||
		!strings.Contains(r.Reason, "Vault") || strings.Contains(r.Reason, "address") {
		t.Errorf("status %s code %s reason %q; want an error naming the Vault value at hosts.yml:6", r.Status, r.Code, r.Reason)
	}
	if dialed {
		t.Error("a host with a Vault value in use was contacted")
	}
}

// TestShellDeletedAfterTheSlotIsFree: with one fork, the second host is
// dialled while the first host's Delete is still running (it holds no fork
// slot), and Run returns only once every Delete has ended. synctest.Wait
// makes "Run has not returned" a fact rather than a race.
func TestShellDeletedAfterTheSlotIsFree(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var dialled []string
		var closed atomic.Int32
		d := dialFunc(func(_ context.Context, tg Target) (Session, error) {
			dialled = append(dialled, tg.Name) // one fork: never concurrent
			m := &miniHost{rules: map[string]string{"RPC (TCP/135)": "LocalSubnet", "SSIS Service": "LocalSubnet"}, elevated: true}
			s := m.session().(fakeSession)
			s.close = func(context.Context) error {
				if tg.Name == "a" {
					<-release // a's Delete hangs until the test lets it go
				}
				closed.Add(1)
				return nil
			}
			return s, nil
		})
		done := make(chan []HostResult, 1)
		go func() {
			done <- Run(t.Context(), builtin(t), []Target{{Name: "a"}, {Name: "b"}}, d, Options{Mode: ModeScan, Forks: 1})
		}()
		synctest.Wait() // everything that can run has run: only a's Delete is left
		if !slices.Equal(dialled, []string{"a", "b"}) {
			t.Fatalf("dialled %v while a's Delete hung, want [a b]", dialled)
		}
		select {
		case <-done:
			t.Fatal("Run returned while a's Delete was still running")
		default:
		}
		close(release)
		rs := <-done
		if n := closed.Load(); n != 2 {
			t.Errorf("%d shells deleted when Run returned, want 2", n)
		}
		for _, r := range rs {
			if r.Status != StatusCompliant {
				t.Errorf("%s: %s (%s)", r.Host, r.Status, r.Reason)
			}
		}
	})
}
