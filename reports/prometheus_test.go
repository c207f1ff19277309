package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// promReport is a small run that exercises every metric: a tool, a shard,
// hosts in several groups (one listed twice), check codes, a check with
// no code, an unnamed check, and host names and a check id that need label
// escaping.
func promReport() *Report {
	start := time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC)
	pass := func(id string) Check { return Check{ID: id, Name: id, Status: CheckPass} }
	fail := func(id, code string) Check { return Check{ID: id, Name: id, Status: CheckFail, Code: code} }
	return &Report{
		Schema: Schema, RunID: "r1", Mode: ModeScan, Playbook: "ssis-firewall", Inventory: "prod.ini",
		StartedAt: start, FinishedAt: start.Add(29*time.Second + 500*time.Millisecond),
		Tool:  &Tool{Name: "winfleet", Version: "v1.2.0", Revision: "7380c9422970-dirty"},
		Shard: "2/3",
		Hosts: []Host{
			{Host: "sql02", Status: StatusNoncompliant, Groups: []string{"ssis", "prod", "ssis"},
				Checks: []Check{pass("rpc-tcp-135"), fail("ssis-service", "too_open")}},
			{Host: "sql01", Status: StatusCompliant, Groups: []string{"ssis"},
				Checks: []Check{pass("rpc-tcp-135"), pass("ssis-service")}},
			{Host: `we"ird\host` + "\nx", Status: StatusError, Code: "parse",
				Checks: []Check{{ID: "rpc-tcp-135", Status: CheckError}, fail(`odd "id"`, ""), {Name: "unnamed", Status: CheckSkipped}}},
			{Host: "sql03", Status: StatusUnreachable, Code: "refused"},
			{Host: "sql04", Status: StatusChanged, Groups: []string{"prod"},
				Checks: []Check{{ID: "ssis-service", Status: CheckChanged}, fail("dcom", "missing")}},
		},
	}
}

// promFamily is what the Python client's parser made of one family.
type promFamily struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Help    string `json:"help"`
	Samples []struct {
		Name      string            `json:"name"`
		Labels    map[string]string `json:"labels"`
		Value     float64           `json:"value"`
		Timestamp *float64          `json:"timestamp"`
	} `json:"samples"`
}

// pythonPromParser returns a python3 that can import Debian's
// prometheus_client parser. Outside CI it skips the test when there is
// none; under CI (CI set, .ci/run installs python3-prometheus-client) a
// missing parser fails, so it can never pass as a skip.
func pythonPromParser(t *testing.T) string {
	t.Helper()
	for _, py := range []string{os.Getenv("WINFLEET_PYTHON"), "/usr/bin/python3", "python3"} {
		if py != "" && exec.Command(py, "-c", "import prometheus_client.parser").Run() == nil {
			return py
		}
	}
	const msg = "no python3 can import prometheus_client.parser: install Debian's python3-prometheus-client (apt-get install -y python3-prometheus-client), or set WINFLEET_PYTHON"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// parseProm parses a file with the official Python client's parser.
func parseProm(t *testing.T, path string) []promFamily {
	t.Helper()
	py := pythonPromParser(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, filepath.Join("testdata", "promparse.py"), path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the Prometheus text parser refused %s: %v\n%s", path, err, stderr.String())
	}
	var doc struct {
		Families []promFamily `json:"families"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("promparse.py output: %v\n%s", err, out)
	}
	return doc.Families
}

// flatten turns parsed families into "name{k=v,...} value" lines, labels
// sorted by name, for comparison.
func flatten(fams []promFamily) map[string][]string {
	out := map[string][]string{}
	for _, f := range fams {
		for _, s := range f.Samples {
			var ls []string
			for k, v := range s.Labels {
				ls = append(ls, fmt.Sprintf("%s=%q", k, v))
			}
			slices.Sort(ls)
			out[f.Name] = append(out[f.Name], fmt.Sprintf("%s{%s} %g", s.Name, strings.Join(ls, ","), s.Value))
		}
	}
	return out
}

func TestPrometheusParses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "winfleet.prom")
	if err := WriteFile(path, promReport(), "prometheus", WriteOptions{ExitCode: exitOf(promReport())}); err != nil {
		t.Fatal(err)
	}
	fams := parseProm(t, path)

	// Every documented family, once, in order, as a gauge with its HELP.
	var names []string
	for _, f := range fams {
		names = append(names, f.Name)
		if f.Type != "gauge" {
			t.Errorf("%s: type %q, want gauge", f.Name, f.Type)
		}
		for _, s := range f.Samples {
			if s.Timestamp != nil {
				t.Errorf("%s: sample with a timestamp (the textfile collector refuses them)", f.Name)
			}
		}
	}
	var want []string
	for _, m := range PrometheusMetrics() {
		want = append(want, m.Name)
		i := slices.IndexFunc(fams, func(f promFamily) bool { return f.Name == m.Name })
		if i >= 0 && fams[i].Help != m.Help {
			t.Errorf("%s: HELP %q, want %q", m.Name, fams[i].Help, m.Help)
		}
	}
	if d := cmp.Diff(want, names); d != "" {
		t.Errorf("families (-want +got):\n%s", d)
	}

	got := flatten(fams)
	wantSamples := map[string][]string{
		"winfleet_build_info": {`winfleet_build_info{revision="7380c9422970-dirty",version="v1.2.0"} 1`},
		"winfleet_run_info":   {`winfleet_run_info{mode="scan",playbook="ssis-firewall",shard="2/3"} 1`},
		"winfleet_hosts": {
			`winfleet_hosts{status="auth_failed"} 0`, `winfleet_hosts{status="cancelled"} 0`,
			`winfleet_hosts{status="changed"} 1`, `winfleet_hosts{status="compliant"} 1`,
			`winfleet_hosts{status="error"} 1`, `winfleet_hosts{status="failed"} 0`,
			`winfleet_hosts{status="noncompliant"} 1`, `winfleet_hosts{status="skipped"} 0`,
			`winfleet_hosts{status="timeout"} 0`, `winfleet_hosts{status="unreachable"} 1`,
			`winfleet_hosts{status="would_change"} 0`,
		},
		"winfleet_checks_failing": {
			`winfleet_checks_failing{check="dcom"} 1`,
			`winfleet_checks_failing{check="odd \"id\""} 1`,
			`winfleet_checks_failing{check="rpc-tcp-135"} 1`,
			`winfleet_checks_failing{check="ssis-service"} 1`,
			`winfleet_checks_failing{check="unnamed"} 0`,
		},
		"winfleet_checks_failing_by_code": {
			`winfleet_checks_failing_by_code{code="missing"} 1`,
			`winfleet_checks_failing_by_code{code="none"} 2`,
			`winfleet_checks_failing_by_code{code="too_open"} 1`,
		},
		"winfleet_host_compliant": {
			`winfleet_host_compliant{group="",host="sql03"} 0`,
			`winfleet_host_compliant{group="",host="we\"ird\\host\nx"} 0`,
			`winfleet_host_compliant{group="prod",host="sql02"} 0`,
			`winfleet_host_compliant{group="prod",host="sql04"} 1`,
			`winfleet_host_compliant{group="ssis",host="sql01"} 1`,
			`winfleet_host_compliant{group="ssis",host="sql02"} 0`,
		},
		"winfleet_run_duration_seconds":       {`winfleet_run_duration_seconds{} 29.5`},
		"winfleet_last_run_timestamp_seconds": {`winfleet_last_run_timestamp_seconds{} 1.7956584295e+09`},
		"winfleet_last_run_exit_code":         {`winfleet_last_run_exit_code{} 2`},
		"winfleet_last_run_success":           {`winfleet_last_run_success{} 0`},
	}
	for name := range got {
		slices.Sort(got[name])
	}
	for name := range wantSamples {
		slices.Sort(wantSamples[name])
	}
	if d := cmp.Diff(wantSamples, got); d != "" {
		t.Errorf("samples as parsed (-want +got):\n%s", d)
	}
}

// TestPrometheusExitCodes checks success and exit code for each outcome,
// through the parser.
func TestPrometheusExitCodes(t *testing.T) {
	tests := []struct {
		statuses    []HostStatus
		code        string
		success     string
		timestampOK bool
	}{
		{[]HostStatus{StatusCompliant, StatusChanged}, "0", "1", true},
		{[]HostStatus{StatusCompliant, StatusTimeout}, "3", "0", true},
		{[]HostStatus{StatusUnreachable, StatusWouldChange}, "2", "0", true},
		{nil, "0", "1", false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.statuses), func(t *testing.T) {
			r := &Report{Mode: ModeScan}
			if tt.timestampOK {
				r.StartedAt = time.Unix(1795125800, 0)
			}
			for i, s := range tt.statuses {
				r.Hosts = append(r.Hosts, Host{Host: fmt.Sprintf("h%d", i), Status: s})
			}
			path := filepath.Join(t.TempDir(), "w.prom")
			if err := WriteFile(path, r, "prometheus", WriteOptions{ExitCode: exitOf(r)}); err != nil {
				t.Fatal(err)
			}
			got := flatten(parseProm(t, path))
			if g := got["winfleet_last_run_exit_code"]; len(g) != 1 || g[0] != "winfleet_last_run_exit_code{} "+tt.code {
				t.Errorf("exit code = %v, want %s", g, tt.code)
			}
			if g := got["winfleet_last_run_success"]; len(g) != 1 || g[0] != "winfleet_last_run_success{} "+tt.success {
				t.Errorf("success = %v, want %s", g, tt.success)
			}
			wantTS := "winfleet_last_run_timestamp_seconds{} 0"
			if tt.timestampOK {
				wantTS = "winfleet_last_run_timestamp_seconds{} 1.7951258e+09" // the start: no finish time
			}
			if g := got["winfleet_last_run_timestamp_seconds"]; len(g) != 1 || g[0] != wantTS {
				t.Errorf("timestamp = %v, want %s", g, wantTS)
			}
			if g := got["winfleet_run_duration_seconds"]; len(g) != 1 || g[0] != "winfleet_run_duration_seconds{} 0" {
				t.Errorf("duration = %v, want 0 (finish unknown)", g)
			}
		})
	}
}

// TestPrometheusStable: the same run gives the same bytes whatever order
// hosts, groups and checks come in, and no series appears twice (the
// Python parser would accept a duplicate; Prometheus and node_exporter do
// not).
func TestPrometheusStable(t *testing.T) {
	a := promReport()
	b := promReport()
	slices.Reverse(b.Hosts)
	for i := range b.Hosts {
		slices.Reverse(b.Hosts[i].Groups)
		slices.Reverse(b.Hosts[i].Checks)
	}
	var wa, wb bytes.Buffer
	if err := WritePrometheus(&wa, a, WriteOptions{ExitCode: exitOf(a)}); err != nil {
		t.Fatal(err)
	}
	if err := WritePrometheus(&wb, b, WriteOptions{ExitCode: exitOf(b)}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(wa.Bytes(), wb.Bytes()) {
		t.Errorf("output depends on input order:\n%s\n---\n%s", wa.String(), wb.String())
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(wa.String()), "\n") {
		if strings.HasPrefix(line, "#") {
			if seen[line] {
				t.Errorf("comment line twice: %s", line)
			}
			seen[line] = true
			continue
		}
		series := line[:strings.LastIndexByte(line, ' ')]
		if seen[series] {
			t.Errorf("series twice: %s", series)
		}
		seen[series] = true
	}
}

func TestPrometheusEscaping(t *testing.T) {
	tests := []struct{ in, label, help string }{
		{`plain`, `plain`, `plain`},
		{`a"b`, `a\"b`, `a"b`},
		{`a\b`, `a\\b`, `a\\b`},
		{"a\nb", `a\nb`, `a\nb`},
		{"a\\\"\n", `a\\\"\n`, `a\\"\n`},
	}
	for _, tt := range tests {
		if got := promEscapeLabel(tt.in); got != tt.label {
			t.Errorf("promEscapeLabel(%q) = %q, want %q", tt.in, got, tt.label)
		}
		if got := promEscapeHelp(tt.in); got != tt.help {
			t.Errorf("promEscapeHelp(%q) = %q, want %q", tt.in, got, tt.help)
		}
	}
}

// TestPrometheusMetricsDocumented holds reports/README.md's metric table
// and PrometheusMetrics in step: every metric written is documented with
// its labels, and every documented metric is written.
func TestPrometheusMetricsDocumented(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `(winfleet_[a-z_]+)(?:\\{([a-z_, ]*)\\})?` \\|")
	documented := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(string(readme), -1) {
		documented[m[1]] = m[2]
	}
	for _, m := range PrometheusMetrics() {
		labels, ok := documented[m.Name]
		if !ok {
			t.Errorf("reports/README.md does not document %s", m.Name)
			continue
		}
		if want := strings.Join(m.Labels, ", "); labels != want {
			t.Errorf("reports/README.md: %s labels {%s}, written {%s}", m.Name, labels, want)
		}
		delete(documented, m.Name)
	}
	for name := range documented {
		t.Errorf("reports/README.md documents %s, which is not written", name)
	}
}
