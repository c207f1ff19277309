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
	// Line starts, as offsets into out: the lines are out's "\n"-ended
	// pieces (strings.SplitAfter), read without building them.
	var starts []int
	end := len(out) // where "Ok." starts, or the end
	for off := 0; off < len(out); {
		l, _, _ := strings.Cut(out[off:], "\n")
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(t, "Rule Name:"):
			starts = append(starts, off)
		case t == "Ok." && len(starts) > 0 && end == len(out):
			end = off
		}
		off += len(l) + 1
	}
	if len(starts) == 0 {
		return out
	}
	// The kept blocks first, so that the excerpt is built in one
	// allocation of its exact size: it is kept as evidence until the
	// report is written, for every check of every host.
	var kept []string
	size := starts[0] + len(out) - end
	for k, st := range starts {
		stop := end
		if k+1 < len(starts) {
			stop = starts[k+1]
		}
		if stop < st {
			stop = st
		}
		block := out[st:stop]
		if !keepBlock(block, name) {
			continue
		}
		if k+1 < len(starts) {
			// The blank line before the next block is written as "\r\n".
			last := strings.LastIndexByte(block[:len(block)-1], '\n') + 1
			if strings.TrimSpace(block[last:]) == "" {
				block = block[:last]
			}
		}
		kept = append(kept, block)
		size += len(block)
	}
	note := ""
	if omitted := len(starts) - len(kept); omitted > 0 {
		note = fmt.Sprintf("[winfleet: %d of %d rules not shown: only rules named %q and block rules are kept]\r\n", omitted, len(starts), name)
	}
	var b strings.Builder
	b.Grow(size + max(len(kept)-1, 0)*len("\r\n") + len(note))
	b.WriteString(out[:starts[0]])
	for i, block := range kept {
		if i > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString(block)
	}
	b.WriteString(out[end:])
	b.WriteString(note)
	return b.String()
}

// keepBlock reports whether a rule block (its lines, "\n"-ended) is named
// name or is a block rule.
func keepBlock(block string, name string) bool {
	for l := range strings.Lines(block) {
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

// ExcerptService cuts the output of ScListCommand down to the block of one
// service, with a last line saying how many were left out; like
// ExcerptRules, it keeps a report from holding every service of every
// host for each service check. When no block is named name the excerpt is
// that line alone. Output without SERVICE_NAME blocks (an error) is
// returned unchanged.
func ExcerptService(out, name string) string {
	total, keep := 0, ""
	for off := 0; off < len(out); {
		l, _, _ := strings.Cut(out[off:], "\n")
		if v, ok := strings.CutPrefix(l, "SERVICE_NAME:"); ok {
			total++
			if keep == "" && strings.EqualFold(strings.TrimSpace(v), name) {
				end := len(out)
				if next := strings.Index(out[off+len(l):], "\nSERVICE_NAME:"); next >= 0 {
					end = off + len(l) + next
				}
				keep = "\r\n" + strings.TrimRight(out[off:end], " \t\r\n") + "\r\n\r\n"
			}
		}
		off += len(l) + 1
	}
	if total == 0 {
		return out
	}
	shown := 0
	if keep != "" {
		shown = 1
	}
	return keep + fmt.Sprintf("[winfleet: %d of %d services not shown: only %s is kept]\r\n", total-shown, total, name)
}
