package reports

import (
	"bytes"
	"testing"
	"time"

	"github.com/winfleet/winfleet/playbook"
)

// yesterdayReport is the run before sampleReport, for the diff goldens.
func yesterdayReport() *Report {
	r := sampleReport()
	r.RunID = "20261125T020000Z-11aa"
	r.StartedAt = r.StartedAt.Add(-24 * time.Hour)
	r.FinishedAt = r.FinishedAt.Add(-24 * time.Hour)
	byName := map[string]Host{}
	for _, h := range r.Hosts {
		byName[h.Host] = copyHost(h)
	}
	sql01 := byName["sql01.corp.example"]
	sql03 := byName["sql03.corp.example"]
	sql03.Status, sql03.Reason = StatusCompliant, "all checks pass"
	sql03.Checks = copyHost(sql01).Checks
	sql02 := copyHost(sql01)
	sql02.Host, sql02.Address = "sql02.corp.example", "127.0.0.2"
	sql04 := copyHost(sql03)
	sql04.Host, sql04.Address, sql04.Status = "sql04.corp.example", "127.0.0.4", StatusNoncompliant
	sql04.Checks[1].Status, sql04.Checks[1].Actual = CheckFail, "(no rule)"
	sql05 := copyHost(sql01)
	sql05.Host, sql05.Address = "sql05.corp.example", "127.0.0.7"
	legacy := byName["legacy01.corp.example"]
	legacy.Status, legacy.Reason = StatusNoncompliant, "RPC (TCP/135) not open"
	legacy.Checks[0].Status, legacy.Checks[0].Actual = CheckFail, "(no port opening)"
	r.Hosts = []Host{sql01, sql02, sql03, sql04, sql05, legacy}
	return r
}

func TestGoldenFormats(t *testing.T) {
	for _, f := range formats() {
		t.Run(f.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, sampleReport(), f.name, WriteOptions{ExitCode: exitOf(sampleReport())}); err != nil {
				t.Fatalf("Write(sample, %q) = %v", f.name, err)
			}
			golden(t, "sample"+f.exts[0], b.Bytes())
		})
	}
}

func TestGoldenApply(t *testing.T) {
	for _, f := range formats() {
		t.Run(f.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, applySampleReport(), f.name, WriteOptions{ExitCode: exitOf(applySampleReport())}); err != nil {
				t.Fatalf("Write(apply sample, %q) = %v", f.name, err)
			}
			golden(t, "apply"+f.exts[0], b.Bytes())
		})
	}
}

func TestGoldenCommandDiff(t *testing.T) {
	for name, r := range map[string]*Report{"check": checkSampleReport(), "apply": applySampleReport(), "scan": sampleReport()} {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteCommandDiff(&b, r); err != nil {
				t.Fatal(err)
			}
			golden(t, "commands-"+name+".txt", b.Bytes())
		})
	}
}

func TestGoldenSummary(t *testing.T) {
	var b bytes.Buffer
	if err := WriteSummary(&b, sampleReport(), SummaryOptions{Paths: []string{"reports/run.json", "reports/run.csv", "-"}}); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary.txt", b.Bytes())
}

func TestGoldenDiff(t *testing.T) {
	d := Diff(yesterdayReport(), sampleReport())
	var txt, js bytes.Buffer
	if err := d.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	golden(t, "diff.txt", txt.Bytes())
	golden(t, "diff.json", js.Bytes())
	var md, html bytes.Buffer
	if err := d.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	golden(t, "diff.md", md.Bytes())
	golden(t, "diff.html", html.Bytes())
}

// exitOf is the exit code the CLI gives a report's outcome (0, 3 or 2), for
// the writers that record it.
func exitOf(r *Report) int {
	switch Outcome(r) {
	case playbook.OutcomeDrift:
		return 2
	case playbook.OutcomeUnchecked:
		return 3
	}
	return 0
}
