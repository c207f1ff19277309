package reports

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/winfleet/winfleet/playbook"
)

func TestFromRun(t *testing.T) {
	start := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	results := []playbook.HostResult{
		{
			Host: "sql01", Address: "10.0.0.1", Groups: []string{"prod"}, Status: playbook.StatusChanged, Reason: "changed: rpc-135: missing",
			WindowsVersion: "Windows Server 2019 (10.0.17763)", Dialect: "advfirewall", Duration: 1500 * time.Millisecond,
			Checks: []playbook.CheckResult{{
				ID: "rpc-135", Name: "RPC (TCP/135)", Status: playbook.CheckChanged, Expected: "e", Actual: "a", Before: "absent",
				Commands: []string{"show", "add", "show"}, Output: "out",
				Writes: []playbook.Write{{Command: "add", State: playbook.WriteAnswered, ExitCode: 0, Output: "Ok.\r\n"}},
			}},
		},
		{
			Host: "sql02", Status: playbook.StatusError, Code: playbook.CodeUnrecognizedOutput, Reason: "r",
			Err: errors.Join(errors.New("a: one"), errors.New("b: two")), Checks: []playbook.CheckResult{},
		},
	}
	got := FromRun(Run{RunID: "r1", Mode: playbook.ModeApply, Playbook: "ssis-firewall", Inventory: "hosts.ini",
		StartedAt: start, FinishedAt: start.Add(time.Minute), Tool: &Tool{Name: "winfleet", Version: "v1"}}, results)
	want := &Report{
		Schema: Schema, RunID: "r1", Mode: ModeApply, Playbook: "ssis-firewall", Inventory: "hosts.ini",
		StartedAt: start, FinishedAt: start.Add(time.Minute), Tool: &Tool{Name: "winfleet", Version: "v1"},
		Summary: summarize([]Host{{Status: StatusChanged}, {Status: StatusError}}),
		Hosts: []Host{
			{Host: "sql01", Address: "10.0.0.1", Groups: []string{"prod"}, Status: StatusChanged, Reason: "changed: rpc-135: missing",
				WindowsVersion: "Windows Server 2019 (10.0.17763)", Dialect: "advfirewall", DurationMS: 1500,
				Checks: []Check{{ID: "rpc-135", Name: "RPC (TCP/135)", Status: CheckChanged, Expected: "e", Actual: "a", Before: "absent",
					Commands: []string{"show", "add", "show"}, Output: "out",
					Writes: []WriteRecord{{Command: "add", State: WriteAnswered, Output: "Ok.\r\n"}}}}},
			{Host: "sql02", Status: StatusError, Code: "unrecognized_output", Reason: "r", Error: "a: one; b: two", Checks: []Check{}},
		},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("FromRun (-want +got):\n%s", d)
	}
	if err := Validate(got); err != nil {
		t.Errorf("FromRun made an invalid report: %v", err)
	}
}

// TestStatusesAgree: the wire statuses are exactly the playbook's, in the
// same order, so the conversion never invents or drops one.
func TestStatusesAgree(t *testing.T) {
	ps := playbook.Statuses()
	if len(ps) != len(HostStatuses) {
		t.Fatalf("%d playbook statuses, %d report statuses", len(ps), len(HostStatuses))
	}
	for i, s := range ps {
		if string(s) != string(HostStatuses[i]) {
			t.Errorf("status %d: playbook %q, report %q", i, s, HostStatuses[i])
		}
	}
}
