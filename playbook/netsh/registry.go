package netsh

// RPCInternetKey is the registry key of the DCOM/RPC dynamic port range
// (KB154596).
const RPCInternetKey = `HKLM\SOFTWARE\Microsoft\Rpc\Internet`

// RegValue is one value line of reg query.
type RegValue struct {
	Name, Type, Data string
}

// RegKey is the parsed output of "reg query KEY".
type RegKey struct {
	// Path is the key as reg printed it (root expanded).
	Path string
	// Exists is false when reg reported that the key does not exist.
	Exists bool
	Values []RegValue
}

// Value returns the value called name (case-insensitive).
func (k RegKey) Value(name string) (RegValue, bool) { return RegValue{}, false }

// RegQueryCommand returns `reg query "KEY"`. The key is validated.
func RegQueryCommand(key string) (string, error) { return "", errNotYet }

// RegAddCommand returns `reg add "KEY" /v NAME /t TYPE /d DATA /f`. Data of a
// REG_MULTI_SZ joins its strings with `\0`.
func RegAddCommand(key, name, typ, data string) (string, error) { return "", errNotYet }

// ParseRegQuery parses reg query output. The missing-key message (stderr,
// exit 1) gives Exists=false and no error.
func ParseRegQuery(o Output) (RegKey, error) { return RegKey{}, errNotYet }

// DCOMPorts is the desired DCOM port range configuration: Ports as
// REG_MULTI_SZ, PortsInternetAvailable=Y and UseInternetPorts=Y.
type DCOMPorts struct {
	Ports []PortRange
	// State absent removes the three values.
	State State
}

// EvaluateDCOM compares the RPC\Internet key with want and returns the
// reg add (or reg delete) commands that converge it. Windows applies the
// change only after a restart; the verdict is about the registry.
func EvaluateDCOM(want DCOMPorts, key RegKey) (Result, error) { return Result{}, errNotYet }

// NetSessionCommand tells whether the session is elevated: exit 0 when it
// is, exit 2 with "Access is denied." when it is not.
const NetSessionCommand = "net session"

// ParseNetSession returns whether the session is elevated.
func ParseNetSession(o Output) (bool, error) { return false, errNotYet }
