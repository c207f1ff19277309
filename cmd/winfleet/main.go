// Command winfleet checks and converges the SSIS firewall rules of a fleet of
// Windows servers over WinRM. See the README for usage.
package main

import (
	"os"

	"github.com/winfleet/winfleet/cmd/winfleet/cli"
)

func main() {
	ctx, stop := signalContext()
	code := cli.Main(ctx, os.Args[1:], cli.OSStdio())
	stop()
	os.Exit(code)
}
