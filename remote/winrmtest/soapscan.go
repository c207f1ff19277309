package winrmtest

import (
	"bytes"
	"encoding/xml"
	"errors"
	"unicode/utf8"
)

// The fast path of parseEnvelope: a byte scanner over the request body for
// the XML that WinRM clients send (masterzen/winrm, pywinrm, remote): an
// optional XML declaration, elements with prefixes and xmlns declarations,
// attributes in ' or ", character data with the five predefined entities
// and character references, CDATA sections, whitespace. It reads the same
// envelope as encoding/xml (readEnvelope drives both) at a fraction of the
// cost: no token interface values, no name or attribute strings, no
// namespace maps.
//
// It never decides that a request is malformed: on anything outside its
// subset or doubtful (comments, processing instructions, DOCTYPE, non-ASCII
// names, unbound or reserved prefixes, duplicate attributes, references to
// characters XML does not allow, text outside the root, an end tag that
// does not match, end of input inside the root, ...) it gives up and
// encoding/xml reads the request and decides. So when it returns an
// envelope, the document is well-formed (namespace-well-formed too) and
// encoding/xml reads it to the same envelope: FuzzScanEnvelope checks both.

// The scanner's work per element grows with the attributes of the element
// (the duplicate check) and the declarations in scope (prefix lookups):
// more than this and encoding/xml, linear in both, reads the request.
const (
	maxScanAttrs    = 32
	maxScanBindings = 64
)

// errFallback is what the scanner returns on anything outside its subset.
var errFallback = errors.New("winrmtest: request outside the XML scanner's subset")

// scanEnvelope reads b with the scanner; ok is false when encoding/xml must
// read it instead.
func scanEnvelope(b []byte) (env *envelope, ok bool) {
	s := &scanner{b: b}
	s.open, s.ns, s.attrs = s.openBuf[:0], s.nsBuf[:0], s.attrBuf[:0]
	if !s.prolog() {
		return nil, false
	}
	env, err := readEnvelope(s)
	if err != nil || !s.epilog() {
		return nil, false
	}
	return env, true
}

// A scanner is a tokenReader over a byte slice (see above).
type scanner struct {
	b    []byte
	i    int // next byte to read
	open []openElem
	ns   []nsBinding // in scope, innermost last
	// pendingEnd: the last start tag was <x/>, its end is the next token.
	pendingEnd bool
	root       bool // the root element was read

	// The start element just read: its namespace (nil: none) and local
	// name, its attributes; the character data just read.
	space, local []byte
	attrs        []scanAttr
	cd           []byte
	buf          []byte // decoded character data, reused

	// Room for a request's usual depth, declarations and attributes.
	openBuf [8]openElem
	nsBuf   [12]nsBinding
	attrBuf [4]scanAttr
}

type openElem struct {
	name []byte // as written in the start tag, prefix included
	ns   int    // len(scanner.ns) before its declarations
}

type nsBinding struct {
	prefix []byte // empty: the default namespace
	uri    []byte // empty for xmlns="": no namespace
}

type scanAttr struct {
	prefix, local, val []byte // val decoded
}

const (
	xmlNamespace   = "http://www.w3.org/XML/1998/namespace"
	xmlnsNamespace = "http://www.w3.org/2000/xmlns/"
)

// prolog reads an optional XML declaration and whitespace, up to the root's
// start tag.
func (s *scanner) prolog() bool {
	i := 0
	if bytes.HasPrefix(s.b, []byte("<?xml")) {
		var ok bool
		if i, ok = xmlDecl(s.b); !ok {
			return false
		}
	}
	i = skipSpace(s.b, i)
	if i+1 >= len(s.b) || s.b[i] != '<' || !isNameStart(s.b[i+1]) {
		return false
	}
	s.i = i
	return true
}

// epilog reports whether only whitespace follows the root element.
func (s *scanner) epilog() bool {
	return s.root && len(s.open) == 0 && !s.pendingEnd && skipSpace(s.b, s.i) == len(s.b)
}

// xmlDecl reads `<?xml version="1.0" encoding="utf-8" standalone="yes"?>`
// (encoding and standalone optional, in that order, either quote, no
// space around =) at the start of b and returns the offset after it. A
// stricter grammar than XML's, so that encoding/xml's reading of the
// declaration (only version 1.0, only UTF-8) sees the same values.
func xmlDecl(b []byte) (int, bool) {
	i, ok := pseudoAttr(b, len("<?xml"), "version", "1.0", false)
	if !ok {
		return 0, false
	}
	if j, ok := pseudoAttr(b, i, "encoding", "utf-8", true); ok {
		i = j
	}
	if j, ok := pseudoAttr(b, i, "standalone", "yes", false); ok {
		i = j
	} else if j, ok := pseudoAttr(b, i, "standalone", "no", false); ok {
		i = j
	}
	i = skipSpace(b, i)
	if !bytes.HasPrefix(b[i:], []byte("?>")) {
		return 0, false
	}
	return i + 2, true
}

// pseudoAttr reads whitespace, name="value" or name='value' (value matched
// ASCII case-insensitively if fold) at b[i:] and returns the offset after
// it.
func pseudoAttr(b []byte, i int, name, value string, fold bool) (int, bool) {
	j := skipSpace(b, i)
	if j == i || !bytes.HasPrefix(b[j:], []byte(name)) {
		return 0, false
	}
	j += len(name)
	if j+len(value)+3 > len(b) || b[j] != '=' || b[j+1] != '"' && b[j+1] != '\'' {
		return 0, false
	}
	q := b[j+1]
	j += 2
	v := b[j : j+len(value)]
	if !(fold && bytes.EqualFold(v, []byte(value)) || string(v) == value) || b[j+len(value)] != q {
		return 0, false
	}
	return j + len(value) + 1, true
}

func (s *scanner) next() (tokKind, error) {
	if s.pendingEnd {
		s.pendingEnd = false
		s.pop()
		return tokEnd, nil
	}
	b, i := s.b, s.i
	if i+1 >= len(b) || s.root && len(s.open) == 0 {
		return tokOther, errFallback
	}
	if b[i] != '<' {
		j := bytes.IndexByte(b[i:], '<')
		if j < 0 || len(s.open) == 0 {
			return tokOther, errFallback
		}
		raw := b[i : i+j]
		cd, ok := decodeText(s.buf[:0], raw, inText)
		if !ok {
			return tokOther, errFallback
		}
		s.keep(cd, raw)
		s.i = i + j
		return tokText, nil
	}
	switch b[i+1] {
	case '/':
		return s.endTag()
	case '!':
		const open, end = "<![CDATA[", "]]>"
		if len(s.open) == 0 || !bytes.HasPrefix(b[i:], []byte(open)) {
			return tokOther, errFallback
		}
		j := bytes.Index(b[i+len(open):], []byte(end))
		if j < 0 {
			return tokOther, errFallback
		}
		raw := b[i+len(open) : i+len(open)+j]
		cd, ok := decodeText(s.buf[:0], raw, inCDATA)
		if !ok {
			return tokOther, errFallback
		}
		s.keep(cd, raw)
		s.i = i + len(open) + j + len(end)
		return tokText, nil
	case '?':
		return tokOther, errFallback
	}
	return s.startTag()
}

// keep makes cd, read from raw, the character data just read. When cd was
// decoded, its buffer is kept for the next one.
func (s *scanner) keep(cd, raw []byte) {
	s.cd = cd
	if len(cd) > 0 && &cd[0] != &raw[0] {
		s.buf = cd[:0]
	}
}

func (s *scanner) startTag() (tokKind, error) {
	b := s.b
	nameStart := s.i + 1
	prefix, local, i, ok := qname(b, nameStart)
	if !ok {
		return tokOther, errFallback
	}
	name := b[nameStart:i]
	s.attrs = s.attrs[:0]
	nsBefore := len(s.ns)
	empty := false
attrs:
	for {
		j := skipSpace(b, i)
		if j >= len(b) {
			return tokOther, errFallback
		}
		switch b[j] {
		case '>':
			i = j + 1
			break attrs
		case '/':
			if j+1 < len(b) && b[j+1] == '>' {
				i, empty = j+2, true
				break attrs
			}
			return tokOther, errFallback
		}
		if j == i { // attributes are separated by whitespace
			return tokOther, errFallback
		}
		ap, al, k, ok := qname(b, j)
		if !ok {
			return tokOther, errFallback
		}
		k = skipSpace(b, k)
		if k >= len(b) || b[k] != '=' {
			return tokOther, errFallback
		}
		k = skipSpace(b, k+1)
		if k >= len(b) || b[k] != '"' && b[k] != '\'' {
			return tokOther, errFallback
		}
		end := bytes.IndexByte(b[k+1:], b[k])
		if end < 0 {
			return tokOther, errFallback
		}
		v, ok := decodeText(nil, b[k+1:k+1+end], inAttr)
		if !ok {
			return tokOther, errFallback
		}
		if len(s.attrs) == maxScanAttrs {
			return tokOther, errFallback
		}
		s.attrs = append(s.attrs, scanAttr{prefix: ap, local: al, val: v})
		i = k + 1 + end + 1
	}
	// Declarations first: they apply to the element's own name and
	// attributes.
	for _, a := range s.attrs {
		switch {
		case len(a.prefix) == 0 && string(a.local) == "xmlns":
			if reservedNS(a.val) {
				return tokOther, errFallback
			}
			s.ns = append(s.ns, nsBinding{uri: a.val})
		case string(a.prefix) == "xmlns":
			if string(a.local) == "xml" || string(a.local) == "xmlns" || len(a.val) == 0 || reservedNS(a.val) {
				return tokOther, errFallback
			}
			s.ns = append(s.ns, nsBinding{prefix: a.local, uri: a.val})
		}
	}
	if len(s.ns) > maxScanBindings {
		return tokOther, errFallback
	}
	// Element name: a bound prefix or the default namespace; "xml" and
	// "xmlns" are left to encoding/xml.
	if string(prefix) == "xml" || string(prefix) == "xmlns" || len(prefix) == 0 && string(local) == "xmlns" {
		return tokOther, errFallback
	}
	space, ok := s.lookup(prefix)
	if !ok {
		return tokOther, errFallback
	}
	// Attribute names: prefixes bound, no two with the same expanded name.
	for j, a := range s.attrs {
		kind, uri := s.attrSpace(a.prefix)
		if kind == attrUnbound {
			return tokOther, errFallback
		}
		for _, o := range s.attrs[:j] {
			if bytes.Equal(o.local, a.local) {
				if ok, ou := s.attrSpace(o.prefix); ok == kind && bytes.Equal(ou, uri) {
					return tokOther, errFallback
				}
			}
		}
	}
	s.open = append(s.open, openElem{name: name, ns: nsBefore})
	s.root = true
	s.space, s.local = space, local
	s.i = i
	s.pendingEnd = empty
	return tokStart, nil
}

func (s *scanner) endTag() (tokKind, error) {
	b := s.b
	start := s.i + 2
	_, _, i, ok := qname(b, start)
	if !ok || len(s.open) == 0 || !bytes.Equal(b[start:i], s.open[len(s.open)-1].name) {
		return tokOther, errFallback
	}
	i = skipSpace(b, i)
	if i >= len(b) || b[i] != '>' {
		return tokOther, errFallback
	}
	s.i = i + 1
	s.pop()
	return tokEnd, nil
}

// pop closes the innermost open element and its declarations.
func (s *scanner) pop() {
	top := s.open[len(s.open)-1]
	s.open = s.open[:len(s.open)-1]
	s.ns = s.ns[:top.ns]
}

// lookup returns the namespace of an element prefix ("" = the default).
func (s *scanner) lookup(prefix []byte) ([]byte, bool) {
	for j := len(s.ns) - 1; j >= 0; j-- {
		if bytes.Equal(s.ns[j].prefix, prefix) {
			return s.ns[j].uri, true
		}
	}
	return nil, len(prefix) == 0
}

// The namespace of an attribute, by prefix.
const (
	attrUnbound = iota
	attrNone    // no prefix
	attrXML     // xml:
	attrXMLNS   // xmlns:
	attrBound   // a declared prefix (its URI is neither of the above)
)

// attrSpace returns the namespace of an attribute prefix: its kind, and its
// URI for attrBound.
func (s *scanner) attrSpace(prefix []byte) (int, []byte) {
	switch string(prefix) {
	case "":
		return attrNone, nil
	case "xml":
		return attrXML, nil
	case "xmlns":
		return attrXMLNS, nil
	}
	if uri, ok := s.lookup(prefix); ok {
		return attrBound, uri
	}
	return attrUnbound, nil
}

// reservedNS: binding these is a namespace error.
func reservedNS(uri []byte) bool {
	return string(uri) == xmlNamespace || string(uri) == xmlnsNamespace
}

func (s *scanner) is(space, local string) bool {
	return string(s.local) == local && string(s.space) == space
}

func (s *scanner) name() xml.Name {
	return xml.Name{Space: string(s.space), Local: string(s.local)}
}

func (s *scanner) attr(local string, dst *string) {
	for _, a := range s.attrs {
		if string(a.local) == local {
			*dst = string(a.val)
		}
	}
}

func (s *scanner) chars() []byte { return s.cd }

func (s *scanner) skip() error {
	for depth := 1; ; {
		k, err := s.next()
		if err != nil {
			return err
		}
		switch k {
		case tokStart:
			depth++
		case tokEnd:
			if depth--; depth == 0 {
				return nil
			}
		}
	}
}

// qname reads an ASCII name, prefix:local or local, at b[i:] and returns
// the offset after it. A name that goes on with ':' or a non-ASCII byte is
// left to encoding/xml.
func qname(b []byte, i int) (prefix, local []byte, end int, ok bool) {
	start := i
	if i >= len(b) || !isNameStart(b[i]) {
		return nil, nil, 0, false
	}
	for i++; i < len(b) && isNameChar(b[i]); i++ {
	}
	if i < len(b) && b[i] == ':' {
		prefix = b[start:i]
		i++
		start = i
		if i >= len(b) || !isNameStart(b[i]) {
			return nil, nil, 0, false
		}
		for i++; i < len(b) && isNameChar(b[i]); i++ {
		}
	}
	if i >= len(b) || b[i] == ':' || b[i] >= utf8.RuneSelf {
		return nil, nil, 0, false
	}
	return prefix, b[start:i], i, true
}

func isNameStart(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
}

func isNameChar(c byte) bool {
	return isNameStart(c) || '0' <= c && c <= '9' || c == '.' || c == '-'
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// Where decodeText's input comes from.
const (
	inText  = iota // character data: references, no "]]>"
	inAttr         // attribute value: references, no '<'
	inCDATA        // CDATA section: no references
)

// decodeText checks raw (valid UTF-8, only characters XML allows, only the
// five predefined entities and references to allowed characters) and
// returns its value: raw itself when nothing needs decoding, else the value
// appended to dst. CR LF and a lone CR read as LF, as in encoding/xml.
func decodeText(dst, raw []byte, from int) ([]byte, bool) {
	plain := true
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && n == 1 || !isXMLChar(r) {
				return nil, false
			}
			i += n
			continue
		case c == '\r', c == '&' && from != inCDATA:
			plain = false
		case c < 0x20 && c != '\t' && c != '\n',
			c == '<' && from == inAttr,
			c == '>' && from == inText && i >= 2 && raw[i-1] == ']' && raw[i-2] == ']':
			return nil, false
		}
		i++
	}
	if plain {
		return raw, true
	}
	for i := 0; i < len(raw); {
		switch c := raw[i]; {
		case c == '\r':
			dst = append(dst, '\n')
			if i++; i < len(raw) && raw[i] == '\n' {
				i++
			}
		case c == '&' && from != inCDATA:
			r, n, ok := charRef(raw[i:])
			if !ok {
				return nil, false
			}
			dst = utf8.AppendRune(dst, r)
			i += n
		default:
			dst = append(dst, c)
			i++
		}
	}
	return dst, true
}

// charRef reads &lt; &gt; &amp; &apos; &quot; &#N; or &#xH; at the start
// of p (the rune must be an XML character) and returns it and its length.
func charRef(p []byte) (rune, int, bool) {
	end := bytes.IndexByte(p, ';')
	if end < 2 || end > 10 {
		return 0, 0, false
	}
	switch string(p[1:end]) {
	case "lt":
		return '<', end + 1, true
	case "gt":
		return '>', end + 1, true
	case "amp":
		return '&', end + 1, true
	case "apos":
		return '\'', end + 1, true
	case "quot":
		return '"', end + 1, true
	}
	if p[1] != '#' {
		return 0, 0, false
	}
	digits, base := p[2:end], rune(10)
	if len(digits) > 0 && digits[0] == 'x' {
		digits, base = digits[1:], 16
	}
	if len(digits) == 0 || len(digits) > 7 {
		return 0, 0, false
	}
	var r rune
	for _, c := range digits {
		var v rune
		switch {
		case '0' <= c && c <= '9':
			v = rune(c - '0')
		case base == 16 && 'a' <= c && c <= 'f':
			v = rune(c-'a') + 10
		case base == 16 && 'A' <= c && c <= 'F':
			v = rune(c-'A') + 10
		default:
			return 0, 0, false
		}
		r = r*base + v
	}
	if !isXMLChar(r) {
		return 0, 0, false
	}
	return r, end + 1, true
}

// isXMLChar: the Char production of XML 1.0.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}
