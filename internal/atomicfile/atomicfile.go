// Package atomicfile replaces files so that a reader, or a run after a
// crash, sees either the old content or the complete new one, never a part:
// reports, the fact cache and the lab's files all go through it.
package atomicfile

import (
	"bufio"
	"errors"
	"io"
	"os"
	"path/filepath"
)

// Write renders into a temporary file in path's directory, syncs it,
// renames it over path and syncs the directory. A new file gets perm; a
// replaced file keeps its mode. If path is a symbolic link, the file it
// points to is replaced and the link kept (a "latest.json" link into an
// archive keeps working). On error path is unchanged and the temporary
// file is gone; errors are render's, ErrNotRegular, or the os package's
// (naming the files involved): the caller names path.
func Write(path string, perm os.FileMode, render func(io.Writer) error) (err error) {
	if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&os.ModeSymlink != 0 {
		if path, err = filepath.EvalSymlinks(path); err != nil {
			return err
		}
	}
	if fi, serr := os.Stat(path); serr == nil {
		if !fi.Mode().IsRegular() {
			return ErrNotRegular
		}
		perm = fi.Mode().Perm()
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 64<<10)
	if err := render(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	SyncDir(dir)
	return nil
}

// ErrNotRegular is Write's error for a path that is a directory or a
// device: it is never replaced.
var ErrNotRegular = errors.New("not a regular file")

// SyncDir makes new or renamed directory entries durable where the
// platform allows. Failure only weakens durability across a crash, not
// atomicity, so it is not reported.
func SyncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	d.Close()
}
