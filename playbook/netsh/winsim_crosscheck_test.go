//go:build crosscheck

// This file cross-checks the package against the independent host simulator
// (lab/winsim): every Windows version and dialect converges, and
// the simulator's faults map to the typed errors. It is opt-in
// (go test -tags crosscheck ./playbook/netsh/) so that this package's default
// tests do not depend on the emulator.

package netsh

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/winfleet/winfleet/lab/winsim"
)

func simRun(t *testing.T, h *winsim.Host, cmd string) Output {
	var o, e bytes.Buffer
	rc := h.Exec(context.Background(), cmd, &o, &e)
	return Output{Command: cmd, Stdout: Decode(o.Bytes()), Stderr: Decode(e.Bytes()), ExitCode: rc}
}

func TestCrossWinsim(t *testing.T) {
	for _, v := range winsim.Versions() {
		for _, d := range []Dialect{Legacy, Advfirewall} {
			if d == Advfirewall && !v.HasAdvfirewall() {
				continue
			}
			for _, scan := range []bool{false, true} {
				h := winsim.MustNew(winsim.Config{Version: v, Domain: "CORP", SSIS: []winsim.SSIS{{Version: 130, Root: `D:\Program Files\Microsoft SQL Server`}}})
				ver, err := ParseVer(simRun(t, h, "ver"))
				if err != nil {
					t.Fatalf("%v ver: %v", v, err)
				}
				qc, err := ParseScQc(simRun(t, h, "sc qc MsDtsServer130"))
				if err != nil {
					t.Fatal(err)
				}
				opts := Options{Dialect: d, Env: map[string]string{"ProgramFiles": `C:\Program Files`}, BlockScan: scan}
				for _, want := range []Desired{rpcRule(), ssisRule(qc.Executable), {Name: "RPC (TCP/135)", Kind: KindPort, Ports: Port(135), Scope: Scope{Kind: ScopeAll}}} {
					for round := 0; round < 3; round++ {
						rc, _ := ReadCommand(want, opts)
						rules, err := ParseShow(d, simRun(t, h, rc))
						if err != nil {
							t.Fatalf("%s %s %s: read: %v", ver.ProductName(), d, want.Name, err)
						}
						res, err := Evaluate(want, rules, opts)
						if err != nil {
							t.Fatalf("%s %s: evaluate: %v", ver.ProductName(), d, err)
						}
						if res.Compliant {
							break
						}
						if round == 2 {
							t.Errorf("%s %s scan=%v %s: not converged: %s / %s", ver.ProductName(), d, scan, want.Name, res.Reason, res.Actual)
						}
						for _, c := range res.Commands {
							o := simRun(t, h, c)
							if _, err := ParseChange(o); err != nil {
								t.Errorf("%s: %s: %v %q", ver.ProductName(), c, err, o.Stdout)
							}
						}
					}
				}
			}
		}
	}
}

func TestCrossWinsimFaults(t *testing.T) {
	de := winsim.MustNew(winsim.Config{Version: winsim.Win2019, Faults: winsim.Faults{Language: "de-DE", OEMCodePage: 850}})
	for _, c := range []string{`netsh advfirewall firewall show rule name="RPC (TCP/135)" verbose`, "netsh advfirewall firewall show rule name=all dir=in verbose"} {
		o := simRun(t, de, c)
		_, err := ParseAdvfirewall(o)
		if !errors.As(err, new(*UnrecognizedError)) {
			t.Errorf("german %s: %v %q", c, err, o.Stdout)
		}
	}
	var o Output
	st := winsim.MustNew(winsim.Config{Version: winsim.Win2019, Faults: winsim.Faults{FirewallStopped: true}})
	if _, err := ParseAdvfirewall(simRun(t, st, `netsh advfirewall firewall show rule name="x" verbose`)); !errors.Is(err, ErrFirewallStopped) {
		t.Errorf("stopped: %v", err)
	}
	if _, err := ParseLegacy(simRun(t, st, `netsh firewall show portopening verbose=ENABLE`)); !errors.Is(err, ErrFirewallStopped) {
		t.Errorf("stopped legacy: %v", err)
	}
	ne := winsim.MustNew(winsim.Config{Version: winsim.Win2019, Faults: winsim.Faults{NotElevated: true}})
	c, _ := AddCommand(rpcRule(), Options{Dialect: Advfirewall})
	if _, err := ParseChange(simRun(t, ne, c)); !errors.Is(err, ErrNotElevated) {
		t.Errorf("not elevated: %v", err)
	}
	c, _ = AddCommand(rpcRule(), Options{Dialect: Legacy})
	o = simRun(t, ne, c)
	if _, err := ParseChange(o); !errors.Is(err, ErrNotElevated) {
		t.Errorf("not elevated legacy: %v %q", err, o.Stdout)
	}
	if ok, err := ParseNetSession(simRun(t, ne, "net session")); ok || err != nil {
		t.Errorf("net session not elevated: %v %v", ok, err)
	}
	if ok, err := ParseNetSession(simRun(t, st, "net session")); !ok || err != nil {
		t.Errorf("net session elevated: %v %v", ok, err)
	}
	h := winsim.MustNew(winsim.Config{Version: winsim.Win2012, SSIS: []winsim.SSIS{{Version: 110}}, ScTrailingBlanks: true})
	if l, err := ParseScList(simRun(t, h, ScListCommand)); err != nil || len(l) < 2 {
		t.Errorf("sc list: %v %v", l, err)
	}
	if s, err := ParseScQuery(simRun(t, h, "sc query MsDtsServer110")); err != nil || !s.Running() {
		t.Errorf("sc query: %+v %v", s, err)
	}
	if s, err := ParseScQuery(simRun(t, h, "sc query MsDtsServer130")); err != nil || s.Installed {
		t.Errorf("sc query missing: %+v %v", s, err)
	}
	q, _ := RegQueryCommand(RPCInternetKey)
	if k, err := ParseRegQuery(simRun(t, h, q)); err != nil || k.Exists {
		t.Errorf("reg missing: %+v %v", k, err)
	}
	res, _ := EvaluateRegistry(RegistryWant{Key: RPCInternetKey, Values: DCOMValues(PortRange{5000, 5100})}, RegKey{})
	for _, c := range res.Commands {
		if _, err := ParseChange(simRun(t, h, c)); err != nil {
			t.Errorf("%s: %v", c, err)
		}
	}
	k, err := ParseRegQuery(simRun(t, h, q))
	res, _ = EvaluateRegistry(RegistryWant{Key: RPCInternetKey, Values: DCOMValues(PortRange{5000, 5100})}, k)
	if err != nil || !res.Compliant {
		t.Errorf("reg after add: %+v %v %+v", k, err, res)
	}
}

func TestCrossDrift(t *testing.T) {
	p := `C:\Program Files\Microsoft SQL Server\130\DTS\Binn\MsDtsSrvr.exe`
	cases := []struct {
		name  string
		v     winsim.Version
		d     Dialect
		rules []winsim.Rule
		want  Desired
	}{
		{"legacy profiles disagree", winsim.Win2003, Legacy, []winsim.Rule{
			{Name: "RPC (TCP/135)", Enabled: true, Protocol: "TCP", LocalPort: "135", RemoteIP: []string{"LocalSubnet"}, Profiles: winsim.Domain},
			{Name: "RPC (TCP/135)", Enabled: false, Protocol: "TCP", LocalPort: "135", Profiles: winsim.Private},
		}, rpcRule()},
		{"adv dup disagree", winsim.Win2019, Advfirewall, []winsim.Rule{
			{Name: "RPC (TCP/135)", Enabled: true, Protocol: "TCP", LocalPort: "135", RemoteIP: []string{"LocalSubnet"}},
			{Name: "RPC (TCP/135)", Enabled: true, Protocol: "TCP", LocalPort: "135"},
			{Name: "RPC (TCP/135)", Enabled: true, Dir: "Out", Protocol: "TCP", LocalPort: "135"},
		}, rpcRule()},
		{"adv wrong program", winsim.Win2016, Advfirewall, []winsim.Rule{
			{Name: "SSIS Service", Enabled: false, Program: `C:\Program Files\Microsoft SQL Server\100\DTS\Binn\MsDtsSrvr.exe`, RemoteIP: []string{"10.0.0.0/8"}},
		}, ssisRule(p)},
		{"legacy wrong program 2012", winsim.Win2012, Legacy, []winsim.Rule{
			{Name: "SSIS Service", Enabled: true, Program: `C:\Program Files\Microsoft SQL Server\100\DTS\Binn\MsDtsSrvr.exe`, RemoteIP: []string{"LocalSubnet"}},
		}, ssisRule(p)},
	}
	for _, tc := range cases {
		h := winsim.MustNew(winsim.Config{Version: tc.v, Domain: "CORP", SSIS: []winsim.SSIS{{Version: 130}, {Version: 100}}, Rules: tc.rules})
		opts := Options{Dialect: tc.d, Env: DefaultEnv()}
		for round := 0; ; round++ {
			rc, _ := ReadCommand(tc.want, opts)
			rules, err := ParseShow(tc.d, simRun(t, h, rc))
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			res, err := Evaluate(tc.want, rules, opts)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			t.Logf("%s round %d: %s | %s -> %q", tc.name, round, res.Reason, res.Actual, res.Commands)
			if res.Compliant {
				break
			}
			if round == 2 {
				t.Errorf("%s: not converged", tc.name)
				break
			}
			for _, c := range res.Commands {
				o := simRun(t, h, c)
				if _, err := ParseChange(o); err != nil {
					t.Errorf("%s: %v", c, err)
				}
			}
		}
	}
}

// TestCrossWinsimServiceSearch: the SSIS search and the service list as the
// simulator answers them, on every version: Vista+ hosts give every SSIS
// service's program (an install on D: included) and its state; 2003's
// reg.exe refuses the search, which the parser does not trust.
func TestCrossWinsimServiceSearch(t *testing.T) {
	d110 := winsim.SSIS{Version: 110, Root: `D:\Program Files\Microsoft SQL Server`, Stopped: true}
	s150 := winsim.SSIS{Version: 150}
	for _, v := range winsim.Versions() {
		h := winsim.MustNew(winsim.Config{Version: v, SSIS: []winsim.SSIS{s150, d110}})
		found, err := ParseServiceSearch(simRun(t, h, SSISSearchCommand))
		if !v.HasAdvfirewall() {
			if !errors.As(err, new(*UnrecognizedError)) {
				t.Errorf("%s: search = %+v, %v; want unrecognized (reg.exe 3.0)", v, found, err)
			}
			continue
		}
		want := []ServiceImage{
			{Service: "MsDtsServer110", ImagePath: `"` + d110.Program() + `"`, Executable: d110.Program()},
			{Service: "MsDtsServer150", ImagePath: `"` + s150.Program() + `"`, Executable: s150.Program()},
		}
		if err != nil || !cmp.Equal(found, want) {
			t.Errorf("%s: search = %+v, %v; want %+v", v, found, err, want)
		}
		none, err := ParseServiceSearch(simRun(t, winsim.MustNew(winsim.Config{Version: v}), SSISSearchCommand))
		if err != nil || len(none) != 0 {
			t.Errorf("%s without SSIS: search = %+v, %v; want none", v, none, err)
		}
		list, err := ParseScList(simRun(t, h, ScListCommand))
		states := map[string]string{}
		for _, e := range list {
			states[e.Name] = e.StateName
		}
		if err != nil || states["MsDtsServer150"] != "RUNNING" || states["MsDtsServer110"] != "STOPPED" {
			t.Errorf("%s: list states %v, %v; want MsDtsServer150 RUNNING, MsDtsServer110 STOPPED", v, states, err)
		}
	}
}
