// Package remote runs commands on Windows hosts over WinRM (WS-Management),
// with github.com/masterzen/winrm as the wire engine and everything around
// it made safe for a fleet: typed errors with operator hints, deadlines that
// hold against hosts that hang, prompt cancellation, no shell left behind,
// one shell per host reused for every command, batches of commands in one
// round trip, and output decoded to text.
//
// A Client serves one host:
//
//	c, err := remote.Dial(ctx, remote.Target{Host: "web01", HTTPS: true, User: "admin", Password: pw}, remote.Options{})
//	if err != nil { ... }            // *remote.Error: ErrConfig or ErrInsecure
//	defer c.Close(ctx)               // deletes the shell
//	code, err := c.Run(ctx, "netsh advfirewall show currentprofile", &out, &errOut)
//
// Errors that classify the host are *Error values matching one sentinel
// (ErrUnreachable, ErrAuth, ErrTLS, ErrTimeout, ErrFault, ErrProtocol,
// ErrInsecure, ErrConfig, ErrOutputTooLarge); remote/session turns them
// into report statuses and reason codes. README.md in this
// directory documents the errors and hints, the timeouts, the request count
// per command and per batch, the transports and their security rules, and
// the masterzen bugs this package works around.
package remote
