package reports

import (
	"bytes"
	"fmt"
	"os"
	"testing"
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
			if err := Write(r, f, new(bytes.Buffer)); err != nil {
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
			if err := Write(r, f, &out); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(out.Len()))
			b.ReportAllocs()
			for b.Loop() {
				out.Reset()
				if err := Write(r, f, &out); err != nil {
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
		if err := WriteFile(path, "json", r); err != nil {
			b.Fatal(err)
		}
	}
}
