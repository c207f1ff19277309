package reports

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// shardsOf splits the sample into two shards as two forks of a rollout
// would write them.
func shardsOf(t *testing.T) (a, b *Report) {
	t.Helper()
	s := sampleReport()
	a, b = sampleReport(), sampleReport()
	a.Hosts, b.Hosts = s.Hosts[:3], s.Hosts[3:]
	a.RunID, b.RunID = "run-a", "run-b"
	b.Inventory = "inventories/dr.yaml"
	b.StartedAt = s.StartedAt.Add(-time.Minute)
	a.FinishedAt = s.FinishedAt.Add(time.Hour)
	return a, b
}

func TestMerge(t *testing.T) {
	a, b := shardsOf(t)
	aBefore, _ := shardsOf(t)
	got, err := Merge(a, b)
	if err != nil {
		t.Fatalf("Merge: %v", err)
	}
	if d := cmp.Diff(aBefore, a); d != "" {
		t.Errorf("Merge modified its input (-before +after):\n%s", d)
	}
	if !got.StartedAt.Equal(b.StartedAt) || !got.FinishedAt.Equal(a.FinishedAt) {
		t.Errorf("merged times %v..%v, want %v..%v", got.StartedAt, got.FinishedAt, b.StartedAt, a.FinishedAt)
	}
	if got.Inventory != "inventories/prod.yaml, inventories/dr.yaml" {
		t.Errorf("merged inventory = %q", got.Inventory)
	}
	if !strings.HasPrefix(got.RunID, "merge-") || len(got.RunID) != len("merge-")+12 {
		t.Errorf("merged run_id = %q, want merge-<12 hex>", got.RunID)
	}
	again, _ := Merge(b, a)
	if again.RunID != got.RunID {
		t.Errorf("run_id depends on shard order: %q vs %q", got.RunID, again.RunID)
	}
	if d := cmp.Diff(got.Hosts, again.Hosts); d != "" {
		t.Errorf("hosts depend on shard order:\n%s", d)
	}
	// The merge of the shards renders like the unsharded run apart from
	// the run metadata.
	whole := sampleReport()
	whole.RunID, whole.Inventory, whole.StartedAt, whole.FinishedAt = got.RunID, got.Inventory, got.StartedAt, got.FinishedAt
	whole.CommandLine = nil // per shard: a merge drops it
	var w1, w2 bytes.Buffer
	if err := WriteJSON(&w1, whole); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&w2, got); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(w1.String(), w2.String()); d != "" {
		t.Errorf("merged shards differ from the whole run:\n%s", d)
	}
	if got.Summary[StatusCompliant] != 2 || got.Summary[StatusCancelled] != 0 || len(got.Summary) != len(HostStatuses) {
		t.Errorf("merged summary = %v", got.Summary)
	}
	same, err := Merge(sampleReport())
	if err != nil || same.RunID != sampleReport().RunID {
		t.Errorf("Merge of one report: run_id %q, %v; want it kept", same.RunID, err)
	}
}

func TestMergeErrors(t *testing.T) {
	tests := []struct {
		name    string
		shards  func(a, b *Report) []Shard
		wantErr string
	}{
		{"none", func(a, b *Report) []Shard { return nil }, "no reports"},
		{"mode differs", func(a, b *Report) []Shard {
			b.Mode = ModeApply
			return []Shard{{"shard1.json", a}, {"shard2.json", b}}
		}, `mode differs: shard1.json is "scan", shard2.json is "apply"`},
		{"playbook differs", func(a, b *Report) []Shard {
			b.Playbook = "rollback"
			return []Shard{{"shard1.json", a}, {"shard2.json", b}}
		}, `playbook differs: shard1.json is "ssis-firewall", shard2.json is "rollback"`},
		{"duplicate host", func(a, b *Report) []Shard {
			b.Hosts = append(b.Hosts, a.Hosts[1])
			return []Shard{{"shard1.json", a}, {"shard2.json", b}}
		}, `host "sql01.corp.example" is in both shard1.json and shard2.json`},
		{"invalid shard", func(a, b *Report) []Shard {
			b.Hosts[0].Status = "meh"
			return []Shard{{"shard1.json", a}, {"shard2.json", b}}
		}, `shard2.json: invalid report: host "legacy01.corp.example": unknown status "meh"`},
		{"nil shard", func(a, b *Report) []Shard { return []Shard{{"shard1.json", a}, {"x.json", nil}} }, "x.json: nil report"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := shardsOf(t)
			_, err := MergeShards(tt.shards(a, b)...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("MergeShards = %v, want error containing %q", err, tt.wantErr)
			}
			if !errors.Is(err, ErrMerge) && !errors.Is(err, ErrInvalid) {
				t.Errorf("MergeShards error %v wraps neither ErrMerge nor ErrInvalid", err)
			}
		})
	}
	a, b := shardsOf(t)
	b.Hosts = append(b.Hosts, a.Hosts[0])
	if _, err := Merge(a, b); err == nil || !strings.Contains(err.Error(), `report 1 (run_id "run-a") and report 2 (run_id "run-b")`) {
		t.Errorf("Merge duplicate = %v, want both reports named", err)
	}
}

func TestMergeMetadata(t *testing.T) {
	a, b := shardsOf(t)
	a.Shard, b.Shard = "1/2", "2/2"
	b.Operator = "someone-else"
	b.CommandLine = append(b.CommandLine, "--shard", "2/2")
	a.Incomplete = "rebuilt from the write journal"
	got, err := Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Tool == nil || *got.Tool != *a.Tool || got.Controller != a.Controller || got.PlaybookDigest != a.PlaybookDigest {
		t.Errorf("merge lost what the shards agree on: tool %v, controller %q, digest %q", got.Tool, got.Controller, got.PlaybookDigest)
	}
	if got.Operator != "" || got.CommandLine != nil || got.Shard != "" {
		t.Errorf("merge kept what the shards disagree on: operator %q, command line %q, shard %q", got.Operator, got.CommandLine, got.Shard)
	}
	if want := `report 1 (run_id "run-a"): ` + a.Incomplete; got.Incomplete != want {
		t.Errorf("incomplete = %q, want the shard's note prefixed by its name, %q", got.Incomplete, want)
	}
	a.Tool.Version = "changed after the merge"
	if got.Tool.Version == a.Tool.Version {
		t.Errorf("the merged report shares its tool with a shard")
	}
}
