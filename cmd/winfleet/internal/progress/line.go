package progress

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/width"

	"github.com/winfleet/winfleet/reports"
)

// state is what the line shows. It is owned by a Display and guarded by
// its mutex.
type state struct {
	title                     string
	total, done               int
	start                     time.Time
	batch, batches, batchSize int
	counts                    map[string]int
	inflight                  map[string]time.Time // host → when it started
}

func newState(title string, total int, start time.Time) state {
	return state{title: title, total: total, start: start, counts: map[string]int{}, inflight: map[string]time.Time{}}
}

func (s *state) started(name string, now time.Time) { s.inflight[name] = now }

func (s *state) finished(name, status string) {
	delete(s.inflight, name)
	s.done++
	s.counts[status]++
}

// slow returns the hosts in flight, oldest first, when every one of them
// has been running at least slowAfter: then nothing has started for that
// long and these hosts are what the run waits for. Otherwise it returns nil.
func (s *state) slow(now time.Time, slowAfter time.Duration) []slowHost {
	if len(s.inflight) == 0 {
		return nil
	}
	out := make([]slowHost, 0, len(s.inflight))
	for name, t := range s.inflight {
		if now.Sub(t) < slowAfter {
			return nil
		}
		out = append(out, slowHost{name, now.Sub(t)})
	}
	slices.SortFunc(out, func(a, b slowHost) int {
		return cmp.Or(cmp.Compare(b.elapsed, a.elapsed), cmp.Compare(a.name, b.name))
	})
	return out
}

type slowHost struct {
	name    string
	elapsed time.Duration
}

// line composes the status line, at most max columns wide:
//
//	apply batch 2/3 (30 hosts) 31/61 [=====>    ] 50% 1m12s 20 changed 1 failed
//	scan 318/320 [=========>] 99% 5m02s waiting for 2: sql098 2m05s, sql099 1m58s
//
// The head (title, batch, count, bar, percentage, elapsed time) comes
// first, then the tail: the counts by status, or the slow hosts. To keep
// the whole tail (all counts; at least one slow host's name) the bar is
// dropped first, then the batch size; if it still does not fit, the line
// is cut and ends in "…".
func (s *state) line(now time.Time, max int, slowAfter time.Duration) spans {
	tails, last := s.tails(now, slowAfter)
	heads := []spans{s.head(now, max, true, true), s.head(now, max, false, true), s.head(now, max, false, false)}
	for _, head := range heads {
		for _, tail := range tails {
			if head.width()+tail.width() <= max {
				return append(head, tail...)
			}
		}
	}
	head := heads[len(heads)-1]
	return append(head, last...).cut(max)
}

// head is "apply batch 2/3 (30 hosts) 31/61 [=====>    ] 50% 1m12s"; the
// bar only from 60 columns on.
func (s *state) head(now time.Time, max int, withBar, withSize bool) spans {
	var l spans
	l.add(clean(s.title), "")
	if s.batches > 1 {
		l.add(fmt.Sprintf(" batch %d/%d", s.batch, s.batches), "")
		if withSize && s.batchSize > 0 {
			l.add(fmt.Sprintf(" (%d %s)", s.batchSize, plural(s.batchSize, "host", "hosts")), "")
		}
	}
	l.add(fmt.Sprintf(" %d/%d", s.done, s.total), "")
	pct := 100
	if s.total > 0 {
		pct = 100 * s.done / s.total
	}
	if withBar && max >= 59 {
		l.add(" "+bar(min(20, max/8), s.done, s.total), "")
	}
	l.add(fmt.Sprintf(" %d%% %s", pct, elapsed(now.Sub(s.start))), "")
	return l
}

// tails returns the tails to try, best first, and the one to use (cut if
// need be) when none fits: the counts by status; or, when only slow hosts
// are in flight, "waiting for 2: a 2m05s, b 1m58s", then with fewer names
// and "+N more", and as the last resort "waiting for 2 hosts".
func (s *state) tails(now time.Time, slowAfter time.Duration) ([]spans, spans) {
	slow := s.slow(now, slowAfter)
	if slow == nil {
		var l spans
		for _, st := range statusOrder(s.counts) {
			l.add(" "+strconv.Itoa(s.counts[st])+" ", "")
			l.add(clean(st), statusColor(st))
		}
		return []spans{l}, l
	}
	lead := fmt.Sprintf(" waiting for %d: ", len(slow))
	var out []spans
	var names []string
	for i, h := range slow {
		names = append(names, clean(h.name)+" "+elapsed(h.elapsed))
		v := lead + strings.Join(names, ", ")
		if rest := len(slow) - i - 1; rest > 0 {
			v += fmt.Sprintf(" +%d more", rest)
		}
		out = append(out, spans{{v, yellow}})
	}
	slices.Reverse(out) // most names first
	last := spans{{fmt.Sprintf(" waiting for %d %s", len(slow), plural(len(slow), "host", "hosts")), yellow}}
	return out, last
}

// statusOrder is the order of the counts: reports.HostStatuses first, then
// any other status by name.
func statusOrder(counts map[string]int) []string {
	var out []string
	for _, st := range reports.HostStatuses {
		if counts[string(st)] > 0 {
			out = append(out, string(st))
		}
	}
	for _, st := range slices.Sorted(maps.Keys(counts)) {
		if counts[st] > 0 && !reports.HostStatus(st).Valid() {
			out = append(out, st)
		}
	}
	return out
}

// SGR colour parameters.
const (
	green  = "32"
	red    = "31"
	yellow = "33"
)

// statusColor colours a host status the way the end summary does: green
// when the host is in the desired state, red for drift, yellow when it
// could not be checked.
func statusColor(status string) string {
	st := reports.HostStatus(status)
	switch {
	case st.OK():
		return green
	case st.Drift():
		return red
	case st.Unchecked():
		return yellow
	}
	return ""
}

// bar draws "[=====>    ]" with cells inner cells.
func bar(cells, done, total int) string {
	filled := cells
	if total > 0 {
		filled = min(cells, cells*done/total)
	}
	var b strings.Builder
	b.WriteByte('[')
	b.WriteString(strings.Repeat("=", filled))
	if filled < cells {
		b.WriteByte('>')
		b.WriteString(strings.Repeat(" ", cells-filled-1))
	}
	b.WriteByte(']')
	return b.String()
}

// elapsed formats a duration the way people read a wait: 42s, 2m05s,
// 1h02m.
func elapsed(d time.Duration) string {
	d = max(d, 0).Truncate(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// clean makes text from the inventory safe on the status line: control
// characters (which could move the cursor or end the line) become '?'.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// span is a piece of the line with an optional SGR colour.
type span struct {
	text, color string
}

type spans []span

func (l *spans) add(text, color string) { *l = append(*l, span{text, color}) }

func (l spans) width() int {
	n := 0
	for _, s := range l {
		n += textWidth(s.text)
	}
	return n
}

// cut returns the spans cut to max columns; a cut line ends in "…".
func (l spans) cut(max int) spans {
	if l.width() <= max {
		return l
	}
	var out spans
	room := max - 1 // for the ellipsis
	for _, s := range l {
		if room <= 0 {
			break
		}
		var b strings.Builder
		for _, r := range s.text {
			w := runeWidth(r)
			if w > room {
				room = 0
				break
			}
			b.WriteRune(r)
			room -= w
		}
		out = append(out, span{b.String(), s.color})
	}
	if max > 0 {
		out = append(out, span{"…", ""})
	}
	return out
}

// render joins the spans, with colours when color is set.
func (l spans) render(color bool) string {
	var b strings.Builder
	for _, s := range l {
		if color && s.color != "" && s.text != "" {
			b.WriteString("\x1b[" + s.color + "m" + s.text + "\x1b[0m")
			continue
		}
		b.WriteString(s.text)
	}
	return b.String()
}

// textWidth is the number of terminal columns s takes.
func textWidth(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

// runeWidth is the number of columns r takes on a terminal: 2 for East
// Asian wide and fullwidth characters, 0 for combining marks and format
// characters, else 1.
func runeWidth(r rune) int {
	switch {
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}
