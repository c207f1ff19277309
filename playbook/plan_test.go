package playbook

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPlanSeedCommands(t *testing.T) {
	// A 2003 host with SQL Server 2008: the plan is the seed document's two
	// commands, byte for byte.
	ts := []Target{{Name: "old01", Vars: testVars(map[string]any{"sql_version": "2008", "windows_version": "2003"})}}
	plans, err := Plan(builtin(t), ts, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`netsh firewall add portopening protocol=TCP port=135 name="RPC (TCP/135)" mode=ENABLE scope=SUBNET`,
		`netsh firewall add allowedprogram program="%ProgramFiles%\Microsoft SQL Server\100\DTS\Binn\MsDtsSrvr.exe" name="SSIS Service" scope=SUBNET`,
	}
	if got := plans[0].Writes; !cmp.Equal(got, want) {
		t.Errorf("Plan writes:\n%s", cmp.Diff(want, got))
	}
	if plans[0].Dialect != "legacy" {
		t.Errorf("dialect = %s, want legacy", plans[0].Dialect)
	}
}

func TestPlan(t *testing.T) {
	tests := []struct {
		name    string
		o       Options
		vars    map[string]any
		dialect string
		writes  []string // substrings, one per write, in order
		notes   int
		err     string
	}{
		{
			name: "advfirewall, scope all, D: root", vars: map[string]any{"sql_version": "130", "windows_version": "10.0.17763", "firewall_scope": "all", "ssis_root": `D:\Program Files\Microsoft SQL Server`},
			dialect: "advfirewall",
			writes:  []string{`add rule name="RPC (TCP/135)" dir=in action=allow protocol=TCP localport=135 remoteip=any`, `program="D:\Program Files\Microsoft SQL Server\130\DTS\Binn\MsDtsSrvr.exe" remoteip=any`},
		},
		{
			name: "address list and dcom", vars: map[string]any{"sql_version": "2019", "dialect": "advfirewall", "firewall_scope": []any{"10.0.0.0/8", "192.168.1.10-192.168.1.20"}, "dcom_ports": "5000-5100"},
			dialect: "advfirewall",
			writes: []string{`remoteip=10.0.0.0/8,192.168.1.10-192.168.1.20`, `150\DTS\Binn\MsDtsSrvr.exe`, `name="SSIS DCOM ports" dir=in action=allow protocol=TCP localport=5000-5100`,
				`reg add "HKLM\SOFTWARE\Microsoft\Rpc\Internet" /v Ports`, `/v PortsInternetAvailable`, `/v UseInternetPorts`},
		},
		{
			name: "flag beats host var", o: Options{Dialect: "legacy"}, vars: map[string]any{"sql_version": "2019", "dialect": "advfirewall"},
			dialect: "legacy", writes: []string{"netsh firewall add portopening", "netsh firewall add allowedprogram"},
		},
		{
			name: "no version, no sql_version", vars: map[string]any{},
			dialect: "advfirewall", writes: []string{`name="RPC (TCP/135)"`}, notes: 2,
		},
		{name: "bad scope", vars: map[string]any{"firewall_scope": "10.0.0.300"}, err: `host h1: builtin:ssis-firewall:28: var "firewall_scope" (set at inventory.yml): scope:`},
		{name: "bad sql_version", vars: map[string]any{"sql_version": "1999"}, err: `var "sql_version"`},
		{name: "bad dialect", vars: map[string]any{"dialect": "iptables"}, err: `var "dialect"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plans, err := Plan(builtin(t), []Target{{Name: "h1", Vars: testVars(tt.vars)}}, tt.o)
			hp := plans[0]
			if tt.err != "" {
				if err == nil || hp.Error == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Plan error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Plan: %v", err)
			}
			if hp.Dialect != tt.dialect {
				t.Errorf("dialect = %s, want %s", hp.Dialect, tt.dialect)
			}
			if len(hp.Writes) != len(tt.writes) {
				t.Fatalf("writes = %q, want %d", hp.Writes, len(tt.writes))
			}
			for i, w := range tt.writes {
				if !strings.Contains(hp.Writes[i], w) {
					t.Errorf("write %d = %q, want it to contain %q", i, hp.Writes[i], w)
				}
			}
			if len(hp.Notes) != tt.notes {
				t.Errorf("notes = %q, want %d", hp.Notes, tt.notes)
			}
			if len(hp.Reads) < 3 || hp.Reads[0] != "ver" {
				t.Errorf("reads = %q", hp.Reads)
			}
		})
	}
}
