package inventory

import (
	"errors"
	"fmt"
	"strconv"
)

// An Error is a problem in an inventory or vars file. File is the path as
// given to Load (or a file found beside it); Line and Col are 1-based, and
// zero when unknown. Error renders as "file:line: message" (or
// "file:line:col: message" when Col is known).
type Error struct {
	File string
	Line int
	Col  int
	Msg  string
	// Err is an underlying cause, if any (for example an *os.PathError).
	Err error
}

func (e *Error) Error() string {
	s := e.File
	if e.Line > 0 {
		s += ":" + strconv.Itoa(e.Line)
		if e.Col > 0 {
			s += ":" + strconv.Itoa(e.Col)
		}
	}
	if s != "" {
		s += ": "
	}
	s += e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// A Warning is a problem that does not stop loading or connecting, such as a
// plaintext password or two hosts sharing an address and port. Warnings are
// returned as data; the caller decides how to show them.
type Warning struct {
	File string
	Line int
	Host string // host concerned, if any
	Msg  string
}

func (w Warning) String() string {
	s := ""
	if w.File != "" {
		s = w.File
		if w.Line > 0 {
			s += ":" + strconv.Itoa(w.Line)
		}
		s += ": "
	}
	if w.Host != "" {
		s += "host " + w.Host + ": "
	}
	return s + w.Msg
}

// ErrNoHostMatched is returned (wrapped in a *NoMatchError) by Select when a
// pattern selects no host at all. Ansible treats that as an empty run; winfleet
// treats it as an error, because an empty rollout that reports success hides a
// typo in --limit.
var ErrNoHostMatched = errors.New("no host matched")

// A NoMatchError says which pattern matched nothing. errors.Is(err,
// ErrNoHostMatched) holds for it.
type NoMatchError struct {
	Pattern string
}

func (e *NoMatchError) Error() string {
	return fmt.Sprintf("no host matched pattern %q", e.Pattern)
}

func (e *NoMatchError) Is(target error) bool { return target == ErrNoHostMatched }

// A PatternError is a syntax error in a host pattern. Pos is the 0-based byte
// offset in Pattern where the problem is; for a term read from an @file, File
// and Line name the line of that file.
type PatternError struct {
	Pattern string
	Pos     int
	File    string
	Line    int
	Msg     string
}

func (e *PatternError) Error() string {
	if e.File != "" {
		return fmt.Sprintf("%s:%d: pattern %q: %s", e.File, e.Line, e.Pattern, e.Msg)
	}
	return fmt.Sprintf("pattern %q at offset %d: %s", e.Pattern, e.Pos, e.Msg)
}
