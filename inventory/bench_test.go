package inventory

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bigINI writes an INI inventory of 50,000 hosts in 500 groups (100 hosts
// each, given as one range line per group plus an inline-var host), with
// group vars and a two-level children tree.
func bigINI(tb testing.TB) string {
	tb.Helper()
	var b strings.Builder
	for g := 0; g < 500; g++ {
		fmt.Fprintf(&b, "[site%03d]\n", g)
		for h := 0; h < 100; h++ {
			fmt.Fprintf(&b, "sql%03d-%03d.corp.example ansible_host=10.%d.%d.%d sql_version=150\n", g, h, g/250, g%250, h+1)
		}
		fmt.Fprintf(&b, "[site%03d:vars]\nansible_port=5986\nrack=r%d\n\n", g, g%20)
	}
	for r := 0; r < 10; r++ {
		fmt.Fprintf(&b, "[region%d:children]\n", r)
		for g := r; g < 500; g += 10 {
			fmt.Fprintf(&b, "site%03d\n", g)
		}
	}
	b.WriteString("[all:vars]\nansible_user=svc\nansible_winrm_transport=ntlm\n")
	path := filepath.Join(tb.TempDir(), "big.ini")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// BenchmarkLoad50k loads a 50,000-host, 500-group INI inventory
// (target: under 1 s and 200 MB).
func BenchmarkLoad50k(b *testing.B) {
	path := bigINI(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		inv, err := Load(path)
		if err != nil {
			b.Fatal(err)
		}
		if n := len(inv.Hosts()); n != 50000 {
			b.Fatalf("got %d hosts, want 50000", n)
		}
	}
}
