package winsim

import (
	"fmt"
	"sort"
	"strings"
)

// firewallServiceName is MpsSvc, or SharedAccess on 2003.
func (h *Host) firewallServiceName() string {
	if h.cfg.Version.preVista() {
		return "SharedAccess"
	}
	return "MpsSvc"
}

// builtinServices is a small, realistic set of Windows services.
func (h *Host) builtinServices() []Service {
	root := h.systemRoot()
	svchost := func(group string) string { return root + `\system32\svchost.exe -k ` + group }
	fw := Service{Name: "MpsSvc", DisplayName: "Windows Firewall", BinaryPath: svchost("LocalServiceNoNetwork"),
		StartName: `NT Authority\LocalService`, Shared: true, Dependencies: []string{"mpsdrv", "bfe"}}
	if h.cfg.Version >= Win2019 {
		fw.DisplayName = "Windows Defender Firewall"
		fw.BinaryPath = svchost("LocalServiceNoNetworkFirewall -p")
	}
	if h.cfg.Version.preVista() {
		fw = Service{Name: "SharedAccess", DisplayName: "Windows Firewall/Internet Connection Sharing (ICS)",
			BinaryPath: svchost("netsvcs"), StartName: "LocalSystem", Shared: true}
	}
	evt := Service{Name: "EventLog", DisplayName: "Windows Event Log", BinaryPath: svchost("LocalServiceNetworkRestricted"),
		StartName: `NT AUTHORITY\LocalService`, Shared: true}
	if h.cfg.Version.preVista() {
		evt = Service{Name: "Eventlog", DisplayName: "Event Log", BinaryPath: root + `\system32\services.exe`,
			StartName: "LocalSystem", Shared: true}
	}
	return []Service{
		fw, evt,
		{Name: "RpcSs", DisplayName: "Remote Procedure Call (RPC)", BinaryPath: svchost("rpcss"),
			StartName: `NT AUTHORITY\NetworkService`, Shared: true},
		{Name: "LanmanServer", DisplayName: "Server", BinaryPath: svchost("netsvcs"), StartName: "LocalSystem", Shared: true},
		{Name: "Dnscache", DisplayName: "DNS Client", BinaryPath: svchost("NetworkService"),
			StartName: `NT AUTHORITY\NetworkService`, Shared: true},
		{Name: "WinRM", DisplayName: "Windows Remote Management (WS-Management)", BinaryPath: svchost("NetworkService"),
			StartName: `NT AUTHORITY\NetworkService`, Shared: true, Dependencies: []string{"RPCSS", "HTTP"}},
	}
}

func (h *Host) service(name string) (*Service, bool) {
	for i := range h.services {
		if strings.EqualFold(h.services[i].Name, name) {
			return &h.services[i], true
		}
	}
	return nil, false
}

var stateCodes = map[string]int{"STOPPED": 1, "START_PENDING": 2, "STOP_PENDING": 3, "RUNNING": 4, "PAUSED": 7}

// scStatus writes a query block (without the leading blank line).
func (h *Host) scStatus(b *strings.Builder, s *Service, display bool) {
	tb := ""
	if h.cfg.ScTrailingBlanks {
		tb = "  "
	}
	fmt.Fprintf(b, "SERVICE_NAME: %s\r\n", s.Name)
	if display {
		fmt.Fprintf(b, "DISPLAY_NAME: %s\r\n", s.DisplayName)
	}
	if s.Shared {
		fmt.Fprintf(b, "        TYPE               : 20  WIN32_SHARE_PROCESS%s\r\n", tb)
	} else {
		fmt.Fprintf(b, "        TYPE               : 10  WIN32_OWN_PROCESS%s\r\n", tb)
	}
	st := s.State
	sp := ""
	if h.cfg.ScTrailingBlanks {
		sp = " "
	}
	fmt.Fprintf(b, "        STATE              : %d  %s%s\r\n", stateCodes[st], st, sp)
	if st == "RUNNING" || st == "STOP_PENDING" {
		b.WriteString("                                (STOPPABLE, NOT_PAUSABLE, ACCEPTS_SHUTDOWN)\r\n")
	} else {
		b.WriteString("                                (NOT_STOPPABLE, NOT_PAUSABLE, IGNORES_SHUTDOWN)\r\n")
	}
	if st == "STOPPED" && s.NeverStarted {
		b.WriteString("        WIN32_EXIT_CODE    : 1077  (0x435)\r\n")
	} else {
		b.WriteString("        WIN32_EXIT_CODE    : 0  (0x0)\r\n")
	}
	b.WriteString("        SERVICE_EXIT_CODE  : 0  (0x0)\r\n")
	b.WriteString("        CHECKPOINT         : 0x0\r\n")
	b.WriteString("        WAIT_HINT          : 0x0\r\n")
}

var startCodes = map[string]int{"BOOT_START": 0, "SYSTEM_START": 1, "AUTO_START": 2, "DEMAND_START": 3, "DISABLED": 4}

const msgSvcMissing = "The specified service does not exist as an installed service.\r\n\r\n"

// progSc implements sc query NAME, sc query [type= service] [state= all],
// sc qc NAME.
func progSc(inv *invocation) int {
	h := inv.p.h
	args := inv.args
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(args) > 0 && strings.HasPrefix(args[0], `\\`) {
		args = args[1:]
	}
	if len(args) == 0 {
		inv.out(scUsage)
		return 0
	}
	switch strings.ToLower(args[0]) {
	case "query", "queryex":
		opts, name := scOptions(args[1:])
		if name != "" {
			s, ok := h.service(name)
			if !ok {
				inv.out("[SC] EnumQueryServicesStatus:OpenService FAILED 1060:\r\n\r\n" + msgSvcMissing)
				return 1060
			}
			var b strings.Builder
			b.WriteString("\r\n")
			h.scStatus(&b, s, false)
			b.WriteString("\r\n")
			inv.out(b.String())
			return 0
		}
		if t := opts["type="]; t != "" && !strings.EqualFold(t, "service") && !strings.EqualFold(t, "all") {
			return 0
		}
		all := strings.EqualFold(opts["state="], "all")
		inactive := strings.EqualFold(opts["state="], "inactive")
		key := "sc query active"
		switch {
		case all:
			key = "sc query all"
		case inactive:
			key = "sc query inactive"
		}
		if out, _, ok := h.cached(key); ok {
			inv.out(out)
			return 0
		}
		svcs := append([]Service(nil), h.services...)
		sort.Slice(svcs, func(i, j int) bool { return strings.ToLower(svcs[i].Name) < strings.ToLower(svcs[j].Name) })
		var b strings.Builder
		for i := range svcs {
			running := svcs[i].State != "STOPPED"
			if !all && running == inactive {
				continue
			}
			b.WriteString("\r\n")
			h.scStatus(&b, &svcs[i], true)
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		h.keep(key, b.String(), 0)
		inv.out(b.String())
		return 0
	case "qc":
		if len(args) < 2 {
			inv.out(scUsage)
			return 1
		}
		s, ok := h.service(args[1])
		if !ok {
			inv.out("[SC] OpenService FAILED 1060:\r\n\r\n" + msgSvcMissing)
			return 1060
		}
		var b strings.Builder
		b.WriteString("[SC] QueryServiceConfig SUCCESS\r\n\r\n")
		fmt.Fprintf(&b, "SERVICE_NAME: %s\r\n", s.Name)
		if s.Shared {
			b.WriteString("        TYPE               : 20  WIN32_SHARE_PROCESS\r\n")
		} else {
			b.WriteString("        TYPE               : 10  WIN32_OWN_PROCESS\r\n")
		}
		fmt.Fprintf(&b, "        START_TYPE         : %-3d %s\r\n", startCodes[s.StartType], s.StartType)
		b.WriteString("        ERROR_CONTROL      : 1   NORMAL\r\n")
		fmt.Fprintf(&b, "        BINARY_PATH_NAME   : %s\r\n", s.BinaryPath)
		b.WriteString("        LOAD_ORDER_GROUP   : \r\n")
		b.WriteString("        TAG                : 0\r\n")
		fmt.Fprintf(&b, "        DISPLAY_NAME       : %s\r\n", s.DisplayName)
		deps := s.Dependencies
		if len(deps) == 0 {
			deps = []string{""}
		}
		for i, d := range deps {
			if i == 0 {
				fmt.Fprintf(&b, "        DEPENDENCIES       : %s\r\n", d)
			} else {
				fmt.Fprintf(&b, "                           : %s\r\n", d)
			}
		}
		fmt.Fprintf(&b, "        SERVICE_START_NAME : %s\r\n\r\n", s.StartName)
		inv.out(b.String())
		return 0
	case "start", "stop":
		if len(args) < 2 {
			inv.out(scUsage)
			return 1
		}
		return h.scControl(inv, strings.ToLower(args[0]), args[1])
	}
	inv.out(scUsage)
	return 1
}

// scControl starts or stops a service (with h.mu held). The transition is
// instant: the printed state is START_PENDING / STOP_PENDING and the next
// query shows RUNNING / STOPPED.
func (h *Host) scControl(inv *invocation, verb, name string) int {
	fail := func(op string, code int, text string) int {
		inv.out(fmt.Sprintf("[SC] %s FAILED %d:\r\n\r\n%s\r\n\r\n", op, code, text))
		return code
	}
	s, ok := h.service(name)
	switch {
	case !ok:
		return fail("OpenService", 1060, "The specified service does not exist as an installed service.")
	case h.cfg.Faults.NotElevated:
		return fail("OpenService", 5, "Access is denied.")
	case verb == "start" && s.State == "RUNNING":
		return fail("StartService", 1056, "An instance of the service is already running.")
	case verb == "start" && s.StartType == "DISABLED":
		return fail("StartService", 1058, "The service cannot be started, either because it is disabled or because it has no enabled devices associated with it.")
	case verb == "stop" && s.State == "STOPPED":
		return fail("ControlService", 1062, "The service has not been started.")
	}
	shown := *s
	if verb == "start" {
		shown.State, s.State, s.NeverStarted = "START_PENDING", "RUNNING", false
	} else {
		shown.State, s.State = "STOP_PENDING", "STOPPED"
	}
	var b strings.Builder
	b.WriteString("\r\n")
	h.scStatus(&b, &shown, false)
	if verb == "start" {
		b.WriteString("        PID                : 4242\r\n        FLAGS              : \r\n")
	}
	inv.out(b.String())
	inv.write = true
	h.changed()
	return 0
}

// scOptions reads "type= service state= all" (and the glued forms) and the
// optional service name.
func scOptions(args []string) (map[string]string, string) {
	opts := map[string]string{}
	name := ""
	for i := 0; i < len(args); i++ {
		a := strings.ToLower(args[i])
		if k, v, ok := strings.Cut(a, "="); ok {
			if v == "" && i+1 < len(args) {
				v = args[i+1]
				i++
			}
			opts[k+"="] = v
			continue
		}
		name = args[i]
	}
	return opts, name
}

var scUsage = crlf(
	"DESCRIPTION:",
	"        SC is a command line program used for communicating with the",
	"        Service Control Manager and services.",
	"USAGE:",
	"        sc <server> [command] [service name] <option1> <option2>...",
	"",
)
