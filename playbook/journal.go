package playbook

// A Journal keeps the record of what a run writes to its hosts outside the
// process, so that a run that dies mid-write (SIGKILL, out of memory, power
// loss) loses no record of what it sent. Run calls it from the workers'
// goroutines, concurrently; it is not called in scan or check mode, which
// write nothing.
type Journal interface {
	// Sending is called with one host's writes before they are sent. The
	// record must be durable when it returns (write-ahead); an error stops
	// the host before anything is sent (the host ends error).
	Sending(host string, writes []JournalWrite) error
	// Answered is called with the host's answers to those writes, or
	// with the writes left unanswered when the transport failed.
	Answered(host string, writes []JournalWrite)
	// Finished is called once per target with its final result, skipped
	// and cancelled hosts too.
	Finished(r HostResult)
}

// JournalWrite is one write command of a check in the journal.
type JournalWrite struct {
	Check    string `json:"check"`
	Command  string `json:"command"`
	Answered bool   `json:"answered"`
	ExitCode int    `json:"exit_code"`
	Output   string `json:"output,omitempty"`
}
