package remote

import (
	"bytes"
	"strings"
)

// parseFault decodes a SOAP fault envelope (reference/winrm.md §5). ok is
// false when body is not a SOAP envelope holding a Fault.
func parseFault(op string, status int, body []byte) (f *FaultError, ok bool) {
	var d responseDecoder
	return d.parseFault(op, status, body)
}

// parseFault is parseFault with the decoder's buffers.
func (d *responseDecoder) parseFault(op string, status int, body []byte) (*FaultError, bool) {
	if !bytes.Contains(body, []byte("Fault")) {
		return nil, false
	}
	r, err := d.decodeResponse(body, op, "", nil)
	if err != nil || r.fault == nil {
		return nil, false
	}
	r.fault.Status = status
	return r.fault, true
}

// isTimedOut reports whether f is the w:TimedOut fault that ends a Receive
// long-poll with no output; the client simply receives again.
func isTimedOut(f *FaultError) bool {
	return f.Code == CodeTimedOut || (f.Code == 0 && f.Subcode == "TimedOut")
}

// localName strips a namespace prefix: "w:TimedOut" → "TimedOut".
func localName(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		return s[i+1:]
	}
	return s
}
