package progress

// ColorEnabled decides whether output may carry ANSI colours: only on a
// terminal (isTTY), never when the NO_COLOR environment variable is set to a
// non-empty value (https://no-color.org: "when present and not an empty
// string, prevents the addition of ANSI color"), and never when TERM is
// "dumb" (a terminal that cannot interpret escape sequences, such as Emacs'
// shell buffer). getenv is os.LookupEnv or a test's map lookup.
func ColorEnabled(isTTY bool, getenv func(string) (string, bool)) bool {
	if !isTTY {
		return false
	}
	if v, ok := getenv("NO_COLOR"); ok && v != "" {
		return false
	}
	if v, ok := getenv("TERM"); ok && v == "dumb" {
		return false
	}
	return true
}

// Enabled decides whether the live status line may be drawn: only on a
// terminal, and not when TERM is "dumb" (it cannot erase a line, so every
// redraw would stay on screen). NO_COLOR does not turn it off: it is about
// colour only. The CLI also turns it off for --no-progress and --quiet.
func Enabled(isTTY bool, getenv func(string) (string, bool)) bool {
	if !isTTY {
		return false
	}
	v, ok := getenv("TERM")
	return !ok || v != "dumb"
}
