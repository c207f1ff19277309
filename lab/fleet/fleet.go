package fleet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/winfleet/winfleet/lab/winsim"
	"github.com/winfleet/winfleet/remote/winrmtest"
)

// A Fleet is the content of a fleet file: defaults and the hosts to serve.
type Fleet struct {
	// Version is the file format version; 1 (or 0, meaning 1).
	Version int `yaml:"version,omitempty"`
	// Seed is set on generated fleets (informational).
	Seed *int64 `yaml:"seed,omitempty"`
	// Defaults apply to every host that leaves the field empty.
	Defaults Defaults `yaml:"defaults,omitempty"`
	Hosts    []Host   `yaml:"hosts"`

	file string
}

// Defaults are per-fleet defaults for host fields.
type Defaults struct {
	Windows   string `yaml:"windows,omitempty"`
	Domain    string `yaml:"domain,omitempty"`
	User      string `yaml:"user,omitempty"`
	Transport string `yaml:"transport,omitempty"`
	Scheme    string `yaml:"scheme,omitempty"`
	Profile   string `yaml:"profile,omitempty"`
	// BuiltinRules starts every host's table with a sample of Windows'
	// own rules (WinRM, Remote Desktop, COM+, Core Networking ...).
	BuiltinRules bool `yaml:"builtin_rules,omitempty"`
}

// A Host is one simulated Windows server.
type Host struct {
	// Name is the inventory name, e.g. sql001.lab.example.
	Name string `yaml:"name"`
	// Windows is the version: 2003, 2008, 2008r2, 2012, 2012r2, 2016, 2019, 2022, 2025.
	Windows string `yaml:"windows,omitempty"`
	// ComputerName is %COMPUTERNAME%; default: the first label of Name, upper case.
	ComputerName string `yaml:"computer_name,omitempty"`
	// Domain is the NetBIOS domain; "-" makes a workgroup host.
	Domain string `yaml:"domain,omitempty"`
	// Profile is the current firewall profile: domain, private or public.
	Profile string `yaml:"profile,omitempty"`
	// BuiltinRules overrides defaults.builtin_rules for this host.
	BuiltinRules *bool `yaml:"builtin_rules,omitempty"`
	// FirewallOff lists profiles whose firewall is off: "public",
	// "domain,private", "any".
	FirewallOff string     `yaml:"firewall_off,omitempty"`
	SSIS        []SSIS     `yaml:"ssis,omitempty"`
	Rules       []Rule     `yaml:"rules,omitempty"`
	Setup       []string   `yaml:"setup,omitempty"`
	Services    []Service  `yaml:"services,omitempty"`
	Registry    []RegValue `yaml:"registry,omitempty"`
	// User is the account the host accepts (default Administrator).
	User string `yaml:"user,omitempty"`
	// Transport is basic (default) or ntlm; Scheme is http (default) or https.
	Transport string `yaml:"transport,omitempty"`
	Scheme    string `yaml:"scheme,omitempty"`
	// AllowUnencrypted is the WinRM service setting (default true).
	AllowUnencrypted *bool  `yaml:"allow_unencrypted,omitempty"`
	Faults           Faults `yaml:"faults,omitempty"`
	// Expect overrides the status the answers file gives this host.
	Expect string `yaml:"expect,omitempty"`
	// Label says what the generator made (compliant, a drift kind, a fault kind).
	Label string `yaml:"label,omitempty"`

	line int
}

// SSIS is one installed SSIS version.
type SSIS struct {
	Version int    `yaml:"version"`
	Root    string `yaml:"root,omitempty"`
	Stopped bool   `yaml:"stopped,omitempty"`
}

// A Rule is an initial firewall rule, in `netsh advfirewall firewall add
// rule` terms. dir defaults to in, action to allow, enable to yes, profile
// to any.
type Rule struct {
	Name        string `yaml:"name"`
	Dir         string `yaml:"dir,omitempty"`
	Action      string `yaml:"action,omitempty"`
	Enable      string `yaml:"enable,omitempty"`
	Profile     string `yaml:"profile,omitempty"`
	Protocol    string `yaml:"protocol,omitempty"`
	LocalPort   string `yaml:"localport,omitempty"`
	RemotePort  string `yaml:"remoteport,omitempty"`
	LocalIP     string `yaml:"localip,omitempty"`
	RemoteIP    string `yaml:"remoteip,omitempty"`
	Program     string `yaml:"program,omitempty"`
	Service     string `yaml:"service,omitempty"`
	Description string `yaml:"description,omitempty"`
	Grouping    string `yaml:"grouping,omitempty"`
	Edge        string `yaml:"edge,omitempty"`
}

// A Service is an extra Windows service.
type Service struct {
	Name        string `yaml:"name"`
	DisplayName string `yaml:"display_name,omitempty"`
	BinaryPath  string `yaml:"binary_path,omitempty"`
	StartName   string `yaml:"start_name,omitempty"`
	StartType   string `yaml:"start_type,omitempty"`
	State       string `yaml:"state,omitempty"`
}

// A RegValue is a registry value; Data is a string or a list (REG_MULTI_SZ).
type RegValue struct {
	Key  string     `yaml:"key"`
	Name string     `yaml:"name,omitempty"`
	Type string     `yaml:"type,omitempty"`
	Data StringList `yaml:"data,omitempty"`
}

// StringList is a YAML scalar or sequence of scalars.
type StringList []string

// UnmarshalYAML accepts "x" as well as ["x", "y"].
func (s *StringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*s = StringList{n.Value}
		return nil
	}
	var l []string
	if err := n.Decode(&l); err != nil {
		return err
	}
	*s = l
	return nil
}

// Faults are what can go wrong with a host, at the Windows level (handled
// by winsim) and at the WinRM level (handled by the server).
type Faults struct {
	NotElevated     bool     `yaml:"not_elevated,omitempty"`
	FirewallStopped bool     `yaml:"firewall_stopped,omitempty"`
	Language        string   `yaml:"language,omitempty"`
	CodePage        int      `yaml:"codepage,omitempty"`
	Canned          []Canned `yaml:"canned,omitempty"`

	// Unreachable refuses connections (the WinRM service is stopped).
	Unreachable bool `yaml:"unreachable,omitempty"`
	// Hang accepts connections and never answers.
	Hang bool `yaml:"hang,omitempty"`
	// BadPassword makes the host expect a different password than the
	// inventory's (every request gets 401).
	BadPassword bool `yaml:"bad_password,omitempty"`
	// AccessDenied authenticates the user but denies WinRM (fault code 5).
	AccessDenied bool `yaml:"access_denied,omitempty"`
	// Latency is added before every WinRM request.
	Latency Duration `yaml:"latency,omitempty"`
	// DropReceive closes the connection when a Receive arrives.
	DropReceive bool `yaml:"drop_receive,omitempty"`
	// HangReceive never answers a Receive (commands hang after starting).
	HangReceive bool `yaml:"hang_receive,omitempty"`
	// MaxShells sets MaxShellsPerUser (default 30); over it Create gets the
	// QuotaLimit fault 2150859173.
	MaxShells int `yaml:"max_shells,omitempty"`
	// SOAPFaults answers an operation (Create, Command, Receive, Send,
	// Signal, Delete) with the WS-Man fault of that code, e.g.
	// {Create: 2150859173}.
	SOAPFaults map[string]uint32 `yaml:"soap_faults,omitempty"`

	// Write faults (at most one) act on a command line's first write
	// program (netsh add/set/delete/reset, reg add/delete, sc start/stop)
	// and cut the line there. DropBeforeWrite closes the connection instead
	// of answering and the write does not run; DropAfterWrite runs it, then
	// closes the connection; HangOnWrite runs it and never answers.
	DropBeforeWrite bool `yaml:"drop_before_write,omitempty"`
	DropAfterWrite  bool `yaml:"drop_after_write,omitempty"`
	HangOnWrite     bool `yaml:"hang_on_write,omitempty"`
	// WriteFaultsAfter lets the first N write command lines through
	// normally; the write fault hits the next ones.
	WriteFaultsAfter int `yaml:"write_faults_after,omitempty"`

	// HugeOutput makes every command print this much more on stdout
	// ("20MiB", "500KB", a number of bytes), generated while it is
	// received, never held in memory (winrmtest Faults.HugeOutput).
	HugeOutput ByteSize `yaml:"huge_output,omitempty"`
}

// writeFault is the winsim write fault the keys above describe.
func (ft *Faults) writeFault() (winsim.WriteFault, error) {
	var modes []winsim.WriteFaultMode
	for _, m := range []struct {
		on   bool
		mode winsim.WriteFaultMode
	}{{ft.DropBeforeWrite, winsim.DropBeforeWrite}, {ft.DropAfterWrite, winsim.DropAfterWrite}, {ft.HangOnWrite, winsim.HangOnWrite}} {
		if m.on {
			modes = append(modes, m.mode)
		}
	}
	switch {
	case len(modes) > 1:
		return winsim.WriteFault{}, fmt.Errorf("faults.%s and faults.%s: at most one write fault", modes[0], modes[1])
	case ft.WriteFaultsAfter < 0:
		return winsim.WriteFault{}, fmt.Errorf("faults.write_faults_after: %d is negative", ft.WriteFaultsAfter)
	case ft.WriteFaultsAfter > 0 && len(modes) == 0:
		return winsim.WriteFault{}, errors.New("faults.write_faults_after: needs drop_before_write, drop_after_write or hang_on_write")
	case len(modes) == 0:
		return winsim.WriteFault{}, nil
	}
	return winsim.WriteFault{Mode: modes[0], After: ft.WriteFaultsAfter}, nil
}

// ByteSize is a size written as a number of bytes or with a unit: "20MiB",
// "20MB" (both 20 × 2^20), "512KiB", "512KB" (× 2^10), "1GiB".
type ByteSize int

// ParseByteSize parses a ByteSize.
func ParseByteSize(s string) (ByteSize, error) {
	t := strings.TrimSpace(s)
	num := strings.TrimRightFunc(t, func(r rune) bool { return r > '9' || r < '0' })
	unit := strings.ToLower(strings.TrimSpace(t[len(num):]))
	mult := 0
	switch unit {
	case "", "b":
		mult = 1
	case "k", "kb", "kib":
		mult = 1 << 10
	case "m", "mb", "mib":
		mult = 1 << 20
	case "g", "gb", "gib":
		mult = 1 << 30
	}
	n, err := strconv.Atoi(num)
	if err != nil || mult == 0 || n < 0 || n > (1<<40)/mult {
		return 0, fmt.Errorf("invalid size %q (want e.g. 20MiB, 500KB or a number of bytes, at most 1TiB)", s)
	}
	return ByteSize(n * mult), nil
}

// UnmarshalYAML parses "20MiB" or a number.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseByteSize(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %v", n.Line, err)
	}
	*b = v
	return nil
}

// MarshalYAML writes the size in the largest unit that divides it.
func (b ByteSize) MarshalYAML() (any, error) {
	switch {
	case b != 0 && b%(1<<30) == 0:
		return strconv.Itoa(int(b>>30)) + "GiB", nil
	case b != 0 && b%(1<<20) == 0:
		return strconv.Itoa(int(b>>20)) + "MiB", nil
	case b != 0 && b%(1<<10) == 0:
		return strconv.Itoa(int(b>>10)) + "KiB", nil
	}
	return int(b), nil
}

// Canned is a scripted answer: a regular expression on the command line
// and what to print.
type Canned struct {
	Match  string `yaml:"match"`
	Stdout string `yaml:"stdout,omitempty"`
	Stderr string `yaml:"stderr,omitempty"`
	Exit   int    `yaml:"exit,omitempty"`
}

// Duration is a time.Duration written as "250ms", "2s".
type Duration time.Duration

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: invalid duration %q", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Statuses are the host statuses an answers file may hold.
var Statuses = []string{"compliant", "noncompliant", "unreachable", "auth_failed", "timeout", "error"}

// Load reads and validates a fleet file. Errors name the file and line.
func Load(path string) (*Fleet, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, b)
}

// Parse parses fleet file content; name is used in error messages.
func Parse(name string, data []byte) (*Fleet, error) {
	f := &Fleet{file: name}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty fleet file", name)
		}
		return nil, yamlError(name, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err == nil && len(doc.Content) == 1 {
		root := doc.Content[0]
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i].Value == "hosts" && root.Content[i+1].Kind == yaml.SequenceNode {
				for j, hn := range root.Content[i+1].Content {
					if j < len(f.Hosts) {
						f.Hosts[j].line = hn.Line
					}
				}
			}
		}
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return f, nil
}

var yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlError rewrites yaml's "line N: msg" errors as "file:N: msg".
func yamlError(name string, err error) error {
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	var errs []error
	for _, m := range msgs {
		if sm := yamlLineRE.FindStringSubmatch(m); sm != nil {
			errs = append(errs, fmt.Errorf("%s:%s: %s", name, sm[1], sm[2]))
		} else {
			errs = append(errs, fmt.Errorf("%s: %s", name, strings.TrimPrefix(m, "yaml: ")))
		}
	}
	return errors.Join(errs...)
}

// Validate checks every host (it builds each simulated host once). Errors
// name the file, line, host and field.
func (f *Fleet) Validate() error {
	_, err := f.configs()
	return err
}

// configs validates the fleet as Validate does and returns the HostConfig
// of every host, so that Serve builds each configuration once.
func (f *Fleet) configs() ([]winsim.Config, error) {
	if f.Version != 0 && f.Version != 1 {
		return nil, fmt.Errorf("%s: version: unsupported fleet file version %d (want 1)", f.file, f.Version)
	}
	if len(f.Hosts) == 0 {
		return nil, fmt.Errorf("%s: hosts: no hosts", f.fileName())
	}
	cfgs := make([]winsim.Config, len(f.Hosts))
	seen := map[string]int{}
	var errs []error
	for i := range f.Hosts {
		h := &f.Hosts[i]
		if h.Name == "" {
			errs = append(errs, f.errorf(h, "name: missing"))
			continue
		}
		if first, dup := seen[strings.ToLower(h.Name)]; dup {
			errs = append(errs, f.errorf(h, "name: duplicate host (first on line %d)", first))
			continue
		}
		seen[strings.ToLower(h.Name)] = h.line
		cfg, err := f.HostConfig(i)
		if err != nil {
			errs = append(errs, err)
		}
		cfgs[i] = cfg
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return cfgs, nil
}

func (f *Fleet) fileName() string {
	if f.file == "" {
		return "fleet"
	}
	return f.file
}

func (f *Fleet) errorf(h *Host, format string, args ...any) error {
	loc := f.fileName()
	if h.line > 0 {
		loc += fmt.Sprintf(":%d", h.line)
	}
	name := h.Name
	if name == "" {
		name = "(unnamed)"
	}
	return fmt.Errorf("%s: host %s: %s", loc, name, fmt.Sprintf(format, args...))
}

// Effective values with the fleet defaults applied.

func (f *Fleet) windows(h *Host) string { return firstOf(h.Windows, f.Defaults.Windows, "2019") }
func (f *Fleet) user(h *Host) string    { return firstOf(h.User, f.Defaults.User, "Administrator") }
func (f *Fleet) transport(h *Host) string {
	return strings.ToLower(firstOf(h.Transport, f.Defaults.Transport, "basic"))
}
func (f *Fleet) scheme(h *Host) string {
	return strings.ToLower(firstOf(h.Scheme, f.Defaults.Scheme, "http"))
}

func firstOf(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

var hostNameRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$`)

// HostConfig builds the winsim configuration of host i: its state after the
// setup commands ran (on a fault-free twin of the host).
func (f *Fleet) HostConfig(i int) (winsim.Config, error) {
	h := &f.Hosts[i]
	if !hostNameRE.MatchString(h.Name) {
		return winsim.Config{}, f.errorf(h, "name: %q is not a valid host name", h.Name)
	}
	v, err := winsim.ParseVersion(f.windows(h))
	if err != nil {
		return winsim.Config{}, f.errorf(h, "windows: %v", err)
	}
	cfg := winsim.Config{Version: v, User: f.user(h), BuiltinRules: f.Defaults.BuiltinRules}
	if h.BuiltinRules != nil {
		cfg.BuiltinRules = *h.BuiltinRules
	}
	cfg.ComputerName = h.ComputerName
	if cfg.ComputerName == "" {
		first, _, _ := strings.Cut(h.Name, ".")
		cfg.ComputerName = strings.ToUpper(first)
		if len(cfg.ComputerName) > 15 {
			cfg.ComputerName = cfg.ComputerName[:15]
		}
	}
	switch d := firstOf(h.Domain, f.Defaults.Domain, "LAB"); d {
	case "-":
	default:
		cfg.Domain = d
	}
	switch p := strings.ToLower(firstOf(h.Profile, f.Defaults.Profile)); p {
	case "":
	case "domain":
		cfg.CurrentProfile = winsim.Domain
	case "private", "standard":
		cfg.CurrentProfile = winsim.Private
	case "public":
		cfg.CurrentProfile = winsim.Public
	default:
		return winsim.Config{}, f.errorf(h, "profile: %q is not domain, private or public", p)
	}
	if h.FirewallOff != "" {
		p, err := winsim.ParseProfiles(h.FirewallOff)
		if err != nil {
			return winsim.Config{}, f.errorf(h, "firewall_off: %v", err)
		}
		cfg.FirewallOff = p
	}
	switch f.transport(h) {
	case "basic", "ntlm":
	default:
		return winsim.Config{}, f.errorf(h, "transport: %q is not basic or ntlm", f.transport(h))
	}
	switch f.scheme(h) {
	case "http", "https":
	default:
		return winsim.Config{}, f.errorf(h, "scheme: %q is not http or https", f.scheme(h))
	}
	if h.Expect != "" && !validStatus(h.Expect) {
		return winsim.Config{}, f.errorf(h, "expect: %q is not one of %s", h.Expect, strings.Join(Statuses, ", "))
	}
	for k, s := range h.SSIS {
		if !winsim.ValidSSISVersion(s.Version) {
			return winsim.Config{}, f.errorf(h, "ssis[%d].version: %d is not 90, 100, 110, 120, 130, 140, 150 or 160", k, s.Version)
		}
		cfg.SSIS = append(cfg.SSIS, winsim.SSIS{Version: s.Version, Root: s.Root, Stopped: s.Stopped})
	}
	for k, r := range h.Rules {
		wr, err := winsim.ParseRule(r.params())
		if err != nil {
			return winsim.Config{}, f.errorf(h, "rules[%d]: %v", k, err)
		}
		cfg.Rules = append(cfg.Rules, wr)
	}
	for k, s := range h.Services {
		if s.Name == "" {
			return winsim.Config{}, f.errorf(h, "services[%d].name: missing", k)
		}
		cfg.Services = append(cfg.Services, winsim.Service{Name: s.Name, DisplayName: firstOf(s.DisplayName, s.Name),
			BinaryPath: s.BinaryPath, StartName: firstOf(s.StartName, "LocalSystem"), StartType: strings.ToUpper(s.StartType), State: strings.ToUpper(s.State)})
	}
	for _, r := range h.Registry {
		cfg.Registry = append(cfg.Registry, winsim.RegValue{Key: r.Key, Name: r.Name, Type: r.Type, Data: r.Data})
	}
	ft := h.Faults
	wf, err := ft.writeFault()
	if err != nil {
		return winsim.Config{}, f.errorf(h, "%v", err)
	}
	cfg.Faults = winsim.Faults{NotElevated: ft.NotElevated, FirewallStopped: ft.FirewallStopped, Language: ft.Language, OEMCodePage: ft.CodePage, Write: wf}
	for _, c := range ft.Canned {
		cfg.Faults.Canned = append(cfg.Faults.Canned, winsim.Canned{Match: c.Match, Stdout: c.Stdout, Stderr: c.Stderr, Exit: c.Exit})
	}
	if _, err := winsim.New(cfg); err != nil {
		return winsim.Config{}, f.errorf(h, "%v", err)
	}
	if ft.MaxShells < 0 {
		return winsim.Config{}, f.errorf(h, "faults.max_shells: %d is negative", ft.MaxShells)
	}
	for op := range ft.SOAPFaults {
		if _, ok := soapOp(op); !ok {
			return winsim.Config{}, f.errorf(h, "faults.soap_faults: unknown operation %q (want Create, Command, Receive, Send, Signal or Delete)", op)
		}
	}
	if len(h.Setup) > 0 {
		twin := cfg
		twin.Faults = winsim.Faults{}
		sim, err := winsim.New(twin)
		if err != nil {
			return winsim.Config{}, f.errorf(h, "%v", err)
		}
		for k, line := range h.Setup {
			var out, errb bytes.Buffer
			if rc := sim.Exec(context.Background(), line, &out, &errb); rc != 0 {
				return winsim.Config{}, f.errorf(h, "setup[%d]: %q exited %d: %s", k, line, rc, strings.TrimSpace(out.String()+errb.String()))
			}
		}
		cfg.Rules = sim.Rules()
		cfg.Registry = sim.RegistryValues()
		// The twin's table already holds the built-in rules.
		cfg.BuiltinRules = false
	}
	return cfg, nil
}

func (r Rule) params() map[string]string {
	m := map[string]string{"name": r.Name}
	for k, v := range map[string]string{"dir": r.Dir, "action": r.Action, "enable": r.Enable, "profile": r.Profile,
		"protocol": r.Protocol, "localport": r.LocalPort, "remoteport": r.RemotePort, "localip": r.LocalIP,
		"remoteip": r.RemoteIP, "program": r.Program, "service": r.Service, "description": r.Description,
		"grouping": r.Grouping, "edge": r.Edge} {
		if v != "" {
			m[k] = v
		}
	}
	return m
}

func validStatus(s string) bool {
	for _, x := range Statuses {
		if s == x {
			return true
		}
	}
	return false
}

// Write writes the fleet as a fleet file.
func (f *Fleet) Write(w io.Writer) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return err
	}
	return enc.Close()
}

// soapOp maps a fleet file operation name to the server's Op.
func soapOp(name string) (winrmtest.Op, bool) {
	for _, op := range []winrmtest.Op{winrmtest.OpCreate, winrmtest.OpCommand, winrmtest.OpReceive, winrmtest.OpSend, winrmtest.OpSignal, winrmtest.OpDelete} {
		if strings.EqualFold(name, string(op)) {
			return op, true
		}
	}
	return "", false
}
