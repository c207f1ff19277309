package remote

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// decoder turns a command's raw output bytes into text.
type decoder struct {
	oem *charmap.Charmap // OEM code page for bytes that are not UTF-8
}

func newDecoder(codePage int) decoder {
	if codePage == 437 {
		return decoder{oem: charmap.CodePage437}
	}
	return decoder{oem: charmap.CodePage850}
}

// decodeOutput decodes stdout: valid UTF-8 (what WINRS_CODEPAGE=65001
// asks for) is kept as is; anything else is a native tool writing in the
// OEM code page and is decoded with it (every byte maps, so this never
// fails).
func (d decoder) decodeOutput(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	out, err := d.oem.NewDecoder().Bytes(b)
	if err != nil {
		// Not reachable with a single-byte code page; keep the bytes
		// readable rather than lose them.
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(out)
}

// clixmlHeader starts stderr written by PowerShell -EncodedCommand.
const clixmlHeader = "#< CLIXML"

// decodeStderr decodes stderr like decodeOutput, and turns PowerShell's
// CLIXML error stream ("#< CLIXML\r\n<Objs …>") into the plain text
// PowerShell would have printed on a console.
func (d decoder) decodeStderr(b []byte) string {
	s := d.decodeOutput(b)
	i := strings.Index(s, clixmlHeader)
	if i < 0 {
		return s
	}
	rest := strings.TrimLeft(s[i+len(clixmlHeader):], "\r\n")
	text, tail, ok := clixmlText(rest)
	if !ok {
		return s
	}
	return s[:i] + text + tail
}

// clixmlText extracts the text of the <S> records (Error, Warning, Verbose,
// Debug, Information streams) that are direct children of <Objs>; progress
// records (<Obj S="progress">) are dropped. tail is whatever followed
// </Objs>.
func clixmlText(s string) (text, tail string, ok bool) {
	dec := xml.NewDecoder(strings.NewReader(s))
	var b strings.Builder
	depth := 0
	inS := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", "", false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 1 && t.Name.Local != "Objs" {
				return "", "", false
			}
			inS = depth == 2 && t.Name.Local == "S"
		case xml.EndElement:
			depth--
			inS = false
			if depth == 0 {
				return unescapeCLIXML(b.String()), s[dec.InputOffset():], true
			}
		case xml.CharData:
			if inS {
				b.Write(t)
			}
		}
	}
}

// unescapeCLIXML decodes PowerShell's _xHHHH_ escapes (UTF-16 code units,
// so surrogate pairs arrive as two escapes).
func unescapeCLIXML(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	var units []uint16
	var out bytes.Buffer
	flush := func() {
		if len(units) > 0 {
			out.WriteString(string(utf16.Decode(units)))
			units = units[:0]
		}
	}
	for i := 0; i < len(s); {
		if i+7 <= len(s) && s[i] == '_' && s[i+1] == 'x' && s[i+6] == '_' {
			if v, err := strconv.ParseUint(s[i+2:i+6], 16, 16); err == nil {
				units = append(units, uint16(v))
				i += 7
				continue
			}
		}
		flush()
		out.WriteByte(s[i])
		i++
	}
	flush()
	return out.String()
}
