package history

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/winfleet/winfleet/internal/atomicfile"
	"github.com/winfleet/winfleet/reports"
)

// maxSameName bounds the "-2", "-3", ... suffixes Save tries when runs
// with the same start time and run id are saved at once.
const maxSameName = 1000

// Save writes r into the history as JSON and then prunes the history to
// the newest keep runs (keep 0 keeps every run). It returns the path
// written and the paths pruned.
//
// The file is named from r's start time (Now if r has none) and run id.
// It is rendered into a hidden temporary file in the directory, synced,
// and hard-linked to its final name, which never replaces an existing
// file: if another run saved the same name first, Save takes the next
// free "-2", "-3", ... suffix. So two runs saving at once each keep their
// own complete file, and a reader never sees a partial one. On a file
// system without hard links Save renames the temporary file instead, and
// the same-name check becomes best effort.
//
// Pruning deletes the oldest history files (by name) beyond keep; it
// never touches foreign files, and a file another process pruned first
// is not an error. A run saved concurrently with an older start time can
// be pruned by a newer run's Save: keep counts the newest runs, whoever
// wrote them.
func (s *Store) Save(r *reports.Report, keep int) (path string, pruned []string, err error) {
	if keep < 0 {
		return "", nil, fmt.Errorf("history: keep %d: want 0 (keep every run) or more", keep)
	}
	if err := reports.Validate(r); err != nil {
		return "", nil, fmt.Errorf("history: %w", err)
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return "", nil, fmt.Errorf("history: %w", err)
	}
	t := r.StartedAt
	if t.IsZero() {
		t = s.now()
	}
	stem := t.UTC().Format(TimeLayout) + "_" + fileRunID(r.RunID)
	if path, err = s.writeNew(stem, r); err != nil {
		return "", nil, err
	}
	if keep > 0 {
		pruned, err = s.prune(keep)
	}
	return path, pruned, err
}

// writeNew writes r to a temporary file and links it to the first free
// name stem.json, stem-2.json, ...
func (s *Store) writeNew(stem string, r *reports.Report) (path string, err error) {
	f, err := os.CreateTemp(s.dir, ".save-*.json.tmp")
	if err != nil {
		return "", fmt.Errorf("history: %w", err)
	}
	tmp := f.Name()
	defer func() {
		f.Close()
		os.Remove(tmp) // after a link the data lives on under the final name
		if err != nil {
			err = fmt.Errorf("history: save %s: %w", filepath.Join(s.dir, stem+".json"), err)
		}
	}()
	bw := bufio.NewWriterSize(f, 64<<10)
	if err := reports.WriteJSON(bw, r); err != nil {
		return "", err
	}
	if err := bw.Flush(); err != nil {
		return "", err
	}
	if err := f.Chmod(0o644); err != nil {
		return "", err
	}
	if err := f.Sync(); err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	for i := 1; i <= maxSameName; i++ {
		name := stem + ".json"
		if i > 1 {
			name = stem + "-" + strconv.Itoa(i) + ".json"
		}
		path = filepath.Join(s.dir, name)
		err := os.Link(tmp, path)
		switch {
		case err == nil:
			atomicfile.SyncDir(s.dir)
			return path, nil
		case errors.Is(err, fs.ErrExist):
			continue
		}
		// No hard links here (some network and FAT file systems): fall
		// back to a rename, checking for an existing file first.
		if _, statErr := os.Lstat(path); statErr == nil {
			continue
		}
		if err := os.Rename(tmp, path); err != nil {
			return "", err
		}
		atomicfile.SyncDir(s.dir)
		return path, nil
	}
	return "", fmt.Errorf("%d files with this time and run id already", maxSameName)
}

// prune deletes the oldest history files beyond the newest keep.
func (s *Store) prune(keep int) ([]string, error) {
	entries, _, err := s.List()
	if err != nil {
		return nil, err
	}
	var pruned []string
	var errs []error
	for i := 0; i < len(entries)-keep; i++ {
		p := s.Path(entries[i])
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("history: prune: %w", err))
			continue
		}
		pruned = append(pruned, p)
	}
	return pruned, errors.Join(errs...)
}
