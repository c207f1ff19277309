package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr,omitempty"`
	Failure   *junitOutcome `xml:"failure"`
	Error     *junitOutcome `xml:"error"`
	Skipped   *junitOutcome `xml:"skipped"`
	SystemOut *junitText    `xml:"system-out"`
}

type junitOutcome struct {
	Message string `xml:"message,attr,omitempty"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",cdata"`
}

type junitText struct {
	Text string `xml:",cdata"`
}

// HostCaseName is the JUnit test case name (after "HOST: ") of a
// host-level result.
const HostCaseName = "host status"

// JUnitClassname is the classname of every test case of a run of the
// playbook: its name with dots made underscores (Jenkins splits a classname
// at its last dot into package and class), "winfleet" if it has none.
func JUnitClassname(playbook string) string {
	c := strings.ReplaceAll(oneLine(playbook), ".", "_")
	if c == "" {
		return "winfleet"
	}
	return c
}

// WriteJUnit writes r as JUnit XML for CI systems (Jenkins, GitLab, GitHub
// Actions reporters, Azure DevOps): one <testsuite> per host, named after
// the host; one <testcase> per check, with classname JUnitClassname and name
// "HOST: ID (NAME)", unique in the report (a second check with the same
// label gets " #2"). A check that failed or would change is a <failure>,
// an error check an <error>, a skipped check <skipped>; pass and changed
// pass. The message is the reason code and what differs. A host gets one
// extra case "HOST: host status" when it has no checks, or when its status
// carries what its checks do not: a status that could not be checked is an
// <error> (skipped and cancelled: <skipped>), a drift status with no failing
// check a <failure>. Cases keep their evidence (commands and raw output) in
// <system-out> as o.Evidence says. The document is valid under the JUnit
// schema of the Jenkins xunit plugin (testdata/junit-jenkins.xsd).
func WriteJUnit(w io.Writer, r *Report, o WriteOptions) error {
	o, err := o.check()
	if err != nil {
		return err
	}
	n, err := normalize(r)
	if err != nil {
		return err
	}
	out := junitSuites{Name: oneLine(fmt.Sprintf("winfleet %s %s", n.Mode, n.Playbook)), Time: seconds(n.Duration())}
	class := JUnitClassname(n.Playbook)
	timestamp := ""
	if !n.StartedAt.IsZero() {
		timestamp = n.StartedAt.Format("2006-01-02T15:04:05Z")
	}
	for _, h := range n.Hosts {
		s := junitHost(h, n, class, o)
		s.Timestamp = timestamp
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Errors += s.Errors
		out.Suites = append(out.Suites, s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err = io.WriteString(w, "\n")
	return err
}

// junitHost is the test suite of one host.
func junitHost(h Host, n *Report, class string, o WriteOptions) junitSuite {
	s := junitSuite{
		Name: xmlSafe(h.Host),
		Time: seconds(time.Duration(h.DurationMS) * time.Millisecond),
		Properties: []junitProperty{
			{"run_id", n.RunID}, {"mode", string(n.Mode)}, {"playbook", n.Playbook},
			{"address", h.Address}, {"status", string(h.Status)},
		},
	}
	for _, p := range []junitProperty{{"code", hostCode(h)}, {"windows_version", h.WindowsVersion}, {"dialect", h.Dialect}} {
		if p.Value != "" {
			s.Properties = append(s.Properties, p)
		}
	}
	for i := range s.Properties {
		s.Properties[i].Value = xmlSafe(s.Properties[i].Value)
	}
	names := map[string]int{}
	unique := func(label string) string {
		name := xmlSafe(oneLine(h.Host + ": " + label))
		names[name]++
		if k := names[name]; k > 1 {
			name += " #" + strconv.Itoa(k)
		}
		return name
	}
	anyBadCheck := false
	for _, c := range h.Checks {
		tc := junitCase{Classname: class, Name: unique(checkLabel(c))}
		detail := xmlSafe(checkDetail(h, c))
		switch c.Status {
		case CheckFail, CheckWouldChange:
			tc.Failure = &junitOutcome{Message: xmlSafe(checkMessage(c)), Type: string(c.Status), Text: detail}
		case CheckError:
			tc.Error = &junitOutcome{Message: xmlSafe(checkMessage(c)), Type: string(c.Status), Text: detail}
		case CheckSkipped:
			tc.Skipped = &junitOutcome{Message: "skipped"}
		}
		if c.Status.Failing() {
			anyBadCheck = true
		}
		if o.keepEvidence(c) {
			if ev := evidence(c); ev != "" {
				tc.SystemOut = &junitText{Text: xmlSafe(ev)}
			}
		}
		s.add(tc)
	}
	if len(h.Checks) > 0 && (h.Status.OK() || (h.Status.Drift() && anyBadCheck)) {
		return s
	}
	tc := junitCase{Classname: class, Name: unique(HostCaseName), Time: s.Time}
	msg := oneLine(hostMessage(h))
	if c := hostCode(h); c != "" {
		msg = c + ": " + msg
	}
	msg = xmlSafe(msg)
	text := xmlSafe(hostDetail(h))
	switch {
	case h.Status.OK():
	case h.Status == StatusSkipped || h.Status == StatusCancelled:
		tc.Skipped = &junitOutcome{Message: msg}
	case h.Status.Drift():
		tc.Failure = &junitOutcome{Message: msg, Type: string(h.Status), Text: text}
	default:
		tc.Error = &junitOutcome{Message: msg, Type: string(h.Status), Text: text}
	}
	s.add(tc)
	return s
}

func (s *junitSuite) add(tc junitCase) {
	s.Tests++
	switch {
	case tc.Failure != nil:
		s.Failures++
	case tc.Error != nil:
		s.Errors++
	case tc.Skipped != nil:
		s.Skipped++
	}
	s.Cases = append(s.Cases, tc)
}

// xmlSafe replaces what XML 1.0 cannot carry even in CDATA (control
// characters other than tab, LF and CR; U+FFFE, U+FFFF; invalid UTF-8) with
// U+FFFD. encoding/xml escapes attributes and character data itself but
// writes CDATA sections as given, and it refuses no character in attributes.
func xmlSafe(s string) string {
	ok := func(r rune) bool {
		return r == '\t' || r == '\n' || r == '\r' ||
			r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
	}
	return strings.Map(func(r rune) rune {
		if ok(r) {
			return r
		}
		return '\uFFFD'
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// seconds is a duration as JUnit writes it: seconds with three decimals
// (Jenkins' schema wants digits, a dot and digits: never negative).
func seconds(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
}
