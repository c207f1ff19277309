package fleet

import (
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/winfleet/winfleet/lab/winsim"
)

// The labels Generate gives hosts.
const (
	LabelCompliant = "compliant"

	DriftMissing     = "drift:missing"
	DriftDisabled    = "drift:disabled"
	DriftScopeAll    = "drift:scope-all"
	DriftWrongPort   = "drift:wrong-port"
	DriftWrongPath   = "drift:wrong-program-path"
	DriftDuplicates  = "drift:duplicates-disagree"
	DriftBlockRule   = "drift:block-rule"
	FaultUnreachable = "fault:unreachable"
	FaultHang        = "fault:hang"
	FaultBadPassword = "fault:bad-password"
	FaultNotElevated = "fault:not-elevated"
	FaultFwStopped   = "fault:firewall-stopped"
)

var (
	driftKinds = []string{DriftMissing, DriftDisabled, DriftScopeAll, DriftWrongPort, DriftWrongPath, DriftDuplicates, DriftBlockRule}
	faultKinds = []string{FaultUnreachable, FaultHang, FaultBadPassword, FaultNotElevated, FaultFwStopped}
)

// ssisFor lists SSIS versions that run on each Windows version.
var ssisFor = map[string][]int{
	"2003": {90, 100}, "2008": {100, 110}, "2008r2": {100, 110, 120},
	"2012": {110, 120, 130, 140}, "2012r2": {110, 120, 130, 140},
	"2016": {130, 140, 150}, "2019": {140, 150, 160}, "2022": {150, 160}, "2025": {160},
}

// modern are the versions generated hosts get unless they are old, with weights.
var modern = []struct {
	key    string
	weight int
}{{"2008r2", 6}, {"2012", 5}, {"2012r2", 14}, {"2016", 25}, {"2019", 30}, {"2022", 17}, {"2025", 3}}

// Generate makes a realistic fleet of n hosts, the same for the same seed:
// about 70% compliant, 18% drifted (spread over the drift kinds), 5% faulty
// (spread over unreachable, hang, bad password, not elevated, firewall
// stopped), and a few 2003 and 2008 hosts; SSIS 90..160, some installs on
// D:, some hosts with two versions. Every host carries a Label saying what
// was made.
func Generate(n int, seed int64) *Fleet {
	r := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	faulty := n * 5 / 100
	drifted := n * 18 / 100
	old := n * 4 / 100
	if n >= 20 && faulty < len(faultKinds) {
		faulty = len(faultKinds)
	}
	if n >= 10 && old < 2 {
		old = 2
	}
	labels := make([]string, n)
	for i := range labels {
		switch {
		case i < faulty:
			labels[i] = faultKinds[i%len(faultKinds)]
		case i < faulty+drifted:
			labels[i] = driftKinds[(i-faulty)%len(driftKinds)]
		default:
			labels[i] = LabelCompliant
		}
	}
	r.Shuffle(n, func(i, j int) { labels[i], labels[j] = labels[j], labels[i] })
	width := len(strconv.Itoa(n))
	if width < 3 {
		width = 3
	}
	seedCopy := seed
	f := &Fleet{Version: 1, Seed: &seedCopy, Defaults: Defaults{Domain: "LAB", User: "Administrator", BuiltinRules: true}}
	oldLeft := old
	for i := 0; i < n; i++ {
		label := labels[i]
		h := Host{Name: fmt.Sprintf("sql%0*d.lab.example", width, i+1), Label: label}
		needsAdv := label == DriftDuplicates || label == DriftBlockRule
		switch {
		case oldLeft > 0 && !needsAdv && (n-i <= oldLeft || r.IntN(n) < old*2):
			oldLeft--
			h.Windows = "2003"
			if oldLeft%2 == 1 {
				h.Windows = "2008"
			}
		default:
			h.Windows = pickModern(r)
		}
		vers := ssisFor[h.Windows]
		v := vers[r.IntN(len(vers))]
		root := ""
		if r.IntN(100) < 15 {
			root = `D:\Program Files\Microsoft SQL Server`
		}
		h.SSIS = []SSIS{{Version: v, Root: root}}
		if r.IntN(100) < 8 && v != vers[0] {
			h.SSIS = append(h.SSIS, SSIS{Version: vers[0], Root: root})
		}
		h.Rules = compliantRules(h, r.IntN(2) == 0 || h.Windows == "2003" || h.Windows == "2008")
		applyLabel(&h, label, r)
		f.Hosts = append(f.Hosts, h)
	}
	return f
}

func pickModern(r *rand.Rand) string {
	total := 0
	for _, m := range modern {
		total += m.weight
	}
	x := r.IntN(total)
	for _, m := range modern {
		if x < m.weight {
			return m.key
		}
		x -= m.weight
	}
	return modern[len(modern)-1].key
}

// compliantRules are the rules the ssis-firewall playbook wants: the way
// the seed's legacy commands leave them (profile domain, the current one) or
// the advfirewall equivalents (profile any).
func compliantRules(h Host, legacy bool) []Rule {
	profile := "any"
	if legacy {
		profile = "domain"
	}
	rules := []Rule{{Name: "RPC (TCP/135)", Protocol: "tcp", LocalPort: "135", RemoteIP: "localsubnet", Profile: profile}}
	newest := 0
	for _, s := range h.SSIS {
		newest = max(newest, s.Version)
	}
	for _, s := range h.SSIS {
		name := "SSIS Service"
		if s.Version != newest {
			name += " " + strconv.Itoa(s.Version)
		}
		rules = append(rules, Rule{Name: name, Program: ssisProgram(s), RemoteIP: "localsubnet", Profile: profile})
	}
	return rules
}

// ssisProgram is the path winsim gives the installed version's MsDtsSrvr.exe.
func ssisProgram(s SSIS) string {
	return winsim.SSIS{Version: s.Version, Root: s.Root}.Program()
}

// applyLabel turns a compliant host into what label says.
func applyLabel(h *Host, label string, r *rand.Rand) {
	rpc, ssis := &h.Rules[0], &h.Rules[1]
	pick := rpc
	if r.IntN(2) == 0 {
		pick = ssis
	}
	switch label {
	case DriftMissing:
		if pick == rpc {
			h.Rules = h.Rules[1:]
		} else {
			h.Rules = append(h.Rules[:1], h.Rules[2:]...)
		}
	case DriftDisabled:
		pick.Enable = "no"
	case DriftScopeAll:
		pick.RemoteIP = "any"
	case DriftWrongPort:
		rpc.LocalPort = []string{"136", "1135", "13500"}[r.IntN(3)]
	case DriftWrongPath:
		wrong := SSIS{Version: 100, Root: h.SSIS[0].Root}
		if h.SSIS[0].Version == 100 {
			wrong.Version = 110
		}
		if r.IntN(3) == 0 {
			// The right version on the wrong drive.
			wrong = h.SSIS[0]
			wrong.Root = `E:\Program Files\Microsoft SQL Server`
		}
		ssis.Program = ssisProgram(wrong)
	case DriftDuplicates:
		dup := *pick
		dup.RemoteIP = "any"
		dup.Profile = "any"
		h.Rules = append(h.Rules, dup)
	case DriftBlockRule:
		h.Rules = append(h.Rules, Rule{Name: "Block RPC endpoint mapper", Action: "block", Protocol: "tcp", LocalPort: "135"})
	case FaultUnreachable:
		h.Faults.Unreachable = true
	case FaultHang:
		h.Faults.Hang = true
	case FaultBadPassword:
		h.Faults.BadPassword = true
	case FaultNotElevated:
		h.Faults.NotElevated = true
	case FaultFwStopped:
		h.Faults.FirewallStopped = true
	}
}
