package netsh

import (
	"strings"
	"testing"
)

// fieldLine is one "Label:   value" line of advfirewall verbose output.
func fieldLine(label, value string) string { return field(label, value) + "\r\n" }

func TestExcerptRules(t *testing.T) {
	block := func(name, action string) string {
		return fieldLine("Rule Name", name) + strings.Repeat("-", 70) + "\r\n" + fieldLine("Enabled", "Yes") + fieldLine("Grouping", "") + fieldLine("Action", action)
	}
	out := "\r\n" + block("Core Networking", "Allow") + "\r\n" + block("RPC (TCP/135)", "Allow") + "\r\n" + block("Block RPC", "Block") + "\r\n" + block("File Sharing", "Allow") + "Ok.\r\n\r\n"
	got := ExcerptRules(out, "rpc (tcp/135)")
	want := "\r\n" + block("RPC (TCP/135)", "Allow") + "\r\n" + block("Block RPC", "Block") + "Ok.\r\n\r\n" +
		"[winfleet: 2 of 4 rules not shown: only rules named \"rpc (tcp/135)\" and block rules are kept]\r\n"
	if got != want {
		t.Errorf("excerptRules:\n got %q\nwant %q", got, want)
	}
	for _, raw := range []string{"\r\nNo rules match the specified criteria.\r\n\r\n", "\r\nRegelname:  X\r\n"} {
		if got := ExcerptRules(raw, "x"); got != raw {
			t.Errorf("ExcerptRules(%q) = %q, want it unchanged", raw, got)
		}
	}
	all := "\r\n" + block("RPC (TCP/135)", "Allow") + "Ok.\r\n\r\n"
	if got := ExcerptRules(all, "RPC (TCP/135)"); got != all {
		t.Errorf("nothing to cut: got %q", got)
	}
}
