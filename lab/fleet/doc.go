// Package fleet describes, generates and serves fleets of simulated Windows
// SSIS hosts: the fleet file (Load, Parse), a seeded generator (Generate),
// the answers a correct `winfleet scan` must give (Answers, Expected,
// Compliance), and a lab serving every host on its own loopback address
// with a winrmtest server in front of a winsim host (Serve, Lab).
//
//	f := fleet.Generate(2000, 1)
//	lab, err := fleet.Serve(ctx, f, fleet.ServeOptions{Password: pw})
//	defer lab.Close()
//	lab.WriteInventory(w) // winfleet / Ansible YAML inventory
//	lab.WriteAnswers(w)   // {"sql0001.lab.example": "compliant", ...}
//	lab.WriteStats(w)     // per-host logons, shells, commands and write log
//
// The answers are derived from the fleet's ground truth (faults, SSIS
// installs and the rule table as data), never by parsing netsh output, and
// the package imports nothing of the product. The lab counts, per host,
// logons accepted and rejected, shells, commands and write commands itself
// (Stats), can cut write commands (write faults) and model a domain
// account lockout policy (ServeOptions.LockoutThreshold). README.md
// documents the file format, the generated mix, the answer rules, the
// addressing and exactly what each counter counts.
package fleet
