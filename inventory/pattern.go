package inventory

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// A Pattern is a parsed host pattern in Ansible's language (--limit):
// terms separated by ',' (or ':' when there is no ','), each a host or group
// name, "all" or "*", a glob (web*, db?.corp, sql[0-9]), a regular expression
// after '~', or "@FILE" (one pattern per line, such as a retry file); a term
// prefixed '&' intersects, '!' excludes. As in Ansible, unions are applied
// first, then intersections, then exclusions, whatever their order.
type Pattern struct {
	src   string
	terms []term
}

type term struct {
	op    byte // 0, '&' or '!'
	text  string
	pos   int
	file  string // for @file terms: the file to read
	exact string // the name without a subscript
	// re matches names; nil for a name without * ? [, which matches
	// itself only (see matches): an @file of a thousand host names
	// compiles no regexp.
	re   *regexp.Regexp
	glob bool // may match hosts even when it matches groups
	sub  *subscript
	// from says where a term read from an @file came from
	fromFile string
	fromLine int
}

type subscript struct {
	start, end int
	single     bool
}

var (
	reTermSplit = regexp.MustCompile(`(?:[^\s:\[\]]|\[[^\]]*\])+`)
	reSubscript = regexp.MustCompile(`^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$`)
)

// String returns the pattern as given.
func (p Pattern) String() string { return p.src }

// ParsePattern parses a host pattern. Errors are *PatternError values
// carrying the offset of the bad term.
func ParsePattern(s string) (Pattern, error) {
	p := Pattern{src: s}
	type piece struct {
		text string
		pos  int
	}
	var pieces []piece
	switch {
	case strings.Contains(s, ","):
		off := 0
		for _, part := range strings.Split(s, ",") {
			trim := strings.TrimSpace(part)
			if trim != "" {
				pieces = append(pieces, piece{trim, off + strings.Index(part, trim)})
			}
			off += len(part) + 1
		}
	default:
		if _, _, ok := parseAddress(s); ok {
			pieces = []piece{{s, 0}}
			break
		}
		end := 0
		for _, loc := range reTermSplit.FindAllStringIndex(s, -1) {
			if err := onlySeparators(s, end, loc[0]); err != nil {
				return p, err
			}
			pieces = append(pieces, piece{s[loc[0]:loc[1]], loc[0]})
			end = loc[1]
		}
		if err := onlySeparators(s, end, len(s)); err != nil {
			return p, err
		}
	}
	if len(pieces) == 0 {
		return p, &PatternError{Pattern: s, Pos: 0, Msg: "empty pattern"}
	}
	for _, pc := range pieces {
		t, err := parseTerm(pc.text, pc.pos)
		if err != nil {
			err.Pattern = s
			return p, err
		}
		p.terms = append(p.terms, t)
	}
	return p, nil
}

// onlySeparators checks that s[from:to], between two terms, holds only the
// separators ':' and blanks: anything else (an unclosed '[', a stray ']')
// would otherwise be dropped and the pattern silently widened.
func onlySeparators(s string, from, to int) *PatternError {
	for i := from; i < to; i++ {
		switch s[i] {
		case ':', ' ', '\t', '\r', '\n':
		case '[':
			return &PatternError{Pattern: s, Pos: i, Msg: "unclosed '['"}
		default:
			return &PatternError{Pattern: s, Pos: i, Msg: fmt.Sprintf("unexpected %q", s[i])}
		}
	}
	return nil
}

func parseTerm(text string, at int) (term, *PatternError) {
	t := term{text: text, pos: at}
	body := text
	if body[0] == '&' || body[0] == '!' {
		t.op, body = body[0], body[1:]
		at++
	}
	if body == "" {
		return t, &PatternError{Pos: at, Msg: "empty term after " + string(t.op)}
	}
	if body[0] == '@' {
		if t.op != 0 {
			return t, &PatternError{Pos: at, Msg: "an @file term cannot be prefixed with & or !"}
		}
		if body[1:] == "" {
			return t, &PatternError{Pos: at, Msg: "@ needs a file name"}
		}
		t.file = body[1:]
		return t, nil
	}
	if body[0] == '~' {
		if body[1:] == "" {
			return t, &PatternError{Pos: at, Msg: "empty regular expression after ~"}
		}
		re, err := regexp.Compile(`^(?:` + body[1:] + `)`)
		if err != nil {
			return t, &PatternError{Pos: at, Msg: "invalid regular expression: " + err.Error()}
		}
		t.re, t.glob = re, true
		return t, nil
	}
	if m := reSubscript.FindStringSubmatch(body); m != nil {
		body = m[1]
		sub := &subscript{}
		var err error
		if m[2] != "" {
			sub.single = true
			sub.start, err = strconv.Atoi(m[2])
		} else {
			sub.start, err = strconv.Atoi(m[3])
			sub.end = -1
			if m[5] != "" && err == nil {
				sub.end, err = strconv.Atoi(m[5])
			}
			if m[4] == "-" {
				return t, &PatternError{Pos: at + len(body), Msg: "use [x:y] inclusive subscripts instead of [x-y]"}
			}
		}
		if err != nil {
			return t, &PatternError{Pos: at + len(body), Msg: "invalid subscript"}
		}
		t.sub = sub
	}
	t.exact = body
	t.glob = strings.ContainsAny(body, ".?*[")
	if !strings.ContainsAny(body, "?*[") {
		return t, nil
	}
	re, err := globRegexp(body)
	if err != nil {
		return t, &PatternError{Pos: at, Msg: err.Error()}
	}
	t.re = re
	return t, nil
}

// globRegexp is Python's fnmatch.translate: * any run, ? one character,
// [seq] and [!seq] classes; a '[' without a closing ']' is literal.
func globRegexp(g string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString(`^(?s:`)
	for i := 0; i < len(g); {
		c := g[i]
		switch c {
		case '*':
			b.WriteString(`.*`)
			i++
		case '?':
			b.WriteString(`.`)
			i++
		case '[':
			j := i + 1
			if j < len(g) && g[j] == '!' {
				j++
			}
			if j < len(g) && g[j] == ']' {
				j++
			}
			for j < len(g) && g[j] != ']' {
				j++
			}
			if j >= len(g) {
				b.WriteString(`\[`)
				i++
				continue
			}
			stuff := g[i+1 : j]
			i = j + 1
			neg := strings.HasPrefix(stuff, "!")
			if neg {
				stuff = stuff[1:]
			}
			var cls strings.Builder
			for _, r := range stuff {
				if r == '\\' || r == '[' || r == ']' || r == '^' {
					cls.WriteByte('\\')
				}
				cls.WriteRune(r)
			}
			if cls.Len() == 0 {
				if neg {
					b.WriteString(`.`)
				} else {
					b.WriteString(`[^\x00-\x{10FFFF}]`)
				}
				continue
			}
			b.WriteByte('[')
			if neg {
				b.WriteByte('^')
			}
			b.WriteString(cls.String())
			b.WriteByte(']')
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
			i++
		}
	}
	b.WriteString(`)$`)
	return regexp.Compile(b.String())
}

// Select returns the hosts matching pattern, in inventory order.
// readFile reads @file terms (pass os.ReadFile); it may be nil if the
// pattern has none. If no host matches, the error is a *NoMatchError, for
// which errors.Is(err, ErrNoHostMatched) holds.
func (inv *Inventory) Select(pattern string, readFile func(string) ([]byte, error)) ([]*Host, error) {
	p, err := ParsePattern(pattern)
	if err != nil {
		return nil, err
	}
	return inv.SelectPattern(p, readFile)
}

// SelectPattern is Select with a parsed pattern.
func (inv *Inventory) SelectPattern(p Pattern, readFile func(string) ([]byte, error)) ([]*Host, error) {
	var terms []term
	for _, t := range p.terms {
		if t.file == "" {
			terms = append(terms, t)
			continue
		}
		if readFile == nil {
			return nil, &PatternError{Pattern: p.src, Pos: t.pos, Msg: "@file terms are not allowed here"}
		}
		data, err := readFile(t.file)
		if err != nil {
			return nil, &PatternError{Pattern: p.src, Pos: t.pos, Msg: "read limit file: " + err.Error()}
		}
		for i, line := range bytes.Split(data, []byte("\n")) {
			s := strings.TrimSpace(string(line))
			if s == "" {
				continue
			}
			ft, perr := parseTerm(s, 0)
			if perr == nil && ft.file != "" {
				perr = &PatternError{Msg: "an @file cannot include another @file"}
			}
			if perr != nil {
				perr.Pattern, perr.File, perr.Line = s, t.file, i+1
				return nil, perr
			}
			ft.fromFile, ft.fromLine = t.file, i+1
			terms = append(terms, ft)
		}
	}
	var regular, inter, excl []term
	for _, t := range terms {
		switch t.op {
		case '&':
			inter = append(inter, t)
		case '!':
			excl = append(excl, t)
		default:
			regular = append(regular, t)
		}
	}
	sel := make([]bool, len(inv.hosts))
	if len(regular) == 0 {
		for i := range sel {
			sel[i] = true
		}
	}
	for _, t := range regular {
		for _, h := range inv.matchTerm(t) {
			sel[h.Index] = true
		}
	}
	for _, t := range inter {
		in := make([]bool, len(inv.hosts))
		for _, h := range inv.matchTerm(t) {
			in[h.Index] = true
		}
		for i := range sel {
			sel[i] = sel[i] && in[i]
		}
	}
	for _, t := range excl {
		for _, h := range inv.matchTerm(t) {
			sel[h.Index] = false
		}
	}
	var out []*Host
	for i, ok := range sel {
		if ok {
			out = append(out, inv.hosts[i])
		}
	}
	if len(out) == 0 {
		return nil, &NoMatchError{Pattern: p.src}
	}
	return out, nil
}

// matchTerm is Ansible's _match_one_pattern: an exact host name; else the
// groups the term matches, plus the hosts it matches when no group matched
// or the term is a glob or regex; then the subscript.
func (inv *Inventory) matchTerm(t term) []*Host {
	if t.sub == nil && t.op == 0 {
		if h := inv.hostIdx[t.text]; h != nil {
			return []*Host{h}
		}
	}
	seen := make(map[*Host]bool)
	var out []*Host
	add := func(h *Host) {
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	matchedGroup := false
	for _, g := range inv.groups {
		if t.matches(g.Name) {
			matchedGroup = true
			for _, h := range g.allHosts() {
				add(h)
			}
		}
	}
	if !matchedGroup || t.glob {
		if !t.glob {
			if h := inv.hostIdx[t.exact]; h != nil {
				add(h)
			}
		} else {
			for _, h := range inv.hosts {
				if t.matches(h.Name) {
					add(h)
				}
			}
		}
	}
	sortHosts(out)
	if t.sub != nil {
		out = applySubscript(out, t.sub)
	}
	return out
}

// matches reports whether a group or host name matches the term.
func (t term) matches(name string) bool {
	if t.re == nil {
		return name == t.exact
	}
	return t.re.MatchString(name)
}

func applySubscript(hs []*Host, s *subscript) []*Host {
	n := len(hs)
	if s.single {
		i := s.start
		if i < 0 {
			i += n
		}
		if i < 0 || i >= n {
			return nil
		}
		return hs[i : i+1]
	}
	end := s.end
	if end == -1 {
		end = n - 1
	}
	if s.start >= n || end < s.start {
		return nil
	}
	return hs[s.start:min(end+1, n)]
}
