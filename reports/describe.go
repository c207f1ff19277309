package reports

import (
	"fmt"
	"strconv"
	"strings"
)

// This file has the small texts every format builds its lines from: the
// one-line reason of a host, the detail blocks of hosts and checks, the
// evidence of a check and the label of a write command. Formats escape
// them for their own syntax.

// hostMessage is the one-line reason for a host's status: its reason, else
// its error, else the status itself.
func hostMessage(h Host) string {
	switch {
	case h.Reason != "":
		return h.Reason
	case h.Error != "":
		return h.Error
	}
	return string(h.Status)
}

// hostDetail is a host's status, cause and error as "key: value" lines.
func hostDetail(h Host) string {
	var b strings.Builder
	fmt.Fprintf(&b, "host: %s\naddress: %s\nstatus: %s\n", h.Host, h.Address, h.Status)
	if c := hostCode(h); c != "" {
		fmt.Fprintf(&b, "code: %s\n", c)
	}
	if h.Reason != "" {
		fmt.Fprintf(&b, "reason: %s\n", h.Reason)
	}
	if h.Error != "" {
		fmt.Fprintf(&b, "error: %s\n", h.Error)
	}
	return b.String()
}

// checkDetail is a check's verdict as "key: value" lines, with its writes.
func checkDetail(h Host, c Check) string {
	var b strings.Builder
	fmt.Fprintf(&b, "host: %s\ncheck: %s\nstatus: %s\n", h.Host, c.ID, c.Status)
	if c.Code != "" {
		fmt.Fprintf(&b, "code: %s\n", c.Code)
	}
	if c.Before != "" {
		fmt.Fprintf(&b, "before: %s\n", c.Before)
	}
	fmt.Fprintf(&b, "expected: %s\nactual: %s\n", c.Expected, c.Actual)
	if h.Reason != "" {
		fmt.Fprintf(&b, "host reason: %s\n", h.Reason)
	}
	for _, w := range c.Writes {
		fmt.Fprintf(&b, "%s: %s\n", writeLabel(w), w.Command)
	}
	return b.String()
}

// checkMessage is the one-line failure message of a check: its code (or
// status) and what differs.
func checkMessage(c Check) string {
	code := c.Code
	if code == "" {
		code = string(c.Status)
	}
	return oneLine(fmt.Sprintf("%s: expected %s, actual %s", code, orNone(c.Expected), orNone(c.Actual)))
}

// evidence is what was read for a check: each command as "> command", then
// the raw output. "" when there is none.
func evidence(c Check) string {
	if len(c.Commands) == 0 && c.Output == "" {
		return ""
	}
	var b strings.Builder
	for _, cmd := range c.Commands {
		fmt.Fprintf(&b, "> %s\n", cmd)
	}
	b.WriteString(c.Output)
	return b.String()
}

// writeLabel says in a few words how far a write command got: "would
// send", "not sent", "sent, no answer" or "exit N".
func writeLabel(w WriteRecord) string {
	switch w.State {
	case WriteWouldSend:
		return "would send"
	case WriteNotSent:
		return "not sent"
	case WriteSent:
		return "sent, no answer"
	case WriteAnswered:
		return "exit " + strconv.Itoa(w.ExitCode)
	}
	return string(w.State)
}

// writeClass is the html class of a write's label: ok for an answered
// exit 0, drift for a failed or unconfirmed write, plain otherwise.
func writeClass(w WriteRecord) string {
	switch {
	case w.State == WriteAnswered && w.ExitCode == 0:
		return "ok"
	case w.State == WriteAnswered, w.State == WriteSent:
		return "drift"
	}
	return "plan"
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
