package inventory

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// iniValue converts the text of an INI variable the way Ansible's INI plugin
// does (ast.literal_eval, falling back to the text itself): 5986 is an int,
// 1.5 a float, True/False booleans, None null, [..] (..) a list, {..} a map,
// quoted text a string; anything that is not a Python literal stays a
// string. Integers beyond int64 and infinite floats stay strings (JSON cannot
// carry them), and complex numbers are not recognised.
func iniValue(s string) any {
	p := pyParser{s: strings.TrimLeft(s, " \t")}
	v, ok := p.value()
	if !ok {
		return s
	}
	p.skipSpace()
	if p.i < len(p.s) && p.s[p.i] == '#' {
		p.i = len(p.s)
	}
	if p.i != len(p.s) {
		return s
	}
	return v
}

type pyParser struct {
	s string
	i int
}

func (p *pyParser) skipSpace() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r', '\f', '\v':
			p.i++
		case '\\':
			// explicit line joining
			if p.i+1 < len(p.s) && p.s[p.i+1] == '\n' {
				p.i += 2
				continue
			}
			return
		default:
			return
		}
	}
}

func (p *pyParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

// value parses one literal: a signed number, strings, a constant, or a
// container.
func (p *pyParser) value() (any, bool) {
	p.skipSpace()
	c := p.peek()
	switch {
	case c == '+' || c == '-':
		p.i++
		p.skipSpace()
		v, ok := p.number()
		if !ok {
			return nil, false
		}
		if c == '-' {
			switch n := v.(type) {
			case int:
				if n == math.MinInt {
					return nil, false
				}
				return -n, true
			case float64:
				return -n, true
			}
		}
		return v, true
	case c >= '0' && c <= '9' || c == '.' && p.i+1 < len(p.s) && p.s[p.i+1] >= '0' && p.s[p.i+1] <= '9':
		return p.number()
	case c == '\'' || c == '"':
		return p.strings()
	case c == '[':
		p.i++
		l, ok := p.seq(']')
		return l, ok
	case c == '(':
		p.i++
		start := p.i
		p.skipSpace()
		if p.peek() == ')' {
			p.i++
			return []any{}, true
		}
		p.i = start
		v, ok := p.value()
		if !ok {
			return nil, false
		}
		p.skipSpace()
		switch p.peek() {
		case ')':
			p.i++
			return v, true // parenthesised expression, not a tuple
		case ',':
			p.i++
			rest, ok := p.seq(')')
			if !ok {
				return nil, false
			}
			return append([]any{v}, rest...), true
		}
		return nil, false
	case c == '{':
		p.i++
		return p.dictOrSet()
	}
	// identifiers: only True, False and None are literals; string prefixes
	// (r, u, b, rb, br) start strings.
	j := p.i
	for j < len(p.s) && (isIdentByte(p.s[j])) {
		j++
	}
	word := p.s[p.i:j]
	switch word {
	case "True":
		p.i = j
		return true, true
	case "False":
		p.i = j
		return false, true
	case "None":
		p.i = j
		return nil, true
	}
	if j < len(p.s) && (p.s[j] == '\'' || p.s[j] == '"') {
		switch strings.ToLower(word) {
		case "r", "u", "b", "rb", "br":
			return p.strings()
		}
	}
	return nil, false
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// seq parses comma-separated values up to close (the opening bracket is
// consumed); a trailing comma is allowed.
func (p *pyParser) seq(close byte) ([]any, bool) {
	out := []any{}
	for {
		p.skipSpace()
		if p.peek() == close {
			p.i++
			return out, true
		}
		v, ok := p.value()
		if !ok {
			return nil, false
		}
		out = append(out, v)
		p.skipSpace()
		switch p.peek() {
		case ',':
			p.i++
		case close:
			p.i++
			return out, true
		default:
			return nil, false
		}
	}
}

func (p *pyParser) dictOrSet() (any, bool) {
	p.skipSpace()
	if p.peek() == '}' {
		p.i++
		return map[string]any{}, true
	}
	first, ok := p.value()
	if !ok {
		return nil, false
	}
	p.skipSpace()
	if p.peek() != ':' {
		// a set: Ansible cannot serialise it; a list is the closest value
		p.skipSpace()
		switch p.peek() {
		case '}':
			p.i++
			return []any{first}, true
		case ',':
			p.i++
			rest, ok := p.seq('}')
			if !ok {
				return nil, false
			}
			return append([]any{first}, rest...), true
		}
		return nil, false
	}
	m := map[string]any{}
	key := first
	for {
		// at ':'
		p.i++
		k, ok := pyKey(key)
		if !ok {
			return nil, false
		}
		v, ok := p.value()
		if !ok {
			return nil, false
		}
		m[k] = v
		p.skipSpace()
		switch p.peek() {
		case '}':
			p.i++
			return m, true
		case ',':
			p.i++
		default:
			return nil, false
		}
		p.skipSpace()
		if p.peek() == '}' {
			p.i++
			return m, true
		}
		if key, ok = p.value(); !ok {
			return nil, false
		}
		p.skipSpace()
		if p.peek() != ':' {
			return nil, false
		}
	}
}

// pyKey renders a hashable Python key as JSON does.
func pyKey(k any) (string, bool) {
	switch k := k.(type) {
	case string:
		return k, true
	case int:
		return strconv.Itoa(k), true
	case float64:
		return strconv.FormatFloat(k, 'g', -1, 64), true
	case bool:
		return strconv.FormatBool(k), true
	case nil:
		return "null", true
	}
	return "", false
}

func (p *pyParser) number() (any, bool) {
	s := p.s[p.i:]
	j := 0
	for j < len(s) && (isIdentByte(s[j]) || s[j] == '.' ||
		(s[j] == '+' || s[j] == '-') && j > 0 && (s[j-1] == 'e' || s[j-1] == 'E') && !isPrefixedInt(s[:j])) {
		j++
	}
	tok := s[:j]
	if tok == "" {
		return nil, false
	}
	p.i += j
	if !validUnderscores(tok) {
		return nil, false
	}
	clean := strings.ReplaceAll(tok, "_", "")
	if isPrefixedInt(tok) {
		base := 16
		switch clean[1] {
		case 'o', 'O':
			base = 8
		case 'b', 'B':
			base = 2
		}
		n, err := strconv.ParseInt(clean[2:], base, 64)
		if err != nil || clean[2:] == "" {
			return nil, false
		}
		return int(n), true
	}
	if strings.ContainsAny(clean, ".eE") {
		for _, r := range clean {
			if !(r >= '0' && r <= '9' || r == '.' || r == 'e' || r == 'E' || r == '+' || r == '-') {
				return nil, false
			}
		}
		f, err := strconv.ParseFloat(clean, 64)
		if err != nil || math.IsInf(f, 0) {
			return nil, false
		}
		return f, true
	}
	for _, r := range clean {
		if r < '0' || r > '9' {
			return nil, false
		}
	}
	if len(clean) > 1 && clean[0] == '0' && strings.Trim(clean, "0") != "" {
		return nil, false // 010 is a syntax error in Python 3
	}
	n, err := strconv.ParseInt(clean, 10, 64)
	if err != nil {
		return nil, false
	}
	return int(n), true
}

func isPrefixedInt(s string) bool {
	return len(s) >= 2 && s[0] == '0' && strings.ContainsRune("xXoObB", rune(s[1]))
}

// validUnderscores checks Python's rule: an underscore only between digits
// (or right after a base prefix).
func validUnderscores(tok string) bool {
	for k := 0; k < len(tok); k++ {
		if tok[k] != '_' {
			continue
		}
		if k == 0 || k == len(tok)-1 || tok[k+1] == '_' {
			return false
		}
		prev := tok[k-1]
		if !(isHexDigit(prev) || (k == 2 && isPrefixedInt(tok))) || !isHexDigit(tok[k+1]) {
			return false
		}
	}
	return true
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// strings parses one or more adjacent string literals and concatenates them.
func (p *pyParser) strings() (any, bool) {
	var b strings.Builder
	n := 0
	for {
		p.skipSpace()
		start := p.i
		raw := false
		for p.i < len(p.s) && strings.ContainsRune("rRuUbB", rune(p.s[p.i])) && p.i-start < 2 {
			if p.s[p.i] == 'r' || p.s[p.i] == 'R' {
				raw = true
			}
			p.i++
		}
		if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
			p.i = start
			break
		}
		s, ok := p.quoted(raw)
		if !ok {
			return nil, false
		}
		b.WriteString(s)
		n++
	}
	return b.String(), n > 0
}

func (p *pyParser) quoted(raw bool) (string, bool) {
	q := p.s[p.i]
	if strings.HasPrefix(p.s[p.i:], string([]byte{q, q, q})) {
		return "", false // triple-quoted strings are not supported
	}
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == q:
			p.i++
			return b.String(), true
		case c == '\n':
			return "", false
		case c == '\\' && p.i+1 < len(p.s):
			if raw {
				b.WriteByte(c)
				b.WriteByte(p.s[p.i+1])
				p.i += 2
				continue
			}
			if !p.escape(&b) {
				return "", false
			}
		default:
			_, size := utf8.DecodeRuneInString(p.s[p.i:])
			b.WriteString(p.s[p.i : p.i+size])
			p.i += size
		}
	}
	return "", false
}

func (p *pyParser) escape(b *strings.Builder) bool {
	e := p.s[p.i+1]
	p.i += 2
	simple := map[byte]string{'\\': "\\", '\'': "'", '"': "\"", 'n': "\n", 't': "\t", 'r': "\r",
		'a': "\a", 'b': "\b", 'f': "\f", 'v': "\v", '\n': ""}
	if s, ok := simple[e]; ok {
		b.WriteString(s)
		return true
	}
	hex := func(n int) bool {
		if p.i+n > len(p.s) {
			return false
		}
		v, err := strconv.ParseUint(p.s[p.i:p.i+n], 16, 32)
		if err != nil || v > utf8.MaxRune {
			return false
		}
		b.WriteRune(rune(v))
		p.i += n
		return true
	}
	switch e {
	case 'x':
		return hex(2)
	case 'u':
		return hex(4)
	case 'U':
		return hex(8)
	case '0', '1', '2', '3', '4', '5', '6', '7':
		v := int(e - '0')
		for k := 0; k < 2 && p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '7'; k++ {
			v = v*8 + int(p.s[p.i]-'0')
			p.i++
		}
		b.WriteRune(rune(v))
		return true
	case 'N':
		return false
	}
	b.WriteByte('\\')
	b.WriteByte(e)
	return true
}
