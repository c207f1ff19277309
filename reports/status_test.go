package reports

import (
	"errors"
	"strings"
	"testing"

	"github.com/winfleet/winfleet/playbook"

	"github.com/google/go-cmp/cmp"
)

func hostsWith(statuses ...HostStatus) *Report {
	r := &Report{Mode: ModeScan}
	for i, s := range statuses {
		r.Hosts = append(r.Hosts, Host{Host: string(rune('a'+i)) + ".example", Status: s})
	}
	return r
}

func TestOutcome(t *testing.T) {
	tests := []struct {
		name  string
		hosts []HostStatus
		want  playbook.Outcome
	}{
		{"no hosts", nil, playbook.OutcomeOK},
		{"all compliant", []HostStatus{StatusCompliant, StatusCompliant}, playbook.OutcomeOK},
		{"apply converged", []HostStatus{StatusChanged, StatusCompliant}, playbook.OutcomeOK},
		{"one noncompliant", []HostStatus{StatusCompliant, StatusNoncompliant}, playbook.OutcomeDrift},
		{"one failed", []HostStatus{StatusChanged, StatusFailed}, playbook.OutcomeDrift},
		{"check would change", []HostStatus{StatusWouldChange, StatusCompliant}, playbook.OutcomeDrift},
		{"unreachable only", []HostStatus{StatusCompliant, StatusUnreachable}, playbook.OutcomeUnchecked},
		{"auth failed", []HostStatus{StatusAuthFailed}, playbook.OutcomeUnchecked},
		{"timeout", []HostStatus{StatusCompliant, StatusTimeout}, playbook.OutcomeUnchecked},
		{"error", []HostStatus{StatusError, StatusChanged}, playbook.OutcomeUnchecked},
		{"skipped by max-fail", []HostStatus{StatusCompliant, StatusSkipped}, playbook.OutcomeUnchecked},
		{"cancelled", []HostStatus{StatusCancelled, StatusCompliant}, playbook.OutcomeUnchecked},
		{"drift wins over unreachable, drift last", []HostStatus{StatusUnreachable, StatusNoncompliant}, playbook.OutcomeDrift},
		{"drift wins over unreachable, drift first", []HostStatus{StatusFailed, StatusTimeout}, playbook.OutcomeDrift},
		{"drift wins over skipped", []HostStatus{StatusSkipped, StatusSkipped, StatusFailed}, playbook.OutcomeDrift},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Outcome(hostsWith(tt.hosts...)); got != tt.want {
				t.Errorf("Outcome(%v) = %d, want %d", tt.hosts, got, tt.want)
			}
		})
	}
}

// TestStatusClasses checks that every host status is in exactly one of the
// classes OK, Drift, Unchecked, so no status can fall through Outcome.
func TestStatusClasses(t *testing.T) {
	for _, s := range HostStatuses {
		n := 0
		for _, in := range []bool{s.OK(), s.Drift(), s.Unchecked()} {
			if in {
				n++
			}
		}
		if n != 1 {
			t.Errorf("status %q is in %d classes, want 1", s, n)
		}
		if !s.Valid() {
			t.Errorf("%q.Valid() = false", s)
		}
	}
	if HostStatus("ok").Valid() || CheckStatus("passed").Valid() || Mode("deploy").Valid() {
		t.Error("unknown values reported valid")
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		r    *Report
		want []string // substrings, one per expected problem; nil means valid
	}{
		{"sample", sampleReport(), nil},
		{"empty scan", &Report{Mode: ModeScan}, nil},
		{"nil", nil, []string{"nil report"}},
		{"no mode", &Report{}, []string{`mode ""`}},
		{"wrong schema", &Report{Schema: "winfleet.report/v0", Mode: ModeScan}, []string{`schema "winfleet.report/v0"`}},
		{"bad statuses and duplicates", &Report{Mode: ModeApply, Hosts: []Host{
			{Host: "a", Status: "ok"},
			{Host: "a", Status: StatusCompliant},
			{Host: "", Status: StatusCompliant, DurationMS: -5},
			{Host: "b", Status: StatusFailed, Checks: []Check{{ID: "rpc", Status: "bad"}, {Status: "worse"}}},
		}}, []string{
			`host "a": unknown status "ok"`,
			`host "a" appears twice (hosts[0] and hosts[1])`,
			`hosts[2]: empty host name`,
			`host "hosts[2]": negative duration_ms -5`,
			`host "b" check "rpc": unknown status "bad"`,
			`host "b" check "checks[1]": unknown status "worse"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.r)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate = nil, want errors %q", tt.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Validate error does not wrap ErrInvalid: %v", err)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Errorf("Validate gave %d problems, want %d:\n%v", len(lines), len(tt.want), err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	r := hostsWith(StatusCompliant, StatusCompliant, StatusTimeout, StatusWouldChange)
	r.Summary = map[HostStatus]int{StatusFailed: 7}
	Summarize(r)
	want := map[HostStatus]int{}
	for _, s := range HostStatuses {
		want[s] = 0
	}
	want[StatusCompliant], want[StatusTimeout], want[StatusWouldChange] = 2, 1, 1
	if d := cmp.Diff(want, r.Summary); d != "" {
		t.Errorf("Summarize (-want +got):\n%s", d)
	}
}

func TestWritersValidateAndDoNotModifyInput(t *testing.T) {
	bad := sampleReport()
	bad.Hosts[0].Status = "green"
	for _, f := range Formats() {
		t.Run(f, func(t *testing.T) {
			r := sampleReport()
			before := sampleReport()
			var b strings.Builder
			if err := Write(&b, r, f, WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(before, r); d != "" {
				t.Errorf("Write(%s) modified the report (-before +after):\n%s", f, d)
			}
			b.Reset()
			err := Write(&b, bad, f, WriteOptions{})
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Write(%s, invalid report) = %v, want ErrInvalid", f, err)
			}
			if b.Len() != 0 {
				t.Errorf("Write(%s, invalid report) wrote %d bytes, want none", f, b.Len())
			}
		})
	}
	if err := WriteSummary(new(strings.Builder), bad, SummaryOptions{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("WriteSummary(invalid) = %v, want ErrInvalid", err)
	}
}
