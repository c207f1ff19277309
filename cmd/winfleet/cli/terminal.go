package cli

import (
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/winfleet/winfleet/reports"
)

// isTerminal reports whether f is an *os.File attached to a terminal.
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	return ok && term.IsTerminal(int(file.Fd()))
}

// newLogger builds the run's logger on stderr: text or JSON, warnings and
// errors by default, info with -v, debug with -vv.
func newLogger(stdio Stdio, o logOptions) *slog.Logger {
	level := slog.LevelWarn
	switch {
	case o.Verbose >= 2:
		level = slog.LevelDebug
	case o.Verbose == 1:
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if o.Format == "json" {
		return slog.New(slog.NewJSONHandler(stdio.Err, opts))
	}
	return slog.New(slog.NewTextHandler(stdio.Err, opts))
}

// progress shows a live bar with counts by status and an ETA on a terminal.
// Its methods are safe for concurrent use; a nil *progress does nothing.
type progress struct {
	mu     sync.Mutex
	bar    *progressbar.ProgressBar
	counts map[reports.HostStatus]int
}

// newProgress returns a progress bar for total hosts, or nil when progress
// is off (--no-progress, or stderr is not a terminal).
func newProgress(stdio Stdio, total int, title string, off bool) *progress {
	if off || !stdio.IsTerminal(stdio.Err) {
		return nil
	}
	bar := progressbar.NewOptions(total,
		progressbar.OptionSetWriter(stdio.Err),
		progressbar.OptionSetDescription(title),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(100_000_000),
	)
	return &progress{bar: bar, counts: map[reports.HostStatus]int{}}
}

// done records one finished host.
func (p *progress) done(title string, s reports.HostStatus) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts[s]++
	p.bar.Describe(title + " " + formatCounts(p.counts))
	_ = p.bar.Add(1)
}

func (p *progress) finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.bar.Finish()
}

// formatCounts renders counts as "compliant=3 noncompliant=1" in the report
// order of statuses.
func formatCounts(counts map[reports.HostStatus]int) string {
	var parts []string
	seen := map[reports.HostStatus]bool{}
	for _, s := range reports.HostStatuses {
		seen[s] = true
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", s, counts[s]))
		}
	}
	var extra []string
	for s, n := range counts {
		if !seen[s] && n > 0 {
			extra = append(extra, fmt.Sprintf("%s=%d", s, n))
		}
	}
	sort.Strings(extra)
	return strings.Join(append(parts, extra...), " ")
}
