package inventory

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, d)
	}
}

func TestGoldenListAndGraph(t *testing.T) {
	tests := []struct {
		name, path, limit string
	}{
		{"windows-fleet", "testdata/corpus/windows-fleet/inventory.yml", ""},
		{"ini-children", "testdata/corpus/ini-children/inventory.ini", ""},
		{"ini-children-limited", "testdata/corpus/ini-children/inventory.ini", "usa:!atlanta"},
		{"csv-fleet", "testdata/csv/fleet.csv", ""},
		{"secrets", "testdata/secrets/inventory.yml", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := Load(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			hosts := inv.Hosts()
			if tt.limit != "" {
				if hosts, err = inv.Select(tt.limit, nil); err != nil {
					t.Fatal(err)
				}
			}
			for _, format := range []string{"table", "json"} {
				var buf bytes.Buffer
				if err := WriteList(&buf, hosts, format); err != nil {
					t.Fatal(err)
				}
				golden(t, tt.name+".list."+format, buf.Bytes())
			}
			var buf bytes.Buffer
			if err := WriteGraph(&buf, inv); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name+".graph", buf.Bytes())
		})
	}
}
