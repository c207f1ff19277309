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

func TestExcerptService(t *testing.T) {
	list := readTestdata(t, "constructed/sc_list.txt")
	got := ExcerptService(list, "msdtsserver130")
	if !strings.HasPrefix(got, "\r\nSERVICE_NAME: MsDtsServer130\r\n") || strings.Contains(got, "MSSQLSERVER") ||
		!strings.Contains(got, "STATE              : 1  STOPPED\r\n") ||
		!strings.HasSuffix(got, "\r\n\r\n[winfleet: 1 of 2 services not shown: only msdtsserver130 is kept]\r\n") {
		t.Errorf("ExcerptService(MsDtsServer130) = %q", got)
	}
	// The excerpt is itself a service list that the parser reads back.
	l, err := ParseScList(Output{Stdout: strings.Split(got, "[winfleet")[0]})
	if err != nil || len(l) != 1 || l[0].Name != "MsDtsServer130" || l[0].State != 1 {
		t.Errorf("ParseScList(excerpt) = %+v, %v", l, err)
	}
	first := ExcerptService(list, "MSSQLSERVER")
	if !strings.HasPrefix(first, "\r\nSERVICE_NAME: MSSQLSERVER \r\n") || strings.Contains(first, "MsDtsServer130") {
		t.Errorf("ExcerptService(MSSQLSERVER) = %q", first)
	}
	if got := ExcerptService(list, "MsDtsServer150"); got != "[winfleet: 2 of 2 services not shown: only MsDtsServer150 is kept]\r\n" {
		t.Errorf("ExcerptService(absent) = %q", got)
	}
	if e := "[SC] OpenSCManager FAILED 5:\r\n\r\nAccess is denied.\r\n\r\n"; ExcerptService(e, "x") != e {
		t.Errorf("ExcerptService changed an output without services")
	}
}
