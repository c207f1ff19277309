package netsh

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Decode turns raw command output into a string: as UTF-8 when it is valid
// UTF-8 (WinRM asks for code page 65001), else as OEM code page 437, the
// console code page of en-US Windows.
func Decode(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	s, err := charmap.CodePage437.NewDecoder().Bytes(b)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(s)
}

// Known messages (en-US, reference/netsh.md §4).
const (
	msgNoMatch       = "No rules match the specified criteria."
	msgElevation     = "The requested operation requires elevation (Run as administrator)."
	msgNotFoundCmd   = "The following command was not found: "
	msgAccessDenied  = "Access is denied."
	msgObjectExists  = "The object already exists."
	msgFileNotFound  = "The system cannot find the file specified."
	msgRegOK         = "The operation completed successfully."
	msgRegMissing    = "ERROR: The system was unable to find the specified registry key or value."
	msgFirewallCall1 = "An error occurred while attempting to contact the"
	msgFirewallCall2 = "Firewall service"
)

// invalidParamFirst are the first lines of netsh's parameter errors (§4.2).
var invalidParamFirst = []string{
	"A specified value is not valid.",
	"A specified port value is not valid.",
	"A specified protocol value is not valid.",
	"A specified IP address or address keyword is not valid.",
	"Ports can only be specified if the protocol is TCP or UDP.",
	"The number of arguments  provided is not valid. Check help for the correct syntax.",
	"The number of arguments provided is not valid. Check help for the correct syntax.",
	"One or more essential parameters were not entered.",
}

// knownFailure recognises the failure messages shared by every netsh
// command: not elevated, firewall service stopped, bad parameters, unknown
// command. It returns nil when the output is none of these.
func knownFailure(o Output) error {
	text := raw(o)
	first := firstLine(text)
	fail := func(err error) error { return &OutputError{Command: o.Command, Raw: text, Err: err} }
	switch {
	case strings.Contains(text, msgElevation):
		return fail(ErrNotElevated)
	case strings.Contains(text, msgFirewallCall1) && strings.Contains(text, msgFirewallCall2):
		return fail(ErrFirewallStopped)
	case strings.HasPrefix(first, msgNotFoundCmd):
		return fail(ErrCommandNotFound)
	case first == msgFileNotFound:
		return fail(ErrFileNotFound)
	case strings.HasPrefix(first, "Usage:"):
		return fail(ErrInvalidParameter)
	}
	for _, m := range invalidParamFirst {
		if first == m {
			return fail(ErrInvalidParameter)
		}
	}
	return nil
}

// The deprecation notice of legacy netsh firewall (§2.1), line by line.
var noticeLines = sync.OnceValue(func() []*regexp.Regexp {
	return []*regexp.Regexp{
		regexp.MustCompile(`^IMPORTANT: Command executed successfully\.$`),
		regexp.MustCompile(`^However, "netsh firewall" is deprecated;$`),
		regexp.MustCompile(`^use "netsh advfirewall firewall" instead\.$`),
		regexp.MustCompile(`^For more information on using "netsh advfirewall firewall" commands$`),
		regexp.MustCompile(`^instead of "netsh firewall", see KB article 947709$`),
		regexp.MustCompile(`^at https?://go\.microsoft\.com/fwlink/\?linkid=121488 \.$`),
	}
})

// dropNotice removes the legacy deprecation notice from ls. The notice is
// found by `"netsh firewall" is deprecated` or `KB article 947709`; the
// paragraph (run of non-blank lines) holding it is removed if every line of
// it is a line of the notice. ok is false when a paragraph mentions the
// notice but holds other text too.
func dropNotice(ls []string) (out []string, ok bool) {
	out = make([]string, 0, len(ls))
	for i := 0; i < len(ls); {
		if ls[i] == "" {
			out = append(out, "")
			i++
			continue
		}
		j := i
		mention := false
		for j < len(ls) && ls[j] != "" {
			if strings.Contains(ls[j], `"netsh firewall" is deprecated`) || strings.Contains(ls[j], "KB article 947709") {
				mention = true
			}
			j++
		}
		if !mention {
			out = append(out, ls[i:j]...)
			i = j
			continue
		}
		for _, l := range ls[i:j] {
			if !matchesAny(noticeLines(), l) {
				return nil, false
			}
		}
		i = j
	}
	return out, true
}

func matchesAny(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

func nonBlank(ls []string) []string {
	var out []string
	for _, l := range ls {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// Change is the recognised result of an add/set/delete command.
type Change struct {
	// Count is the number of rules deleted or updated as netsh reported it
	// ("Deleted 2 rule(s)."), 0 for "No rules match the specified
	// criteria.", -1 when the output does not say (add, legacy, reg).
	Count int
	// AlreadyExists is true for the legacy "The object already exists.".
	AlreadyExists bool
}

var countRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?:Deleted|Updated) (\d{1,9}) rule\(s\)\.$`) })

// ParseChange parses the output of an add/set/delete command (netsh in
// either dialect, reg add, reg delete). A recognised failure is an
// *OutputError wrapping ErrNotElevated, ErrFirewallStopped,
// ErrInvalidParameter, ErrCommandNotFound or ErrFileNotFound; other unknown output is an
// *UnrecognizedError.
func ParseChange(o Output) (Change, error) {
	if err := knownFailure(o); err != nil {
		return Change{}, err
	}
	ls, ok := dropNotice(lines(o.Stdout))
	if !ok {
		return Change{}, unrecognized(o, "deprecation notice mixed with other text")
	}
	nb := nonBlank(ls)
	if !blank(o.Stderr) {
		return Change{}, unexpectedStderr(o)
	}
	switch {
	case len(nb) == 1 && nb[0] == msgNoMatch && o.ExitCode == 1:
		return Change{Count: 0}, nil
	case len(nb) >= 1 && nb[len(nb)-1] == msgObjectExists:
		// The exit code of this legacy result is unknown (§9 #4).
		return Change{Count: -1, AlreadyExists: true}, nil
	case o.ExitCode != 0:
		return Change{}, unrecognized(o, "exit code %d", o.ExitCode)
	case len(nb) == 1 && (nb[0] == "Ok." || nb[0] == msgRegOK):
		return Change{Count: -1}, nil
	case len(nb) == 2 && nb[1] == "Ok.":
		if m := countRE().FindStringSubmatch(nb[0]); m != nil {
			n, _ := strconv.Atoi(m[1])
			return Change{Count: n}, nil
		}
	}
	return Change{}, unrecognized(o, "not a known result of add, set or delete")
}
