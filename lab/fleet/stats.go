package fleet

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/winfleet/winfleet/lab/winsim"
	"github.com/winfleet/winfleet/remote/winrmtest"
)

// HostStats are one host's counters since the lab started, counted by the
// emulator itself (the WinRM server and the simulated host), never by a
// client. README.md ("Counters") says exactly what each one counts.
type HostStats struct {
	// Name is the host name; empty for Stats.Total.
	Name string `json:"name,omitempty"`
	// Requests counts the HTTP requests the host received.
	Requests int64 `json:"requests"`
	// LogonsAccepted and LogonsRejected count logons (winrmtest.Stats):
	// one rejected logon per 401 answered to a request carrying
	// credentials, the NTLM challenge leg excepted. LogonsLockedOut counts
	// the rejected logons refused because the account was locked out
	// (ServeOptions.LockoutThreshold); they are part of LogonsRejected.
	LogonsAccepted  int64 `json:"logons_accepted"`
	LogonsRejected  int64 `json:"logons_rejected"`
	LogonsLockedOut int64 `json:"logons_locked_out"`
	// ShellsCreated, ShellsDeleted (by Delete or the idle timeout) and
	// ShellsOpen, their difference.
	ShellsCreated int64 `json:"shells_created"`
	ShellsDeleted int64 `json:"shells_deleted"`
	ShellsOpen    int64 `json:"shells_open"`
	// Commands counts the command lines run; CommandsAnswered those whose
	// final result (exit code) was sent in full.
	Commands         int64 `json:"commands"`
	CommandsAnswered int64 `json:"commands_answered"`
	// WriteCommands counts the command lines that reached a write program
	// (netsh add/set/delete/reset, reg add/delete, sc start/stop);
	// WritePrograms the write programs they reached, WritesApplied those
	// that changed the host's state, WritesAnswered the write lines whose
	// result was sent, WritesFaulted the write lines a write fault cut.
	WriteCommands  int64 `json:"write_commands"`
	WritePrograms  int64 `json:"write_programs"`
	WritesApplied  int64 `json:"writes_applied"`
	WritesAnswered int64 `json:"writes_answered"`
	WritesFaulted  int64 `json:"writes_faulted"`
	// Writes is the host's write log, in arrival order (the most recent
	// 10,000); nil in Stats.Total.
	Writes []winsim.WriteRecord `json:"writes,omitempty"`
}

// Stats are the counters of every host of a lab and their sum.
type Stats struct {
	// Hosts are in fleet order.
	Hosts []HostStats `json:"hosts"`
	// Total sums every counter over the hosts (it has no Name and no Writes).
	Total HostStats `json:"total"`
	// LockoutThreshold is ServeOptions.LockoutThreshold (0: no lockout
	// model); LockedAccounts the accounts locked out, sorted, as
	// "domain\user" in lower case.
	LockoutThreshold int      `json:"lockout_threshold,omitempty"`
	LockedAccounts   []string `json:"locked_accounts,omitempty"`
}

// Stats returns every host's counters. It is safe to call at any time, while
// clients run and after Close; each host's counters are read one after the
// other, not as one snapshot of the whole lab.
func (l *Lab) Stats() Stats {
	st := Stats{Hosts: make([]HostStats, len(l.hosts))}
	for i, h := range l.hosts {
		hs := HostStats{Name: h.Name, LogonsLockedOut: l.lockedOut[i].Load()}
		if h.Server != nil {
			s := h.Server.Stats()
			hs.Requests, hs.LogonsAccepted, hs.LogonsRejected = s.Requests, s.LogonsAccepted, s.LogonsRejected
			hs.ShellsCreated, hs.ShellsDeleted, hs.ShellsOpen = s.ShellsCreated, s.ShellsDeleted, s.ShellsOpen()
			hs.Commands, hs.CommandsAnswered = s.Commands, s.CommandsAnswered
		}
		if h.Sim != nil {
			w := h.Sim.WriteCounts()
			hs.WriteCommands, hs.WritePrograms, hs.WritesApplied, hs.WritesAnswered, hs.WritesFaulted = w.Commands, w.Programs, w.Applied, w.Answered, w.Faulted
			hs.Writes = h.Sim.WriteLog()
		}
		st.Hosts[i] = hs
		st.Total.add(hs)
	}
	if l.lockout != nil {
		st.LockoutThreshold = l.lockout.threshold
		st.LockedAccounts = l.lockout.lockedAccounts()
	}
	return st
}

func (t *HostStats) add(h HostStats) {
	t.Requests += h.Requests
	t.LogonsAccepted += h.LogonsAccepted
	t.LogonsRejected += h.LogonsRejected
	t.LogonsLockedOut += h.LogonsLockedOut
	t.ShellsCreated += h.ShellsCreated
	t.ShellsDeleted += h.ShellsDeleted
	t.ShellsOpen += h.ShellsOpen
	t.Commands += h.Commands
	t.CommandsAnswered += h.CommandsAnswered
	t.WriteCommands += h.WriteCommands
	t.WritePrograms += h.WritePrograms
	t.WritesApplied += h.WritesApplied
	t.WritesAnswered += h.WritesAnswered
	t.WritesFaulted += h.WritesFaulted
}

// WriteStats writes Stats as one indented JSON document (hosts in fleet
// order, each with its write log; the total; the locked accounts).
func (l *Lab) WriteStats(w io.Writer) error {
	b, err := json.MarshalIndent(l.Stats(), "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// Summary is a one-line account of the totals, for a person reading a
// terminal: logons, shells, commands, writes, and the locked accounts.
func (st Stats) Summary() string {
	t := st.Total
	var b strings.Builder
	fmt.Fprintf(&b, "%d hosts: logons %d rejected", len(st.Hosts), t.LogonsRejected)
	if st.LockoutThreshold > 0 {
		fmt.Fprintf(&b, " (%d locked out)", t.LogonsLockedOut)
	}
	fmt.Fprintf(&b, ", %d accepted; shells %d created, %d open; commands %d, %d answered; writes %d commands, %d applied, %d answered, %d cut by a fault",
		t.LogonsAccepted, t.ShellsCreated, t.ShellsOpen, t.Commands, t.CommandsAnswered,
		t.WriteCommands, t.WritesApplied, t.WritesAnswered, t.WritesFaulted)
	if len(st.LockedAccounts) > 0 {
		fmt.Fprintf(&b, "; locked out: %s", strings.Join(st.LockedAccounts, ", "))
	}
	return b.String()
}

// ErrAccountLockedOut is the reason (in the server's request log) for a
// logon refused because the lab's lockout model locked the account.
var ErrAccountLockedOut = errors.New("account locked out (lab lockout threshold reached)")

// A lockout is the lab-wide account lockout model: a domain controller's
// badPwdCount per account, without observation window or lockout duration
// (an account stays locked until the lab closes).
type lockout struct {
	threshold int

	mu     sync.Mutex
	bad    map[string]int  // account → rejected logons since the last success
	locked map[string]bool // accounts locked out
}

func newLockout(threshold int) *lockout {
	return &lockout{threshold: threshold, bad: map[string]int{}, locked: map[string]bool{}}
}

// failed records a wrong password or unknown user for acct.
func (p *lockout) failed(acct string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.locked[acct] {
		return
	}
	p.bad[acct]++
	if p.bad[acct] >= p.threshold {
		p.locked[acct] = true
	}
}

// admit reports whether acct may log on with verified credentials, and
// resets its count when it may.
func (p *lockout) admit(acct string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.locked[acct] {
		return false
	}
	delete(p.bad, acct)
	return true
}

func (p *lockout) lockedAccounts() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, 0, len(p.locked))
	for a := range p.locked {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// accountDomain is the lower-case authority of a host's accounts: its
// domain, or its computer name on a workgroup host (local accounts).
func accountDomain(cfg winsim.Config) string {
	if cfg.Domain != "" {
		return strings.ToLower(cfg.Domain)
	}
	return strings.ToLower(cfg.ComputerName)
}

// lockoutAuth puts one host's authentication schemes behind the lab's
// lockout model.
type lockoutAuth struct {
	policy  *lockout
	domain  string        // accountDomain of the host
	refused *atomic.Int64 // the host's LogonsLockedOut
}

func (a lockoutAuth) wrap(inner winrmtest.Authenticator) winrmtest.Authenticator {
	return lockoutScheme{lockoutAuth: a, inner: inner}
}

// account is the account a user name (as the client sent it, maybe with a
// domain the host ignores, as the server does) logs on to.
func (a lockoutAuth) account(user string) string {
	if i := strings.LastIndexByte(user, '\\'); i >= 0 {
		user = user[i+1:]
	}
	if i := strings.IndexByte(user, '@'); i >= 0 {
		user = user[:i]
	}
	return a.domain + `\` + strings.ToLower(user)
}

type lockoutScheme struct {
	lockoutAuth
	inner winrmtest.Authenticator
}

func (s lockoutScheme) Challenge() []string { return s.inner.Challenge() }

// Authenticate asks the wrapped scheme, counts its wrong passwords against
// the account, and refuses a verified logon of a locked account (clearing
// the connection's security context, so an NTLM handshake that just
// succeeded cannot be used).
func (s lockoutScheme) Authenticate(req *winrmtest.AuthRequest) (*winrmtest.AuthResult, error) {
	res, err := s.inner.Authenticate(req)
	if le := (*winrmtest.LogonError)(nil); errors.As(err, &le) {
		s.policy.failed(s.account(le.User))
		return res, err
	}
	// Only requests with credentials are logons; an NTLM challenge leg
	// (a 401 Reply) is not one yet.
	if err != nil || res == nil || res.User == "" || req.HTTP.Header.Get("Authorization") == "" ||
		(res.Reply != nil && res.Reply.Status == http.StatusUnauthorized) {
		return res, err
	}
	if !s.policy.admit(s.account(res.User)) {
		req.Conn.SetAuthState(nil)
		req.Conn.SetAuthenticated("")
		s.refused.Add(1)
		return nil, ErrAccountLockedOut
	}
	return res, nil
}
