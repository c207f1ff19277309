//go:build !windows

package cli

import (
	"os"
	"syscall"
)

// statsSignals are the signals that ask `winfleet lab` for its counters.
func statsSignals() []os.Signal { return []os.Signal{syscall.SIGUSR1} }
