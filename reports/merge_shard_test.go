package reports

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// shardRun splits a whole run into n shard reports as n "--shard K/n"
// runners would write them: host i goes to shard i%n+1, each shard its own
// run id and times.
func shardRun(whole *Report, n int) []Shard {
	out := make([]Shard, n)
	for k := 1; k <= n; k++ {
		r := *whole
		r.RunID = fmt.Sprintf("%s-%d", whole.RunID, k)
		r.Shard = fmt.Sprintf("%d/%d", k, n)
		r.StartedAt = whole.StartedAt.Add(time.Duration(k) * time.Second)
		r.Hosts = []Host{}
		for i, h := range whole.Hosts {
			if i%n == k-1 {
				r.Hosts = append(r.Hosts, copyHost(h))
			}
		}
		out[k-1] = Shard{Name: fmt.Sprintf("shard-%d.json", k), Report: &r}
	}
	return out
}

// TestMergeShardsGatesLikeTheWholeRun: for random fleets, the merge of the
// shards has exactly the whole run's hosts and the whole run's exit code.
func TestMergeShardsGatesLikeTheWholeRun(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 14))
	for trial := range 200 {
		whole := &Report{Schema: Schema, RunID: "run", Mode: ModeScan, Playbook: "ssis-firewall",
			StartedAt: time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC)}
		for i := range r.IntN(40) {
			st := HostStatuses[r.IntN(len(HostStatuses))]
			if r.IntN(3) > 0 {
				st = StatusCompliant
			}
			whole.Hosts = append(whole.Hosts, Host{Host: fmt.Sprintf("h%02d", i), Status: st, Checks: []Check{}})
		}
		n := 1 + r.IntN(5)
		merged, err := MergeShards(shardRun(whole, n)...)
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		var got, want []string
		for _, h := range merged.Hosts {
			got = append(got, h.Host+"="+string(h.Status))
		}
		for _, h := range whole.Hosts {
			want = append(want, h.Host+"="+string(h.Status))
		}
		slices.Sort(want)
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("trial %d: merged hosts (-whole +merged):\n%s", trial, d)
		}
		if Outcome(merged) != Outcome(whole) {
			t.Fatalf("trial %d: merged outcome %d, whole run %d", trial, Outcome(merged), Outcome(whole))
		}
		if merged.Shard != "" {
			t.Fatalf("trial %d: merged shard %q, want \"\"", trial, merged.Shard)
		}
	}
}

func TestMergeShardsRefusesIncompleteSets(t *testing.T) {
	whole := sampleReport()
	three := func() []Shard { return shardRun(whole, 3) }
	tests := []struct {
		name       string
		shards     func() []Shard
		wantErr    string
		incomplete bool
	}{
		{
			name:       "one missing",
			shards:     func() []Shard { s := three(); return []Shard{s[0], s[2]} },
			wantErr:    "merge: shards missing: 2/3 of a 3-shard run (given: 1/3 shard-1.json, 3/3 shard-3.json)",
			incomplete: true,
		},
		{
			name:       "two missing",
			shards:     func() []Shard { return three()[1:2] },
			wantErr:    "shards missing: 1/3, 3/3 of a 3-shard run (given: 2/3 shard-2.json)",
			incomplete: true,
		},
		{
			name: "shard twice",
			shards: func() []Shard {
				s := three()
				dup := s[1]
				dup.Name = "copy.json"
				return []Shard{s[0], s[1], dup, s[2]}
			},
			wantErr: "shard 2/3 given twice: shard-2.json and copy.json",
		},
		{
			name: "shard counts differ",
			shards: func() []Shard {
				s := three()
				s[2].Report.Shard = "3/4"
				return s
			},
			wantErr: "shard count differs: shard-1.json is shard 1/3, shard-3.json is shard 3/4",
		},
		{
			name: "shards and a whole report",
			shards: func() []Shard {
				s := three()
				s[1].Report.Shard = ""
				return s
			},
			wantErr: "shard-2.json has no shard key but shard-1.json is shard 1/3",
		},
		{
			name: "bad shard key",
			shards: func() []Shard {
				s := three()
				s[0].Report.Shard = "0/3"
				return s
			},
			wantErr: `shard-1.json: shard "0/3": want K/N with 1 <= K <= N`,
		},
		{
			name: "overlapping shards",
			shards: func() []Shard {
				s := three()
				s[1].Report.Hosts = append(s[1].Report.Hosts, copyHost(s[0].Report.Hosts[0]))
				return s
			},
			wantErr: "is in both shard-1.json and shard-2.json",
		},
		{
			name: "different playbook content",
			shards: func() []Shard {
				s := three()
				s[0].Report.PlaybookDigest = "sha256:aaaa"
				s[1].Report.PlaybookDigest = ""
				s[2].Report.PlaybookDigest = "sha256:bbbb"
				return s
			},
			wantErr: "playbook digest differs: shard-1.json is sha256:aaaa, shard-3.json is sha256:bbbb",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := MergeShards(tt.shards()...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrMerge) {
				t.Fatalf("MergeShards = %v, want ErrMerge containing %q", err, tt.wantErr)
			}
			if errors.Is(err, ErrShardsIncomplete) != tt.incomplete {
				t.Errorf("errors.Is(err, ErrShardsIncomplete) = %v, want %v", !tt.incomplete, tt.incomplete)
			}
		})
	}
	// Whole reports of host sets (no shard key) still merge as before.
	a, b := shardsOf(t)
	if _, err := MergeShards(Shard{"a.json", a}, Shard{"b.json", b}); err != nil {
		t.Errorf("plain merge: %v", err)
	}
}

func TestMergeShardsKeepsCommonMetadata(t *testing.T) {
	whole := sampleReport()
	whole.Tool = &Tool{Name: "winfleet", Version: "v1.2.0", Revision: "7380c9422970"}
	whole.Operator, whole.Controller = "ops", "runner-1"
	whole.PlaybookDigest = "sha256:abcd"
	whole.CommandLine = []string{"winfleet", "scan"}
	shards := shardRun(whole, 2)
	merged, err := MergeShards(shards...)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(whole.Tool, merged.Tool); d != "" || merged.Tool == whole.Tool {
		t.Errorf("merged tool (-want +got):\n%s (and must be a copy)", d)
	}
	if merged.Operator != "ops" || merged.Controller != "runner-1" || merged.PlaybookDigest != "sha256:abcd" || merged.CommandLine != nil {
		t.Errorf("merged metadata: operator %q controller %q digest %q command line %q",
			merged.Operator, merged.Controller, merged.PlaybookDigest, merged.CommandLine)
	}

	shards[1].Report.Tool = &Tool{Name: "winfleet", Version: "v1.3.0"}
	shards[1].Report.Controller = "runner-2"
	shards[0].Report.Incomplete = "run killed after sql03"
	shards[1].Report.PlaybookDigest = ""
	merged, err = MergeShards(shards...)
	if err != nil {
		t.Fatal(err)
	}
	if merged.Tool != nil || merged.Controller != "" || merged.PlaybookDigest != "" {
		t.Errorf("differing metadata kept: tool %+v controller %q digest %q", merged.Tool, merged.Controller, merged.PlaybookDigest)
	}
	if merged.Incomplete != "shard-1.json: run killed after sql03" {
		t.Errorf("merged incomplete = %q", merged.Incomplete)
	}
}

func TestParseShardKey(t *testing.T) {
	for _, tt := range []struct {
		in   string
		k, n int
	}{{"1/1", 1, 1}, {"2/3", 2, 3}, {"10/12", 10, 12}} {
		k, n, err := ParseShardKey(tt.in)
		if err != nil || k != tt.k || n != tt.n {
			t.Errorf("ParseShardKey(%q) = %d, %d, %v; want %d, %d", tt.in, k, n, err, tt.k, tt.n)
		}
	}
	for _, in := range []string{"", "3", "0/3", "4/3", "01/3", "1/03", "+1/3", "a/b", "1/3/4", " 1/3", "-1/3", "1/0"} {
		if _, _, err := ParseShardKey(in); err == nil {
			t.Errorf("ParseShardKey(%q) succeeded", in)
		}
	}
}
