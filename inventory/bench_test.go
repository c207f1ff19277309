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

// BenchmarkSelectFile1000 selects 1,000 hosts named one per line in an
// @file (a bench run's or a CI job's host list) out of 10,000: literal
// names are looked up, no regexp is compiled for them.
func BenchmarkSelectFile1000(b *testing.B) {
	var inv, list strings.Builder
	inv.WriteString("[sql]\n")
	for i := range 10000 {
		fmt.Fprintf(&inv, "sql%05d.corp.example\n", i)
		if i%10 == 0 {
			fmt.Fprintf(&list, "sql%05d.corp.example\n", i)
		}
	}
	dir := b.TempDir()
	invPath, listPath := filepath.Join(dir, "hosts.ini"), filepath.Join(dir, "hosts.txt")
	for p, s := range map[string]string{invPath: inv.String(), listPath: list.String()} {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	loaded, err := Load(invPath)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		hs, err := loaded.Select("@"+listPath, os.ReadFile)
		if err != nil || len(hs) != 1000 {
			b.Fatalf("Select = %d hosts, %v", len(hs), err)
		}
	}
}
