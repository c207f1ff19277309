package reports

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

func TestDiffClassification(t *testing.T) {
	tests := []struct {
		old, new HostStatus
		want     Change
	}{
		{StatusCompliant, StatusCompliant, ChangeUnchanged},
		{StatusChanged, StatusCompliant, ChangeUnchanged},
		{StatusCompliant, StatusNoncompliant, ChangeDrifted},
		{StatusChanged, StatusWouldChange, ChangeDrifted},
		{StatusUnreachable, StatusNoncompliant, ChangeDrifted},
		{StatusNoncompliant, StatusNoncompliant, ChangeStillFailing},
		{StatusFailed, StatusNoncompliant, ChangeStillFailing},
		{StatusNoncompliant, StatusCompliant, ChangeFixed},
		{StatusFailed, StatusChanged, ChangeFixed},
		{StatusCompliant, StatusUnreachable, ChangeUnchecked},
		{StatusNoncompliant, StatusTimeout, ChangeUnchecked},
		{StatusAuthFailed, StatusAuthFailed, ChangeStillUnchecked},
		{StatusSkipped, StatusCancelled, ChangeStillUnchecked},
		{StatusTimeout, StatusCompliant, ChangeRecovered},
	}
	for _, tt := range tests {
		oldR, newR := hostsWith(tt.old), hostsWith(tt.new)
		d := Diff(oldR, newR)
		if d.Counts[tt.want] != 1 {
			t.Errorf("Diff(%s -> %s) counts = %v, want one %s", tt.old, tt.new, d.Counts, tt.want)
		}
		listed := len(d.Hosts) == 1
		if listed != (tt.want != ChangeUnchanged) {
			t.Errorf("Diff(%s -> %s) lists %d hosts, want listed=%v", tt.old, tt.new, len(d.Hosts), tt.want != ChangeUnchanged)
		}
		if listed && (d.Hosts[0].Change != tt.want || d.Hosts[0].OldStatus != tt.old || d.Hosts[0].NewStatus != tt.new) {
			t.Errorf("Diff(%s -> %s) = %+v, want change %s", tt.old, tt.new, d.Hosts[0], tt.want)
		}
		if got, want := d.NewDrift(), tt.want == ChangeDrifted; got != want {
			t.Errorf("Diff(%s -> %s).NewDrift() = %v, want %v", tt.old, tt.new, got, want)
		}
	}
}

func TestDiffGoldenContent(t *testing.T) {
	d := Diff(yesterdayReport(), sampleReport())
	got := map[string]Change{}
	for _, h := range d.Hosts {
		got[h.Host] = h.Change
	}
	want := map[string]Change{
		"sql03.corp.example":    ChangeDrifted,
		"sql02.corp.example":    ChangeUnchecked,
		"sql04.corp.example":    ChangeUnchecked,
		"sql06.corp.example":    ChangeAdded,
		"sql05.corp.example":    ChangeRemoved,
		"legacy01.corp.example": ChangeFixed,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if d.Counts[ChangeUnchanged] != 1 {
		t.Errorf("unchanged = %d, want 1 (sql01)", d.Counts[ChangeUnchanged])
	}
	for _, h := range d.Hosts {
		if h.Host == "sql03.corp.example" {
			wantChecks := []CheckDelta{{ID: "ssis-service", Name: "SSIS Service", OldStatus: CheckPass, NewStatus: CheckFail,
				OldActual: sampleReport().Hosts[1].Checks[1].Actual, NewActual: sampleReport().Hosts[0].Checks[1].Actual}}
			if diff := cmp.Diff(wantChecks, h.Checks); diff != "" {
				t.Errorf("sql03 checks (-want +got):\n%s", diff)
			}
		}
		if h.Host == "sql02.corp.example" && len(h.Checks) != 0 {
			t.Errorf("unreachable host got check deltas %v; checks are compared only when both runs have them", h.Checks)
		}
	}
	if !d.NewDrift() {
		t.Error("NewDrift() = false, want true (sql03 drifted)")
	}
}

func TestDiffChecks(t *testing.T) {
	old := []Check{{ID: "a", Status: CheckPass, Actual: "x"}, {ID: "b", Status: CheckPass}, {Name: "named", Status: CheckFail}}
	new := []Check{{ID: "a", Status: CheckPass, Actual: "y"}, {ID: "c", Status: CheckFail}, {Name: "named", Status: CheckFail}}
	got := diffChecks(old, new)
	want := []CheckDelta{
		{ID: "a", OldStatus: CheckPass, NewStatus: CheckPass, OldActual: "x", NewActual: "y"},
		{ID: "c", NewStatus: CheckFail},
		{ID: "b", OldStatus: CheckPass},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("diffChecks (-want +got):\n%s", d)
	}
}

func TestDiffAddedDriftIsNewDrift(t *testing.T) {
	d := Diff(&Report{Mode: ModeScan}, hostsWith(StatusNoncompliant))
	if !d.NewDrift() || d.Counts[ChangeAdded] != 1 {
		t.Errorf("added noncompliant host: NewDrift=%v counts=%v", d.NewDrift(), d.Counts)
	}
	d = Diff(hostsWith(StatusNoncompliant), &Report{Mode: ModeScan})
	if d.NewDrift() || d.Counts[ChangeRemoved] != 1 {
		t.Errorf("removed host: NewDrift=%v counts=%v", d.NewDrift(), d.Counts)
	}
}

func TestDiffJSONShape(t *testing.T) {
	var b bytes.Buffer
	if err := Diff(yesterdayReport(), sampleReport()).WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schema string         `json:"schema"`
		Counts map[string]int `json:"counts"`
		Hosts  []map[string]any
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != DiffSchema || len(doc.Counts) != len(Changes()) || len(doc.Hosts) != 6 {
		t.Errorf("diff JSON: schema %q, %d counts, %d hosts; want %q, %d, 6", doc.Schema, len(doc.Counts), len(doc.Hosts), DiffSchema, len(Changes()))
	}
	var txt bytes.Buffer
	if err := Diff(&Report{Mode: ModeScan}, &Report{Mode: ModeScan}).WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(txt.String(), "no hosts") {
		t.Errorf("empty diff text = %q", txt.String())
	}
}

func TestDiffJSONMatchesSchema(t *testing.T) {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	sch, err := c.Compile("schema/diff.v1.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	valid, err := os.ReadFile("testdata/diff.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(decodeAny(t, valid)); err != nil {
		t.Errorf("diff golden does not match its schema: %v", err)
	}
	broken := bytes.Replace(valid, []byte(`"change": "fixed"`), []byte(`"change": "better"`), 1)
	if bytes.Equal(broken, valid) {
		t.Fatal("mutation did not apply")
	}
	if err := sch.Validate(decodeAny(t, broken)); err == nil {
		t.Error("diff schema accepts an unknown change")
	}
}

func TestDiffMarkdownAndHTMLEscape(t *testing.T) {
	old := &Report{Mode: ModeScan, Hosts: []Host{{Host: "a|b", Status: StatusCompliant}}}
	new := &Report{Mode: ModeScan, RunID: "r`1", Hosts: []Host{{Host: "a|b", Status: StatusNoncompliant, Reason: "<script>x</script> | y\n[z](http://e)"}}}
	d := Diff(old, new)
	var md, page bytes.Buffer
	if err := d.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	row := ""
	for _, l := range strings.Split(md.String(), "\n") {
		if strings.HasPrefix(l, `| a\|b |`) {
			row = l
		}
	}
	if n := strings.Count(strings.ReplaceAll(row, `\|`, ""), "|"); n != 6 || strings.Contains(row, "<script>") || strings.Contains(row, "[z](") {
		t.Errorf("Markdown row not escaped (%d cell separators): %q", n, row)
	}
	if !strings.Contains(md.String(), "**New drift:** 1 host drifted.") {
		t.Errorf("Markdown lacks the new-drift headline:\n%s", md.String())
	}
	out := page.String()
	if strings.Contains(out, "<script") || strings.Contains(out, "src=") || !strings.Contains(out, "&lt;script&gt;x&lt;/script&gt;") {
		t.Errorf("diff HTML has a script or unescaped text")
	}
	if !strings.Contains(out, `<p class="banner"><b>New drift.</b>`) || !strings.Contains(out, `href="#drifted"`) || !strings.Contains(out, `id="drifted"`) {
		t.Errorf("diff HTML lacks the banner or the link to the drifted table")
	}
}
