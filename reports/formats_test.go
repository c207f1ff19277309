package reports

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func render(t *testing.T, format string, r *Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, r, format, WriteOptions{}); err != nil {
		t.Fatalf("Write(%s): %v", format, err)
	}
	return b.String()
}

func TestCSV(t *testing.T) {
	out := render(t, "csv", sampleReport())
	if strings.Contains(strings.ReplaceAll(out, "\r\n", ""), "\n") && !strings.Contains(out, "\r\n") {
		t.Errorf("CSV lines do not end in CRLF")
	}
	if n, crlf := strings.Count(out, "\n"), strings.Count(out, "\r\n"); n != crlf {
		t.Errorf("CSV has %d LF but %d CRLF; RFC 4180 wants CRLF everywhere", n, crlf)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v", err)
	}
	if d := cmp.Diff(CSVColumns(), rows[0]); d != "" {
		t.Errorf("header (-want +got):\n%s", d)
	}
	// legacy01 1 check, sql01 2, sql02 none (1 row), sql03 2, sql04 none, sql06 none.
	if got, want := len(rows)-1, 8; got != want {
		t.Fatalf("CSV has %d data rows, want %d", got, want)
	}
	col := map[string]int{}
	for i, c := range rows[0] {
		col[c] = i
	}
	byHost := map[string][][]string{}
	for _, row := range rows[1:] {
		if len(row) != len(CSVColumns()) {
			t.Errorf("row has %d cells, want %d: %q", len(row), len(CSVColumns()), row)
		}
		byHost[row[col["host"]]] = append(byHost[row[col["host"]]], row)
	}
	unreach := byHost["sql02.corp.example"]
	if len(unreach) != 1 {
		t.Fatalf("unreachable host has %d rows, want 1", len(unreach))
	}
	for _, c := range []string{"check_id", "check_name", "check_status", "expected", "actual"} {
		if v := unreach[0][col[c]]; v != "" {
			t.Errorf("unreachable host: %s = %q, want empty", c, v)
		}
	}
	if got := unreach[0][col["host_status"]]; got != "unreachable" {
		t.Errorf("host_status = %q, want unreachable", got)
	}
	if got := byHost["sql04.corp.example"][0][col["error"]]; !strings.HasPrefix(got, "'=HYPERLINK") || !strings.Contains(got, "\n") {
		t.Errorf("error cell = %q, want the formula neutralised and the newline kept", got)
	}
	if got := byHost["sql03.corp.example"][1][col["check_status"]]; got != "fail" {
		t.Errorf("sql03 second check status = %q, want fail", got)
	}
}

func TestNeutralizeCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"sql01", "sql01"},
		{"=1+1", "'=1+1"},
		{"+cmd", "'+cmd"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"a=b", "a=b"},
		{" =1", " =1"},
		{"'quoted", "'quoted"},
	}
	for _, tt := range tests {
		if got := NeutralizeCell(tt.in); got != tt.want {
			t.Errorf("NeutralizeCell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCSVInjectionEveryTextColumn(t *testing.T) {
	evil := "=cmd|' /C calc'!A0"
	r := &Report{RunID: evil, Mode: ModeScan, Playbook: evil, Hosts: []Host{{
		Host: evil, Address: evil, Status: StatusNoncompliant, Reason: evil, WindowsVersion: evil,
		Dialect: evil, Error: evil,
		Checks: []Check{{ID: evil, Name: evil, Status: CheckFail, Expected: evil, Actual: evil}},
	}}}
	rows, err := csv.NewReader(strings.NewReader(render(t, "csv", r))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, cell := range rows[1] {
		if strings.HasPrefix(cell, "=") {
			t.Errorf("column %s = %q starts with '='", CSVColumns()[i], cell)
		}
	}
}

func TestMarkdownEscaping(t *testing.T) {
	tests := []struct{ in, want string }{
		{"sql01.corp.example", "sql01.corp.example"},
		{"a|b", `a\|b`},
		{"<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"},
		{"[click](http://x)", `\[click\](http://x)`},
		{"line1\r\nline2", "line1 line2"},
		{"`code` *em* _u_", "\\`code\\` \\*em\\* \\_u\\_"},
		{"a & b", "a &amp; b"},
	}
	for _, tt := range tests {
		if got := mdCell(tt.in); got != tt.want {
			t.Errorf("mdCell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	out := render(t, "markdown", &Report{Mode: ModeScan, Hosts: []Host{{Host: "h", Status: StatusError, Reason: "x | y\nz"}}})
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "| h ") && strings.Count(strings.ReplaceAll(line, `\|`, ""), "|") != 6 {
			t.Errorf("reason broke the table row: %q", line)
		}
	}
}

func manyHosts(n int, status HostStatus) *Report {
	r := &Report{Mode: ModeScan, Playbook: "ssis-firewall"}
	for i := range n {
		r.Hosts = append(r.Hosts, Host{Host: fmt.Sprintf("sql%04d", i), Status: status, Reason: "rule missing"})
	}
	return r
}

func TestSummaryCapsTheList(t *testing.T) {
	r := manyHosts(25, StatusNoncompliant)
	r.Hosts = append(r.Hosts, Host{Host: "aaa-unreachable", Status: StatusUnreachable}, Host{Host: "zzz-ok", Status: StatusCompliant})
	var b bytes.Buffer
	if err := WriteSummary(&b, r, SummaryOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	// headline, "needs attention: 26 hosts, by cause:", 2 causes,
	// "first 20 of 26:", 20 hosts, "and 6 more".
	if len(lines) != 26 {
		t.Fatalf("summary has %d lines, want 26:\n%s", len(lines), out)
	}
	if lines[1] != "needs attention: 26 hosts, by cause:" || lines[4] != "first 20 of 26:" || strings.TrimSpace(lines[25]) != "and 6 more" {
		t.Errorf("summary framing wrong:\n%s", out)
	}
	if !strings.Contains(lines[5], "sql0000") {
		t.Errorf("first listed host = %q, want drift (sql0000) before unreachable", lines[5])
	}
	details := strings.Join(lines[5:], "\n")
	if strings.Contains(out, "zzz-ok") || strings.Contains(details, "aaa-unreachable") {
		t.Errorf("summary lists a compliant host or an unchecked one before drift hosts:\n%s", out)
	}
	if strings.Contains(out, "reports written") {
		t.Errorf("summary mentions reports though none were written")
	}
}

func TestSummaryEscapesTerminalControl(t *testing.T) {
	r := &Report{Mode: ModeScan, Hosts: []Host{{Host: "h", Status: StatusError, Reason: "boom \x1b[2J\x1b]0;pwned\x07 done\r\nnext"}}}
	var b bytes.Buffer
	if err := WriteSummary(&b, r, SummaryOptions{Paths: []string{"-"}}); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(b.String(), "\x1b\x07\r") {
		t.Errorf("summary passes control characters through: %q", b.String())
	}
	if !strings.Contains(b.String(), `boom \x1b[2J\x1b]0;pwned\x07 done next`) {
		t.Errorf("summary = %q, want the escaped reason on one line", b.String())
	}
	if !strings.Contains(b.String(), "reports written: stdout") {
		t.Errorf("summary = %q, want '-' shown as stdout", b.String())
	}
}

func TestTextAllHostsListed(t *testing.T) {
	out := render(t, "text", manyHosts(30, StatusCompliant))
	if n := strings.Count(out, "rule missing"); n != 30 {
		t.Errorf("text report lists %d hosts, want all 30", n)
	}
}

// TestTextInvalidUTF8 guards a bug FuzzWriters found: a 0xff byte is
// text/tabwriter's escape character, so raw it broke the tables.
func TestTextInvalidUTF8(t *testing.T) {
	r := &Report{Mode: ModeScan, Playbook: "bad\xffname", Hosts: []Host{{Host: "h\xff", Status: StatusError, Reason: "r\xff"}}}
	for _, f := range []string{"text", "markdown"} {
		out := render(t, f, r)
		if strings.Contains(out, "\t") || strings.IndexByte(out, 0xff) >= 0 {
			t.Errorf("%s output has a tab or a raw 0xff: %q", f, out)
		}
		if !strings.Contains(out, "h\uFFFD") {
			t.Errorf("%s output = %q, want invalid UTF-8 shown as U+FFFD", f, out)
		}
	}
}

// TestCSVLineBreaks guards a bug FuzzWriters found: encoding/csv with
// UseCRLF drops a lone CR, so "a\rb" became "ab".
func TestCSVLineBreaks(t *testing.T) {
	r := &Report{Mode: ModeScan, Hosts: []Host{{Host: "h", Status: StatusError, Reason: "a\rb\nc\r\nd"}}}
	out := render(t, "csv", r)
	if !strings.Contains(out, "\"a\r\nb\r\nc\r\nd\"") {
		t.Errorf("CSV = %q, want every line break in the cell as CRLF", out)
	}
}

func TestCSVValidUTF8(t *testing.T) {
	out := render(t, "csv", &Report{Mode: ModeScan, Hosts: []Host{{Host: "h\xff", Status: StatusError}}})
	if !utf8.ValidString(out) || !strings.Contains(out, "h\uFFFD") {
		t.Errorf("CSV = %q, want valid UTF-8 with U+FFFD", out)
	}
}

func TestEveryFormatIsValidUTF8(t *testing.T) {
	r := &Report{Mode: ModeScan, RunID: "r\xfe", Playbook: "p\xff", Hosts: []Host{{Host: "h\xff", Status: StatusNoncompliant,
		Reason: "\xc3", Checks: []Check{{ID: "c\xff", Status: CheckFail, Commands: []string{"cmd\xff"}, Output: "out\xff\x80"}}}}}
	for _, f := range Formats() {
		if out := render(t, f, r); !utf8.ValidString(out) {
			t.Errorf("%s output is not valid UTF-8", f)
		}
	}
}
