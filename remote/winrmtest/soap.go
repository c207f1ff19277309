package winrmtest

import (
	"bytes"
	"crypto/rand"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"time"
)

const (
	nsSoap  = "http://www.w3.org/2003/05/soap-envelope"
	nsAddr  = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
	nsWsman = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
	nsShell = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"

	actionCreate   = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create"
	actionDelete   = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete"
	actionCommand  = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command"
	actionReceive  = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive"
	actionSend     = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send"
	actionSignal   = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Signal"
	actionFault    = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
	resourceCmd    = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
	stateRunning   = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Running"
	stateDone      = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"
	signalPrefix   = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/"
	anonymousRole  = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
	soapType       = "application/soap+xml;charset=UTF-8"
	httpAPIVersion = "Microsoft-HTTPAPI/2.0"
)

var opByAction = map[string]Op{
	actionCreate:  OpCreate,
	actionDelete:  OpDelete,
	actionCommand: OpCommand,
	actionReceive: OpReceive,
	actionSend:    OpSend,
	actionSignal:  OpSignal,
}

type nameValue struct {
	Name  string `xml:"Name,attr"`
	Value string `xml:",chardata"`
}

type envelope struct {
	XMLName xml.Name `xml:"http://www.w3.org/2003/05/soap-envelope Envelope"`
	Header  struct {
		To               string `xml:"http://schemas.xmlsoap.org/ws/2004/08/addressing To"`
		MessageID        string `xml:"http://schemas.xmlsoap.org/ws/2004/08/addressing MessageID"`
		Action           string `xml:"http://schemas.xmlsoap.org/ws/2004/08/addressing Action"`
		ResourceURI      string `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd ResourceURI"`
		MaxEnvelopeSize  string `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd MaxEnvelopeSize"`
		OperationTimeout string `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd OperationTimeout"`
		SelectorSet      struct {
			Selectors []nameValue `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd Selector"`
		} `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd SelectorSet"`
		OptionSet struct {
			Options []nameValue `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd Option"`
		} `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd OptionSet"`
	} `xml:"http://www.w3.org/2003/05/soap-envelope Header"`
	Body bodyT `xml:"http://www.w3.org/2003/05/soap-envelope Body"`
}

type bodyT struct {
	Shell       *shellT       `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Shell"`
	CommandLine *commandLineT `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell CommandLine"`
	Receive     *receiveT     `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Receive"`
	Send        *sendT        `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Send"`
	Signal      *signalT      `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Signal"`
}

type shellT struct {
	InputStreams  string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell InputStreams"`
	OutputStreams string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell OutputStreams"`
}

type commandLineT struct {
	Command   string   `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Command"`
	Arguments []string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Arguments"`
}

type receiveT struct {
	DesiredStream struct {
		CommandID string `xml:"CommandId,attr"`
		Streams   string `xml:",chardata"`
	} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell DesiredStream"`
}

type sendT struct {
	Streams []streamT `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Stream"`
}

type streamT struct {
	Name      string `xml:"Name,attr"`
	CommandID string `xml:"CommandId,attr"`
	End       string `xml:"End,attr"`
	Data      string `xml:",chardata"`
}

type signalT struct {
	CommandID string `xml:"CommandId,attr"`
	Code      string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Code"`
}

// parseEnvelope reads a request the way xml.Unmarshal into envelope does
// (FuzzParseEnvelope compares them). The byte scanner of soapscan.go reads
// the XML real clients send; anything outside its subset, and every
// malformed request, is read by encoding/xml, which decides (and words the
// error). Either way the emulator checks the client's XML with a parser of
// its own, never the product's.
func parseEnvelope(b []byte) (*envelope, error) {
	if env, ok := scanEnvelope(b); ok {
		return env, nil
	}
	return decodeEnvelope(b)
}

// decodeEnvelope is parseEnvelope on encoding/xml's token stream (walked
// instead of matching struct tags by reflection, which was a fifth of the
// lab's CPU per request).
func decodeEnvelope(b []byte) (*envelope, error) {
	return readEnvelope(&xmlReader{d: xml.NewDecoder(bytes.NewReader(b))})
}

// A tokenReader is a stream of XML tokens: encoding/xml's (xmlReader) or
// the fast path's (scanner). readEnvelope reads both the same way.
type tokenReader interface {
	// next reads the next token: tokStart, tokEnd, tokText, or tokOther
	// (comments, processing instructions, directives).
	next() (tokKind, error)
	// is reports whether the start element just read has that name.
	is(space, local string) bool
	// name is the name of the start element just read.
	name() xml.Name
	// attr sets *dst to the value of the start element's attribute of that
	// local name, if it has one (the last one, in any namespace, as
	// xml.Unmarshal does).
	attr(local string, dst *string)
	// chars is the character data just read, valid until the next call.
	chars() []byte
	// skip reads up to the end of the start element just read.
	skip() error
}

type tokKind int

const (
	tokOther tokKind = iota
	tokStart
	tokEnd
	tokText
)

// readEnvelope reads an envelope from r as xml.Unmarshal into envelope
// does.
func readEnvelope(r tokenReader) (*envelope, error) {
	for {
		k, err := r.next()
		if err != nil {
			return nil, err
		}
		if k == tokStart {
			break
		}
	}
	env := &envelope{}
	if r.is(nsSoap, "Envelope") {
		env.XMLName = xml.Name{Space: nsSoap, Local: "Envelope"}
	} else {
		n := r.name()
		if n.Local != "Envelope" {
			return nil, fmt.Errorf("expected element type <Envelope> but have <%s>", n.Local)
		}
		return nil, fmt.Errorf("expected element <Envelope> in name space %s but have %s", nsSoap, n.Space)
	}
	h, bd := &env.Header, &env.Body
	err := walk(r, func() error {
		switch {
		case r.is(nsSoap, "Header"):
			return walk(r, func() error {
				switch {
				case r.is(nsAddr, "To"):
					return text(r, &h.To)
				case r.is(nsAddr, "MessageID"):
					return text(r, &h.MessageID)
				case r.is(nsAddr, "Action"):
					return text(r, &h.Action)
				case r.is(nsWsman, "ResourceURI"):
					return text(r, &h.ResourceURI)
				case r.is(nsWsman, "MaxEnvelopeSize"):
					return text(r, &h.MaxEnvelopeSize)
				case r.is(nsWsman, "OperationTimeout"):
					return text(r, &h.OperationTimeout)
				case r.is(nsWsman, "SelectorSet"):
					return walk(r, func() error {
						if r.is(nsWsman, "Selector") {
							h.SelectorSet.Selectors = append(h.SelectorSet.Selectors, nameValue{})
							nv := &h.SelectorSet.Selectors[len(h.SelectorSet.Selectors)-1]
							r.attr("Name", &nv.Name)
							return text(r, &nv.Value)
						}
						return r.skip()
					}, nil)
				case r.is(nsWsman, "OptionSet"):
					return walk(r, func() error {
						if r.is(nsWsman, "Option") {
							h.OptionSet.Options = append(h.OptionSet.Options, nameValue{})
							nv := &h.OptionSet.Options[len(h.OptionSet.Options)-1]
							r.attr("Name", &nv.Name)
							return text(r, &nv.Value)
						}
						return r.skip()
					}, nil)
				}
				return r.skip()
			}, nil)
		case r.is(nsSoap, "Body"):
			return walk(r, func() error { return readBody(r, bd) }, nil)
		}
		return r.skip()
	}, nil)
	if err != nil {
		return nil, err
	}
	return env, nil
}

// readBody reads the child of s:Body just started into bd.
func readBody(r tokenReader, bd *bodyT) error {
	switch {
	case r.is(nsShell, "Shell"):
		if bd.Shell == nil {
			bd.Shell = new(shellT)
		}
		sh := bd.Shell
		return walk(r, func() error {
			switch {
			case r.is(nsShell, "InputStreams"):
				return text(r, &sh.InputStreams)
			case r.is(nsShell, "OutputStreams"):
				return text(r, &sh.OutputStreams)
			}
			return r.skip()
		}, nil)
	case r.is(nsShell, "CommandLine"):
		if bd.CommandLine == nil {
			bd.CommandLine = new(commandLineT)
		}
		cl := bd.CommandLine
		return walk(r, func() error {
			switch {
			case r.is(nsShell, "Command"):
				return text(r, &cl.Command)
			case r.is(nsShell, "Arguments"):
				cl.Arguments = append(cl.Arguments, "")
				return text(r, &cl.Arguments[len(cl.Arguments)-1])
			}
			return r.skip()
		}, nil)
	case r.is(nsShell, "Receive"):
		if bd.Receive == nil {
			bd.Receive = new(receiveT)
		}
		ds := &bd.Receive.DesiredStream
		return walk(r, func() error {
			if r.is(nsShell, "DesiredStream") {
				r.attr("CommandId", &ds.CommandID)
				return text(r, &ds.Streams)
			}
			return r.skip()
		}, nil)
	case r.is(nsShell, "Send"):
		if bd.Send == nil {
			bd.Send = new(sendT)
		}
		sd := bd.Send
		return walk(r, func() error {
			if r.is(nsShell, "Stream") {
				sd.Streams = append(sd.Streams, streamT{})
				st := &sd.Streams[len(sd.Streams)-1]
				r.attr("Name", &st.Name)
				r.attr("CommandId", &st.CommandID)
				r.attr("End", &st.End)
				return text(r, &st.Data)
			}
			return r.skip()
		}, nil)
	case r.is(nsShell, "Signal"):
		if bd.Signal == nil {
			bd.Signal = new(signalT)
		}
		sg := bd.Signal
		r.attr("CommandId", &sg.CommandID)
		return walk(r, func() error {
			if r.is(nsShell, "Code") {
				return text(r, &sg.Code)
			}
			return r.skip()
		}, nil)
	}
	return r.skip()
}

// walk reads the content of the element just started until its end:
// child elements go to onStart (which must consume them), character data
// to onText if set.
func walk(r tokenReader, onStart func() error, onText func([]byte)) error {
	for {
		k, err := r.next()
		if err != nil {
			return err
		}
		switch k {
		case tokStart:
			if err := onStart(); err != nil {
				return err
			}
		case tokEnd:
			return nil
		case tokText:
			if onText != nil {
				onText(r.chars())
			}
		}
	}
}

// text sets *dst to the character data directly inside the element just
// started (child elements are skipped), as xml.Unmarshal does for a string.
// Most elements hold one piece of character data: one allocation.
func text(r tokenReader, dst *string) error {
	var s string
	err := walk(r, r.skip, func(cd []byte) {
		if s == "" {
			s = string(cd)
		} else {
			s += string(cd)
		}
	})
	*dst = s
	return err
}

// xmlReader is encoding/xml's token stream as a tokenReader.
type xmlReader struct {
	d  *xml.Decoder
	se xml.StartElement
	cd xml.CharData
}

func (x *xmlReader) next() (tokKind, error) {
	tok, err := x.d.Token()
	if err != nil {
		return tokOther, err
	}
	switch t := tok.(type) {
	case xml.StartElement:
		x.se = t
		return tokStart, nil
	case xml.EndElement:
		return tokEnd, nil
	case xml.CharData:
		x.cd = t
		return tokText, nil
	}
	return tokOther, nil
}

func (x *xmlReader) is(space, local string) bool {
	return x.se.Name.Local == local && x.se.Name.Space == space
}

func (x *xmlReader) name() xml.Name { return x.se.Name }

func (x *xmlReader) attr(local string, dst *string) {
	for _, a := range x.se.Attr {
		if a.Name.Local == local {
			*dst = a.Value
		}
	}
}

func (x *xmlReader) chars() []byte { return x.cd }

func (x *xmlReader) skip() error { return x.d.Skip() }

func (e *envelope) selector(name string) string {
	for _, s := range e.Header.SelectorSet.Selectors {
		if s.Name == name {
			return strings.TrimSpace(s.Value)
		}
	}
	return ""
}

func (e *envelope) option(name string) (string, bool) {
	for _, o := range e.Header.OptionSet.Options {
		if o.Name == name {
			return strings.TrimSpace(o.Value), true
		}
	}
	return "", false
}

// parseDuration parses an xs:duration as WS-Man uses it (PT60S, PT60.000S,
// PT5M0S, P0DT0H0M1S). Years and months are refused.
func parseDuration(s string) (time.Duration, error) {
	orig := s
	bad := fmt.Errorf("invalid xs:duration %q", orig)
	if !strings.HasPrefix(s, "P") {
		return 0, bad
	}
	s = s[1:]
	var total float64
	inTime := false
	seen := false
	for s != "" {
		if s[0] == 'T' {
			if inTime {
				return 0, bad
			}
			inTime = true
			s = s[1:]
			continue
		}
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			i++
		}
		if i == 0 || i == len(s) {
			return 0, bad
		}
		v, err := strconv.ParseFloat(s[:i], 64)
		if err != nil {
			return 0, bad
		}
		unit := s[i]
		s = s[i+1:]
		switch {
		case !inTime && unit == 'D':
			total += v * 86400
		case inTime && unit == 'H':
			total += v * 3600
		case inTime && unit == 'M':
			total += v * 60
		case inTime && unit == 'S':
			total += v
		default:
			return 0, bad
		}
		seen = true
	}
	if !seen {
		return 0, bad
	}
	return time.Duration(total * float64(time.Second)), nil
}

// formatDuration renders d as Windows shows IdleTimeOut ("PT7200.000S").
func formatDuration(d time.Duration) string {
	return fmt.Sprintf("PT%.3fS", d.Seconds())
}

// newGUID returns a random upper-case GUID.
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	const hexDigits = "0123456789ABCDEF"
	j := 0
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			s[j] = '-'
			j++
		}
		s[j], s[j+1] = hexDigits[c>>4], hexDigits[c&0xf]
		j += 2
	}
	return string(s[:])
}

func xmlEscape(s string) string {
	if !strings.ContainsAny(s, "<>&'\"\r\n\t") {
		return s
	}
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

const respNS = `xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"`

const faultNS = `xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" xmlns:e="http://schemas.xmlsoap.org/ws/2004/08/eventing" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"`

// envelopeHead and envelopeTail frame a response body. Their size is what a
// ReceiveResponse spends besides its streams.
func envelopeHead(ns, action, relatesTo string) string {
	return string(appendEnvelopeHead(nil, ns, action, relatesTo))
}

func appendEnvelopeHead(b []byte, ns, action, relatesTo string) []byte {
	b = append(b, `<s:Envelope xml:lang="en-US" `...)
	b = append(b, ns...)
	b = append(b, `><s:Header><a:Action>`...)
	b = append(b, action...)
	b = append(b, `</a:Action><a:MessageID>uuid:`...)
	b = append(b, newGUID()...)
	b = append(b, `</a:MessageID><a:To>`+anonymousRole+`</a:To><a:RelatesTo>`...)
	b = append(b, xmlEscape(relatesTo)...)
	return append(b, `</a:RelatesTo></s:Header><s:Body>`...)
}

const envelopeTail = `</s:Body></s:Envelope>`

// envelopeHeadSize bounds len(appendEnvelopeHead(nil, respNS, action, id))
// for an action of up to 80 bytes, without the RelatesTo id.
const envelopeHeadSize = len(`<s:Envelope xml:lang="en-US" `+respNS+`><s:Header><a:Action></a:Action><a:MessageID>uuid:</a:MessageID><a:To>`+anonymousRole+`</a:To><a:RelatesTo></a:RelatesTo></s:Header><s:Body>`) + 80 + 36

func renderResponse(action, relatesTo, body string) []byte {
	b := make([]byte, 0, envelopeHeadSize+len(relatesTo)+len(body)+len(envelopeTail))
	b = appendEnvelopeHead(b, respNS, action, relatesTo)
	b = append(b, body...)
	return append(b, envelopeTail...)
}

// WSManFault codes the server sends (reference/winrm.md §5.1).
const (
	CodeTimedOut             uint32 = 2150858793 // w:TimedOut, Receive with no output before OperationTimeout
	CodeInvalidSelectors     uint32 = 2150858843 // w:InvalidSelectors, unknown shell or command
	CodeShellQuota           uint32 = 2150859173 // w:QuotaLimit, over MaxShellsPerUser
	CodeOperationQuota       uint32 = 2150859174 // w:QuotaLimit, over MaxConcurrentOperationsPerUser
	CodeAccessDenied         uint32 = 5          // w:AccessDenied, user not allowed to use WinRM
	CodeFileNotFound         uint32 = 2147942402 // w:InternalError, program not found (WINRS_SKIP_CMD_SHELL=TRUE)
	CodeFilenameTooLong      uint32 = 2147942606 // w:InternalError, command line over MaxCommandLine
	CodeInvalidParameter     uint32 = 87         // w:InvalidParameter, e.g. Receive without CommandId
	CodeInvalidTimeout       uint32 = 2150858767 // w:InvalidHeader, bad OperationTimeout
	CodeActionNotSupported   uint32 = 2150858754 // w:ActionNotSupported, unknown a:Action
	CodeDestinationUnreach   uint32 = 2150858770 // w:DestinationUnreachable, wrong ResourceURI
	CodeInternalErrorGeneric uint32 = 2147500037 // w:InternalError (E_FAIL), injected codes outside the catalogue
)

// A fault is a WS-Management SOAP fault.
type fault struct {
	code     uint32
	soapCode string // s:Sender or s:Receiver
	subcode  string // w:TimedOut ...
	reason   string
	detail   string // optional w:FaultDetail URI
	provider bool   // message wrapped in f:ProviderFault (Shell cmd plugin)
}

func (f *fault) Error() string { return fmt.Sprintf("wsman fault %d: %s", f.code, f.reason) }

const (
	textTimedOut       = "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  "
	textBadShell       = "The WS-Management service cannot process the request because the request contained invalid selectors for the resource. "
	textBadCommand     = "The Windows Remote Shell received a request to perform an operation on a command identifier that does not exist. Either the command has completed execution or the client specified an invalid command identifier. "
	textAccessDenied   = "Access is denied. "
	textFileNotFound   = "The system cannot find the file specified. "
	textTooLong        = "The filename or extension is too long. "
	textBadParameter   = "The parameter is incorrect. "
	detailUnexpected   = "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors"
	detailInvalidValue = "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/InvalidValue"
)

func faultTimedOut() *fault {
	return &fault{code: CodeTimedOut, soapCode: "s:Receiver", subcode: "w:TimedOut", reason: textTimedOut}
}

func faultUnknownShell() *fault {
	return &fault{code: CodeInvalidSelectors, soapCode: "s:Sender", subcode: "w:InvalidSelectors", reason: textBadShell}
}

func faultUnknownCommand() *fault {
	return &fault{code: CodeInvalidSelectors, soapCode: "s:Sender", subcode: "w:InvalidSelectors", reason: textBadCommand, detail: detailUnexpected}
}

func faultShellQuota(n int) *fault {
	return &fault{code: CodeShellQuota, soapCode: "s:Sender", subcode: "w:QuotaLimit", reason: fmt.Sprintf(
		"The WS-Management service cannot process the request. This user is allowed a maximum number of %d concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user. ", n)}
}

func faultOperationQuota(n int) *fault {
	return &fault{code: CodeOperationQuota, soapCode: "s:Sender", subcode: "w:QuotaLimit", reason: fmt.Sprintf(
		"The WS-Management service cannot process the request. This user is allowed a maximum number of %d concurrent operations, which has been exceeded. Close existing operations for this user, or raise the quota for this user. ", n)}
}

func faultAccessDenied() *fault {
	return &fault{code: CodeAccessDenied, soapCode: "s:Sender", subcode: "w:AccessDenied", reason: textAccessDenied}
}

func faultFileNotFound() *fault {
	return &fault{code: CodeFileNotFound, soapCode: "s:Receiver", subcode: "w:InternalError", reason: textFileNotFound, provider: true}
}

func faultTooLong() *fault {
	return &fault{code: CodeFilenameTooLong, soapCode: "s:Receiver", subcode: "w:InternalError", reason: textTooLong, provider: true}
}

func faultInvalidParameter() *fault {
	return &fault{code: CodeInvalidParameter, soapCode: "s:Sender", subcode: "w:InvalidParameter", reason: textBadParameter, detail: detailInvalidValue}
}

func faultInvalidTimeout(v string) *fault {
	return &fault{code: CodeInvalidTimeout, soapCode: "s:Sender", subcode: "w:InvalidHeader", reason: fmt.Sprintf(
		"The WS-Management service cannot process the request because the request contained an invalid timeout field in the SOAP header: %s. ", v)}
}

func faultActionNotSupported(action string) *fault {
	return &fault{code: CodeActionNotSupported, soapCode: "s:Sender", subcode: "a:ActionNotSupported", reason: fmt.Sprintf(
		"The action is not supported by the service. Action: %s ", action)}
}

func faultBadResource(uri string) *fault {
	return &fault{code: CodeDestinationUnreach, soapCode: "s:Sender", subcode: "w:DestinationUnreachable", reason: fmt.Sprintf(
		"The WS-Management service cannot process the request. The resource URI is not valid or was not found: %s ", uri)}
}

// faultForCode returns the catalogue fault for an injected code.
func faultForCode(code uint32) *fault {
	switch code {
	case CodeTimedOut:
		return faultTimedOut()
	case CodeInvalidSelectors:
		return faultUnknownShell()
	case CodeShellQuota:
		return faultShellQuota(DefaultMaxShellsPerUser)
	case CodeOperationQuota:
		return faultOperationQuota(DefaultMaxConcurrentOperationsPerUser)
	case CodeAccessDenied:
		return faultAccessDenied()
	case CodeFileNotFound:
		return faultFileNotFound()
	case CodeFilenameTooLong:
		return faultTooLong()
	case CodeInvalidParameter:
		return faultInvalidParameter()
	}
	return &fault{code: code, soapCode: "s:Receiver", subcode: "w:InternalError", reason: fmt.Sprintf("Injected fault %d. ", code), provider: true}
}

func renderFault(f *fault, relatesTo, machine string) []byte {
	var b strings.Builder
	b.WriteString(envelopeHead(faultNS, actionFault, relatesTo))
	b.WriteString(`<s:Fault><s:Code><s:Value>` + f.soapCode + `</s:Value><s:Subcode><s:Value>` + f.subcode +
		`</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">` + xmlEscape(f.reason) + `</s:Text></s:Reason><s:Detail>`)
	if f.detail != "" {
		b.WriteString(`<w:FaultDetail>` + f.detail + `</w:FaultDetail>`)
	}
	b.WriteString(`<f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="` +
		strconv.FormatUint(uint64(f.code), 10) + `" Machine="` + xmlEscape(machine) + `"><f:Message>`)
	if f.provider {
		b.WriteString(`<f:ProviderFault provider="Shell cmd plugin" path="%systemroot%\system32\winrscmd.dll">` +
			xmlEscape(f.reason) + `</f:ProviderFault>`)
	} else {
		b.WriteString(xmlEscape(f.reason))
	}
	b.WriteString(`</f:Message></f:WSManFault></s:Detail></s:Fault>`)
	b.WriteString(envelopeTail)
	return []byte(b.String())
}
