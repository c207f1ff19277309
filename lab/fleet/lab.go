package fleet

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.yaml.in/yaml/v3"
	"golang.org/x/sync/errgroup"

	"github.com/winfleet/winfleet/lab/winsim"
	"github.com/winfleet/winfleet/remote/winrmtest"
)

// DefaultPasswordEnv is the variable the inventory names for the password.
const DefaultPasswordEnv = "WINFLEET_PASSWORD"

// ServeOptions configure Serve.
type ServeOptions struct {
	// Latency is added before every WinRM request of every host (on top of
	// a host's own faults.latency).
	Latency time.Duration
	// Password is the password every host accepts for its user (hosts with
	// bad_password accept another one). "" makes Serve generate one; see
	// (*Lab).Password. The CLI passes $WINFLEET_PASSWORD here.
	Password string
	// PasswordEnv is the variable name written to the inventory
	// (password_env); default WINFLEET_PASSWORD.
	PasswordEnv string
	// FirstAddr is the loopback address of the first host; host i listens
	// on FirstAddr+i. Default 127.0.0.2 (127.0.0.2 … 127.0.7.209 for 2,000
	// hosts; Linux routes all of 127/8 to lo).
	FirstAddr netip.Addr
	// Port is the port every host listens on (e.g. 5985). 0 (the default)
	// lets the system pick a free port per host, so that labs and tests can
	// run side by side.
	Port int
	// CAFile is the path the inventory gives https hosts as
	// ansible_winrm_ca_trust_path, so that clients verify the hosts'
	// certificates; the caller writes (*Lab).CACertPEM there. Empty: the
	// inventory sets ansible_winrm_server_cert_validation: ignore.
	CAFile string
	// WriteFault is the write fault of every host whose fleet entry sets
	// none (drop_before_write, drop_after_write, hang_on_write,
	// write_faults_after). The zero value injects nothing.
	WriteFault winsim.WriteFault
	// LockoutThreshold models a domain account lockout policy across the
	// whole lab: after that many rejected logons for a wrong password or
	// unknown user of one account, every further logon of that account is
	// rejected, right password or not, until the lab closes. An account is
	// the host's domain (or, on a workgroup host, its computer name) and
	// the user name. A successful logon resets the account's count, as
	// Active Directory does. 0 (the default) turns the model off.
	LockoutThreshold int
}

// labLogLimit bounds each host's request log (Server.Log): a lab may serve
// thousands of hosts for as long as it runs, and a scan takes about ten
// requests per host.
const labLogLimit = 1000

// A Lab is a served fleet.
type Lab struct {
	hosts       []LabHost
	answers     map[string]string
	password    string
	generated   bool
	passwordEnv string
	ca          *winrmtest.CA
	caFile      string

	// lockout is the account lockout model (nil when off); lockedOut
	// counts, per host in fleet order, the logons it refused.
	lockout   *lockout
	lockedOut []atomic.Int64

	closeOnce sync.Once
}

// A LabHost is one served host.
type LabHost struct {
	Name      string
	Address   string // loopback IP, e.g. 127.0.0.2
	Port      int
	URL       string // http://127.0.0.2:5985 (no /wsman)
	User      string
	Transport string // basic or ntlm
	Scheme    string // http or https
	Windows   winsim.Version
	// Sim is the simulated host: its rules, command log, writes.
	Sim *winsim.Host
	// Server is the host's WinRM endpoint.
	Server *winrmtest.Server
	// Label is the generator's label, if any.
	Label string
}

// Serve starts one WinRM server per host on its own loopback address and
// returns when all of them listen. ctx only bounds the start; Close stops
// the lab.
func Serve(ctx context.Context, f *Fleet, opts ServeOptions) (*Lab, error) {
	cfgs, err := f.configs()
	if err != nil {
		return nil, err
	}
	// Generated hosts print the same listings in a few dozen variants:
	// one copy each for the whole lab.
	renders := winsim.NewRenderPool()
	for i := range cfgs {
		cfgs[i].Renders = renders
	}
	l := &Lab{password: opts.Password, passwordEnv: opts.PasswordEnv, caFile: opts.CAFile}
	if l.passwordEnv == "" {
		l.passwordEnv = DefaultPasswordEnv
	}
	if l.password == "" {
		b := make([]byte, 18)
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("generate password: %w", err)
		}
		l.password, l.generated = base64.RawURLEncoding.EncodeToString(b), true
	}
	if !opts.WriteFault.Mode.Valid() || opts.WriteFault.After < 0 {
		return nil, fmt.Errorf("write fault %q after %d write commands: want %s, %s or %s and a count of 0 or more",
			opts.WriteFault.Mode, opts.WriteFault.After, winsim.DropBeforeWrite, winsim.DropAfterWrite, winsim.HangOnWrite)
	}
	if opts.LockoutThreshold < 0 {
		return nil, fmt.Errorf("lockout threshold %d: must not be negative", opts.LockoutThreshold)
	}
	if opts.LockoutThreshold > 0 {
		l.lockout = newLockout(opts.LockoutThreshold)
	}
	l.lockedOut = make([]atomic.Int64, len(f.Hosts))
	first := opts.FirstAddr
	if !first.IsValid() {
		first = netip.MustParseAddr("127.0.0.2")
	}
	if !first.IsLoopback() {
		return nil, fmt.Errorf("first address %s is not a loopback address", first)
	}
	addrs := make([]netip.Addr, len(f.Hosts))
	a := first
	for i := range addrs {
		if !a.IsValid() || !a.IsLoopback() {
			return nil, fmt.Errorf("%d hosts do not fit in loopback addresses from %s", len(f.Hosts), first)
		}
		addrs[i] = a
		a = a.Next()
	}
	for i := range f.Hosts {
		if f.scheme(&f.Hosts[i]) == "https" {
			ca, err := winrmtest.NewCA()
			if err != nil {
				return nil, fmt.Errorf("lab ca: %w", err)
			}
			l.ca = ca
			break
		}
	}
	// As f.Answers, from the configurations built above.
	l.answers = make(map[string]string, len(f.Hosts))
	for i := range f.Hosts {
		l.answers[f.Hosts[i].Name] = Expected(&f.Hosts[i], cfgs[i])
	}
	l.hosts = make([]LabHost, len(f.Hosts))
	var g errgroup.Group
	g.SetLimit(4 * runtime.GOMAXPROCS(0))
	for i := range f.Hosts {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			lh, err := l.start(f, i, cfgs[i], addrs[i], opts)
			if err != nil {
				return err
			}
			l.hosts[i] = lh
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

func (l *Lab) start(f *Fleet, i int, cfg winsim.Config, addr netip.Addr, opts ServeOptions) (LabHost, error) {
	h := &f.Hosts[i]
	if cfg.Faults.Write.Mode == "" {
		cfg.Faults.Write = opts.WriteFault
	}
	sim, err := winsim.New(cfg)
	if err != nil {
		return LabHost{}, f.errorf(h, "%v", err)
	}
	user := f.user(h)
	pw := l.password
	if h.Faults.BadPassword {
		pw = "stale-" + l.password
	}
	ft := winrmtest.Faults{
		Latency:           opts.Latency + time.Duration(h.Faults.Latency),
		RefuseConnections: h.Faults.Unreachable,
		NoAnswer:          h.Faults.Hang,
		DropReceive:       h.Faults.DropReceive,
		HangReceive:       h.Faults.HangReceive,
		HugeOutput:        int(h.Faults.HugeOutput),
	}
	for name, code := range h.Faults.SOAPFaults {
		op, _ := soapOp(name)
		if ft.FaultOn == nil {
			ft.FaultOn = map[winrmtest.Op]uint32{}
		}
		ft.FaultOn[op] = code
	}
	maxShells := winrmtest.DefaultMaxShellsPerUser
	if h.Faults.MaxShells > 0 {
		maxShells = h.Faults.MaxShells
	}
	so := []winrmtest.Option{
		winrmtest.WithAddr(netip.AddrPortFrom(addr, uint16(opts.Port)).String()),
		winrmtest.WithLogLimit(labLogLimit),
		winrmtest.WithUsers(map[string]string{user: pw}),
		winrmtest.WithFaults(ft),
		winrmtest.WithMaxShellsPerUser(maxShells),
	}
	if h.Faults.AccessDenied {
		so = append(so, winrmtest.WithRestrictedUsers(user))
	}
	transport, scheme := f.transport(h), f.scheme(h)
	switch {
	case l.lockout != nil:
		// Every scheme goes through the lab's lockout policy.
		acct := lockoutAuth{policy: l.lockout, domain: accountDomain(cfg), refused: &l.lockedOut[i]}
		if transport == "ntlm" {
			so = append(so, winrmtest.WithAuthenticator(acct.wrap(&winrmtest.NTLM{})))
		} else {
			so = append(so, winrmtest.WithAuthenticator(acct.wrap(winrmtest.BasicAuth{})))
		}
		so = append(so, winrmtest.WithBasicAuth(false))
	case transport == "ntlm":
		so = append(so, winrmtest.WithNTLM(), winrmtest.WithBasicAuth(false))
	}
	if h.AllowUnencrypted != nil {
		so = append(so, winrmtest.WithAllowUnencrypted(*h.AllowUnencrypted))
	}
	if scheme == "https" {
		so = append(so, winrmtest.WithCA(l.ca), winrmtest.WithCertHosts(addr.String(), h.Name))
	}
	srv, err := winrmtest.Start(sim, so...)
	if err != nil {
		return LabHost{}, f.errorf(h, "serve: %v", err)
	}
	return LabHost{Name: h.Name, Address: srv.Host(), Port: srv.Port(), URL: srv.URL, User: user,
		Transport: transport, Scheme: scheme, Windows: cfg.Version, Sim: sim, Server: srv, Label: h.Label}, nil
}

// Close stops every host. It is safe to call more than once.
func (l *Lab) Close() {
	l.closeOnce.Do(func() {
		var wg sync.WaitGroup
		for i := range l.hosts {
			if s := l.hosts[i].Server; s != nil {
				wg.Add(1)
				go func() { defer wg.Done(); s.Close() }()
			}
		}
		wg.Wait()
	})
}

// Hosts returns the served hosts in fleet order.
func (l *Lab) Hosts() []LabHost { return append([]LabHost(nil), l.hosts...) }

// Host returns the served host of that name.
func (l *Lab) Host(name string) (LabHost, bool) {
	for _, h := range l.hosts {
		if h.Name == name {
			return h, true
		}
	}
	return LabHost{}, false
}

// Password returns the password the hosts accept and whether Serve
// generated it (the CLI then prints it once; it is never logged).
func (l *Lab) Password() (password string, generated bool) { return l.password, l.generated }

// PasswordEnv is the environment variable the inventory names.
func (l *Lab) PasswordEnv() string { return l.passwordEnv }

// CACertPEM returns the CA certificate of the https hosts (nil if none).
func (l *Lab) CACertPEM() []byte {
	if l.ca == nil {
		return nil
	}
	return l.ca.CertPEM()
}

// Answers returns the status a correct scan must report per host.
func (l *Lab) Answers() map[string]string {
	out := make(map[string]string, len(l.answers))
	for k, v := range l.answers {
		out[k] = v
	}
	return out
}

// WriteAnswers writes Answers as a JSON object (keys sorted).
func (l *Lab) WriteAnswers(w io.Writer) error {
	b, err := json.MarshalIndent(l.answers, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// WriteInventory writes an Ansible-style YAML inventory of the lab: every
// host under all.hosts with ansible_host, ansible_port, ansible_user,
// password_env (never the password), ansible_winrm_scheme and
// ansible_winrm_transport; basic-over-http hosts also get
// ansible_winrm_message_encryption: never (the explicit acceptance of clear
// text) and https hosts ansible_winrm_ca_trust_path (ServeOptions.CAFile)
// or, without a CA file, ansible_winrm_server_cert_validation: ignore (the
// lab CA is generated at start). One group per Windows version
// (windows_2019 …) is listed under all.children.
func (l *Lab) WriteInventory(w io.Writer) error {
	str := func(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v} }
	quoted := func(v string) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Value: v, Style: yaml.DoubleQuotedStyle}
	}
	mapping := func(kv ...*yaml.Node) *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Content: kv} }
	hosts := mapping()
	groups := map[string][]string{}
	for _, h := range l.hosts {
		vars := mapping(
			str("ansible_host"), str(h.Address),
			str("ansible_port"), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(h.Port)},
			str("ansible_user"), quoted(h.User),
			str("password_env"), str(l.passwordEnv),
			str("ansible_winrm_scheme"), str(h.Scheme),
			str("ansible_winrm_transport"), str(h.Transport),
		)
		switch {
		case h.Scheme == "https" && l.caFile != "":
			vars.Content = append(vars.Content, str("ansible_winrm_ca_trust_path"), str(l.caFile))
		case h.Scheme == "https":
			vars.Content = append(vars.Content, str("ansible_winrm_server_cert_validation"), str("ignore"))
		case h.Transport == "basic":
			// Basic over plain HTTP is clear text; the lab's hosts allow it
			// (AllowUnencrypted=true) and the inventory says so explicitly.
			vars.Content = append(vars.Content, str("ansible_winrm_message_encryption"), str("never"))
		}
		hosts.Content = append(hosts.Content, str(h.Name), vars)
		g := "windows_" + h.Windows.Key()
		groups[g] = append(groups[g], h.Name)
	}
	names := make([]string, 0, len(groups))
	for g := range groups {
		names = append(names, g)
	}
	sort.Strings(names)
	children := mapping()
	for _, g := range names {
		members := mapping()
		for _, n := range groups[g] {
			members.Content = append(members.Content, str(n), mapping())
		}
		children.Content = append(children.Content, str(g), mapping(str("hosts"), members))
	}
	doc := &yaml.Node{Kind: yaml.DocumentNode, HeadComment: fmt.Sprintf(
		"winfleet lab inventory: %d emulated hosts on loopback.\nThe password is read from $%s; it is not in this file.", len(l.hosts), l.passwordEnv),
		Content: []*yaml.Node{mapping(str("all"), mapping(str("hosts"), hosts, str("children"), children))}}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return err
	}
	return enc.Close()
}
