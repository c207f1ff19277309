package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
)

// codedReport is a six-host scan whose hosts carry reason codes: two are
// too open (the code of their failing check), one has a rule missing (the
// host's code), one is unreachable and one timed out (no code: grouped by
// status).
func codedReport() *Report {
	r := sampleReport()
	for i := range r.Hosts {
		h := &r.Hosts[i]
		switch h.Host {
		case "sql03.corp.example":
			h.Checks = append([]Check(nil), h.Checks...)
			h.Checks[1].Code = "too_open"
		case "sql01.corp.example":
			h.Status, h.Reason = StatusNoncompliant, `rule "SSIS Service" is open to ALL, playbook wants subnet`
			h.Checks = append([]Check(nil), h.Checks...)
			h.Checks[1].Status, h.Checks[1].Code = CheckFail, "too_open"
		case "legacy01.corp.example":
			h.Status, h.Code, h.Reason = StatusNoncompliant, "missing", `port opening "RPC (TCP/135)" missing`
			h.Checks = append([]Check(nil), h.Checks...)
			h.Checks[0].Status, h.Checks[0].Code, h.Checks[0].Actual = CheckFail, "missing", "(no port opening)"
		case "sql06.corp.example":
			h.Status, h.Reason, h.Error = StatusCompliant, "all checks pass", ""
		}
	}
	return r
}

// fleetReport is a realistic nightly scan of 320 hosts: most compliant,
// drift with a few reason codes, and hosts that could not be checked.
func fleetReport() *Report {
	start := time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC)
	r := &Report{
		Schema: Schema, RunID: "20261126T020000Z-5eed", Mode: ModeScan, Playbook: "ssis-firewall",
		Inventory: "inventories/prod.yaml", StartedAt: start, FinishedAt: start.Add(4*time.Minute + 2*time.Second),
	}
	const tooOpen = `rule "SSIS Service" is open to ALL (RemoteIP Any); the playbook wants LocalSubnet`
	for i := 1; i <= 320; i++ {
		h := Host{
			Host: fmt.Sprintf("sql%03d.corp.example", i), Address: fmt.Sprintf("10.20.%d.%d", i/250, i%250),
			Status: StatusCompliant, Reason: "all checks pass", WindowsVersion: "10.0.20348", Dialect: "advfirewall",
			DurationMS: int64(900 + i*7%1300),
		}
		switch {
		case i%40 == 7:
			h.Status, h.Reason, h.WindowsVersion, h.Dialect = StatusUnreachable, "connection refused on port 5985: is WinRM listening?", "", ""
			h.Error = fmt.Sprintf("dial tcp %s:5985: connect: connection refused", h.Address)
		case i%64 == 13:
			h.Status, h.Reason, h.WindowsVersion, h.Dialect = StatusAuthFailed, "401 from WinRM: check user and password_env (NTLM)", "", ""
		case i == 97 || i == 211 || i == 305:
			h.Status, h.Reason, h.DurationMS = StatusTimeout, "no answer within the 30s host budget (last step: netsh advfirewall firewall show rule)", 30000
		case i%11 == 3:
			h.Status, h.Reason = StatusNoncompliant, tooOpen
			h.Checks = []Check{{ID: "ssis-service", Name: "SSIS Service", Status: CheckFail, Code: "too_open",
				Expected: "inbound allow MsDtsSrvr.exe scope subnet", Actual: "inbound allow MsDtsSrvr.exe scope ALL"}}
		case i%17 == 5:
			h.Status, h.Code, h.Reason = StatusNoncompliant, "missing", `rule "RPC (TCP/135)" missing: no inbound rule allows TCP 135`
		case i%50 == 21:
			h.Status, h.Code, h.Reason = StatusError, "firewall_stopped", "the Windows Firewall service (MpsSvc) is stopped: netsh cannot read or change rules"
		case i == 150:
			h.Status, h.Code, h.Reason = StatusError, "not_elevated", "the WinRM user is not an administrator: netsh advfirewall needs elevation"
		case i%37 == 0:
			h.Status, h.Code = StatusNoncompliant, "wrong_program"
			h.Reason = `rule "SSIS Service" allows C:\Program Files\Microsoft SQL Server\140\DTS\Binn\MsDtsSrvr.exe; the host runs SSIS 150`
		}
		r.Hosts = append(r.Hosts, h)
	}
	return r
}

func TestGoldenSummaries(t *testing.T) {
	paths := []string{"reports/run.json", "reports/run.csv", "-"}
	for _, tt := range []struct {
		name string
		r    *Report
	}{{"summary-6.txt", codedReport()}, {"summary-320.txt", fleetReport()}} {
		var b bytes.Buffer
		if err := WriteSummary(&b, tt.r, SummaryOptions{Paths: paths}); err != nil {
			t.Fatal(err)
		}
		golden(t, tt.name, b.Bytes())
	}
	var b bytes.Buffer
	if err := WriteSummaryJSON(&b, fleetReport(), SummaryOptions{Paths: paths, Limit: 5, ExitCode: 2}); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary-320.json", b.Bytes())
}

func TestCauseOf(t *testing.T) {
	fail := func(code string) Check { return Check{Status: CheckFail, Code: code} }
	tests := []struct {
		name string
		h    Host
		want string
	}{
		{"host code wins", Host{Status: StatusNoncompliant, Code: "missing", Checks: []Check{fail("too_open")}}, "missing"},
		{"first failing check with a code", Host{Status: StatusNoncompliant, Checks: []Check{{Status: CheckPass, Code: "x"}, fail(""), fail("too_open"), fail("wrong_port")}}, "too_open"},
		{"would_change takes its check's code", Host{Status: StatusWouldChange, Checks: []Check{{Status: CheckWouldChange, Code: "disabled"}}}, "disabled"},
		{"drift without codes", Host{Status: StatusFailed, Checks: []Check{fail("")}}, "failed"},
		{"unchecked without code", Host{Status: StatusUnreachable}, "unreachable"},
		{"unchecked ignores check codes", Host{Status: StatusError, Checks: []Check{fail("too_open")}}, "error"},
		{"unchecked with a code", Host{Status: StatusError, Code: "firewall_stopped"}, "firewall_stopped"},
	}
	for _, tt := range tests {
		if got := CauseOf(tt.h); got != tt.want {
			t.Errorf("%s: CauseOf = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestCausesOrder(t *testing.T) {
	hosts := []Host{
		{Host: "a", Status: StatusUnreachable},
		{Host: "b", Status: StatusNoncompliant, Code: "too_open"},
		{Host: "c", Status: StatusCompliant},
		{Host: "d", Status: StatusUnreachable},
		{Host: "e", Status: StatusNoncompliant, Code: "missing"},
		{Host: "f", Status: StatusNoncompliant, Code: "too_open"},
		{Host: "g", Status: StatusTimeout},
		{Host: "h", Status: StatusError, Code: "firewall_stopped"},
	}
	var got []string
	for _, g := range Causes(hosts) {
		got = append(got, fmt.Sprintf("%s(%s):%s", g.Cause, g.Status, strings.Join(g.Hosts, ",")))
	}
	// Biggest first; on a tie by status as in the details (drift first,
	// then timeout before error), then by name.
	want := "too_open(noncompliant):b,f unreachable(unreachable):a,d missing(noncompliant):e timeout(timeout):g firewall_stopped(error):h"
	if strings.Join(got, " ") != want {
		t.Errorf("Causes =\n %s\nwant\n %s", strings.Join(got, " "), want)
	}
}

func TestNeedsAttentionAndQuiet(t *testing.T) {
	ok := &Report{Mode: ModeApply, Hosts: []Host{{Host: "a", Status: StatusCompliant}, {Host: "b", Status: StatusChanged}}}
	for _, st := range HostStatuses {
		r := &Report{Mode: ModeApply, Hosts: append([]Host{{Host: "x", Status: st}}, ok.Hosts...)}
		want := !st.OK()
		if got := NeedsAttention(r); got != want {
			t.Errorf("NeedsAttention(a %s host among OK ones) = %v, want %v", st, got, want)
		}
		var text, js bytes.Buffer
		if err := WriteSummary(&text, r, SummaryOptions{Quiet: true, Paths: []string{"run.json"}}); err != nil {
			t.Fatal(err)
		}
		if err := WriteSummaryJSON(&js, r, SummaryOptions{Quiet: true}); err != nil {
			t.Fatal(err)
		}
		if printed := text.Len() > 0; printed != want {
			t.Errorf("quiet text summary with a %s host: printed %v, want %v:\n%s", st, printed, want, text.String())
		}
		if printed := js.Len() > 0; printed != want {
			t.Errorf("quiet JSON summary with a %s host: printed %v, want %v", st, printed, want)
		}
	}
	if NeedsAttention(ok) {
		t.Error("NeedsAttention(all OK) = true")
	}
	// Without Quiet the summary is always written.
	var b bytes.Buffer
	if err := WriteSummary(&b, ok, SummaryOptions{}); err != nil || b.Len() == 0 {
		t.Errorf("summary without Quiet on an OK run: %q, %v; want the headline", b.String(), err)
	}
	// Quiet still refuses an invalid report.
	if err := WriteSummary(new(bytes.Buffer), &Report{Mode: "bogus"}, SummaryOptions{Quiet: true}); err == nil {
		t.Error("quiet summary of an invalid report: no error")
	}
}

var sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")

func TestSummaryColor(t *testing.T) {
	var plain, colored bytes.Buffer
	opts := SummaryOptions{Paths: []string{"run.json"}}
	if err := WriteSummary(&plain, fleetReport(), opts); err != nil {
		t.Fatal(err)
	}
	opts.Color = true
	if err := WriteSummary(&colored, fleetReport(), opts); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "\x1b") {
		t.Error("summary without Color has escape sequences")
	}
	for _, want := range []string{"\x1b[32mcompliant\x1b[0m", "\x1b[31mnoncompliant\x1b[0m", "\x1b[33munreachable\x1b[0m", "\x1b[31mtoo_open\x1b[0m", "\x1b[33mfirewall_stopped\x1b[0m"} {
		if !strings.Contains(colored.String(), want) {
			t.Errorf("coloured summary lacks %q:\n%q", want, colored.String())
		}
	}
	// Colour adds escape sequences and nothing else: columns stay aligned.
	if got := sgr.ReplaceAllString(colored.String(), ""); got != plain.String() {
		t.Errorf("coloured summary without its colours differs from the plain one:\n%s\nwant\n%s", got, plain.String())
	}
	// Remote text still cannot inject escapes when colour is on.
	r := &Report{Mode: ModeScan, Hosts: []Host{{Host: "h", Status: StatusError, Reason: "x\x1b[2Jy", Code: "c\x1b]0;t\x07"}}}
	var b bytes.Buffer
	if err := WriteSummary(&b, r, SummaryOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	if rest := sgr.ReplaceAllString(b.String(), ""); strings.ContainsAny(rest, "\x1b\x07") {
		t.Errorf("coloured summary passes host control characters through: %q", b.String())
	}
}

func TestSummaryLimit(t *testing.T) {
	count := func(o SummaryOptions) int {
		var b bytes.Buffer
		if err := WriteSummary(&b, fleetReport(), o); err != nil {
			t.Fatal(err)
		}
		return strings.Count(b.String(), ".corp.example  ") // detail lines only
	}
	attention := len(needingAttention(fleetReport().Hosts))
	for _, tt := range []struct {
		limit, want int
	}{{0, SummaryLimit}, {5, 5}, {-1, attention}, {1000, attention}} {
		if got := count(SummaryOptions{Limit: tt.limit}); got != tt.want {
			t.Errorf("Limit %d: %d detail lines, want %d", tt.limit, got, tt.want)
		}
	}
}

func TestSummaryJSON(t *testing.T) {
	r := fleetReport()
	var b bytes.Buffer
	if err := WriteSummaryJSON(&b, r, SummaryOptions{Paths: []string{"run.json", "-"}, Limit: 2, ExitCode: 130}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(b.String(), "\n"); n != 1 || !strings.HasSuffix(b.String(), "\n") {
		t.Errorf("JSON summary spans %d lines, want one line", n)
	}
	var got struct {
		Time           time.Time      `json:"time"`
		Level          string         `json:"level"`
		Msg            string         `json:"msg"`
		Schema         string         `json:"schema"`
		Hosts          int            `json:"hosts"`
		Summary        map[string]int `json:"summary"`
		NeedsAttention int            `json:"needs_attention"`
		Causes         []struct {
			Cause, Status string
			Count, More   int
			Hosts         []string
		} `json:"causes"`
		Reports  []string `json:"reports"`
		ExitCode int      `json:"exit_code"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("JSON summary does not parse: %v\n%s", err, b.String())
	}
	attention := needingAttention(r.Hosts)
	if got.Schema != SummarySchema || got.Hosts != 320 || got.NeedsAttention != len(attention) || got.ExitCode != 130 || got.Level != "WARN" || got.Msg != "summary" {
		t.Errorf("JSON summary header wrong: %+v", got)
	}
	if !got.Time.Equal(r.FinishedAt) {
		t.Errorf("time = %v, want the run's end %v", got.Time, r.FinishedAt)
	}
	if len(got.Summary) != len(HostStatuses) {
		t.Errorf("summary has %d statuses, want all %d", len(got.Summary), len(HostStatuses))
	}
	total, sum := 0, 0
	for _, c := range got.Causes {
		total += c.Count
		if len(c.Hosts) > 2 || len(c.Hosts)+c.More != c.Count {
			t.Errorf("cause %s: %d hosts listed + %d more, count %d (limit 2)", c.Cause, len(c.Hosts), c.More, c.Count)
		}
	}
	for _, n := range got.Summary {
		sum += n
	}
	if total != len(attention) || sum != 320 {
		t.Errorf("causes count %d hosts, summary %d; want %d and 320", total, sum, len(attention))
	}
	if strings.Join(got.Reports, ",") != "run.json,-" {
		t.Errorf("reports = %q", got.Reports)
	}

	// An all-OK run: level INFO, exit code 0, causes an empty list.
	ok := &Report{Mode: ModeScan, Hosts: []Host{{Host: "a", Status: StatusCompliant}}}
	b.Reset()
	if err := WriteSummaryJSON(&b, ok, SummaryOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"level":"INFO"`, `"causes":[]`, `"reports":[]`, `"exit_code":0`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("OK run's JSON summary %s lacks %s", b.String(), want)
		}
	}
	if strings.Contains(b.String(), `"time"`) {
		t.Errorf("JSON summary of a run without an end time has a time: %s", b.String())
	}
}

// BenchmarkWriteSummary10k: the end summary of a 10,000-host run (the
// 320-host mix repeated), text and JSON.
func BenchmarkWriteSummary10k(b *testing.B) {
	base := fleetReport()
	r := *base
	r.Hosts = nil
	for k := range 32 {
		for _, h := range base.Hosts {
			h.Host = fmt.Sprintf("%s-%02d", h.Host, k)
			r.Hosts = append(r.Hosts, h)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteSummary(io.Discard, &r, SummaryOptions{}); err != nil {
			b.Fatal(err)
		}
		if err := WriteSummaryJSON(io.Discard, &r, SummaryOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
