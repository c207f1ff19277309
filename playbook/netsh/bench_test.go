package netsh

import (
	"fmt"
	"strings"
	"testing"
)

// bigShowRuleOutput builds "show rule name=all verbose" output with n rules
// in the documented layout: a mix of port, program and ICMP rules, built-in
// indirect names, address lists, and the two SSIS rules at the end.
func bigShowRuleOutput(n int) string {
	var b strings.Builder
	f := func(label, v string) { fmt.Fprintf(&b, "%-38s%s\r\n", label+":", v) }
	for i := 0; i < n-2; i++ {
		b.WriteString("\r\n")
		f("Rule Name", fmt.Sprintf("@FirewallAPI.dll,-%d", 28000+i))
		b.WriteString(strings.Repeat("-", 70) + "\r\n")
		f("Description", fmt.Sprintf("@FirewallAPI.dll,-%d", 29000+i))
		f("Enabled", []string{"Yes", "No"}[i%2])
		f("Direction", "In")
		f("Profiles", "Domain,Private,Public")
		f("Grouping", "@FirewallAPI.dll,-28502")
		f("LocalIP", "Any")
		f("RemoteIP", []string{"Any", "LocalSubnet", "10.0.0.0/8,192.168.1.1/32,fe80::1-fe80::1"}[i%3])
		switch i % 3 {
		case 0:
			f("Protocol", "TCP")
			f("LocalPort", fmt.Sprint(1000+i))
			f("RemotePort", "Any")
		case 1:
			f("Protocol", "ICMPv4")
			b.WriteString(strings.Repeat(" ", 38) + "Type    Code\r\n")
			b.WriteString(strings.Repeat(" ", 38) + "8       Any\r\n")
		case 2:
			f("Protocol", "Any")
		}
		f("Edge traversal", "No")
		if i%3 == 2 {
			f("Program", fmt.Sprintf(`%%SystemRoot%%\system32\app%d.exe`, i))
		}
		f("InterfaceTypes", "Any")
		f("Security", "NotRequired")
		f("Rule source", "Local Setting")
		f("Action", []string{"Allow", "Block"}[i%5/4])
	}
	b.WriteString("\r\n")
	f("Rule Name", "RPC (TCP/135)")
	b.WriteString(strings.Repeat("-", 70) + "\r\n")
	for _, kv := range [][2]string{{"Description", ""}, {"Enabled", "Yes"}, {"Direction", "In"}, {"Profiles", "Domain,Private,Public"}, {"Grouping", ""},
		{"LocalIP", "Any"}, {"RemoteIP", "LocalSubnet"}, {"Protocol", "TCP"}, {"LocalPort", "135"}, {"RemotePort", "Any"}, {"Edge traversal", "No"},
		{"InterfaceTypes", "Any"}, {"Security", "NotRequired"}, {"Rule source", "Local Setting"}, {"Action", "Allow"}} {
		f(kv[0], kv[1])
	}
	b.WriteString("\r\n")
	f("Rule Name", "SSIS Service")
	b.WriteString(strings.Repeat("-", 70) + "\r\n")
	for _, kv := range [][2]string{{"Description", ""}, {"Enabled", "Yes"}, {"Direction", "In"}, {"Profiles", "Domain,Private,Public"}, {"Grouping", ""},
		{"LocalIP", "Any"}, {"RemoteIP", "LocalSubnet"}, {"Protocol", "Any"}, {"Edge traversal", "No"}, {"Program", p130},
		{"InterfaceTypes", "Any"}, {"Security", "NotRequired"}, {"Rule source", "Local Setting"}, {"Action", "Allow"}} {
		f(kv[0], kv[1])
	}
	b.WriteString("Ok.\r\n\r\n")
	return b.String()
}

func TestBigShowRuleOutput(t *testing.T) {
	out := bigShowRuleOutput(500)
	rules, err := ParseAdvfirewall(Output{Command: "show rule name=all dir=in verbose", Stdout: out})
	if err != nil || len(rules) != 500 {
		t.Fatalf("ParseAdvfirewall(500 rules) = %d rules, %v", len(rules), err)
	}
	opts := Options{Dialect: Advfirewall, Env: DefaultEnv(), BlockScan: true}
	for _, d := range []Desired{rpcRule(), ssisRule(v130)} {
		res, err := Evaluate(d, rules, opts)
		if err != nil || !res.Compliant {
			t.Errorf("Evaluate(%s) over 500 rules = %+v, %v; want compliant", d.Name, res, err)
		}
	}
}

func BenchmarkParseAdvfirewall500(b *testing.B) { benchParseAdvfirewall(b, 500) }

// BenchmarkParseAdvfirewallHost parses an ordinary host's read: the lab's
// hosts (lab/winsim with Windows' built-in rules) answer
// "show rule name=all dir=in verbose" with 10 rules in about 10 KB, as
// bigShowRuleOutput(10) does.
func BenchmarkParseAdvfirewallHost(b *testing.B) { benchParseAdvfirewall(b, 10) }

// benchParseAdvfirewall parses bigShowRuleOutput(rules).
func benchParseAdvfirewall(b *testing.B, rules int) {
	out := bigShowRuleOutput(rules)
	o := Output{Command: "show rule name=all dir=in verbose", Stdout: out}
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseAdvfirewall(o); err != nil {
			b.Fatal(err)
		}
	}
}

// bigScListOutput builds ScListCommand's output with n services in the
// layout of testdata/constructed/sc_list.txt.
func bigScListOutput(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "\r\nSERVICE_NAME: Svc%d\r\nDISPLAY_NAME: Service number %d\r\n", i, i)
		b.WriteString("        TYPE               : 10  WIN32_OWN_PROCESS  \r\n")
		if i%2 == 0 {
			b.WriteString("        STATE              : 4  RUNNING \r\n                                (STOPPABLE, NOT_PAUSABLE, ACCEPTS_SHUTDOWN)\r\n")
		} else {
			b.WriteString("        STATE              : 1  STOPPED \r\n")
		}
		b.WriteString("        WIN32_EXIT_CODE    : 0  (0x0)\r\n        SERVICE_EXIT_CODE  : 0  (0x0)\r\n        CHECKPOINT         : 0x0\r\n        WAIT_HINT          : 0x0\r\n")
	}
	return b.String()
}

// BenchmarkParseScList250 parses the service list of a Windows server
// (about 250 services).
func BenchmarkParseScList250(b *testing.B) {
	out := bigScListOutput(250)
	o := Output{Command: ScListCommand, Stdout: out}
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	for b.Loop() {
		if l, err := ParseScList(o); err != nil || len(l) != 250 {
			b.Fatalf("ParseScList = %d entries, %v", len(l), err)
		}
	}
}

func BenchmarkEvaluate500(b *testing.B) {
	rules, err := ParseAdvfirewall(Output{Stdout: bigShowRuleOutput(500)})
	if err != nil {
		b.Fatal(err)
	}
	opts := Options{Dialect: Advfirewall, Env: DefaultEnv(), BlockScan: true}
	d := ssisRule(v130)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Evaluate(d, rules, opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExcerptRules500 cuts a 500-rule list down to one check's
// evidence, as the playbook does for every rule check of a host.
func BenchmarkExcerptRules500(b *testing.B) {
	out := bigShowRuleOutput(500)
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	for b.Loop() {
		if ex := ExcerptRules(out, "SSIS Service"); !strings.Contains(ex, "SSIS Service") {
			b.Fatal("excerpt without the rule")
		}
	}
}
