package reports

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"
)

// DiffSchema is the "schema" value of the JSON form of a Delta.
const DiffSchema = "winfleet.diff/v1"

// Change classifies how one host moved between two runs. Host statuses fall
// in three classes: OK (compliant, changed), drift (noncompliant, failed,
// would_change) and unchecked (unreachable, auth_failed, timeout, error,
// skipped, cancelled).
type Change string

// Host changes between an old and a new run.
const (
	ChangeDrifted        Change = "drifted"         // OK or unchecked before, drift now: the nightly alarm
	ChangeStillFailing   Change = "still_failing"   // drift before and now
	ChangeUnchecked      Change = "unchecked"       // OK or drift before, could not be checked now
	ChangeStillUnchecked Change = "still_unchecked" // could not be checked before or now
	ChangeAdded          Change = "added"           // only in the new run
	ChangeRemoved        Change = "removed"         // only in the old run
	ChangeFixed          Change = "fixed"           // drift before, OK now
	ChangeRecovered      Change = "recovered"       // could not be checked before, OK now
	ChangeUnchanged      Change = "unchanged"       // OK before and now
)

// Changes lists every Change in the order reports show them: what needs
// action first.
func Changes() []Change {
	return []Change{ChangeDrifted, ChangeStillFailing, ChangeUnchecked, ChangeStillUnchecked,
		ChangeAdded, ChangeRemoved, ChangeFixed, ChangeRecovered, ChangeUnchanged}
}

// RunRef identifies one side of a diff.
type RunRef struct {
	RunID     string    `json:"run_id"`
	Mode      Mode      `json:"mode"`
	Playbook  string    `json:"playbook"`
	StartedAt time.Time `json:"started_at"`
}

// Delta is what changed between two runs, host by host.
type Delta struct {
	Schema string         `json:"schema"` // DiffSchema
	Old    RunRef         `json:"old"`
	New    RunRef         `json:"new"`
	Counts map[Change]int `json:"counts"` // hosts per Change, every Change present
	// Hosts lists, sorted by name, every host whose Change is not
	// "unchanged", and unchanged hosts whose checks changed.
	Hosts []HostDelta `json:"hosts"`
}

// HostDelta is one host's move between two runs. OldStatus is empty for an
// added host, NewStatus for a removed one.
type HostDelta struct {
	Host      string       `json:"host"`
	Change    Change       `json:"change"`
	OldStatus HostStatus   `json:"old_status"`
	NewStatus HostStatus   `json:"new_status"`
	Reason    string       `json:"reason"` // the new run's reason (the old one's for a removed host)
	Checks    []CheckDelta `json:"checks"`
}

// CheckDelta is a check whose status or actual state differs between the
// runs, matched by check id (by name for checks without an id). Checks are
// compared only when the host has checks in both runs. A status is empty
// on the side where the check is absent.
type CheckDelta struct {
	ID        string      `json:"id"`
	Name      string      `json:"name"`
	OldStatus CheckStatus `json:"old_status"`
	NewStatus CheckStatus `json:"new_status"`
	OldActual string      `json:"old_actual"`
	NewActual string      `json:"new_actual"`
}

type statusClass int

const (
	classOK statusClass = iota
	classDrift
	classUnchecked
)

func classOf(s HostStatus) statusClass {
	switch {
	case s.OK():
		return classOK
	case s.Drift():
		return classDrift
	}
	return classUnchecked
}

func classify(old, new HostStatus) Change {
	switch o, n := classOf(old), classOf(new); {
	case n == classDrift && o == classDrift:
		return ChangeStillFailing
	case n == classDrift:
		return ChangeDrifted
	case n == classUnchecked && o == classUnchecked:
		return ChangeStillUnchecked
	case n == classUnchecked:
		return ChangeUnchecked
	case o == classDrift:
		return ChangeFixed
	case o == classUnchecked:
		return ChangeRecovered
	}
	return ChangeUnchanged
}

// Diff compares two runs host by host (matched by host name) for the
// nightly "what drifted since yesterday" question. Runs of different modes
// or playbooks can be compared; the Delta records both. Neither report is
// modified.
func Diff(oldR, newR *Report) *Delta {
	d := &Delta{
		Schema: DiffSchema,
		Old:    runRef(oldR),
		New:    runRef(newR),
		Counts: make(map[Change]int),
		Hosts:  []HostDelta{},
	}
	for _, c := range Changes() {
		d.Counts[c] = 0
	}
	oldHosts := make(map[string]*Host, len(oldR.Hosts))
	for i := range oldR.Hosts {
		oldHosts[oldR.Hosts[i].Host] = &oldR.Hosts[i]
	}
	seen := make(map[string]bool, len(newR.Hosts))
	for i := range newR.Hosts {
		nh := &newR.Hosts[i]
		seen[nh.Host] = true
		hd := HostDelta{Host: nh.Host, NewStatus: nh.Status, Reason: hostMessage(*nh), Checks: []CheckDelta{}}
		if oh, ok := oldHosts[nh.Host]; ok {
			hd.OldStatus = oh.Status
			hd.Change = classify(oh.Status, nh.Status)
			hd.Checks = diffChecks(oh.Checks, nh.Checks)
		} else {
			hd.Change = ChangeAdded
		}
		d.add(hd)
	}
	for i := range oldR.Hosts {
		oh := &oldR.Hosts[i]
		if seen[oh.Host] {
			continue
		}
		seen[oh.Host] = true // a duplicate in an invalid report counts once
		d.add(HostDelta{Host: oh.Host, Change: ChangeRemoved, OldStatus: oh.Status, Reason: hostMessage(*oh), Checks: []CheckDelta{}})
	}
	slices.SortFunc(d.Hosts, func(a, b HostDelta) int { return cmp.Compare(a.Host, b.Host) })
	return d
}

func (d *Delta) add(hd HostDelta) {
	d.Counts[hd.Change]++
	if hd.Change != ChangeUnchanged || len(hd.Checks) > 0 {
		d.Hosts = append(d.Hosts, hd)
	}
}

func runRef(r *Report) RunRef {
	return RunRef{RunID: r.RunID, Mode: r.Mode, Playbook: r.Playbook, StartedAt: r.StartedAt.UTC()}
}

func checkKey(c Check) string {
	if c.ID != "" {
		return "id:" + c.ID
	}
	return "name:" + c.Name
}

func diffChecks(old, new []Check) []CheckDelta {
	out := []CheckDelta{}
	if len(old) == 0 || len(new) == 0 {
		return out
	}
	oldByKey := make(map[string]Check, len(old))
	for _, c := range old {
		oldByKey[checkKey(c)] = c
	}
	seen := make(map[string]bool, len(new))
	for _, nc := range new {
		k := checkKey(nc)
		seen[k] = true
		oc, ok := oldByKey[k]
		if ok && oc.Status == nc.Status && oc.Actual == nc.Actual {
			continue
		}
		cd := CheckDelta{ID: nc.ID, Name: nc.Name, NewStatus: nc.Status, NewActual: nc.Actual}
		if ok {
			cd.OldStatus, cd.OldActual = oc.Status, oc.Actual
		}
		out = append(out, cd)
	}
	for _, oc := range old {
		if k := checkKey(oc); !seen[k] {
			seen[k] = true
			out = append(out, CheckDelta{ID: oc.ID, Name: oc.Name, OldStatus: oc.Status, OldActual: oc.Actual})
		}
	}
	return out
}

// NewDrift reports whether the new run has drift the old one did not: a
// host that drifted, or an added host with a drift status. A nightly job
// can page on it (the CLI exits 2 for it).
func (d *Delta) NewDrift() bool {
	for _, h := range d.Hosts {
		if h.Change == ChangeDrifted || (h.Change == ChangeAdded && h.NewStatus.Drift()) {
			return true
		}
	}
	return false
}

// WriteJSON writes d as indented JSON (schema DiffSchema) with a trailing
// newline.
func (d *Delta) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}

// WriteText writes d for a human: the two runs, the counts, then one
// section per Change (in Changes order, unchanged hosts only when their
// checks changed) listing each host's status move, reason and changed
// checks.
func (d *Delta) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("diff %s -> %s\n", refText(d.Old), refText(d.New))
	var parts []string
	for _, c := range Changes() {
		if n := d.Counts[c]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, changeTitle(c)))
		}
	}
	if len(parts) == 0 {
		parts = []string{"no hosts"}
	}
	ew.printf("%s\n", strings.Join(parts, ", "))
	for _, c := range Changes() {
		hs := d.byChange(c)
		if len(hs) == 0 {
			continue
		}
		ew.printf("\n%s (%d):\n", changeTitle(c), len(hs))
		for _, h := range hs {
			ew.printf("  %s  %s -> %s", oneLine(h.Host), orDash(string(h.OldStatus)), orDash(string(h.NewStatus)))
			if h.Reason != "" && h.Reason != string(h.NewStatus) && h.Reason != string(h.OldStatus) {
				ew.printf("  %s", oneLine(h.Reason))
			}
			ew.printf("\n")
			for _, cd := range h.Checks {
				ew.printf("    %s: %s -> %s", oneLine(checkLabel(Check{ID: cd.ID, Name: cd.Name})),
					orDash(string(cd.OldStatus)), orDash(string(cd.NewStatus)))
				if cd.OldActual != cd.NewActual {
					ew.printf(" (actual %s -> %s)", oneLine(orNone(cd.OldActual)), oneLine(orNone(cd.NewActual)))
				}
				ew.printf("\n")
			}
		}
	}
	return ew.err
}

func refText(r RunRef) string {
	s := "run " + orDash(oneLine(r.RunID)) + " (" + string(r.Mode)
	if !r.StartedAt.IsZero() {
		s += " " + r.StartedAt.Format(time.RFC3339)
	}
	return s + ")"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// changeTitle is a Change as a heading: "still failing".
func changeTitle(c Change) string { return strings.ReplaceAll(string(c), "_", " ") }

// changeClass colours a Change like the host statuses it stands for.
func changeClass(c Change) string {
	switch c {
	case ChangeDrifted, ChangeStillFailing:
		return "drift"
	case ChangeUnchecked, ChangeStillUnchecked, ChangeRemoved:
		return "unchecked"
	case ChangeFixed, ChangeRecovered:
		return "ok"
	}
	return ""
}

// headline is the one sentence a morning mail leads with.
func (d *Delta) headline() string {
	var parts []string
	for _, c := range []Change{ChangeDrifted, ChangeFixed, ChangeUnchecked, ChangeRecovered, ChangeAdded, ChangeRemoved} {
		if k := d.Counts[c]; k > 0 {
			parts = append(parts, fmt.Sprintf("%d %s %s", k, plural(k, "host", "hosts"), changeTitle(c)))
		}
	}
	if k := d.Counts[ChangeStillFailing]; k > 0 {
		parts = append(parts, fmt.Sprintf("%d still failing", k))
	}
	if len(parts) == 0 {
		return "Nothing changed."
	}
	return strings.Join(parts, ", ") + "."
}

// byChange returns d's hosts with change c, in name order.
func (d *Delta) byChange(c Change) []HostDelta {
	var hs []HostDelta
	for _, h := range d.Hosts {
		if h.Change == c {
			hs = append(hs, h)
		}
	}
	return hs
}

// WriteMarkdown writes d as GitHub-flavoured Markdown for the morning mail
// or a ticket: the two runs, a headline sentence ("New drift:" first when
// there is some), the counts by change, then a table per change (in
// Changes order; at most MarkdownLimit hosts each) with each host's status
// move, reason and changed checks. Text from the reports is escaped as in
// WriteMarkdown.
func (d *Delta) WriteMarkdown(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("## winfleet diff: %s\n\n", mdCell(orNone(d.New.Playbook)))
	ew.printf("Old: %s. New: %s.\n\n", mdCell(refText(d.Old)), mdCell(refText(d.New)))
	if d.NewDrift() {
		ew.printf("**New drift:** %s\n\n", mdCell(d.headline()))
	} else {
		ew.printf("%s\n\n", mdCell(d.headline()))
	}
	ew.printf("| change | hosts |\n| --- | ---: |\n")
	for _, c := range Changes() {
		if k := d.Counts[c]; k > 0 {
			ew.printf("| %s | %d |\n", mdCell(changeTitle(c)), k)
		}
	}
	for _, c := range Changes() {
		hs := d.byChange(c)
		if len(hs) == 0 {
			continue
		}
		ew.printf("\n### %s (%d)\n\n", mdCell(changeTitle(c)), len(hs))
		ew.printf("| host | old | new | reason | checks that changed |\n| --- | --- | --- | --- | --- |\n")
		for _, h := range hs[:min(len(hs), MarkdownLimit)] {
			var checks []string
			for _, cd := range h.Checks {
				item := fmt.Sprintf("%s: %s → %s", mdCell(checkLabel(Check{ID: cd.ID, Name: cd.Name})),
					mdCell(orDash(string(cd.OldStatus))), mdCell(orDash(string(cd.NewStatus))))
				if cd.OldActual != cd.NewActual {
					item += fmt.Sprintf(" (%s → %s)", mdCell(orNone(cd.OldActual)), mdCell(orNone(cd.NewActual)))
				}
				checks = append(checks, item)
			}
			ew.printf("| %s | %s | %s | %s | %s |\n", mdCell(h.Host), mdCell(orDash(string(h.OldStatus))),
				mdCell(orDash(string(h.NewStatus))), mdCell(h.Reason), strings.Join(checks, "<br>"))
		}
		if more := len(hs) - MarkdownLimit; more > 0 {
			ew.printf("\nand %d more; see `winfleet report diff --format json`.\n", more)
		}
	}
	return ew.err
}

type diffHTMLCount struct {
	Change       Change
	Title, Class string
	N            int
	Listed       bool
}

type diffHTMLSection struct {
	Change       Change
	Title, Class string
	Hosts        []HostDelta
}

type diffHTMLData struct {
	D        *Delta
	CSP      string
	Style    template.CSS
	Old, New string
	Headline string
	NewDrift bool
	Counts   []diffHTMLCount
	Sections []diffHTMLSection
}

// WriteHTML writes d as one self-contained HTML page (the report page's
// style sheet, no script, nothing loaded from anywhere) for the morning
// mail: the two runs, the headline ("New drift." in a banner when there is
// some), the counts by change linked to a table per change with each host's
// status move, reason and changed checks. All text is escaped by
// html/template.
func (d *Delta) WriteHTML(w io.Writer) error {
	tmpl, err := template.New("diff.html.tmpl").Funcs(template.FuncMap{
		"hclass": func(s HostStatus) string {
			if s == "" {
				return ""
			}
			return hostClass(s)
		},
		"cclass": func(s CheckStatus) string {
			if s == "" {
				return ""
			}
			return checkClass(s)
		},
		"dash":  func(s any) string { return orDash(fmt.Sprint(s)) },
		"label": func(c CheckDelta) string { return checkLabel(Check{ID: c.ID, Name: c.Name}) },
	}).ParseFS(htmlFS, "templates/diff.html.tmpl")
	if err != nil {
		return fmt.Errorf("parse html template: %w", err)
	}
	css, err := htmlFS.ReadFile("templates/report.css")
	if err != nil {
		return err
	}
	data := diffHTMLData{
		D:     d,
		CSP:   "default-src 'none'; style-src " + cspHash(css) + "; img-src 'none'; base-uri 'none'; form-action 'none'",
		Style: template.CSS(css), Old: refText(d.Old), New: refText(d.New),
		Headline: d.headline(), NewDrift: d.NewDrift(),
	}
	for _, c := range Changes() {
		hs := d.byChange(c)
		data.Counts = append(data.Counts, diffHTMLCount{Change: c, Title: changeTitle(c), Class: changeClass(c), N: d.Counts[c], Listed: len(hs) > 0})
		if len(hs) > 0 {
			data.Sections = append(data.Sections, diffHTMLSection{Change: c, Title: changeTitle(c), Class: changeClass(c), Hosts: hs})
		}
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, data); err != nil {
		return fmt.Errorf("render html: %w", err)
	}
	_, err = w.Write(b.Bytes())
	return err
}
