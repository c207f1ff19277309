//go:build !linux && !windows

package main

import "syscall"

// childAttr: no parent-death signal outside Linux; a child whose
// supervisor is killed with SIGKILL runs to its end.
func childAttr() *syscall.SysProcAttr { return nil }
