package cli

import (
	"strings"

	"github.com/winfleet/winfleet/inventory"
)

// redactArgs returns the command line with secrets masked, for reports:
// every -e/--extra-vars value goes through inventory.RedactExtraVars
// (secret-named keys lose their values). winfleet has no flag that takes a
// password, so nothing else on its command line is secret.
func redactArgs(args []string) []string {
	out := make([]string, len(args))
	extra := false
	for i, a := range args {
		switch {
		case extra:
			out[i] = inventory.RedactExtraVars(a)
			extra = false
		case a == "-e" || a == "--extra-vars":
			out[i], extra = a, true
		case strings.HasPrefix(a, "--extra-vars="):
			out[i] = "--extra-vars=" + inventory.RedactExtraVars(strings.TrimPrefix(a, "--extra-vars="))
		case strings.HasPrefix(a, "-e") && len(a) > 2:
			out[i] = "-e" + inventory.RedactExtraVars(strings.TrimPrefix(strings.TrimPrefix(a, "-e"), "="))
		default:
			out[i] = a
		}
	}
	return out
}
