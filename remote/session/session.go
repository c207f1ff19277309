// Package session adapts remote's WinRM client to the playbook's Session
// and Dialer. It is the one place where both vocabularies are visible, so
// it is where transport errors are classified into the report's host
// statuses and reason codes; remote itself knows nothing of reports, and
// the playbook nothing of WinRM.
package session

import (
	"context"
	"errors"
	"fmt"

	"github.com/winfleet/winfleet/playbook"
	"github.com/winfleet/winfleet/remote"
)

// Conn is one host's resolved connection: what remote.Dial needs.
type Conn struct {
	Target  remote.Target
	Options remote.Options
}

// Dialer opens WinRM sessions by host name. It is filled before the run
// starts and only read afterwards, so it is safe for concurrent use.
type Dialer map[string]Conn

// Dial opens a client for t. Errors are classified (see Classify).
func (d Dialer) Dial(ctx context.Context, t playbook.Target) (playbook.Session, error) {
	hc, ok := d[t.Name]
	if !ok {
		return nil, fmt.Errorf("host %s: not in the resolved inventory", t.Name)
	}
	c, err := remote.Dial(ctx, hc.Target, hc.Options)
	if err != nil {
		return nil, Classify(err)
	}
	return Session{c}, nil
}

// Session adapts *remote.Client to playbook.Session.
type Session struct{ c *remote.Client }

// New adapts c.
func New(c *remote.Client) Session { return Session{c} }

// RunBatch runs cmds in one round trip (see remote.Client.RunBatch). On
// error the outputs of the commands answered before it are returned too.
func (s Session) RunBatch(ctx context.Context, cmds []string) ([]playbook.Output, error) {
	res, err := s.c.RunBatch(ctx, cmds)
	out := make([]playbook.Output, len(res))
	for i, r := range res {
		out[i] = playbook.Output{Stdout: r.Stdout, Stderr: r.Stderr, ExitCode: r.ExitCode}
	}
	return out, Classify(err)
}

// Close deletes the shell.
func (s Session) Close(ctx context.Context) error { return s.c.Close(ctx) }

// OnLogon implements playbook.LogonNotifier: f is called when the host
// first accepts the credential (its first shell is created).
func (s Session) OnLogon(f func()) { s.c.OnLogon(f) }

// Classify wraps a *remote.Error in a *playbook.TransportError carrying the
// host status and reason code it means; the remote error stays in the
// chain, so errors.Is(err, remote.ErrAuth) still holds after the run. Other
// errors (a cancelled context, nil) are returned unchanged: the executor
// decides what a cancellation means.
//
//	remote kind      status        code
//	ErrAuth          auth_failed   auth_failed
//	ErrUnreachable   unreachable   unreachable (a connect timeout too)
//	ErrTimeout       timeout       timeout
//	ErrTLS           error         tls
//	ErrFault         error         quota for the quota faults, else fault
//	ErrProtocol      error         protocol
//	ErrInsecure      error         insecure_refused
//	ErrConfig        error         config
//	ErrOutputTooLarge error        output_too_large (evidence: its excerpt)
func Classify(err error) error {
	var re *remote.Error
	if err == nil || !errors.As(err, &re) {
		return err
	}
	st, code := playbook.StatusError, playbook.CodeProtocol
	switch re.Kind {
	case remote.ErrAuth:
		st, code = playbook.StatusAuthFailed, playbook.CodeAuthFailed
	case remote.ErrUnreachable:
		st, code = playbook.StatusUnreachable, playbook.CodeUnreachable
	case remote.ErrTimeout:
		st, code = playbook.StatusTimeout, playbook.CodeTimeout
	case remote.ErrTLS:
		code = playbook.CodeTLS
	case remote.ErrFault:
		code = playbook.CodeFault
		var f *remote.FaultError
		if errors.As(err, &f) {
			switch f.Code {
			case remote.CodeShellQuota, remote.CodeOperationsQuota, remote.CodeUsersQuota:
				code = playbook.CodeQuota
			}
		}
	case remote.ErrInsecure:
		code = playbook.CodeInsecureRefused
	case remote.ErrConfig:
		code = playbook.CodeConfig
	case remote.ErrOutputTooLarge:
		code = playbook.CodeOutputTooLarge
		var tl *remote.OutputTooLargeError
		if errors.As(err, &tl) {
			return &playbook.TransportError{Status: st, Code: code, Err: err, Evidence: tl.Excerpt()}
		}
	}
	return &playbook.TransportError{Status: st, Code: code, Err: err}
}
