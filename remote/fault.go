package remote

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"strings"
)

// soapFault is the part of a SOAP 1.2 fault envelope that WinRM fills in
// (reference/winrm.md §5). encoding/xml matches the local names, whatever
// prefixes the host chose.
type soapFault struct {
	Body struct {
		Fault *struct {
			Code struct {
				Value   string `xml:"Value"`
				Subcode struct {
					Value string `xml:"Value"`
				} `xml:"Subcode"`
			} `xml:"Code"`
			Reason struct {
				Text []string `xml:"Text"`
			} `xml:"Reason"`
			Detail struct {
				WSManFault struct {
					Code    string `xml:"Code,attr"`
					Machine string `xml:"Machine,attr"`
					Message struct {
						Text     string `xml:",chardata"`
						Provider struct {
							Text string `xml:",chardata"`
						} `xml:"ProviderFault"`
					} `xml:"Message"`
				} `xml:"WSManFault"`
			} `xml:"Detail"`
		} `xml:"Fault"`
	} `xml:"Body"`
}

// parseFault decodes a SOAP fault envelope. ok is false when body is not a
// SOAP envelope holding a Fault.
func parseFault(op string, status int, body []byte) (f *FaultError, ok bool) {
	if !bytes.Contains(body, []byte("Fault")) {
		return nil, false
	}
	var env soapFault
	if err := xml.Unmarshal(body, &env); err != nil || env.Body.Fault == nil {
		return nil, false
	}
	sf := env.Body.Fault
	wf := sf.Detail.WSManFault
	f = &FaultError{
		Op:      op,
		Subcode: localName(sf.Code.Subcode.Value),
		Machine: strings.TrimSpace(wf.Machine),
		Status:  status,
	}
	if f.Subcode == "" {
		f.Subcode = localName(sf.Code.Value)
	}
	if c, err := strconv.ParseUint(strings.TrimSpace(wf.Code), 10, 32); err == nil {
		f.Code = uint32(c)
	}
	msg := strings.TrimSpace(wf.Message.Provider.Text)
	if msg == "" {
		msg = strings.TrimSpace(wf.Message.Text)
	}
	if msg == "" && len(sf.Reason.Text) > 0 {
		msg = strings.TrimSpace(sf.Reason.Text[0])
	}
	f.Reason = msg
	return f, true
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
