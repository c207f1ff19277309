package history

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/winfleet/winfleet/reports"
)

// TrendSchema is the "schema" value of the JSON form of a Trend.
const TrendSchema = "winfleet.trend/v1"

// Trend is the history of a fleet day by day: per calendar day the host
// counts by status of that day's last run, and every host whose status
// changed from one day's last run to the next.
type Trend struct {
	Schema string `json:"schema"` // TrendSchema
	From   string `json:"from"`   // first day shown, YYYY-MM-DD ("" when there is no run)
	To     string `json:"to"`     // last day shown
	// Days has one entry per calendar day from From to To, days without a
	// run included (Runs 0, no counts): a gap in a nightly schedule shows.
	Days []Day `json:"days"`
	// Changes lists every status change between consecutive days' last
	// runs, by day then host.
	Changes []StatusChange `json:"changes"`
}

// Day is one calendar day of a Trend.
type Day struct {
	Date string `json:"date"` // YYYY-MM-DD in the Store's Location
	Runs int    `json:"runs"` // runs started that day
	// RunID and StartedAt identify the day's last run, whose counts these
	// are; empty when Runs is 0 or the last run could not be read.
	RunID     string    `json:"run_id"`
	StartedAt time.Time `json:"started_at"`
	Hosts     int       `json:"hosts"`
	// Counts has every host status, zeros included, when the day has a
	// readable run; null otherwise.
	Counts map[reports.HostStatus]int `json:"counts"`
	// Outcome is what the day's last run amounts to: "ok", "unchecked"
	// or "drift" (reports.Outcome; a scan of it exits 0, 3 or 2); "" when
	// the day has no readable run.
	Outcome string `json:"outcome"`
}

// StatusChange is one host whose status differs between the last runs of
// two consecutive days with runs. From is "" for a host new that day, To
// "" for a host no longer in the run.
type StatusChange struct {
	Date string             `json:"date"` // the day of the new status
	Host string             `json:"host"`
	From reports.HostStatus `json:"from"`
	To   reports.HostStatus `json:"to"`
}

// Trend computes the per-day history from day from to day to (calendar
// days in the Store's Location; the times' clock parts are ignored),
// clipped to the days that have runs: a zero from starts at the first run,
// a zero to ends at the last. Each day is represented by its last
// readable run; the first day's changes are computed against the last
// readable run before it, when there is one. Only one report per day is
// read. Unreadable and foreign files are returned as Problems.
func (s *Store) Trend(from, to time.Time) (*Trend, []Problem, error) {
	entries, problems, err := s.List()
	if err != nil {
		return nil, nil, err
	}
	tr := &Trend{Schema: TrendSchema, Days: []Day{}, Changes: []StatusChange{}}
	if len(entries) == 0 {
		return tr, problems, nil
	}
	day := func(t time.Time) time.Time {
		y, m, d := t.In(s.loc).Date()
		return time.Date(y, m, d, 0, 0, 0, 0, s.loc)
	}
	first, last := day(entries[0].Time), day(entries[len(entries)-1].Time)
	if !from.IsZero() {
		first = later(first, day(from))
	}
	if !to.IsZero() {
		last = earlier(last, day(to))
	}
	if last.Before(first) {
		return tr, problems, nil
	}
	tr.From, tr.To = first.Format(DateLayout), last.Format(DateLayout)

	// Entries per day, and the baseline: entries before the first day.
	byDay := map[string][]Entry{}
	var baseline []Entry
	end := last.AddDate(0, 0, 1)
	for _, e := range entries {
		switch {
		case e.Time.Before(first):
			baseline = append(baseline, e)
		case e.Time.Before(end):
			k := day(e.Time).Format(DateLayout)
			byDay[k] = append(byDay[k], e)
		}
	}
	var prev *reports.Report
	base, more := s.newestReadable(baseline, 1)
	problems = append(problems, more...)
	if len(base) == 1 {
		prev = base[0].Report
	}
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		k := d.Format(DateLayout)
		es := byDay[k]
		td := Day{Date: k, Runs: len(es)}
		runs, more := s.newestReadable(es, 1)
		problems = append(problems, more...)
		if len(runs) == 1 {
			r := runs[0].Report
			td.RunID, td.StartedAt = r.RunID, r.StartedAt.UTC()
			td.Hosts = len(r.Hosts)
			reports.Summarize(r) // every status, zeros included
			td.Counts = r.Summary
			td.Outcome = reports.Outcome(r).String()
			if prev != nil {
				tr.Changes = append(tr.Changes, statusChanges(k, prev, r)...)
			}
			prev = r
		}
		tr.Days = append(tr.Days, td)
	}
	return tr, problems, nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// statusChanges lists the hosts whose status differs between two runs,
// sorted by host name.
func statusChanges(date string, old, new *reports.Report) []StatusChange {
	was := make(map[string]reports.HostStatus, len(old.Hosts))
	for _, h := range old.Hosts {
		was[h.Host] = h.Status
	}
	var out []StatusChange
	seen := make(map[string]bool, len(new.Hosts))
	for _, h := range new.Hosts {
		seen[h.Host] = true
		if prev, ok := was[h.Host]; !ok || prev != h.Status {
			out = append(out, StatusChange{Date: date, Host: h.Host, From: prev, To: h.Status})
		}
	}
	for _, h := range old.Hosts {
		if !seen[h.Host] {
			out = append(out, StatusChange{Date: date, Host: h.Host, From: h.Status})
		}
	}
	slices.SortFunc(out, func(a, b StatusChange) int { return cmp.Compare(a.Host, b.Host) })
	return out
}

// WriteJSON writes the trend as indented JSON (schema TrendSchema) with a
// trailing newline.
func (tr *Trend) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(tr)
}

// WriteText writes the trend for a human: a table with one row per day
// (runs, hosts, then one column per host status that is non-zero on some
// day, in reports.HostStatuses order, and the outcome), then the status
// changes. Host names are made single-line with control characters
// escaped, so a report cannot drive the terminal.
func (tr *Trend) WriteText(w io.Writer) error {
	if len(tr.Days) == 0 {
		_, err := fmt.Fprintln(w, "no runs in the history for these days")
		return err
	}
	var cols []reports.HostStatus
	for _, st := range reports.HostStatuses {
		for _, d := range tr.Days {
			if d.Counts[st] > 0 {
				cols = append(cols, st)
				break
			}
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := []string{"date", "runs", "hosts"}
	for _, st := range cols {
		head = append(head, string(st))
	}
	head = append(head, "outcome")
	fmt.Fprintf(tw, "%s\n", strings.Join(head, "\t"))
	for _, d := range tr.Days {
		row := []string{d.Date, fmt.Sprint(d.Runs)}
		if d.Counts == nil {
			row = append(row, "-")
			for range cols {
				row = append(row, "-")
			}
			row = append(row, "-")
		} else {
			row = append(row, fmt.Sprint(d.Hosts))
			for _, st := range cols {
				row = append(row, fmt.Sprint(d.Counts[st]))
			}
			row = append(row, d.Outcome)
		}
		fmt.Fprintf(tw, "%s\n", strings.Join(row, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(tr.Changes) == 0 {
		_, err := fmt.Fprintln(w, "\nno host changed status")
		return err
	}
	if _, err := fmt.Fprintf(w, "\nstatus changes (%d):\n", len(tr.Changes)); err != nil {
		return err
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range tr.Changes {
		fmt.Fprintf(tw, "  %s\t%s\t%s -> %s\n", c.Date, safeText(c.Host), orDash(string(c.From)), orDash(string(c.To)))
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// safeText makes report text safe for a terminal table: valid UTF-8, one
// line, control characters (and tabwriter's 0xff escape) as \x.. escapes.
func safeText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			fmt.Fprintf(&b, `\x%02x`, r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
