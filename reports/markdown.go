package reports

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// MarkdownLimit is how many hosts the Markdown report lists in its "needs
// attention" table before "and N more": enough for a ticket, well under the
// 65,536-character limit of a GitHub comment.
const MarkdownLimit = 100

// WriteMarkdown writes r as GitHub-flavoured Markdown for pull requests,
// tickets and chat: a heading with the run's metadata, a table of the
// non-zero counts by status, and a table of the hosts that need attention
// (drift first; at most MarkdownLimit) with their reason and the checks that
// did not pass. Text from hosts is escaped so it cannot break the table or
// inject links, HTML or formatting.
func WriteMarkdown(w io.Writer, r *Report) error {
	n, err := normalize(r)
	if err != nil {
		return err
	}
	ew := &errWriter{w: w}
	ew.printf("## winfleet %s: %s\n\n", n.Mode, mdCell(orNone(n.Playbook)))
	ew.printf("Run `%s`", mdCode(n.RunID))
	if n.Inventory != "" {
		ew.printf(" on inventory `%s`", mdCode(n.Inventory))
	}
	if !n.StartedAt.IsZero() {
		ew.printf(", started %s", n.StartedAt.Format(time.RFC3339))
	}
	if d := n.Duration(); d > 0 {
		ew.printf(", took %s", d.Round(time.Millisecond))
	}
	ew.printf(".\n\n")

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
		return ew.err
	}
	ew.printf("\n### Needs attention (%d)\n\n", len(attention))
	ew.printf("| host | status | reason | checks not passing |\n| --- | --- | --- | --- |\n")
	for _, h := range attention[:min(len(attention), MarkdownLimit)] {
		var checks []string
		for _, c := range h.Checks {
			if !c.Status.OK() {
				checks = append(checks, fmt.Sprintf("%s: %s", mdCell(checkLabel(c)), mdCell(string(c.Status))))
			}
		}
		ew.printf("| %s | %s | %s | %s |\n", mdCell(h.Host), mdCell(string(h.Status)), mdCell(hostMessage(h)), strings.Join(checks, "<br>"))
	}
	if more := len(attention) - MarkdownLimit; more > 0 {
		ew.printf("\nand %d more; see the JSON or CSV report.\n", more)
	}
	return ew.err
}

// mdCell escapes s for a GitHub-flavoured Markdown table cell: one line,
// Markdown punctuation backslash-escaped, and &, < and > as entities.
func mdCell(s string) string {
	s = oneLine(s)
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
