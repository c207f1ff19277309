//go:build windows

package cli

import "os"

// statsSignals: Windows has no SIGUSR1; `winfleet lab` writes its
// counters on exit only.
func statsSignals() []os.Signal { return nil }
