package fleet

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/winfleet/winfleet/lab/winsim"
)

// Answers maps each host name to the status a correct `winfleet scan` with
// the built-in ssis-firewall playbook at its defaults must report.
func (f *Fleet) Answers() (map[string]string, error) {
	out := make(map[string]string, len(f.Hosts))
	for i := range f.Hosts {
		cfg, err := f.HostConfig(i)
		if err != nil {
			return nil, err
		}
		out[f.Hosts[i].Name] = Expected(&f.Hosts[i], cfg)
	}
	return out, nil
}

// Expected is the status a correct scan reports for h, whose initial state
// is cfg. It is derived from the fleet's ground truth (faults, installed
// SSIS versions, the rule table as data), never from netsh output:
//
//   - an explicit expect: wins;
//   - unreachable or drop_receive → unreachable; hang or hang_receive →
//     timeout; bad_password → auth_failed;
//     access_denied or soap_faults → error (a fault on every such
//     operation makes the host unusable; use expect: to say otherwise);
//   - huge_output → error (the client's per-command output cap, 4 MiB by
//     default, ends the host; a larger cap would make this wrong: use
//     expect: then);
//   - not_elevated, firewall_stopped, a non-English language, canned
//     answers, or no SSIS installed → error;
//   - otherwise compliant when Compliance finds no problem, else noncompliant.
func Expected(h *Host, cfg winsim.Config) string {
	ft := h.Faults
	switch {
	case h.Expect != "":
		return h.Expect
	case ft.Unreachable:
		return "unreachable"
	case ft.Hang, ft.HangReceive:
		return "timeout"
	case ft.DropReceive:
		// The connection is closed before an answer: the client cannot
		// tell this from a host going away.
		return "unreachable"
	case ft.BadPassword:
		return "auth_failed"
	case ft.AccessDenied || ft.NotElevated || ft.FirewallStopped || len(ft.Canned) > 0 || len(ft.SOAPFaults) > 0 || ft.HugeOutput > 0:
		return "error"
	case ft.Language != "" && !strings.EqualFold(ft.Language, "en-US") && !strings.EqualFold(ft.Language, "en"):
		return "error"
	case len(cfg.SSIS) == 0:
		return "error"
	}
	if len(Compliance(cfg)) > 0 {
		return "noncompliant"
	}
	return "compliant"
}

// Compliance lists what makes cfg's initial state non-compliant with the
// ssis-firewall playbook at its defaults; nil means compliant. The rules:
//
//   - "RPC (TCP/135)" exists, and every rule of that name (case-insensitive)
//     is enabled, inbound, allow, TCP, local port 135, RemoteIP exactly
//     LocalSubnet (Any is too open);
//   - for each installed SSIS version, newest first, "SSIS Service" (newest)
//     or "SSIS Service NNN" exists and every rule of that name is enabled,
//     inbound, allow, for that version's MsDtsSrvr.exe, RemoteIP exactly
//     LocalSubnet;
//   - no enabled inbound block rule covers TCP 135 or an SSIS program;
//   - every SSIS service is running.
func Compliance(cfg winsim.Config) []string {
	var probs []string
	// The host's initial table: the configured rules plus, if asked for,
	// Windows' built-in ones.
	rules := cfg.Rules
	if h, err := winsim.New(cfg); err == nil {
		rules = h.Rules()
	}
	check := func(name string, ok func(r winsim.Rule) string) {
		n := 0
		for _, r := range rules {
			if !strings.EqualFold(r.Name, name) {
				continue
			}
			n++
			if why := ok(r); why != "" {
				probs = append(probs, fmt.Sprintf("rule %q: %s", name, why))
			}
		}
		if n == 0 {
			probs = append(probs, fmt.Sprintf("rule %q missing", name))
		}
	}
	common := func(r winsim.Rule) string {
		switch {
		case !r.Enabled:
			return "disabled"
		case r.Dir != "In":
			return "not inbound"
		case r.Action != "Allow":
			return "action " + r.Action
		case len(r.RemoteIP) != 1 || r.RemoteIP[0] != "LocalSubnet":
			return "scope " + strings.Join(r.RemoteIP, ",") + " is not LocalSubnet"
		}
		return ""
	}
	check("RPC (TCP/135)", func(r winsim.Rule) string {
		if why := common(r); why != "" {
			return why
		}
		if r.Protocol != "TCP" || r.LocalPort != "135" {
			return "not TCP 135 (" + r.Protocol + " " + r.LocalPort + ")"
		}
		return ""
	})
	ssis := append([]winsim.SSIS(nil), cfg.SSIS...)
	sort.SliceStable(ssis, func(i, j int) bool { return ssis[i].Version > ssis[j].Version })
	for k, s := range ssis {
		name := "SSIS Service"
		if k > 0 {
			name += " " + strconv.Itoa(s.Version)
		}
		check(name, func(r winsim.Rule) string {
			if why := common(r); why != "" {
				return why
			}
			if !strings.EqualFold(r.Program, s.Program()) {
				return "program " + r.Program + " is not " + s.Program()
			}
			return ""
		})
		if s.Stopped {
			probs = append(probs, s.ServiceName()+" is stopped")
		}
	}
	for _, r := range rules {
		if !r.Enabled || r.Dir != "In" || r.Action != "Block" {
			continue
		}
		if r.Program == "" && (r.Protocol == "TCP" || r.Protocol == "Any") && portCovers(r.LocalPort, 135) {
			probs = append(probs, fmt.Sprintf("block rule %q covers TCP 135", r.Name))
		}
		for _, s := range ssis {
			if r.Program != "" && strings.EqualFold(r.Program, s.Program()) {
				probs = append(probs, fmt.Sprintf("block rule %q covers %s", r.Name, s.Program()))
			}
		}
	}
	return probs
}

// portCovers reports whether a displayed port list ("" = Any) includes port.
func portCovers(list string, port int) bool {
	if list == "" {
		return true
	}
	for _, tok := range strings.Split(list, ",") {
		lo, hi, isRange := strings.Cut(tok, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			continue
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				continue
			}
		}
		if port >= a && port <= b {
			return true
		}
	}
	return false
}
