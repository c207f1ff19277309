package inventory

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseINI checks that the INI parser never panics and that every error
// it returns carries a position (file and line).
func FuzzParseINI(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/corpus/*/inventory.ini")
	seeds = append(seeds, "testdata/patterns/inventory.ini")
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"[a:children]\nb\n[b:children]\na\n[b]\n",
		"h x=\"unterminated\n",
		"h ansible_port=99999\n",
		"web[01:1000:0].example\n",
		"[g:vars]\nansible_group_priority=x\n",
		"[bad section]\n",
		"h:\n",
		"[2001:db8::1]:5985 a=[1,{'k':(2,)}]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := Parse("fuzz.ini", FormatINI, data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error without position: %T %v", err, err)
			}
			if e.File == "" || e.Line <= 0 {
				t.Fatalf("error without file:line: %v", err)
			}
			return
		}
		for _, h := range inv.Hosts() {
			if len(h.Groups()) == 0 {
				t.Fatalf("host %q in no group", h.Name)
			}
		}
		if err := WriteGraph(io.Discard, inv); err != nil {
			t.Fatal(err)
		}
		if err := WriteList(io.Discard, inv.Hosts(), "json"); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzParsePattern checks that pattern parsing and selection never panic,
// that parse errors carry an offset inside the pattern, and that Select
// fails only with ErrNoHostMatched or a *PatternError.
func FuzzParsePattern(f *testing.F) {
	inv, err := Load("testdata/patterns/inventory.ini")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"all", "*", "web*:&staging:!www02*", "~db-[a-c]", "atlanta,raleigh",
		"webservers[1:3]", "webservers[-1]", "@hosts.txt", "!x", "&y", "a[", "~(", "sql[01:40]", "::1", ""} {
		f.Add(s)
	}
	read := func(string) ([]byte, error) { return []byte("host1\n!host2\n~www0[1-3]\n"), nil }
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePattern(s)
		if err != nil {
			var pe *PatternError
			if !errors.As(err, &pe) {
				t.Fatalf("ParsePattern(%q): error %T without position: %v", s, err, err)
			}
			if pe.Pos < 0 || pe.Pos > len(s) {
				t.Fatalf("ParsePattern(%q): position %d outside the pattern", s, pe.Pos)
			}
			return
		}
		_, err = inv.SelectPattern(p, read)
		var pe *PatternError
		if err != nil && !errors.Is(err, ErrNoHostMatched) && !errors.As(err, &pe) {
			t.Fatalf("Select(%q): unexpected error %T %v", s, err, err)
		}
	})
}

// FuzzParseYAML checks the YAML inventory parser the same way: no panic, and
// every error carries file and line.
func FuzzParseYAML(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/corpus/*/inventory.y*ml")
	more, _ := filepath.Glob("testdata/corpus/*/ansible.json")
	for _, s := range append(seeds, more...) {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("all:\n  hosts:\n    h: &a {x: *a}\n"))
	f.Add([]byte("all:\n  children:\n    a:\n      children:\n        a:\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := Parse("fuzz.yml", FormatYAML, data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.File == "" || e.Line <= 0 {
				t.Fatalf("error without file:line: %T %v", err, err)
			}
			return
		}
		if err := WriteList(io.Discard, inv.Hosts(), "json"); err != nil {
			t.Fatal(err)
		}
	})
}
