package remote

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// refResult is what decodeResponse must agree with: the same answer read
// by a second, independent implementation (refDecode) that parses with
// encoding/xml into a tree and then queries the tree, as masterzen did with
// goxpath.
type refResult struct {
	shellID, commandID string
	done               bool
	exitCode           int
	stdout, stderr     []byte
	fault              *FaultError
}

type refNode struct {
	name     xml.Name
	attrs    []xml.Attr
	text     []byte // direct character data
	children []*refNode
	parent   *refNode
}

func (n *refNode) is(space, local string) bool { return n.name.Space == space && n.name.Local == local }

func (n *refNode) attr(local string) (string, bool) {
	for _, a := range n.attrs {
		if a.Name.Space == "" && a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

func (n *refNode) child(space, local string) *refNode {
	for _, c := range n.children {
		if c.is(space, local) {
			return c
		}
	}
	return nil
}

// descendants lists, in document order, the elements below n that match,
// not looking inside a Fault.
func (n *refNode) descendants(match func(*refNode) bool) []*refNode {
	var out []*refNode
	for _, c := range n.children {
		if c.is(nsSOAP, "Fault") {
			continue
		}
		if match(c) {
			out = append(out, c)
		}
		out = append(out, c.descendants(match)...)
	}
	return out
}

func refParse(body []byte) (*refNode, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	var root, cur *refNode
	for {
		tok, err := d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) && root != nil && cur == nil {
				return root, nil
			}
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &refNode{name: t.Name, attrs: t.Copy().Attr, parent: cur}
			if cur == nil {
				if root != nil {
					return nil, errors.New("second root")
				}
				root = n
			} else {
				cur.children = append(cur.children, n)
			}
			cur = n
		case xml.EndElement:
			cur = cur.parent
		case xml.CharData:
			if cur == nil {
				if len(bytes.TrimLeft(t, " \t\r\n")) != 0 {
					return nil, errors.New("text outside the root")
				}
				continue
			}
			cur.text = append(cur.text, t...)
		case xml.Directive:
			return nil, errors.New("directive")
		}
	}
}

// leafKinds are the elements that may hold no child element.
func refIsLeaf(n *refNode) bool {
	if n.name.Space == nsShell {
		switch n.name.Local {
		case "ShellId", "CommandId", "Stream", "ExitCode":
			return true
		}
	}
	if n.is(nsWSMan, "Selector") {
		v, _ := n.attr("Name")
		return v == "ShellId"
	}
	return false
}

// refDecode decodes an answer to op the way decodeResponse must.
func refDecode(body []byte, op, cmdID string) (refResult, error) {
	var r refResult
	root, err := refParse(body)
	if err != nil {
		return r, err
	}
	if !root.is(nsSOAP, "Envelope") {
		return r, errors.New("not an envelope")
	}
	body0 := root.child(nsSOAP, "Body")
	if body0 == nil {
		return r, errors.New("no body")
	}
	// Leaf elements hold text only, wherever they are in the Body (outside
	// a Fault); the header's a:Action too.
	for _, n := range body0.descendants(refIsLeaf) {
		if len(n.children) > 0 {
			return r, errors.New("element inside a leaf")
		}
	}
	var actions []*refNode
	if h := root.child(nsSOAP, "Header"); h != nil {
		for _, c := range h.children {
			if c.is(nsAddressing, "Action") {
				if len(c.children) > 0 {
					return r, errors.New("element inside Action")
				}
				actions = append(actions, c)
			}
		}
	}
	if len(actions) > 1 {
		return r, errors.New("two actions")
	}
	action := ""
	if len(actions) == 1 {
		action = strings.TrimSpace(string(actions[0].text))
	}
	faults := 0
	for _, c := range body0.children {
		if c.is(nsSOAP, "Fault") {
			faults++
		}
	}
	if faults > 1 {
		return r, errors.New("two faults")
	}
	if f := body0.child(nsSOAP, "Fault"); f != nil {
		if len(actions) == 1 && action != actionFault {
			return r, errors.New("fault with another action")
		}
		r.fault = refFault(f, op)
		return r, nil
	}
	if len(actions) == 0 {
		return r, errors.New("no action")
	}
	if action != expectedAction(op) {
		return r, errors.New("unexpected action")
	}
	one := func(space, local string) (*refNode, error) {
		l := body0.descendants(func(n *refNode) bool { return n.is(space, local) })
		if len(l) > 1 {
			return nil, errors.New("two " + local)
		}
		if len(l) == 0 {
			return nil, nil
		}
		return l[0], nil
	}
	switch op {
	case "create":
		n, err := one(nsShell, "ShellId")
		if err != nil {
			return r, err
		}
		if n == nil {
			sel := body0.descendants(func(n *refNode) bool {
				v, _ := n.attr("Name")
				return n.is(nsWSMan, "Selector") && v == "ShellId"
			})
			if len(sel) > 0 {
				n = sel[0]
			}
		}
		if n != nil {
			r.shellID = strings.TrimSpace(string(n.text))
		}
		if r.shellID == "" {
			return r, errors.New("no shell id")
		}
	case "command":
		n, err := one(nsShell, "CommandId")
		if err != nil {
			return r, err
		}
		if n != nil {
			r.commandID = strings.TrimSpace(string(n.text))
		}
		if r.commandID == "" {
			return r, errors.New("no command id")
		}
	}
	sameCmd := func(n *refNode) bool {
		id, ok := n.attr("CommandId")
		return !ok || cmdID == "" || strings.EqualFold(strings.TrimSpace(id), cmdID)
	}
	streams := body0.descendants(func(n *refNode) bool { return n.is(nsShell, "Stream") })
	for _, s := range streams {
		name, _ := s.attr("Name")
		if name != "stdout" && name != "stderr" {
			return r, errors.New("stream not requested")
		}
		if !sameCmd(s) {
			return r, errors.New("stream of another command")
		}
		t := bytes.TrimSpace(s.text)
		if len(t) == 0 {
			continue
		}
		if op != "receive" {
			return r, errors.New("stream outside a receive")
		}
		b, err := base64.StdEncoding.DecodeString(string(t))
		if err != nil {
			return r, err
		}
		if name == "stdout" {
			r.stdout = append(r.stdout, b...)
		} else {
			r.stderr = append(r.stderr, b...)
		}
	}
	state, err := one(nsShell, "CommandState")
	if err != nil {
		return r, err
	}
	if state != nil {
		if !sameCmd(state) {
			return r, errors.New("state of another command")
		}
		v, _ := state.attr("State")
		switch strings.TrimSpace(v) {
		case stateDone:
			r.done = true
		case stateRunning, statePending:
		default:
			return r, errors.New("bad state")
		}
	}
	exits := body0.descendants(func(n *refNode) bool { return n.is(nsShell, "ExitCode") })
	if len(exits) > 1 {
		return r, errors.New("two exit codes")
	}
	for _, e := range exits {
		if !e.parent.is(nsShell, "CommandState") {
			return r, errors.New("exit code outside a state")
		}
		if op == "receive" {
			n, err := strconv.ParseInt(strings.TrimSpace(string(e.text)), 10, 64)
			if err != nil || n < -1<<31 || n >= 1<<32 {
				return r, errors.New("bad exit code")
			}
			if r.done {
				r.exitCode = int(n)
			}
		}
	}
	if op == "receive" && state == nil && len(streams) == 0 {
		return r, errors.New("empty receive")
	}
	return r, nil
}

func refFault(f *refNode, op string) *FaultError {
	text := func(n *refNode) string {
		if n == nil {
			return ""
		}
		return string(n.text[:min(len(n.text), maxFaultText)])
	}
	fe := &FaultError{Op: op}
	if c := f.child(nsSOAP, "Code"); c != nil {
		fe.Subcode = localName(text(c.child(nsSOAP, "Value")))
		if sc := c.child(nsSOAP, "Subcode"); sc != nil {
			if s := localName(text(sc.child(nsSOAP, "Value"))); s != "" {
				fe.Subcode = s
			}
		}
	}
	var reason string
	if rn := f.child(nsSOAP, "Reason"); rn != nil {
		reason = strings.TrimSpace(text(rn.child(nsSOAP, "Text")))
	}
	var msg string
	if d := f.child(nsSOAP, "Detail"); d != nil {
		if w := d.child(nsWSManFault, "WSManFault"); w != nil {
			if c, ok := w.attr("Code"); ok {
				if v, err := strconv.ParseUint(strings.TrimSpace(c), 10, 32); err == nil {
					fe.Code = uint32(v)
				}
			}
			m, _ := w.attr("Machine")
			fe.Machine = strings.TrimSpace(m)
			if mn := w.child(nsWSManFault, "Message"); mn != nil {
				msg = strings.TrimSpace(text(mn.child(nsWSManFault, "ProviderFault")))
				if msg == "" {
					msg = strings.TrimSpace(text(mn))
				}
			}
		}
	}
	if msg == "" {
		msg = reason
	}
	fe.Reason = msg
	fe.Subcode = strings.ToValidUTF8(fe.Subcode, "\uFFFD")
	fe.Machine = strings.ToValidUTF8(fe.Machine, "\uFFFD")
	fe.Reason = strings.ToValidUTF8(fe.Reason, "\uFFFD")
	return fe
}

func (r refResult) String() string {
	return fmt.Sprintf("{shell %q cmd %q done %v exit %d stdout %q stderr %q fault %+v}", r.shellID, r.commandID, r.done, r.exitCode, r.stdout, r.stderr, r.fault)
}
