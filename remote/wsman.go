package remote

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Namespaces of the elements the response decoder reads; the prefixes are
// the sender's choice.
const (
	nsSOAP       = "http://www.w3.org/2003/05/soap-envelope"
	nsAddressing = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
	nsWSMan      = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
	nsShell      = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
	nsWSManFault = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"
)

// a:Action values of the answers (reference/winrm.md §3).
const (
	actionCreate  = "http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse"
	actionCommand = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandResponse"
	actionReceive = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/ReceiveResponse"
	actionSignal  = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/SignalResponse"
	actionDelete  = "http://schemas.xmlsoap.org/ws/2004/09/transfer/DeleteResponse"
	actionFault   = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"

	stateDone    = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"
	stateRunning = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Running"
	statePending = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Pending"
)

// expectedAction is the a:Action of a successful answer to op.
func expectedAction(op string) string {
	switch op {
	case "create":
		return actionCreate
	case "command":
		return actionCommand
	case "receive":
		return actionReceive
	case "signal":
		return actionSignal
	case "delete":
		return actionDelete
	}
	return ""
}

// Bounds of the values the decoder keeps as text. Identifiers, the action
// and the exit code are short by nature: longer is a protocol error. Fault
// texts are cut (the fault code is what matters).
const (
	maxIDText    = 1024
	maxFaultText = 4096
)

// wsResponse is what decodeResponse read from one answer.
type wsResponse struct {
	shellID   string // Create: rsp:ShellId (or the ShellId selector)
	commandID string // Command: rsp:CommandId
	done      bool   // Receive: CommandState Done
	exitCode  int    // Receive: rsp:ExitCode with Done
	state     bool   // Receive: a CommandState was present
	streams   int    // Receive: rsp:Stream elements
	fault     *FaultError
	timedOut  bool // Receive: the w:TimedOut fault ended the long-poll (set by the transport)
}

// element kinds the decoder tells apart; everything else is elemOther.
type elemKind uint8

const (
	elemOther elemKind = iota
	elemEnvelope
	elemHeader
	elemBody
	elemAction
	elemShellID
	elemSelectorShellID
	elemCommandID
	elemStream
	elemCommandState
	elemExitCode
	elemFault
	elemFaultCode
	elemFaultCodeValue
	elemFaultSubcode
	elemFaultSubcodeValue
	elemFaultReason
	elemFaultReasonText
	elemFaultDetail
	elemWSManFault
	elemFaultMessage
	elemProviderFault
	// elemDocument is the parent of the root element.
	elemDocument
	// textMachine is the text slot of the WSManFault Machine attribute.
	textMachine
	numElemKinds
)

// textKind reports whether the decoder keeps the text of kind, and whether
// child elements are refused inside it.
func textKind(k elemKind) (keep, leaf bool) {
	switch k {
	case elemAction, elemShellID, elemSelectorShellID, elemCommandID, elemStream, elemExitCode:
		return true, true
	case elemFaultCodeValue, elemFaultSubcodeValue, elemFaultReasonText, elemFaultMessage, elemProviderFault:
		return true, false
	}
	return false, false
}

// responseDecoder decodes WS-Management answers. It keeps its buffers
// between answers, so a client that reuses it allocates nothing per answer
// in the steady state except the identifiers it returns. It is not safe for
// concurrent use.
type responseDecoder struct {
	sc    xmlScanner
	stack [maxXMLDepth]elemKind
	text  [numElemKinds][]byte
	seen  [numElemKinds]bool
	// stream attributes of the rsp:Stream being read
	streamStderr bool
	streamRaw    []byte // the stream's text when it is one plain piece of the answer
	attrBuf      []byte
}

// trim readies d for answerPool: it drops the text buffers an unusual
// answer grew past maxKeptBuffer (a stream in many pieces can reach
// maxAnswer) and its references into the last answer.
func (d *responseDecoder) trim() {
	for i := range d.text {
		if cap(d.text[i]) > maxKeptBuffer {
			d.text[i] = nil
		}
	}
	if cap(d.attrBuf) > maxKeptBuffer {
		d.attrBuf = nil
	}
	d.streamRaw = nil
	d.sc.reset(nil)
}

// decodeResponse decodes one answer to op. cmdID, if set, is the command
// whose streams and state a Receive answer must carry; out receives the
// decoded stdout and stderr of a Receive answer (nil for other ops).
//
// A SOAP fault (whatever the op) is returned in wsResponse.fault with a nil
// error. The error is a description of what is wrong with the answer
// (ErrProtocol for the caller), or an *OutputTooLargeError from out.
func (d *responseDecoder) decodeResponse(body []byte, op, cmdID string, out *output) (wsResponse, error) {
	var r wsResponse
	for i := range d.text {
		d.text[i] = d.text[i][:0]
		d.seen[i] = false
	}
	sc := &d.sc
	sc.reset(body)
	d.streamRaw = nil
	if out != nil {
		// Room for what this answer can hold (base64: 3 bytes per 4), so
		// that the output grows once per answer, not by doubling.
		out.reserve(len(body) / 4 * 3)
	}
	want := expectedAction(op)
	for {
		tok, err := sc.next()
		if err != nil {
			return r, err
		}
		switch tok {
		case tokEOF:
			return d.finish(r, op, want)
		case tokStart:
			parent := elemDocument
			if sc.depth > 1 {
				parent = d.stack[sc.depth-2]
			}
			if keep, leaf := textKind(parent); keep && leaf {
				return r, fmt.Errorf("element %s inside %s", sc.name.local, sc.open[sc.depth-2].local)
			}
			k := d.classify(parent)
			if d.seen[k] && firstWins(k) {
				k = elemOther // e.g. the first s:Text is the reason, the others are ignored
			}
			if sc.depth == 1 && k != elemEnvelope {
				return r, fmt.Errorf("root element %s is not a SOAP 1.2 Envelope", sc.name.local)
			}
			d.stack[sc.depth-1] = k
			if err := d.start(k, &r, cmdID); err != nil {
				return r, err
			}
			if sc.selfClose {
				if err := d.end(k, &r, cmdID, out); err != nil {
					return r, err
				}
			}
		case tokEnd:
			if err := d.end(d.stack[sc.depth-1], &r, cmdID, out); err != nil {
				return r, err
			}
		case tokText, tokCDATA:
			k := d.stack[sc.depth-1]
			keep, _ := textKind(k)
			if !keep {
				continue
			}
			esc := tok == tokText && sc.escaped
			if k == elemStream {
				// The usual stream is one plain piece of base64: decode it
				// where it is, without copying.
				plain := !esc && bytes.IndexByte(sc.text, '\r') < 0
				switch {
				case plain && d.streamRaw == nil && len(d.text[k]) == 0:
					d.streamRaw = sc.text
					continue
				case d.streamRaw != nil:
					d.text[k] = append(d.text[k], d.streamRaw...)
					d.streamRaw = nil
				}
			}
			limit := maxFaultText
			switch k {
			case elemStream:
				limit = maxAnswer
			case elemAction, elemShellID, elemSelectorShellID, elemCommandID, elemExitCode:
				limit = maxIDText
			}
			t, err := appendText(d.text[k], sc.text, esc)
			if err != nil {
				return r, fmt.Errorf("%s: %w", sc.open[sc.depth-1].local, err)
			}
			if len(t) > limit {
				if limit != maxFaultText {
					return r, fmt.Errorf("%s longer than %d bytes", sc.open[sc.depth-1].local, limit)
				}
				t = t[:limit]
			}
			d.text[k] = t
		}
	}
}

// firstWins reports whether only the first element of kind k counts (the
// others are ignored); for the kinds not listed, a second one is an error
// (start) or adds to the first (streams).
func firstWins(k elemKind) bool {
	switch k {
	case elemHeader, elemBody, elemSelectorShellID, elemFaultCode, elemFaultCodeValue, elemFaultSubcode,
		elemFaultSubcodeValue, elemFaultReason, elemFaultReasonText, elemFaultDetail, elemWSManFault,
		elemFaultMessage, elemProviderFault:
		return true
	}
	return false
}

// classify names the element that just started, from its namespace, local
// name and parent.
func (d *responseDecoder) classify(parent elemKind) elemKind {
	sc := &d.sc
	space, local := sc.space(), sc.name.local
	is := func(ns, name string) bool { return string(local) == name && string(space) == ns }
	switch parent {
	case elemDocument:
		if is(nsSOAP, "Envelope") {
			return elemEnvelope
		}
		return elemOther
	case elemEnvelope:
		switch {
		case is(nsSOAP, "Header"):
			return elemHeader
		case is(nsSOAP, "Body"):
			return elemBody
		}
		return elemOther
	case elemHeader:
		if is(nsAddressing, "Action") {
			return elemAction
		}
		return elemOther
	case elemBody:
		if is(nsSOAP, "Fault") {
			return elemFault
		}
	case elemFault:
		switch {
		case is(nsSOAP, "Code"):
			return elemFaultCode
		case is(nsSOAP, "Reason"):
			return elemFaultReason
		case is(nsSOAP, "Detail"):
			return elemFaultDetail
		}
		return elemOther
	case elemFaultCode:
		switch {
		case is(nsSOAP, "Value"):
			return elemFaultCodeValue
		case is(nsSOAP, "Subcode"):
			return elemFaultSubcode
		}
		return elemOther
	case elemFaultSubcode:
		if is(nsSOAP, "Value") {
			return elemFaultSubcodeValue
		}
		return elemOther
	case elemFaultReason:
		if is(nsSOAP, "Text") {
			return elemFaultReasonText
		}
		return elemOther
	case elemFaultDetail:
		if is(nsWSManFault, "WSManFault") {
			return elemWSManFault
		}
		return elemOther
	case elemWSManFault:
		if is(nsWSManFault, "Message") {
			return elemFaultMessage
		}
		return elemOther
	case elemFaultMessage:
		if is(nsWSManFault, "ProviderFault") {
			return elemProviderFault
		}
		return elemOther
	case elemOther:
		if !d.inBody() {
			return elemOther
		}
	default:
		if !d.inBody() || d.inFault() {
			return elemOther
		}
	}
	// Anywhere in the Body outside a Fault (as masterzen's //rsp:… XPaths).
	if string(space) == nsShell {
		switch string(local) {
		case "ShellId":
			return elemShellID
		case "CommandId":
			return elemCommandID
		case "Stream":
			return elemStream
		case "CommandState":
			return elemCommandState
		case "ExitCode":
			return elemExitCode
		}
	}
	if is(nsWSMan, "Selector") {
		if v, ok, err := d.attrText("Name"); err == nil && ok && string(v) == "ShellId" {
			return elemSelectorShellID
		}
	}
	return elemOther
}

// inBody reports whether the element that just started is below s:Body.
func (d *responseDecoder) inBody() bool {
	return d.sc.depth > 2 && d.stack[1] == elemBody
}

// inFault reports whether the element that just started is below s:Fault.
func (d *responseDecoder) inFault() bool {
	return d.sc.depth > 3 && d.stack[2] == elemFault
}

// start handles the attributes of an element the decoder reads.
func (d *responseDecoder) start(k elemKind, r *wsResponse, cmdID string) error {
	sc := &d.sc
	switch k {
	case elemStream:
		name, _, err := d.attrText("Name")
		if err != nil {
			return err
		}
		switch string(name) {
		case "stdout":
			d.streamStderr = false
		case "stderr":
			d.streamStderr = true
		default:
			return fmt.Errorf("rsp:Stream %q was not requested (stdout stderr)", truncate(string(name), 64))
		}
		if err := d.checkCommandID(cmdID); err != nil {
			return err
		}
		r.streams++
	case elemCommandState:
		if d.seen[elemCommandState] {
			return errors.New("two rsp:CommandState elements")
		}
		if err := d.checkCommandID(cmdID); err != nil {
			return err
		}
		state, _, err := d.attrText("State")
		if err != nil {
			return err
		}
		switch string(bytes.TrimSpace(state)) {
		case stateDone:
			r.done = true
		case stateRunning, statePending:
		default:
			return fmt.Errorf("rsp:CommandState State %q is not Done, Running or Pending", truncate(string(state), 120))
		}
		r.state = true
	case elemExitCode:
		if d.stack[sc.depth-2] != elemCommandState {
			return errors.New("rsp:ExitCode outside rsp:CommandState")
		}
	case elemWSManFault:
		code, _, err := d.attrText("Code")
		if err != nil {
			return err
		}
		d.text[elemWSManFault] = append(d.text[elemWSManFault][:0], code...)
		m, _, err := d.attrText("Machine")
		if err != nil {
			return err
		}
		d.text[textMachine] = append(d.text[textMachine][:0], m...)
	}
	if d.seen[k] && (k == elemAction || k == elemShellID || k == elemCommandID || k == elemExitCode || k == elemFault) {
		return fmt.Errorf("two %s elements", sc.name.local)
	}
	d.seen[k] = true
	return nil
}

// attrText returns the value of the current element's unprefixed
// attribute local with its references replaced; it is valid until the next
// call.
func (d *responseDecoder) attrText(local string) (val []byte, ok bool, err error) {
	raw, esc, ok := d.sc.attr(local)
	if !ok || !esc && bytes.IndexByte(raw, '\r') < 0 {
		return raw, ok, nil
	}
	d.attrBuf, err = appendText(d.attrBuf[:0], raw, esc)
	if err != nil {
		return nil, true, fmt.Errorf("attribute %s: %w", local, err)
	}
	return d.attrBuf, true, nil
}

// checkCommandID refuses a stream or state of another command.
func (d *responseDecoder) checkCommandID(cmdID string) error {
	id, ok, err := d.attrText("CommandId")
	if err != nil {
		return err
	}
	if ok && cmdID != "" && !equalFoldASCII(bytes.TrimSpace(id), cmdID) {
		return fmt.Errorf("%s of command %q, not %q", d.sc.name.local, truncate(string(id), 64), cmdID)
	}
	return nil
}

// end handles the text of an element the decoder reads.
func (d *responseDecoder) end(k elemKind, r *wsResponse, cmdID string, out *output) error {
	switch k {
	case elemStream:
		t := d.text[elemStream]
		if d.streamRaw != nil {
			t, d.streamRaw = d.streamRaw, nil
		} else {
			d.text[elemStream] = t[:0]
		}
		if len(t) == 0 {
			return nil
		}
		if out == nil {
			return errors.New("rsp:Stream in an answer that is not a ReceiveResponse")
		}
		return out.addBase64(d.streamStderr, bytes.TrimSpace(t))
	}
	return nil
}

// finish checks the action and builds the result once the document ended.
func (d *responseDecoder) finish(r wsResponse, op, want string) (wsResponse, error) {
	if !d.seen[elemBody] {
		return r, errors.New("SOAP envelope without a Body")
	}
	action := bytes.TrimSpace(d.text[elemAction])
	if d.seen[elemFault] {
		if d.seen[elemAction] && string(action) != actionFault {
			return r, fmt.Errorf("a SOAP fault with action %q", truncate(string(action), 120))
		}
		r.fault = d.fault(op)
		return r, nil
	}
	if !d.seen[elemAction] {
		return r, errors.New("answer without a:Action")
	}
	if string(action) != want {
		return r, fmt.Errorf("unexpected action %q (want %s)", truncate(string(action), 120), want)
	}
	switch op {
	case "create":
		id := d.text[elemShellID]
		if !d.seen[elemShellID] {
			id = d.text[elemSelectorShellID]
		}
		r.shellID = string(bytes.TrimSpace(id))
		if r.shellID == "" {
			return r, errors.New("CreateResponse without rsp:ShellId")
		}
	case "command":
		r.commandID = string(bytes.TrimSpace(d.text[elemCommandID]))
		if r.commandID == "" {
			return r, errors.New("CommandResponse without rsp:CommandId")
		}
	case "receive":
		if d.seen[elemExitCode] {
			n, err := strconv.ParseInt(string(bytes.TrimSpace(d.text[elemExitCode])), 10, 64)
			if err != nil || n < -1<<31 || n >= 1<<32 {
				return r, fmt.Errorf("rsp:ExitCode %q is not an exit code", truncate(string(d.text[elemExitCode]), 64))
			}
			if r.done {
				r.exitCode = int(n)
			}
		}
		if !r.state && r.streams == 0 {
			// Windows never answers a Receive with nothing; receiving
			// again would spin.
			return r, errors.New("ReceiveResponse with neither output nor CommandState")
		}
	}
	return r, nil
}

// fault builds the FaultError of a decoded s:Fault, as parseFault did with
// encoding/xml: the WSManFault code and machine, the subcode (or code)
// without its prefix, and the message (ProviderFault text, else the
// WSManFault message, else the SOAP reason).
func (d *responseDecoder) fault(op string) *FaultError {
	f := &FaultError{Op: op,
		Subcode: localName(string(d.text[elemFaultSubcodeValue])),
		Machine: strings.ToValidUTF8(strings.TrimSpace(string(d.text[textMachine])), "\uFFFD"),
	}
	if f.Subcode == "" {
		f.Subcode = localName(string(d.text[elemFaultCodeValue]))
	}
	f.Subcode = strings.ToValidUTF8(f.Subcode, "\uFFFD")
	if c, err := strconv.ParseUint(string(bytes.TrimSpace(d.text[elemWSManFault])), 10, 32); err == nil {
		f.Code = uint32(c)
	}
	msg := bytes.TrimSpace(d.text[elemProviderFault])
	if len(msg) == 0 {
		msg = bytes.TrimSpace(d.text[elemFaultMessage])
	}
	if len(msg) == 0 {
		msg = bytes.TrimSpace(d.text[elemFaultReasonText])
	}
	f.Reason = strings.ToValidUTF8(string(msg), "\uFFFD")
	return f
}

// equalFoldASCII compares b and s ignoring ASCII case (GUIDs), without
// converting b.
func equalFoldASCII(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
