// Command winfleet checks and converges the SSIS firewall rules of a fleet of
// Windows servers over WinRM. See the README for usage.
package main

import (
	"os"

	"github.com/winfleet/winfleet/cmd/winfleet/cli"
)

func main() { os.Exit(run()) }

// run is winfleet: under a supervisor (see supervise), or, in the
// supervised child and where supervision is not available, the CLI itself.
func run() int {
	if os.Getenv(supervisedEnv) == "" {
		if code := supervise(os.Args[1:]); code >= 0 {
			return code
		}
	}
	ctx, stop := signalContext()
	code := cli.Main(ctx, os.Args[1:], cli.OSStdio())
	stop()
	reportCode(code)
	return code
}
