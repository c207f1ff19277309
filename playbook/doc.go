// Package playbook holds winfleet's desired state and its executor.
//
// A Playbook (YAML, see README.md) names firewall rules, registry values and
// services; Run reads every targeted host over a Session, compares what it
// finds with the playbook, and in apply mode sends the minimal commands to
// converge it and reads it again to verify. Plan renders, offline, the
// commands apply would send. The netsh, sc and reg command lines and their
// parsers live in the playbook/netsh package; this package decides what to
// read and write, when, and on how many hosts at once.
//
// The package does not import the WinRM client: it declares the Session and
// Dialer it needs, and the CLI adapts *remote.Client to them.
package playbook
