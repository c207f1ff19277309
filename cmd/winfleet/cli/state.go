package cli

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/winfleet/winfleet/reports"
)

// addStateFlag declares --state-dir.
func addStateFlag(cmd *cobra.Command) {
	cmd.Flags().String("state-dir", "", "where applies keep their write journals and runs their fact cache (default $XDG_STATE_HOME/winfleet, else ~/.local/state/winfleet)")
}

// stateDir is where winfleet keeps what must outlive a run on this
// controller: the write journals of running applies and of applies that
// died, and the fact cache (facts.json). --state-dir, else $XDG_STATE_HOME/winfleet, else
// ~/.local/state/winfleet, else (no home) %LOCALAPPDATA%\winfleet or the
// temporary directory.
func stateDir(stdio Stdio, flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if d, ok := stdio.Getenv("XDG_STATE_HOME"); ok && d != "" {
		return filepath.Join(d, "winfleet")
	}
	if h, ok := stdio.Getenv("HOME"); ok && h != "" {
		return filepath.Join(h, ".local", "state", "winfleet")
	}
	if d, ok := stdio.Getenv("LOCALAPPDATA"); ok && d != "" {
		return filepath.Join(d, "winfleet")
	}
	return filepath.Join(os.TempDir(), "winfleet-state")
}

// moveAside makes sure no report of an earlier run looks like this run's:
// before any host is contacted, each report file the run will write is
// renamed to PATH.previous (replacing an older one), so until the run
// writes its own there is no file at PATH. A run that dies therefore
// leaves no report claiming to be current (its record is in the journal).
// A report path that is a symbolic link is left alone: the link points
// into the user's archive. Temporary files of an earlier run that died
// while writing a report are removed.
func moveAside(targets []reports.Target) error {
	for _, t := range targets {
		if t.Stdout() {
			continue
		}
		dir, base := filepath.Split(t.Path)
		if dir == "" {
			dir = "."
		}
		stale, _ := filepath.Glob(filepath.Join(dir, "."+base+".tmp-*"))
		for _, s := range stale {
			_ = os.Remove(s)
		}
		fi, err := os.Lstat(t.Path)
		switch {
		case err != nil && os.IsNotExist(err):
			continue
		case err != nil:
			return fmt.Errorf("report %s: %w", t.Path, err)
		case fi.Mode()&fs.ModeSymlink != 0 || !fi.Mode().IsRegular():
			continue
		}
		if err := os.Rename(t.Path, t.Path+".previous"); err != nil {
			return fmt.Errorf("report %s: move the previous run's report aside: %w", t.Path, err)
		}
	}
	return nil
}
