// Package netsh renders the command lines winfleet sends to a Windows host
// (netsh firewall, netsh advfirewall firewall, sc, reg, ver, net session),
// parses what those commands print, and compares the observed firewall state
// with the desired state.
//
// The package is pure: it performs no I/O and never runs anything. The caller
// (package playbook) runs the rendered commands through its own runner and
// hands the captured output back as an [Output].
//
// Parsers recognise the en-US output documented in the project's
// reference/netsh.md. Output they do not recognise (another language, an
// unknown layout, a truncated capture) is reported as *[UnrecognizedError],
// never turned into a guessed verdict. Two well-known failures are reported
// as typed errors: [ErrNotElevated] and [ErrFirewallStopped], each wrapped in
// an *[OutputError] that keeps the raw text.
//
// Every value that reaches a command line is validated and quoted by the
// render functions; a value that could inject a command is refused with
// *[UnsafeValueError].
//
// The choices made where the reference is silent (profiles, the block-rule
// scan, tolerant parsing, quoting) are listed in README.md in this directory.
package netsh
