package reports

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// SummaryLimit is how many hosts WriteSummary lists in its details before
// "and N more", and how many host names WriteSummaryJSON gives per cause,
// unless SummaryOptions.Limit says otherwise.
const SummaryLimit = 20

// causeNames is how many host names a cause line of the text summary shows
// before "and N more".
const causeNames = 3

// SummaryOptions configure WriteSummary and WriteSummaryJSON.
type SummaryOptions struct {
	// Paths are the reports the run wrote, in order; "-" is standard
	// output.
	Paths []string
	// Color wraps the status words and causes in ANSI colours: green for
	// hosts in the desired state, red for drift, yellow for hosts that
	// could not be checked. The CLI sets it on a terminal only, unless
	// NO_COLOR is set or TERM is dumb.
	Color bool
	// Limit caps the per-host detail lines of the text form and the host
	// names per cause of the JSON form: 0 means SummaryLimit, a negative
	// value means no cap.
	Limit int
	// Quiet writes nothing when no host needs attention (--quiet: a
	// scheduled scan mails only when there is something to do).
	Quiet bool
	// ExitCode is the process exit code the JSON form reports. The CLI,
	// which defines the exit codes, passes the code the process exits with.
	ExitCode int
}

func (o SummaryOptions) limit() int {
	switch {
	case o.Limit == 0:
		return SummaryLimit
	case o.Limit < 0:
		return int(^uint(0) >> 1)
	}
	return o.Limit
}

// NeedsAttention reports whether any host of r needs a human: any status
// other than compliant and changed. With --quiet the CLI prints the summary
// only when it does.
func NeedsAttention(r *Report) bool {
	return slices.ContainsFunc(r.Hosts, func(h Host) bool { return h.Status.NeedsAttention() })
}

// CauseOf is what a host needing attention is grouped under in the
// summaries: its reason code; for a drifted host without one, the code of
// its first check that did not pass and has a code; else its status
// (unreachable, timeout, ...).
func CauseOf(h Host) string {
	if h.Code != "" {
		return h.Code
	}
	if h.Status.Drift() {
		for _, c := range h.Checks {
			if !c.Status.OK() && c.Code != "" {
				return c.Code
			}
		}
	}
	return string(h.Status)
}

// CauseGroup is the hosts needing attention that share a cause.
type CauseGroup struct {
	Cause string
	// Status is the most pressing status among the hosts (drift before
	// could-not-check), for colour and order.
	Status HostStatus
	// Hosts are the host names in the order given to Causes.
	Hosts []string
}

// Causes groups the hosts that need attention by CauseOf: the biggest
// group first; on a tie by status in the order of the details (drift
// first, then hosts that could not be checked, each in HostStatuses
// order), then by cause name. Host names keep the order of hosts.
func Causes(hosts []Host) []CauseGroup {
	index := map[string]int{}
	var groups []CauseGroup
	for _, h := range hosts {
		if !h.Status.NeedsAttention() {
			continue
		}
		cause := CauseOf(h)
		i, ok := index[cause]
		if !ok {
			i = len(groups)
			index[cause] = i
			groups = append(groups, CauseGroup{Cause: cause, Status: h.Status})
		}
		g := &groups[i]
		g.Hosts = append(g.Hosts, h.Host)
		if h.Status.rank() < g.Status.rank() {
			g.Status = h.Status
		}
	}
	slices.SortStableFunc(groups, func(a, b CauseGroup) int {
		return cmp.Or(cmp.Compare(len(b.Hosts), len(a.Hosts)), cmp.Compare(a.Status.rank(), b.Status.rank()), cmp.Compare(a.Cause, b.Cause))
	})
	return groups
}

// WriteSummary writes the few lines printed at the end of every run: the
// counts by status; the hosts that need attention grouped by cause (a
// count and the first few host names per cause, biggest cause first) when
// some cause has more than one host; then one line per host with its
// status and reason (drift first, then hosts that could not be checked; at
// most Limit, then "and N more"); and where the reports were written ("-"
// is shown as "stdout"). With Quiet it writes nothing when no host needs
// attention. Text taken from hosts is made single-line and its control
// characters escaped, so remote output cannot move the terminal's cursor
// or colour it; only Color adds escape sequences.
func WriteSummary(w io.Writer, r *Report, o SummaryOptions) error {
	n, err := normalize(r)
	if err != nil {
		return err
	}
	if o.Quiet && !NeedsAttention(n) {
		return nil
	}
	p := painter(o.Color)
	ew := &errWriter{w: w}
	ew.printf("%s\n", headline(n, p))
	attention := needingAttention(n.Hosts)
	if len(attention) > 0 {
		limit := o.limit()
		shown := attention[:min(len(attention), limit)]
		// The grouping is left out when every cause has one host: it
		// would repeat the details line for line.
		if causes := Causes(attention); len(causes) < len(attention) {
			ew.printf("needs attention: %d %s, by cause:\n", len(attention), plural(len(attention), "host", "hosts"))
			writeCauses(ew, causes, p)
			if len(shown) < len(attention) {
				ew.printf("first %d of %d:\n", len(shown), len(attention))
			} else {
				ew.printf("hosts:\n")
			}
		} else {
			ew.printf("needs attention (%d):\n", len(attention))
		}
		writeDetails(ew, shown, p)
		if more := len(attention) - len(shown); more > 0 {
			ew.printf("  and %d more\n", more)
		}
	}
	if len(o.Paths) > 0 {
		shown := make([]string, len(o.Paths))
		for i, path := range o.Paths {
			shown[i] = oneLine(path)
			if path == "-" {
				shown[i] = "stdout"
			}
		}
		ew.printf("reports written: %s\n", strings.Join(shown, ", "))
	}
	return ew.err
}

// writeCauses writes "  too_open  12 hosts: sql001, sql007, sql013 and 9
// more", causes and counts in aligned columns.
func writeCauses(ew *errWriter, causes []CauseGroup, p painter) {
	causeWidth, countWidth := 0, 0
	for _, g := range causes {
		causeWidth = max(causeWidth, utf8.RuneCountInString(oneLine(g.Cause)))
		countWidth = max(countWidth, len(fmt.Sprint(len(g.Hosts))))
	}
	for _, g := range causes {
		cause := oneLine(g.Cause)
		names := make([]string, 0, causeNames)
		for _, h := range g.Hosts[:min(len(g.Hosts), causeNames)] {
			names = append(names, oneLine(h))
		}
		list := strings.Join(names, ", ")
		if more := len(g.Hosts) - len(names); more > 0 {
			list += fmt.Sprintf(" and %d more", more)
		}
		unit := "hosts:"
		if len(g.Hosts) == 1 {
			unit = "host: "
		}
		ew.printf("  %s%s  %*d %s %s\n", p.paint(cause, g.Status), pad(cause, causeWidth), countWidth, len(g.Hosts), unit, list)
	}
}

// writeDetails writes one "  host  status  reason" line per host, in
// aligned columns (as text/tabwriter would, which cannot be used: it would
// count colour sequences as text).
func writeDetails(ew *errWriter, hosts []Host, p painter) {
	hostWidth, statusWidth := 0, 0
	for _, h := range hosts {
		hostWidth = max(hostWidth, utf8.RuneCountInString(oneLine(h.Host)))
		statusWidth = max(statusWidth, utf8.RuneCountInString(string(h.Status)))
	}
	for _, h := range hosts {
		host, status := oneLine(h.Host), string(h.Status)
		msg := oneLine(hostMessage(h))
		line := "  " + host + pad(host, hostWidth) + "  " + p.paint(status, h.Status)
		if msg != "" {
			line += pad(status, statusWidth) + "  " + msg
		}
		ew.printf("%s\n", line)
	}
}

// pad is the spaces that bring s to width columns.
func pad(s string, width int) string {
	return strings.Repeat(" ", max(0, width-utf8.RuneCountInString(s)))
}

// headline is "scan of 6 hosts with ssis-firewall in 1m5s: 3 compliant, ...".
func headline(n *Report, p painter) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s of %d %s with %s", n.Mode, len(n.Hosts), plural(len(n.Hosts), "host", "hosts"), oneLine(orNone(n.Playbook)))
	if d := n.Duration(); d > 0 {
		fmt.Fprintf(&b, " in %s", d.Round(time.Millisecond))
	}
	b.WriteString(": " + countsLine(n.Summary, p))
	return b.String()
}

// painter colours status words when it is true.
type painter bool

// paint wraps s in the SGR colour of status st: green for OK, red for
// drift, yellow for could-not-check.
func (p painter) paint(s string, st HostStatus) string {
	if !p || s == "" {
		return s
	}
	code := ""
	switch {
	case st.OK():
		code = "32"
	case st.Drift():
		code = "31"
	case st.Unchecked():
		code = "33"
	default:
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// SummarySchema is the "schema" value of WriteSummaryJSON's object.
const SummarySchema = "winfleet.summary/v1"

// jsonSummaryLine is the object WriteSummaryJSON writes. Its first keys are
// those of log/slog's JSON handler, so the line sits in a --log-format json
// stream like any other record.
type jsonSummaryLine struct {
	Time           *time.Time  `json:"time,omitempty"`
	Level          string      `json:"level"`
	Msg            string      `json:"msg"`
	Schema         string      `json:"schema"`
	RunID          string      `json:"run_id"`
	Mode           Mode        `json:"mode"`
	Playbook       string      `json:"playbook"`
	Hosts          int         `json:"hosts"`
	DurationMS     int64       `json:"duration_ms"`
	Summary        jsonSummary `json:"summary"`
	NeedsAttention int         `json:"needs_attention"`
	Causes         []jsonCause `json:"causes"`
	Reports        []string    `json:"reports"`
	ExitCode       int         `json:"exit_code"`
}

type jsonCause struct {
	Cause  string     `json:"cause"`
	Status HostStatus `json:"status"`
	Count  int        `json:"count"`
	Hosts  []string   `json:"hosts"`
	More   int        `json:"more"`
}

// WriteSummaryJSON writes the end-of-run summary as one JSON object on one
// line, for --log-format json:
//
//	{"time":"2026-11-26T02:01:05.25Z","level":"WARN","msg":"summary",
//	 "schema":"winfleet.summary/v1","run_id":"...","mode":"scan",
//	 "playbook":"ssis-firewall","hosts":320,"duration_ms":242000,
//	 "summary":{"compliant":250,...every status...},"needs_attention":70,
//	 "causes":[{"cause":"too_open","status":"noncompliant","count":24,
//	            "hosts":["sql001",...at most Limit],"more":4}],
//	 "reports":["run.json","-"],"exit_code":2}
//
// time is the run's end (left out if unknown); level is INFO when the exit
// code is 0, else WARN; causes are ordered as in Causes and list at most
// Limit host names each ("more" counts the rest: the JSON report has every
// host); reports are the paths as given ("-" is stdout). With Quiet it
// writes nothing when no host needs attention.
func WriteSummaryJSON(w io.Writer, r *Report, o SummaryOptions) error {
	n, err := normalize(r)
	if err != nil {
		return err
	}
	if o.Quiet && !NeedsAttention(n) {
		return nil
	}
	line := jsonSummaryLine{
		Level: "INFO", Msg: "summary", Schema: SummarySchema,
		RunID: n.RunID, Mode: n.Mode, Playbook: n.Playbook, Hosts: len(n.Hosts),
		DurationMS: n.Duration().Milliseconds(), Summary: jsonSummary(n.Summary),
		Causes: []jsonCause{}, Reports: append([]string{}, o.Paths...),
		ExitCode: o.ExitCode,
	}
	if !n.FinishedAt.IsZero() {
		line.Time = &n.FinishedAt
	}
	if line.ExitCode != 0 {
		line.Level = "WARN"
	}
	attention := needingAttention(n.Hosts)
	line.NeedsAttention = len(attention)
	limit := o.limit()
	for _, g := range Causes(attention) {
		shown := g.Hosts[:min(len(g.Hosts), limit)]
		line.Causes = append(line.Causes, jsonCause{
			Cause: g.Cause, Status: g.Status, Count: len(g.Hosts),
			Hosts: shown, More: len(g.Hosts) - len(shown),
		})
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(line); err != nil {
		return err
	}
	_, err = io.WriteString(w, b.String())
	return err
}
