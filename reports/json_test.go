package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// diskSchema compiles reports/schema/report.v1.schema.json from disk, not
// the embedded copy, so the tests hold the file in the repo to account.
func diskSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	s, err := c.Compile("schema/report.v1.schema.json")
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	return s
}

func writeJSON(t *testing.T, r *Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteJSON(&b, r); err != nil {
		t.Fatalf("WriteJSON: %v", err)
	}
	return b.Bytes()
}

func decodeAny(t *testing.T, data []byte) any {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return doc
}

func TestEmbeddedSchemaIsTheFile(t *testing.T) {
	disk, err := os.ReadFile("schema/report.v1.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(disk, SchemaJSON()) {
		t.Error("SchemaJSON() differs from schema/report.v1.schema.json")
	}
	var doc map[string]any
	if err := json.Unmarshal(disk, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["$id"] != SchemaURL {
		t.Errorf("schema $id = %v, want %v", doc["$id"], SchemaURL)
	}
}

func TestWrittenReportsMatchSchema(t *testing.T) {
	sch := diskSchema(t)
	empty := &Report{Mode: ModeApply}
	every := &Report{Mode: ModeCheck, StartedAt: time.Unix(0, 0)}
	for i, s := range HostStatuses {
		h := Host{Host: string(s) + ".example", Status: s}
		if i%2 == 0 {
			for _, cs := range CheckStatuses() {
				h.Checks = append(h.Checks, Check{ID: string(cs), Status: cs})
			}
		}
		every.Hosts = append(every.Hosts, h)
	}
	for name, r := range map[string]*Report{"sample": sampleReport(), "empty": empty, "every status": every} {
		t.Run(name, func(t *testing.T) {
			data := writeJSON(t, r)
			if err := sch.Validate(decodeAny(t, data)); err != nil {
				t.Errorf("written report does not match schema: %v\n%s", err, data)
			}
			if !bytes.HasSuffix(data, []byte("}\n")) {
				t.Errorf("report does not end in a newline")
			}
		})
	}
}

func TestEmptyReportJSON(t *testing.T) {
	var got map[string]any
	if err := json.Unmarshal(writeJSON(t, &Report{Mode: ModeScan}), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{}
	for _, s := range HostStatuses {
		want[string(s)] = 0.0
	}
	if d := cmp.Diff(want, got["summary"]); d != "" {
		t.Errorf("summary (-want +got):\n%s", d)
	}
	if hosts, ok := got["hosts"].([]any); !ok || len(hosts) != 0 {
		t.Errorf("hosts = %#v, want []", got["hosts"])
	}
	if got["schema"] != Schema {
		t.Errorf("schema = %v, want %v", got["schema"], Schema)
	}
}

// TestJSONKeysMatchModel keeps WriteJSON's mirror struct in step with the
// model: the same report through encoding/json and WriteJSON must decode to
// the same document.
func TestJSONKeysMatchModel(t *testing.T) {
	n, err := normalize(sampleReport())
	if err != nil {
		t.Fatal(err)
	}
	plain, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(decodeAny(t, plain), decodeAny(t, writeJSON(t, n))); d != "" {
		t.Errorf("WriteJSON and json.Marshal disagree (-marshal +WriteJSON):\n%s", d)
	}
}

func TestJSONDeterministic(t *testing.T) {
	a := sampleReport()
	b := sampleReport()
	// Same hosts, another order and time zone: the same bytes.
	for i, j := 0, len(b.Hosts)-1; i < j; i, j = i+1, j-1 {
		b.Hosts[i], b.Hosts[j] = b.Hosts[j], b.Hosts[i]
	}
	b.StartedAt = b.StartedAt.UTC()
	b.Summary = nil
	if d := cmp.Diff(string(writeJSON(t, a)), string(writeJSON(t, b))); d != "" {
		t.Errorf("host order or zone changed the output:\n%s", d)
	}
}

func TestReadJSONRoundTrip(t *testing.T) {
	in := sampleReport()
	got, err := ReadJSON(bytes.NewReader(writeJSON(t, in)))
	if err != nil {
		t.Fatalf("ReadJSON: %v", err)
	}
	want, err := normalize(in)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	if !bytes.Equal(writeJSON(t, got), writeJSON(t, in)) {
		t.Error("re-writing a read report changed it")
	}
}

// mutate decodes the sample's JSON, applies f and re-encodes it.
func mutate(t *testing.T, f func(doc map[string]any)) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(writeJSON(t, sampleReport()), &doc); err != nil {
		t.Fatal(err)
	}
	f(doc)
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func host0(doc map[string]any) map[string]any {
	return doc["hosts"].([]any)[0].(map[string]any)
}

func check0(doc map[string]any) map[string]any {
	return host0(doc)["checks"].([]any)[0].(map[string]any)
}

func TestBrokenReportsFailValidation(t *testing.T) {
	sch := diskSchema(t)
	tests := []struct {
		name    string
		doc     []byte
		wantErr string // substring of the ReadJSON error; "" means valid
	}{
		{"unchanged sample", mutate(t, func(map[string]any) {}), ""},
		{"extra top-level key (forward compatible)", mutate(t, func(d map[string]any) { d["labels"] = map[string]any{"env": "prod"} }), ""},
		{"missing hosts", mutate(t, func(d map[string]any) { delete(d, "hosts") }), "hosts"},
		{"hosts null", mutate(t, func(d map[string]any) { d["hosts"] = nil }), "/hosts"},
		{"unknown host status", mutate(t, func(d map[string]any) { host0(d)["status"] = "ok" }), "/hosts/0/status"},
		{"unknown check status", mutate(t, func(d map[string]any) { check0(d)["status"] = "passed" }), "/hosts/0/checks/0/status"},
		{"unknown mode", mutate(t, func(d map[string]any) { d["mode"] = "deploy" }), "/mode"},
		{"negative duration", mutate(t, func(d map[string]any) { host0(d)["duration_ms"] = -1 }), "/hosts/0/duration_ms"},
		{"fractional duration", mutate(t, func(d map[string]any) { host0(d)["duration_ms"] = 1.5 }), "/hosts/0/duration_ms"},
		{"duration as string", mutate(t, func(d map[string]any) { host0(d)["duration_ms"] = "12" }), "/hosts/0/duration_ms"},
		{"empty host name", mutate(t, func(d map[string]any) { host0(d)["host"] = "" }), "/hosts/0/host"},
		{"missing check output", mutate(t, func(d map[string]any) { delete(check0(d), "output") }), "output"},
		{"commands not strings", mutate(t, func(d map[string]any) { check0(d)["commands"] = []any{1} }), "/hosts/0/checks/0/commands/0"},
		{"summary missing a status", mutate(t, func(d map[string]any) { delete(d["summary"].(map[string]any), "cancelled") }), "cancelled"},
		{"summary unknown status", mutate(t, func(d map[string]any) { d["summary"].(map[string]any)["drifted"] = 1 }), "drifted"},
		{"summary negative", mutate(t, func(d map[string]any) { d["summary"].(map[string]any)["error"] = -2 }), "/summary/error"},
		{"started_at not a date-time", mutate(t, func(d map[string]any) { d["started_at"] = "yesterday" }), "/started_at"},
		{"schema v2", mutate(t, func(d map[string]any) { d["schema"] = "winfleet.report/v2" }), `unsupported version "winfleet.report/v2"`},
		{"other schema", mutate(t, func(d map[string]any) { d["schema"] = "inspec/v1" }), `schema is "inspec/v1"`},
		{"no schema", mutate(t, func(d map[string]any) { delete(d, "schema") }), `no "schema" key`},
		{"duplicate host", mutate(t, func(d map[string]any) {
			hs := d["hosts"].([]any)
			d["hosts"] = append(hs, hs[0])
		}), `host "legacy01.corp.example" appears twice`},
		{"not an object", []byte(`[1,2]`), "not an object"},
		{"trailing garbage", append(writeJSON(t, sampleReport()), "{}"...), "after top-level value"},
		{"not json", []byte("run_id,mode\n"), "parse json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadJSON(bytes.NewReader(tt.doc))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ReadJSON = %v, want success", err)
				}
				if err := sch.Validate(decodeAny(t, tt.doc)); err != nil {
					t.Errorf("schema rejects a valid report: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ReadJSON accepted a broken report (%s)", tt.name)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ReadJSON error = %v, want it to mention %q", err, tt.wantErr)
			}
			if !errors.Is(err, ErrSchema) && !errors.Is(err, ErrInvalid) {
				t.Errorf("ReadJSON error = %v, want it to wrap ErrSchema or ErrInvalid", err)
			}
		})
	}
}

func TestReadFileNamesTheFile(t *testing.T) {
	path := t.TempDir() + "/bad.json"
	if err := os.WriteFile(path, []byte(`{"schema":"winfleet.report/v1"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadFile(path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("ReadFile(%q) = %v, want an error naming the file", path, err)
	}
	ok := t.TempDir() + "/ok.json"
	if err := WriteFile(ok, sampleReport(), "json", WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if r, err := ReadFile(ok); err != nil || len(r.Hosts) != 6 {
		t.Errorf("ReadFile(%q) = %v hosts, %v; want 6 hosts", ok, r, err)
	}
}

func TestTimesAtTheEdgeOfRFC3339(t *testing.T) {
	doc := mutate(t, func(d map[string]any) {
		d["started_at"] = "0000-01-01T00:30:00+01:00"
		d["finished_at"] = "9999-12-31T23:30:00-01:00"
	})
	r, err := ReadJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("ReadJSON: %v", err)
	}
	out := writeJSON(t, r) // fails if the times were moved to UTC years -1 / 10000
	if _, err := ReadJSON(bytes.NewReader(out)); err != nil {
		t.Errorf("re-read: %v", err)
	}
}

// TestAdditiveKeysRoundTrip: the keys added to v1 after its first release
// (tool, run metadata, host code and groups, check code, before and writes)
// are written, pass the schema, and read back unchanged; a bad write state
// or digest is refused.
func TestAdditiveKeysRoundTrip(t *testing.T) {
	in := sampleReport()
	in.Tool = &Tool{Name: "winfleet", Version: "v1.2.3", Revision: "0123abcd"}
	in.Operator, in.Controller = "ops", "jump01"
	in.CommandLine = []string{"winfleet", "apply", "-i", "hosts.ini"}
	in.PlaybookDigest = "sha256:" + strings.Repeat("ab", 32)
	in.Shard = "2/3"
	h := &in.Hosts[0]
	h.Code, h.Groups = "too_open", []string{"prod", "ssis"}
	c := &h.Checks[1]
	c.Code, c.Before = "too_open", "scope ALL"
	c.Writes = []WriteRecord{
		{Command: `netsh advfirewall firewall set rule name="SSIS Service" new remoteip=localsubnet`, State: WriteAnswered, ExitCode: 0, Output: "Updated 1 rule(s).\r\nOk.\r\n"},
		{Command: "netsh x", State: WriteSent},
	}
	data := writeJSON(t, in)
	if err := diskSchema(t).Validate(decodeAny(t, data)); err != nil {
		t.Fatalf("schema rejects the additive keys: %v", err)
	}
	got, err := ReadJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("ReadJSON: %v", err)
	}
	want, err := normalize(in)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	for name, f := range map[string]func(doc map[string]any){
		"write state": func(d map[string]any) {
			check0(d)["writes"] = []any{map[string]any{"command": "x", "state": "maybe", "exit_code": 0}}
		},
		"playbook digest": func(d map[string]any) { d["playbook_digest"] = "md5:00" },
		"shard":           func(d map[string]any) { d["shard"] = "0/3" },
	} {
		if _, err := ReadJSON(bytes.NewReader(mutate(t, f))); err == nil {
			t.Errorf("ReadJSON accepted a bad %s", name)
		}
	}
}

// TestWriteJSONStreamsTheDocument checks that writing hosts one at a time
// gives exactly the bytes of encoding the whole report at once, for
// reports with and without hosts and with and without the additive keys
// that follow "hosts".
func TestWriteJSONStreamsTheDocument(t *testing.T) {
	bare := sampleReport()
	bare.Tool, bare.Operator, bare.Controller, bare.CommandLine, bare.PlaybookDigest = nil, "", "", nil, ""
	empty := sampleReport()
	empty.Hosts = nil
	for name, r := range map[string]*Report{
		"scan": sampleReport(), "apply": applySampleReport(), "check": checkSampleReport(),
		"no additive keys": bare, "no hosts": empty,
	} {
		t.Run(name, func(t *testing.T) {
			n, err := normalize(r)
			if err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if n.Hosts == nil {
				n.Hosts = []Host{}
			}
			if err := enc.Encode(jsonReport{
				Schema: n.Schema, RunID: n.RunID, Mode: n.Mode, Playbook: n.Playbook,
				Inventory: n.Inventory, StartedAt: n.StartedAt, FinishedAt: n.FinishedAt,
				Summary: jsonSummary(n.Summary), Hosts: n.Hosts,
				Tool: n.Tool, Operator: n.Operator, Controller: n.Controller, CommandLine: n.CommandLine,
				PlaybookDigest: n.PlaybookDigest, Shard: n.Shard, Incomplete: n.Incomplete,
			}); err != nil {
				t.Fatal(err)
			}
			got := writeJSON(t, r)
			if !bytes.Equal(got, want.Bytes()) {
				t.Errorf("streamed JSON differs from the whole document:\n%s", cmp.Diff(want.String(), string(got)))
			}
			if len(r.Hosts) > 0 && r.Hosts[0].Host == "" {
				t.Error("WriteJSON emptied the caller's hosts")
			}
		})
	}
}
