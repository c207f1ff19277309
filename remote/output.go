package remote

import (
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

// DefaultMaxOutput is the default of Options.MaxOutput: 4 MiB of stdout and
// stderr together per command. winfleet's commands print a few KB; a
// command that prints megabytes is a runaway or the wrong command.
const DefaultMaxOutput = 4 << 20

// excerptBytes is how much of the head and of the tail of a too-large
// output an OutputTooLargeError keeps.
const excerptBytes = 2048

// output accumulates one command's raw stdout and stderr as the Receive
// answers arrive, up to limit bytes together (no limit if limit ≤ 0). It
// never grows its buffers past the limit.
//
// The buffers come from outputPool when the first output arrives (not at
// reset: a command waiting for its host holds none) and go back at
// release, which the Client calls once the output is decoded (at the end
// of Run and RunBatch), so a fleet of clients shares as many as it has
// commands whose output is being received and decoded at that moment.
// The decoded text a caller keeps never points into them: decodeOutput
// and decodeStderr copy (TestOutputNotAliased).
type output struct {
	stdout, stderr []byte
	limit          int
	box            *outputBuffers // the pool's holder of the buffers, nil when released
}

// outputBuffers holds a pair of output buffers in outputPool.
type outputBuffers struct{ stdout, stderr []byte }

// outputPool holds the idle output buffers of every client in the
// process. Like answerPool it is a cache: what it returns is emptied
// before use.
var outputPool = sync.Pool{New: func() any { return new(outputBuffers) }}

// reset empties the buffers for a new command.
func (o *output) reset(limit int) {
	o.limit = limit
	o.stdout, o.stderr = o.stdout[:0], o.stderr[:0]
}

// take borrows buffers from outputPool if o has none. A pooled buffer
// larger than the limit is left to the garbage collector.
func (o *output) take() {
	if o.box != nil {
		return
	}
	o.box = outputPool.Get().(*outputBuffers)
	o.stdout, o.stderr = o.box.stdout[:0], o.box.stderr[:0]
	o.box.stdout, o.box.stderr = nil, nil
	if o.limit > 0 && cap(o.stdout) > o.limit {
		o.stdout = nil
	}
	if o.limit > 0 && cap(o.stderr) > o.limit {
		o.stderr = nil
	}
}

// reserve makes room for n more bytes of stdout (where output usually
// goes), within the limit.
func (o *output) reserve(n int) {
	o.take()
	if o.limit > 0 {
		n = min(n, o.limit-len(o.stdout)-len(o.stderr))
	}
	if n > 0 {
		o.stdout = grow(o.stdout, n, o.limit)
	}
}

// release gives the buffers back to outputPool (those pooled refuses to
// the garbage collector). The raw output is gone: decode it first.
func (o *output) release() {
	if o.box != nil {
		if pooled(o.stdout, len(o.stdout)) {
			o.box.stdout = o.stdout[:0]
		}
		if pooled(o.stderr, len(o.stderr)) {
			o.box.stderr = o.stderr[:0]
		}
		outputPool.Put(o.box)
	}
	o.stdout, o.stderr, o.box = nil, nil, nil
}

// addBase64 decodes one rsp:Stream chunk into stdout or stderr. Past the
// limit it keeps nothing more and returns an *OutputTooLargeError with the
// head and tail of that stream.
func (o *output) addBase64(stderr bool, b64 []byte) error {
	o.take()
	buf, name := &o.stdout, "stdout"
	if stderr {
		buf, name = &o.stderr, "stderr"
	}
	n := base64.StdEncoding.DecodedLen(len(b64))
	if o.limit > 0 && len(o.stdout)+len(o.stderr)+n > o.limit {
		// Decode this chunk alone (it is at most one answer's worth) to
		// know whether it really crosses the limit and to keep its tail.
		chunk := make([]byte, n)
		m, err := base64.StdEncoding.Decode(chunk, b64)
		if err != nil {
			return fmt.Errorf("rsp:Stream %s: %w", name, err)
		}
		chunk = chunk[:m]
		if len(o.stdout)+len(o.stderr)+m > o.limit {
			return o.tooLarge(name, *buf, chunk)
		}
		*buf = append(grow(*buf, m, o.limit), chunk...)
		return nil
	}
	b := grow(*buf, n, o.limit)
	m, err := base64.StdEncoding.Decode(b[len(b):len(b)+n], b64)
	if err != nil {
		return fmt.Errorf("rsp:Stream %s: %w", name, err)
	}
	*buf = b[:len(b)+m]
	return nil
}

// grow makes room for n more bytes: at least doubling the capacity (so
// that a large output is copied O(1) times per byte), but never past limit
// (when limit > 0 and len(b)+n fits in it).
func grow(b []byte, n, limit int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	c := max(2*cap(b), len(b)+n, 4096)
	if limit > 0 && len(b)+n <= limit {
		c = min(c, limit)
	}
	nb := make([]byte, len(b), c)
	copy(nb, b)
	return nb
}

func (o *output) tooLarge(stream string, buf, chunk []byte) *OutputTooLargeError {
	e := &OutputTooLargeError{Limit: o.limit, Received: len(o.stdout) + len(o.stderr) + len(chunk), Stream: stream}
	head := buf
	if len(head) < excerptBytes {
		head = append(append([]byte(nil), buf...), chunk[:min(len(chunk), excerptBytes-len(buf))]...)
	}
	e.Head = string(cutRunes(head[:min(len(head), excerptBytes)], false))
	tail := chunk
	if len(tail) < excerptBytes {
		from := max(0, len(buf)-(excerptBytes-len(chunk)))
		tail = append(append([]byte(nil), buf[from:]...), chunk...)
	}
	if len(buf)+len(chunk) > len(e.Head) {
		e.Tail = string(cutRunes(tail[max(0, len(tail)-excerptBytes):], true))
	}
	return e
}

// cutRunes trims a UTF-8 sequence cut at the end (or, with atStart, at the
// start) of an excerpt, so that the excerpt stays valid UTF-8 if the
// output was.
func cutRunes(b []byte, atStart bool) []byte {
	if atStart {
		// A cut sequence leaves at most UTFMax-1 continuation bytes.
		i := 0
		for i < len(b) && i < utf8.UTFMax-1 && !utf8.RuneStart(b[i]) {
			i++
		}
		return b[i:]
	}
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if utf8.FullRune(b[i:]) {
				return b
			}
			return b[:i]
		}
	}
	return b
}

// OutputTooLargeError is the cause of an ErrOutputTooLarge error: the
// command printed more than Options.MaxOutput bytes (stdout and stderr
// together). The client kept nothing past the limit, terminated the
// command (Signal terminate) and deleted the shell. Head and Tail are the
// first and last bytes (up to 2 KiB each) of the stream that crossed the
// limit, decoded like Run's output; Tail is empty when Head holds it all.
type OutputTooLargeError struct {
	Limit    int    // Options.MaxOutput
	Received int    // bytes of stdout and stderr received when the client stopped
	Stream   string // "stdout" or "stderr": the stream that crossed the limit
	Head     string
	Tail     string
}

// Error formats as "command output over N bytes (stdout and stderr
// together): stopped after M bytes; stdout begins "…" and ends "…"", with
// at most 120 bytes of each end.
func (e *OutputTooLargeError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "command output over %d bytes (stdout and stderr together): stopped after %d bytes", e.Limit, e.Received)
	if e.Head != "" {
		fmt.Fprintf(&b, "; %s begins %q", e.Stream, excerptEnd(e.Head, 120, false))
	}
	if e.Tail != "" {
		fmt.Fprintf(&b, " and ends %q", excerptEnd(e.Tail, 120, true))
	}
	return b.String()
}

// Excerpt is the head and tail of the output for a report: the head, a line
// saying how much was left out, and the tail.
func (e *OutputTooLargeError) Excerpt() string {
	if e.Tail == "" {
		return e.Head
	}
	omitted := e.Received - len(e.Head) - len(e.Tail)
	return fmt.Sprintf("%s\n[… %d bytes of %s not shown; output stopped at the %d-byte limit …]\n%s", e.Head, max(omitted, 0), e.Stream, e.Limit, e.Tail)
}

// Is reports whether target is ErrOutputTooLarge.
func (e *OutputTooLargeError) Is(target error) bool { return target == ErrOutputTooLarge }

func excerptEnd(s string, n int, tail bool) string {
	if len(s) <= n {
		return s
	}
	if tail {
		return string(cutRunes([]byte(s[len(s)-n:]), true))
	}
	return string(cutRunes([]byte(s[:n]), false))
}
