package reports

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

//go:embed templates/report.html.tmpl templates/report.css templates/report.js templates/diff.html.tmpl
var htmlFS embed.FS

// HTMLCauseHosts is how many hosts the "by cause" table names per cause
// before "and N more".
const HTMLCauseHosts = 5

type htmlMeta struct {
	Label, Value string
	Mono         bool
}

type htmlCompliance struct {
	Percent                                  string
	OK, Checked, Total, Unchecked, Attention int
	UncheckedNote                            string
}

type htmlCount struct {
	Status HostStatus
	Class  string
	N      int
	Share  string
}

type htmlLink struct{ Anchor, Name string }

type htmlCause struct {
	Code            string
	N               int
	Meaning, Action template.HTML
	Hosts           []htmlLink
	More            int
}

type htmlWrite struct {
	W            WriteRecord
	Label, Class string
}

type htmlCheck struct {
	C            Check
	Class        string
	Meaning      string
	Brief        bool // a passing check shown on one line
	Writes       []htmlWrite
	Evidence     string
	EvidenceOpen bool
	EvidenceSize string
}

type htmlHost struct {
	H         Host
	Anchor    string
	Class     string
	Rank      int
	Code      string
	Cause     string
	Attention bool
	Message   string
	Duration  string
	Summary   string
	Keys      string
	ShowError bool // the error says more than the reason
	Checks    []htmlCheck
}

type htmlData struct {
	R                 *Report
	CSP               string
	Generator         string
	Style             template.CSS
	Script            template.JS
	Started, Duration string
	Evidence          Evidence
	Compliance        htmlCompliance
	Counts            []htmlCount
	Causes            []htmlCause
	Meta              []htmlMeta
	Hosts             []htmlHost
}

func hostClass(s HostStatus) string {
	switch {
	case s.OK():
		return "ok"
	case s.Drift():
		return "drift"
	}
	return "unchecked"
}

func checkClass(s CheckStatus) string {
	switch s {
	case CheckPass, CheckChanged:
		return "ok"
	case CheckFail, CheckWouldChange:
		return "drift"
	}
	return "unchecked"
}

// WriteHTML writes r as one self-contained HTML page for people and audits:
// a summary with the compliance percentage (defined on the page), hosts by
// status and by cause (reason code, with what to do), the run's metadata,
// then every host with its checks (expected and actual, before and after
// for changed checks), the write commands and, as o.Evidence says, the
// evidence. A small inline script adds a status filter, a cause filter, a
// search box and sortable columns; without it every host is listed and the
// details open with <details>. Nothing is loaded from anywhere: the
// Content-Security-Policy allows only the page's own style and script (by
// hash), so the page works offline, as a mail attachment or in a ticket,
// and report text cannot run code. All report text is escaped by
// html/template.
func WriteHTML(w io.Writer, r *Report, o WriteOptions) error {
	o, err := o.check()
	if err != nil {
		return err
	}
	n, err := normalize(r)
	if err != nil {
		return err
	}
	tmpl, err := template.New("report.html.tmpl").ParseFS(htmlFS, "templates/report.html.tmpl")
	if err != nil {
		return fmt.Errorf("parse html template: %w", err)
	}
	css, err := htmlFS.ReadFile("templates/report.css")
	if err != nil {
		return err
	}
	js, err := htmlFS.ReadFile("templates/report.js")
	if err != nil {
		return err
	}
	d := htmlData{
		R:         n,
		CSP:       pageCSP(css, js),
		Generator: generator(n),
		Style:     template.CSS(css),
		Script:    template.JS(js),
		Started:   timeText(n.StartedAt),
		Duration:  "-",
		Evidence:  o.Evidence,
		Meta:      htmlMetadata(n, o),
	}
	if dur := n.Duration(); dur > 0 {
		d.Duration = dur.Round(time.Millisecond).String()
	}
	d.Compliance = compliance(n)
	for _, s := range HostStatuses {
		if c := n.Summary[s]; c > 0 {
			d.Counts = append(d.Counts, htmlCount{Status: s, Class: hostClass(s), N: c, Share: percent(c, len(n.Hosts))})
		}
	}
	d.Hosts = make([]htmlHost, len(n.Hosts))
	for i, h := range n.Hosts {
		d.Hosts[i] = htmlHostOf(i, h, o)
	}
	d.Causes = htmlCauses(d.Hosts)
	var b bytes.Buffer
	if err := tmpl.Execute(&b, d); err != nil {
		return fmt.Errorf("render html: %w", err)
	}
	_, err = w.Write(b.Bytes())
	return err
}

// pageCSP is the page's Content-Security-Policy: nothing from anywhere but
// the page's own style sheet and script, allowed by their SHA-256.
func pageCSP(css, js []byte) string {
	return "default-src 'none'; style-src " + cspHash(css) + "; script-src " + cspHash(js) +
		"; img-src 'none'; base-uri 'none'; form-action 'none'"
}

// cspHash is the CSP source that allows exactly the inline text b.
func cspHash(b []byte) string {
	sum := sha256.Sum256(b)
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// generator names the tool that made the report: "winfleet 1.2.0 (abc1234)".
func generator(n *Report) string {
	if n.Tool == nil || n.Tool.Name == "" {
		return "winfleet"
	}
	s := n.Tool.Name
	if n.Tool.Version != "" {
		s += " " + n.Tool.Version
	}
	if n.Tool.Revision != "" {
		s += " (" + n.Tool.Revision + ")"
	}
	return s
}

func htmlMetadata(n *Report, o WriteOptions) []htmlMeta {
	m := []htmlMeta{
		{"run id", n.RunID, true},
		{"mode", string(n.Mode), false},
		{"playbook", n.Playbook, false},
		{"playbook digest", n.PlaybookDigest, true},
		{"inventory", n.Inventory, false},
		{"shard", n.Shard, false},
		{"started", timeText(n.StartedAt), false},
		{"finished", timeText(n.FinishedAt), false},
		{"tool", generator(n), false},
		{"operator", n.Operator, false},
		{"controller", n.Controller, false},
		{"command line", commandLineText(n.CommandLine), true},
		{"incomplete", n.Incomplete, false},
		{"schema", n.Schema, false},
		{"evidence", evidenceNote(o.Evidence), false},
	}
	return slices.DeleteFunc(m, func(x htmlMeta) bool { return x.Value == "" })
}

func evidenceNote(e Evidence) string {
	if e == EvidenceAll {
		return "kept for every check (--evidence all)"
	}
	return "kept for checks that did not pass; dropped for passing checks (--evidence all keeps it)"
}

// commandLineText joins an argument list for display, quoting arguments
// the way a POSIX shell would need them.
func commandLineText(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,@%+", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// compliance counts the hosts for the summary. Compliance is (compliant +
// changed) ÷ checked hosts, a checked host being one with an OK or drift
// status; hosts that could not be checked are not in it.
func compliance(n *Report) htmlCompliance {
	c := htmlCompliance{Total: len(n.Hosts), Percent: "n/a"}
	for _, h := range n.Hosts {
		switch {
		case h.Status.OK():
			c.OK++
			c.Checked++
		case h.Status.Drift():
			c.Checked++
		default:
			c.Unchecked++
		}
		if h.Status.NeedsAttention() {
			c.Attention++
		}
	}
	if c.Checked > 0 {
		c.Percent = percent(c.OK, c.Checked)
	}
	switch {
	case c.Unchecked == 1:
		c.UncheckedNote = "The 1 host that could not be checked (unreachable, auth_failed, timeout, error, skipped, cancelled) is not counted in it: nothing is known about it."
	case c.Unchecked > 1:
		c.UncheckedNote = fmt.Sprintf("The %d hosts that could not be checked (unreachable, auth_failed, timeout, error, skipped, cancelled) are not counted in it: nothing is known about them.", c.Unchecked)
	}
	return c
}

// percent is part/whole rounded down to one decimal, so that 100% means
// all of them.
func percent(part, whole int) string {
	if whole == 0 {
		return "-"
	}
	p := math.Floor(float64(part)*1000/float64(whole)) / 10
	return strconv.FormatFloat(p, 'f', 1, 64) + "%"
}

func htmlHostOf(i int, h Host, o WriteOptions) htmlHost {
	hh := htmlHost{
		H: h, Anchor: fmt.Sprintf("host-%d", i), Class: hostClass(h.Status), Rank: h.Status.rank(),
		Code: hostCode(h), Attention: h.Status.NeedsAttention(), Message: hostMessage(h),
		Duration: (time.Duration(h.DurationMS) * time.Millisecond).String(),
	}
	if hh.Attention {
		hh.Cause = hostCause(h)
	}
	hh.ShowError = h.Error != "" && h.Error != hh.Message
	hh.Keys = strings.TrimSpace(h.Address + " " + strings.Join(h.Groups, " "))
	counts := map[CheckStatus]int{}
	for _, c := range h.Checks {
		counts[c.Status]++
		hh.Checks = append(hh.Checks, htmlCheckOf(c, o))
	}
	var parts []string
	if len(h.Checks) == 0 {
		parts = append(parts, "no checks")
	} else {
		var cs []string
		for _, s := range CheckStatuses() {
			if counts[s] > 0 {
				cs = append(cs, fmt.Sprintf("%d %s", counts[s], s))
			}
		}
		parts = append(parts, fmt.Sprintf("%d %s: %s", len(h.Checks), plural(len(h.Checks), "check", "checks"), strings.Join(cs, ", ")))
	}
	for _, p := range []string{h.Address, h.Dialect} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	hh.Summary = strings.Join(parts, " · ")
	return hh
}

func htmlCheckOf(c Check, o WriteOptions) htmlCheck {
	hc := htmlCheck{C: c, Class: checkClass(c.Status)}
	if info, ok := CodeInfoFor(c.Code); ok {
		hc.Meaning = info.Meaning
	}
	for _, w := range c.Writes {
		hc.Writes = append(hc.Writes, htmlWrite{W: w, Label: writeLabel(w), Class: writeClass(w)})
	}
	if o.keepEvidence(c) {
		hc.Evidence = evidence(c)
		hc.EvidenceOpen = hasEvidenceValue(c)
		hc.EvidenceSize = byteSize(len(hc.Evidence))
	}
	hc.Brief = c.Status == CheckPass && len(c.Writes) == 0 && hc.Evidence == "" && c.Before == ""
	return hc
}

func byteSize(n int) string {
	if n < 1024 {
		return strconv.Itoa(n) + " bytes"
	}
	return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) + " KiB"
}

// htmlCauses groups the hosts needing attention by cause (hostCause),
// most hosts first.
func htmlCauses(hosts []htmlHost) []htmlCause {
	by := map[string]*htmlCause{}
	var out []*htmlCause
	for _, h := range hosts {
		if !h.Attention {
			continue
		}
		c := by[h.Cause]
		if c == nil {
			c = &htmlCause{Code: h.Cause}
			if info, ok := CodeInfoFor(h.Cause); ok {
				c.Meaning, c.Action = codeSpans(info.Meaning), codeSpans(info.Action)
			}
			by[h.Cause] = c
			out = append(out, c)
		}
		c.N++
		if len(c.Hosts) < HTMLCauseHosts {
			c.Hosts = append(c.Hosts, htmlLink{Anchor: h.Anchor, Name: h.H.Host})
		} else {
			c.More++
		}
	}
	slices.SortStableFunc(out, func(a, b *htmlCause) int {
		return cmp.Or(b.N-a.N, cmp.Compare(a.Code, b.Code))
	})
	res := make([]htmlCause, len(out))
	for i, c := range out {
		res[i] = *c
	}
	return res
}

// codeSpans escapes s for HTML and turns `code` spans into <code>.
func codeSpans(s string) template.HTML {
	var b strings.Builder
	for i, part := range strings.Split(s, "`") {
		esc := template.HTMLEscapeString(part)
		if i%2 == 1 {
			esc = "<code>" + esc + "</code>"
		}
		b.WriteString(esc)
	}
	return template.HTML(b.String())
}
