package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/winfleet/winfleet/reports"
	"github.com/winfleet/winfleet/reports/history"
)

// addHistoryFlags declares --history and --keep.
func addHistoryFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.String("history", "", "keep every run's JSON report in this directory (plain files, newest by name; see winfleet report diff and trend)")
	f.Int("keep", 0, "with --history: keep only the newest N reports (0 keeps all)")
}

// historyOptions reads --history and --keep.
func (s *settings) historyOptions() (dir string, keep int) {
	dir = s.str("history")
	if s.cmd.Flags().Lookup("keep") != nil {
		keep = s.int("keep")
		if keep < 0 {
			s.bad("keep", "%d: must be 0 (keep all) or more", keep)
		}
		if keep > 0 && dir == "" {
			s.bad("keep", "%d: needs --history DIR", keep)
		}
	}
	return dir, keep
}

// saveHistory keeps the report in the history directory, if there is one;
// it returns the path written.
func saveHistory(dir string, keep int, r *reports.Report) (string, error) {
	if dir == "" {
		return "", nil
	}
	st, err := history.Open(dir, history.Options{})
	if err != nil {
		return "", fmt.Errorf("--history %s: %w", dir, err)
	}
	path, _, err := st.Save(r, keep)
	if err != nil {
		return "", fmt.Errorf("--history %s: %w", dir, err)
	}
	return path, nil
}

// errNoHistory is report diff without files and without a history.
var errNoHistory = errors.New("give two reports, or --history DIR (or history: in the config file) to compare its newest runs")
