package reports

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"os"
	"strings"
	"testing"
	"unicode"
)

// FuzzReadJSON feeds ReadJSON arbitrary bytes. It must never panic, and
// whatever it accepts must survive a write/read cycle unchanged: the JSON
// writer's output of an accepted report is read back to the same bytes.
func FuzzReadJSON(f *testing.F) {
	for _, name := range []string{"testdata/sample.json"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	var b bytes.Buffer
	if err := WriteJSON(&b, &Report{Mode: ModeCheck}); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add([]byte(`{"schema":"winfleet.report/v1"}`))
	f.Add([]byte(`{"schema":"winfleet.report/v2","hosts":[]}`))
	f.Add([]byte(`[]`))
	edge := bytes.Replace(b.Bytes(), []byte(`"0001-01-01T00:00:00Z"`), []byte(`"0000-01-01T00:30:00+01:00"`), 1)
	f.Add(edge)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ReadJSON(bytes.NewReader(data))
		if err != nil {
			return
		}
		var w1 bytes.Buffer
		if err := WriteJSON(&w1, r); err != nil {
			t.Fatalf("WriteJSON of an accepted report: %v", err)
		}
		r2, err := ReadJSON(bytes.NewReader(w1.Bytes()))
		if err != nil {
			t.Fatalf("ReadJSON of WriteJSON output: %v\n%s", err, w1.Bytes())
		}
		var w2 bytes.Buffer
		if err := WriteJSON(&w2, r2); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(w1.Bytes(), w2.Bytes()) {
			t.Fatalf("write/read/write not stable:\n%s\n---\n%s", w1.Bytes(), w2.Bytes())
		}
		for _, f := range Formats() {
			if err := Write(new(bytes.Buffer), r, f, WriteOptions{}); err != nil {
				t.Fatalf("Write(%s) of an accepted report: %v", f, err)
			}
		}
	})
}

// benchReport is a 2,000-host nightly scan: 5% drift, 1% unreachable, two
// checks per reached host with realistic commands and output.
func benchReport() *Report {
	r := sampleReport()
	tmpl := r.Hosts[0] // sql03, noncompliant, two checks
	ok := r.Hosts[1]   // sql01, compliant
	down := r.Hosts[2] // sql02, unreachable
	r.Hosts = make([]Host, 0, 2000)
	for i := range 2000 {
		var h Host
		switch {
		case i%100 == 7:
			h = copyHost(down)
		case i%20 == 3:
			h = copyHost(tmpl)
		default:
			h = copyHost(ok)
		}
		h.Host = fmt.Sprintf("sql%04d.corp.example", i)
		h.Address = fmt.Sprintf("127.0.%d.%d", i/250, i%250+1)
		r.Hosts = append(r.Hosts, h)
	}
	return r
}

func BenchmarkWrite2000Hosts(b *testing.B) {
	r := benchReport()
	for _, f := range Formats() {
		b.Run(f, func(b *testing.B) {
			var out bytes.Buffer
			if err := Write(&out, r, f, WriteOptions{}); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(out.Len()))
			b.ReportAllocs()
			for b.Loop() {
				out.Reset()
				if err := Write(&out, r, f, WriteOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkReadJSON2000Hosts(b *testing.B) {
	var data bytes.Buffer
	if err := WriteJSON(&data, benchReport()); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(data.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadJSON(bytes.NewReader(data.Bytes())); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteFileJSON2000Hosts(b *testing.B) {
	r := benchReport()
	path := b.TempDir() + "/run.json"
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteFile(path, r, "json", WriteOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzWriters renders a report carrying arbitrary text in every field a
// remote host or an inventory can influence, and checks each format's
// escaping: the CSV reads back to the same cells (bar the formula quote),
// the JUnit XML parses with the same counts, Markdown table rows keep their
// column count, and text outputs (text, summary, diff, the -D commands)
// hold no control characters but newlines. HTML and the diff's Markdown and
// HTML must render.
func FuzzWriters(f *testing.F) {
	f.Add("sql01", "=1+1", "a|b\r\nc", "<script>", "\x1b[2J")
	f.Add("h", "-2", "\"quoted\", comma", "]]>", "\x00\xff")
	f.Fuzz(func(t *testing.T, host, reason, errText, actual, output string) {
		if host == "" {
			host = "h"
		}
		r := &Report{Mode: ModeScan, RunID: reason, Playbook: actual, Hosts: []Host{
			{Host: host, Status: StatusNoncompliant, Reason: reason, Error: errText,
				Checks: []Check{{ID: actual, Name: reason, Status: CheckFail, Expected: errText, Actual: actual,
					Commands: []string{output}, Output: output, Code: reason, Before: errText,
					Writes: []WriteRecord{{Command: output, State: WriteAnswered, ExitCode: 1, Output: errText}}}}},
			{Host: host + "2", Status: StatusUnreachable, Reason: errText, Error: reason},
		}}

		var b bytes.Buffer
		if err := WriteCSV(&b, r); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(bytes.NewReader(b.Bytes())).ReadAll()
		if err != nil {
			t.Fatalf("CSV does not parse: %v\n%q", err, b.String())
		}
		if len(rows) != 3 {
			t.Fatalf("CSV has %d rows, want 3", len(rows))
		}
		// A cell reads back as written: neutralised, line breaks as LF
		// (encoding/csv reads the CRLF it wrote back as LF).
		readBack := func(s string) string { return strings.ReplaceAll(csvCell(s), "\r\n", "\n") }
		rowByHost := map[string][]string{rows[1][4]: rows[1], rows[2][4]: rows[2]}
		row := rowByHost[readBack(host)]
		if row == nil {
			t.Fatalf("host %q not found in CSV rows %q", host, rows[1:])
		}
		for col, want := range map[int]string{7: reason, 11: errText, 13: reason, 16: actual} {
			if row[col] != readBack(want) {
				t.Errorf("CSV column %s = %q, want %q", CSVColumns()[col], row[col], want)
			}
		}
		for _, row := range rows[1:] {
			for i, cell := range row {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) && i != 10 {
					t.Errorf("CSV column %s = %q is not neutralised", CSVColumns()[i], cell)
				}
			}
		}

		b.Reset()
		if err := WriteJUnit(&b, r, WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		var doc junitDoc
		if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
			t.Fatalf("JUnit does not parse: %v\n%q", err, b.String())
		}
		if doc.Tests != 2 || doc.Failures != 1 || doc.Errors != 1 {
			t.Errorf("JUnit tests/failures/errors = %d/%d/%d, want 2/1/1", doc.Tests, doc.Failures, doc.Errors)
		}

		b.Reset()
		if err := WriteMarkdown(&b, r); err != nil {
			t.Fatal(err)
		}
		inAttention := false
		for _, line := range strings.Split(b.String(), "\n") {
			if strings.HasPrefix(line, "| host | status |") {
				inAttention = true
			}
			if strings.HasPrefix(line, "### Commands") {
				break
			}
			if inAttention && strings.HasPrefix(line, "|") {
				// Count cell separators: pipes not escaped by a backslash.
				n := 0
				for i := 0; i < len(line); i++ {
					if line[i] == '\\' {
						i++
						continue
					}
					if line[i] == '|' {
						n++
					}
				}
				if n != 6 {
					t.Errorf("Markdown row has %d separators, want 6: %q", n, line)
				}
			}
		}

		for _, format := range []string{"text", "summary", "diff", "commands"} {
			b.Reset()
			var err error
			switch format {
			case "text":
				err = WriteText(&b, r)
			case "summary":
				err = WriteSummary(&b, r, SummaryOptions{Paths: []string{output}})
			case "diff":
				err = Diff(&Report{Mode: ModeScan}, r).WriteText(&b)
			case "commands":
				err = WriteCommandDiff(&b, r)
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range b.String() {
				if c != '\n' && unicode.IsControl(c) {
					t.Fatalf("%s output has control character %q:\n%q", format, c, b.String())
				}
			}
		}
		if err := WriteHTML(new(bytes.Buffer), r, WriteOptions{Evidence: EvidenceAll}); err != nil {
			t.Fatal(err)
		}
		d := Diff(&Report{Mode: ModeScan, Hosts: []Host{{Host: host, Status: StatusCompliant}}}, r)
		if err := d.WriteHTML(new(bytes.Buffer)); err != nil {
			t.Fatal(err)
		}
		b.Reset()
		if err := d.WriteMarkdown(&b); err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(b.String(), "\r\x00\x1b") {
			t.Errorf("diff Markdown carries a control character: %q", b.String())
		}
	})
}
