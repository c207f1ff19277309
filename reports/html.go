package reports

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"time"
)

//go:embed templates/report.html.tmpl
var htmlFS embed.FS

type htmlHost struct {
	H        Host
	Anchor   string
	Class    string
	Message  string
	Duration time.Duration
}

type htmlCount struct {
	Status HostStatus
	Class  string
	N      int
}

type htmlData struct {
	R                           *Report
	Started, Finished, Duration string
	Counts                      []htmlCount
	Hosts, Attention            []htmlHost
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

// WriteHTML writes r as one self-contained HTML page (inline CSS, no script,
// no external asset, so it can be mailed or attached to a ticket): the run's
// metadata, the counts by status, the hosts needing attention linked to
// their rows, and every host with its checks, commands and raw output in
// collapsible sections (open for checks that did not pass). All report text
// is escaped by html/template.
func WriteHTML(w io.Writer, r *Report) error {
	n, err := normalize(r)
	if err != nil {
		return err
	}
	tmpl, err := template.New("report.html.tmpl").
		Funcs(template.FuncMap{"checkClass": checkClass}).
		ParseFS(htmlFS, "templates/report.html.tmpl")
	if err != nil {
		return fmt.Errorf("parse html template: %w", err)
	}
	d := htmlData{R: n, Started: timeText(n.StartedAt), Finished: timeText(n.FinishedAt), Duration: "-"}
	if dur := n.Duration(); dur > 0 {
		d.Duration = dur.Round(time.Millisecond).String()
	}
	for _, s := range HostStatuses {
		if c := n.Summary[s]; c > 0 {
			d.Counts = append(d.Counts, htmlCount{Status: s, Class: hostClass(s), N: c})
		}
	}
	toHTML := func(i int, h Host) htmlHost {
		return htmlHost{H: h, Anchor: fmt.Sprintf("host-%d", i), Class: hostClass(h.Status),
			Message: hostMessage(h), Duration: time.Duration(h.DurationMS) * time.Millisecond}
	}
	index := make(map[string]int, len(n.Hosts))
	for i, h := range n.Hosts {
		index[h.Host] = i
		d.Hosts = append(d.Hosts, toHTML(i, h))
	}
	for _, h := range needingAttention(n.Hosts) {
		d.Attention = append(d.Attention, toHTML(index[h.Host], h))
	}
	return tmpl.Execute(w, d)
}
