package winsim

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/winfleet/winfleet/remote/winrmtest"
)

// DefaultSQLRoot is where SQL Server installs unless told otherwise.
const DefaultSQLRoot = `C:\Program Files\Microsoft SQL Server`

// SSIS is one installed SQL Server Integration Services version.
type SSIS struct {
	// Version is the SQL Server directory number: 90, 100, 110, 120, 130,
	// 140, 150 or 160.
	Version int
	// Root is the SQL Server install root; "" means DefaultSQLRoot. An
	// install on another drive uses e.g. `D:\Program Files\Microsoft SQL Server`.
	Root string
	// Stopped makes the service STOPPED instead of RUNNING.
	Stopped bool
}

// ValidSSISVersion reports whether v is a known SSIS directory number.
func ValidSSISVersion(v int) bool {
	switch v {
	case 90, 100, 110, 120, 130, 140, 150, 160:
		return true
	}
	return false
}

func (s SSIS) root() string {
	if s.Root == "" {
		return DefaultSQLRoot
	}
	return strings.TrimRight(s.Root, `\`)
}

// ServiceName is the SSIS service name: MsDtsServer for 90, MsDtsServerNNN later.
func (s SSIS) ServiceName() string {
	if s.Version == 90 {
		return "MsDtsServer"
	}
	return fmt.Sprintf("MsDtsServer%d", s.Version)
}

// Program is the full path of MsDtsSrvr.exe.
func (s SSIS) Program() string {
	return fmt.Sprintf(`%s\%d\DTS\Binn\MsDtsSrvr.exe`, s.root(), s.Version)
}

// DisplayName is the service display name (netsh.md §6.1).
func (s SSIS) DisplayName() string {
	if s.Version == 90 {
		return "SQL Server Integration Services"
	}
	return fmt.Sprintf("SQL Server Integration Services %d.0", s.Version/10)
}

func (s SSIS) service() Service {
	start := `NT Service\` + s.ServiceName()
	if s.Version <= 100 {
		start = `NT AUTHORITY\NetworkService`
	}
	st := "RUNNING"
	if s.Stopped {
		st = "STOPPED"
	}
	return Service{
		Name:        s.ServiceName(),
		DisplayName: s.DisplayName(),
		BinaryPath:  `"` + s.Program() + `"`,
		StartName:   start,
		StartType:   "AUTO_START",
		State:       st,
	}
}

// A Service is one entry of the service control manager.
type Service struct {
	Name        string
	DisplayName string
	// BinaryPath is BINARY_PATH_NAME as sc qc prints it (quoted if it has spaces).
	BinaryPath string
	StartName  string // SERVICE_START_NAME, e.g. LocalSystem
	// StartType is AUTO_START, DEMAND_START or DISABLED ("" means AUTO_START).
	StartType string
	// State is RUNNING, STOPPED, START_PENDING, STOP_PENDING or PAUSED ("" means RUNNING).
	State string
	// Shared makes the type WIN32_SHARE_PROCESS (20) instead of WIN32_OWN_PROCESS (10).
	Shared bool
	// NeverStarted makes a stopped service report WIN32_EXIT_CODE 1077.
	NeverStarted bool
	Dependencies []string
}

// A RegValue is one registry value. Key is a full path with a root such as
// HKLM or HKEY_LOCAL_MACHINE. Type is REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ,
// REG_DWORD, REG_QWORD or REG_BINARY; Data holds one string, several for
// REG_MULTI_SZ, a decimal or 0x number for DWORD/QWORD, hex for BINARY. A
// RegValue with an empty Name and Type only creates the key.
type RegValue struct {
	Key  string
	Name string
	Type string
	Data []string
}

// Canned is a scripted answer: when Match matches a command line, the host
// prints Stdout and Stderr (bytes as given) and exits with Exit instead of
// running it. Matching is tried on the whole received line first, then on
// every simple command (after expansion) as it is about to run.
type Canned struct {
	Match  string
	Stdout string
	Stderr string
	Exit   int
}

// Faults are host-level misbehaviours.
type Faults struct {
	// NotElevated runs every command as a non-administrator: netsh
	// add/set/delete (advfirewall and legacy) print the elevation error and
	// exit 1, reg writes to HKLM are denied, `net session` fails.
	NotElevated bool
	// FirewallStopped stops the firewall service: every netsh firewall and
	// advfirewall command prints the "An error occurred while attempting to
	// contact the  Windows Firewall service" text and exits 1.
	FirewallStopped bool
	// Language is "" / "en-US" or "de-DE" (German advfirewall output).
	Language string
	// OEMCodePage, when 437 or 850, makes every program emit its text in that
	// code page instead of UTF-8 (the WINRS_CODEPAGE=65001 request is ignored).
	OEMCodePage int
	// Canned answers, tried in order.
	Canned []Canned
	// Latency delays every command line before it runs.
	Latency time.Duration
	// Hang makes every command line block until its context is done.
	Hang bool
	// Write fails write commands (see WriteFault, WriteFaultMode).
	Write WriteFault
}

// Config describes a simulated host.
type Config struct {
	// ComputerName is the NetBIOS name (%COMPUTERNAME%), e.g. SQL001.
	ComputerName string
	// Domain is the NetBIOS domain name; "" means a workgroup host.
	Domain  string
	Version Version
	// CurrentProfile is the active firewall profile; 0 means Domain for a
	// domain-joined host and Private otherwise.
	CurrentProfile Profiles
	SSIS           []SSIS
	// Rules is the initial firewall rule table.
	Rules []Rule
	// Services are added to the built-in Windows services and SSIS services.
	Services []Service
	// Registry holds initial registry values.
	Registry []RegValue
	// User is the account commands run as (whoami); "" means Administrator.
	User string
	// Files are paths (besides the SSIS binaries and Windows' own) that exist,
	// for legacy `add allowedprogram` which refuses missing programs.
	Files []string
	// BuiltinRules starts the rule table with a sample of the rules Windows
	// ships with (WinRM, Remote Desktop, COM+, Core Networking, ...; see
	// builtin.go). Ignored on 2003 (no advfirewall).
	BuiltinRules bool
	// FirewallOff lists the profiles whose firewall is turned off (State
	// OFF in advfirewall, Operational mode Disable in legacy netsh).
	FirewallOff Profiles
	// LogLimit bounds the command log (Commands, Log) to the most recent
	// lines and program runs; 0 means 10,000 each. Writes counts all.
	LogLimit int
	// ScTrailingBlanks makes sc print the trailing blanks some builds print
	// after WIN32_OWN_PROCESS and RUNNING.
	ScTrailingBlanks bool
	Faults           Faults
	// Renders, if not nil, shares the listings this host prints with the
	// other hosts using the same pool (see RenderPool).
	Renders *RenderPool
}

// A Host is a simulated Windows host. It implements winrmtest.Handler. All
// methods are safe for concurrent use; each state change is atomic.
type Host struct {
	cfg    Config
	canned []cannedRE
	lang   *catalog

	envOnce sync.Once
	env     env // startEnv: shared, never changed

	mu       sync.Mutex
	rules    []Rule
	services []Service
	reg      *registry
	files    map[string]bool
	lines    []string
	log      []Invocation
	writes   int
	fwOff    Profiles
	state    uint64      // changes of rules, services, profiles, registry (changed)
	renders  renderCache // listings printed at state (render.go)

	wlog   []*WriteRecord // write command lines (WriteLog)
	wcount WriteCounts    // Applied is writes
	wfault WriteFault     // Faults.Write, SetWriteFault
	wfSeen int            // write lines since wfault was set
}

type cannedRE struct {
	re *regexp.Regexp
	c  Canned
}

// An Invocation is one program run by the host's cmd.exe: netsh, sc, reg,
// echo... Write says whether it changed state (a successful netsh
// add/set/delete, a reg add/delete that succeeded).
type Invocation struct {
	Line    string // the command as run, after expansion
	Program string // lower-case program name, e.g. "netsh"
	Write   bool
	Exit    int
}

// New builds a host from cfg. It returns an error for an invalid version,
// SSIS version, rule, registry value or canned expression.
func New(cfg Config) (*Host, error) {
	if !cfg.Version.Valid() {
		return nil, fmt.Errorf("host %q: invalid windows version %d", cfg.ComputerName, int(cfg.Version))
	}
	if cfg.ComputerName == "" {
		cfg.ComputerName = "WIN-SIM"
	}
	if cfg.User == "" {
		cfg.User = "Administrator"
	}
	if cfg.CurrentProfile == 0 {
		cfg.CurrentProfile = Private
		if cfg.Domain != "" {
			cfg.CurrentProfile = Domain
		}
	}
	if !cfg.Faults.Write.Mode.Valid() {
		return nil, fmt.Errorf("host %q: unknown write fault %q (want %s, %s or %s)", cfg.ComputerName, cfg.Faults.Write.Mode, DropBeforeWrite, DropAfterWrite, HangOnWrite)
	}
	if cfg.Faults.Write.After < 0 {
		return nil, fmt.Errorf("host %q: write fault after %d write commands: negative", cfg.ComputerName, cfg.Faults.Write.After)
	}
	h := &Host{cfg: cfg, reg: newRegistry(), files: map[string]bool{}, fwOff: cfg.FirewallOff, wfault: cfg.Faults.Write}
	lang, err := languageFor(cfg.Faults.Language)
	if err != nil {
		return nil, fmt.Errorf("host %q: %w", cfg.ComputerName, err)
	}
	h.lang = lang
	switch cfg.Faults.OEMCodePage {
	case 0, 437, 850, 65001:
	default:
		return nil, fmt.Errorf("host %q: unsupported code page %d (want 437, 850 or 65001)", cfg.ComputerName, cfg.Faults.OEMCodePage)
	}
	for i, c := range cfg.Faults.Canned {
		re, err := regexp.Compile(c.Match)
		if err != nil {
			return nil, fmt.Errorf("host %q: canned response %d: %w", cfg.ComputerName, i+1, err)
		}
		h.canned = append(h.canned, cannedRE{re, c})
	}
	for _, s := range cfg.SSIS {
		if !ValidSSISVersion(s.Version) {
			return nil, fmt.Errorf("host %q: invalid ssis version %d (want 90, 100, 110, 120, 130, 140, 150 or 160)", cfg.ComputerName, s.Version)
		}
		h.files[strings.ToLower(s.Program())] = true
	}
	for _, f := range cfg.Files {
		h.files[strings.ToLower(f)] = true
	}
	// %SystemRoot%\system32 (expandEnv would build the whole environment
	// for each: half the cost of New, which a lab calls per host).
	for _, f := range []string{"svchost.exe", "lsass.exe", "notepad.exe"} {
		h.files[strings.ToLower(h.systemRoot()+`\system32\`+f)] = true
	}
	h.services = h.builtinServices()
	for _, s := range cfg.SSIS {
		h.services = append(h.services, s.service())
	}
	h.services = append(h.services, cfg.Services...)
	for i := range h.services {
		if h.services[i].StartType == "" {
			h.services[i].StartType = "AUTO_START"
		}
		if h.services[i].State == "" {
			h.services[i].State = "RUNNING"
		}
	}
	if cfg.Faults.FirewallStopped {
		for i := range h.services {
			if h.services[i].Name == h.firewallServiceName() {
				h.services[i].State = "STOPPED"
				h.services[i].StartType = "DISABLED"
			}
		}
	}
	if cfg.BuiltinRules && cfg.Version.HasAdvfirewall() {
		h.rules = builtinRules(cfg.Version)
	}
	for i, r := range cfg.Rules {
		if r.Name == "" {
			return nil, fmt.Errorf("host %q: rule %d has no name", cfg.ComputerName, i+1)
		}
		r.normalize()
		h.rules = append(h.rules, r)
	}
	for _, v := range cfg.Registry {
		// The Services keys show h.services (regsearch.go); only the key
		// itself may be named, as RegistryValues of an older host did.
		if root, parts, ok := splitKey(v.Key); ok && svcRel(root, parts) > 0 && (len(parts) > 3 || v.Name != "" || v.Type != "") {
			return nil, fmt.Errorf("host %q: registry %s: the Services key is read-only, it shows the services (use Config.Services)", cfg.ComputerName, v.Key)
		}
		if err := h.reg.set(v); err != nil {
			return nil, fmt.Errorf("host %q: registry %s: %w", cfg.ComputerName, v.Key, err)
		}
	}
	return h, nil
}

// MustNew is New for tests and fixed configurations; it panics on error.
func MustNew(cfg Config) *Host {
	h, err := New(cfg)
	if err != nil {
		panic(err)
	}
	return h
}

// Config returns the configuration the host was built from.
func (h *Host) Config() Config { return h.cfg }

// Rules returns a copy of the current firewall rule table.
func (h *Host) Rules() []Rule {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Rule, len(h.rules))
	for i, r := range h.rules {
		r.LocalIP = append([]string(nil), r.LocalIP...)
		r.RemoteIP = append([]string(nil), r.RemoteIP...)
		r.ICMP = append([]string(nil), r.ICMP...)
		out[i] = r
	}
	return out
}

// Commands returns the command lines the host received, in order (the
// most recent Config.LogLimit of them).
func (h *Host) Commands() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.lines...)
}

// Log returns the programs the host ran, in order (the most recent
// Config.LogLimit of them).
func (h *Host) Log() []Invocation {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Invocation(nil), h.log...)
}

// Writes counts the state-changing program runs since the host started.
func (h *Host) Writes() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.writes
}

// ResetLog empties the command log, the write log and the write counts,
// e.g. between the steps of a test.
func (h *Host) ResetLog() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lines, h.log, h.writes = nil, nil, 0
	h.wlog, h.wcount = nil, WriteCounts{}
}

func (h *Host) logLimit() int {
	if h.cfg.LogLimit > 0 {
		return h.cfg.LogLimit
	}
	return 10000
}

// trim keeps the newest limit entries of s, dropping the oldest ones in
// batches so that appends stay amortised O(1).
func trim[T any](s []T, limit int) []T {
	if len(s) <= limit+limit/4 {
		return s
	}
	return append(s[:0:0], s[len(s)-limit:]...)
}

// FirewallOff returns the profiles whose firewall is off now.
func (h *Host) FirewallOff() Profiles {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.fwOff
}

// RegistryValue returns a registry value (name "" for the default value),
// as reg query sees it: a service's values under the Services key too.
func (h *Host) RegistryValue(key, name string) (RegValue, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.regLookup(key).copyValue(key, name)
}

// RegistryValues returns every registry value (and every key that has
// none, as a RegValue without Name and Type), depth first. The Services
// keys are left out: they show the services (Config.Services), and
// Config.Registry cannot set them.
func (h *Host) RegistryValues() []RegValue {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []RegValue
	var walk func(k *regKey, path string)
	walk = func(k *regKey, path string) {
		if h.reg.isServicesKey(k) {
			return
		}
		if len(k.values) == 0 && len(k.subkeys) == 0 {
			out = append(out, RegValue{Key: path})
		}
		for _, v := range k.values {
			v.Key = path
			v.Data = append([]string(nil), v.Data...)
			out = append(out, v)
		}
		for _, c := range k.subkeys {
			walk(c, path+`\`+c.name)
		}
	}
	for _, root := range []string{"HKEY_LOCAL_MACHINE", "HKEY_CURRENT_USER", "HKEY_USERS", "HKEY_CLASSES_ROOT", "HKEY_CURRENT_CONFIG"} {
		for _, c := range h.reg.roots[root].subkeys {
			walk(c, root+`\`+c.name)
		}
	}
	return out
}

// Run implements winrmtest.Handler: it runs cmd.Line (with cmd.Args appended,
// as WinRS joins them) the way `cmd.exe /c` would.
func (h *Host) Run(ctx context.Context, cmd *winrmtest.Command) int {
	line := cmd.Line
	if len(cmd.Args) > 0 {
		line += " " + strings.Join(cmd.Args, " ")
	}
	return h.exec(ctx, line, cmd, cmd.Shell, cmd.Stdin, cmd.Stdout, cmd.Stderr)
}

// Exec runs one command line as Run does, without a WinRM shell. A write
// fault cuts the line as under Run; HangOnWrite then blocks until ctx is
// done.
func (h *Host) Exec(ctx context.Context, line string, stdout, stderr io.Writer) int {
	return h.exec(ctx, line, nil, winrmtest.ShellInfo{}, nil, stdout, stderr)
}

func (h *Host) exec(ctx context.Context, line string, cmd *winrmtest.Command, shell winrmtest.ShellInfo, stdin io.Reader, stdout, stderr io.Writer) int {
	received := time.Now()
	h.mu.Lock()
	h.lines = trim(append(h.lines, line), h.logLimit())
	h.mu.Unlock()
	if d := h.cfg.Faults.Latency; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return 1
		case <-t.C:
		}
	}
	if h.cfg.Faults.Hang {
		<-ctx.Done()
		return 1
	}
	if c, ok := h.cannedFor(line); ok {
		return h.writeCanned(c, stdout, stderr)
	}
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	ls := &lineState{h: h, cmd: cmd, line: line, received: received}
	p := h.newProc(ctx, shell, false, false)
	p.line = ls
	rc := p.runCmdLine(line, streams{in: stdin, out: stdout, err: stderr})
	return ls.finish(ctx, rc)
}

func (h *Host) cannedFor(line string) (Canned, bool) {
	for _, c := range h.canned {
		if c.re.MatchString(line) {
			return c.c, true
		}
	}
	return Canned{}, false
}

func (h *Host) writeCanned(c Canned, stdout, stderr io.Writer) int {
	if c.Stdout != "" {
		_, _ = io.WriteString(stdout, c.Stdout)
	}
	if c.Stderr != "" {
		_, _ = io.WriteString(stderr, c.Stderr)
	}
	return c.Exit
}

func (h *Host) record(inv Invocation) {
	h.mu.Lock()
	h.log = trim(append(h.log, inv), h.logLimit())
	if inv.Write {
		h.writes++
	}
	h.mu.Unlock()
}
