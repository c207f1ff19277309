package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func write(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.json")
	if err := Write(path, 0o600, write("one")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Fatalf("new file: %v, %v; want mode 0600", fi.Mode(), err)
	}
	// A replaced file keeps its mode; a failing render changes nothing and
	// leaves no temporary file.
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := Write(path, 0o600, func(w io.Writer) error { io.WriteString(w, "half"); return boom }); !errors.Is(err, boom) {
		t.Fatalf("failing render: %v, want boom", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "one" {
		t.Fatalf("after a failed write the file holds %q", b)
	}
	if err := Write(path, 0o600, write("two")); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o640 {
		t.Errorf("replaced file mode %v, want 0640 kept", fi.Mode().Perm())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("directory holds %d entries, want the file only", len(ents))
	}
	// A symbolic link is kept; the file it points to is replaced.
	if runtime.GOOS != "windows" {
		link := filepath.Join(dir, "latest.json")
		if err := os.Symlink(path, link); err != nil {
			t.Fatal(err)
		}
		if err := Write(link, 0o600, write("three")); err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
			t.Error("the link was replaced by a file")
		}
		if b, _ := os.ReadFile(path); string(b) != "three" {
			t.Errorf("link target holds %q, want three", b)
		}
	}
	if err := Write(dir, 0o600, write("x")); !errors.Is(err, ErrNotRegular) {
		t.Errorf("Write over a directory: %v, want ErrNotRegular", err)
	}
}
