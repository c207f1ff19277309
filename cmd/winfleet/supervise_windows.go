//go:build windows

package main

// supervise is not available on Windows (a child cannot inherit the pipe
// its result goes through); winfleet runs unsupervised there.
func supervise([]string) int { return -1 }

// reportCode: there is no supervisor on Windows.
func reportCode(int) {}

// supervisedEnv marks the process that does the work, under a supervisor.
const supervisedEnv = "WINFLEET_SUPERVISED"
