package reports_test

import (
	"fmt"
	"os"
	"time"

	"github.com/winfleet/winfleet/playbook"
	"github.com/winfleet/winfleet/reports"
)

func ExampleParseTarget() {
	for _, v := range []string{"json=run.json", "csv=-", "nightly.md", "xlsx=run.xlsx"} {
		t, err := reports.ParseTarget(v)
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Printf("%s -> format %s, path %s, stdout %v\n", v, t.Format, t.Path, t.Stdout())
	}
	// Output:
	// json=run.json -> format json, path run.json, stdout false
	// csv=- -> format csv, path -, stdout true
	// nightly.md -> format markdown, path nightly.md, stdout false
	// error: report "xlsx=run.xlsx": unknown report format "xlsx" (valid: json, csv, junit, markdown, html, text, prometheus)
}

func ExampleWriteSummary() {
	start := time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC)
	r := &reports.Report{
		RunID: "nightly", Mode: reports.ModeScan, Playbook: "ssis-firewall",
		StartedAt: start, FinishedAt: start.Add(42 * time.Second),
		Hosts: []reports.Host{
			{Host: "sql02", Status: reports.StatusUnreachable, Reason: "connection refused"},
			{Host: "sql01", Status: reports.StatusCompliant},
			{Host: "sql03", Status: reports.StatusNoncompliant, Reason: `rule "SSIS Service" missing`},
		},
	}
	if err := reports.WriteSummary(os.Stdout, r, reports.SummaryOptions{Paths: []string{"run.json", "run.csv"}}); err != nil {
		fmt.Println(err)
	}
	fmt.Println("drift:", reports.Outcome(r) == playbook.OutcomeDrift)
	// Output:
	// scan of 3 hosts with ssis-firewall in 42s: 1 compliant, 1 noncompliant, 1 unreachable
	// needs attention (2):
	//   sql03  noncompliant  rule "SSIS Service" missing
	//   sql02  unreachable   connection refused
	// reports written: run.json, run.csv
	// drift: true
}
