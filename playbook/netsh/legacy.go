package netsh

import (
	"errors"
	"regexp"
	"strings"
	"sync"
)

var legacySectionRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(Port|Allowed programs) configuration for ([A-Za-z]+) profile(?: \(current\))?:$`)
})

// legacyOtherSectionRE matches the titles of the show config / show state
// sections that hold no exceptions (reference/netsh.md §2.4).
var legacyOtherSectionRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(?:(?:Domain|Standard) profile configuration(?: \(current\))?|(?:ICMP|Service) configuration for (?:Domain|Standard) profile(?: \(current\))?|Log configuration|Firewall status|Ports currently open on all network interfaces):$`)
})

// legacyScopeRE matches the verbose detail line that carries an entry's
// scope, at any indentation (reference/netsh.md §9 #5: its exact layout was
// never captured).
var legacyScopeRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*Scope\s*:\s*(.*)$`) })

// legacyDetailRE matches other indented "Label: value" detail lines, which
// are ignored.
var legacyDetailRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s+[A-Za-z][A-Za-z ()/-]*\s*:`) })

// ParseLegacy parses "netsh firewall show portopening|allowedprogram
// [verbose=ENABLE]" output in the Vista+ layout (columns Port, Protocol,
// Mode, Traffic direction, Name / Mode, Traffic direction, Name / Program)
// and the pre-Vista layout without the Traffic direction column. Columns are
// located from the header line. The deprecation notice (http or https form)
// is dropped. A "Scope:" line of any indentation after a row gives that
// row's scope (LocalSubnet, * or All for every address, or an address list);
// without one the rule's RemoteIP has Kind ScopeUnknown. Entries repeated in
// several profile sections are merged into one Rule listing the profiles
// ("Domain", "Standard"). The other sections of "show config" (profile
// settings, ICMP, services, log) and of "show state" are skipped by their
// English titles. Output without at least one port or allowed-program
// section is an *UnrecognizedError, so translated output (or show state,
// which names no exception) is never read as "no rules".
func ParseLegacy(o Output) ([]Rule, error) {
	if err := knownFailure(o); err != nil {
		return nil, err
	}
	if o.ExitCode != 0 {
		return nil, unrecognized(o, "exit code %d", o.ExitCode)
	}
	if !blank(o.Stderr) {
		return nil, unexpectedStderr(o)
	}
	ls, ok := dropNotice(lines(o.Stdout))
	if !ok {
		return nil, unrecognized(o, "deprecation notice mixed with other text")
	}
	var (
		rules    []Rule
		sections int
	)
	index := map[string]int{} // dedupe key → index in rules
	for i := 0; i < len(ls); i++ {
		l := ls[i]
		if l == "" {
			continue
		}
		if legacyOtherSectionRE().MatchString(l) {
			// A section of show config / show state that lists no
			// exceptions: skip it up to the next blank line.
			for i+1 < len(ls) && ls[i+1] != "" {
				i++
			}
			continue
		}
		m := legacySectionRE().FindStringSubmatch(l)
		if m == nil {
			return nil, unrecognized(o, "line %d: %q is not a port or allowed-program section", i+1, l)
		}
		sections++
		program := m[1] == "Allowed programs"
		profile := m[2]
		if i+2 >= len(ls) || !isDashes(ls[i+2]) {
			return nil, unrecognized(o, "line %d: want a column header and a line of dashes", i+2)
		}
		cols, err := legacyColumns(ls[i+1], program)
		if err != "" {
			return nil, unrecognized(o, "line %d: %s", i+2, err)
		}
		rows, next, rerr := parseLegacyRows(o, ls, i+3, cols, program)
		if rerr != nil {
			return nil, rerr
		}
		i = next
		for _, r := range rows {
			key := legacyKey(r)
			if j, ok := index[key]; ok {
				if !containsFold(rules[j].Profiles, profile) {
					rules[j].Profiles = append(rules[j].Profiles, profile)
				}
				continue
			}
			r.Profiles = []string{profile}
			index[key] = len(rules)
			rules = append(rules, r)
		}
	}
	if sections == 0 {
		return nil, unrecognized(o, "no port or allowed-program section")
	}
	if rules == nil {
		rules = []Rule{}
	}
	return rules, nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func legacyKey(r Rule) string {
	return strings.Join([]string{r.Name, r.Protocol, r.LocalPort, strings.ToLower(r.Program),
		yesNo(r.Enabled), r.Direction, r.RemoteIP.String()}, "\x00")
}

func parseLegacyScope(v string) (Scope, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return Scope{}, errors.New("empty scope")
	}
	return ParseScope(v)
}

// column is one column of a legacy table: its title and start offset.
type column struct {
	title string
	start int
}

// legacyColumns locates the columns of a table from its header line. It
// accepts the Vista+ and the pre-Vista layouts; msg is non-empty for any
// other header.
func legacyColumns(header string, program bool) (cols []column, msg string) {
	want := [][]string{{"Port", "Protocol", "Mode", "Traffic direction", "Name"}, {"Port", "Protocol", "Mode", "Name"}}
	if program {
		want = [][]string{{"Mode", "Traffic direction", "Name / Program"}, {"Mode", "Name / Program"}}
	}
	for _, titles := range want {
		cols = cols[:0]
		pos := 0
		ok := true
		for _, t := range titles {
			j := strings.Index(header[pos:], t)
			if j < 0 || strings.TrimSpace(header[pos:pos+j]) != "" {
				ok = false
				break
			}
			cols = append(cols, column{title: t, start: pos + j})
			pos += j + len(t)
		}
		if ok && strings.TrimSpace(header[pos:]) == "" && cols[0].start == 0 {
			return cols, ""
		}
	}
	return nil, "unknown column header " + `"` + header + `"`
}

// parseLegacyRows parses the entries of one section, from line i to the
// next blank line, each with its Scope: detail line; next is the index of
// that blank line.
func parseLegacyRows(o Output, ls []string, i int, cols []column, program bool) (rows []Rule, next int, err error) {
	for ; i < len(ls) && ls[i] != ""; i++ {
		l := ls[i]
		if sm := legacyScopeRE().FindStringSubmatch(l); sm != nil {
			if len(rows) == 0 {
				return nil, i, unrecognized(o, "line %d: Scope line before any entry", i+1)
			}
			s, err := parseLegacyScope(sm[1])
			if err != nil {
				return nil, i, unrecognized(o, "line %d: bad scope %q: %v", i+1, sm[1], err)
			}
			rows[len(rows)-1].RemoteIP = s
			continue
		}
		if legacyDetailRE().MatchString(l) {
			if len(rows) == 0 {
				return nil, i, unrecognized(o, "line %d: detail line before any entry", i+1)
			}
			continue
		}
		r, msg := parseLegacyRow(l, cols, program)
		if msg != "" {
			return nil, i, unrecognized(o, "line %d: %s: %q", i+1, msg, l)
		}
		rows = append(rows, r)
	}
	return rows, i, nil
}

// parseLegacyRow reads one table row. Cells are cut at the header's column
// offsets; when a value overflows its column (the cut would split a word),
// the row is split on blanks instead, the last column taking the rest.
func parseLegacyRow(l string, cols []column, program bool) (Rule, string) {
	cells := cutCells(l, cols)
	if cells == nil {
		f := strings.Fields(l)
		if len(f) < len(cols) {
			return Rule{}, "too few cells"
		}
		cells = append(f[:len(cols)-1:len(cols)-1], strings.Join(strings.Fields(l)[len(cols)-1:], " "))
		// Keep the last cell's inner spacing: take it from the line itself.
		rest := l
		for k := 0; k < len(cols)-1; k++ {
			rest = strings.TrimLeft(rest, " ")
			rest = rest[len(f[k]):]
		}
		cells[len(cols)-1] = strings.TrimSpace(rest)
	}
	r := Rule{Direction: "In", Action: "Allow", LocalIP: Scope{Kind: ScopeAll}}
	for k, c := range cols {
		v := cells[k]
		switch c.title {
		case "Port":
			if _, err := parsePort(v); err != nil {
				return Rule{}, "bad port"
			}
			r.LocalPort = v
		case "Protocol":
			switch strings.ToUpper(v) {
			case "TCP", "UDP":
				r.Protocol = strings.ToUpper(v)
			default:
				return Rule{}, "bad protocol"
			}
		case "Mode":
			switch v {
			case "Enable":
				r.Enabled = true
			case "Disable":
			default:
				return Rule{}, "bad mode"
			}
		case "Traffic direction":
			switch v {
			case "Inbound":
				r.Direction = "In"
			case "Outbound":
				r.Direction = "Out"
			default:
				return Rule{}, "bad traffic direction"
			}
		case "Name":
			if v == "" {
				return Rule{}, "empty name"
			}
			r.Name = v
		case "Name / Program":
			name, prog, ok := splitNameProgram(v)
			if !ok {
				return Rule{}, "no program path after the name"
			}
			r.Name, r.Program = name, prog
		}
	}
	if program {
		r.Protocol = "Any"
	} else {
		r.RemotePort = "Any"
	}
	return r, ""
}

// cutCells cuts l at the column offsets. It returns nil when that would
// split a word or leave a non-last cell empty or holding a blank.
func cutCells(l string, cols []column) []string {
	cells := make([]string, len(cols))
	for k, c := range cols {
		if c.start > len(l) {
			return nil
		}
		if c.start > 0 && l[c.start-1] != ' ' {
			return nil
		}
		end := len(l)
		if k+1 < len(cols) {
			end = min(cols[k+1].start, len(l))
		}
		v := strings.TrimSpace(l[c.start:end])
		if k+1 < len(cols) && (v == "" || strings.Contains(v, " ")) {
			return nil
		}
		if k+1 < len(cols) && c.start < len(l) && l[c.start] == ' ' {
			return nil
		}
		cells[k] = v
	}
	return cells
}

// splitNameProgram splits "SSIS Service / C:\...\MsDtsSrvr.exe" at the
// first " / " followed by an absolute path (drive, UNC or %VAR%).
func splitNameProgram(v string) (name, program string, ok bool) {
	for i := 0; ; {
		j := strings.Index(v[i:], " / ")
		if j < 0 {
			return "", "", false
		}
		at := i + j
		rest := v[at+3:]
		if strings.HasPrefix(rest, `\\`) || strings.HasPrefix(rest, "%") ||
			(len(rest) >= 3 && isLetter(rest[0]) && rest[1] == ':' && rest[2] == '\\') {
			name = strings.TrimSpace(v[:at])
			return name, rest, name != ""
		}
		i = at + 1
	}
}
