package remote

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// xmlScanner is a strict, non-allocating XML tokenizer for WinRM answers:
// the bytes of one answer are in memory already (at most maxAnswer), and the
// decoder needs only elements, their attributes and their text. It handles
// what SOAP senders produce (XML declaration, comments, processing
// instructions, CDATA sections, the five predefined entities and character
// references, namespace declarations) and refuses everything else: a DTD,
// mismatched or unclosed tags, duplicate attributes, unbound prefixes,
// undefined entities, text outside the root element, and anything beyond
// the bounds below. Names, attribute values and text are slices of the
// input, valid until the input changes.
type xmlScanner struct {
	b     []byte
	i     int
	depth int
	root  bool // the root element has been seen

	// current token
	kind      tokKind
	name      qname
	attrs     []xmlAttr // start tag; reused between tokens
	selfClose bool
	text      []byte // tokText: raw text (entities still escaped); tokCDATA: content
	escaped   bool   // tokText contains '&'

	open [maxXMLDepth]qname // names of the open elements
	ns   []nsBinding        // namespace declarations in scope
}

type tokKind uint8

const (
	tokEOF tokKind = iota
	tokStart
	tokEnd
	tokText
	tokCDATA
)

type qname struct{ prefix, local []byte }

type xmlAttr struct {
	name    qname
	value   []byte // raw: entities still escaped when escaped is set
	escaped bool
}

type nsBinding struct {
	prefix []byte // empty for the default namespace
	uri    []byte
	depth  int // depth of the element that declared it
}

// Bounds of what the scanner accepts. WinRM answers nest about 8 deep and
// carry a handful of attributes per element.
const (
	maxXMLDepth = 32
	maxXMLAttrs = 32
	maxXMLName  = 256
	maxNSDecls  = 64
)

var errXMLEnd = errors.New("xml: unexpected end of input")

func newXMLScanner(b []byte) *xmlScanner {
	s := &xmlScanner{}
	s.reset(b)
	return s
}

func (s *xmlScanner) reset(b []byte) {
	// A byte order mark may precede the document.
	b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
	s.b, s.i, s.depth, s.root, s.kind = b, 0, 0, false, tokEOF
	s.attrs = s.attrs[:0]
	s.ns = s.ns[:0]
}

func (s *xmlScanner) errorf(format string, args ...any) error {
	return fmt.Errorf("xml: offset %d: %s", s.i, fmt.Sprintf(format, args...))
}

// next reads the next token. At the end of a well-formed document it
// returns tokEOF; any error ends the scan.
func (s *xmlScanner) next() (tokKind, error) {
	if s.kind == tokEnd || (s.kind == tokStart && s.selfClose) {
		// Pop the element that just ended and its namespace declarations.
		for len(s.ns) > 0 && s.ns[len(s.ns)-1].depth == s.depth {
			s.ns = s.ns[:len(s.ns)-1]
		}
		s.depth--
	}
	for {
		if s.i >= len(s.b) {
			if s.depth > 0 || !s.root {
				return 0, errXMLEnd
			}
			s.kind = tokEOF
			return tokEOF, nil
		}
		if s.b[s.i] != '<' {
			j := bytes.IndexByte(s.b[s.i:], '<')
			if j < 0 {
				j = len(s.b) - s.i
			}
			text := s.b[s.i : s.i+j]
			s.i += j
			if s.depth == 0 {
				if len(bytes.TrimLeft(text, " \t\r\n")) != 0 {
					return 0, s.errorf("text outside the root element")
				}
				continue
			}
			s.kind, s.text, s.escaped = tokText, text, bytes.IndexByte(text, '&') >= 0
			return tokText, nil
		}
		rest := s.b[s.i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<?")):
			j := bytes.Index(rest, []byte("?>"))
			if j < 0 {
				return 0, errXMLEnd
			}
			s.i += j + 2
		case bytes.HasPrefix(rest, []byte("<!--")):
			j := bytes.Index(rest[4:], []byte("-->"))
			if j < 0 {
				return 0, errXMLEnd
			}
			s.i += 4 + j + 3
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			if s.depth == 0 {
				return 0, s.errorf("CDATA outside the root element")
			}
			j := bytes.Index(rest[9:], []byte("]]>"))
			if j < 0 {
				return 0, errXMLEnd
			}
			s.kind, s.text = tokCDATA, rest[9:9+j]
			s.i += 9 + j + 3
			return tokCDATA, nil
		case bytes.HasPrefix(rest, []byte("<!")):
			return 0, s.errorf("DTD or declaration not allowed")
		case bytes.HasPrefix(rest, []byte("</")):
			return s.endTag()
		default:
			return s.startTag()
		}
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func (s *xmlScanner) skipSpace() bool {
	start := s.i
	for s.i < len(s.b) && isSpace(s.b[s.i]) {
		s.i++
	}
	return s.i > start
}

// readName reads a qualified name (prefix:local or local) at s.i.
func (s *xmlScanner) readName() (qname, error) {
	start := s.i
	colon := -1
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c >= 0x80:
		case c >= '0' && c <= '9', c == '-', c == '.':
			if s.i == start || s.i == colon+1 {
				return qname{}, s.errorf("name starts with %q", c)
			}
		case c == ':':
			if colon >= 0 || s.i == start {
				return qname{}, s.errorf("malformed name")
			}
			colon = s.i
		default:
			goto done
		}
		s.i++
		if s.i-start > maxXMLName {
			return qname{}, s.errorf("name longer than %d bytes", maxXMLName)
		}
	}
done:
	if s.i == start || s.i == colon+1 {
		if s.i >= len(s.b) {
			return qname{}, errXMLEnd
		}
		return qname{}, s.errorf("expected a name, found %q", s.b[s.i])
	}
	if !utf8.Valid(s.b[start:s.i]) {
		return qname{}, s.errorf("name is not UTF-8")
	}
	if colon < 0 {
		return qname{local: s.b[start:s.i]}, nil
	}
	return qname{prefix: s.b[start:colon], local: s.b[colon+1 : s.i]}, nil
}

func (s *xmlScanner) startTag() (tokKind, error) {
	if s.depth == 0 && s.root {
		return 0, s.errorf("second root element")
	}
	s.i++ // '<'
	name, err := s.readName()
	if err != nil {
		return 0, err
	}
	if s.depth >= maxXMLDepth {
		return 0, s.errorf("elements nested deeper than %d", maxXMLDepth)
	}
	s.attrs = s.attrs[:0]
	s.selfClose = false
	for {
		sp := s.skipSpace()
		if s.i >= len(s.b) {
			return 0, errXMLEnd
		}
		if s.b[s.i] == '>' {
			s.i++
			break
		}
		if s.b[s.i] == '/' {
			if s.i+1 >= len(s.b) {
				return 0, errXMLEnd
			}
			if s.b[s.i+1] != '>' {
				return 0, s.errorf("expected '>' after '/'")
			}
			s.i += 2
			s.selfClose = true
			break
		}
		if !sp {
			return 0, s.errorf("expected space before an attribute")
		}
		an, err := s.readName()
		if err != nil {
			return 0, err
		}
		s.skipSpace()
		if s.i >= len(s.b) {
			return 0, errXMLEnd
		}
		if s.b[s.i] != '=' {
			return 0, s.errorf("attribute without '='")
		}
		s.i++
		s.skipSpace()
		if s.i >= len(s.b) {
			return 0, errXMLEnd
		}
		q := s.b[s.i]
		if q != '"' && q != '\'' {
			return 0, s.errorf("attribute value not quoted")
		}
		j := bytes.IndexByte(s.b[s.i+1:], q)
		if j < 0 {
			return 0, errXMLEnd
		}
		val := s.b[s.i+1 : s.i+1+j]
		if bytes.IndexByte(val, '<') >= 0 {
			return 0, s.errorf("'<' in an attribute value")
		}
		s.i += j + 2
		if len(s.attrs) >= maxXMLAttrs {
			return 0, s.errorf("more than %d attributes", maxXMLAttrs)
		}
		for _, a := range s.attrs {
			if bytes.Equal(a.name.prefix, an.prefix) && bytes.Equal(a.name.local, an.local) {
				return 0, s.errorf("duplicate attribute %s", an.local)
			}
		}
		s.attrs = append(s.attrs, xmlAttr{name: an, value: val, escaped: bytes.IndexByte(val, '&') >= 0})
	}
	s.depth++
	s.root = true
	s.open[s.depth-1] = name
	s.kind, s.name = tokStart, name
	// Namespace declarations apply to the element itself.
	for _, a := range s.attrs {
		var prefix []byte
		switch {
		case len(a.name.prefix) == 0 && string(a.name.local) == "xmlns":
		case string(a.name.prefix) == "xmlns":
			prefix = a.name.local
			if string(prefix) == "xmlns" || string(prefix) == "xml" {
				return 0, s.errorf("reserved prefix %s declared", prefix)
			}
		default:
			continue
		}
		uri := a.value
		if a.escaped || bytes.IndexByte(uri, '\r') >= 0 {
			var err error
			if uri, err = appendText(nil, uri, a.escaped); err != nil {
				return 0, s.errorf("namespace %s: %v", prefix, err)
			}
		}
		if len(s.ns) >= maxNSDecls {
			return 0, s.errorf("more than %d namespace declarations in scope", maxNSDecls)
		}
		s.ns = append(s.ns, nsBinding{prefix: prefix, uri: uri, depth: s.depth})
	}
	if _, ok := s.lookup(name.prefix); !ok {
		return 0, s.errorf("unbound prefix %s", name.prefix)
	}
	for _, a := range s.attrs {
		if len(a.name.prefix) > 0 && string(a.name.prefix) != "xmlns" {
			if _, ok := s.lookup(a.name.prefix); !ok {
				return 0, s.errorf("unbound prefix %s", a.name.prefix)
			}
		}
	}
	return tokStart, nil
}

func (s *xmlScanner) endTag() (tokKind, error) {
	s.i += 2 // "</"
	name, err := s.readName()
	if err != nil {
		return 0, err
	}
	s.skipSpace()
	if s.i >= len(s.b) {
		return 0, errXMLEnd
	}
	if s.b[s.i] != '>' {
		return 0, s.errorf("expected '>' in an end tag")
	}
	s.i++
	if s.depth == 0 {
		return 0, s.errorf("end tag %s without a start tag", name.local)
	}
	open := s.open[s.depth-1]
	if !bytes.Equal(open.prefix, name.prefix) || !bytes.Equal(open.local, name.local) {
		return 0, s.errorf("end tag %s does not match %s", name.local, open.local)
	}
	s.kind, s.name = tokEnd, name
	return tokEnd, nil
}

// lookup resolves a prefix ("" for the default namespace) in the current
// scope. The default namespace may be unbound (no namespace). The xml
// prefix is always bound; its URI (xmlNamespace) is not returned, as no
// element the decoder reads lives there.
func (s *xmlScanner) lookup(prefix []byte) ([]byte, bool) {
	if string(prefix) == "xml" {
		return nil, true
	}
	for i := len(s.ns) - 1; i >= 0; i-- {
		if bytes.Equal(s.ns[i].prefix, prefix) {
			return s.ns[i].uri, true
		}
	}
	return nil, len(prefix) == 0
}

// space returns the namespace URI of the current element.
func (s *xmlScanner) space() []byte {
	uri, _ := s.lookup(s.name.prefix)
	return uri
}

// attr returns the raw value of the current element's unprefixed attribute
// local, and whether it holds entities.
func (s *xmlScanner) attr(local string) (val []byte, escaped, ok bool) {
	for _, a := range s.attrs {
		if len(a.name.prefix) == 0 && string(a.name.local) == local {
			return a.value, a.escaped, true
		}
	}
	return nil, false, false
}

// appendText appends raw character data (text, a CDATA section or an
// attribute value) to dst as XML reads it: line ends normalized to "\n"
// (XML 1.0 §2.11; a reference &#13; stays a carriage return) and, if
// escaped, the references replaced.
func appendText(dst, raw []byte, escaped bool) ([]byte, error) {
	if bytes.IndexByte(raw, '\r') < 0 {
		if !escaped {
			return append(dst, raw...), nil
		}
		return unescapeXML(dst, raw)
	}
	for len(raw) > 0 {
		i := bytes.IndexByte(raw, '\r')
		if i < 0 {
			i = len(raw)
		}
		var err error
		if escaped {
			dst, err = unescapeXML(dst, raw[:i])
		} else {
			dst = append(dst, raw[:i]...)
		}
		if err != nil {
			return dst, err
		}
		if i == len(raw) {
			break
		}
		dst = append(dst, '\n')
		raw = raw[i+1:]
		if len(raw) > 0 && raw[0] == '\n' {
			raw = raw[1:]
		}
	}
	return dst, nil
}

// unescapeXML appends raw with its entity and character references
// replaced to dst.
func unescapeXML(dst, raw []byte) ([]byte, error) {
	for {
		j := bytes.IndexByte(raw, '&')
		if j < 0 {
			return append(dst, raw...), nil
		}
		dst = append(dst, raw[:j]...)
		raw = raw[j+1:]
		k := bytes.IndexByte(raw, ';')
		if k < 0 || k > 12 {
			return dst, errors.New("unterminated entity reference")
		}
		ref := raw[:k]
		raw = raw[k+1:]
		switch string(ref) {
		case "lt":
			dst = append(dst, '<')
		case "gt":
			dst = append(dst, '>')
		case "amp":
			dst = append(dst, '&')
		case "quot":
			dst = append(dst, '"')
		case "apos":
			dst = append(dst, '\'')
		default:
			if len(ref) < 2 || ref[0] != '#' {
				return dst, fmt.Errorf("undefined entity &%s;", ref)
			}
			var n uint64
			var err error
			if ref[1] == 'x' {
				n, err = strconv.ParseUint(string(ref[2:]), 16, 32)
			} else {
				n, err = strconv.ParseUint(string(ref[1:]), 10, 32)
			}
			r := rune(n)
			if err != nil || !isXMLChar(r) {
				return dst, fmt.Errorf("invalid character reference &%s;", ref)
			}
			dst = utf8.AppendRune(dst, r)
		}
	}
}

// isXMLChar reports whether r is allowed in an XML 1.0 document.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}
