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
	Skipped  int          `xml:"skipped,attr"`
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

// HostCaseName is the JUnit test case name used for a host-level result.
const HostCaseName = "host status"

// WriteJUnit writes r as JUnit XML so CI systems (GitLab, Jenkins, GitHub
// Actions reporters, Azure DevOps) show a run as tests: one <testsuite> for
// the run; one <testcase> per host and check, with classname the host name
// and name the check name (its id if it has no name). A check that failed or
// would change is a <failure>, an error check an <error>, a skipped check
// <skipped>; pass and changed pass. A host gets one extra test case named
// HostCaseName when it has no checks, or when its own status carries what
// its checks do not: a status that could not be checked is an <error>
// (skipped and cancelled: <skipped>), a drift status with no failing check
// a <failure>. Non-passing
// cases carry the commands and raw output in <system-out>.
func WriteJUnit(w io.Writer, r *Report) error {
	n, err := normalize(r)
	if err != nil {
		return err
	}
	suite := junitSuite{
		Name: fmt.Sprintf("winfleet %s %s", n.Mode, n.Playbook),
		Time: seconds(n.Duration()),
		Properties: []junitProperty{
			{"run_id", n.RunID}, {"mode", string(n.Mode)}, {"playbook", n.Playbook}, {"inventory", n.Inventory},
		},
	}
	if !n.StartedAt.IsZero() {
		suite.Timestamp = n.StartedAt.Format("2006-01-02T15:04:05Z")
	}
	for _, h := range n.Hosts {
		anyBadCheck := false
		for _, c := range h.Checks {
			tc := junitCase{Classname: h.Host, Name: c.Name}
			if tc.Name == "" {
				tc.Name = c.ID
			}
			msg := oneLine(fmt.Sprintf("expected %s, actual %s", orNone(c.Expected), orNone(c.Actual)))
			detail := xmlSafe(checkDetail(h, c))
			switch c.Status {
			case CheckFail, CheckWouldChange:
				tc.Failure = &junitOutcome{Message: msg, Type: string(c.Status), Text: detail}
			case CheckError:
				tc.Error = &junitOutcome{Message: msg, Type: string(c.Status), Text: detail}
			case CheckSkipped:
				tc.Skipped = &junitOutcome{Message: "skipped"}
			}
			if !c.Status.OK() && c.Status != CheckSkipped {
				anyBadCheck = true
				if out := commandsAndOutput(c); out != "" {
					tc.SystemOut = &junitText{Text: xmlSafe(out)}
				}
			}
			suite.add(tc)
		}
		if len(h.Checks) > 0 && (h.Status.OK() || (h.Status.Drift() && anyBadCheck)) {
			continue
		}
		tc := junitCase{Classname: h.Host, Name: HostCaseName, Time: seconds(time.Duration(h.DurationMS) * time.Millisecond)}
		msg := oneLine(hostMessage(h))
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
		suite.add(tc)
	}
	out := junitSuites{
		Name: "winfleet", Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors,
		Skipped: suite.Skipped, Time: suite.Time, Suites: []junitSuite{suite},
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

// xmlSafe replaces what XML 1.0 cannot carry even in CDATA (control
// characters other than tab, LF and CR; U+FFFE, U+FFFF; invalid UTF-8) with
// U+FFFD. encoding/xml escapes attributes and character data itself but
// writes CDATA sections as given.
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

func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

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

func hostDetail(h Host) string {
	var b strings.Builder
	fmt.Fprintf(&b, "host: %s\naddress: %s\nstatus: %s\n", h.Host, h.Address, h.Status)
	if h.Reason != "" {
		fmt.Fprintf(&b, "reason: %s\n", h.Reason)
	}
	if h.Error != "" {
		fmt.Fprintf(&b, "error: %s\n", h.Error)
	}
	return b.String()
}

func checkDetail(h Host, c Check) string {
	var b strings.Builder
	fmt.Fprintf(&b, "host: %s\ncheck: %s\nstatus: %s\nexpected: %s\nactual: %s\n", h.Host, c.ID, c.Status, c.Expected, c.Actual)
	if h.Reason != "" {
		fmt.Fprintf(&b, "host reason: %s\n", h.Reason)
	}
	return b.String()
}

func commandsAndOutput(c Check) string {
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
