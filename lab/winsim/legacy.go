package winsim

import (
	"fmt"
	"strconv"
	"strings"
)

// legacyHelp is `netsh firewall` with no command (reconstructed).
var legacyHelp = crlf(
	"",
	"The following commands are available:",
	"",
	"Commands in this context:",
	"?              - Displays a list of commands.",
	"add            - Adds firewall configuration.",
	"delete         - Deletes firewall configuration.",
	"dump           - Displays a configuration script.",
	"help           - Displays a list of commands.",
	"reset          - Resets firewall configuration to default.",
	"set            - Sets firewall configuration.",
	"show           - Shows firewall configuration.",
	"",
	"To view help for a command, type the command, followed by a space, and then",
	" type ?.",
	"",
)

// legacySlots are the positional parameter orders of the legacy commands.
var legacySlots = map[string][]string{
	"add portopening":       {"protocol", "port", "name", "mode", "scope", "addresses", "profile", "interface"},
	"set portopening":       {"protocol", "port", "name", "mode", "scope", "addresses", "profile", "interface"},
	"delete portopening":    {"protocol", "port", "profile", "interface"},
	"add allowedprogram":    {"program", "name", "mode", "scope", "addresses", "profile"},
	"set allowedprogram":    {"program", "name", "mode", "scope", "addresses", "profile"},
	"delete allowedprogram": {"program", "profile"},
	"set opmode":            {"mode", "exceptions", "profile", "interface"},
	"set service":           {"type", "mode", "scope", "addresses", "profile"},
	"show portopening":      {"verbose"},
	"show allowedprogram":   {"verbose"},
	"show state":            {"verbose"},
	"show config":           {"verbose"},
	"show currentprofile":   {},
	"show opmode":           {"profile", "verbose"},
}

func legacyFirewall(inv *invocation, raw string, args []string) int {
	h := inv.p.h
	if len(args) == 0 || kw(args[0], "?", "help") != "" {
		inv.out(legacyHelp)
		return 0
	}
	verb := kw(args[0], "add", "delete", "set", "show", "reset", "dump")
	var objs []string
	switch verb {
	case "add", "delete":
		objs = []string{"allowedprogram", "portopening"}
	case "set":
		objs = []string{"allowedprogram", "portopening", "opmode", "service"}
	case "show":
		objs = []string{"allowedprogram", "portopening", "state", "config", "currentprofile", "opmode"}
	case "reset":
		if firewallGate(inv, true) {
			return 1
		}
		inv.out(h.legacyOK())
		return 0
	}
	if verb == "" || len(args) < 2 {
		inv.out(notFound(raw))
		return 1
	}
	obj := kw(args[1], objs...)
	if obj == "" {
		inv.out(notFound(raw))
		return 1
	}
	cmd := verb + " " + obj
	if len(args) == 3 && (args[2] == "?" || strings.EqualFold(args[2], "help")) {
		inv.out(legacyUsage[cmd])
		return 0
	}
	if firewallGate(inv, verb != "show") {
		return 1
	}
	vals, ok := legacyParams(cmd, args[2:])
	if !ok {
		inv.out(h.legacySyntax(cmd))
		return 1
	}
	return inv.firewallCommand(func() (string, int, bool) { return h.legacyRun(cmd, vals) })
}

// legacyParams assigns named and positional parameters to their slots.
func legacyParams(cmd string, args []string) (map[string]string, bool) {
	slots := legacySlots[cmd]
	vals := map[string]string{}
	next := 0
	for _, p := range parseParams(args) {
		if p.key != "" {
			known := false
			for _, s := range slots {
				known = known || s == p.key
			}
			if !known {
				return nil, false
			}
			vals[p.key] = p.val
			continue
		}
		// addresses only follows scope=CUSTOM, so a positional value skips it otherwise.
		for next < len(slots) && (vals[slots[next]] != "" || (slots[next] == "addresses" && !strings.EqualFold(vals["scope"], "CUSTOM"))) {
			next++
		}
		if next >= len(slots) {
			return nil, false
		}
		vals[slots[next]] = p.val
		next++
	}
	return vals, true
}

// legacySyntax is the reconstructed legacy parameter error.
func (h *Host) legacySyntax(cmd string) string {
	return "\r\n" + msgLegacySyntax + "\r\n\r\n" + legacyUsage[cmd] + "\r\n"
}

// legacyOK is the legacy success text: "Ok." alone on 2003/2008, after the
// deprecation notice from 2008 R2 on.
func (h *Host) legacyOK() string {
	notice := h.cfg.Version.deprecationNotice()
	if notice == nil {
		return h.lang.ok + "\r\n\r\n"
	}
	return "\r\n" + crlf(notice...) + "\r\n" + h.lang.ok + "\r\n\r\n"
}

// legacyShow wraps a show report: blank line, report, blank line, notice,
// one trailing blank line (netsh.md §8; 2003/2008 have no notice).
func (h *Host) legacyShow(report string) string {
	notice := h.cfg.Version.deprecationNotice()
	if notice == nil {
		return "\r\n" + report + "\r\n"
	}
	return "\r\n" + report + "\r\n" + crlf(notice...) + "\r\n"
}

// legacyProfiles maps profile= to the profiles it means.
func (h *Host) legacyProfiles(v string) (Profiles, bool) {
	switch strings.ToUpper(v) {
	case "", "CURRENT":
		return h.cfg.CurrentProfile, true
	case "DOMAIN":
		return Domain, true
	case "STANDARD":
		return Private, true
	case "ALL":
		return Domain | Private, true
	}
	return 0, false
}

// legacyScope maps scope= and addresses= to RemoteIP display tokens.
func legacyScope(scope, addresses string, haveAddresses bool) ([]string, bool) {
	switch strings.ToUpper(scope) {
	case "", "ALL":
		return nil, !haveAddresses
	case "SUBNET":
		return []string{"LocalSubnet"}, !haveAddresses
	case "CUSTOM":
		if addresses == "" {
			return nil, false
		}
		a, err := parseAddresses(addresses, true)
		if err != nil || len(a) == 0 {
			return nil, false
		}
		for _, t := range a {
			if t == "0.0.0.0/32" || strings.HasPrefix(t, "127.") || t == "::1-::1" || t == "::-::" {
				return nil, false
			}
		}
		return a, true
	}
	return nil, false
}

func legacyMode(v string) (bool, bool) {
	switch strings.ToUpper(v) {
	case "", "ENABLE":
		return true, true
	case "DISABLE":
		return false, true
	}
	return false, false
}

func legacyProtocols(v string) ([]string, bool) {
	switch strings.ToUpper(v) {
	case "TCP":
		return []string{"TCP"}, true
	case "UDP":
		return []string{"UDP"}, true
	case "ALL":
		return []string{"TCP", "UDP"}, true
	}
	return nil, false
}

// legacyRun runs a parsed legacy command with h.mu held.
func (h *Host) legacyRun(cmd string, v map[string]string) (string, int, bool) {
	_, haveAddr := v["addresses"]
	switch cmd {
	case "add portopening", "set portopening":
		protos, ok1 := legacyProtocols(v["protocol"])
		port, err := strconv.Atoi(v["port"])
		enabled, ok2 := legacyMode(v["mode"])
		remote, ok3 := legacyScope(v["scope"], v["addresses"], haveAddr)
		profiles, ok4 := h.legacyProfiles(v["profile"])
		if !ok1 || err != nil || port < 1 || port > 65535 || !ok2 || !ok3 || !ok4 || (cmd == "add portopening" && v["name"] == "") {
			return h.legacySyntax(cmd), 1, false
		}
		if cmd == "set portopening" {
			n := 0
			for _, proto := range protos {
				n += h.legacyUpdate(func(r *Rule) bool { p, ok := r.legacyPort(); return ok && p == port && r.Protocol == proto },
					profiles, v["name"], enabled, remote, v["scope"] != "" || haveAddr, v["mode"] != "")
			}
			if n == 0 {
				return msgFileNotFound + "\r\n\r\n", 1, false
			}
			return h.legacyOK(), 0, true
		}
		for _, proto := range protos {
			n := h.legacyUpdate(func(r *Rule) bool { p, ok := r.legacyPort(); return ok && p == port && r.Protocol == proto },
				profiles, v["name"], enabled, remote, true, true)
			if n == 0 {
				r := Rule{Name: v["name"], Enabled: enabled, Dir: "In", Action: "Allow", Profiles: profiles,
					RemoteIP: remote, Protocol: proto, LocalPort: strconv.Itoa(port)}
				r.normalize()
				h.rules = append(h.rules, r)
			}
		}
		return h.legacyOK(), 0, true
	case "add allowedprogram", "set allowedprogram":
		prog := v["program"]
		enabled, ok2 := legacyMode(v["mode"])
		remote, ok3 := legacyScope(v["scope"], v["addresses"], haveAddr)
		profiles, ok4 := h.legacyProfiles(v["profile"])
		if prog == "" || !ok2 || !ok3 || !ok4 || (cmd == "add allowedprogram" && v["name"] == "") {
			return h.legacySyntax(cmd), 1, false
		}
		match := func(r *Rule) bool { return r.legacyProgram() && strings.EqualFold(r.Program, prog) }
		if cmd == "set allowedprogram" {
			if h.legacyUpdate(match, profiles, v["name"], enabled, remote, v["scope"] != "" || haveAddr, v["mode"] != "") == 0 {
				return msgFileNotFound + "\r\n\r\n", 1, false
			}
			return h.legacyOK(), 0, true
		}
		if !h.files[strings.ToLower(h.expandEnv(prog))] {
			return msgFileNotFound + "\r\n\r\n", 1, false
		}
		if h.legacyUpdate(match, profiles, v["name"], enabled, remote, true, true) == 0 {
			r := Rule{Name: v["name"], Enabled: enabled, Dir: "In", Action: "Allow", Profiles: profiles,
				RemoteIP: remote, Protocol: "Any", Program: prog}
			r.normalize()
			h.rules = append(h.rules, r)
		}
		return h.legacyOK(), 0, true
	case "delete portopening":
		protos, ok1 := legacyProtocols(v["protocol"])
		port, err := strconv.Atoi(v["port"])
		profiles, ok2 := h.legacyProfiles(v["profile"])
		if !ok1 || err != nil || port < 1 || port > 65535 || !ok2 {
			return h.legacySyntax(cmd), 1, false
		}
		n := 0
		for _, proto := range protos {
			n += h.legacyDelete(func(r *Rule) bool { p, ok := r.legacyPort(); return ok && p == port && r.Protocol == proto }, profiles)
		}
		if n == 0 {
			return msgFileNotFound + "\r\n\r\n", 1, false
		}
		return h.legacyOK(), 0, true
	case "delete allowedprogram":
		prog := v["program"]
		profiles, ok := h.legacyProfiles(v["profile"])
		if prog == "" || !ok {
			return h.legacySyntax(cmd), 1, false
		}
		if h.legacyDelete(func(r *Rule) bool { return r.legacyProgram() && strings.EqualFold(r.Program, prog) }, profiles) == 0 {
			return msgFileNotFound + "\r\n\r\n", 1, false
		}
		return h.legacyOK(), 0, true
	case "set opmode":
		on, ok1 := legacyMode(v["mode"])
		profiles, ok2 := h.legacyProfiles(v["profile"])
		if v["mode"] == "" || !ok1 || !ok2 {
			return h.legacySyntax(cmd), 1, false
		}
		if on {
			h.fwOff &^= profiles
		} else {
			h.fwOff |= profiles
		}
		return h.legacyOK(), 0, true
	case "set service":
		return h.legacyOK(), 0, true
	case "show portopening", "show allowedprogram", "show state", "show config":
		verbose := false
		switch strings.ToUpper(v["verbose"]) {
		case "", "DISABLE":
		case "ENABLE":
			verbose = true
		default:
			return h.legacySyntax(cmd), 1, false
		}
		return h.legacyShow(h.legacyReport(cmd, verbose)), 0, false
	case "show currentprofile":
		return h.legacyShow(legacyProfileName(h.cfg.CurrentProfile) + " profile is currently active.\r\n"), 0, false
	case "show opmode":
		return h.legacyShow(h.legacyOpmodeSections()), 0, false
	}
	return notFound("firewall " + cmd), 1, false
}

// legacyUpdate updates the rules that match in any of profiles; it returns
// how many it updated.
func (h *Host) legacyUpdate(match func(*Rule) bool, profiles Profiles, name string, enabled bool, remote []string, setScope, setMode bool) int {
	n := 0
	for i := range h.rules {
		r := &h.rules[i]
		if !match(r) || r.Profiles&profiles == 0 {
			continue
		}
		n++
		if name != "" {
			r.Name = name
		}
		if setMode {
			r.Enabled = enabled
		}
		if setScope {
			r.RemoteIP = append([]string(nil), remote...)
		}
		r.Profiles |= profiles
	}
	return n
}

// legacyDelete removes profiles from matching rules and drops rules left
// with none; it returns how many rules it touched.
func (h *Host) legacyDelete(match func(*Rule) bool, profiles Profiles) int {
	n := 0
	kept := h.rules[:0:0]
	for _, r := range h.rules {
		if match(&r) && r.Profiles&profiles != 0 {
			n++
			r.Profiles &^= profiles
			if r.Profiles == 0 {
				continue
			}
		}
		kept = append(kept, r)
	}
	h.rules = kept
	return n
}

func legacyProfileName(p Profiles) string {
	if p == Domain {
		return "Domain"
	}
	return "Standard"
}

// legacySections are the two profiles legacy netsh shows: Domain and
// Standard. Standard lists the Private profile, or the Public one when that
// is the current profile (legacy netsh knows only two profiles; choice).
func legacySections(current Profiles) []struct {
	name    string
	bit     Profiles
	current bool
} {
	std := Private
	if current == Public {
		std = Public
	}
	return []struct {
		name    string
		bit     Profiles
		current bool
	}{{"Domain", Domain, current == Domain}, {"Standard", std, current != Domain}}
}

func (h *Host) portRows(b *strings.Builder, bit Profiles, verbose bool) {
	pre := h.cfg.Version.preVista()
	if pre {
		b.WriteString("Port   Protocol  Mode     Name\r\n" + dashes67 + "\r\n")
	} else {
		b.WriteString("Port   Protocol  Mode    Traffic direction     Name\r\n" + dashes67 + "\r\n")
	}
	for i := range h.rules {
		r := &h.rules[i]
		port, ok := r.legacyPort()
		if !ok || r.Profiles&bit == 0 {
			continue
		}
		mode := "Disable"
		if r.Enabled {
			mode = "Enable"
		}
		if pre {
			fmt.Fprintf(b, "%-7d%-10s%-9s%s\r\n", port, r.Protocol, mode, r.Name)
		} else {
			fmt.Fprintf(b, "%-7d%-10s%-8s%-22s%s\r\n", port, r.Protocol, mode, "Inbound", r.Name)
		}
		if verbose {
			b.WriteString(strings.Repeat(" ", 7) + "Scope: " + legacyScopeText(r) + "\r\n")
		}
	}
}

func (h *Host) programRows(b *strings.Builder, bit Profiles, verbose bool) {
	pre := h.cfg.Version.preVista()
	if pre {
		b.WriteString("Mode     Name / Program\r\n" + dashes67 + "\r\n")
	} else {
		b.WriteString("Mode     Traffic direction    Name / Program\r\n" + dashes67 + "\r\n")
	}
	for i := range h.rules {
		r := &h.rules[i]
		if !r.legacyProgram() || r.Profiles&bit == 0 {
			continue
		}
		mode := "Disable"
		if r.Enabled {
			mode = "Enable"
		}
		if pre {
			fmt.Fprintf(b, "%-9s%s / %s\r\n", mode, r.Name, r.Program)
		} else {
			fmt.Fprintf(b, "%-9s%-21s%s / %s\r\n", mode, "Inbound", r.Name, r.Program)
		}
		if verbose {
			b.WriteString(strings.Repeat(" ", 9) + "Scope: " + legacyScopeText(r) + "\r\n")
		}
	}
}

// legacyScopeText is the reconstructed verbose scope: * for ALL,
// LocalSubnet for SUBNET, else the address list in display form.
func legacyScopeText(r *Rule) string {
	if len(r.RemoteIP) == 0 {
		return "*"
	}
	return strings.Join(r.RemoteIP, ",")
}

func (h *Host) legacyProfileBlock(b *strings.Builder, bit Profiles) {
	b.WriteString("Operational mode                  = " + h.opmode(bit) + "\r\n")
	b.WriteString("Exception mode                    = Enable\r\n")
	b.WriteString("Multicast/broadcast response mode = Enable\r\n")
	b.WriteString("Notification mode                 = Disable\r\n")
}

func (h *Host) legacyOpmodeSections() string {
	var b strings.Builder
	for k, s := range legacySections(h.cfg.CurrentProfile) {
		if k > 0 {
			b.WriteString("\r\n")
		}
		title := s.name + " profile configuration"
		if s.current {
			title += " (current)"
		}
		b.WriteString(title + ":\r\n" + dashes67 + "\r\n")
		b.WriteString("Operational mode                  = " + h.opmode(s.bit) + "\r\n")
		b.WriteString("Exception mode                    = Enable\r\n")
	}
	return b.String()
}

// legacyReport renders show portopening/allowedprogram/state/config
// (without the leading blank line and the notice).
func (h *Host) legacyReport(cmd string, verbose bool) string {
	var b strings.Builder
	secs := legacySections(h.cfg.CurrentProfile)
	switch cmd {
	case "show portopening":
		for k, s := range secs {
			if k > 0 {
				b.WriteString("\r\n")
			}
			b.WriteString("Port configuration for " + s.name + " profile:\r\n")
			h.portRows(&b, s.bit, verbose)
		}
	case "show allowedprogram":
		for k, s := range secs {
			if k > 0 {
				b.WriteString("\r\n")
			}
			b.WriteString("Allowed programs configuration for " + s.name + " profile:\r\n")
			h.programRows(&b, s.bit, verbose)
		}
	case "show state":
		cur := h.cfg.CurrentProfile
		b.WriteString("Firewall status:\r\n" + dashes67 + "\r\n")
		b.WriteString("Profile                           = " + legacyProfileName(h.cfg.CurrentProfile) + "\r\n")
		h.legacyProfileBlock(&b, cur)
		b.WriteString("Group policy version              = Windows Firewall\r\n")
		b.WriteString("Remote admin mode                 = Disable\r\n")
		b.WriteString("\r\nPorts currently open on all network interfaces:\r\n")
		b.WriteString("Port   Protocol  Version  Program\r\n" + dashes67 + "\r\n")
		n := 0
		for i := range h.rules {
			r := &h.rules[i]
			port, ok := r.legacyPort()
			if !ok || !r.Enabled || r.Profiles&cur == 0 {
				continue
			}
			n++
			fmt.Fprintf(&b, "%-7d%-10s%-9s%s\r\n", port, r.Protocol, "Any", "(null)")
		}
		if n == 0 {
			b.WriteString("No ports are currently open on all network interfaces.\r\n")
		}
	case "show config":
		for _, s := range secs {
			title := s.name + " profile configuration"
			if s.current {
				title += " (current)"
			}
			b.WriteString(title + ":\r\n" + dashes67 + "\r\n")
			h.legacyProfileBlock(&b, s.bit)
			b.WriteString("\r\nAllowed programs configuration for " + s.name + " profile:\r\n")
			h.programRows(&b, s.bit, verbose)
			b.WriteString("\r\nPort configuration for " + s.name + " profile:\r\n")
			h.portRows(&b, s.bit, verbose)
			b.WriteString("\r\nICMP configuration for " + s.name + " profile:\r\n")
			b.WriteString("Mode     Type  Description\r\n" + dashes67 + "\r\n")
			b.WriteString("Enable   2     Allow outbound packet too big\r\n\r\n")
		}
		// 2003 keeps the log in the Windows directory (reconstructed).
		logFile := h.systemRoot() + `\system32\LogFiles\Firewall\pfirewall.log`
		if h.cfg.Version.preVista() {
			logFile = h.systemRoot() + `\pfirewall.log`
		}
		b.WriteString("Log configuration:\r\n" + dashes67 + "\r\n")
		b.WriteString("File location   = " + logFile + "\r\n")
		b.WriteString("Max file size   = 4096 KB\r\n")
		b.WriteString("Dropped packets = Disable\r\n")
		b.WriteString("Connections     = Disable\r\n")
	}
	return b.String()
}

// opmode is legacy netsh's "Operational mode" of a profile.
func (h *Host) opmode(p Profiles) string {
	if h.fwOff&p != 0 {
		return "Disable"
	}
	return "Enable"
}
