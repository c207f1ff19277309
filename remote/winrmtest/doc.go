// Package winrmtest is a WinRM (WS-Management) server emulator for tests,
// shaped like net/http/httptest: NewServer starts a loopback listener
// speaking the Windows Remote Shell protocol as Windows does (see
// reference/winrm.md), URL says where it is, Close stops it.
//
// The server does the protocol: authentication, shells, commands, the
// long-polled Receive with its TimedOut fault, stdin, signals, quotas and
// Windows' fault codes. What a command prints is decided by a Handler, the
// simulated Windows host (package winsim is the full one; tests use small
// HandlerFuncs).
//
//	srv := winrmtest.NewServer(winrmtest.HandlerFunc(func(ctx context.Context, c *winrmtest.Command) int {
//		fmt.Fprintf(c.Stdout, "hello\r\n")
//		return 0
//	}))
//	defer srv.Close()
//	// dial srv.Host():srv.Port() as user DefaultUser, password DefaultPassword
//
// Every request is recorded (Log) with its operation, shell, command and TCP
// connection, so tests can assert exact sequences, connection reuse and
// request counts. Faults (latency, refused connections, hangs, dropped
// connections, 401s, slow or huge output, chosen SOAP faults) are injected
// per server with WithFaults or SetFaults.
//
// Authentication goes through Authenticator; BasicAuth is built in and
// connection-bound schemes (NTLM with message encryption) plug in with
// WithAuthenticator. WithClientCertAuth authenticates TLS client
// certificates mapped to users (CA.IssueClient makes them). See README.md for the choices made where the protocol
// documents are silent and for what the pinned masterzen/winrm client
// returns for each server behaviour.
package winrmtest
