package inventory

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// ansibleList renders inv the way `ansible-inventory --list` (ansible-core
// 2.14) does, so it can be compared with Ansible's own output.
func ansibleList(inv *Inventory) map[string]any {
	out := map[string]any{}
	seen := map[string]bool{}
	var format func(g *Group)
	format = func(g *Group) {
		entry := map[string]any{}
		if g.Name != "all" && len(g.hosts) > 0 {
			var hs []any
			for _, h := range g.hosts {
				hs = append(hs, h.Name)
			}
			entry["hosts"] = hs
		}
		var kids []any
		for _, c := range g.children {
			kids = append(kids, c.Name)
			if !seen[c.Name] {
				seen[c.Name] = true
				format(c)
			}
		}
		if len(kids) > 0 {
			entry["children"] = kids
		}
		if len(entry) > 0 {
			out[g.Name] = entry
		}
	}
	format(inv.Group("all"))
	hostvars := map[string]any{}
	for _, h := range inv.Hosts() {
		vs := h.Vars()
		if len(vs) == 0 {
			continue
		}
		m := map[string]any{}
		for k, v := range vs {
			m[k] = v.Value
		}
		hostvars[h.Name] = m
	}
	out["_meta"] = map[string]any{"hostvars": hostvars}
	return out
}

// normalize round-trips v through JSON so that Go and Ansible values compare
// by JSON meaning (1 and 1.0 are equal).
func normalize(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAnsibleCorpus loads inventories shaped like the examples in Ansible's
// inventory documentation and compares hosts, groups (with order) and every
// resolved variable with what ansible-inventory printed for the same files
// (testdata/corpus/*/ansible.json and graph.txt, made by regen.sh).
func TestAnsibleCorpus(t *testing.T) {
	dirs, err := filepath.Glob("testdata/corpus/*/ansible.json")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	for _, want := range dirs {
		dir := filepath.Dir(want)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			invs, _ := filepath.Glob(filepath.Join(dir, "inventory.*"))
			if len(invs) != 1 {
				t.Fatalf("want one inventory file in %s, got %v", dir, invs)
			}
			inv, err := Load(invs[0])
			if err != nil {
				t.Fatalf("Load(%s): %v", invs[0], err)
			}
			raw, err := os.ReadFile(want)
			if err != nil {
				t.Fatal(err)
			}
			var wantJSON any
			if err := json.Unmarshal(raw, &wantJSON); err != nil {
				t.Fatal(err)
			}
			got := normalize(t, ansibleList(inv))
			if d := cmp.Diff(wantJSON, got); d != "" {
				t.Errorf("Load(%s) differs from ansible-inventory --list (-ansible +winfleet):\n%s", invs[0], d)
			}
			wantGraph, err := os.ReadFile(filepath.Join(dir, "graph.txt"))
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := WriteGraph(&buf, inv); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(strings.TrimSpace(string(wantGraph)), strings.TrimSpace(buf.String())); d != "" {
				t.Errorf("WriteGraph differs from ansible-inventory --graph (-ansible +winfleet):\n%s", d)
			}
		})
	}
}

// TestListFormatRoundTrip loads each ansible-inventory --list output of the
// corpus as an inventory (the format of inventory scripts and of exports of
// dynamic inventories) and checks it resolves to the same hosts, groups and
// vars.
func TestListFormatRoundTrip(t *testing.T) {
	files, err := filepath.Glob("testdata/corpus/*/ansible.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(f)), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var want any
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			inv, err := Parse(f, FormatYAML, raw)
			if err != nil {
				t.Fatalf("Parse(%s): %v", f, err)
			}
			if d := cmp.Diff(want, normalize(t, ansibleList(inv))); d != "" {
				t.Errorf("round trip differs (-want +got):\n%s", d)
			}
		})
	}
}
