package reports

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFormats(t *testing.T) {
	want := []string{"json", "csv", "junit", "markdown", "html", "text", "prometheus"}
	if d := cmp.Diff(want, Formats()); d != "" {
		t.Errorf("Formats() (-want +got):\n%s", d)
	}
	for _, f := range Formats() {
		if _, err := WriterFor(f); err != nil {
			t.Errorf("WriterFor(%q) = %v", f, err)
		}
	}
}

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in      string
		want    Target
		wantErr string
	}{
		{in: "json=run.json", want: Target{"json", "run.json"}},
		{in: "csv=-", want: Target{"csv", "-"}},
		{in: "junit=out/junit.xml", want: Target{"junit", "out/junit.xml"}},
		{in: "markdown=a=b.md", want: Target{"markdown", "a=b.md"}},
		{in: "html=C:\\reports\\run.html", want: Target{"html", "C:\\reports\\run.html"}},
		{in: "run.json", want: Target{"json", "run.json"}},
		{in: "nightly/RUN.CSV", want: Target{"csv", "nightly/RUN.CSV"}},
		{in: "ci/junit.xml", want: Target{"junit", "ci/junit.xml"}},
		{in: "pr.md", want: Target{"markdown", "pr.md"}},
		{in: "index.htm", want: Target{"html", "index.htm"}},
		{in: "summary.txt", want: Target{"text", "summary.txt"}},
		{in: "/var/lib/node_exporter/textfile/winfleet.prom", want: Target{"prometheus", "/var/lib/node_exporter/textfile/winfleet.prom"}},
		{in: "./a=b/run.json", want: Target{"json", "./a=b/run.json"}},
		{in: "xlsx=run.xlsx", wantErr: `unknown report format "xlsx" (valid: json, csv, junit, markdown, html, text, prometheus)`},
		{in: "JSON=run.json", wantErr: `unknown report format "JSON"`},
		{in: "json=", wantErr: "empty path"},
		{in: "run.yaml", wantErr: `cannot tell the format from extension ".yaml"`},
		{in: "run", wantErr: "cannot tell the format"},
		{in: "", wantErr: "want FORMAT=PATH"},
		{in: "-", wantErr: "want FORMAT=PATH, FORMAT one of json, csv"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTarget(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseTarget(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseTarget(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
	var unknown *UnknownFormatError
	if _, err := ParseTarget("pdf=x.pdf"); !errors.As(err, &unknown) || unknown.Format != "pdf" {
		t.Errorf("ParseTarget(pdf=x.pdf) = %v, want *UnknownFormatError for pdf", err)
	}
	if got := (Target{"csv", "-"}).String(); got != "csv=-" {
		t.Errorf("Target.String() = %q", got)
	}
}

func TestParseTargets(t *testing.T) {
	got, err := ParseTargets([]string{"json=run.json", "csv=run.csv", "text=-"})
	if err != nil || len(got) != 3 || !got[2].Stdout() {
		t.Fatalf("ParseTargets = %v, %v", got, err)
	}
	for _, in := range [][]string{
		{"json=run.json", "text=./run.json"},
		{"json=-", "text=-"},
	} {
		if _, err := ParseTargets(in); err == nil || !strings.Contains(err.Error(), "same path") {
			t.Errorf("ParseTargets(%q) = %v, want a same-path error", in, err)
		}
	}
	if _, err := ParseTargets([]string{"json=a.json", "bogus=b"}); err == nil || !strings.Contains(err.Error(), `"bogus"`) {
		t.Errorf("ParseTargets with a bad format = %v, want it named", err)
	}
}

// dirNames lists the names in dir, to catch stray temp files.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFileCreatesAndReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run.json")
	if err := WriteFile(path, sampleReport(), "json", WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "sample.json", got) // the file holds exactly what Write renders
	if runtime.GOOS != "windows" {
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
			t.Errorf("new report mode = %v, want 0644", fi.Mode().Perm())
		}
		if err := os.Chmod(path, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteFile(path, &Report{Mode: ModeApply}, "json", WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	r, err := ReadFile(path)
	if err != nil || r.Mode != ModeApply {
		t.Fatalf("after replace: %v, %v; want the apply report", r, err)
	}
	if runtime.GOOS != "windows" {
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
			t.Errorf("replaced report mode = %v, want the old 0600 kept", fi.Mode().Perm())
		}
	}
	if d := cmp.Diff([]string{"run.json"}, dirNames(t, dir)); d != "" {
		t.Errorf("directory after writes (-want +got):\n%s", d)
	}
}

var errHalfway = errors.New("disk on fire")

func TestWriteFileFailureLeavesOldFileAndNoTemp(t *testing.T) {
	old := []byte("yesterday's report\n")
	bad := sampleReport()
	bad.Hosts[2].Status = "purple"
	tests := []struct {
		name    string
		write   func(path string) error
		wantErr error
	}{
		{"writer fails halfway", func(path string) error {
			return writeFileAtomic(path, func(w io.Writer) error {
				// More than the buffer, so part of it reaches the temp file.
				if _, err := w.Write(bytes.Repeat([]byte("partial "), 20000)); err != nil {
					return err
				}
				return errHalfway
			})
		}, errHalfway},
		{"invalid report", func(path string) error { return WriteFile(path, bad, "csv", WriteOptions{}) }, ErrInvalid},
		{"unknown format", func(path string) error { return WriteFile(path, sampleReport(), "pdf", WriteOptions{}) }, nil},
	}
	for _, tt := range tests {
		for _, existing := range []bool{true, false} {
			name := tt.name + map[bool]string{true: ", old file", false: ", no file"}[existing]
			t.Run(name, func(t *testing.T) {
				dir := t.TempDir()
				path := filepath.Join(dir, "run.out")
				if existing {
					if err := os.WriteFile(path, old, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				err := tt.write(path)
				if err == nil {
					t.Fatal("write succeeded, want an error")
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Errorf("error = %v, want %v", err, tt.wantErr)
				}
				var want []string
				if existing {
					want = []string{"run.out"}
					if got, _ := os.ReadFile(path); !bytes.Equal(got, old) {
						t.Errorf("old file changed to %q", got)
					}
				}
				if d := cmp.Diff(want, dirNames(t, dir)); d != "" {
					t.Errorf("directory after failed write (-want +got):\n%s", d)
				}
			})
		}
	}
}

func TestWriteFileBadPaths(t *testing.T) {
	dir := t.TempDir()
	if err := WriteFile(filepath.Join(dir, "missing", "run.json"), sampleReport(), "json", WriteOptions{}); err == nil ||
		!strings.Contains(err.Error(), filepath.Join(dir, "missing", "run.json")) {
		t.Errorf("WriteFile into a missing directory = %v, want an error naming the path", err)
	}
	sub := filepath.Join(dir, "adir")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(sub, sampleReport(), "json", WriteOptions{}); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("WriteFile over a directory = %v, want not a regular file", err)
	}
	if d := cmp.Diff([]string{"adir"}, dirNames(t, dir)); d != "" {
		t.Errorf("directory after failed writes (-want +got):\n%s", d)
	}
}

func TestWriteTargets(t *testing.T) {
	dir := t.TempDir()
	targets := []Target{
		{"json", filepath.Join(dir, "run.json")},
		{"csv", filepath.Join(dir, "nope", "run.csv")},
		{"text", "-"},
		{"markdown", filepath.Join(dir, "run.md")},
	}
	var stdout bytes.Buffer
	written, err := WriteTargets(&stdout, sampleReport(), targets, WriteOptions{})
	if err == nil || !strings.Contains(err.Error(), filepath.Join("nope", "run.csv")) {
		t.Errorf("WriteTargets error = %v, want the csv path named", err)
	}
	want := []string{targets[0].Path, "-", targets[3].Path}
	if d := cmp.Diff(want, written); d != "" {
		t.Errorf("written (-want +got):\n%s", d)
	}
	if !strings.HasPrefix(stdout.String(), "winfleet scan report") {
		t.Errorf("stdout = %q, want the text report", stdout.String())
	}
	if d := cmp.Diff([]string{"run.json", "run.md"}, dirNames(t, dir)); d != "" {
		t.Errorf("directory (-want +got):\n%s", d)
	}
}

func TestWriteFileThroughSymlink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	dir := t.TempDir()
	real := filepath.Join(dir, "archive-2026-11-26.json")
	if err := os.WriteFile(real, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "latest.json")
	if err := os.Symlink("archive-2026-11-26.json", link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(link, sampleReport(), "json", WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("latest.json is no longer a symlink: %v, %v", fi, err)
	}
	if r, err := ReadFile(real); err != nil || len(r.Hosts) != 6 {
		t.Errorf("link target not replaced: %v, %v", r, err)
	}
	if d := cmp.Diff([]string{"archive-2026-11-26.json", "latest.json"}, dirNames(t, dir)); d != "" {
		t.Errorf("directory (-want +got):\n%s", d)
	}
}

func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		t    Target
		want string // "" writable
	}{
		{Target{"json", filepath.Join(dir, "run.json")}, ""},
		{Target{"json", "-"}, ""},
		{Target{"json", filepath.Join(dir, "nope", "run.json")}, "cannot write there"},
		{Target{"json", filepath.Join(dir, "sub")}, "not a regular file"},
	} {
		err := tt.t.CheckWritable()
		if (tt.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.want) {
			t.Errorf("CheckWritable(%s) = %v, want %q", tt.t, err, tt.want)
		}
	}
	if d := cmp.Diff([]string{"sub"}, dirNames(t, dir)); d != "" {
		t.Errorf("CheckWritable left files behind (-want +got):\n%s", d)
	}
}
