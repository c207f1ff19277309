// Package playbook holds winfleet's desired state and its executor.
//
// A Playbook (YAML: Load, Parse, Builtin, Resolve) names firewall rules,
// the DCOM port range and services, with {{ var }} templates resolved per
// host from the inventory. Run reads every targeted host over one Session
// (a shell) in as few round trips as the known vars allow, compares what it
// finds with the playbook, and in apply mode sends the minimal commands to
// converge it and reads it again to verify: changed only if the re-read is
// compliant. Run bounds concurrency (Options.Forks), gives each host a
// budget (Options.HostTimeout), rolls out in batches (Options.Serial,
// Options.MaxFailPercent), stops cleanly on cancellation (Options.Grace) and
// reports progress as Events; every target gets a status. Plan renders,
// offline, the commands apply would send.
//
// The netsh, sc and reg command lines, their parsers and the rule
// comparison live in the playbook/netsh package; this package decides what
// to read and write, when, and on how many hosts at once. It does not
// import the WinRM client: it declares the Session and Dialer it needs, and
// the CLI adapts *remote.Client to them.
//
// README.md in this directory documents the format, the built-in
// ssis-firewall playbook, dialect choice, SSIS discovery, the rule for
// several SSIS versions on one host, round trips, executor semantics and
// statuses.
package playbook
