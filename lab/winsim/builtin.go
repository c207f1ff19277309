package winsim

// builtinRules is a small sample of the rules Windows Server ships with
// (names, groups and values as `netsh advfirewall firewall show rule
// name=all verbose` shows them on a 2012 R2-2022 host; Descriptions are
// shortened). Config.BuiltinRules adds them before Config.Rules. Two rules
// share a name (WinRM HTTP-In per profile), one is a disabled allow rule
// for TCP 135 with a program (COM+), and the set has ICMP, outbound and
// service-bound rules, as real tables do.
func builtinRules(v Version) []Rule {
	svchost := `%SystemRoot%\system32\svchost.exe`
	rules := []Rule{
		{Name: "Windows Remote Management (HTTP-In)", Description: "Inbound rule for Windows Remote Management via WS-Management. [TCP 5985]",
			Enabled: true, Dir: "In", Action: "Allow", Profiles: Domain | Private, Grouping: "Windows Remote Management",
			Protocol: "TCP", LocalPort: "5985", Program: "System"},
		{Name: "Windows Remote Management (HTTP-In)", Description: "Inbound rule for Windows Remote Management via WS-Management. [TCP 5985]",
			Enabled: true, Dir: "In", Action: "Allow", Profiles: Public, Grouping: "Windows Remote Management",
			RemoteIP: []string{"LocalSubnet"}, Protocol: "TCP", LocalPort: "5985", Program: "System"},
		{Name: "Remote Desktop - User Mode (TCP-In)", Description: "Inbound rule for the Remote Desktop service to allow RDP traffic. [TCP 3389]",
			Enabled: false, Dir: "In", Action: "Allow", Profiles: AllProfiles, Grouping: "Remote Desktop",
			Protocol: "TCP", LocalPort: "3389", Program: svchost, Service: "termservice"},
		{Name: "COM+ Network Access (DCOM-In)", Description: "Inbound rule to allow DCOM traffic to the COM+ System Application. [TCP 135]",
			Enabled: false, Dir: "In", Action: "Allow", Profiles: AllProfiles, Grouping: "COM+ Network Access",
			Protocol: "TCP", LocalPort: "135", Program: `%systemroot%\system32\dllhost.exe`, Service: "COMSysApp"},
		{Name: "Remote Service Management (RPC-EPMAP)", Description: "Inbound rule for the RPCSS service to allow RPC/TCP traffic for the Service Control Manager.",
			Enabled: false, Dir: "In", Action: "Allow", Profiles: AllProfiles, Grouping: "Remote Service Management",
			Protocol: "TCP", LocalPort: "RPC-EPMap", Program: svchost, Service: "RPCSS"},
		{Name: "File and Printer Sharing (Echo Request - ICMPv4-In)", Description: "Echo Request messages are sent as ping requests to other nodes.",
			Enabled: false, Dir: "In", Action: "Allow", Profiles: AllProfiles, Grouping: "File and Printer Sharing",
			Protocol: "ICMPv4", ICMP: []string{"8:Any"}},
		{Name: "Core Networking - Dynamic Host Configuration Protocol (DHCP-In)", Description: "Allows DHCP (Dynamic Host Configuration Protocol) messages for stateful auto-configuration.",
			Enabled: true, Dir: "In", Action: "Allow", Profiles: AllProfiles, Grouping: "Core Networking",
			Protocol: "UDP", LocalPort: "68", RemotePort: "67", Program: svchost, Service: "dhcp"},
		{Name: "Core Networking - Destination Unreachable (ICMPv6-In)", Description: "Destination Unreachable error messages are sent from any node that a packet traverses which is unable to forward the packet for any reason except congestion.",
			Enabled: true, Dir: "In", Action: "Allow", Profiles: AllProfiles, Grouping: "Core Networking",
			Protocol: "ICMPv6", ICMP: []string{"1:Any"}},
		{Name: "Core Networking - DNS (UDP-Out)", Description: "Outbound rule to allow DNS requests. DNS responses based on requests that matched this rule will be permitted regardless of source address.",
			Enabled: true, Dir: "Out", Action: "Allow", Profiles: AllProfiles, Grouping: "Core Networking",
			Protocol: "UDP", RemotePort: "53", Program: svchost, Service: "dnscache"},
	}
	if v < Win2012 {
		// No "Security:" line and the WinRM rule did not name "System" on 2008/2008 R2.
		rules[0].Program, rules[1].Program = "", ""
	}
	for i := range rules {
		rules[i].normalize()
	}
	return rules
}
