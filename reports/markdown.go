package reports

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// MarkdownLimit is how many hosts the Markdown report lists in its "needs
// attention" table before "and N more": enough for a ticket, well under the
// 65,536-character limit of a GitHub comment.
const MarkdownLimit = 100

// WriteMarkdown writes r as GitHub-flavoured Markdown for pull requests,
// tickets and chat: a heading with the run's metadata, the compliance
// percentage and a table of the non-zero counts by status, the hosts that
// need attention grouped by cause (reason code, with what to do), a table of
// those hosts (drift first; at most MarkdownLimit) with their code, reason
// and the checks that did not pass, and the write commands per host in
// ```diff blocks, as WriteCommandDiff prints them (at most MarkdownLimit
// hosts). Text from hosts is escaped so it cannot break the table or inject
// links, HTML or formatting.
func WriteMarkdown(w io.Writer, r *Report) error {
	n, err := normalize(r)
	if err != nil {
		return err
	}
	ew := &errWriter{w: w}
	ew.printf("## winfleet %s: %s\n\n", n.Mode, mdCell(orNone(n.Playbook)))
	if n.Incomplete != "" {
		ew.printf("> **Incomplete report:** %s\n\n", mdCell(n.Incomplete))
	}
	ew.printf("Run `%s`", mdCode(n.RunID))
	if n.Inventory != "" {
		ew.printf(" on inventory `%s`", mdCode(n.Inventory))
	}
	if n.Shard != "" {
		ew.printf(" (shard %s)", mdCell(n.Shard))
	}
	if !n.StartedAt.IsZero() {
		ew.printf(", started %s", n.StartedAt.Format(time.RFC3339))
	}
	if d := n.Duration(); d > 0 {
		ew.printf(", took %s", d.Round(time.Millisecond))
	}
	ew.printf(".\n")
	var by []string
	if n.Tool != nil {
		by = append(by, mdCell(generator(n)))
	}
	if n.Operator != "" {
		by = append(by, "operator "+mdCell(n.Operator))
	}
	if n.Controller != "" {
		by = append(by, "on "+mdCell(n.Controller))
	}
	if n.PlaybookDigest != "" {
		by = append(by, "playbook `"+mdCode(n.PlaybookDigest)+"`")
	}
	if len(by) > 0 {
		ew.printf("%s.\n", strings.Join(by, ", "))
	}
	c := compliance(n)
	ew.printf("\n**Compliance: %s** (%d of %d checked hosts compliant or changed", c.Percent, c.OK, c.Checked)
	if c.Unchecked > 0 {
		ew.printf("; %d %s could not be checked", c.Unchecked, plural(c.Unchecked, "host", "hosts"))
	}
	ew.printf(").\n\n")

	ew.printf("| status | hosts |\n| --- | ---: |\n")
	for _, s := range HostStatuses {
		if c := n.Summary[s]; c > 0 {
			ew.printf("| %s | %d |\n", mdCell(string(s)), c)
		}
	}
	ew.printf("| **total** | **%d** |\n", len(n.Hosts))

	attention := needingAttention(n.Hosts)
	if len(attention) == 0 {
		ew.printf("\nEvery host is in the desired state.\n")
	} else {
		ew.printf("\n### Causes\n\n| cause | hosts | what to do |\n| --- | ---: | --- |\n")
		for _, cause := range causeCounts(attention) {
			action := ""
			if info, ok := CodeInfoFor(cause.code); ok {
				action = info.Action
			}
			ew.printf("| `%s` | %d | %s |\n", mdCode(cause.code), cause.n, mdProse(action))
		}
		ew.printf("\n### Needs attention (%d)\n\n", len(attention))
		ew.printf("| host | status | code | reason | checks not passing |\n| --- | --- | --- | --- | --- |\n")
		for _, h := range attention[:min(len(attention), MarkdownLimit)] {
			var checks []string
			for _, c := range h.Checks {
				if !c.Status.OK() {
					item := fmt.Sprintf("%s: %s", mdCell(checkLabel(c)), mdCell(string(c.Status)))
					if c.Code != "" {
						item += " (" + mdCell(c.Code) + ")"
					}
					checks = append(checks, item)
				}
			}
			ew.printf("| %s | %s | %s | %s | %s |\n", mdCell(h.Host), mdCell(string(h.Status)), mdCell(hostCode(h)),
				mdCell(hostMessage(h)), strings.Join(checks, "<br>"))
		}
		if more := len(attention) - MarkdownLimit; more > 0 {
			ew.printf("\nand %d more; see the JSON or CSV report.\n", more)
		}
	}

	var blocks [][]string
	for _, h := range n.Hosts {
		if slices.ContainsFunc(h.Checks, func(c Check) bool { return len(c.Writes) > 0 }) {
			blocks = append(blocks, hostCommandLines(h))
		}
	}
	if len(blocks) > 0 {
		ew.printf("\n### Commands (%d %s)\n\n", len(blocks), plural(len(blocks), "host", "hosts"))
		for _, lines := range blocks[:min(len(blocks), MarkdownLimit)] {
			fence := mdFence(lines)
			ew.printf("%sdiff\n%s\n%s\n", fence, strings.Join(lines, "\n"), fence)
		}
		if more := len(blocks) - MarkdownLimit; more > 0 {
			ew.printf("\nand %d more; `winfleet report render` with `-o text=-` lists them all.\n", more)
		}
	}
	return ew.err
}

type causeCount struct {
	code string
	n    int
}

// causeCounts counts hosts by hostCause, most hosts first, then by code.
func causeCounts(hosts []Host) []causeCount {
	m := map[string]int{}
	for _, h := range hosts {
		m[hostCause(h)]++
	}
	out := make([]causeCount, 0, len(m))
	for code, k := range m {
		out = append(out, causeCount{code, k})
	}
	slices.SortFunc(out, func(a, b causeCount) int { return cmp.Or(b.n-a.n, cmp.Compare(a.code, b.code)) })
	return out
}

// mdFence is a code fence longer than any run of backticks in lines, so
// that no command can close the block (CommonMark allows fences of any
// length from three).
func mdFence(lines []string) string {
	longest := 0
	for _, l := range lines {
		run := 0
		for _, r := range l {
			if r == '`' {
				run++
				longest = max(longest, run)
			} else {
				run = 0
			}
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

// mdProse is our own documentation text in a table cell: `code` spans
// kept, everything else escaped as mdCell does.
func mdProse(s string) string {
	parts := strings.Split(s, "`")
	for i, p := range parts {
		if i%2 == 1 {
			parts[i] = "`" + mdCode(p) + "`"
		} else {
			parts[i] = mdEscape(p)
		}
	}
	return strings.Join(parts, "")
}

// mdCell escapes s for a GitHub-flavoured Markdown table cell: one line,
// Markdown punctuation backslash-escaped, and &, < and > as entities.
func mdCell(s string) string { return mdEscape(oneLine(s)) }

// mdEscape escapes Markdown punctuation, &, < and > in single-line text.
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '\\', '`', '*', '_', '[', ']', '|', '~', '#', '!':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdCode makes s safe inside a single-backtick code span: one line, and
// backticks (which would end the span) replaced by single quotes.
func mdCode(s string) string {
	s = strings.ReplaceAll(oneLine(s), "`", "'")
	if s == "" {
		return "-"
	}
	return s
}
