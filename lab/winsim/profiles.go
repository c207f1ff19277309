package winsim

import (
	"fmt"
	"strings"
)

// advProfiles implements `netsh advfirewall show <profile> [state]` and
// `netsh advfirewall set <profile> state on|off` for allprofiles,
// currentprofile, domainprofile, privateprofile and publicprofile. The
// output layout is RECONSTRUCTED (not in netsh.md): one "<Name> Profile
// Settings: " section per profile (label padded to 38, 70 dashes), a
// blank line after each, then Ok.
func advProfiles(inv *invocation, raw string, args []string) int {
	h := inv.p.h
	verb := kw(args[0], "show", "set")
	if len(args) < 2 {
		inv.out(notFound(raw))
		return 1
	}
	which := kw(args[1], "allprofiles", "currentprofile", "domainprofile", "privateprofile", "publicprofile", "global", "store")
	var profiles []Profiles
	switch which {
	case "allprofiles":
		profiles = []Profiles{Domain, Private, Public}
	case "currentprofile":
		profiles = []Profiles{h.cfg.CurrentProfile}
	case "domainprofile":
		profiles = []Profiles{Domain}
	case "privateprofile":
		profiles = []Profiles{Private}
	case "publicprofile":
		profiles = []Profiles{Public}
	default:
		inv.out(notFound(raw))
		return 1
	}
	if firewallGate(inv, verb == "set") {
		return 1
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if verb == "set" {
		if len(args) != 4 || kw(args[2], "state") != "state" {
			inv.out(notFound(raw))
			return 1
		}
		for _, p := range profiles {
			switch strings.ToLower(args[3]) {
			case "on":
				h.fwOff &^= p
			case "off":
				h.fwOff |= p
			case "notconfigured":
			default:
				inv.out("\r\n" + msgBadValue + "\r\n\r\n")
				return 1
			}
		}
		inv.write = true
		h.changed()
		inv.out(h.lang.ok + "\r\n\r\n")
		return 0
	}
	stateOnly := len(args) > 2 && kw(args[2], "state") == "state"
	if len(args) > 2 && !stateOnly {
		inv.out(notFound(raw))
		return 1
	}
	var b strings.Builder
	line := func(k, v string) { fmt.Fprintf(&b, "%-38s%s\r\n", k, v) }
	for _, p := range profiles {
		name := map[Profiles]string{Domain: "Domain", Private: "Private", Public: "Public"}[p]
		b.WriteString("\r\n" + name + " Profile Settings: \r\n" + dashes70 + "\r\n")
		state := "ON"
		if h.fwOff&p != 0 {
			state = "OFF"
		}
		line("State", state)
		if !stateOnly {
			line("Firewall Policy", "BlockInbound,AllowOutbound")
			line("LocalFirewallRules", "N/A (GPO-store only)")
			line("LocalConSecRules", "N/A (GPO-store only)")
			line("InboundUserNotification", "Disable")
			line("RemoteManagement", "Disable")
			line("UnicastResponseToMulticast", "Enable")
			b.WriteString("\r\nLogging:\r\n")
			line("LogAllowedConnections", "Disable")
			line("LogDroppedConnections", "Disable")
			line("FileName", `%systemroot%\system32\LogFiles\Firewall\pfirewall.log`)
			line("MaxFileSize", "4096")
		}
	}
	b.WriteString("\r\n" + h.lang.ok + "\r\n\r\n")
	inv.out(b.String())
	return 0
}
