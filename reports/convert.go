package reports

import (
	"strings"
	"time"

	"github.com/winfleet/winfleet/playbook"
)

// Run is what a report says about the run as a whole, beside its hosts.
type Run struct {
	RunID          string
	Mode           playbook.Mode
	Playbook       string
	Inventory      string
	StartedAt      time.Time
	FinishedAt     time.Time
	Tool           *Tool
	Operator       string
	Controller     string
	CommandLine    []string
	PlaybookDigest string
	Shard          string
}

// FromRun converts the playbook's typed results into the published
// winfleet.report/v1 report: statuses and codes as their strings, durations
// in milliseconds, errors as one line of text. It is the only conversion;
// the summary is computed from the hosts.
func FromRun(run Run, results []playbook.HostResult) *Report {
	r := &Report{
		Schema: Schema, RunID: run.RunID, Mode: Mode(run.Mode), Playbook: run.Playbook, Inventory: run.Inventory,
		StartedAt: run.StartedAt, FinishedAt: run.FinishedAt, Tool: run.Tool, Operator: run.Operator,
		Controller: run.Controller, CommandLine: run.CommandLine, PlaybookDigest: run.PlaybookDigest, Shard: run.Shard,
		Hosts: make([]Host, len(results)),
	}
	for i, hr := range results {
		r.Hosts[i] = fromHost(hr)
	}
	Summarize(r)
	return r
}

func fromHost(hr playbook.HostResult) Host {
	h := Host{
		Host: hr.Host, Address: hr.Address, Status: HostStatus(hr.Status), Reason: hr.Reason,
		WindowsVersion: hr.WindowsVersion, Dialect: hr.Dialect, DurationMS: hr.Duration.Milliseconds(),
		Error: errorText(hr.Err), Code: string(hr.Code), Groups: hr.Groups, Checks: make([]Check, len(hr.Checks)),
	}
	for i, c := range hr.Checks {
		h.Checks[i] = Check{
			ID: c.ID, Name: c.Name, Status: CheckStatus(c.Status), Expected: c.Expected, Actual: c.Actual,
			Commands: c.Commands, Output: c.Output, Code: string(c.Code), Before: c.Before,
		}
		for _, w := range c.Writes {
			h.Checks[i].Writes = append(h.Checks[i].Writes, WriteRecord{
				Command: w.Command, State: WriteState(w.State), ExitCode: w.ExitCode, Output: w.Output})
		}
	}
	return h
}

// errorText is an error as one line: joined errors are separated by "; ".
func errorText(err error) string {
	if err == nil {
		return ""
	}
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}
