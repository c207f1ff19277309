package winsim

import (
	"context"
	"strings"
	"time"

	"github.com/winfleet/winfleet/remote/winrmtest"
)

// A WriteFaultMode is how a host fails its write commands (Faults.Write).
// The values are the fleet file's keys.
type WriteFaultMode string

// Write fault modes. Each acts at the first write program of a command line
// (see IsWriteProgram) and cuts the line there: nothing after it runs, and
// what the line printed before is delivered only if a Receive already took
// it.
const (
	// DropBeforeWrite closes the connection instead of answering, and the
	// write program does not run: the host is unchanged.
	DropBeforeWrite WriteFaultMode = "drop_before_write"
	// DropAfterWrite runs the write program, then closes the connection
	// instead of answering: the host changed, the client cannot know it.
	DropAfterWrite WriteFaultMode = "drop_after_write"
	// HangOnWrite runs the write program and never answers.
	HangOnWrite WriteFaultMode = "hang_on_write"
)

// Valid reports whether m is "" (no fault) or one of the modes.
func (m WriteFaultMode) Valid() bool {
	switch m {
	case "", DropBeforeWrite, DropAfterWrite, HangOnWrite:
		return true
	}
	return false
}

// WriteFault makes a host fail write commands: Mode, from the write command
// line numbered After+1 (counted since the host started or SetWriteFault)
// on. The zero value injects nothing.
type WriteFault struct {
	Mode  WriteFaultMode
	After int
}

// A WriteRecord is one command line that reached a write program: netsh
// add/set/delete/reset (advfirewall firewall, advfirewall set PROFILE,
// legacy firewall), reg add/delete, sc start/stop. A line with several
// write programs is one record.
type WriteRecord struct {
	// Line is the command line as received (rsp:Command plus arguments).
	Line string `json:"line"`
	// Received is when the host received the line.
	Received time.Time `json:"received"`
	// Writes counts the write programs the line reached, Applied those that
	// changed the host's state (a refused or failed write changes nothing).
	Writes  int `json:"writes"`
	Applied int `json:"applied"`
	// Fault is the write fault that cut the line, if any.
	Fault WriteFaultMode `json:"fault,omitempty"`
	// Exit is the line's exit code; meaningless when Fault is set.
	Exit int `json:"exit"`
	// Answered says the final result (exit code) reached the client: the
	// server wrote the last ReceiveResponse in full (under Exec: the line
	// returned without a fault).
	Answered bool `json:"answered"`
}

// WriteCounts are a host's write counters since it started (or ResetLog).
type WriteCounts struct {
	// Commands counts the write command lines (WriteRecords), Programs the
	// write programs they reached, Applied the program runs that changed
	// state (Writes), Answered the write lines whose result reached the
	// client, Faulted the lines a write fault cut.
	Commands, Programs, Applied, Answered, Faulted int64
}

// WriteLog returns the write command lines in arrival order (the most
// recent Config.LogLimit of them).
func (h *Host) WriteLog() []WriteRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]WriteRecord, len(h.wlog))
	for i, r := range h.wlog {
		out[i] = *r
	}
	return out
}

// WriteCounts returns the write counters.
func (h *Host) WriteCounts() WriteCounts {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.wcount
	c.Applied = int64(h.writes)
	return c
}

// SetWriteFault replaces the write fault (Config.Faults.Write at start);
// its After counts write lines from now on. Lines already running keep the
// decision made at their first write.
func (h *Host) SetWriteFault(f WriteFault) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.wfault, h.wfSeen = f, 0
}

// IsWriteProgram reports whether a program run changes the host's state
// when it succeeds: netsh firewall add/delete/set/reset, netsh advfirewall
// firewall add/delete/set, netsh advfirewall set, reg add/delete, sc
// start/stop. prog is the lower-case program name without .exe, args its
// argv[1:]. A help request (a bare ?, /? or help) is not a write.
func IsWriteProgram(v Version, prog string, args []string) bool {
	for _, a := range args {
		if a == "?" || a == "/?" || a == "-?" || strings.EqualFold(a, "help") {
			return false
		}
	}
	switch prog {
	case "netsh":
		if len(args) < 2 {
			return false
		}
		switch kw(args[0], netshContexts(v)...) {
		case "firewall":
			switch kw(args[1], "add", "delete", "set", "show", "reset", "dump") {
			case "add", "delete", "set", "reset":
				return true
			}
		case "advfirewall":
			switch kw(args[1], "firewall", "consec", "mainmode", "monitor", "dump", "export", "import", "reset", "set", "show") {
			case "set":
				return true
			case "firewall":
				if len(args) > 2 {
					switch kw(args[2], "add", "delete", "set", "show", "dump") {
					case "add", "delete", "set":
						return true
					}
				}
			}
		}
	case "reg":
		return len(args) > 0 && (strings.EqualFold(args[0], "add") || strings.EqualFold(args[0], "delete"))
	case "sc":
		if len(args) > 0 && strings.HasPrefix(args[0], `\\`) {
			args = args[1:]
		}
		return len(args) > 0 && (strings.EqualFold(args[0], "start") || strings.EqualFold(args[0], "stop"))
	}
	return false
}

// A lineState follows one received command line for the write log and the
// write fault.
type lineState struct {
	h        *Host
	cmd      *winrmtest.Command // nil under Exec
	line     string
	received time.Time

	rec   *WriteRecord   // set at the first write program
	fault WriteFaultMode // decided at the first write program
	// cut stops the line (every process of it runs on one goroutine).
	cut bool
}

// beforeWrite is called when a write program is about to run; false means
// the line is cut before it (DropBeforeWrite).
func (l *lineState) beforeWrite() bool {
	h := l.h
	h.mu.Lock()
	first := l.rec == nil
	if first {
		l.rec = &WriteRecord{Line: l.line, Received: l.received}
		h.wlog = trim(append(h.wlog, l.rec), h.logLimit())
		h.wcount.Commands++
		h.wfSeen++
		if h.wfault.Mode != "" && h.wfSeen > h.wfault.After {
			l.fault = h.wfault.Mode
		}
	}
	l.rec.Writes++
	h.wcount.Programs++
	cut := l.fault == DropBeforeWrite
	if cut {
		l.rec.Fault = l.fault
		h.wcount.Faulted++
	}
	rec := l.rec
	h.mu.Unlock()
	if first && l.cmd != nil {
		l.cmd.OnAnswered(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			rec.Answered = true
			h.wcount.Answered++
		})
	}
	if cut {
		l.withhold()
	}
	return !cut
}

// afterWrite is called when a write program has run (wrote: it changed
// state); true means the line is cut after it (DropAfterWrite, HangOnWrite).
func (l *lineState) afterWrite(wrote bool) bool {
	h := l.h
	h.mu.Lock()
	if wrote {
		l.rec.Applied++
	}
	cut := l.fault == DropAfterWrite || l.fault == HangOnWrite
	if cut {
		l.rec.Fault = l.fault
		h.wcount.Faulted++
	}
	h.mu.Unlock()
	if cut {
		l.withhold()
	}
	return cut
}

// withhold tells the server not to answer and stops the line.
func (l *lineState) withhold() {
	if l.cmd != nil {
		if l.fault == HangOnWrite {
			l.cmd.HangAnswer()
		} else {
			l.cmd.DropAnswer()
		}
	}
	l.cut = true
}

// finish records the line's exit code; it returns the code the handler
// returns (1 for a cut line, whose answer is never sent).
func (l *lineState) finish(ctx context.Context, rc int) int {
	if l.rec == nil {
		return rc
	}
	h := l.h
	h.mu.Lock()
	faulted := l.rec.Fault != ""
	if !faulted {
		l.rec.Exit = rc
		if l.cmd == nil {
			l.rec.Answered = true
			h.wcount.Answered++
		}
	}
	h.mu.Unlock()
	if !faulted {
		return rc
	}
	if l.cmd == nil && l.fault == HangOnWrite {
		// Exec has no server to withhold the answer: it never returns.
		<-ctx.Done()
	}
	return 1
}
