package playbook

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// DefaultAuthFailLimit is how many hosts may refuse a shared credential
// before the others stop trying it (Options.AuthFailLimit).
const DefaultAuthFailLimit = 3

// lockoutGuard keeps a wrong shared password from locking its account out.
// Hosts with the same Target.Credential log on with one account: while no
// host has accepted that credential, at most limit logons with it are in
// flight or refused, so at most limit hosts ever receive a rejected logon
// for it, whatever --forks is; once limit hosts refused it, the rest are
// skipped without trying. Once a host accepted it the password is known to
// be right, and the others go ahead freely: a host that still refuses it
// does so for its own reasons (a local account, Basic disabled), which
// cost the account nothing elsewhere. Hosts with no Credential, or their
// own, are judged alone.
type lockoutGuard struct {
	limit int
	mu    sync.Mutex
	creds map[string]*credState
}

type credState struct {
	accepted bool
	inFlight int      // unproven logons on their way
	refused  []string // hosts that refused the credential
	changed  chan struct{}
}

func newLockoutGuard(limit int) *lockoutGuard {
	if limit <= 0 {
		limit = DefaultAuthFailLimit
	}
	return &lockoutGuard{limit: limit, creds: map[string]*credState{}}
}

// logonOutcome is what a host's first round trip said about its logon.
type logonOutcome int

const (
	logonUnknown  logonOutcome = iota // no logon was judged (unreachable, timeout, never connected)
	logonAccepted                     // the host answered: the credential works there
	logonRefused                      // the host refused it (auth_failed)
)

// A logonTicket is one host's permission to log on with its credential.
// The host reports the outcome of its first round trip with done; done is
// idempotent, and a nil ticket (no shared credential) ignores it.
type logonTicket struct {
	g      *lockoutGuard
	cred   string
	host   string
	once   sync.Once
	counts bool // the logon counted in inFlight
}

// errLockoutGuard is the reason a host is skipped to protect an account.
type errLockoutGuard struct {
	cred    string
	refused []string
	limit   int
}

func (e *errLockoutGuard) Error() string {
	hosts := e.refused
	more := ""
	if len(hosts) > 5 {
		hosts, more = hosts[:5], fmt.Sprintf(" and %d more", len(e.refused)-5)
	}
	return fmt.Sprintf("not attempted: the shared credential %s was refused by %d hosts (%s%s); trying it on more hosts could lock the account out, so fix it first (lockout guard, --auth-fail-limit %d)",
		e.cred, len(e.refused), strings.Join(hosts, ", "), more, e.limit)
}

// admit waits until t may log on with its credential and returns its
// ticket, or the reason it must not try (the credential was refused by
// limit hosts), or ctx's error when the run is cancelled while it waits.
func (g *lockoutGuard) admit(ctx context.Context, t Target) (*logonTicket, error) {
	if g == nil || t.Credential == "" {
		return nil, nil
	}
	for {
		g.mu.Lock()
		// Checked under the lock: a host that sees a state changed after
		// the run was cancelled (a logon accepted once the cancel let it
		// finish) also sees the cancellation.
		if err := ctx.Err(); err != nil {
			g.mu.Unlock()
			return nil, err
		}
		st := g.creds[t.Credential]
		if st == nil {
			st = &credState{changed: make(chan struct{})}
			g.creds[t.Credential] = st
		}
		switch {
		case st.accepted:
			g.mu.Unlock()
			return &logonTicket{g: g, cred: t.Credential, host: t.Name}, nil
		case len(st.refused) >= g.limit:
			err := &errLockoutGuard{cred: t.Credential, refused: append([]string(nil), st.refused...), limit: g.limit}
			g.mu.Unlock()
			return nil, err
		case st.inFlight+len(st.refused) < g.limit:
			st.inFlight++
			g.mu.Unlock()
			return &logonTicket{g: g, cred: t.Credential, host: t.Name, counts: true}, nil
		}
		wait := st.changed
		g.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// done reports the host's logon outcome and frees its place.
func (tk *logonTicket) done(o logonOutcome) {
	if tk == nil {
		return
	}
	tk.once.Do(func() {
		g := tk.g
		g.mu.Lock()
		defer g.mu.Unlock()
		st := g.creds[tk.cred]
		if tk.counts {
			st.inFlight--
		}
		switch o {
		case logonAccepted:
			st.accepted = true
		case logonRefused:
			st.refused = append(st.refused, tk.host)
		}
		close(st.changed)
		st.changed = make(chan struct{})
	})
}
