package winrmtest

import (
	"context"
	"time"
)

// An Op is the WS-Management operation a request carried.
type Op string

// The operations in the request log. OpAuth marks a request answered by the
// authentication layer (a 401, or a handshake leg), OpUnknown one the server
// did not understand (another path, a malformed envelope, an unsupported
// action or a body over the size limit).
const (
	OpCreate  Op = "Create"
	OpCommand Op = "Command"
	OpReceive Op = "Receive"
	OpSend    Op = "Send"
	OpSignal  Op = "Signal"
	OpDelete  Op = "Delete"
	OpAuth    Op = "Auth"
	OpUnknown Op = "Unknown"
)

// A Request is one entry of the request log: one HTTP request as the server
// saw it.
type Request struct {
	// Seq numbers requests in arrival order, from 1.
	Seq int
	// Time is when the request arrived; Duration how long it took to answer.
	Time     time.Time
	Duration time.Duration
	// ConnID identifies the TCP connection (from 1, in accept order), so tests
	// can assert connection reuse.
	ConnID int64
	// Op is the operation; ShellID and CommandID its selectors (CommandID is
	// the new ID for Command).
	Op        Op
	ShellID   string
	CommandID string
	// CommandLine is rsp:Command, for Command.
	CommandLine string
	// Signal is the signal code's last path element ("terminate",
	// "ctrl_c"), for Signal.
	Signal string
	// End is true for a Send with End="true"; Bytes the decoded stdin bytes.
	End   bool
	Bytes int
	// User is the authenticated user, "" if authentication failed.
	User string
	// Status is the HTTP status sent, 0 while the request is in flight and -1
	// when the connection was closed without a response.
	Status int
	// Size is the length of the response body the SOAP layer produced
	// (before an Authenticator's Wrap).
	Size int
	// FaultCode is the WSManFault Code of a fault response, else 0.
	FaultCode uint32
	// Note says why the server refused or failed the request, in words.
	Note string
}

// Log returns a copy of the request log in arrival order, including requests
// still in flight (Status 0). With WithLogLimit it holds the most recent
// requests only.
func (s *Server) Log() []Request {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	log := s.log
	if n := s.cfg.logLimit; n > 0 && len(log) > n {
		log = log[len(log)-n:]
	}
	out := make([]Request, len(log))
	for i, r := range log {
		out[i] = *r
	}
	return out
}

// ResetLog empties the request log. Sequence numbers keep counting.
func (s *Server) ResetLog() {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	s.log = nil
	s.logChangedLocked()
}

// WaitLog blocks until cond is true of the request log (as Log returns it)
// or ctx is done. cond is called again after every change to the log. It
// lets a test wait for "the third TimedOut fault" or "a Receive is parked"
// without sleeping.
func (s *Server) WaitLog(ctx context.Context, cond func([]Request) bool) error {
	for {
		s.logMu.Lock()
		if s.logChanged == nil {
			s.logChanged = make(chan struct{})
		}
		ch := s.logChanged
		s.logMu.Unlock()
		if cond(s.Log()) {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// logChangedLocked wakes the WaitLog callers. The channel exists only while
// one waits (WaitLog makes it), so a change nobody waits for allocates
// nothing: a served lab changes its logs several times per request.
func (s *Server) logChangedLocked() {
	if s.logChanged != nil {
		close(s.logChanged)
		s.logChanged = nil
	}
}

// Ops returns the operations of the log in order, a shorthand for tests.
func (s *Server) Ops() []Op {
	log := s.Log()
	ops := make([]Op, len(log))
	for i, r := range log {
		ops[i] = r.Op
	}
	return ops
}

func (s *Server) logStart(r *Request) *Request {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	s.seq++
	r.Seq = s.seq
	s.log = append(s.log, r)
	if n := s.cfg.logLimit; n > 0 && len(s.log) > 2*n {
		s.log = append([]*Request(nil), s.log[len(s.log)-n:]...)
	}
	s.logChangedLocked()
	return r
}

// logUpdate runs f on the live entry under the log lock.
func (s *Server) logUpdate(r *Request, f func(*Request)) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	f(r)
	s.logChangedLocked()
}
