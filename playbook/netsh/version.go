package netsh

import (
	"fmt"
	"iter"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// VerCommand prints the Windows version ("Microsoft Windows [Version 10.0.17763.1]").
const VerCommand = "ver"

// Version is a Windows version as printed by ver.
type Version struct {
	Major, Minor, Build int
}

var verRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^Microsoft Windows(?: [A-Za-z]+)? \[Version (\d{1,3})\.(\d{1,3})\.(\d{1,6})(?:\.\d{1,8})?\]$`)
})

// ParseVer parses the output of ver. The line is the same in every language
// ("Microsoft Windows [Version 10.0.17763.1234]"; XP adds "XP"); anything else
// is an *UnrecognizedError.
func ParseVer(o Output) (Version, error) {
	var found []Version
	for _, line := range eachLine(o.Stdout) {
		if line == "" {
			continue
		}
		m := verRE().FindStringSubmatch(line)
		if m == nil {
			return Version{}, unrecognized(o, "line %q", line)
		}
		var v Version
		v.Major, _ = strconv.Atoi(m[1])
		v.Minor, _ = strconv.Atoi(m[2])
		v.Build, _ = strconv.Atoi(m[3])
		found = append(found, v)
	}
	if len(found) != 1 || o.ExitCode != 0 {
		return Version{}, unrecognized(o, "want exactly one version line")
	}
	return found[0], nil
}

// String returns "major.minor.build".
func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Build) }

// Less reports whether v is older than o.
func (v Version) Less(o Version) bool {
	if v.Major != o.Major {
		return v.Major < o.Major
	}
	if v.Minor != o.Minor {
		return v.Minor < o.Minor
	}
	return v.Build < o.Build
}

// ProductName returns the Windows Server product name for v: 5.2 → "Windows
// Server 2003", 6.0 → 2008, 6.1 → 2008 R2, 6.2 → 2012, 6.3 → 2012 R2, 10.0
// builds 14393/17763/20348/26100 → 2016/2019/2022/2025. Client editions share
// these numbers; winfleet targets servers, so the server name is returned.
// Unknown versions give "Windows <major>.<minor>.<build>".
func (v Version) ProductName() string {
	switch {
	case v.Major == 5 && v.Minor == 0:
		return "Windows 2000"
	case v.Major == 5 && v.Minor == 1:
		return "Windows XP"
	case v.Major == 5 && v.Minor == 2:
		return "Windows Server 2003"
	case v.Major == 6 && v.Minor == 0:
		return "Windows Server 2008"
	case v.Major == 6 && v.Minor == 1:
		return "Windows Server 2008 R2"
	case v.Major == 6 && v.Minor == 2:
		return "Windows Server 2012"
	case v.Major == 6 && v.Minor == 3:
		return "Windows Server 2012 R2"
	case v.Major == 10 && v.Minor == 0:
		switch v.Build {
		case 14393:
			return "Windows Server 2016"
		case 17763:
			return "Windows Server 2019"
		case 20348:
			return "Windows Server 2022"
		case 26100:
			return "Windows Server 2025"
		}
	}
	return "Windows " + v.String()
}

// AutoDialect picks the dialect for a Windows version: Advfirewall from 6.0
// (Vista/2008) on, Legacy before.
func AutoDialect(v Version) Dialect {
	if v.Major >= 6 {
		return Advfirewall
	}
	return Legacy
}

// lines splits s into lines, dropping CR and trailing blanks of each line.
func lines(s string) []string {
	ls := strings.Split(s, "\n")
	for i, l := range ls {
		ls[i] = strings.TrimRight(l, " \t\r")
	}
	return ls
}

// eachLine yields the lines of s with their index, as lines(s) has them,
// without building the slice: the parsers a scan runs on every host's
// output read them once, in order.
func eachLine(s string) iter.Seq2[int, string] {
	return func(yield func(int, string) bool) {
		for i := 0; ; i++ {
			l, rest, more := strings.Cut(s, "\n")
			if !yield(i, strings.TrimRight(l, " \t\r")) || !more {
				return
			}
			s = rest
		}
	}
}

// blank reports whether s has no line with text: lines(s) holds only
// empty strings.
func blank(s string) bool {
	return strings.TrimLeft(s, " \t\r\n") == ""
}

// firstLine returns the first line of s with text, or "".
func firstLine(s string) string {
	for _, l := range eachLine(s) {
		if l != "" {
			return l
		}
	}
	return ""
}

func unrecognized(o Output, format string, args ...any) *UnrecognizedError {
	return &UnrecognizedError{Command: o.Command, Raw: raw(o), Detail: fmt.Sprintf(format, args...)}
}

// unexpectedStderr is the error for output with text on stderr where the
// command prints none when it works. Its detail carries the start of both
// streams, so a report's reason shows what the host said.
func unexpectedStderr(o Output) *UnrecognizedError {
	return unrecognized(o, "unexpected stderr %q (stdout %q)", excerpt(o.Stderr, 160), excerpt(o.Stdout, 160))
}

// excerpt is the start of s, at most n bytes cut at a rune, with its line
// ends kept visible by %q.
func excerpt(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func raw(o Output) string {
	if o.Stderr == "" {
		return o.Stdout
	}
	return o.Stdout + o.Stderr
}
