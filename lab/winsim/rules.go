package winsim

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Profiles is a set of firewall profiles.
type Profiles uint8

// The firewall profiles. Legacy netsh calls Private "Standard".
const (
	Domain Profiles = 1 << iota
	Private
	Public
	AllProfiles = Domain | Private | Public
)

// String lists the profiles the way advfirewall shows them:
// "Domain,Private,Public" order, no spaces.
func (p Profiles) String() string {
	var parts []string
	if p&Domain != 0 {
		parts = append(parts, "Domain")
	}
	if p&Private != 0 {
		parts = append(parts, "Private")
	}
	if p&Public != 0 {
		parts = append(parts, "Public")
	}
	return strings.Join(parts, ",")
}

// ParseProfiles parses an advfirewall profile list: public|private|domain|any,
// comma separated, case-insensitive.
func ParseProfiles(s string) (Profiles, error) {
	var p Profiles
	for _, f := range strings.Split(s, ",") {
		switch strings.ToLower(strings.TrimSpace(f)) {
		case "domain":
			p |= Domain
		case "private":
			p |= Private
		case "public":
			p |= Public
		case "any", "all":
			p |= AllProfiles
		default:
			return 0, fmt.Errorf("unknown profile %q", f)
		}
	}
	return p, nil
}

// A Rule is one entry of a host's firewall rule table. Both netsh contexts
// read and write the same table (see the package README for the mapping).
// Fields hold display forms: the value `show rule` prints ("Any" is the
// empty string for addresses and ports).
type Rule struct {
	Name        string
	Description string
	Enabled     bool
	Dir         string // "In" or "Out"
	Action      string // "Allow", "Block" or "Bypass"
	Profiles    Profiles
	Grouping    string
	LocalIP     []string // display tokens; nil means Any
	RemoteIP    []string // display tokens; nil means Any
	Protocol    string   // "TCP", "UDP", "ICMPv4", "ICMPv6", "Any" or a number
	ICMP        []string // "type:code" pairs for ICMP rules ("Any:Any")
	LocalPort   string   // "" means Any
	RemotePort  string   // "" means Any
	Edge        string   // "No", "Yes", "Defer to application", "Defer to user"
	Program     string
	Service     string
	Interfaces  string // "Any", "Lan", ...
	Security    string // "NotRequired", ...
}

// normalize fills the defaults Windows shows for unset fields.
func (r *Rule) normalize() {
	if r.Dir == "" {
		r.Dir = "In"
	}
	if r.Action == "" {
		r.Action = "Allow"
	}
	if r.Profiles == 0 {
		r.Profiles = AllProfiles
	}
	if r.Protocol == "" {
		r.Protocol = "Any"
	}
	if r.Edge == "" {
		r.Edge = "No"
	}
	if r.Interfaces == "" {
		r.Interfaces = "Any"
	}
	if r.Security == "" {
		r.Security = "NotRequired"
	}
	if (r.Protocol == "ICMPv4" || r.Protocol == "ICMPv6") && len(r.ICMP) == 0 {
		r.ICMP = []string{"Any:Any"}
	}
}

func addrDisplay(a []string) string {
	if len(a) == 0 {
		return "Any"
	}
	return strings.Join(a, ",")
}

func portDisplay(p string) string {
	if p == "" {
		return "Any"
	}
	return p
}

// legacyPort reports whether the legacy context sees r as a port opening:
// an inbound allow rule for exactly one TCP or UDP port, no program and no
// group (grouped rules are Windows' own "services" in legacy terms).
func (r *Rule) legacyPort() (port int, ok bool) {
	if r.Dir != "In" || r.Action != "Allow" || r.Program != "" || r.Service != "" || r.Grouping != "" {
		return 0, false
	}
	if r.Protocol != "TCP" && r.Protocol != "UDP" {
		return 0, false
	}
	n, err := strconv.Atoi(r.LocalPort)
	if err != nil || n < 1 || n > 65535 || r.RemotePort != "" || len(r.LocalIP) != 0 {
		return 0, false
	}
	return n, true
}

// legacyProgram reports whether the legacy context sees r as an allowed
// program: an inbound allow rule for a program, any protocol, any port.
func (r *Rule) legacyProgram() bool {
	return r.Dir == "In" && r.Action == "Allow" && r.Program != "" && r.Service == "" && r.Grouping == "" &&
		r.Protocol == "Any" && r.LocalPort == "" && r.RemotePort == "" && len(r.LocalIP) == 0
}

// errBadAddress is returned by parseAddresses for an unparsable token.
var errBadAddress = errors.New("bad address")

// addressKeywords maps the advfirewall address keywords to their display form.
var addressKeywords = map[string]string{
	"localsubnet":    "LocalSubnet",
	"dns":            "DNS",
	"dhcp":           "DHCP",
	"wins":           "WINS",
	"defaultgateway": "DefaultGateway",
}

// parseAddresses turns an address list as given to netsh (any, keywords,
// addresses, a/len, a/mask, ranges) into display tokens: IPv4 addresses get
// /32, dotted masks become prefix lengths, a single IPv6 address becomes the
// degenerate range addr-addr, keywords come first. It returns nil for "any".
// remote says whether keywords are allowed (remoteip accepts them).
func parseAddresses(s string, remote bool) ([]string, error) {
	if strings.EqualFold(strings.TrimSpace(s), "any") || strings.TrimSpace(s) == "*" {
		return nil, nil
	}
	var kw, rest []string
	for _, tok := range strings.Split(s, ",") {
		tok = strings.TrimSpace(tok)
		if tok == "" {
			return nil, errBadAddress
		}
		if k, ok := addressKeywords[strings.ToLower(tok)]; ok {
			if !remote && k != "LocalSubnet" {
				return nil, errBadAddress
			}
			kw = append(kw, k)
			continue
		}
		d, err := addressToken(tok)
		if err != nil {
			return nil, err
		}
		rest = append(rest, d)
	}
	return append(kw, rest...), nil
}

func addressToken(tok string) (string, error) {
	if a, b, ok := strings.Cut(tok, "-"); ok {
		x, err1 := netip.ParseAddr(a)
		y, err2 := netip.ParseAddr(b)
		if err1 != nil || err2 != nil || x.Is4() != y.Is4() || y.Less(x) {
			return "", errBadAddress
		}
		return x.String() + "-" + y.String(), nil
	}
	if a, m, ok := strings.Cut(tok, "/"); ok {
		x, err := netip.ParseAddr(a)
		if err != nil {
			return "", errBadAddress
		}
		if strings.Contains(m, ".") {
			mask, err := netip.ParseAddr(m)
			if err != nil || !mask.Is4() || !x.Is4() {
				return "", errBadAddress
			}
			bits, ok := maskBits(mask.As4())
			if !ok {
				return "", errBadAddress
			}
			return x.String() + "/" + strconv.Itoa(bits), nil
		}
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 || (x.Is4() && n > 32) || n > 128 {
			return "", errBadAddress
		}
		return x.String() + "/" + strconv.Itoa(n), nil
	}
	x, err := netip.ParseAddr(tok)
	if err != nil || x.Zone() != "" {
		return "", errBadAddress
	}
	if x.Is4() {
		return x.String() + "/32", nil
	}
	return x.String() + "-" + x.String(), nil
}

func maskBits(m [4]byte) (int, bool) {
	v := uint32(m[0])<<24 | uint32(m[1])<<16 | uint32(m[2])<<8 | uint32(m[3])
	n := 0
	for v&0x80000000 != 0 {
		n++
		v <<= 1
	}
	return n, v == 0
}

// errBadPort is returned by parsePorts for an invalid port list.
var errBadPort = errors.New("bad port")

// parsePorts validates and normalises an advfirewall port list: any, numbers
// 0-65535, ranges, comma lists, RPC, RPC-EPMap, IPHTTPS. local says whether
// the keywords are allowed. "" is returned for any.
func parsePorts(s string, local bool) (string, error) {
	if strings.EqualFold(s, "any") {
		return "", nil
	}
	var out []string
	for _, tok := range strings.Split(s, ",") {
		switch t := strings.ToLower(strings.TrimSpace(tok)); {
		case local && t == "rpc":
			out = append(out, "RPC")
		case local && t == "rpc-epmap":
			out = append(out, "RPC-EPMap")
		case local && t == "iphttps":
			out = append(out, "IPHTTPS")
		default:
			lo, hi, isRange := strings.Cut(t, "-")
			a, err := portNumber(lo)
			if err != nil {
				return "", err
			}
			if !isRange {
				out = append(out, strconv.Itoa(a))
				continue
			}
			b, err := portNumber(hi)
			if err != nil || b < a {
				return "", errBadPort
			}
			out = append(out, strconv.Itoa(a)+"-"+strconv.Itoa(b))
		}
	}
	return strings.Join(out, ","), nil
}

func portNumber(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 65535 {
		return 0, errBadPort
	}
	return n, nil
}

// errBadProtocol is returned by parseProtocol.
var errBadProtocol = errors.New("bad protocol")

// parseProtocol normalises protocol=: tcp, udp, icmpv4, icmpv6,
// icmpv4:type,code, any, or a number 0-255 (6, 17, 1 and 58 show as names).
func parseProtocol(s string) (proto string, icmp []string, err error) {
	t := strings.ToLower(strings.TrimSpace(s))
	switch t {
	case "tcp", "6":
		return "TCP", nil, nil
	case "udp", "17":
		return "UDP", nil, nil
	case "any", "256":
		return "Any", nil, nil
	case "icmpv4", "1":
		return "ICMPv4", []string{"Any:Any"}, nil
	case "icmpv6", "58":
		return "ICMPv6", []string{"Any:Any"}, nil
	}
	for _, p := range []string{"icmpv4", "icmpv6"} {
		if rest, ok := strings.CutPrefix(t, p+":"); ok {
			typ, code, ok := strings.Cut(rest, ",")
			if !ok || !icmpValue(typ) || !icmpValue(code) {
				return "", nil, errBadProtocol
			}
			name := "ICMPv4"
			if p == "icmpv6" {
				name = "ICMPv6"
			}
			return name, []string{displayAny(typ) + ":" + displayAny(code)}, nil
		}
	}
	n, err := strconv.Atoi(t)
	if err != nil || n < 0 || n > 255 {
		return "", nil, errBadProtocol
	}
	return strconv.Itoa(n), nil, nil
}

func icmpValue(s string) bool {
	if strings.EqualFold(s, "any") {
		return true
	}
	n, err := strconv.Atoi(s)
	return err == nil && n >= 0 && n <= 255
}

func displayAny(s string) string {
	if strings.EqualFold(s, "any") {
		return "Any"
	}
	return s
}

// ParseRule builds a rule from `netsh advfirewall firewall add rule`
// parameters (keys in lower case: name, dir, action, program, service,
// description, enable, profile, localip, remoteip, localport, remoteport,
// protocol, interfacetype, edge, security) plus "grouping". Unlike netsh,
// dir defaults to in, action to allow; enable and profile default as netsh
// does (yes, any). Errors name the bad key.
func ParseRule(params map[string]string) (Rule, error) {
	r := Rule{Enabled: true, Dir: "In", Action: "Allow"}
	vals := map[string]string{}
	for k, v := range params {
		k = strings.ToLower(k)
		switch {
		case k == "grouping":
			r.Grouping = v
		case addKeys[k]:
			vals[k] = v
		default:
			return Rule{}, fmt.Errorf("unknown rule field %q", k)
		}
	}
	if vals["name"] == "" {
		return Rule{}, errors.New("rule has no name")
	}
	// Validate one key at a time so the error can name it.
	probe := r
	for _, k := range []string{"name", "dir", "action", "enable", "profile", "protocol", "localip", "remoteip", "localport", "remoteport", "edge", "security", "interfacetype", "program", "service", "description"} {
		v, ok := vals[k]
		if !ok {
			continue
		}
		if msg := applyRuleValues(&probe, map[string]string{k: v}); msg != "" {
			return Rule{}, fmt.Errorf("%s: invalid value %q (%s)", k, v, msg)
		}
	}
	probe.normalize()
	return probe, nil
}
