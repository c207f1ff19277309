package netsh

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// ScopeKind says which addresses a rule accepts traffic from.
type ScopeKind int

// Scope kinds. In a Desired rule the zero value (ScopeUnknown) means
// ScopeSubnet; in an observed Rule it means netsh did not show the scope.
const (
	ScopeUnknown ScopeKind = iota
	// ScopeSubnet is the local subnet: legacy scope=SUBNET, advfirewall
	// remoteip=localsubnet, displayed "LocalSubnet".
	ScopeSubnet
	// ScopeAll is every address: legacy scope=ALL, advfirewall remoteip=any,
	// displayed "Any" (legacy verbose: "*").
	ScopeAll
	// ScopeCustom is a list of addresses, subnets, ranges and keywords.
	ScopeCustom
)

// Scope is the remote (or local) address scope of a rule.
type Scope struct {
	Kind ScopeKind
	// Addresses is the normalised list for ScopeCustom, sorted and without
	// duplicates; nil otherwise.
	Addresses []Address
}

// Address is one entry of an address list: a keyword, a single address, a
// prefix or a range. Single addresses are stored as /32 (/128) prefixes and
// degenerate ranges x-x as the single address x, so equal sets compare equal.
type Address struct {
	// Keyword is "LocalSubnet", "DNS", "DHCP", "WINS" or "DefaultGateway" in
	// that spelling; empty for IP entries.
	Keyword string
	// First and Last bound the entry (inclusive). Invalid for keywords.
	First, Last netip.Addr
	// Bits is the prefix length for a prefix or single address; -1 for a
	// range that is not written as a prefix.
	Bits int
}

var addressKeywords = []string{"LocalSubnet", "DNS", "DHCP", "WINS", "DefaultGateway"}

// String returns the canonical form: the keyword, "10.1.2.3" for a single
// address, "10.0.0.0/8" for a prefix, "10.1.1.1-10.1.1.9" for a range.
func (a Address) String() string {
	switch {
	case a.Keyword != "":
		return a.Keyword
	case a.Bits == a.First.BitLen():
		return a.First.String()
	case a.Bits >= 0:
		return a.First.String() + "/" + strconv.Itoa(a.Bits)
	}
	return a.First.String() + "-" + a.Last.String()
}

// ParseAddress parses one address list entry: a keyword (case-insensitive),
// an IPv4 or IPv6 address, a.b.c.d/nn, a.b.c.d/255.x.x.x, an IPv6 prefix, or
// a range first-last. A prefix with host bits set is masked.
func ParseAddress(s string) (Address, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return Address{}, fmt.Errorf("empty address")
	}
	for _, k := range addressKeywords {
		if strings.EqualFold(t, k) {
			return Address{Keyword: k, Bits: -1}, nil
		}
	}
	if i := strings.IndexByte(t, '/'); i >= 0 {
		ip, err := netip.ParseAddr(t[:i])
		if err != nil || ip.Zone() != "" {
			return Address{}, fmt.Errorf("bad address %q", t)
		}
		ip = ip.Unmap()
		bits, err := prefixBits(ip, t[i+1:])
		if err != nil {
			return Address{}, fmt.Errorf("bad prefix %q: %v", t, err)
		}
		p := netip.PrefixFrom(ip, bits).Masked()
		return Address{First: p.Addr(), Last: lastAddr(p), Bits: bits}, nil
	}
	if i := strings.IndexByte(t, '-'); i >= 0 {
		a, err1 := netip.ParseAddr(t[:i])
		b, err2 := netip.ParseAddr(t[i+1:])
		if err1 != nil || err2 != nil || a.Zone() != "" || b.Zone() != "" {
			return Address{}, fmt.Errorf("bad range %q", t)
		}
		a, b = a.Unmap(), b.Unmap()
		if a.Is4() != b.Is4() {
			return Address{}, fmt.Errorf("bad range %q: mixes IPv4 and IPv6", t)
		}
		if b.Less(a) {
			return Address{}, fmt.Errorf("bad range %q: end before start", t)
		}
		if a == b {
			return Address{First: a, Last: a, Bits: a.BitLen()}, nil
		}
		return Address{First: a, Last: b, Bits: -1}, nil
	}
	ip, err := netip.ParseAddr(t)
	if err != nil || ip.Zone() != "" {
		return Address{}, fmt.Errorf("bad address %q", t)
	}
	ip = ip.Unmap()
	return Address{First: ip, Last: ip, Bits: ip.BitLen()}, nil
}

func prefixBits(ip netip.Addr, s string) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("missing prefix length")
	}
	if strings.IndexByte(s, '.') >= 0 {
		if !ip.Is4() {
			return 0, fmt.Errorf("dotted mask on an IPv6 address")
		}
		m, err := netip.ParseAddr(s)
		if err != nil || !m.Is4() {
			return 0, fmt.Errorf("bad mask %q", s)
		}
		b := m.As4()
		v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		n := 0
		for v&0x80000000 != 0 {
			n++
			v <<= 1
		}
		if v != 0 {
			return 0, fmt.Errorf("mask %q is not contiguous", s)
		}
		return n, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > ip.BitLen() || len(s) > 3 {
		return 0, fmt.Errorf("bad prefix length %q", s)
	}
	return n, nil
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// ParseAddresses parses a comma-separated address list as netsh prints it
// (LocalIP/RemoteIP, legacy Scope: line) or as a user writes it. Entries are
// normalised (see Address), sorted and deduplicated. "Any" is not an entry:
// use ParseScope for values that may be Any.
func ParseAddresses(s string) ([]Address, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("empty address list")
	}
	parts := strings.Split(s, ",")
	out := make([]Address, 0, len(parts))
	for _, p := range parts {
		a, err := ParseAddress(p)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return normaliseAddresses(out), nil
}

func normaliseAddresses(in []Address) []Address {
	slices.SortFunc(in, compareAddress)
	return slices.CompactFunc(in, func(a, b Address) bool { return compareAddress(a, b) == 0 })
}

func compareAddress(a, b Address) int {
	// Keywords first (as netsh prints them), then IPv4, then IPv6.
	if (a.Keyword != "") != (b.Keyword != "") {
		if a.Keyword != "" {
			return -1
		}
		return 1
	}
	if a.Keyword != "" {
		return strings.Compare(a.Keyword, b.Keyword)
	}
	if c := a.First.Compare(b.First); c != 0 {
		return c
	}
	if c := a.Last.Compare(b.Last); c != 0 {
		return c
	}
	return b.Bits - a.Bits
}

// ParseScope parses a scope as the playbook or netsh writes it:
// "subnet"/"LocalSubnet" → ScopeSubnet; "all"/"any"/"*" → ScopeAll;
// anything else is a custom address list (see ParseAddresses). A list
// holding only LocalSubnet is ScopeSubnet.
func ParseScope(s string) (Scope, error) {
	t := strings.TrimSpace(s)
	switch strings.ToLower(t) {
	case "subnet", "localsubnet":
		return Scope{Kind: ScopeSubnet}, nil
	case "all", "any", "*":
		return Scope{Kind: ScopeAll}, nil
	}
	addrs, err := ParseAddresses(t)
	if err != nil {
		return Scope{}, err
	}
	return customScope(addrs), nil
}

// CustomScope returns the custom scope of the given entries (each parsed by
// ParseAddress).
func CustomScope(entries ...string) (Scope, error) {
	if len(entries) == 0 {
		return Scope{}, fmt.Errorf("empty address list")
	}
	out := make([]Address, 0, len(entries))
	for _, e := range entries {
		a, err := ParseAddress(e)
		if err != nil {
			return Scope{}, err
		}
		out = append(out, a)
	}
	return customScope(normaliseAddresses(out)), nil
}

func customScope(addrs []Address) Scope {
	if len(addrs) == 1 && addrs[0].Keyword == "LocalSubnet" {
		return Scope{Kind: ScopeSubnet}
	}
	return Scope{Kind: ScopeCustom, Addresses: addrs}
}

// String returns "LocalSubnet", "Any", the canonical comma list, or
// "unknown".
func (s Scope) String() string {
	switch s.Kind {
	case ScopeSubnet:
		return "LocalSubnet"
	case ScopeAll:
		return "Any"
	case ScopeCustom:
		parts := make([]string, len(s.Addresses))
		for i, a := range s.Addresses {
			parts[i] = a.String()
		}
		return strings.Join(parts, ",")
	}
	return "unknown"
}

// Equal reports whether s and o accept exactly the same addresses. Custom
// lists are compared as sets: order, masks vs prefixes, single addresses vs
// /32 and ranges vs the prefixes they span do not matter. Two unknown scopes
// are equal; an unknown scope equals no known one.
func (s Scope) Equal(o Scope) bool {
	if s.Kind == ScopeUnknown || o.Kind == ScopeUnknown {
		return s.Kind == o.Kind
	}
	return s.Covers(o) && o.Covers(s)
}

// Covers reports whether every address o accepts is also accepted by s.
// ScopeUnknown covers nothing and is covered by nothing.
func (s Scope) Covers(o Scope) bool {
	if s.Kind == ScopeUnknown || o.Kind == ScopeUnknown {
		return false
	}
	if s.Kind == ScopeAll {
		return true
	}
	if o.Kind == ScopeAll {
		return false
	}
	sk, sr := s.split()
	ok, or := o.split()
	for _, k := range ok {
		if !slices.Contains(sk, k) {
			return false
		}
	}
	for _, r := range or {
		if !rangeCovered(sr, r) {
			return false
		}
	}
	return true
}

type ipRange struct{ first, last netip.Addr }

// split returns the keywords and the merged IP ranges of s.
func (s Scope) split() ([]string, []ipRange) {
	if s.Kind == ScopeSubnet {
		return []string{"LocalSubnet"}, nil
	}
	var kws []string
	var rs []ipRange
	for _, a := range s.Addresses {
		if a.Keyword != "" {
			kws = append(kws, a.Keyword)
			continue
		}
		rs = append(rs, ipRange{a.First, a.Last})
	}
	return kws, mergeRanges(rs)
}

func mergeRanges(rs []ipRange) []ipRange {
	slices.SortFunc(rs, func(a, b ipRange) int { return a.first.Compare(b.first) })
	var out []ipRange
	for _, r := range rs {
		if n := len(out); n > 0 {
			last := &out[n-1]
			if last.last.Is4() == r.first.Is4() {
				next := last.last.Next()
				if r.first.Compare(last.last) <= 0 || (next.IsValid() && next == r.first) {
					if r.last.Compare(last.last) > 0 {
						last.last = r.last
					}
					continue
				}
			}
		}
		out = append(out, r)
	}
	return out
}

func rangeCovered(merged []ipRange, r ipRange) bool {
	for _, m := range merged {
		if m.first.Is4() == r.first.Is4() && m.first.Compare(r.first) <= 0 && r.last.Compare(m.last) <= 0 {
			return true
		}
	}
	return false
}
