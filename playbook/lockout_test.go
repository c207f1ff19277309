package playbook

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// authHost answers every first round trip with a 401 when its password is
// wrong, counting the logons it rejected, as a Windows host would.
type authFleet struct {
	good     map[string]bool // hosts whose logon succeeds
	rejected atomic.Int64
	attempts atomic.Int64
	release  chan struct{} // when not nil, first round trips wait for it
	arrived  chan string   // when not nil, gets each host whose logon arrived
}

func (f *authFleet) dialer() Dialer {
	return dialFunc(func(_ context.Context, t Target) (Session, error) {
		m := newMiniHost()
		inner := m.session()
		first := true
		return fakeSession{
			run: func(ctx context.Context, cmds []string) ([]Output, error) {
				if first {
					first = false
					f.attempts.Add(1)
					if f.arrived != nil {
						f.arrived <- t.Name
					}
					if f.release != nil {
						select {
						case <-f.release:
						case <-ctx.Done():
							return nil, ctx.Err()
						}
					}
					if !f.good[t.Name] {
						f.rejected.Add(1)
						return nil, &TransportError{Status: StatusAuthFailed, Code: CodeAuthFailed, Err: errors.New("401")}
					}
				}
				return inner.RunBatch(ctx, cmds)
			},
			close: inner.Close,
		}, nil
	})
}

func sharedTargets(n int, cred func(i int) string) []Target {
	ts := make([]Target, n)
	for i := range ts {
		ts[i] = Target{Name: fmt.Sprintf("sql%03d", i), Credential: cred(i)}
	}
	return ts
}

// TestLockoutGuardWrongSharedPassword: 200 hosts, one wrong shared
// password, 200 forks: at most 3 hosts ever receive a rejected logon; the
// others are skipped with a reason naming the credential and the hosts
// that refused it, never the secret.
func TestLockoutGuardWrongSharedPassword(t *testing.T) {
	f := &authFleet{good: map[string]bool{}}
	ts := sharedTargets(200, func(int) string { return `CORP\svc with WINFLEET_PASSWORD` })
	rs := Run(t.Context(), builtin(t), ts, f.dialer(), Options{Forks: 200})
	if n := f.rejected.Load(); n > 3 || n == 0 {
		t.Fatalf("%d rejected logons, want 1 to 3", n)
	}
	counts := map[Status]int{}
	for _, r := range rs {
		counts[r.Status]++
		if r.Status == StatusSkipped {
			if r.Code != CodeLockoutGuard || !strings.Contains(r.Reason, `CORP\svc with WINFLEET_PASSWORD`) || !strings.Contains(r.Reason, "--auth-fail-limit 3") {
				t.Fatalf("%s: code %s reason %q, want lockout_guard naming the credential", r.Host, r.Code, r.Reason)
			}
		}
	}
	if counts[StatusAuthFailed] != int(f.rejected.Load()) || counts[StatusSkipped] != 200-counts[StatusAuthFailed] {
		t.Errorf("statuses %v, want %d auth_failed and the rest skipped", counts, f.rejected.Load())
	}
}

// TestLockoutGuardProvenCredential: once a host accepted the shared
// credential, every host uses it, concurrently.
func TestLockoutGuardProvenCredential(t *testing.T) {
	f := &authFleet{good: map[string]bool{}}
	ts := sharedTargets(50, func(int) string { return "u with --ask-pass" })
	for _, tg := range ts {
		f.good[tg.Name] = true
	}
	rs := Run(t.Context(), builtin(t), ts, f.dialer(), Options{Forks: 50})
	for _, r := range rs {
		if r.Status == StatusSkipped || r.Status == StatusAuthFailed {
			t.Fatalf("%s: %s (%s), want every host to log on", r.Host, r.Status, r.Reason)
		}
	}
	if f.attempts.Load() != 50 {
		t.Errorf("%d logons, want 50", f.attempts.Load())
	}
}

// TestLockoutGuardOwnPasswords: hosts with their own password are judged
// alone: each one's refusal stops nobody else.
func TestLockoutGuardOwnPasswords(t *testing.T) {
	f := &authFleet{good: map[string]bool{}}
	ts := sharedTargets(20, func(i int) string { return fmt.Sprintf("u with ansible_password (hosts.ini:%d)", i+1) })
	rs := Run(t.Context(), builtin(t), ts, f.dialer(), Options{Forks: 20})
	for _, r := range rs {
		if r.Status != StatusAuthFailed {
			t.Fatalf("%s: %s, want auth_failed (its own password, tried once)", r.Host, r.Status)
		}
	}
}

// TestLockoutGuardLimitsLogonsInFlight: while a shared credential is not
// proven, no more than the limit of logons with it are in flight; a host
// waiting for its turn does not spend its budget and is cancelled cleanly.
func TestLockoutGuardLimitsLogonsInFlight(t *testing.T) {
	f := &authFleet{good: map[string]bool{}, release: make(chan struct{}), arrived: make(chan string, 30)}
	ts := sharedTargets(30, func(int) string { return "u with WINFLEET_PASSWORD" })
	for _, tg := range ts {
		f.good[tg.Name] = true
	}
	ctx, cancel := context.WithCancel(t.Context())
	var rs []HostResult
	done := make(chan struct{})
	go func() {
		defer close(done)
		rs = Run(ctx, builtin(t), ts, f.dialer(), Options{Forks: 30, AuthFailLimit: 2})
	}()
	// Two logons go out and are held; the 28 others wait for the
	// credential to be proven, which cannot happen while those two are
	// held. Cancel while they wait: none of them ever logs on.
	<-f.arrived
	<-f.arrived
	cancel()
	close(f.release)
	<-done
	cancelled := 0
	for _, r := range rs {
		if r.Status == StatusCancelled {
			cancelled++
		}
	}
	if f.attempts.Load() != 2 || cancelled < 28 {
		for _, r := range rs {
			t.Logf("%s: %s %s", r.Host, r.Status, r.Reason)
		}
		t.Errorf("after cancel: %d logons, %d cancelled; want 2 and at least 28", f.attempts.Load(), cancelled)
	}
}

// TestLockoutGuardAcceptedThenRefused: a credential a host accepted is
// right; hosts that still refuse it (a local account, Basic disabled) stop
// nobody.
func TestLockoutGuardAcceptedThenRefused(t *testing.T) {
	f := &authFleet{good: map[string]bool{"sql000": true}}
	ts := sharedTargets(10, func(int) string { return "u with WINFLEET_PASSWORD" })
	rs := Run(t.Context(), builtin(t), ts, f.dialer(), Options{Forks: 1})
	for _, r := range rs[1:] {
		if r.Status != StatusAuthFailed {
			t.Errorf("%s: %s, want auth_failed: the credential was proven on sql000", r.Host, r.Status)
		}
	}
}

// notifyingSession is a session that tells its logon as soon as its first
// batch starts (a shell was created), like remote's.
type notifyingSession struct {
	fakeSession
	onLogon func()
}

func (s *notifyingSession) OnLogon(f func()) { s.onLogon = f }

// TestLockoutGuardProvenAtLogon: a session that reports its logon lets the
// other hosts of the credential start while its first batch is still
// running (here: never answers until released), instead of holding the
// fleet to --auth-fail-limit hosts until a first batch ends, as it did when
// every first batch ended in an error unrelated to the password (a host
// printing more than --max-output).
func TestLockoutGuardProvenAtLogon(t *testing.T) {
	const n = 20
	release, arrived := make(chan struct{}), make(chan string, n)
	d := dialFunc(func(_ context.Context, tg Target) (Session, error) {
		s := &notifyingSession{}
		s.run = func(ctx context.Context, cmds []string) ([]Output, error) {
			if s.onLogon != nil {
				s.onLogon()
			}
			arrived <- tg.Name
			select {
			case <-release:
			case <-ctx.Done():
			}
			return nil, &TransportError{Status: StatusError, Code: CodeOutputTooLarge, Err: errors.New("output too large")}
		}
		s.close = func(context.Context) error { return nil }
		return s, nil
	})
	ts := sharedTargets(n, func(int) string { return `CORP\svc with WINFLEET_PASSWORD` })
	done := make(chan []HostResult)
	go func() { done <- Run(t.Context(), builtin(t), ts, d, Options{Forks: n}) }()
	for i := range n {
		select {
		case <-arrived:
		case <-time.After(time.Minute): // a deadlock guard, not a timing assertion
			t.Fatalf("only %d of %d hosts started while the first batches ran: the logon did not prove the credential", i, n)
		}
	}
	close(release)
	for _, r := range <-done {
		if r.Code != CodeOutputTooLarge {
			t.Errorf("%s: %s %s (%s), want error output_too_large", r.Host, r.Status, r.Code, r.Reason)
		}
	}
}
