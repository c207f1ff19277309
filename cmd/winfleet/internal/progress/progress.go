// Package progress draws the live status line of a fleet run on a terminal:
// one line, redrawn in place, never wider than the terminal, with log lines
// printed above it and the hosts that hold the run up named with their
// elapsed time.
//
// A Display knows nothing of the executor or of cobra: the CLI feeds it
// BatchStarted, HostStarted and HostFinished calls, routes its log lines
// through Write (a Display is an io.Writer), and calls Finish before it
// prints the end summary. Use it only when standard error is a terminal.
//
// The line is written as "\r" + text + "\x1b[K" (carriage return, the text,
// erase to the end of the line): no cursor movement across lines, so it
// works on every ANSI terminal, including Windows 10+ consoles and tmux. It
// is cut to Width-1 columns so the terminal never wraps it; a wrapped line
// is what made the old bar print a new line per update at 80 columns. See
// README.md for the library comparison that led to writing it here.
package progress

import (
	"bytes"
	"io"
	"sync"
	"time"
)

// Defaults for the zero Options fields.
const (
	DefaultWidth     = 80
	DefaultInterval  = 100 * time.Millisecond
	DefaultSlowAfter = 10 * time.Second
)

// Options configure a Display. The zero value of every field has a useful
// default.
type Options struct {
	// Width is the terminal's width in columns; <= 0 means DefaultWidth.
	// The line uses at most Width-1 columns, so it never reaches the last
	// column (where some terminals wrap early) and never wraps.
	Width int
	// Color turns on ANSI colours for the status words. Decide it with
	// ColorEnabled.
	Color bool
	// Now is the clock for elapsed times and redraw throttling; nil means
	// time.Now.
	Now func() time.Time
	// Total is the number of hosts the run targets.
	Total int
	// Title starts the line: the run's mode (scan, apply, check).
	Title string
	// Interval is the least time between two redraws caused by events, and
	// the period of the redraw ticker; <= 0 means DefaultInterval (at most
	// ten redraws a second).
	Interval time.Duration
	// SlowAfter: when every host in flight has been running at least this
	// long, the line names them, oldest first, with their elapsed time;
	// <= 0 means DefaultSlowAfter.
	SlowAfter time.Duration
	// Tick, if not nil, replaces the internal ticker: every value received
	// redraws as a tick would. Tests drive the display with it.
	Tick <-chan time.Time
}

// A Display is the live status line. Its methods are safe for concurrent
// use. The event methods and Finish do nothing on a nil *Display, so the
// CLI can pass nil when progress is off.
type Display struct {
	mu sync.Mutex
	w  io.Writer
	o  Options
	st state

	shown    string    // the line on screen ("" when cleared)
	lastDraw time.Time // when the line was last written
	partial  []byte    // log bytes after the last newline, not yet printed
	finished bool
	werr     error // first write error: after it nothing more is drawn

	stop    chan struct{}
	stopped chan struct{}
}

// New starts a display writing to w (the terminal) and draws its first
// line. It starts one goroutine, the redraw ticker, which Finish stops.
func New(w io.Writer, o Options) *Display {
	if o.Width <= 0 {
		o.Width = DefaultWidth
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.SlowAfter <= 0 {
		o.SlowAfter = DefaultSlowAfter
	}
	d := &Display{
		w:       w,
		o:       o,
		st:      newState(o.Title, o.Total, o.Now()),
		stop:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	tick := o.Tick
	var ticker *time.Ticker
	if tick == nil {
		ticker = time.NewTicker(o.Interval)
		tick = ticker.C
	}
	d.mu.Lock()
	d.draw()
	d.mu.Unlock()
	go d.loop(tick, ticker)
	return d
}

func (d *Display) loop(tick <-chan time.Time, ticker *time.Ticker) {
	defer close(d.stopped)
	if ticker != nil {
		defer ticker.Stop()
	}
	for {
		select {
		case <-d.stop:
			return
		case <-tick:
			d.Refresh()
		}
	}
}

// BatchStarted records that batch n of `of` (counting from 1), with size
// hosts, starts. The line shows "batch n/of" when there is more than one.
func (d *Display) BatchStarted(n, of, size int) {
	d.update(func(s *state, _ time.Time) { s.batch, s.batches, s.batchSize = n, of, size })
}

// HostStarted records that work on the named host starts now.
func (d *Display) HostStarted(name string) {
	d.update(func(s *state, now time.Time) { s.started(name, now) })
}

// HostFinished records the named host's final status (a report host
// status such as "compliant"). A host that never started (skipped,
// cancelled) may finish without HostStarted.
func (d *Display) HostFinished(name, status string) {
	d.update(func(s *state, _ time.Time) { s.finished(name, status) })
}

// update changes the state and redraws, at most once per Interval; the
// ticker draws what a throttled update left undrawn.
func (d *Display) update(f func(*state, time.Time)) {
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.finished {
		return
	}
	now := d.o.Now()
	f(&d.st, now)
	if now.Sub(d.lastDraw) >= d.o.Interval {
		d.draw()
	}
}

// Refresh redraws the line if its text changed (counts, elapsed times,
// slow hosts) or it was cleared for a log line. The ticker calls it.
func (d *Display) Refresh() {
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.finished {
		d.draw()
	}
}

// SetWidth changes the terminal width (after a resize); the next redraw
// uses it.
func (d *Display) SetWidth(columns int) {
	d.update(func(*state, time.Time) {
		if columns <= 0 {
			columns = DefaultWidth
		}
		d.o.Width = columns
	})
}

// Write prints log output above the status line: every complete line in p
// is printed after the status line is cleared, and the status line is
// drawn again below them. A trailing partial line waits for its newline
// (Finish prints it). After Finish, Write writes straight to the terminal.
// Route the run's logger through it (slog.NewTextHandler(display, ...)), so
// log lines never glue onto the status line.
func (d *Display) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.finished {
		return d.w.Write(p)
	}
	d.partial = append(d.partial, p...)
	i := bytes.LastIndexByte(d.partial, '\n')
	if i < 0 {
		return len(p), nil
	}
	d.clear()
	if _, err := d.w.Write(d.partial[:i+1]); err != nil {
		d.partial = d.partial[:0]
		return 0, err
	}
	d.partial = append(d.partial[:0], d.partial[i+1:]...)
	d.draw() // at once: the line would otherwise be missing until the next tick
	return len(p), nil
}

// Finish clears the status line, prints a pending partial log line, and
// stops the ticker; it returns once the ticker's goroutine has ended. Call
// it before printing the end summary. Later calls do nothing.
func (d *Display) Finish() {
	if d == nil {
		return
	}
	d.mu.Lock()
	if d.finished {
		d.mu.Unlock()
		return
	}
	d.finished = true
	d.clear()
	if len(d.partial) > 0 {
		d.write(string(d.partial) + "\n")
		d.partial = nil
	}
	d.mu.Unlock()
	close(d.stop)
	<-d.stopped
}

// draw writes the current line if it differs from what is on screen.
// d.mu is held.
func (d *Display) draw() {
	now := d.o.Now()
	line := d.st.line(now, d.o.Width-1, d.o.SlowAfter).render(d.o.Color)
	if line == d.shown {
		return
	}
	d.write("\r" + line + eraseLine)
	d.shown = line
	d.lastDraw = now
}

// clear erases the status line, leaving the cursor at the start of the
// empty line. d.mu is held.
func (d *Display) clear() {
	if d.shown == "" {
		return
	}
	d.write("\r" + eraseLine)
	d.shown = ""
}

func (d *Display) write(s string) {
	if d.werr != nil {
		return
	}
	_, d.werr = io.WriteString(d.w, s)
}

// eraseLine is CSI K: erase from the cursor to the end of the line.
const eraseLine = "\x1b[K"
