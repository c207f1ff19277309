package progress

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// screen is a fake terminal of a fixed width: it interprets what a Display
// writes ("\r", "\n", CSI K, SGR colours, printable text) into the lines a
// person would see, and records what a real terminal would do that the
// display must avoid: wrapping at the right margin, or an escape sequence
// it does not know.
type screen struct {
	mu      sync.Mutex
	width   int
	lines   [][]rune // cells; a wide rune is followed by a 0 cell
	row     int
	col     int
	wraps   int      // times text reached past the right margin
	unknown []string // escape sequences other than CSI K and SGR
	writes  int      // Write calls
	raw     strings.Builder
}

func newScreen(width int) *screen { return &screen{width: width, lines: [][]rune{nil}} }

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	s.raw.Write(p)
	in := []rune(string(p))
	for i := 0; i < len(in); i++ {
		r := in[i]
		switch {
		case r == '\r':
			s.col = 0
		case r == '\n':
			s.newline()
		case r == 0x1b:
			j := i + 1
			if j >= len(in) || in[j] != '[' {
				s.unknown = append(s.unknown, string(in[i:min(i+2, len(in))]))
				continue
			}
			j++
			for j < len(in) && (in[j] >= '0' && in[j] <= '9' || in[j] == ';') {
				j++
			}
			if j >= len(in) {
				s.unknown = append(s.unknown, string(in[i:]))
				i = j
				continue
			}
			params, final := string(in[i+2:j]), in[j]
			switch {
			case final == 'K' && (params == "" || params == "0"):
				line := s.lines[s.row]
				if s.col < len(line) {
					s.lines[s.row] = line[:s.col]
				}
			case final == 'm':
			default:
				s.unknown = append(s.unknown, string(in[i:j+1]))
			}
			i = j
		default:
			w := runeWidth(r)
			if s.col+w > s.width {
				s.wraps++
				s.newline()
			}
			line := s.lines[s.row]
			for len(line) < s.col+w {
				line = append(line, ' ')
			}
			line[s.col] = r
			if w == 2 {
				line[s.col+1] = 0
			}
			s.lines[s.row] = line
			s.col += w
		}
	}
	return len(p), nil
}

func (s *screen) newline() {
	s.row++
	s.col = 0
	if s.row == len(s.lines) {
		s.lines = append(s.lines, nil)
	}
}

// text is the visible screen: its lines, trailing blanks trimmed, the last
// (cursor) line dropped if empty.
func (s *screen) text() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, l := range s.lines {
		var b strings.Builder
		for _, r := range l {
			if r != 0 {
				b.WriteRune(r)
			}
		}
		out = append(out, strings.TrimRight(b.String(), " "))
	}
	if n := len(out); n > 0 && out[n-1] == "" {
		out = out[:n-1]
	}
	return out
}

// last is the line the cursor is on: the status line.
func (s *screen) last() string {
	s.mu.Lock()
	row := s.row
	s.mu.Unlock()
	lines := s.text()
	if row < len(lines) {
		return lines[row]
	}
	return ""
}

// check fails t if the terminal wrapped or saw an unknown sequence.
func (s *screen) check(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wraps > 0 {
		t.Errorf("the terminal wrapped %d times (width %d); raw output %q", s.wraps, s.width, s.raw.String())
	}
	if len(s.unknown) > 0 {
		t.Errorf("unknown escape sequences %q", s.unknown)
	}
}

// clock is a manual clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestScreen(t *testing.T) {
	s := newScreen(10)
	fmt.Fprint(s, "hello\rJ\x1b[K")
	if got := s.text(); len(got) != 1 || got[0] != "J" {
		t.Errorf("after CR and erase: %q, want [J]", got)
	}
	fmt.Fprint(s, "\r\x1b[31mred\x1b[0m\nnext")
	if got := s.text(); strings.Join(got, "|") != "red|next" {
		t.Errorf("colour and newline: %q, want [red next]", got)
	}
	fmt.Fprint(s, "\r0123456789x")
	if s.wraps != 1 {
		t.Errorf("11 columns on a 10-column screen: wraps = %d, want 1", s.wraps)
	}
	fmt.Fprint(s, "\x1b[2A")
	if len(s.unknown) != 1 {
		t.Errorf("cursor up: unknown = %q, want it recorded", s.unknown)
	}
}
