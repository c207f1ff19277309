package reports

import (
	"fmt"
	"io"
	"strings"

	"github.com/winfleet/winfleet/playbook"
)

// WriteCommandDiff writes, per host, the write commands of a run in the
// compact form `apply --diff` (-D) prints, like `ansible --diff`: for each
// check that has writes or did not pass, a "-" line with the state found
// and a "+" line with the state wanted, then each command with how far
// it got: "would send" (apply --check), "exit N" (answered; the output of a
// failed one follows), "sent, no answer" (effect unknown) or "not sent". A
// check with nothing to send says so ("no command"), and why when a person
// must act. Hosts with nothing to show are left out; a last line counts the
// commands and the hosts. Text from hosts is made single-line and its
// control characters escaped, as in the text report.
//
//	sql03.corp.example  would_change: ssis-service: scope is Any, want LocalSubnet (too open)
//	  ssis-service (SSIS Service): too_open
//	  - enabled, in, allow, program C:\...\MsDtsSrvr.exe, from Any
//	  + enabled, in, allow, program C:\...\MsDtsSrvr.exe, from LocalSubnet
//	    would send       netsh advfirewall firewall set rule name="SSIS Service" dir=in new remoteip=localsubnet
//
// A check apply changed shows the state before and the state read back
// after, and "wanted" when the two differ from what the playbook asks.
func WriteCommandDiff(w io.Writer, r *Report) error {
	n, err := normalize(r)
	if err != nil {
		return err
	}
	ew := &errWriter{w: w}
	counts := map[string]int{}
	shown, withWrites := 0, 0
	for _, h := range n.Hosts {
		lines := hostCommandLines(h)
		if len(lines) == 0 {
			continue
		}
		if shown > 0 {
			ew.printf("\n")
		}
		shown++
		ew.printf("%s\n", strings.Join(lines, "\n"))
		writes := 0
		for _, c := range h.Checks {
			for _, wr := range c.Writes {
				counts[writeCountLabel(wr)]++
				writes++
			}
		}
		if writes > 0 {
			withWrites++
		}
	}
	if shown > 0 {
		ew.printf("\n")
	}
	ew.printf("%s\n", commandTotals(counts, withWrites, shown-withWrites, n))
	return ew.err
}

// hostCommandLines are the lines WriteCommandDiff prints for one host, its
// header first; none when the host has no check to show.
func hostCommandLines(h Host) []string {
	var lines []string
	for _, c := range h.Checks {
		if len(c.Writes) == 0 && !c.Status.Failing() {
			continue
		}
		head := "  " + oneLine(checkLabel(c))
		if c.Code != "" {
			head += ": " + oneLine(c.Code)
		} else if !c.Status.OK() {
			head += ": " + string(c.Status)
		}
		lines = append(lines, head)
		if c.Before != "" {
			// apply changed it: before and the state read back after.
			lines = append(lines, "  - "+oneLine(c.Before), "  + "+oneLine(orNone(c.Actual)))
			if !c.Status.OK() {
				lines = append(lines, fmt.Sprintf("    %-*s  %s", labelWidth, "wanted", oneLine(orNone(c.Expected))))
			}
		} else {
			lines = append(lines, "  - "+oneLine(orNone(c.Actual)), "  + "+oneLine(orNone(c.Expected)))
		}
		for _, wr := range c.Writes {
			lines = append(lines, fmt.Sprintf("    %-*s  %s", labelWidth, writeLabel(wr), oneLine(wr.Command)))
			if wr.State == WriteAnswered && wr.ExitCode != 0 {
				for _, out := range firstLines(wr.Output, 5) {
					lines = append(lines, fmt.Sprintf("    %-*s  | %s", labelWidth, "", out))
				}
			}
		}
		if len(c.Writes) == 0 {
			why := "no command"
			if c.Code == string(playbook.CodeBlocked) {
				why += ": a person must act"
			}
			lines = append(lines, "    "+why)
		}
	}
	if len(lines) == 0 {
		return nil
	}
	head := oneLine(h.Host) + "  " + string(h.Status)
	if h.Status.NeedsAttention() {
		head += ": " + oneLine(hostMessage(h))
	}
	return append([]string{head}, lines...)
}

// labelWidth is the width of the write labels' column ("sent, no answer").
const labelWidth = 15

// firstLines returns at most n non-empty lines of s, each made safe with
// oneLine, and "…" as a last line when there were more.
func firstLines(s string, n int) []string {
	var out []string
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
		l = oneLine(l)
		if l == "" {
			continue
		}
		if len(out) == n {
			return append(out, "…")
		}
		out = append(out, l)
	}
	return out
}

// writeCountLabel groups writes for the totals line.
func writeCountLabel(w WriteRecord) string {
	switch {
	case w.State == WriteAnswered && w.ExitCode == 0:
		return "answered"
	case w.State == WriteAnswered:
		return "failed"
	case w.State == WriteSent:
		return "sent without answer"
	}
	return strings.ReplaceAll(string(w.State), "_", " ")
}

// commandTotals is the last line of WriteCommandDiff: "3 commands for 2
// hosts: 3 would send; 1 host without command; 2 hosts could not be
// checked."
func commandTotals(counts map[string]int, hosts, without int, n *Report) string {
	total := 0
	var parts []string
	for _, k := range []string{"would send", "answered", "failed", "sent without answer", "not sent"} {
		if c := counts[k]; c > 0 {
			total += c
			parts = append(parts, fmt.Sprintf("%d %s", c, k))
		}
	}
	unchecked := 0
	for _, h := range n.Hosts {
		if h.Status.Unchecked() {
			unchecked++
		}
	}
	s := "no commands"
	if total > 0 {
		s = fmt.Sprintf("%d %s for %d %s: %s", total, plural(total, "command", "commands"), hosts, plural(hosts, "host", "hosts"), strings.Join(parts, ", "))
	}
	if without > 0 {
		s += fmt.Sprintf("; %d %s not passing without a command", without, plural(without, "host", "hosts"))
	}
	if unchecked > 0 {
		s += fmt.Sprintf("; %d %s could not be checked", unchecked, plural(unchecked, "host", "hosts"))
	}
	return s + "."
}
