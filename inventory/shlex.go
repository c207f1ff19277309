package inventory

import (
	"errors"
	"strings"
)

type token struct {
	text string
	off  int // byte offset of the token's first character
}

var (
	errNoClosingQuote = errors.New("no closing quotation")
	errNoEscaped      = errors.New("no escaped character")
)

// shlexSplit splits s like Python's shlex.split(s, comments=True), which
// Ansible's INI plugin uses for host lines: POSIX quoting and backslash
// escapes, and '#' starting a comment where a word would start or continue.
// On error, off is where the offending quote or escape is.
func shlexSplit(s string) (toks []token, off int, err error) {
	if !strings.ContainsAny(s, "'\"\\#") {
		// No quoting or comment: plain whitespace splitting, sharing s.
		start := -1
		for i := 0; i <= len(s); i++ {
			if i == len(s) || s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n' {
				if start >= 0 {
					toks = append(toks, token{text: s[start:i], off: start})
					start = -1
				}
			} else if start < 0 {
				start = i
			}
		}
		return toks, 0, nil
	}
	const (
		stWhite = iota
		stWord
		stSingle
		stDouble
	)
	state := stWhite
	var cur []byte
	start, quoteAt := 0, 0
	inToken := false
	emit := func() {
		if inToken {
			toks = append(toks, token{text: string(cur), off: start})
		}
		cur = cur[:0]
		inToken = false
	}
	begin := func(i int) {
		if !inToken {
			inToken = true
			start = i
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch state {
		case stWhite, stWord:
			switch c {
			case ' ', '\t', '\r', '\n':
				emit()
				state = stWhite
			case '#':
				emit()
				return toks, 0, nil
			case '\'':
				begin(i)
				quoteAt = i
				state = stSingle
			case '"':
				begin(i)
				quoteAt = i
				state = stDouble
			case '\\':
				if i+1 >= len(s) {
					return nil, i, errNoEscaped
				}
				begin(i)
				i++
				cur = append(cur, s[i])
				state = stWord
			default:
				begin(i)
				cur = append(cur, c)
				state = stWord
			}
		case stSingle:
			if c == '\'' {
				state = stWord
			} else {
				cur = append(cur, c)
			}
		case stDouble:
			switch {
			case c == '"':
				state = stWord
			case c == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\'):
				i++
				cur = append(cur, s[i])
			case c == '\\' && i+1 >= len(s):
				return nil, quoteAt, errNoClosingQuote
			default:
				cur = append(cur, c)
			}
		}
	}
	if state == stSingle || state == stDouble {
		return nil, quoteAt, errNoClosingQuote
	}
	emit()
	return toks, 0, nil
}
