package inventory

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestShardOfIsReproducible pins ShardOf to the documented formula, with
// values computed outside Go:
//
//	x=$(printf %s sql01.corp.example | sha256sum | cut -c1-16)
//	python3 -c "print(int('$x', 16) % 3 + 1)"
func TestShardOfIsReproducible(t *testing.T) {
	tests := []struct {
		name string
		n    int
		want int
	}{
		{"sql01.corp.example", 3, 2},
		{"sql01.corp.example", 7, 4},
		{"sql02.corp.example", 3, 1},
		{"sql02.corp.example", 7, 4},
		{"a", 3, 2},
		{"a", 7, 5},
		{"anything", 1, 1},
	}
	for _, tt := range tests {
		if got := ShardOf(tt.name, tt.n); got != tt.want {
			t.Errorf("ShardOf(%q, %d) = %d, want %d", tt.name, tt.n, got, tt.want)
		}
	}
}

func hostsNamed(names []string) []*Host {
	hs := make([]*Host, len(names))
	for i, n := range names {
		hs[i] = &Host{Name: n, Index: i}
	}
	return hs
}

// randomNames returns n distinct host names, shaped like real ones.
func randomNames(r *rand.Rand, n int) []string {
	seen := map[string]bool{}
	var out []string
	for len(out) < n {
		var name string
		switch r.IntN(3) {
		case 0:
			name = fmt.Sprintf("sql%03d.corp.example", r.IntN(100000))
		case 1:
			name = fmt.Sprintf("10.%d.%d.%d", r.IntN(256), r.IntN(256), r.IntN(256))
		default:
			b := make([]byte, 1+r.IntN(20))
			for i := range b {
				b[i] = byte('a' + r.IntN(26))
			}
			name = string(b)
		}
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}

// TestShardPartitionProperty: for random fleets and shard counts, the
// shards 1..N are disjoint, their union is the fleet, and each keeps the
// fleet's order.
func TestShardPartitionProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 14))
	for trial := range 300 {
		names := randomNames(r, r.IntN(200))
		n := 1 + r.IntN(20)
		hosts := hostsNamed(names)
		owner := map[string]int{}
		for k := 1; k <= n; k++ {
			part := Shard{K: k, N: n}.Select(hosts)
			if !slices.IsSortedFunc(part, func(a, b *Host) int { return a.Index - b.Index }) {
				t.Fatalf("trial %d: shard %d/%d is not in fleet order", trial, k, n)
			}
			for _, h := range part {
				if prev, dup := owner[h.Name]; dup {
					t.Fatalf("trial %d: %s in shards %d and %d of %d", trial, h.Name, prev, k, n)
				}
				owner[h.Name] = k
			}
		}
		if len(owner) != len(names) {
			t.Fatalf("trial %d: shards of %d cover %d of %d hosts", trial, n, len(owner), len(names))
		}
	}
}

// TestShardStableWhenHostsAdded: adding hosts to a fleet never moves a
// host that was already there to another shard (for the same N), and
// removing hosts moves none either.
func TestShardStableWhenHostsAdded(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 14))
	for trial := range 300 {
		all := randomNames(r, 1+r.IntN(300))
		before := all[:r.IntN(len(all)+1)] // a prefix: the old fleet
		r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		n := 1 + r.IntN(16)
		shardIn := func(names []string) map[string]int {
			m := map[string]int{}
			hosts := hostsNamed(names)
			for k := 1; k <= n; k++ {
				for _, h := range (Shard{K: k, N: n}).Select(hosts) {
					m[h.Name] = k
				}
			}
			return m
		}
		old, grown := shardIn(before), shardIn(all)
		for name, k := range old {
			if grown[name] != k {
				t.Fatalf("trial %d: adding %d hosts moved %s from shard %d to %d of %d",
					trial, len(all)-len(before), name, k, grown[name], n)
			}
		}
	}
}

// TestShardBalance: on a realistic fleet the shards are even enough (a
// statistical property of SHA-256; the names are fixed, so the test is
// deterministic).
func TestShardBalance(t *testing.T) {
	var names []string
	for i := range 10000 {
		names = append(names, fmt.Sprintf("sql%05d.corp.example", i))
	}
	hosts := hostsNamed(names)
	for _, n := range []int{2, 3, 5, 10, 32} {
		want := len(names) / n
		for k := 1; k <= n; k++ {
			got := len(Shard{K: k, N: n}.Select(hosts))
			if d := got - want; d*d*100 > want*want*4 { // within ±20% (±2 sigma is ~±6% at n=32)
				t.Errorf("shard %d/%d has %d hosts, want about %d", k, n, got, want)
			}
		}
	}
}

func TestShardZeroSelectsAll(t *testing.T) {
	hosts := hostsNamed([]string{"a", "b", "c"})
	if got := (Shard{}).Select(hosts); len(got) != 3 {
		t.Errorf("zero Shard selected %d hosts, want 3", len(got))
	}
	if (Shard{}).String() != "" || (Shard{K: 2, N: 3}).String() != "2/3" {
		t.Errorf("String: %q, %q", Shard{}.String(), Shard{K: 2, N: 3}.String())
	}
}

func TestParseShard(t *testing.T) {
	env := func(kv ...string) func(string) (string, bool) {
		m := map[string]string{}
		for _, s := range kv {
			k, v, _ := strings.Cut(s, "=")
			m[k] = v
		}
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	tests := []struct {
		spec    string
		env     []string
		want    Shard
		wantErr string
	}{
		{spec: "", want: Shard{}},
		{spec: "1/3", want: Shard{1, 3}},
		{spec: "3/3", want: Shard{3, 3}},
		{spec: "1/1", want: Shard{1, 1}},
		{spec: "auto/3", env: []string{"JOB_COMPLETION_INDEX=0"}, want: Shard{1, 3}},
		{spec: "auto/3", env: []string{"JOB_COMPLETION_INDEX=2"}, want: Shard{3, 3}},
		{spec: "auto", env: []string{"JOB_COMPLETION_INDEX=1", "WINFLEET_SHARDS=4"}, want: Shard{2, 4}},
		{spec: "auto/3", env: []string{"JOB_COMPLETION_INDEX=1", "WINFLEET_SHARDS=9"}, want: Shard{2, 3}}, // the spec's N wins

		{spec: "0/3", wantErr: `bad --shard "0/3": shard "0" is not 1..3 (shards are numbered from 1)`},
		{spec: "4/3", wantErr: `shard "4" is not 1..3`},
		{spec: "x/3", wantErr: `shard "x" is not 1..3`},
		{spec: "1/0", wantErr: `shard count "0": want a whole number 1..10000`},
		{spec: "1/10001", wantErr: `want a whole number 1..10000`},
		{spec: "1/", wantErr: `shard count ""`},
		{spec: "2", wantErr: `want K/N (e.g. 2/3), auto/N or auto`},
		{spec: "1/2/3", wantErr: `shard count "2/3"`},
		{spec: " 1/3", wantErr: `shard " 1" is not`},
		{spec: "auto/3", wantErr: `JOB_COMPLETION_INDEX is not set`},
		{spec: "auto/3", env: []string{"JOB_COMPLETION_INDEX=3"}, wantErr: `JOB_COMPLETION_INDEX="3" is not an index 0..2: the Job's completions and the shard count 3 must be equal`},
		{spec: "auto/3", env: []string{"JOB_COMPLETION_INDEX=-1"}, wantErr: `is not an index 0..2`},
		{spec: "auto/3", env: []string{"JOB_COMPLETION_INDEX=one"}, wantErr: `is not an index 0..2`},
		{spec: "auto", env: []string{"JOB_COMPLETION_INDEX=0"}, wantErr: `auto needs the shard count: --shard auto/N, or WINFLEET_SHARDS=N`},
		{spec: "auto", env: []string{"JOB_COMPLETION_INDEX=0", "WINFLEET_SHARDS=x"}, wantErr: `shard count "x"`},
		{spec: "auto/", wantErr: `shard count ""`},
	}
	for _, tt := range tests {
		t.Run(tt.spec+" "+strings.Join(tt.env, " "), func(t *testing.T) {
			got, err := ParseShard(tt.spec, env(tt.env...))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrShard) {
					t.Fatalf("ParseShard(%q) = %v, %v; want ErrShard containing %q", tt.spec, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseShard(%q) = %v, %v; want %v", tt.spec, got, err, tt.want)
			}
		})
	}
}

func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"1/3", "auto/3", "auto", "0/0", "/", "9999/10000"} {
		f.Add(s, "2")
	}
	f.Fuzz(func(t *testing.T, spec, idx string) {
		env := func(k string) (string, bool) {
			switch k {
			case JobIndexEnv:
				return idx, true
			case ShardCountEnv:
				return "5", true
			}
			return "", false
		}
		s, err := ParseShard(spec, env)
		if err != nil {
			if !errors.Is(err, ErrShard) {
				t.Fatalf("ParseShard(%q) error %v does not wrap ErrShard", spec, err)
			}
			return
		}
		if s.IsZero() {
			if spec != "" {
				t.Fatalf("ParseShard(%q) = zero Shard", spec)
			}
			return
		}
		if s.K < 1 || s.K > s.N || s.N > MaxShards {
			t.Fatalf("ParseShard(%q) = %v, out of range", spec, s)
		}
		if k := ShardOf(spec, s.N); k < 1 || k > s.N {
			t.Fatalf("ShardOf(%q, %d) = %d", spec, s.N, k)
		}
	})
}

func BenchmarkShardSelect10000(b *testing.B) {
	var names []string
	for i := range 10000 {
		names = append(names, fmt.Sprintf("sql%05d.corp.example", i))
	}
	hosts := hostsNamed(names)
	b.ReportAllocs()
	for b.Loop() {
		_ = Shard{K: 2, N: 3}.Select(hosts)
	}
}
