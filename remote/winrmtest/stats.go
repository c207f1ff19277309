package winrmtest

import "sync/atomic"

// Stats are a Server's counters since Start, as (*Server).Stats returns
// them. They only grow (ResetLog does not touch them) and cost one atomic
// add each on the request path.
//
// A request "carries credentials" when it has an Authorization header (Basic,
// Negotiate/NTLM, the client-certificate mutual header); a request on an
// established NTLM security context (an encrypted message) carries none.
type Stats struct {
	// Requests counts the HTTP requests received, whatever their outcome
	// (injected latency and NoAnswer included; RefuseConnections lets none in).
	Requests int64
	// LogonsAccepted counts requests that carry credentials and whose
	// credentials an Authenticator accepted: every Basic request with a right
	// user and password (Basic authenticates each request), every NTLM
	// AUTHENTICATE message that verifies (one per handshake), every request
	// with the mutual header and a mapped client certificate.
	LogonsAccepted int64
	// LogonsRejected counts the 401 answers to requests that carry
	// credentials, except the 401 that carries an NTLM challenge (the middle
	// leg of a handshake, answered to the NEGOTIATE message): a wrong password
	// or unknown user (Basic, or the NTLM AUTHENTICATE message), credentials
	// no enabled scheme takes (Basic on an NTLM-only server), credentials
	// refused by policy (Basic over HTTP with AllowUnencrypted=false, a
	// wrapping Authenticator's refusal such as a locked account), malformed
	// tokens, Faults.Unauthorized, and the 401 of Faults.UnauthorizedOn
	// (whose logon was counted as accepted first). A 401 to a request without
	// credentials (the anonymous first request of a Negotiate client, the
	// empty-body probe of an encrypting one) is not a rejected logon. So one
	// failed attempt of masterzen's Basic or ClientNTLM transport is exactly
	// one rejected logon.
	LogonsRejected int64
	// ShellsCreated counts successful Create requests; ShellsDeleted the
	// shells removed by Delete or by the idle timeout. Their difference is
	// the number of shells open (Close leaves shells as they are).
	ShellsCreated int64
	ShellsDeleted int64
	// Commands counts the Command requests that started Handler.Run.
	Commands int64
	// CommandsAnswered counts the commands whose final state (CommandState
	// Done with the exit code) was written to a connection in full, once per
	// command (see Command.OnAnswered).
	CommandsAnswered int64
}

// ShellsOpen is ShellsCreated - ShellsDeleted.
func (st Stats) ShellsOpen() int64 { return st.ShellsCreated - st.ShellsDeleted }

type serverStats struct {
	requests, logonsAccepted, logonsRejected atomic.Int64
	shellsCreated, shellsDeleted             atomic.Int64
	commands, commandsAnswered               atomic.Int64
}

// Stats returns the server's counters. It is cheap and safe to call at any
// time, also after Close.
func (s *Server) Stats() Stats {
	st := &s.stats
	return Stats{
		Requests:         st.requests.Load(),
		LogonsAccepted:   st.logonsAccepted.Load(),
		LogonsRejected:   st.logonsRejected.Load(),
		ShellsCreated:    st.shellsCreated.Load(),
		ShellsDeleted:    st.shellsDeleted.Load(),
		Commands:         st.commands.Load(),
		CommandsAnswered: st.commandsAnswered.Load(),
	}
}
