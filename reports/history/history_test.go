package history

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/winfleet/winfleet/reports"
)

// cest is the zone of the tests' calendar days: UTC+2, so a run at
// 23:30 UTC is on the next local day.
var cest = time.FixedZone("CEST", 2*3600)

// fixedClock returns a Now that always answers t.
func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

// run makes a valid scan report with the given hosts ("name=status").
func run(id string, start time.Time, hosts ...string) *reports.Report {
	r := &reports.Report{Schema: reports.Schema, RunID: id, Mode: reports.ModeScan, Playbook: "ssis-firewall",
		StartedAt: start, FinishedAt: start.Add(time.Minute), Hosts: []reports.Host{}}
	for _, h := range hosts {
		name, st, _ := strings.Cut(h, "=")
		r.Hosts = append(r.Hosts, reports.Host{Host: name, Status: reports.HostStatus(st), Checks: []reports.Check{}})
	}
	reports.Summarize(r)
	return r
}

func open(t *testing.T, dir string, now time.Time) *Store {
	t.Helper()
	s, err := Open(dir, Options{Now: fixedClock(now), Location: cest})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func save(t *testing.T, s *Store, r *reports.Report, keep int) string {
	t.Helper()
	p, _, err := s.Save(r, keep)
	if err != nil {
		t.Fatalf("Save(%s): %v", r.RunID, err)
	}
	return p
}

func names(es []Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Name)
	}
	return out
}

func TestSaveNamesAndReadsBack(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "hist") // Save creates it
	now := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	s := open(t, dir, now)
	start := time.Date(2026, 11, 26, 3, 0, 0, 123456789, cest) // 01:00:00.123 UTC
	p := save(t, s, run("20261126T010000Z-7f3a", start, "a=compliant"), 0)
	if want := filepath.Join(dir, "20261126T010000.123Z_20261126T010000Z-7f3a.json"); p != want {
		t.Errorf("Save path = %q, want %q", p, want)
	}
	r, err := reports.ReadFile(p)
	if err != nil {
		t.Fatalf("saved report does not read back: %v", err)
	}
	if r.RunID != "20261126T010000Z-7f3a" || len(r.Hosts) != 1 {
		t.Errorf("read back %+v", r)
	}

	// No start time: named by the clock. A run id that is not file-safe
	// stays inside the directory.
	p = save(t, s, run("../../etc/pass wd:x", time.Time{}, "a=compliant"), 0)
	if want := filepath.Join(dir, "20261127T080000.000Z_-..-etc-pass-wd-x.json"); p != want {
		t.Errorf("Save path = %q, want %q", p, want)
	}
	p = save(t, s, run("", time.Time{}, "a=compliant"), 0)
	if want := filepath.Join(dir, "20261127T080000.000Z_run.json"); p != want {
		t.Errorf("Save path = %q, want %q", p, want)
	}

	// The same time and run id again: a new name, the first file kept.
	again := run("20261126T010000Z-7f3a", start, "a=noncompliant")
	p2 := save(t, s, again, 0)
	if want := filepath.Join(dir, "20261126T010000.123Z_20261126T010000Z-7f3a-2.json"); p2 != want {
		t.Errorf("second Save path = %q, want %q", p2, want)
	}
	if r, err := reports.ReadFile(filepath.Join(dir, "20261126T010000.123Z_20261126T010000Z-7f3a.json")); err != nil || r.Hosts[0].Status != reports.StatusCompliant {
		t.Errorf("first file changed by the second Save: %v %v", r, err)
	}

	es, problems, err := s.List()
	if err != nil || len(problems) != 0 {
		t.Fatalf("List: %v %v", problems, err)
	}
	want := []string{
		"20261126T010000.123Z_20261126T010000Z-7f3a-2.json", // equal times sort by name
		"20261126T010000.123Z_20261126T010000Z-7f3a.json",
		"20261127T080000.000Z_-..-etc-pass-wd-x.json",
		"20261127T080000.000Z_run.json",
	}
	if d := cmp.Diff(want, names(es)); d != "" {
		t.Errorf("List (-want +got):\n%s", d)
	}
	if !es[0].Time.Equal(time.Date(2026, 11, 26, 1, 0, 0, 123e6, time.UTC)) || es[0].RunID != "20261126T010000Z-7f3a-2" {
		t.Errorf("entry = %+v", es[0])
	}
}

func TestSaveRefuses(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, time.Now())
	bad := run("x", time.Now(), "a=green")
	if _, _, err := s.Save(bad, 0); !errors.Is(err, reports.ErrInvalid) {
		t.Errorf("Save(invalid) = %v, want ErrInvalid", err)
	}
	if _, _, err := s.Save(run("x", time.Now()), -1); err == nil || !strings.Contains(err.Error(), "keep -1") {
		t.Errorf("Save(keep -1) = %v", err)
	}
	if des, _ := os.ReadDir(dir); len(des) != 0 {
		t.Errorf("refused saves left %d files", len(des))
	}
	f := filepath.Join(dir, "file")
	os.WriteFile(f, nil, 0o644)
	if _, err := Open(f, Options{}); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("Open(file) = %v", err)
	}
	if _, err := Open("", Options{}); err == nil {
		t.Error("Open(\"\") succeeded")
	}
	s = open(t, filepath.Join(dir, "missing"), time.Now())
	if _, _, err := s.List(); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("List of a missing directory = %v, want an error naming it", err)
	}
}

func TestSaveKeepsNewest(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, time.Now())
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644)
	base := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)
	var all []string
	for i := range 5 {
		all = append(all, save(t, s, run(fmt.Sprintf("r%d", i), base.AddDate(0, 0, i), "a=compliant"), 0))
	}
	// An older run saved last is pruned by its own Save: keep counts the
	// newest runs by start time.
	_, pruned, err := s.Save(run("old", base.AddDate(0, 0, -1), "a=compliant"), 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(pruned) != 3 {
		t.Errorf("pruned %v, want 3 files", pruned)
	}
	es, problems, _ := s.List()
	want := []string{filepath.Base(all[2]), filepath.Base(all[3]), filepath.Base(all[4])}
	if d := cmp.Diff(want, names(es)); d != "" {
		t.Errorf("after keep 3 (-want +got):\n%s", d)
	}
	if len(problems) != 1 || !errors.Is(problems[0].Err, ErrForeign) || !strings.HasSuffix(problems[0].Path, "notes.txt") {
		t.Errorf("problems = %v, want notes.txt as foreign", problems)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "notes.txt")); err != nil || string(b) != "mine" {
		t.Errorf("pruning touched a foreign file: %q %v", b, err)
	}
}

// TestConcurrentSaves: runs saving at once into one directory, with the
// same name and with pruning, never lose or corrupt each other's files.
func TestConcurrentSaves(t *testing.T) {
	t.Run("same name", func(t *testing.T) {
		dir := t.TempDir()
		s := open(t, dir, time.Now())
		start := time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
		const n = 16
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, _, errs[i] = s.Save(run("same", start, fmt.Sprintf("h%d=compliant", i)), 0)
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		es, problems, _ := s.List()
		if len(es) != n || len(problems) != 0 {
			t.Fatalf("%d files, problems %v; want %d files", len(es), problems, n)
		}
		seen := map[string]bool{}
		for _, e := range es {
			r, err := reports.ReadFile(s.Path(e))
			if err != nil {
				t.Fatalf("corrupt file: %v", err)
			}
			seen[r.Hosts[0].Host] = true
		}
		if len(seen) != n {
			t.Errorf("%d distinct runs kept, want %d: a save overwrote another", len(seen), n)
		}
		if des, _ := os.ReadDir(dir); len(des) != n {
			t.Errorf("%d directory entries, want %d (temporary files left?)", len(des), n)
		}
	})
	t.Run("with keep", func(t *testing.T) {
		dir := t.TempDir()
		s := open(t, dir, time.Now())
		base := time.Date(2026, 11, 1, 3, 0, 0, 0, time.UTC)
		const n, keep = 24, 5
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, _, errs[i] = s.Save(run(fmt.Sprintf("r%02d", i), base.Add(time.Duration(i)*time.Hour), "a=compliant"), keep)
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		es, _, _ := s.List()
		var ids []string
		for _, e := range es {
			if _, err := reports.ReadFile(s.Path(e)); err != nil {
				t.Errorf("corrupt file: %v", err)
			}
			ids = append(ids, e.RunID)
		}
		if want := []string{"r19", "r20", "r21", "r22", "r23"}; !slices.Equal(ids, want) {
			t.Errorf("kept %v, want the %d newest %v", ids, keep, want)
		}
	})
}

func TestProblemsAreNotFatal(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, time.Now())
	base := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)
	save(t, s, run("r1", base, "a=compliant"), 0)
	save(t, s, run("r2", base.Add(time.Hour), "a=noncompliant"), 0)
	corrupt := filepath.Join(dir, "20261120T050000.000Z_broken.json") // the newest, unreadable
	os.WriteFile(corrupt, []byte(`{"schema": "winfleet.report/v1", "hosts": "nope"}`), 0o644)
	os.WriteFile(filepath.Join(dir, "README"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(dir, ".save-123.json.tmp"), []byte("{"), 0o644) // a Save in progress: silent
	os.Mkdir(filepath.Join(dir, "archive"), 0o755)                             // silent

	runs, problems, err := s.Latest(2)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].RunID != "r2" || runs[1].RunID != "r1" {
		t.Errorf("Latest(2) = %v, want r2, r1", runs)
	}
	var got []string
	for _, p := range problems {
		got = append(got, p.Error())
	}
	if len(got) != 2 || !strings.Contains(got[0], "README") || !strings.Contains(got[0], "not a history file") ||
		!strings.Contains(got[1], "20261120T050000.000Z_broken.json") {
		t.Errorf("problems = %q, want README (foreign) and the broken file, by name", got)
	}
	old, new, problems, err := s.Since("last")
	if err != nil || old.RunID != "r1" || new.RunID != "r2" || len(problems) != 2 {
		t.Errorf("Since(last) = %s, %s, %v, %v; want r1, r2 and two problems", old.RunID, new.RunID, problems, err)
	}
}

func TestSince(t *testing.T) {
	dir := t.TempDir()
	// Local days are UTC+2. Runs (UTC):
	at := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, time.UTC) }
	runs := []*reports.Report{
		run("nov24", at(24, 1)),   // 24th 03:00 local
		run("nov25a", at(25, 1)),  // 25th 03:00
		run("nov25b", at(25, 21)), // 25th 23:00
		run("nov25c", at(25, 23)), // 26th 01:00 local: the 26th
		run("nov26", at(26, 10)),  // 26th 12:00
		run("nov27", at(27, 1)),   // 27th 03:00, the newest
	}
	s0 := open(t, dir, at(27, 8))
	for _, r := range runs {
		save(t, s0, r, 0)
	}
	tests := []struct {
		spec    string
		now     time.Time
		wantOld string
		wantErr string
	}{
		{spec: "last", now: at(27, 8), wantOld: "nov26"},
		{spec: "yesterday", now: at(27, 8), wantOld: "nov26"},
		{spec: "yesterday", now: at(26, 23), wantOld: "nov26"}, // 27th 01:00 local
		{spec: "yesterday", now: at(26, 21), wantOld: "nov25b"},
		{spec: "yesterday", now: at(28, 8), wantErr: "no readable run on 2026-11-27 (yesterday) other than the newest"},
		{spec: "yesterday", now: at(30, 8), wantErr: "no readable run on 2026-11-29"},
		{spec: "2026-11-25", wantOld: "nov25b"},
		{spec: "2026-11-26", wantOld: "nov26"},
		{spec: "2026-11-24", wantOld: "nov24"},
		{spec: "2026-12-01", wantOld: "nov26"}, // on or before: anything older than the newest
		{spec: "2026-11-23", wantErr: "no readable run on or before 2026-11-23"},
		{spec: "today", wantErr: `--since "today": want last, yesterday or a date YYYY-MM-DD`},
		{spec: "", wantErr: "want last, yesterday or a date"},
		{spec: "2026-13-01", wantErr: "want last, yesterday or a date"},
	}
	for _, tt := range tests {
		t.Run(tt.spec+"@"+tt.now.Format(time.RFC3339), func(t *testing.T) {
			now := tt.now
			if now.IsZero() {
				now = at(27, 8)
			}
			s := open(t, dir, now)
			old, new, _, err := s.Since(tt.spec)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Since(%q) = %s, %v; want error containing %q", tt.spec, old.RunID, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Since(%q): %v", tt.spec, err)
			}
			if old.RunID != tt.wantOld || new.RunID != "nov27" {
				t.Errorf("Since(%q) = %s -> %s, want %s -> nov27", tt.spec, old.RunID, new.RunID, tt.wantOld)
			}
			if old.Report == nil || old.Report.RunID != tt.wantOld {
				t.Errorf("Since(%q): old report not read", tt.spec)
			}
		})
	}

	t.Run("not enough", func(t *testing.T) {
		s := open(t, t.TempDir(), at(27, 8))
		if _, _, _, err := s.Since("last"); !errors.Is(err, ErrNotEnough) {
			t.Errorf("Since on an empty history = %v, want ErrNotEnough", err)
		}
		save(t, s, run("only", at(27, 1)), 0)
		_, _, _, err := s.Since("last")
		if !errors.Is(err, ErrNotEnough) || !strings.Contains(err.Error(), "1 run(s), newest 20261127T010000.000Z_only.json") {
			t.Errorf("Since with one run = %v", err)
		}
	})
}

func trendFixture(t *testing.T) *Store {
	t.Helper()
	dir := t.TempDir()
	at := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, time.UTC) }
	s := open(t, dir, at(30, 8))
	for _, r := range []*reports.Report{
		run("base", at(19, 1), "a=compliant", "b=compliant", "c=compliant"),
		run("d20", at(20, 1), "a=compliant", "b=compliant", "c=unreachable"),
		run("d21x", at(21, 1), "a=noncompliant", "b=compliant", "c=compliant"),
		run("d21", at(21, 12), "a=noncompliant", "b=compliant", "c=compliant", "d=compliant"),
		// no run on the 22nd
		run("d23", at(23, 1), "a=compliant", "d=timeout"), // b, c removed
	} {
		save(t, s, r, 0)
	}
	return s
}

func TestTrend(t *testing.T) {
	s := trendFixture(t)
	tr, problems, err := s.Trend(time.Date(2026, 11, 20, 0, 0, 0, 0, cest), time.Time{})
	if err != nil || len(problems) != 0 {
		t.Fatalf("Trend: %v %v", problems, err)
	}
	if tr.From != "2026-11-20" || tr.To != "2026-11-23" || len(tr.Days) != 4 {
		t.Fatalf("Trend days %s..%s, %d days", tr.From, tr.To, len(tr.Days))
	}
	type dayView struct {
		Date, RunID          string
		Runs, Hosts          int
		Outcome              string
		Comp, Noncomp, Other int
	}
	var days []dayView
	for _, d := range tr.Days {
		days = append(days, dayView{d.Date, d.RunID, d.Runs, d.Hosts, d.Outcome, d.Counts[reports.StatusCompliant],
			d.Counts[reports.StatusNoncompliant], d.Counts[reports.StatusUnreachable] + d.Counts[reports.StatusTimeout]})
	}
	wantDays := []dayView{
		{"2026-11-20", "d20", 1, 3, "unchecked", 2, 0, 1},
		{"2026-11-21", "d21", 2, 4, "drift", 3, 1, 0},
		{"2026-11-22", "", 0, 0, "", 0, 0, 0},
		{"2026-11-23", "d23", 1, 2, "unchecked", 1, 0, 1},
	}
	if d := cmp.Diff(wantDays, days); d != "" {
		t.Errorf("days (-want +got):\n%s", d)
	}
	if tr.Days[2].Counts != nil {
		t.Errorf("a day without runs has counts %v", tr.Days[2].Counts)
	}
	wantChanges := []StatusChange{
		{"2026-11-20", "c", "compliant", "unreachable"}, // against the baseline run before the range
		{"2026-11-21", "a", "compliant", "noncompliant"},
		{"2026-11-21", "c", "unreachable", "compliant"},
		{"2026-11-21", "d", "", "compliant"},
		{"2026-11-23", "a", "noncompliant", "compliant"},
		{"2026-11-23", "b", "compliant", ""},
		{"2026-11-23", "c", "compliant", ""},
		{"2026-11-23", "d", "compliant", "timeout"},
	}
	if d := cmp.Diff(wantChanges, tr.Changes); d != "" {
		t.Errorf("changes (-want +got):\n%s", d)
	}

	var txt bytes.Buffer
	if err := tr.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	wantText := `date        runs  hosts  compliant  noncompliant  unreachable  timeout  outcome
2026-11-20  1     3      2          0             1            0        unchecked
2026-11-21  2     4      3          1             0            0        drift
2026-11-22  0     -      -          -             -            -        -
2026-11-23  1     2      1          0             0            1        unchecked

status changes (8):
  2026-11-20  c  compliant -> unreachable
  2026-11-21  a  compliant -> noncompliant
  2026-11-21  c  unreachable -> compliant
  2026-11-21  d  - -> compliant
  2026-11-23  a  noncompliant -> compliant
  2026-11-23  b  compliant -> -
  2026-11-23  c  compliant -> -
  2026-11-23  d  compliant -> timeout
`
	if d := cmp.Diff(wantText, txt.String()); d != "" {
		t.Errorf("WriteText (-want +got):\n%s", d)
	}

	var js bytes.Buffer
	if err := tr.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Trend
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Schema != TrendSchema || len(back.Days) != 4 || back.Days[1].Counts["noncompliant"] != 1 || len(back.Changes) != 8 {
		t.Errorf("JSON round trip: %s", js.String())
	}
	if !strings.Contains(js.String(), `"counts": null`) || !strings.Contains(js.String(), `"from": ""`) {
		t.Errorf("JSON lacks the documented null counts / empty from:\n%s", js.String())
	}
}

func TestTrendRanges(t *testing.T) {
	s := trendFixture(t)
	d := func(day int) time.Time { return time.Date(2026, 11, day, 15, 0, 0, 0, cest) }
	tests := []struct {
		from, to   time.Time
		first, end string
		days       int
	}{
		{time.Time{}, time.Time{}, "2026-11-19", "2026-11-23", 5},
		{d(21), d(21), "2026-11-21", "2026-11-21", 1},
		{d(1), d(22), "2026-11-19", "2026-11-22", 4},
		{d(24), time.Time{}, "", "", 0},
		{d(22), d(20), "", "", 0},
	}
	for _, tt := range tests {
		tr, _, err := s.Trend(tt.from, tt.to)
		if err != nil {
			t.Fatal(err)
		}
		if tr.From != tt.first || tr.To != tt.end || len(tr.Days) != tt.days {
			t.Errorf("Trend(%v, %v) = %s..%s %d days, want %s..%s %d", tt.from, tt.to, tr.From, tr.To, len(tr.Days), tt.first, tt.end, tt.days)
		}
	}
	var b bytes.Buffer
	empty, _, _ := s.Trend(d(24), time.Time{})
	empty.WriteText(&b)
	if b.String() != "no runs in the history for these days\n" {
		t.Errorf("empty trend text = %q", b.String())
	}
}

func TestTrendTextIsSafe(t *testing.T) {
	tr := &Trend{Days: []Day{{Date: "2026-11-20", Runs: 1, Counts: map[reports.HostStatus]int{}}},
		Changes: []StatusChange{{Date: "2026-11-20", Host: "evil\x1b[2J\nhost\xff", To: reports.StatusCompliant}}}
	var b bytes.Buffer
	if err := tr.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "\x1b") || strings.Contains(b.String(), "\xff") || !strings.Contains(b.String(), `evil\x1b[2J\x0ahost`) {
		t.Errorf("unsafe text: %q", b.String())
	}
}
