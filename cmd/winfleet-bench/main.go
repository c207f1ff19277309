//go:build linux

// Command winfleet-bench reproduces the performance table of issue 13: it
// serves a lab fleet with `winfleet lab` in its own process, scans its
// reachable hosts with `winfleet scan` as a child process, and prints per
// run the wall time against the ideal, the scan's CPU per host and maximum
// RSS, and the lab's CPU. It can also run a pywinrm thread-pool script on
// the same hosts for comparison. See remote/README.md, BENCHMARKS.
//
//	go run ./cmd/winfleet-bench                         # the default runs
//	go run ./cmd/winfleet-bench -runs basic:1000:200 -winfleet /tmp/winfleet-old
//
// The tests never need it. It is Linux only: it reads the lab's CPU from
// /proc and peak RSS from GNU time or rusage.
package main

import (
	"context"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
