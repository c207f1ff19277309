package playbook

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/winfleet/winfleet/playbook/netsh"
)

// dialectFor returns the dialect fixed by the options or the host var
// `dialect` ("" means: not fixed, see dialectFromVersionVar and ver).
func dialectFor(o Options, v vars) (netsh.Dialect, error) {
	if o.Dialect != "" && !strings.EqualFold(o.Dialect, "auto") {
		return netsh.ParseDialect(o.Dialect)
	}
	s, x, ok, err := v.lookupText("dialect")
	if err != nil || !ok || strings.EqualFold(s, "auto") {
		return "", err
	}
	d, err := netsh.ParseDialect(s)
	if err != nil {
		return "", v.errAt(Pos{}, x, CodeUndefinedVar, "%v", err)
	}
	return d, nil
}

var (
	winVerRE  = regexp.MustCompile(`^(\d+)\.(\d+)(?:\.(\d+))?`)
	winYearRE = regexp.MustCompile(`20(08|12|16|19|22|25)`)
)

// dialectFromVersionVar derives the dialect from the windows_version var:
// a version number ("5.2", "10.0.17763") or a Windows Server name or year
// ("2003", "Windows Server 2008 R2"). "" when the var is not set.
func dialectFromVersionVar(v vars) (netsh.Dialect, error) {
	s, x, ok, err := v.lookupText("windows_version")
	if err != nil || !ok {
		return "", err
	}
	if m := winVerRE.FindStringSubmatch(s); m != nil {
		maj, _ := strconv.Atoi(m[1])
		mnr, _ := strconv.Atoi(m[2])
		b, _ := strconv.Atoi(m[3])
		return netsh.AutoDialect(netsh.Version{Major: maj, Minor: mnr, Build: b}), nil
	}
	l := strings.ToLower(s)
	switch {
	case strings.Contains(l, "2000"), strings.Contains(l, "2003"), strings.Contains(l, "xp"):
		return netsh.Legacy, nil
	case winYearRE.MatchString(l), strings.Contains(l, "vista"):
		return netsh.Advfirewall, nil
	}
	return "", v.errAt(Pos{}, x, CodeUndefinedVar, "%q is neither a version number (6.1, 10.0.17763) nor a Windows Server year", s)
}

// knownDialect is the dialect known before connecting: fixed by the options
// or the dialect var, else derived from windows_version; "" when only the
// host's ver can tell.
func knownDialect(o Options, v vars) (netsh.Dialect, error) {
	d, err := dialectFor(o, v)
	if err != nil || d != "" {
		return d, err
	}
	return dialectFromVersionVar(v)
}

// blockScan reports whether advfirewall hosts are read with every inbound
// rule (the var block_scan, default true), so that a block rule under a
// name the playbook does not use is found. Reading by name is cheaper on
// hosts with hundreds of rules but blind to such rules. The var is read as
// a boolean: "off", "no" and "0" turn it off.
func blockScan(v vars) (bool, error) {
	x, ok := v.get("block_scan")
	if !ok {
		return true, nil
	}
	if err := v.usable(Pos{}, x); err != nil {
		return false, err
	}
	b, err := x.Bool()
	if err != nil {
		return false, v.errAt(Pos{}, x, CodeUndefinedVar, "want a boolean (true/false, yes/no, on/off, 1/0), got %v", x.Value)
	}
	return b, nil
}
