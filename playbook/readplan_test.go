package playbook

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/winfleet/winfleet/playbook/netsh"
)

// TestExpandMemo: a host planned again with its memo gets the same checks as
// without one, for each stage of what it knows, and the memo is used.
func TestExpandMemo(t *testing.T) {
	pb := builtin(t)
	for _, hv := range []map[string]any{
		{"firewall_scope": "10.0.0.0/8,192.168.1.5"},                  // dcom-ports and dcom-registry off
		{"firewall_scope": "all", "dcom_ports": "5000-5020"},          // three items without each: ssis
		{"firewall_scope": "all", "dcom_ports": "5000-5020,notaport"}, // unresolved ones
	} {
		testExpandMemo(t, pb, hostVars(pb, Target{Name: "sql01", Vars: testVars(hv)}))
	}
}

func testExpandMemo(t *testing.T, pb *Playbook, v vars) {
	t.Helper()
	sv140, _ := netsh.LookupSSIS("140")
	sv150, _ := netsh.LookupSSIS("150")
	read := installsOf(sv140, sv150)
	read[0].program, read[0].source = `D:\SSIS\MsDtsSrvr.exe`, `sc qc "MsDtsServer140"`
	memo := map[int]check{}
	for _, st := range []struct {
		name       string
		installs   []ssisInstall
		discovered bool
	}{
		{"before connecting", nil, false},
		{"after discovery", installsOf(sv140, sv150), true},
		{"after sc qc", read, true},
		{"nothing installed", nil, true},
	} {
		want, werr := expand(pb, v, st.installs, st.discovered, true, nil)
		got, gerr := expand(pb, v, st.installs, st.discovered, true, memo)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%s: error %v with the memo, %v without", st.name, gerr, werr)
		}
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(ruleCheck{}, registryCheck{}, serviceCheck{}, unresolved{}, item{}, netsh.Desired{}, netsh.Scope{}, netsh.PortRange{}, netsh.RegistryWant{}), cmp.Comparer(func(a, b error) bool { return (a == nil) == (b == nil) && (a == nil || a.Error() == b.Error()) })); diff != "" {
			t.Errorf("%v, %s: checks with the memo differ (-without +with):\n%s", v.layers[0], st.name, diff)
		}
	}
	if len(memo) == 0 {
		t.Error("the memo was never filled: every plan resolved every item again")
	}
}
