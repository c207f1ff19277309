package inventory

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
)

var (
	reBracketHostPort = regexp.MustCompile(`^\[(.+)\]:([0-9]+)$`)
	reHostPort        = regexp.MustCompile(`^((?:[^:\[\]]|\[[^\]]*\])*):([0-9]+)$`)
	reRange           = regexp.MustCompile(`\[[^\]]*\]`)
	reLabel           = regexp.MustCompile(`^\w(?:[\w-]*\w)?$`)
	reAlnumRange      = regexp.MustCompile(`(?i)^\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]$`)
	reNumRange        = regexp.MustCompile(`^\[[0-9]+:[0-9]+(?::[0-9]+)?\]$`)
	reHexRange        = regexp.MustCompile(`(?i)^\[[0-9a-f]+:[0-9a-f]+(?::[0-9]+)?\]$`)
)

// expandHostPattern splits a host pattern as Ansible's inventory plugins do:
// an optional ":port" suffix (or "[ipv6]:port"), then [x:y] ranges expanded.
// port is 0 when none was given.
func expandHostPattern(p string) (names []string, port int, err error) {
	if !strings.ContainsAny(p, ":[") {
		return []string{p}, 0, nil // no port, no range: the common case
	}
	host, port, ok := parseAddress(p)
	if !ok {
		host, port = p, 0
	}
	if !strings.Contains(host, "[") {
		return []string{host}, port, nil
	}
	names, err = expandRange(host, nil)
	return names, port, err
}

// parseAddress is Ansible's parse_address with allow_ranges: it reports
// ok=false when p is not a host name, IPv4 or IPv6 address (ranges allowed),
// with an optional port.
func parseAddress(p string) (host string, port int, ok bool) {
	host = p
	if m := reBracketHostPort.FindStringSubmatch(p); m != nil {
		host, port = m[1], atoiPort(m[2])
	} else if m := reHostPort.FindStringSubmatch(p); m != nil {
		host, port = m[1], atoiPort(m[2])
	}
	if port < 0 {
		return "", 0, false
	}
	if validIPv4(host) || validIPv6(host) || validHostname(host) {
		return host, port, true
	}
	return "", 0, false
}

func atoiPort(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

func replaceRanges(s string, valid *regexp.Regexp, with string) (string, bool) {
	ok := true
	out := reRange.ReplaceAllStringFunc(s, func(r string) string {
		if !valid.MatchString(r) {
			ok = false
		}
		return with
	})
	return out, ok
}

func validIPv4(s string) bool {
	r, ok := replaceRanges(s, reNumRange, "0")
	if !ok {
		return false
	}
	parts := strings.Split(r, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if p == "" || len(p) > 3 {
			return false
		}
		n, err := strconv.Atoi(p)
		if err != nil || n > 255 {
			return false
		}
	}
	return true
}

func validIPv6(s string) bool {
	if !strings.Contains(s, ":") {
		return false
	}
	r, ok := replaceRanges(s, reHexRange, "0")
	if !ok {
		return false
	}
	ip := net.ParseIP(r)
	return ip != nil && strings.Contains(r, ":")
}

func validHostname(s string) bool {
	r, ok := replaceRanges(s, reAlnumRange, "0")
	if !ok || r == "" {
		return false
	}
	for _, l := range strings.Split(r, ".") {
		if !reLabel.MatchString(l) || strings.HasSuffix(l, "_") {
			return false
		}
	}
	return true
}

// maxExpand bounds how many names one host pattern may expand to.
const maxExpand = 1 << 17

const asciiLetters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// expandRange is Ansible's expand_hostname_range: the first [beg:end(:step)]
// is expanded, numerically (leading zeros give the width) or alphabetically,
// and the results are expanded again until no bracket is left.
func expandRange(line string, out []string) ([]string, error) {
	i := strings.IndexByte(line, '[')
	j := strings.IndexByte(line, ']')
	if i < 0 || j < 0 || j < i {
		return nil, fmt.Errorf("invalid host range in %q: unbalanced brackets", line)
	}
	head, nrange, tail := line[:i], line[i+1:j], line[j+1:]
	bounds := strings.Split(nrange, ":")
	if len(bounds) != 2 && len(bounds) != 3 {
		return nil, fmt.Errorf("invalid host range [%s]: must be begin:end or begin:end:step", nrange)
	}
	beg, end := bounds[0], bounds[1]
	step := 1
	if len(bounds) == 3 {
		n, err := strconv.Atoi(bounds[2])
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("invalid host range [%s]: step must be a positive integer", nrange)
		}
		step = n
	}
	if beg == "" {
		beg = "0"
	}
	if end == "" {
		return nil, fmt.Errorf("invalid host range [%s]: must specify end value", nrange)
	}
	width := 0
	if beg[0] == '0' && len(beg) > 1 {
		width = len(beg)
		if width != len(end) {
			return nil, fmt.Errorf("invalid host range [%s]: begin and end must have equal length", nrange)
		}
	}
	emit := func(mid string) error {
		if len(out) >= maxExpand {
			return fmt.Errorf("invalid host range in %q: more than %d hosts", line, maxExpand)
		}
		name := head + mid + tail
		if strings.Contains(name, "[") {
			var err error
			out, err = expandRange(name, out)
			return err
		}
		out = append(out, name)
		return nil
	}
	ib, ie := -1, -1
	if len(beg) == 1 && len(end) == 1 {
		ib, ie = strings.IndexByte(asciiLetters, beg[0]), strings.IndexByte(asciiLetters, end[0])
	}
	if ib >= 0 && ie >= 0 {
		if ib > ie {
			return nil, fmt.Errorf("invalid host range [%s]: begin must be <= end", nrange)
		}
		for k := ib; k <= ie; k += step {
			if err := emit(asciiLetters[k : k+1]); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	b, err1 := strconv.Atoi(beg)
	e, err2 := strconv.Atoi(end)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("invalid host range [%s]: bounds must be numbers or single letters", nrange)
	}
	if e-b > maxExpand {
		return nil, fmt.Errorf("invalid host range [%s]: more than %d hosts", nrange, maxExpand)
	}
	for k := b; k <= e; k += step {
		s := strconv.Itoa(k)
		if len(s) < width {
			s = strings.Repeat("0", width-len(s)) + s
		}
		if err := emit(s); err != nil {
			return nil, err
		}
	}
	return out, nil
}
