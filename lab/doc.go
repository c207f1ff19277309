// Package lab holds the simulated fleet: winsim, an independent model of a
// Windows host (cmd.exe, netsh, sc, reg), and fleet, which serves many of
// them over WS-Management on loopback through remote/winrmtest. Nothing in
// this tree may import the product's inventory, playbook, remote or reports
// packages (TestIndependentOfProduct): a model that shared the product's
// netsh code would agree with the product's bugs.
package lab
