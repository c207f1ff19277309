// Package inventory loads the hosts winfleet works on: Ansible inventories
// (INI and YAML/JSON, with group_vars/ and host_vars/), and CSV exports. It
// resolves each host's variables with Ansible's precedence, turns them into
// WinRM connection settings (Conn), selects hosts with Ansible's --limit
// pattern language (Select), and prints the resolved inventory (WriteList,
// WriteGraph).
//
// Loading mirrors ansible-core's ini and yaml inventory plugins and its
// VariableManager; testdata/corpus holds inventories shaped like Ansible's
// documentation examples together with what ansible-inventory printed for
// them, and the tests compare every host, group and variable. README.md
// documents the rules, the choices made where Ansible and winfleet differ,
// and what is not supported.
//
// An Inventory is not changed after Load returns: its methods and its
// hosts' methods are safe for concurrent use.
//
// Every error about an input names its file and line (*Error) or, for a
// pattern, its offset (*PatternError). Warnings are returned as data, never
// logged. The package reads no environment variable: Conn takes a lookup
// function.
package inventory
