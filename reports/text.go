package reports

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
)

// countsLine lists the non-zero counts in HostStatuses order, or "no hosts";
// p colours the status words.
func countsLine(summary map[HostStatus]int, p painter) string {
	var parts []string
	for _, s := range HostStatuses {
		if c := summary[s]; c > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c, p.paint(string(s), s)))
		}
	}
	if len(parts) == 0 {
		return "no hosts"
	}
	return strings.Join(parts, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// needingAttention returns the hosts whose status NeedsAttention, drift
// first, then unchecked, each group by status order then host name.
func needingAttention(hosts []Host) []Host {
	var out []Host
	for _, h := range hosts {
		if h.Status.NeedsAttention() {
			out = append(out, h)
		}
	}
	slices.SortStableFunc(out, func(a, b Host) int { return a.Status.rank() - b.Status.rank() })
	return out
}

// WriteText writes r for a human reading a file or a terminal: the run's
// metadata and counts, a table of every host with its reason code, then for
// each host that needs attention or had write commands its reason, error,
// the checks that did not pass (with their code, and the state before a
// change) and the write commands with how far they got.
func WriteText(w io.Writer, r *Report) error {
	n, err := normalize(r)
	if err != nil {
		return err
	}
	ew := &errWriter{w: w}
	ew.printf("winfleet %s report (%s)\n", n.Mode, Schema)
	if n.Incomplete != "" {
		ew.printf("INCOMPLETE: %s\n", oneLine(n.Incomplete))
	}
	tw := tabwriter.NewWriter(ew, 0, 0, 1, ' ', 0)
	fmt.Fprintf(tw, "run:\t%s\n", oneLine(n.RunID))
	fmt.Fprintf(tw, "playbook:\t%s\n", oneLine(n.Playbook))
	if n.PlaybookDigest != "" {
		fmt.Fprintf(tw, "digest:\t%s\n", oneLine(n.PlaybookDigest))
	}
	fmt.Fprintf(tw, "inventory:\t%s\n", oneLine(n.Inventory))
	if n.Shard != "" {
		fmt.Fprintf(tw, "shard:\t%s\n", oneLine(n.Shard))
	}
	fmt.Fprintf(tw, "started:\t%s\n", timeText(n.StartedAt))
	fmt.Fprintf(tw, "finished:\t%s\n", timeText(n.FinishedAt))
	if n.Tool != nil {
		fmt.Fprintf(tw, "tool:\t%s\n", oneLine(generator(n)))
	}
	if n.Operator != "" || n.Controller != "" {
		fmt.Fprintf(tw, "operator:\t%s on %s\n", oneLine(orDash(n.Operator)), oneLine(orDash(n.Controller)))
	}
	if len(n.CommandLine) > 0 {
		fmt.Fprintf(tw, "command:\t%s\n", oneLine(commandLineText(n.CommandLine)))
	}
	fmt.Fprintf(tw, "hosts:\t%d: %s\n", len(n.Hosts), countsLine(n.Summary, false))
	ew.setErr(tw.Flush())
	if len(n.Hosts) == 0 {
		return ew.err
	}
	ew.printf("\n")
	tw = tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "HOST\tADDRESS\tSTATUS\tCODE\tWINDOWS\tDIALECT\tDURATION\tREASON\n")
	for _, h := range n.Hosts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", oneLine(h.Host), oneLine(h.Address), h.Status, oneLine(orDash(hostCode(h))),
			oneLine(h.WindowsVersion), oneLine(h.Dialect), time.Duration(h.DurationMS)*time.Millisecond, oneLine(h.Reason))
	}
	ew.setErr(tw.Flush())
	for _, h := range textDetailHosts(n.Hosts) {
		ew.printf("\n%s: %s", oneLine(h.Host), h.Status)
		if c := hostCode(h); c != "" && c != string(h.Status) {
			ew.printf(" (%s)", oneLine(c))
		}
		ew.printf("\n")
		if h.Reason != "" {
			ew.printf("  reason: %s\n", oneLine(h.Reason))
		}
		if h.Error != "" {
			ew.printf("  error:  %s\n", oneLine(h.Error))
		}
		for _, c := range h.Checks {
			if c.Status.OK() && len(c.Writes) == 0 {
				continue
			}
			ew.printf("  %s", c.Status)
			if c.Code != "" {
				ew.printf(" [%s]", oneLine(c.Code))
			}
			ew.printf(" %s", oneLine(checkLabel(c)))
			if c.Before != "" {
				ew.printf(": before %s, after %s, expected %s\n", oneLine(c.Before), oneLine(orNone(c.Actual)), oneLine(orNone(c.Expected)))
			} else {
				ew.printf(": expected %s, actual %s\n", oneLine(orNone(c.Expected)), oneLine(orNone(c.Actual)))
			}
			for _, wr := range c.Writes {
				ew.printf("    %-*s  %s\n", labelWidth, writeLabel(wr), oneLine(wr.Command))
			}
		}
	}
	return ew.err
}

// textDetailHosts are the hosts WriteText details: those needing attention
// (in needingAttention order), then OK hosts that had write commands (the
// changed ones), by name.
func textDetailHosts(hosts []Host) []Host {
	out := needingAttention(hosts)
	for _, h := range hosts {
		if !h.Status.NeedsAttention() && slices.ContainsFunc(h.Checks, func(c Check) bool { return len(c.Writes) > 0 }) {
			out = append(out, h)
		}
	}
	return out
}

func checkLabel(c Check) string {
	switch {
	case c.Name == "":
		return c.ID
	case c.ID == "":
		return c.Name
	}
	return c.ID + " (" + c.Name + ")"
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.RFC3339)
}

// oneLine makes s safe to print on one terminal line: CR, LF and tab become
// a space, other control characters (C0, DEL, C1) are escaped as \xNN or
// \u00NN, invalid UTF-8 becomes U+FFFD, and surrounding space is trimmed.
func oneLine(s string) string {
	// Invalid UTF-8 becomes U+FFFD: besides being unprintable, a 0xff byte
	// is text/tabwriter's escape character and would break the tables.
	s = strings.ToValidUTF8(s, "\uFFFD")
	clean := true
	for _, r := range s {
		if unicode.IsControl(r) {
			clean = false
			break
		}
	}
	if clean {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\r' || r == '\n' || r == '\t':
			b.WriteByte(' ')
		case r < 0x80 && unicode.IsControl(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unicode.IsControl(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// errWriter remembers the first write error so rendering code can print
// freely and check once at the end.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) {
	fmt.Fprintf(e, format, args...)
}

func (e *errWriter) setErr(err error) {
	if e.err == nil {
		e.err = err
	}
}
