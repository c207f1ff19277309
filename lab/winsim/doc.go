// Package winsim is a simulated Windows Server host for the WinRM emulator:
// a *Host implements winrmtest.Handler and answers command lines the way
// cmd.exe, netsh (legacy `netsh firewall` and `netsh advfirewall
// firewall`), sc, reg, net session, whoami, hostname, findstr and
// powershell -EncodedCommand do, byte for byte as reference/netsh.md
// documents (CRLF, trailing blanks, exit codes).
//
// Each host has a Windows version (2003 … 2025), SSIS installs, one
// firewall rule table shared by both netsh contexts, services, a registry
// and faults (not elevated, firewall service stopped, German output, an
// OEM code page, canned answers, latency, hang). State changes are atomic
// per host and any number of shells may run commands at once. Every
// received line and every program run is recorded (Commands, Log, Writes)
// so tests can assert what a client sent.
//
//	h := winsim.MustNew(winsim.Config{Version: winsim.Win2019, SSIS: []winsim.SSIS{{Version: 150}}})
//	srv := winrmtest.NewServer(h)
//
// The package is an independent model of Windows: it imports nothing of
// the product (playbook, remote, reports, inventory). Where the reference
// is silent, the choices are documented in README.md.
package winsim
