package netsh

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	p130 = `C:\Program Files\Microsoft SQL Server\130\DTS\Binn\MsDtsSrvr.exe`
	v130 = `%ProgramFiles%\Microsoft SQL Server\130\DTS\Binn\MsDtsSrvr.exe`
	d110 = `D:\Program Files\Microsoft SQL Server\110\DTS\Binn\MsDtsSrvr.exe`
	adv  = "netsh advfirewall firewall "
)

// obsRPC is a compliant advfirewall "RPC (TCP/135)" rule as parsed.
func obsRPC() Rule {
	return Rule{Name: "RPC (TCP/135)", Enabled: true, Direction: "In", Profiles: []string{"Domain", "Private", "Public"},
		LocalIP: Scope{Kind: ScopeAll}, RemoteIP: Scope{Kind: ScopeSubnet}, Protocol: "TCP", LocalPort: "135", RemotePort: "Any",
		EdgeTraversal: "No", InterfaceTypes: "Any", Security: "NotRequired", RuleSource: "Local Setting", Action: "Allow"}
}

// obsSSIS is a compliant advfirewall "SSIS Service" rule for path.
func obsSSIS(path string) Rule {
	return Rule{Name: "SSIS Service", Enabled: true, Direction: "In", Profiles: []string{"Domain", "Private", "Public"},
		LocalIP: Scope{Kind: ScopeAll}, RemoteIP: Scope{Kind: ScopeSubnet}, Protocol: "Any", EdgeTraversal: "No",
		Program: path, Action: "Allow"}
}

func mod(r Rule, f func(*Rule)) Rule { f(&r); return r }

// evaluateCodes are the reason codes TestEvaluate expects, by case name.
var evaluateCodes = map[string]string{
	"missing":                          CodeMissing,
	"missing program":                  CodeMissing,
	"disabled":                         CodeDisabled,
	"scope all too open":               CodeTooOpen,
	"scope subnet where all wanted":    CodeWrongScope,
	"disabled and too open":            CodeTooOpen,
	"wrong port":                       CodeWrongPort,
	"any port too open":                CodeTooOpen,
	"wrong protocol":                   CodeWrongPort,
	"port rule limited to a program":   CodeWrongRule,
	"own rule blocks":                  CodeWrongRule,
	"wrong program path":               CodeWrongProgram,
	"program rule without program":     CodeTooOpen,
	"duplicates disagree":              CodeDuplicatesDisagree,
	"block rule under another name":    CodeBlocked,
	"block rule and drift":             CodeBlocked,
	"custom scope too open":            CodeTooOpen,
	"custom scope too narrow":          CodeWrongScope,
	"custom scope where subnet wanted": CodeTooOpen,
	"absent, present":                  CodeUnwanted,
	"absent, program":                  CodeUnwanted,
	"legacy missing":                   CodeMissing,
	"outbound rule with the name only": CodeMissing,
	"duplicates agree but disabled":    CodeDisabled,
	"absent, port read with blanks":    CodeUnwanted,
	"program rule limited to TCP":      CodeWrongRule,
	"custom scope overlapping":         CodeWrongScope,
	"SSIS on D: but C: wanted":         CodeWrongProgram,
}

func TestEvaluate(t *testing.T) {
	env := DefaultEnv()
	advOpts := Options{Dialect: Advfirewall, Env: env}
	scanOpts := Options{Dialect: Advfirewall, Env: env, BlockScan: true}
	legOpts := Options{Dialect: Legacy, Env: env}
	custom := mustScope(t, "10.0.0.0/255.0.0.0,192.168.5.7")
	withScope := func(d Desired, s Scope) Desired { d.Scope = s; return d }
	absent := func(d Desired) Desired { d.State = StateAbsent; return d }

	tests := []struct {
		name     string
		opts     Options
		want     Desired
		rules    []Rule
		file     string // parse this testdata file instead of rules
		ok       bool
		reason   string // exact, when set
		contains string // substring of the reason, when set
		commands []string
		human    bool
		actual   string // exact, when set
	}{
		{name: "compliant", opts: advOpts, want: rpcRule(), file: "constructed/adv_verbose_ssis.txt", ok: true,
			actual: "enabled, in, allow, TCP/135, from LocalSubnet, profiles Domain,Private,Public"},
		{name: "compliant program", opts: advOpts, want: ssisRule(v130), file: "constructed/adv_verbose_ssis.txt", ok: true},
		{name: "missing", opts: advOpts, want: rpcRule(), file: "samples/adv_no_match.txt",
			reason: `rule "RPC (TCP/135)": missing`, actual: "absent",
			commands: []string{adv + `add rule name="RPC (TCP/135)" dir=in action=allow protocol=TCP localport=135 remoteip=localsubnet profile=any`}},
		{name: "missing program", opts: advOpts, want: ssisRule(v130), rules: nil,
			reason:   `rule "SSIS Service": missing`,
			commands: []string{adv + `add rule name="SSIS Service" dir=in action=allow program="` + v130 + `" remoteip=localsubnet profile=any enable=yes`}},
		{name: "disabled", opts: advOpts, want: rpcRule(), rules: []Rule{mod(obsRPC(), func(r *Rule) { r.Enabled = false })},
			reason:   `rule "RPC (TCP/135)": disabled`,
			commands: []string{adv + `set rule name="RPC (TCP/135)" dir=in new enable=yes`}},
		{name: "scope all too open", opts: advOpts, want: rpcRule(), rules: []Rule{mod(obsRPC(), func(r *Rule) { r.RemoteIP = Scope{Kind: ScopeAll} })},
			reason:   `rule "RPC (TCP/135)": scope is Any, want LocalSubnet (too open)`,
			commands: []string{adv + `set rule name="RPC (TCP/135)" dir=in new remoteip=localsubnet`}},
		{name: "scope subnet where all wanted", opts: advOpts, want: withScope(rpcRule(), Scope{Kind: ScopeAll}), rules: []Rule{obsRPC()},
			reason:   `rule "RPC (TCP/135)": scope is LocalSubnet, want Any (too narrow)`,
			commands: []string{adv + `set rule name="RPC (TCP/135)" dir=in new remoteip=any`}},
		{name: "disabled and too open", opts: advOpts, want: rpcRule(), rules: []Rule{mod(obsRPC(), func(r *Rule) { r.Enabled = false; r.RemoteIP = Scope{Kind: ScopeAll} })},
			reason:   `rule "RPC (TCP/135)": disabled; scope is Any, want LocalSubnet (too open)`,
			commands: []string{adv + `set rule name="RPC (TCP/135)" dir=in new enable=yes remoteip=localsubnet`}},
		{name: "wrong port", opts: advOpts, want: rpcRule(), rules: []Rule{mod(obsRPC(), func(r *Rule) { r.LocalPort = "136" })},
			reason:   `rule "RPC (TCP/135)": local port is 136, want 135`,
			commands: []string{adv + `set rule name="RPC (TCP/135)" dir=in new localport=135`}},
		{name: "any port too open", opts: advOpts, want: rpcRule(), rules: []Rule{mod(obsRPC(), func(r *Rule) { r.LocalPort = "Any" })},
			reason:   `rule "RPC (TCP/135)": local port is Any, want 135 (too open)`,
			commands: []string{adv + `set rule name="RPC (TCP/135)" dir=in new localport=135`}},
		{name: "wrong protocol", opts: advOpts, want: rpcRule(), rules: []Rule{mod(obsRPC(), func(r *Rule) { r.Protocol = "UDP" })},
			reason:   `rule "RPC (TCP/135)": protocol is UDP, want TCP`,
			commands: []string{adv + `set rule name="RPC (TCP/135)" dir=in new protocol=TCP localport=135`}},
		{name: "protocol number 6 is TCP", opts: advOpts, want: rpcRule(), rules: []Rule{mod(obsRPC(), func(r *Rule) { r.Protocol = "6" })}, ok: true},
		{name: "port rule limited to a program", opts: advOpts, want: rpcRule(), rules: []Rule{mod(obsRPC(), func(r *Rule) { r.Program = `C:\x.exe` })},
			reason: `rule "RPC (TCP/135)": limited to program C:\x.exe`,
			commands: []string{adv + `delete rule name="RPC (TCP/135)" dir=in`,
				adv + `add rule name="RPC (TCP/135)" dir=in action=allow protocol=TCP localport=135 remoteip=localsubnet profile=any`}},
		{name: "narrower restrictions", opts: advOpts, want: rpcRule(), rules: []Rule{mod(obsRPC(), func(r *Rule) {
			r.RemotePort = "5000"
			r.LocalIP = mustScope(t, "10.0.0.1")
			r.InterfaceTypes = "Wireless"
			r.Security = "Authenticate"
		})},
			reason:   `rule "RPC (TCP/135)": remote port is 5000, want Any; local address is 10.0.0.1, want Any; interface types are Wireless, want Any; security is Authenticate, want NotRequired`,
			commands: []string{adv + `set rule name="RPC (TCP/135)" dir=in new remoteport=any localip=any interfacetype=any security=notrequired`}},
		{name: "own rule blocks", opts: advOpts, want: rpcRule(), rules: []Rule{mod(obsRPC(), func(r *Rule) { r.Action = "Block" })},
			reason:   `rule "RPC (TCP/135)": action is Block, want Allow`,
			commands: []string{adv + `set rule name="RPC (TCP/135)" dir=in new action=allow`}},
		{name: "wrong program path", opts: advOpts, want: ssisRule(v130), rules: []Rule{obsSSIS(`C:\Program Files\Microsoft SQL Server\100\DTS\Binn\MsDtsSrvr.exe`)},
			reason:   `rule "SSIS Service": program is C:\Program Files\Microsoft SQL Server\100\DTS\Binn\MsDtsSrvr.exe, want ` + p130,
			commands: []string{adv + `set rule name="SSIS Service" dir=in new program="` + v130 + `"`}},
		{name: "program path case and env insensitive", opts: advOpts, want: ssisRule(v130), rules: []Rule{obsSSIS(strings.ToUpper(p130))}, ok: true},
		{name: "program stored with env var", opts: advOpts, want: ssisRule(p130), rules: []Rule{obsSSIS(v130)}, ok: true},
		{name: "SSIS on D: via env", opts: Options{Dialect: Advfirewall, Env: map[string]string{"programfiles": `D:\Program Files`}},
			want: ssisRule(`%ProgramFiles%\Microsoft SQL Server\110\DTS\Binn\MsDtsSrvr.exe`), rules: []Rule{obsSSIS(d110)}, ok: true},
		{name: "SSIS on D: but C: wanted", opts: advOpts, want: ssisRule(`%ProgramFiles%\Microsoft SQL Server\110\DTS\Binn\MsDtsSrvr.exe`), rules: []Rule{obsSSIS(d110)},
			reason:   `rule "SSIS Service": program is ` + d110 + `, want C:\Program Files\Microsoft SQL Server\110\DTS\Binn\MsDtsSrvr.exe`,
			commands: []string{adv + `set rule name="SSIS Service" dir=in new program="%ProgramFiles%\Microsoft SQL Server\110\DTS\Binn\MsDtsSrvr.exe"`}},
		{name: "program rule limited to TCP", opts: advOpts, want: ssisRule(v130), rules: []Rule{mod(obsSSIS(p130), func(r *Rule) { r.Protocol = "TCP"; r.LocalPort = "Any"; r.RemotePort = "Any" })},
			reason: `rule "SSIS Service": protocol is TCP, want Any`,
			commands: []string{adv + `delete rule name="SSIS Service" dir=in`,
				adv + `add rule name="SSIS Service" dir=in action=allow program="` + v130 + `" remoteip=localsubnet profile=any enable=yes`}},
		{name: "program rule without program", opts: advOpts, want: ssisRule(v130), rules: []Rule{mod(obsSSIS(""), func(r *Rule) {})},
			reason:   `rule "SSIS Service": not limited to a program, want ` + p130 + ` (too open)`,
			commands: []string{adv + `set rule name="SSIS Service" dir=in new program="` + v130 + `"`}},
		{name: "duplicates agree", opts: advOpts, want: rpcRule(),
			rules: []Rule{mod(obsRPC(), func(r *Rule) { r.Profiles = []string{"Domain"} }), mod(obsRPC(), func(r *Rule) { r.Profiles = []string{"Private"} })},
			ok:    true, actual: "2 rules: enabled, in, allow, TCP/135, from LocalSubnet, profiles Domain | enabled, in, allow, TCP/135, from LocalSubnet, profiles Private"},
		{name: "duplicates identical", opts: advOpts, want: rpcRule(), rules: []Rule{obsRPC(), obsRPC()}, ok: true,
			actual: "2 identical rules: enabled, in, allow, TCP/135, from LocalSubnet, profiles Domain,Private,Public"},
		{name: "duplicates agree but disabled", opts: advOpts, want: rpcRule(),
			rules:    []Rule{mod(obsRPC(), func(r *Rule) { r.Enabled = false }), mod(obsRPC(), func(r *Rule) { r.Enabled = false })},
			reason:   `rule "RPC (TCP/135)": disabled`,
			commands: []string{adv + `set rule name="RPC (TCP/135)" dir=in new enable=yes`}},
		{name: "duplicates disagree", opts: advOpts, want: rpcRule(),
			rules:  []Rule{obsRPC(), mod(obsRPC(), func(r *Rule) { r.RemoteIP = Scope{Kind: ScopeAll} })},
			reason: `rule "RPC (TCP/135)": 2 rules with this name disagree: [enabled, in, allow, TCP/135, from LocalSubnet, profiles Domain,Private,Public] vs [enabled, in, allow, TCP/135, from Any, profiles Domain,Private,Public]`,
			commands: []string{adv + `delete rule name="RPC (TCP/135)" dir=in`,
				adv + `add rule name="RPC (TCP/135)" dir=in action=allow protocol=TCP localport=135 remoteip=localsubnet profile=any`}},
		{name: "duplicates disagree from blockFirefox-like output", opts: advOpts, want: Desired{Name: "blockFirefox", Kind: KindProgram, Program: `D:\Program Files\Mozilla Firefox\firefox.exe`, Direction: "out", Action: "block"},
			file: "samples/adv_show_rule_blockfirefox.txt", contains: "not limited to a program"},
		{name: "block rule under another name", opts: scanOpts, want: rpcRule(), file: "constructed/adv_block_scan.txt", human: true,
			reason: `rule "RPC (TCP/135)": blocked by rule "Block RPC" (enabled, in, block, TCP/135,445, from Any, profiles Domain,Private,Public), which the playbook does not name: remove or change it by hand`,
			actual: `enabled, in, allow, TCP/135, from LocalSubnet, profiles Domain,Private,Public; blocked by "Block RPC": enabled, in, block, TCP/135,445, from Any, profiles Domain,Private,Public`},
		{name: "block rule and drift", opts: scanOpts, want: rpcRule(),
			rules:    []Rule{mod(obsRPC(), func(r *Rule) { r.Enabled = false }), mod(obsRPC(), func(r *Rule) { r.Name = "deny"; r.Action = "Block"; r.LocalPort = "Any" })},
			human:    true,
			contains: `disabled; blocked by rule "deny"`,
			commands: []string{adv + `set rule name="RPC (TCP/135)" dir=in new enable=yes`}},
		{name: "disabled block rule ignored", opts: scanOpts, want: rpcRule(),
			rules: []Rule{obsRPC(), mod(obsRPC(), func(r *Rule) { r.Name = "deny"; r.Action = "Block"; r.Enabled = false })}, ok: true},
		{name: "block rule on other ports ignored", opts: scanOpts, want: rpcRule(),
			rules: []Rule{obsRPC(), mod(obsRPC(), func(r *Rule) { r.Name = "deny"; r.Action = "Block"; r.LocalPort = "445,3389" })}, ok: true},
		{name: "block rule RPC-EPMap", opts: scanOpts, want: rpcRule(),
			rules: []Rule{obsRPC(), mod(obsRPC(), func(r *Rule) { r.Name = "deny"; r.Action = "Block"; r.LocalPort = "RPC-EPMap" })}, human: true, contains: `blocked by rule "deny"`},
		{name: "block rule for other addresses ignored", opts: scanOpts, want: withScope(rpcRule(), custom),
			rules: []Rule{mod(obsRPC(), func(r *Rule) { r.RemoteIP = custom }), mod(obsRPC(), func(r *Rule) { r.Name = "deny"; r.Action = "Block"; r.RemoteIP = mustScope(t, "192.168.7.0/24") })},
			ok:    true},
		{name: "block rule for the program", opts: scanOpts, want: ssisRule(v130),
			rules: []Rule{obsSSIS(p130), mod(obsSSIS(strings.ToLower(p130)), func(r *Rule) { r.Name = "no ssis"; r.Action = "Block" })}, human: true, contains: `blocked by rule "no ssis"`},
		{name: "block-all rule covers the program", opts: scanOpts, want: ssisRule(v130),
			rules: []Rule{obsSSIS(p130), mod(obsSSIS(""), func(r *Rule) { r.Name = "lockdown"; r.Action = "Block" })}, human: true, contains: `blocked by rule "lockdown"`},
		{name: "outbound rule with the name only", opts: advOpts, want: rpcRule(), rules: []Rule{mod(obsRPC(), func(r *Rule) { r.Direction = "Out" })},
			reason:   `rule "RPC (TCP/135)": missing (found 1 outbound rule(s) with this name)`,
			commands: []string{adv + `add rule name="RPC (TCP/135)" dir=in action=allow protocol=TCP localport=135 remoteip=localsubnet profile=any`}},
		{name: "name matches case-insensitively", opts: advOpts, want: rpcRule(), rules: []Rule{mod(obsRPC(), func(r *Rule) { r.Name = "rpc (tcp/135)" })}, ok: true},
		{name: "custom scope equal as sets", opts: advOpts, want: withScope(rpcRule(), custom),
			rules: []Rule{mod(obsRPC(), func(r *Rule) { r.RemoteIP = mustScope(t, "192.168.5.7/32,10.0.0.0/8") })}, ok: true},
		{name: "custom scope too open", opts: advOpts, want: withScope(rpcRule(), custom),
			rules:    []Rule{mod(obsRPC(), func(r *Rule) { r.RemoteIP = mustScope(t, "10.0.0.0/8,192.168.5.0-192.168.5.9") })},
			reason:   `rule "RPC (TCP/135)": scope is 10.0.0.0/8,192.168.5.0-192.168.5.9, want 10.0.0.0/8,192.168.5.7 (too open)`,
			commands: []string{adv + `set rule name="RPC (TCP/135)" dir=in new remoteip=10.0.0.0/8,192.168.5.7`}},
		{name: "custom scope too narrow", opts: advOpts, want: withScope(rpcRule(), custom),
			rules:    []Rule{mod(obsRPC(), func(r *Rule) { r.RemoteIP = mustScope(t, "10.0.0.0/8") })},
			reason:   `rule "RPC (TCP/135)": scope is 10.0.0.0/8, want 10.0.0.0/8,192.168.5.7 (too narrow)`,
			commands: []string{adv + `set rule name="RPC (TCP/135)" dir=in new remoteip=10.0.0.0/8,192.168.5.7`}},
		{name: "custom scope overlapping", opts: advOpts, want: withScope(rpcRule(), custom),
			rules:    []Rule{mod(obsRPC(), func(r *Rule) { r.RemoteIP = mustScope(t, "10.0.0.0/8,192.168.6.1") })},
			reason:   `rule "RPC (TCP/135)": scope is 10.0.0.0/8,192.168.6.1, want 10.0.0.0/8,192.168.5.7`,
			commands: []string{adv + `set rule name="RPC (TCP/135)" dir=in new remoteip=10.0.0.0/8,192.168.5.7`}},
		{name: "custom scope where subnet wanted", opts: advOpts, want: rpcRule(),
			rules:    []Rule{mod(obsRPC(), func(r *Rule) { r.RemoteIP = mustScope(t, "LocalSubnet,10.0.0.0/8") })},
			reason:   `rule "RPC (TCP/135)": scope is LocalSubnet,10.0.0.0/8, want LocalSubnet (too open)`,
			commands: []string{adv + `set rule name="RPC (TCP/135)" dir=in new remoteip=localsubnet`}},
		{name: "absent, present", opts: advOpts, want: absent(rpcRule()), rules: []Rule{obsRPC()},
			reason:   `rule "RPC (TCP/135)": present, want absent`,
			commands: []string{adv + `delete rule name="RPC (TCP/135)" dir=in protocol=TCP localport=135`}},
		{name: "absent, port read with blanks", opts: advOpts, want: absent(rpcRule()), rules: []Rule{mod(obsRPC(), func(r *Rule) { r.LocalPort = " 135\t" })},
			reason:   `rule "RPC (TCP/135)": present, want absent`,
			commands: []string{adv + `delete rule name="RPC (TCP/135)" dir=in protocol=TCP localport=135`}},
		{name: "absent, other definition left alone", opts: advOpts, want: absent(rpcRule()), rules: []Rule{mod(obsRPC(), func(r *Rule) { r.LocalPort = "136" })}, ok: true},
		{name: "absent, program", opts: advOpts, want: absent(ssisRule(v130)), rules: []Rule{obsSSIS(p130), obsSSIS(strings.ToUpper(p130))},
			reason: `rule "SSIS Service": 2 rules present, want absent`,
			// Windows matches paths case-insensitively: one delete.
			commands: []string{adv + `delete rule name="SSIS Service" dir=in program="` + p130 + `"`}},
		{name: "absent, already", opts: advOpts, want: absent(rpcRule()), file: "samples/adv_no_match.txt", ok: true, actual: "absent"},

		// legacy dialect
		{name: "legacy 2008 without notice compliant", opts: legOpts, want: rpcRule(), file: "constructed/legacy_portopening_verbose_2008.txt", ok: true,
			actual: "enabled, in, allow, TCP/135, from LocalSubnet, profiles Domain,Standard"},
		{name: "legacy missing", opts: legOpts, want: rpcRule(), rules: []Rule{},
			reason:   `rule "RPC (TCP/135)": missing`,
			commands: []string{`netsh firewall add portopening protocol=TCP port=135 name="RPC (TCP/135)" mode=ENABLE scope=SUBNET`}},
		{name: "legacy-only 2003 output, profiles disagree", opts: legOpts, want: rpcRule(), file: "constructed/legacy_portopening_verbose_2003.txt",
			reason: `rule "RPC (TCP/135)": 2 rules with this name disagree: [enabled, in, allow, TCP/135, from LocalSubnet, profiles Domain] vs [disabled, in, allow, TCP/135, from Any, profiles Standard]`,
			commands: []string{`netsh firewall delete portopening protocol=TCP port=135 profile=ALL`,
				`netsh firewall add portopening protocol=TCP port=135 name="RPC (TCP/135)" mode=ENABLE scope=SUBNET`}},
		{name: "legacy scope ALL", opts: legOpts, want: rpcRule(),
			rules:  []Rule{{Name: "RPC (TCP/135)", Enabled: true, Direction: "In", Action: "Allow", Protocol: "TCP", LocalPort: "135", RemotePort: "Any", LocalIP: Scope{Kind: ScopeAll}, RemoteIP: Scope{Kind: ScopeAll}, Profiles: []string{"Domain"}}},
			reason: `rule "RPC (TCP/135)": scope is Any, want LocalSubnet (too open)`,
			commands: []string{`netsh firewall delete portopening protocol=TCP port=135 profile=ALL`,
				`netsh firewall add portopening protocol=TCP port=135 name="RPC (TCP/135)" mode=ENABLE scope=SUBNET`}},
		{name: "legacy wrong program path (2003, SQL 2005 path)", opts: legOpts, want: ssisRule(v130), file: "constructed/legacy_allowedprogram_verbose_2003.txt",
			reason: `rule "SSIS Service": program is C:\Program Files\Microsoft SQL Server\90\DTS\Binn\MsDtsSrvr.exe, want ` + p130,
			commands: []string{`netsh firewall delete allowedprogram program="C:\Program Files\Microsoft SQL Server\90\DTS\Binn\MsDtsSrvr.exe" profile=ALL`,
				`netsh firewall add allowedprogram program="` + v130 + `" name="SSIS Service" scope=SUBNET`}},
		{name: "legacy SSIS on D:, scope differs per profile", opts: legOpts, want: withScope(ssisRule(d110), Scope{Kind: ScopeAll}), file: "constructed/legacy_allowedprogram_verbose_2016.txt",
			contains: "2 rules with this name disagree",
			commands: []string{`netsh firewall delete allowedprogram program="` + d110 + `" profile=ALL`,
				`netsh firewall add allowedprogram program="` + d110 + `" name="SSIS Service" scope=ALL`}},
		{name: "legacy absent", opts: legOpts, want: absent(rpcRule()), file: "constructed/legacy_portopening_verbose_2008.txt",
			reason:   `rule "RPC (TCP/135)": present, want absent`,
			commands: []string{`netsh firewall delete portopening protocol=TCP port=135 profile=ALL`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules := tt.rules
			if tt.file != "" {
				var err error
				o := sampleOut(t, tt.file, 0)
				if strings.Contains(tt.file, "no_match") {
					o.ExitCode = 1
				}
				if rules, err = ParseShow(tt.opts.Dialect, o); err != nil {
					t.Fatalf("ParseShow(%s): %v", tt.file, err)
				}
			}
			got, err := Evaluate(tt.want, rules, tt.opts)
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			if got.Compliant != tt.ok || got.NeedsHuman != tt.human {
				t.Errorf("Compliant, NeedsHuman = %v, %v; want %v, %v (reason %q)", got.Compliant, got.NeedsHuman, tt.ok, tt.human, got.Reason)
			}
			if tt.ok && (got.Reason != "" || len(got.Commands) != 0) {
				t.Errorf("compliant result has reason %q, commands %q", got.Reason, got.Commands)
			}
			if !tt.ok && got.Reason == "" {
				t.Errorf("failing result without a reason")
			}
			if tt.ok != (got.Code == "") {
				t.Errorf("Code = %q for a result with Compliant %v", got.Code, got.Compliant)
			}
			if want, ok := evaluateCodes[tt.name]; ok && got.Code != want {
				t.Errorf("Code = %q, want %q (reason %q)", got.Code, want, got.Reason)
			}
			if strings.ContainsAny(got.Reason, "\r\n") {
				t.Errorf("reason is not one line: %q", got.Reason)
			}
			if tt.reason != "" && got.Reason != tt.reason {
				t.Errorf("Reason =\n%s\nwant\n%s", got.Reason, tt.reason)
			}
			if tt.contains != "" && !strings.Contains(got.Reason, tt.contains) {
				t.Errorf("Reason = %q, want it to contain %q", got.Reason, tt.contains)
			}
			if tt.commands != nil || tt.reason != "" {
				if d := cmp.Diff(tt.commands, got.Commands); d != "" {
					t.Errorf("Commands mismatch (-want +got):\n%s", d)
				}
			}
			if tt.actual != "" && got.Actual != tt.actual {
				t.Errorf("Actual =\n%s\nwant\n%s", got.Actual, tt.actual)
			}
			if got.Expected == "" || got.Actual == "" {
				t.Errorf("Expected %q / Actual %q must not be empty", got.Expected, got.Actual)
			}
		})
	}
}

func TestEvaluateExpected(t *testing.T) {
	for _, tt := range []struct {
		d    Desired
		want string
	}{
		{rpcRule(), "enabled, in, allow, TCP/135, from LocalSubnet"},
		{ssisRule(v130), "enabled, in, allow, program " + p130 + ", from LocalSubnet"},
		{Desired{Name: "x", Kind: KindPort, Ports: PortRange{5000, 5100}, Scope: Scope{Kind: ScopeAll}}, "enabled, in, allow, TCP/5000-5100, from Any"},
		{Desired{Name: "x", Kind: KindPort, Ports: Port(1), State: StateAbsent}, "absent"},
	} {
		got, err := Evaluate(tt.d, nil, Options{Dialect: Advfirewall, Env: DefaultEnv()})
		if err != nil || got.Expected != tt.want {
			t.Errorf("Evaluate(%s).Expected = %q, %v; want %q", tt.d.Name, got.Expected, err, tt.want)
		}
	}
}

// TestEvaluateCannotJudge covers the outputs that must never become a
// verdict: legacy output without scope, and non-English output.
func TestEvaluateCannotJudge(t *testing.T) {
	legOpts := Options{Dialect: Legacy, Env: DefaultEnv()}
	rules, err := ParseLegacy(sampleOut(t, "samples/legacy_show_portopening_2008r2.txt", 0))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Evaluate(rpcRule(), rules, legOpts); err == nil || !strings.Contains(err.Error(), "scope") {
		t.Errorf("Evaluate on non-verbose legacy output = %+v, %v; want a scope error", got, err)
	}
	// absent does not need the scope
	d := rpcRule()
	d.State = StateAbsent
	if got, err := Evaluate(d, rules, legOpts); err != nil || got.Compliant {
		t.Errorf("Evaluate(absent) = %+v, %v; want a failing verdict", got, err)
	}
	for _, tt := range []struct {
		d    Dialect
		file string
	}{
		{Advfirewall, "constructed/adv_german.txt"},
		{Advfirewall, "constructed/adv_german_no_match.txt"},
		{Legacy, "constructed/legacy_german.txt"},
	} {
		o := sampleOut(t, tt.file, 0)
		_, err := ParseShow(tt.d, o)
		var ue *UnrecognizedError
		if !errors.As(err, &ue) || ue.Command != tt.file || ue.Raw != o.Stdout {
			t.Errorf("ParseShow(%s, %s) err = %v, want *UnrecognizedError with command and raw text", tt.d, tt.file, err)
		}
	}
	// A program path read from the host that is unsafe to send is refused.
	bad := obsSSIS(`C:\x" & calc & ".exe`)
	if _, err := Evaluate(ssisRule(v130), []Rule{obsSSIS(p130), bad}, legOpts); !errors.As(err, new(*UnsafeValueError)) {
		t.Errorf("Evaluate with an unsafe observed path: err = %v, want *UnsafeValueError", err)
	}
}

func TestEvaluateService(t *testing.T) {
	run := ServiceStatus{Name: "MsDtsServer130", Installed: true, State: 4, StateName: "RUNNING"}
	stop := ServiceStatus{Name: "MsDtsServer130", Installed: true, State: 1, StateName: "STOPPED"}
	for _, tt := range []struct {
		st     ServiceStatus
		want   bool
		ok     bool
		reason string
	}{
		{run, true, true, ""},
		{stop, true, false, "service MsDtsServer130 is stopped, want running"},
		{ServiceStatus{}, true, false, "service the service is not installed, want running"},
		{stop, false, true, ""},
		{run, false, false, "service MsDtsServer130 is running, want stopped"},
	} {
		got := EvaluateService(tt.st, tt.want)
		if got.Compliant != tt.ok || got.Reason != tt.reason || len(got.Commands) != 0 {
			t.Errorf("EvaluateService(%+v, %v) = %+v; want ok=%v reason %q", tt.st, tt.want, got, tt.ok, tt.reason)
		}
	}
}

func TestEvaluateRegistry(t *testing.T) {
	key := RPCInternetKey
	want := RegistryWant{Key: key, Values: DCOMValues(PortRange{5000, 6000})}
	full := RegKey{Exists: true, Path: `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Rpc\Internet`, Values: []RegValue{
		{"Ports", "REG_MULTI_SZ", "5000-6000"}, {"PortsInternetAvailable", "REG_SZ", "y"}, {"UseInternetPorts", "REG_SZ", "Y"}}}
	got, err := EvaluateRegistry(want, full)
	if err != nil || !got.Compliant || len(got.Commands) != 0 {
		t.Errorf("EvaluateRegistry(full) = %+v, %v; want compliant", got, err)
	}
	got, err = EvaluateRegistry(want, RegKey{})
	wantCmds := []string{
		`reg add "HKLM\SOFTWARE\Microsoft\Rpc\Internet" /v Ports /t REG_MULTI_SZ /d "5000-6000" /f`,
		`reg add "HKLM\SOFTWARE\Microsoft\Rpc\Internet" /v PortsInternetAvailable /t REG_SZ /d Y /f`,
		`reg add "HKLM\SOFTWARE\Microsoft\Rpc\Internet" /v UseInternetPorts /t REG_SZ /d Y /f`,
	}
	if err != nil || got.Compliant || !cmp.Equal(got.Commands, wantCmds) || got.Actual != "key absent" ||
		got.Reason != `registry HKLM\SOFTWARE\Microsoft\Rpc\Internet: Ports missing; PortsInternetAvailable missing; UseInternetPorts missing` {
		t.Errorf("EvaluateRegistry(absent key) = %+v, %v", got, err)
	}
	drift := full
	drift.Values = []RegValue{{"Ports", "REG_MULTI_SZ", "5000-5100"}, {"PortsInternetAvailable", "REG_SZ", "Y"}, {"UseInternetPorts", "REG_SZ", "N"}}
	got, _ = EvaluateRegistry(want, drift)
	if !cmp.Equal(got.Commands, []string{wantCmds[0], wantCmds[2]}) || got.Reason != `registry HKLM\SOFTWARE\Microsoft\Rpc\Internet: Ports is "5000-5100", want "5000-6000"; UseInternetPorts is "N", want "Y"` {
		t.Errorf("EvaluateRegistry(drift) = %+v", got)
	}
	got, _ = EvaluateRegistry(RegistryWant{Key: key, Values: want.Values, State: StateAbsent}, full)
	if got.Compliant || len(got.Commands) != 3 || got.Commands[0] != `reg delete "HKLM\SOFTWARE\Microsoft\Rpc\Internet" /v Ports /f` {
		t.Errorf("EvaluateRegistry(absent) = %+v", got)
	}
	dw, _ := EvaluateRegistry(RegistryWant{Key: key, Values: []RegValue{{"X", "REG_DWORD", "1"}}}, RegKey{Exists: true, Values: []RegValue{{"X", "REG_DWORD", "0x1"}}})
	if !dw.Compliant {
		t.Errorf("REG_DWORD 1 vs 0x1 not equal: %+v", dw)
	}
}

func TestRegistryAndServiceCodes(t *testing.T) {
	want := RegistryWant{Key: RPCInternetKey, State: StatePresent, Values: DCOMValues(PortRange{5000, 5100})}
	r, err := EvaluateRegistry(want, RegKey{Path: RPCInternetKey})
	if err != nil || r.Code != CodeMissing {
		t.Errorf("registry key absent: code %q, err %v; want %q", r.Code, err, CodeMissing)
	}
	got := RegKey{Path: RPCInternetKey, Exists: true, Values: DCOMValues(PortRange{5000, 5200})}
	if r, err = EvaluateRegistry(want, got); err != nil || r.Code != CodeWrongValue {
		t.Errorf("registry wrong ports: code %q, err %v; want %q", r.Code, err, CodeWrongValue)
	}
	want.State = StateAbsent
	if r, err = EvaluateRegistry(want, got); err != nil || r.Code != CodeUnwanted {
		t.Errorf("registry present, want absent: code %q, err %v; want %q", r.Code, err, CodeUnwanted)
	}
	if r := EvaluateService(ServiceStatus{Name: "MsDtsServer130", Installed: true, State: 1, StateName: "STOPPED"}, true); r.Code != CodeNotRunning {
		t.Errorf("stopped service: code %q, want %q", r.Code, CodeNotRunning)
	}
	if r := EvaluateService(ServiceStatus{Name: "MsDtsServer130", Installed: true, State: 4, StateName: "RUNNING"}, false); r.Code != CodeNotStopped {
		t.Errorf("running service wanted stopped: code %q, want %q", r.Code, CodeNotStopped)
	}
	if r := EvaluateService(ServiceStatus{Name: "MsDtsServer130", Installed: true, State: 4, StateName: "RUNNING"}, true); r.Code != "" {
		t.Errorf("running service: code %q, want none", r.Code)
	}
}
