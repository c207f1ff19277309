package netsh

import "errors"

var errNotYet = errors.New("netsh: not implemented yet")

// ReadCommand returns the command that reads the state of want's rule:
// legacy "netsh firewall show portopening|allowedprogram verbose=ENABLE";
// advfirewall "netsh advfirewall firewall show rule name="NAME" verbose", or
// with opts.BlockScan "netsh advfirewall firewall show rule name=all dir=in
// verbose". Parse its output with ParseShow.
func ReadCommand(want Desired, opts Options) (string, error) { return "", errNotYet }

// AddCommand returns the command that creates want's rule in opts.Dialect.
func AddCommand(want Desired, opts Options) (string, error) { return "", errNotYet }

// DeleteCommand returns the command that deletes the rules matching want's
// name and definition (protocol+port or program) in opts.Dialect.
func DeleteCommand(want Desired, opts Options) (string, error) { return "", errNotYet }

// ParseShow parses the output of ReadCommand in dialect d.
func ParseShow(d Dialect, o Output) ([]Rule, error) { return nil, errNotYet }

// ParseAdvfirewall parses "netsh advfirewall firewall show rule ..." output
// (verbose or not). "No rules match the specified criteria." gives an empty
// list and no error.
func ParseAdvfirewall(o Output) ([]Rule, error) { return nil, errNotYet }

// ParseLegacy parses "netsh firewall show portopening|allowedprogram
// [verbose=ENABLE]" output, Vista+ and pre-Vista layouts. Entries repeated in
// several profile sections are merged into one Rule listing the profiles.
func ParseLegacy(o Output) ([]Rule, error) { return nil, errNotYet }

// Change is the recognised result of an add/set/delete command.
type Change struct {
	// Count is the number of rules deleted or updated as netsh reported it
	// ("Deleted 2 rule(s)."), 0 for "No rules match the specified
	// criteria.", -1 when the output does not say (add, legacy, reg add).
	Count int
	// AlreadyExists is true for the legacy "The object already exists.".
	AlreadyExists bool
}

// ParseChange parses the output of an add/set/delete command (netsh either
// dialect, reg add/delete). A recognised failure is an *OutputError wrapping
// ErrNotElevated, ErrFirewallStopped, ErrInvalidParameter or
// ErrCommandNotFound; anything else unknown is an *UnrecognizedError.
func ParseChange(o Output) (Change, error) { return Change{}, errNotYet }

// Evaluate compares the observed rules (as parsed from ReadCommand's output)
// with want and returns the verdict and the commands that converge the host
// in opts.Dialect. It returns an error only when it cannot judge (the scope
// was not shown) or a value is unsafe to render (*UnsafeValueError).
func Evaluate(want Desired, rules []Rule, opts Options) (Result, error) {
	return Result{}, errNotYet
}

// Decode turns raw command output into a string: UTF-8 when it is valid
// UTF-8, else the OEM code page 437/850 that console programs use on en-US
// and western hosts.
func Decode(b []byte) string { return string(b) }
