package reports

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/winfleet/winfleet/internal/atomicfile"
)

// A Writer renders a report in one format. Every Writer validates r and o
// first (see Validate), never modifies r, and renders hosts sorted by name
// with the summary recomputed from the hosts. Formats ignore the options
// they have no use for.
type Writer func(w io.Writer, r *Report, o WriteOptions) error

// format is one entry of the fixed format table.
type format struct {
	name  string
	exts  []string
	write Writer
}

// formats is the fixed table behind Formats, WriterFor and ParseTarget. It
// is a function, not a package variable, so nothing can change it.
func formats() []format {
	return []format{
		{"json", []string{".json"}, withoutOptions(WriteJSON)},
		{"csv", []string{".csv"}, withoutOptions(WriteCSV)},
		{"junit", []string{".xml"}, WriteJUnit},
		{"markdown", []string{".md", ".markdown"}, withoutOptions(WriteMarkdown)},
		{"html", []string{".html", ".htm"}, WriteHTML},
		{"text", []string{".txt", ".text"}, withoutOptions(WriteText)},
		{"prometheus", []string{".prom"}, WritePrometheus},
	}
}

// withoutOptions makes a Writer of a format that takes no options; the
// options are still validated, so a bad --evidence fails whatever the
// formats asked for.
func withoutOptions(write func(io.Writer, *Report) error) Writer {
	return func(w io.Writer, r *Report, o WriteOptions) error {
		if _, err := o.check(); err != nil {
			return err
		}
		return write(w, r)
	}
}

// Formats returns the names of every report format, in documentation order.
func Formats() []string {
	fs := formats()
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.name
	}
	return names
}

// UnknownFormatError is returned for a format name that is not one of
// Formats(); its message names the bad format and lists the valid ones.
type UnknownFormatError struct {
	Format string
}

func (e *UnknownFormatError) Error() string {
	return fmt.Sprintf("unknown report format %q (valid: %s)", e.Format, strings.Join(Formats(), ", "))
}

// WriterFor returns the Writer for a format name (as listed by Formats).
func WriterFor(name string) (Writer, error) {
	for _, f := range formats() {
		if f.name == name {
			return f.write, nil
		}
	}
	return nil, &UnknownFormatError{Format: name}
}

// Write renders r in the named format to w.
func Write(w io.Writer, r *Report, format string, o WriteOptions) error {
	wr, err := WriterFor(format)
	if err != nil {
		return err
	}
	return wr(w, r, o)
}

// Target is one -o/--report FORMAT=PATH request.
type Target struct {
	Format string // one of Formats()
	Path   string // file path, or "-" for standard output
}

// Stdout reports whether the target is standard output ("-").
func (t Target) Stdout() bool { return t.Path == "-" }

// CheckWritable reports whether the target's file can be written, without
// writing it: its directory exists and a file can be created there (a
// temporary one is created and removed), and an existing file at the path
// is a regular file. A run checks every target before it contacts a host,
// so a typo in a path costs no run.
func (t Target) CheckWritable() error {
	if t.Stdout() {
		return nil
	}
	path := t.Path
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		if path, err = filepath.EvalSymlinks(path); err != nil {
			return fmt.Errorf("report %s: %w", t, err)
		}
	}
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("report %s: not a regular file", t)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("report %s: cannot write there: %w", t, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// String returns the target as FORMAT=PATH, the form ParseTarget reads.
func (t Target) String() string { return t.Format + "=" + t.Path }

// ParseTarget parses an -o/--report value: "FORMAT=PATH" (json=run.json,
// csv=-), or a bare PATH whose extension names the format (.json, .csv,
// .xml for junit, .md, .html, .txt, .prom). "-" as PATH means standard output.
// Text before the first "=" is taken as a format when it is a plain word
// (letters, digits, '-', '_'), so paths containing "=" still work as bare
// paths. Errors name the bad format and list the valid ones.
func ParseTarget(s string) (Target, error) {
	if name, path, ok := strings.Cut(s, "="); ok && isWord(name) {
		if _, err := WriterFor(name); err != nil {
			return Target{}, fmt.Errorf("report %q: %w", s, err)
		}
		if path == "" {
			return Target{}, fmt.Errorf("report %q: empty path (use %s=- for standard output)", s, name)
		}
		return Target{Format: name, Path: path}, nil
	}
	if s == "" || s == "-" {
		return Target{}, fmt.Errorf("report %q: want FORMAT=PATH, FORMAT one of %s", s, strings.Join(Formats(), ", "))
	}
	ext := strings.ToLower(filepath.Ext(s))
	for _, f := range formats() {
		for _, e := range f.exts {
			if e == ext {
				return Target{Format: f.name, Path: s}, nil
			}
		}
	}
	return Target{}, fmt.Errorf("report %q: cannot tell the format from extension %q; write FORMAT=PATH, FORMAT one of %s",
		s, ext, strings.Join(Formats(), ", "))
}

func isWord(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// ParseTargets parses every value with ParseTarget and refuses two targets
// on the same path (the second would overwrite the first) or two on
// standard output (they would interleave).
func ParseTargets(values []string) ([]Target, error) {
	var out []Target
	seen := map[string]string{}
	for _, v := range values {
		t, err := ParseTarget(v)
		if err != nil {
			return nil, err
		}
		key := t.Path
		if !t.Stdout() {
			key = filepath.Clean(t.Path)
		}
		if prev, dup := seen[key]; dup {
			return nil, fmt.Errorf("reports %q and %q write the same path", prev, v)
		}
		seen[key] = v
		out = append(out, t)
	}
	return out, nil
}

// WriteFile writes r in the named format to path atomically: it renders into
// a temporary file in the same directory, syncs it to disk, and renames it
// over path. If anything fails the temporary file is removed and an existing
// file at path is left untouched, so readers (dashboards, the next diff)
// see either the old report or the complete new one, never a partial one.
// A new file gets mode 0644; a replaced file keeps its mode. If path is a
// symbolic link, the file it points to is replaced and the link kept.
func WriteFile(path string, r *Report, format string, o WriteOptions) error {
	wr, err := WriterFor(format)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, func(w io.Writer) error { return wr(w, r, o) })
}

func writeFileAtomic(path string, render func(io.Writer) error) error {
	if err := atomicfile.Write(path, 0o644, render); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	return nil
}

// Write writes r to the target: to stdout for "-", else atomically with
// WriteFile.
func (t Target) Write(stdout io.Writer, r *Report, o WriteOptions) error {
	if t.Stdout() {
		return Write(stdout, r, t.Format, o)
	}
	return WriteFile(t.Path, r, t.Format, o)
}

// WriteTargets writes r to every target, going on after a failure so one bad
// path does not cost the other reports. It returns the paths written, in
// order (for WriteSummary), and every failure joined; a non-nil error means
// exit code 1.
func WriteTargets(stdout io.Writer, r *Report, targets []Target, o WriteOptions) ([]string, error) {
	var written []string
	var errs []error
	for _, t := range targets {
		if err := t.Write(stdout, r, o); err != nil {
			if t.Stdout() {
				err = fmt.Errorf("write report %s: %w", t, err)
			}
			errs = append(errs, err)
			continue
		}
		written = append(written, t.Path)
	}
	return written, errors.Join(errs...)
}
