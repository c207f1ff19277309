package netsh

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// ScListCommand enumerates every service with its display name; used to
// discover MsDtsServer* services. Parse with ParseScList.
const ScListCommand = "sc query type= service state= all"

// ServiceStatus is the parsed output of "sc query NAME".
type ServiceStatus struct {
	Name string
	// Installed is false when sc reported FAILED 1060.
	Installed bool
	// State is the numeric state (1 STOPPED, 2 START_PENDING, 3
	// STOP_PENDING, 4 RUNNING, 7 PAUSED) and StateName its name.
	State     int
	StateName string
}

// Running reports whether the service is installed and RUNNING.
func (s ServiceStatus) Running() bool { return s.Installed && s.State == 4 }

// ServiceConfig is the parsed output of "sc qc NAME".
type ServiceConfig struct {
	Name string
	// Installed is false when sc reported FAILED 1060.
	Installed   bool
	DisplayName string
	// BinaryPath is BINARY_PATH_NAME as printed; Executable is the program
	// path in it, unquoted and without arguments.
	BinaryPath string
	Executable string
	// StartType is the name, e.g. "AUTO_START", "DEMAND_START", "DISABLED"
	// ("AUTO_START  (DELAYED)" keeps its suffix).
	StartType string
}

// ServiceEntry is one service of ScListCommand's output.
type ServiceEntry struct {
	Name, DisplayName string
	// State is the numeric state (see ServiceStatus) and StateName its
	// name; the list prints them for every service, so a service check
	// can be judged from the list a scan reads anyway.
	State     int
	StateName string
}

// Status is the entry as "sc query NAME" would have reported it.
func (e ServiceEntry) Status() ServiceStatus {
	return ServiceStatus{Name: e.Name, Installed: true, State: e.State, StateName: e.StateName}
}

var serviceNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_.$@{}#-]{1,256}$`) })

func checkServiceName(s string) error {
	if !serviceNameRE().MatchString(s) {
		return &UnsafeValueError{Field: "service name", Value: s, Reason: "want letters, digits and _ . $ @ { } # -"}
	}
	return nil
}

// ScQueryCommand returns "sc query NAME". The name is validated.
func ScQueryCommand(service string) (string, error) {
	if err := checkServiceName(service); err != nil {
		return "", err
	}
	return "sc query " + service, nil
}

// ScQcCommand returns "sc qc NAME". The name is validated.
func ScQcCommand(service string) (string, error) {
	if err := checkServiceName(service); err != nil {
		return "", err
	}
	return "sc qc " + service, nil
}

// scField splits "        STATE              : 4  RUNNING" (and the
// unindented SERVICE_NAME: / DISPLAY_NAME: lines) into the key and the
// value with blanks trimmed; ok is false for any other line. It accepts
// exactly what ^\s*([A-Z][A-Z0-9_]*)\s*:(?:\s(.*))?$ matches
// (TestScFieldIsTheRegexp), without a regexp: a scan runs it on every line
// of `sc query type= service state= all`, which lists every service.
func scField(l string) (key, val string, ok bool) {
	const blanks = " \t\n\f\r" // RE2's \s
	s := strings.TrimLeft(l, blanks)
	n := 0
	for n < len(s) && ('A' <= s[n] && s[n] <= 'Z' || n > 0 && ('0' <= s[n] && s[n] <= '9' || s[n] == '_')) {
		n++
	}
	rest := strings.TrimLeft(s[n:], blanks)
	if n == 0 || rest == "" || rest[0] != ':' {
		return "", "", false
	}
	rest = rest[1:]
	if rest != "" && !strings.ContainsRune(blanks, rune(rest[0])) || strings.Contains(rest[min(1, len(rest)):], "\n") {
		return "", "", false
	}
	return s[:n], strings.TrimSpace(rest), true
}

// scFailure recognises "[SC] ... FAILED n:" outputs. notInstalled is true
// for 1060; err is set for access denied and any other failure.
func scFailure(o Output) (notInstalled bool, err error) {
	text := raw(o)
	if !strings.Contains(text, "[SC]") || !strings.Contains(text, " FAILED ") {
		return false, nil
	}
	switch {
	case strings.Contains(text, "FAILED 1060:") && strings.Contains(text, "The specified service does not exist as an installed service."):
		return true, nil
	case strings.Contains(text, "FAILED 5:") && strings.Contains(text, msgAccessDenied):
		return false, &OutputError{Command: o.Command, Raw: text, Err: ErrNotElevated}
	}
	return false, unrecognized(o, "sc failure")
}

// scBlock is one SERVICE_NAME block of sc output: its KEY : value lines in
// order.
type scBlock struct {
	fields []scKV
}

type scKV struct{ key, val string }

// get returns the value of key's last line in the block.
func (b scBlock) get(key string) (string, bool) {
	for i := len(b.fields) - 1; i >= 0; i-- {
		if b.fields[i].key == key {
			return b.fields[i].val, true
		}
	}
	return "", false
}

// field is get without the ok.
func (b scBlock) field(key string) string {
	v, _ := b.get(key)
	return v
}

// scFields reads the KEY : value lines of sc output. Continuation lines
// (the "(STOPPABLE, ...)" flags) are skipped; anything else is rejected.
// Only the fields named in keep are kept (all of them if keep is nil);
// the blocks' fields share one slice (ScListCommand's output has
// thousands of lines).
func scFields(o Output, allowHeader bool, keep ...string) ([]scBlock, error) {
	n := strings.Count(o.Stdout, "SERVICE_NAME")
	blocks := make([]scBlock, 0, n)
	var all []scKV
	if keep != nil {
		all = make([]scKV, 0, n*len(keep))
	}
	start := 0 // where the current block's fields begin in all
	for i, l := range eachLine(o.Stdout) {
		if l == "" {
			continue
		}
		if allowHeader && strings.HasPrefix(l, "[SC] ") && strings.HasSuffix(l, " SUCCESS") {
			continue
		}
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "(") && strings.HasSuffix(t, ")") {
			continue
		}
		key, val, ok := scField(l)
		if !ok {
			return nil, unrecognized(o, "line %d: %q", i+1, l)
		}
		if key == "SERVICE_NAME" {
			if len(blocks) > 0 {
				blocks[len(blocks)-1].fields = all[start:len(all):len(all)]
			}
			start = len(all)
			blocks = append(blocks, scBlock{})
		}
		if len(blocks) == 0 {
			return nil, unrecognized(o, "line %d: %q before SERVICE_NAME", i+1, l)
		}
		if keep == nil || slices.Contains(keep, key) {
			all = append(all, scKV{key, val})
		}
	}
	if len(blocks) > 0 {
		blocks[len(blocks)-1].fields = all[start:]
	}
	return blocks, nil
}

// numberName splits "4  RUNNING" into 4 and "RUNNING".
func numberName(v string) (int, string, bool) {
	f := strings.Fields(v)
	if len(f) < 2 {
		return 0, "", false
	}
	n, err := strconv.Atoi(f[0])
	if err != nil {
		return 0, "", false
	}
	return n, strings.Join(f[1:], " "), true
}

// stateOf splits a STATE value, "4  RUNNING", like numberName but without
// allocating: the name is a substring (a state's name is one word). The
// service list has one per service.
func stateOf(v string) (int, string, bool) {
	num, name, ok := strings.Cut(strings.TrimSpace(v), " ")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return 0, "", false
	}
	n, err := strconv.Atoi(num)
	if err != nil {
		return 0, "", false
	}
	return n, name, true
}

// ParseScQuery parses "sc query NAME". FAILED 1060 gives Installed=false and
// no error; "Access is denied." is an *OutputError wrapping ErrNotElevated.
func ParseScQuery(o Output) (ServiceStatus, error) {
	missing, err := scFailure(o)
	if err != nil || missing {
		return ServiceStatus{}, err
	}
	if o.ExitCode != 0 {
		return ServiceStatus{}, unrecognized(o, "exit code %d", o.ExitCode)
	}
	blocks, err := scFields(o, false)
	if err != nil {
		return ServiceStatus{}, err
	}
	if len(blocks) != 1 {
		return ServiceStatus{}, unrecognized(o, "want one SERVICE_NAME block, got %d", len(blocks))
	}
	f := blocks[0]
	n, name, ok := numberName(f.field("STATE"))
	if !ok || f.field("SERVICE_NAME") == "" {
		return ServiceStatus{}, unrecognized(o, "no STATE line")
	}
	return ServiceStatus{Name: f.field("SERVICE_NAME"), Installed: true, State: n, StateName: name}, nil
}

// ParseScQc parses "sc qc NAME". FAILED 1060 gives Installed=false and no
// error.
func ParseScQc(o Output) (ServiceConfig, error) {
	missing, err := scFailure(o)
	if err != nil || missing {
		return ServiceConfig{}, err
	}
	if o.ExitCode != 0 {
		return ServiceConfig{}, unrecognized(o, "exit code %d", o.ExitCode)
	}
	blocks, err := scFields(o, true)
	if err != nil {
		return ServiceConfig{}, err
	}
	if len(blocks) != 1 {
		return ServiceConfig{}, unrecognized(o, "want one SERVICE_NAME block, got %d", len(blocks))
	}
	f := blocks[0]
	bin, ok := f.get("BINARY_PATH_NAME")
	if !ok || f.field("SERVICE_NAME") == "" {
		return ServiceConfig{}, unrecognized(o, "no BINARY_PATH_NAME line")
	}
	c := ServiceConfig{Name: f.field("SERVICE_NAME"), Installed: true, DisplayName: f.field("DISPLAY_NAME"), BinaryPath: bin, Executable: executable(bin)}
	if _, name, ok := numberName(f.field("START_TYPE")); ok {
		c.StartType = name
	}
	return c, nil
}

// executable extracts the program path from a BINARY_PATH_NAME value:
// the quoted part when quoted, else up to and including the first ".exe"
// (case-insensitive), else up to the first blank.
func executable(bin string) string {
	bin = strings.TrimSpace(bin)
	if strings.HasPrefix(bin, `"`) {
		if j := strings.IndexByte(bin[1:], '"'); j >= 0 {
			return bin[1 : 1+j]
		}
		return strings.Trim(bin, `"`)
	}
	if i := strings.Index(strings.ToLower(bin), ".exe"); i >= 0 {
		return bin[:i+4]
	}
	if i := strings.IndexByte(bin, ' '); i >= 0 {
		return bin[:i]
	}
	return bin
}

// ParseScList parses ScListCommand's output. Output without any service is
// an *UnrecognizedError (every Windows host has services).
func ParseScList(o Output) ([]ServiceEntry, error) {
	if _, err := scFailure(o); err != nil {
		return nil, err
	}
	if o.ExitCode != 0 {
		return nil, unrecognized(o, "exit code %d", o.ExitCode)
	}
	blocks, err := scFields(o, false, "SERVICE_NAME", "DISPLAY_NAME", "STATE")
	if err != nil {
		return nil, err
	}
	if len(blocks) == 0 {
		return nil, unrecognized(o, "no SERVICE_NAME line")
	}
	out := make([]ServiceEntry, len(blocks))
	for i, b := range blocks {
		n, name, ok := stateOf(b.field("STATE"))
		if !ok || b.field("SERVICE_NAME") == "" {
			return nil, unrecognized(o, "service %d (%q): no STATE line", i+1, b.field("SERVICE_NAME"))
		}
		out[i] = ServiceEntry{Name: b.field("SERVICE_NAME"), DisplayName: b.field("DISPLAY_NAME"), State: n, StateName: name}
	}
	return out, nil
}

// EvaluateService judges whether the service is running (wantRunning) or
// stopped. The check only reads: Commands are always empty, apply never
// starts or stops a service.
func EvaluateService(st ServiceStatus, wantRunning bool) Result {
	r := Result{Expected: "running"}
	if !wantRunning {
		r.Expected = "stopped"
	}
	switch {
	case !st.Installed:
		r.Actual = "not installed"
	default:
		r.Actual = strings.ToLower(st.StateName)
	}
	name := st.Name
	if name == "" {
		name = "the service"
	}
	if st.Installed && (st.State == 4) == wantRunning && (wantRunning || st.State == 1) {
		r.Compliant = true
		return r
	}
	r.Reason = fmt.Sprintf("service %s is %s, want %s", name, r.Actual, r.Expected)
	r.Code = CodeNotStopped
	if wantRunning {
		r.Code = CodeNotRunning
	}
	return r
}

// SSISVersion describes one SQL Server version's Integration Services
// (reference/netsh.md §6.1).
type SSISVersion struct {
	// Year is the SQL Server version, e.g. "2016".
	Year string
	// Dir is the version directory under "Microsoft SQL Server", e.g. "130".
	Dir string
	// Service is the service name, e.g. "MsDtsServer130".
	Service string
	// DisplayName is the service display name.
	DisplayName string
}

// SSISVersions lists the known versions, 2005 (90) to 2022 (160), oldest
// first. SQL Server 2025 is not covered by the reference.
func SSISVersions() []SSISVersion {
	return []SSISVersion{
		{"2005", "90", "MsDtsServer", "SQL Server Integration Services"},
		{"2008", "100", "MsDtsServer100", "SQL Server Integration Services 10.0"},
		{"2012", "110", "MsDtsServer110", "SQL Server Integration Services 11.0"},
		{"2014", "120", "MsDtsServer120", "SQL Server Integration Services 12.0"},
		{"2016", "130", "MsDtsServer130", "SQL Server Integration Services 13.0"},
		{"2017", "140", "MsDtsServer140", "SQL Server Integration Services 14.0"},
		{"2019", "150", "MsDtsServer150", "SQL Server Integration Services 15.0"},
		{"2022", "160", "MsDtsServer160", "SQL Server Integration Services 16.0"},
	}
}

// LookupSSIS finds a version by year ("2016"; "2008R2" is 2008), major
// version ("13", "10.50"), directory ("130") or service name
// ("MsDtsServer130", case-insensitive).
func LookupSSIS(s string) (SSISVersion, bool) {
	t := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	if t == "2008r2" || t == "10.50" || t == "10.5" {
		t = "2008"
	}
	for _, v := range SSISVersions() {
		major := strings.TrimSuffix(v.Dir, "0")
		if t == v.Year || t == v.Dir || t == major || t == major+".0" || t == strings.ToLower(v.Service) {
			return v, true
		}
	}
	return SSISVersion{}, false
}

// ProgramPath returns root + `\` + Dir + `\DTS\Binn\MsDtsSrvr.exe`. An empty
// root means `%ProgramFiles%\Microsoft SQL Server`.
func (v SSISVersion) ProgramPath(root string) string {
	if root == "" {
		root = `%ProgramFiles%\Microsoft SQL Server`
	}
	return strings.TrimRight(root, `\`) + `\` + v.Dir + `\DTS\Binn\MsDtsSrvr.exe`
}

// SSISSearchCommand finds every SSIS service and its program in one read:
// reg.exe searches the data of the values under the Services key (where
// Windows keeps each service's configuration) for the SSIS program's file
// name. It answers, next to the service list in a host's first round trip,
// what "sc qc NAME" of each SSIS service answers only in a second one.
// reg.exe 3.0 (Windows XP and 2003) cannot search: there sc qc is used.
// Parse with ParseServiceSearch.
const SSISSearchCommand = `reg query ` + servicesKey + ` /s /f MsDtsSrvr.exe /d`

const servicesKey = `HKLM\SYSTEM\CurrentControlSet\Services`

// ServiceImage is a service's program as the Services key stores it: the
// ImagePath value that "sc qc NAME" prints as BINARY_PATH_NAME.
type ServiceImage struct {
	Service string
	// ImagePath is the value as stored; Executable the program path in it,
	// unquoted and without arguments (as ServiceConfig.Executable).
	ImagePath, Executable string
}

// ParseServiceSearch parses SSISSearchCommand's output (Vista and later
// reg.exe): for each key with a match a blank line, the key path and the
// matching values, then "End of search: N match(es) found.". It returns
// the ImagePath of every direct subkey of the Services key, which is a
// service; other matches (a value of a service's subkey, an event source's
// message file) are not a service's program and are skipped. Without the
// closing "End of search" line the output is not trusted: it is an
// *UnrecognizedError, as is reg.exe 3.0's "Invalid syntax.". The exit code
// of a search without match is not documented: 0 and 1 are both accepted
// there; with matches it must be 0.
func ParseServiceSearch(o Output) ([]ServiceImage, error) {
	text := raw(o)
	if strings.Contains(text, "ERROR: "+msgAccessDenied) {
		return nil, &OutputError{Command: o.Command, Raw: text, Err: ErrNotElevated}
	}
	if !blank(o.Stderr) {
		return nil, unexpectedStderr(o)
	}
	const services = `HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\`
	var (
		out   []ServiceImage
		key   string // the current key path; "" before the first
		found = -1   // N of the "End of search" line, once read
	)
	for i, l := range eachLine(o.Stdout) {
		switch {
		case l == "":
		case found >= 0:
			return nil, unrecognized(o, "line %d: %q after the end of the search", i+1, l)
		case strings.HasPrefix(l, "End of search: "):
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(l, "End of search: "), " match(es) found."))
			if err != nil || n < 0 || !strings.HasSuffix(l, " match(es) found.") {
				return nil, unrecognized(o, "line %d: %q", i+1, l)
			}
			found = n
		case strings.HasPrefix(l, "HKEY_"):
			key = l
		default:
			m := regValueRE().FindStringSubmatch(l)
			if m == nil || key == "" {
				return nil, unrecognized(o, "line %d: %q", i+1, l)
			}
			if len(key) <= len(services) || !strings.EqualFold(key[:len(services)], services) || !strings.EqualFold(m[1], "ImagePath") {
				continue
			}
			name, exe := key[len(services):], executable(m[3])
			if strings.Contains(name, `\`) || exe == "" {
				continue // a subkey's value, or no program: sc qc tells
			}
			out = append(out, ServiceImage{Service: name, ImagePath: m[3], Executable: exe})
		}
	}
	switch {
	case found < 0:
		return nil, unrecognized(o, "no \"End of search\" line")
	case o.ExitCode != 0 && (found > 0 || o.ExitCode != 1):
		return nil, unrecognized(o, "exit code %d", o.ExitCode)
	}
	return out, nil
}
