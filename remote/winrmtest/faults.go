package winrmtest

import (
	"maps"
	"math/rand/v2"
	"time"
)

// Faults are failures a Server injects. The zero value injects nothing. Set
// them with WithFaults at start or with (*Server).SetFaults at any time; a
// change applies to requests that arrive afterwards (and to Receives parked at
// that moment for HangReceive and DropReceive, which are checked on arrival).
type Faults struct {
	// Latency is added before each request is processed, plus a random
	// duration in [0, Jitter).
	Latency time.Duration
	Jitter  time.Duration

	// RefuseConnections closes the listening socket (clients get ECONNREFUSED)
	// and every open connection, as a stopped WinRM service. Clearing it
	// listens again on the same address.
	RefuseConnections bool

	// NoAnswer accepts every request and never answers it: the request stays
	// parked until the client gives up or the server is closed (the
	// connection is then closed without a response).
	NoAnswer bool

	// HangReceive parks every Receive without an answer, like NoAnswer but
	// only for Receive, so that a command hangs after Create and Command
	// succeeded.
	HangReceive bool

	// DropReceive closes the TCP connection when a Receive arrives, without
	// a response (the client sees EOF).
	DropReceive bool

	// StallReceiveBody sends the headers and half the body of every
	// successful ReceiveResponse, then nothing until the client leaves or the
	// server is closed (a client's ResponseHeaderTimeout does not cover it).
	StallReceiveBody bool

	// TruncateReceiveBody sends the headers and half the body of every
	// successful ReceiveResponse, then closes the connection (the client
	// sees an unexpected EOF while reading the body).
	TruncateReceiveBody bool

	// Unauthorized answers every request with 401 as if the credentials were
	// wrong (a changed password).
	Unauthorized bool

	// UnauthorizedOn answers the given operations with 401 (after
	// authentication succeeded), as when credentials are revoked between
	// two requests of a command.
	UnauthorizedOn map[Op]bool

	// HeaderDelay waits this long after an operation was carried out and
	// before the response headers are written (the client's
	// ResponseHeaderTimeout path). The operation itself has happened.
	HeaderDelay time.Duration

	// SlowOutput delays every Write of a command's Stdout or Stderr by this
	// long before the chunk becomes visible to Receive.
	SlowOutput time.Duration

	// HugeOutput appends this many bytes to the stdout of every command, after
	// the handler's own output, as lines of printable ASCII ending in CRLF
	// written 4096 bytes at a time (see HugeOutputBytes). They are generated
	// as the client receives them, so any size costs the server only its
	// pending-output window (4 MiB per command).
	HugeOutput int

	// FaultOn answers the given operation with the SOAP fault of that code
	// instead of carrying it out (the operation has no effect). Codes of the
	// catalogue (CodeTimedOut, CodeInvalidSelectors, ...) get Windows' text;
	// any other code gets a generic w:InternalError.
	FaultOn map[Op]uint32
}

func (f Faults) clone() Faults {
	f.FaultOn = maps.Clone(f.FaultOn)
	f.UnauthorizedOn = maps.Clone(f.UnauthorizedOn)
	return f
}

func (f Faults) latency() time.Duration {
	d := f.Latency
	if f.Jitter > 0 {
		d += rand.N(f.Jitter)
	}
	return d
}

// HugeOutputBytes returns the n bytes that Faults.HugeOutput appends to a
// command's stdout, so that a test can compare them.
func HugeOutputBytes(n int) []byte {
	b := make([]byte, 0, n+len(hugeLine))
	for len(b) < n {
		b = append(b, hugeLine...)
	}
	return b[:n]
}
