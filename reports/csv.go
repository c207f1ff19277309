package reports

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"
)

// CSVColumns are the columns of the CSV report, in order. The header row is
// always written. See README.md for what each holds. Columns are only ever
// appended, so scripts that read columns by position keep working.
func CSVColumns() []string {
	return []string{
		"run_id", "mode", "playbook", "started_at",
		"host", "address", "host_status", "reason", "windows_version", "dialect", "duration_ms", "error",
		"check_id", "check_name", "check_status", "expected", "actual",
		"host_code", "check_code", "before",
	}
}

// WriteCSV writes r as RFC 4180 CSV (encoding/csv with CRLF line endings,
// UTF-8 without a byte-order mark): a header row, then one row per host and
// check, hosts sorted by name and checks in report order. A host without
// checks (unreachable, auth_failed, ...) still gets one row, with the check
// columns empty. host_code is the host's reason code (for a drifted host,
// the code of its first failing check), check_code the check's. Commands and raw output are not in the CSV; the JSON report
// has them.
//
// Every text cell is neutralised against spreadsheet formula injection by
// NeutralizeCell, and every line break in it (CRLF, LF or a lone CR) is
// written as CRLF: encoding/csv would silently drop a lone CR.
func WriteCSV(w io.Writer, r *Report) error {
	n, err := normalize(r)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(CSVColumns()); err != nil {
		return err
	}
	started := ""
	if !n.StartedAt.IsZero() {
		started = n.StartedAt.Format(time.RFC3339)
	}
	row := make([]string, 0, len(CSVColumns()))
	for _, h := range n.Hosts {
		checks := h.Checks
		if len(checks) == 0 {
			checks = []Check{{}}
		}
		for _, c := range checks {
			row = append(row[:0],
				csvCell(n.RunID), string(n.Mode), csvCell(n.Playbook), started,
				csvCell(h.Host), csvCell(h.Address), string(h.Status), csvCell(h.Reason),
				csvCell(h.WindowsVersion), csvCell(h.Dialect),
				strconv.FormatInt(h.DurationMS, 10), csvCell(h.Error),
				csvCell(c.ID), csvCell(c.Name), string(c.Status),
				csvCell(c.Expected), csvCell(c.Actual),
				csvCell(hostCode(h)), csvCell(c.Code), csvCell(c.Before),
			)
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvCell is a text cell as WriteCSV writes it: invalid UTF-8 replaced by
// U+FFFD (as encoding/json does for the JSON report), neutralised, then with
// every line break made "\n", which encoding/csv (UseCRLF) writes as CRLF.
func csvCell(s string) string {
	s = NeutralizeCell(strings.ToValidUTF8(s, "\uFFFD"))
	if strings.IndexByte(s, '\r') < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// NeutralizeCell defuses spreadsheet formula injection (OWASP "CSV
// Injection"): a cell that starts with '=', '+', '-', '@', a tab or a
// carriage return gets a leading single quote, so Excel, LibreOffice and
// Google Sheets show it as text instead of evaluating it. Other cells are
// returned unchanged. Numeric columns (duration_ms) are never passed through
// it: durations are validated non-negative, so they never start with '-'.
func NeutralizeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
