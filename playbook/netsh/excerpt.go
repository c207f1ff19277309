package netsh

import (
	"fmt"
	"strings"
)

// ExcerptRules cuts the output of "show rule name=all ... verbose" down to
// what matters to one check: the rule blocks named name and every block
// rule, with a last line saying how many blocks were left out. A stock
// Windows host prints hundreds of inbound rules; copying all of them into
// every check of every host would make reports hundreds of megabytes.
// Output without "Rule Name:" blocks (no match, an error, another
// language) is returned unchanged: it is evidence.
func ExcerptRules(out, name string) string {
	lines := strings.SplitAfter(out, "\n")
	var starts []int
	end := len(lines)
	for i, l := range lines {
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(t, "Rule Name:"):
			starts = append(starts, i)
		case t == "Ok." && len(starts) > 0 && end == len(lines):
			end = i
		}
	}
	if len(starts) == 0 {
		return out
	}
	var b strings.Builder
	for _, l := range lines[:starts[0]] {
		b.WriteString(l)
	}
	kept := 0
	for k, st := range starts {
		stop := end
		if k+1 < len(starts) {
			stop = starts[k+1]
		}
		if stop < st {
			stop = st
		}
		block := lines[st:stop]
		if !keepBlock(block, name) {
			continue
		}
		if kept > 0 {
			b.WriteString("\r\n")
		}
		kept++
		for j, l := range block {
			// The blank line before the next block is written above.
			if j == len(block)-1 && k+1 < len(starts) && strings.TrimSpace(l) == "" {
				continue
			}
			b.WriteString(l)
		}
	}
	for _, l := range lines[end:] {
		b.WriteString(l)
	}
	if omitted := len(starts) - kept; omitted > 0 {
		fmt.Fprintf(&b, "[winfleet: %d of %d rules not shown: only rules named %q and block rules are kept]\r\n", omitted, len(starts), name)
	}
	// The excerpt is kept as evidence until the report is written, for
	// every check of every host: drop the builder's spare capacity.
	if b.Cap()-b.Len() > b.Len()/4 {
		return strings.Clone(b.String())
	}
	return b.String()
}

func keepBlock(block []string, name string) bool {
	for _, l := range block {
		t := strings.TrimSpace(l)
		if v, ok := strings.CutPrefix(t, "Rule Name:"); ok && strings.EqualFold(strings.TrimSpace(v), name) {
			return true
		}
		if v, ok := strings.CutPrefix(t, "Action:"); ok && strings.EqualFold(strings.TrimSpace(v), "Block") {
			return true
		}
	}
	return false
}
