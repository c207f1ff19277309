package winsim

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

const (
	dashes70 = "----------------------------------------------------------------------"
	dashes67 = "-------------------------------------------------------------------"

	msgServiceStopped = "\r\nAn error occurred while attempting to contact the  Windows Firewall service. Make sure that the service is running and try your request again.\r\n\r\n"
	msgNumArgs        = "The number of arguments  provided is not valid. Check help for the correct syntax."
	msgBadValue       = "A specified value is not valid."
	msgBadPort        = "A specified port value is not valid."
	msgBadProtocol    = "A specified protocol value is not valid."
	msgPortsNeedTCP   = "Ports can only be specified if the protocol is TCP or UDP."
	msgEssential      = "One or more essential parameters were not entered."
	msgLegacySyntax   = "The syntax supplied for this command is not valid. Check help for the correct syntax."
	msgFileNotFound   = "The system cannot find the file specified."
)

// crlf joins lines, each terminated by CRLF.
func crlf(lines ...string) string {
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\r\n") + "\r\n"
}

// kw matches a netsh keyword: exact or an unambiguous prefix, case-insensitive.
func kw(tok string, cands ...string) string {
	t := strings.ToLower(tok)
	match := ""
	for _, c := range cands {
		if t == c {
			return c
		}
		if t != "" && strings.HasPrefix(c, t) {
			if match != "" {
				return ""
			}
			match = c
		}
	}
	return match
}

func notFound(raw string) string {
	return "The following command was not found: " + raw + ".\r\n"
}

// progNetsh dispatches `netsh <context> ...`. Unknown commands print
// "The following command was not found: <args>." and exit 1 (netsh.md §9
// #15: the exit code is a choice).
func progNetsh(inv *invocation) int {
	h := inv.p.h
	raw := strings.TrimSpace(inv.raw)
	args := inv.args
	if len(args) == 0 {
		// Interactive netsh reads commands from stdin; with none it exits.
		return 0
	}
	switch kw(args[0], netshContexts(h.cfg.Version)...) {
	case "firewall":
		return legacyFirewall(inv, raw, args[1:])
	case "advfirewall":
		return advfirewall(inv, raw, args[1:])
	}
	inv.out(notFound(raw))
	return 1
}

// netshContexts are the netsh contexts of Windows version v.
func netshContexts(v Version) []string {
	ctxs := []string{"firewall", "interface", "http", "winhttp", "wlan", "lan", "ipsec", "dhcpclient", "bridge", "rpc", "winsock", "routing", "ras", "nap", "namespace", "netio", "p2p", "trace", "wcn", "wfp", "branchcache", "dnsclient", "mbn"}
	if v.HasAdvfirewall() {
		ctxs = append(ctxs, "advfirewall")
	}
	return ctxs
}

// firewallGate applies the host faults every firewall command meets: the
// firewall service stopped (all commands) and, for writes, elevation.
func firewallGate(inv *invocation, write bool) (stop bool) {
	h := inv.p.h
	if h.cfg.Faults.FirewallStopped {
		inv.out(msgServiceStopped)
		return true
	}
	if write && h.cfg.Faults.NotElevated {
		inv.out(h.lang.elevate + "\r\n\r\n")
		return true
	}
	return false
}

// params are netsh key=value arguments. A bare word keeps an empty key.
type param struct{ key, val string }

// parseParams joins "key = value", "key= value" and "key =value" forms and
// splits key=value pairs.
func parseParams(args []string) []param {
	var out []param
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case i+2 < len(args) && args[i+1] == "=" && !strings.Contains(a, "="):
			out = append(out, param{strings.ToLower(a), args[i+2]})
			i += 2
			continue
		case strings.HasSuffix(a, "=") && strings.Count(a, "=") == 1 && i+1 < len(args) && a != "=":
			out = append(out, param{strings.ToLower(strings.TrimSuffix(a, "=")), args[i+1]})
			i++
			continue
		case i+1 < len(args) && strings.HasPrefix(args[i+1], "=") && len(args[i+1]) > 1 && !strings.Contains(a, "="):
			out = append(out, param{strings.ToLower(a), args[i+1][1:]})
			i++
			continue
		}
		if k, v, ok := strings.Cut(a, "="); ok && k != "" {
			out = append(out, param{strings.ToLower(k), v})
		} else {
			out = append(out, param{val: a})
		}
	}
	return out
}

// advHelp is `netsh advfirewall` with no command (netsh.md §3.8, verbatim).
var advHelp = crlf(
	"The following commands are available:",
	"",
	"Commands in this context:",
	"?              - Displays a list of commands.",
	"consec         - Changes to the `netsh advfirewall consec' context.",
	"dump           - Displays a configuration script.",
	"export         - Exports the current policy to a file.",
	"firewall       - Changes to the `netsh advfirewall firewall' context.",
	"help           - Displays a list of commands.",
	"import         - Imports a policy file into the current policy store.",
	"mainmode       - Changes to the `netsh advfirewall mainmode' context.",
	"monitor        - Changes to the `netsh advfirewall monitor' context.",
	"reset          - Resets the policy to the default out-of-box policy.",
	"set            - Sets the per-profile or global settings.",
	"show           - Displays profile or global properties.",
	"",
	"The following sub-contexts are available:",
	" consec firewall mainmode monitor",
	"",
	"To view help for a command, type the command, followed by a space, and then",
	" type ?.",
	"",
)

// advFirewallHelp is `netsh advfirewall firewall` with no command (reconstructed).
var advFirewallHelp = crlf(
	"",
	"The following commands are available:",
	"",
	"Commands in this context:",
	"?              - Displays a list of commands.",
	"add            - Adds a new inbound or outbound firewall rule.",
	"delete         - Deletes all matching firewall rules.",
	"dump           - Displays a configuration script.",
	"help           - Displays a list of commands.",
	"set            - Sets new values for properties of a existing rule.",
	"show           - Displays a specified firewall rule.",
	"",
	"To view help for a command, type the command, followed by a space, and then",
	" type ?.",
	"",
)

func advfirewall(inv *invocation, raw string, args []string) int {
	if len(args) == 0 || kw(args[0], "?", "help") != "" {
		inv.out(advHelp)
		return 0
	}
	switch kw(args[0], "firewall", "consec", "mainmode", "monitor", "dump", "export", "import", "reset", "set", "show") {
	case "firewall":
	case "show", "set":
		return advProfiles(inv, raw, args)
	default:
		inv.out(notFound(raw))
		return 1
	}
	args = args[1:]
	if len(args) == 0 || kw(args[0], "?", "help") != "" {
		inv.out(advFirewallHelp)
		return 0
	}
	verb := kw(args[0], "add", "delete", "set", "show", "dump")
	if verb == "" || verb == "dump" || len(args) < 2 || kw(args[1], "rule") != "rule" {
		inv.out(notFound(raw))
		return 1
	}
	params := args[2:]
	if len(params) == 1 && (params[0] == "?" || strings.EqualFold(params[0], "help")) {
		inv.out(crlf("") + inv.p.h.advUsage(verb) + "\r\n")
		return 0
	}
	if firewallGate(inv, verb != "show") {
		return 1
	}
	h := inv.p.h
	return inv.firewallCommand(func() (string, int, bool) { return h.advRule(verb, parseParams(params)) })
}

// usageError formats the advfirewall error block: blank line, message,
// blank line, the command's usage text.
func (h *Host) usageError(verb, msg string) string {
	return "\r\n" + msg + "\r\n\r\n" + h.advUsage(verb) + "\r\n"
}

// advUsage is the usage text of verb on this host's version: 2008 (6.0)
// prints the Vista-era option lines quoted in netsh.md §3.8.
func (h *Host) advUsage(verb string) string {
	u := advUsage[verb]
	if h.cfg.Version != Win2008 {
		return u
	}
	r := strings.NewReplacer(
		"      [localport=0-65535|<port range>[,...]|RPC|RPC-EPMap|IPHTTPS|any (default=any)]", "      [localport=0-65535|RPC|RPC-EPMap|any[,...] (default=any)]",
		"      [remoteport=0-65535|<port range>[,...]|any (default=any)]", "      [remoteport=0-65535|any[,...] (default=any)]",
		"      [edge=yes|deferapp|deferuser|no (default=no)]", "      [edge=yes|no (default=no)]",
		"      [security=authenticate|authenc|authdynenc|authnoencap|notrequired \r\n         (default=notrequired)]", "      [security=authenticate|authenc|notrequired (default=notrequired)]",
	)
	return r.Replace(u)
}

// versionValues rejects values that 2008 (6.0) does not know yet: the
// IPHTTPS port keyword, edge=deferapp|deferuser, security=authdynenc|authnoencap.
func (h *Host) versionValues(vals map[string]string) string {
	if h.cfg.Version != Win2008 {
		return ""
	}
	for _, p := range strings.Split(vals["localport"], ",") {
		if strings.EqualFold(strings.TrimSpace(p), "iphttps") {
			return msgBadPort
		}
	}
	switch strings.ToLower(vals["edge"]) {
	case "deferapp", "deferuser":
		return msgBadValue
	}
	switch strings.ToLower(vals["security"]) {
	case "authdynenc", "authnoencap":
		return msgBadValue
	}
	return ""
}

// advRule runs one advfirewall rule command with h.mu held.
func (h *Host) advRule(verb string, ps []param) (out string, rc int, wrote bool) {
	switch verb {
	case "add":
		return h.advAdd(ps)
	case "show":
		key := showKey(ps)
		if out, rc, ok := h.cached(key); ok {
			return out, rc, false
		}
		out, rc, _ := h.advShow(ps)
		h.keep(key, out, rc)
		return out, rc, false
	case "delete":
		return h.advDelete(ps)
	case "set":
		return h.advSet(ps)
	}
	return "", 1, false
}

var addKeys = map[string]bool{"name": true, "dir": true, "action": true, "program": true, "service": true,
	"description": true, "enable": true, "profile": true, "localip": true, "remoteip": true, "localport": true,
	"remoteport": true, "protocol": true, "interfacetype": true, "rmtcomputergrp": true, "rmtusrgrp": true,
	"edge": true, "security": true}

func (h *Host) advAdd(ps []param) (string, int, bool) {
	vals := map[string]string{}
	for _, p := range ps {
		if !addKeys[p.key] {
			return h.usageError("add", msgNumArgs), 1, false
		}
		vals[p.key] = p.val
	}
	if vals["name"] == "" || vals["dir"] == "" || vals["action"] == "" {
		return h.usageError("add", msgEssential), 1, false
	}
	if strings.EqualFold(vals["name"], "all") {
		return h.usageError("add", msgBadValue), 1, false
	}
	r := Rule{Name: vals["name"], Enabled: true}
	if msg := h.versionValues(vals); msg != "" {
		return h.usageError("add", msg), 1, false
	}
	if msg := applyRuleValues(&r, vals); msg != "" {
		return h.usageError("add", msg), 1, false
	}
	r.normalize()
	h.rules = append(h.rules, r)
	return h.lang.ok + "\r\n\r\n", 0, true
}

// applyRuleValues validates vals and sets them on r. It returns the netsh
// error message for the first invalid value, or "".
func applyRuleValues(r *Rule, vals map[string]string) string {
	if v, ok := vals["dir"]; ok {
		switch strings.ToLower(v) {
		case "in":
			r.Dir = "In"
		case "out":
			r.Dir = "Out"
		default:
			return msgBadValue
		}
	}
	if v, ok := vals["action"]; ok {
		switch strings.ToLower(v) {
		case "allow":
			r.Action = "Allow"
		case "block":
			r.Action = "Block"
		case "bypass":
			r.Action = "Bypass"
		default:
			return msgBadValue
		}
	}
	if v, ok := vals["enable"]; ok {
		switch strings.ToLower(v) {
		case "yes":
			r.Enabled = true
		case "no":
			r.Enabled = false
		default:
			return msgBadValue
		}
	}
	if v, ok := vals["profile"]; ok {
		p, err := ParseProfiles(v)
		if err != nil || strings.Contains(strings.ToLower(v), "all") {
			return msgBadValue
		}
		r.Profiles = p
	}
	if v, ok := vals["localip"]; ok {
		a, err := parseAddresses(v, false)
		if err != nil {
			return msgBadValue
		}
		r.LocalIP = a
	}
	if v, ok := vals["remoteip"]; ok {
		a, err := parseAddresses(v, true)
		if err != nil {
			return msgBadValue
		}
		r.RemoteIP = a
	}
	if v, ok := vals["protocol"]; ok {
		p, icmp, err := parseProtocol(v)
		if err != nil {
			return msgBadProtocol
		}
		if p != r.Protocol && r.Protocol != "" {
			// A protocol change drops ports that no longer apply.
			if p != "TCP" && p != "UDP" {
				r.LocalPort, r.RemotePort = "", ""
			}
		}
		r.Protocol, r.ICMP = p, icmp
	}
	for _, k := range []string{"localport", "remoteport"} {
		v, ok := vals[k]
		if !ok {
			continue
		}
		port, err := parsePorts(v, k == "localport")
		if err != nil {
			return msgBadPort
		}
		proto := r.Protocol
		if proto != "TCP" && proto != "UDP" && port != "" {
			return msgPortsNeedTCP
		}
		if k == "localport" {
			r.LocalPort = port
		} else {
			r.RemotePort = port
		}
	}
	if v, ok := vals["edge"]; ok {
		switch strings.ToLower(v) {
		case "yes":
			r.Edge = "Yes"
		case "no":
			r.Edge = "No"
		case "deferapp":
			r.Edge = "Defer to application"
		case "deferuser":
			r.Edge = "Defer to user"
		default:
			return msgBadValue
		}
		if r.Edge != "No" && r.Dir == "Out" {
			return msgBadValue
		}
	}
	if v, ok := vals["security"]; ok {
		s, ok := map[string]string{"notrequired": "NotRequired", "authenticate": "Authenticate", "authenc": "AuthEnc",
			"authdynenc": "AuthDynEnc", "authnoencap": "AuthNoEncap"}[strings.ToLower(v)]
		if !ok {
			return msgBadValue
		}
		r.Security = s
	}
	if v, ok := vals["interfacetype"]; ok {
		var parts []string
		for _, t := range strings.Split(v, ",") {
			s, ok := map[string]string{"any": "Any", "wireless": "Wireless", "lan": "Lan", "ras": "RemoteAccess"}[strings.ToLower(strings.TrimSpace(t))]
			if !ok {
				return msgBadValue
			}
			parts = append(parts, s)
		}
		r.Interfaces = strings.Join(parts, ",")
	}
	if v, ok := vals["program"]; ok {
		r.Program = v
	}
	if v, ok := vals["service"]; ok {
		r.Service = v
		if strings.EqualFold(v, "any") {
			r.Service = "Any"
		}
	}
	if v, ok := vals["description"]; ok {
		r.Description = v
	}
	if v, ok := vals["name"]; ok {
		if v == "" || strings.EqualFold(v, "all") {
			return msgBadValue
		}
		r.Name = v
	}
	return ""
}

// selector is the rule filter of show/set/delete.
type selector struct {
	all      bool
	name     string
	group    string
	byGroup  bool
	dir      string
	profiles Profiles
	vals     map[string]string // program, service, localip, remoteip, localport, remoteport, protocol
}

var selectorKeys = map[string]bool{"name": true, "dir": true, "profile": true, "program": true, "service": true,
	"localip": true, "remoteip": true, "localport": true, "remoteport": true, "protocol": true}

// parseSelector reads filter parameters; ok is false with an error message.
func parseSelector(ps []param, verb string) (selector, string) {
	sel := selector{vals: map[string]string{}}
	haveName := false
	for _, p := range ps {
		switch {
		case p.key == "name":
			sel.name, haveName = p.val, true
			sel.all = strings.EqualFold(p.val, "all")
		case p.key == "group" && verb == "set":
			sel.group, sel.byGroup, haveName = p.val, true, true
		case p.key == "dir":
			switch strings.ToLower(p.val) {
			case "in":
				sel.dir = "In"
			case "out":
				sel.dir = "Out"
			default:
				return sel, msgBadValue
			}
		case p.key == "profile":
			pr, err := ParseProfiles(p.val)
			if err != nil {
				return sel, msgBadValue
			}
			sel.profiles = pr
		case selectorKeys[p.key] && verb != "show":
			sel.vals[p.key] = p.val
		default:
			return sel, msgNumArgs
		}
	}
	if !haveName {
		return sel, msgNumArgs
	}
	// Normalise the value filters the way add would store them.
	var probe Rule
	probe.Protocol = "TCP"
	if msg := applyRuleValues(&probe, sel.vals); msg != "" && msg != msgPortsNeedTCP {
		return sel, msg
	}
	return sel, ""
}

func (sel selector) match(r *Rule) bool {
	switch {
	case sel.byGroup:
		if !strings.EqualFold(r.Grouping, sel.group) {
			return false
		}
	case !sel.all && !strings.EqualFold(r.Name, sel.name):
		return false
	}
	if sel.dir != "" && r.Dir != sel.dir {
		return false
	}
	if sel.profiles != 0 && r.Profiles&sel.profiles == 0 {
		return false
	}
	if v, ok := sel.vals["protocol"]; ok {
		p, _, _ := parseProtocol(v)
		if p != r.Protocol {
			return false
		}
	}
	if v, ok := sel.vals["program"]; ok && !strings.EqualFold(v, r.Program) {
		return false
	}
	if v, ok := sel.vals["service"]; ok && !strings.EqualFold(v, r.Service) {
		return false
	}
	for k, have := range map[string][]string{"localip": r.LocalIP, "remoteip": r.RemoteIP} {
		if v, ok := sel.vals[k]; ok {
			a, _ := parseAddresses(v, k == "remoteip")
			if addrDisplay(a) != addrDisplay(have) {
				return false
			}
		}
	}
	for k, have := range map[string]string{"localport": r.LocalPort, "remoteport": r.RemotePort} {
		if v, ok := sel.vals[k]; ok {
			p, _ := parsePorts(v, k == "localport")
			if (r.Protocol != "TCP" && r.Protocol != "UDP") || p != have {
				return false
			}
		}
	}
	return true
}

func (h *Host) noMatch() string { return "\r\n" + h.lang.noMatch + "\r\n\r\n" }

func (h *Host) advShow(ps []param) (string, int, bool) {
	verbose := false
	var rest []param
	for _, p := range ps {
		switch {
		case p.key == "" && strings.EqualFold(p.val, "verbose"):
			verbose = true
		case p.key == "type":
			switch strings.ToLower(p.val) {
			case "static", "dynamic":
			default:
				return h.usageError("show", msgBadValue), 1, false
			}
		default:
			rest = append(rest, p)
		}
	}
	sel, msg := parseSelector(rest, "show")
	if msg != "" {
		return h.usageError("show", msg), 1, false
	}
	n := 0
	for i := range h.rules {
		if sel.match(&h.rules[i]) {
			n++
		}
	}
	var b strings.Builder
	b.Grow(n*ruleBlockSize + 64)
	for i := range h.rules {
		if !sel.match(&h.rules[i]) {
			continue
		}
		b.WriteString("\r\n")
		h.writeRuleBlock(&b, &h.rules[i], verbose)
	}
	if n == 0 {
		return h.noMatch(), 1, false
	}
	b.WriteString(h.lang.ok + "\r\n\r\n")
	return b.String(), 0, false
}

// ruleBlockSize is about what writeRuleBlock writes for a verbose rule, to
// size the answer of a show once.
const ruleBlockSize = 900

// field writes one "label:<pad to 38>value" line.
func (h *Host) field(b *strings.Builder, label, value string) {
	l := h.lang.label(label) + ":"
	b.WriteString(l)
	if pad := 38 - utf8.RuneCountInString(l); pad > 0 {
		const spaces = "                                      "
		b.WriteString(spaces[:min(pad, len(spaces))])
	}
	b.WriteString(value)
	b.WriteString("\r\n")
}

func (h *Host) writeRuleBlock(b *strings.Builder, r *Rule, verbose bool) {
	c := h.lang
	h.field(b, "Rule Name", r.Name)
	b.WriteString(dashes70 + "\r\n")
	if verbose && r.Description != "" {
		h.field(b, "Description", r.Description)
	}
	yn := "No"
	if r.Enabled {
		yn = "Yes"
	}
	h.field(b, "Enabled", c.value(yn))
	h.field(b, "Direction", c.value(r.Dir))
	h.field(b, "Profiles", c.profileList(r.Profiles))
	h.field(b, "Grouping", r.Grouping)
	h.field(b, "LocalIP", c.value(addrDisplay(r.LocalIP)))
	h.field(b, "RemoteIP", c.value(addrDisplay(r.RemoteIP)))
	h.field(b, "Protocol", c.value(r.Protocol))
	switch r.Protocol {
	case "TCP", "UDP":
		h.field(b, "LocalPort", c.value(portDisplay(r.LocalPort)))
		h.field(b, "RemotePort", c.value(portDisplay(r.RemotePort)))
	case "ICMPv4", "ICMPv6":
		pad := strings.Repeat(" ", 38)
		b.WriteString(pad + "Type    Code\r\n")
		for _, tc := range r.ICMP {
			t, code, _ := strings.Cut(tc, ":")
			fmt.Fprintf(b, "%s%-8s%s\r\n", pad, c.value(t), c.value(code))
		}
	}
	h.field(b, "Edge traversal", c.value(r.Edge))
	if verbose {
		if r.Program != "" {
			h.field(b, "Program", r.Program)
		}
		if r.Service != "" {
			h.field(b, "Service", r.Service)
		}
		h.field(b, "InterfaceTypes", c.value(r.Interfaces))
		if h.cfg.Version.verboseSecurityLine() {
			h.field(b, "Security", c.value(r.Security))
		}
		h.field(b, "Rule source", c.value("Local Setting"))
	}
	h.field(b, "Action", c.value(r.Action))
}

func (h *Host) advDelete(ps []param) (string, int, bool) {
	sel, msg := parseSelector(ps, "delete")
	if msg != "" {
		return h.usageError("delete", msg), 1, false
	}
	kept := h.rules[:0:0]
	n := 0
	for i := range h.rules {
		if sel.match(&h.rules[i]) {
			n++
			continue
		}
		kept = append(kept, h.rules[i])
	}
	if n == 0 {
		return h.noMatch(), 1, false
	}
	h.rules = kept
	return "\r\n" + fmt.Sprintf(h.lang.deleted, n) + "\r\n" + h.lang.ok + "\r\n\r\n", 0, true
}

var setNewKeys = map[string]bool{"name": true, "dir": true, "program": true, "service": true, "action": true,
	"description": true, "enable": true, "profile": true, "localip": true, "remoteip": true, "localport": true,
	"remoteport": true, "protocol": true, "interfacetype": true, "rmtcomputergrp": true, "rmtusrgrp": true,
	"edge": true, "security": true}

func (h *Host) advSet(ps []param) (string, int, bool) {
	split := -1
	for i, p := range ps {
		if p.key == "" && strings.EqualFold(p.val, "new") {
			split = i
			break
		}
	}
	if split < 0 || split == len(ps)-1 {
		return h.usageError("set", msgNumArgs), 1, false
	}
	sel, msg := parseSelector(ps[:split], "set")
	if msg != "" {
		return h.usageError("set", msg), 1, false
	}
	vals := map[string]string{}
	for _, p := range ps[split+1:] {
		if !setNewKeys[p.key] {
			return h.usageError("set", msgNumArgs), 1, false
		}
		vals[p.key] = p.val
	}
	if msg := h.versionValues(vals); msg != "" {
		return h.usageError("set", msg), 1, false
	}
	if sel.byGroup {
		for k := range vals {
			if k != "enable" {
				return h.usageError("set", msgBadValue), 1, false
			}
		}
	}
	var idx []int
	updated := make([]Rule, 0)
	for i := range h.rules {
		if !sel.match(&h.rules[i]) {
			continue
		}
		r := h.rules[i]
		r.LocalIP = append([]string(nil), r.LocalIP...)
		r.RemoteIP = append([]string(nil), r.RemoteIP...)
		if msg := applyRuleValues(&r, vals); msg != "" {
			return h.usageError("set", msg), 1, false
		}
		idx = append(idx, i)
		updated = append(updated, r)
	}
	if len(idx) == 0 {
		return h.noMatch(), 1, false
	}
	for k, i := range idx {
		h.rules[i] = updated[k]
	}
	return "\r\n" + fmt.Sprintf(h.lang.updated, len(idx)) + "\r\n" + h.lang.ok + "\r\n\r\n", 0, true
}
