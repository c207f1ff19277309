//go:build linux

package main

import "syscall"

// childAttr makes the child die with its supervisor: a `kill -9` of
// winfleet (the supervisor is the pid a user or a service manager sees)
// stops the run, as it would without supervision. Pdeathsig follows the
// thread that started the child, so supervise keeps that thread locked.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
