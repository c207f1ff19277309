package cli

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"

	"golang.org/x/term"

	"github.com/winfleet/winfleet/cmd/winfleet/internal/progress"
)

// isTerminal reports whether f is an *os.File attached to a terminal.
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	return ok && term.IsTerminal(int(file.Fd()))
}

// termWidth is the width of the terminal w writes to, or 0 when unknown.
func termWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if width, _, err := term.GetSize(int(f.Fd())); err == nil {
			return width
		}
	}
	return 0
}

// newLogger builds a logger writing to w: text or JSON, warnings and
// errors by default, info with -v, debug with -vv.
func newLogger(w io.Writer, o logOptions) *slog.Logger {
	level := slog.LevelWarn
	switch {
	case o.Verbose >= 2:
		level = slog.LevelDebug
	case o.Verbose == 1:
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if o.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// terminal is how a run talks to the operator on standard error: the live
// progress line (nil when off) and whether colour is on.
type terminal struct {
	display *progress.Display
	color   bool
	held    *heldLog // --quiet: log lines wait for the outcome
}

// newTerminal sets up standard error for a run of total hosts. The progress
// line is drawn only on a terminal (not with --no-progress, --quiet, a
// dumb terminal or JSON logs); colour only on a terminal with NO_COLOR
// unset.
func newTerminal(stdio Stdio, total int, title string, off bool) terminal {
	tty := stdio.IsTerminal(stdio.Err)
	t := terminal{color: progress.ColorEnabled(tty, stdio.Getenv)}
	if !off && progress.Enabled(tty, stdio.Getenv) {
		t.display = progress.New(stdio.Err, progress.Options{Width: termWidth(stdio.Err), Color: t.color, Total: total, Title: title})
	}
	return t
}

// logWriter is where log lines go: held back under --quiet, above the
// progress line when it is drawn, else straight to standard error.
func (t terminal) logWriter(stdio Stdio) io.Writer {
	switch {
	case t.held != nil:
		return t.held
	case t.display != nil:
		return t.display
	}
	return stdio.Err
}

// heldLog keeps the log lines of a --quiet run until its outcome is known:
// they are printed, before the summary, when a host needs attention or the
// run fails, and dropped when every host is fine (so cron mails nothing).
// It keeps the first heldLogLimit bytes and counts the rest.
type heldLog struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	dropped int
}

const heldLogLimit = 1 << 20

func (h *heldLog) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.buf.Len()+len(p) > heldLogLimit {
		h.dropped += len(p)
		return len(p), nil
	}
	return h.buf.Write(p)
}

// flush writes what was held to w and empties it; nil h writes nothing.
func (h *heldLog) flush(w io.Writer) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	_, _ = h.buf.WriteTo(w)
	if h.dropped > 0 {
		fmt.Fprintf(w, "winfleet: %d more bytes of log lines were dropped\n", h.dropped)
		h.dropped = 0
	}
}
