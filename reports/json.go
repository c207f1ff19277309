package reports

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaJSON is the JSON Schema (draft 2020-12) of winfleet.report/v1.
//
//go:embed schema/report.v1.schema.json
var schemaJSON []byte

// SchemaURL is the $id of the embedded JSON Schema.
const SchemaURL = "https://github.com/winfleet/winfleet/reports/schema/report.v1.schema.json"

// SchemaJSON returns the JSON Schema (draft 2020-12) that every JSON report
// written by this package satisfies, as stored in
// reports/schema/report.v1.schema.json.
func SchemaJSON() []byte { return bytes.Clone(schemaJSON) }

// compiledSchema compiles the embedded schema once, on first use. It is
// immutable afterwards and safe for concurrent validation; no init side
// effect runs before a caller asks for it.
var compiledSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return nil, fmt.Errorf("parse embedded report schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(SchemaURL, doc); err != nil {
		return nil, fmt.Errorf("load embedded report schema: %w", err)
	}
	s, err := c.Compile(SchemaURL)
	if err != nil {
		return nil, fmt.Errorf("compile embedded report schema: %w", err)
	}
	return s, nil
})

// ErrSchema is wrapped by ReadJSON and ValidateJSON errors when the document
// is not a winfleet.report/v1 report: not JSON, a wrong or missing schema
// string, an unsupported version, or a value that breaks the JSON Schema.
var ErrSchema = errors.New("not a valid winfleet.report/v1 report")

// ValidateJSON checks that data is a winfleet.report/v1 document: its
// "schema" key names this format and version, and the whole document
// satisfies the embedded JSON Schema. Errors wrap ErrSchema (and, for schema
// violations, a *jsonschema.ValidationError whose text gives the JSON pointer
// of every offending value).
func ValidateJSON(data []byte) error {
	_, err := validateJSON(data)
	return err
}

func validateJSON(data []byte) (any, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: parse json: %w", ErrSchema, err)
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: top-level value is not an object", ErrSchema)
	}
	switch s, _ := obj["schema"].(string); {
	case s == Schema:
	case s == "":
		return nil, fmt.Errorf("%w: no \"schema\" key (want %q)", ErrSchema, Schema)
	case strings.HasPrefix(s, "winfleet.report/"):
		return nil, fmt.Errorf("%w: unsupported version %q (this winfleet reads %q)", ErrSchema, s, Schema)
	default:
		return nil, fmt.Errorf("%w: schema is %q, want %q", ErrSchema, s, Schema)
	}
	sch, err := compiledSchema()
	if err != nil {
		return nil, err
	}
	if err := sch.Validate(doc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSchema, err)
	}
	return doc, nil
}

// ReadJSON reads one winfleet.report/v1 report. It checks the schema string
// and version, validates the document against the embedded JSON Schema, then
// applies Validate (which also rejects a host listed twice). Summary is
// returned as stored; call Summarize to recompute it from the hosts.
func ReadJSON(r io.Reader) (*Report, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	if _, err := validateJSON(data); err != nil {
		return nil, err
	}
	var rep Report
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSchema, err)
	}
	if err := Validate(&rep); err != nil {
		return nil, err
	}
	return &rep, nil
}

// ReadFile reads the JSON report at path with ReadJSON; errors name the file.
func ReadFile(path string) (*Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rep, err := ReadJSON(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rep, nil
}

// jsonReport mirrors Report key for key; it exists only so that the summary
// is written in HostStatuses order instead of encoding/json's sorted map
// order. TestJSONKeysMatchModel keeps the two in step.
type jsonReport struct {
	Schema     string      `json:"schema"`
	RunID      string      `json:"run_id"`
	Mode       Mode        `json:"mode"`
	Playbook   string      `json:"playbook"`
	Inventory  string      `json:"inventory"`
	StartedAt  time.Time   `json:"started_at"`
	FinishedAt time.Time   `json:"finished_at"`
	Summary    jsonSummary `json:"summary"`
	Hosts      []Host      `json:"hosts"`

	Tool           *Tool    `json:"tool,omitempty"`
	Operator       string   `json:"operator,omitempty"`
	Controller     string   `json:"controller,omitempty"`
	CommandLine    []string `json:"command_line,omitempty"`
	PlaybookDigest string   `json:"playbook_digest,omitempty"`
	Shard          string   `json:"shard,omitempty"`
	Incomplete     string   `json:"incomplete,omitempty"`
}

type jsonSummary map[HostStatus]int

// MarshalJSON writes every status in HostStatuses order, zeros included.
// Only validated reports reach it, so no other key exists.
func (s jsonSummary) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, st := range HostStatuses {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:%d", st, s[st])
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// WriteJSON writes r as an indented winfleet.report/v1 document with a
// trailing newline. The output is deterministic: hosts sorted by name, the
// summary recomputed from the hosts with every status present in
// HostStatuses order, times in UTC, empty lists as [] (never null), and
// <, >, & written as themselves so command lines stay readable.
//
// Hosts are encoded and written one at a time, so the document is never
// held in memory whole (at 10,000 hosts it is about 40 MB, which
// encoding/json would build twice: compact, then indented). The bytes are
// those of encoding the whole report with SetIndent("", "  ").
func WriteJSON(w io.Writer, r *Report) error {
	n, err := normalize(r)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	// The document with no host, split where the hosts go.
	if err := enc.Encode(jsonReport{
		Schema: n.Schema, RunID: n.RunID, Mode: n.Mode, Playbook: n.Playbook,
		Inventory: n.Inventory, StartedAt: n.StartedAt, FinishedAt: n.FinishedAt,
		Summary: jsonSummary(n.Summary), Hosts: []Host{},
		Tool: n.Tool, Operator: n.Operator, Controller: n.Controller, CommandLine: n.CommandLine,
		PlaybookDigest: n.PlaybookDigest, Shard: n.Shard, Incomplete: n.Incomplete,
	}); err != nil {
		return err
	}
	const emptyHosts = "\n  \"hosts\": []"
	head, tail, ok := bytes.Cut(buf.Bytes(), []byte(emptyHosts))
	if !ok {
		return errors.New("reports: encoding the JSON report: no hosts key") // cannot happen
	}
	if len(n.Hosts) == 0 {
		_, err := w.Write(buf.Bytes())
		return err
	}
	ew := &errWriter{w: w}
	_, _ = ew.Write(head)
	_, _ = ew.Write([]byte("\n  \"hosts\": ["))
	tail = bytes.Clone(tail)
	enc.SetIndent("    ", "  ")
	for i := range n.Hosts {
		buf.Reset()
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString("\n    ")
		if err := enc.Encode(&n.Hosts[i]); err != nil {
			return err
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
		_, _ = ew.Write(buf.Bytes())
		n.Hosts[i] = Host{} // written: let it go
	}
	_, _ = ew.Write([]byte("\n  ]"))
	_, _ = ew.Write(tail)
	return ew.err
}
