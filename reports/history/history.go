// Package history keeps the JSON reports of past runs in a plain
// directory, one file per run, for "what drifted since yesterday" and
// trends without a database server (winfleet --history DIR).
//
// A history directory holds files named
//
//	<UTC start time>_<run id>.json     e.g. 20261126T020000.000Z_20261126T020000Z-7f3a.json
//
// The time is the run's started_at in ISO 8601 basic format with
// milliseconds, so byte order of the names is time order and ls shows the
// runs oldest first. Each file is an ordinary winfleet.report/v1 JSON
// report: jq, report render and report diff read it as they read any
// report, and a backup is a copy of the directory. See the README.
package history

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/winfleet/winfleet/reports"
)

// TimeLayout is the layout of the time at the start of a history file
// name: UTC, ISO 8601 basic format, milliseconds. Fixed width, so names
// sort by time.
const TimeLayout = "20060102T150405.000Z"

// ErrNotEnough is wrapped by Since when the history does not hold the two
// runs the spec asks for.
var ErrNotEnough = errors.New("not enough runs in history")

// Options tune a Store. The zero value uses the real clock and the local
// time zone.
type Options struct {
	// Now returns the current time; default time.Now. Save names a
	// report that has no start time by it, and Since("yesterday") counts
	// days from it.
	Now func() time.Time
	// Location is the time zone of the calendar days in Since and Trend
	// ("yesterday", DATE, per-day counts); default time.Local.
	Location *time.Location
}

// Store is one history directory. Its methods may be called from several
// goroutines, and several processes may use one directory at once: every
// file is written under a temporary name and then linked into place
// without replacing an existing file, so concurrent runs never corrupt or
// overwrite each other's reports.
type Store struct {
	dir string
	now func() time.Time
	loc *time.Location
}

// Open returns the Store for dir. The directory need not exist yet (Save
// creates it); if it exists it must be a directory.
func Open(dir string, opts Options) (*Store, error) {
	if dir == "" {
		return nil, errors.New("history: empty directory name")
	}
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("history %s: not a directory", dir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("history %s: %w", dir, err)
	}
	s := &Store{dir: dir, now: opts.Now, loc: opts.Location}
	if s.now == nil {
		s.now = time.Now
	}
	if s.loc == nil {
		s.loc = time.Local
	}
	return s, nil
}

// Dir is the directory the Store reads and writes.
func (s *Store) Dir() string { return s.dir }

// Entry is one history file, as told by its name.
type Entry struct {
	Name  string    // file name, e.g. 20261126T020000.000Z_run-1.json
	Time  time.Time // the run's start, UTC, to the millisecond
	RunID string    // the run id as it appears in the name (made file-safe)
}

// Path is the entry's path in the store.
func (s *Store) Path(e Entry) string { return filepath.Join(s.dir, e.Name) }

// Run is an entry and the report read from it.
type Run struct {
	Entry
	Report *reports.Report
}

// Problem is a file in the history directory that is not a usable report:
// a foreign file (its name is not a history name) or a history file that
// cannot be read as a winfleet report. Problems are reported, never fatal:
// the other runs are still used.
type Problem struct {
	Path string
	Err  error
}

func (p Problem) Error() string { return fmt.Sprintf("history: %s: %v", p.Path, p.Err) }

// ErrForeign is the Err of a Problem about a file whose name is not a
// history file name.
var ErrForeign = errors.New("not a history file (want <UTC time>_<run id>.json, e.g. 20261126T020000.000Z_run.json); ignored")

var nameRE = regexp.MustCompile(`^([0-9]{8}T[0-9]{6}\.[0-9]{3}Z)_([A-Za-z0-9._-]+)\.json$`)

// parseName reads an Entry from a file name; ok is false for any other
// name.
func parseName(name string) (Entry, bool) {
	m := nameRE.FindStringSubmatch(name)
	if m == nil {
		return Entry{}, false
	}
	t, err := time.Parse(TimeLayout, m[1])
	if err != nil {
		return Entry{}, false
	}
	return Entry{Name: name, Time: t, RunID: m[2]}, true
}

// maxRunIDLen caps the run id part of a name, so names stay well under
// every file system's limit.
const maxRunIDLen = 64

// fileRunID makes a run id safe as part of a file name on every platform:
// letters, digits, '.', '_' and '-' are kept, anything else becomes '-';
// at most maxRunIDLen bytes; "run" if nothing is left.
func fileRunID(id string) string {
	b := []byte(id)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '-'
		}
	}
	out := strings.Trim(string(b), ".")
	if len(out) > maxRunIDLen {
		out = out[:maxRunIDLen]
	}
	if out == "" {
		out = "run"
	}
	return out
}

// List returns the history files, oldest first (equal times by name). It
// reads only the directory, not the files. Files whose name is not a
// history name are returned as Problems (ErrForeign); hidden files (a
// leading '.', such as the temporary files of a Save in progress) and
// subdirectories are skipped silently. A directory that does not exist
// is an error.
func (s *Store) List() ([]Entry, []Problem, error) {
	des, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, nil, fmt.Errorf("history: %w", err)
	}
	var entries []Entry
	var problems []Problem
	for _, de := range des {
		name := de.Name()
		if strings.HasPrefix(name, ".") || de.IsDir() {
			continue
		}
		e, ok := parseName(name)
		if !ok {
			problems = append(problems, Problem{Path: filepath.Join(s.dir, name), Err: ErrForeign})
			continue
		}
		entries = append(entries, e)
	}
	slices.SortFunc(entries, compareEntries)
	return entries, problems, nil
}

func compareEntries(a, b Entry) int {
	if c := a.Time.Compare(b.Time); c != 0 {
		return c
	}
	return cmp.Compare(a.Name, b.Name)
}

// read reads one entry's report.
func (s *Store) read(e Entry) (*reports.Report, error) {
	return reports.ReadFile(s.Path(e))
}

// newestReadable reads entries from the newest backwards and returns up
// to n readable runs, newest first; each unreadable file is a Problem.
func (s *Store) newestReadable(entries []Entry, n int) ([]Run, []Problem) {
	var runs []Run
	var problems []Problem
	for i := len(entries) - 1; i >= 0 && len(runs) < n; i-- {
		r, err := s.read(entries[i])
		if err != nil {
			problems = append(problems, Problem{Path: s.Path(entries[i]), Err: err})
			continue
		}
		runs = append(runs, Run{Entry: entries[i], Report: r})
	}
	return runs, problems
}

// Latest returns the newest n readable runs, newest first (fewer if the
// history holds fewer). Unreadable files are skipped and returned as
// Problems with the foreign files.
func (s *Store) Latest(n int) ([]Run, []Problem, error) {
	entries, problems, err := s.List()
	if err != nil {
		return nil, nil, err
	}
	runs, more := s.newestReadable(entries, n)
	return runs, append(problems, more...), nil
}
