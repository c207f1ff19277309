package netsh

// ScListCommand enumerates every service with its display name; used to
// discover MsDtsServer* services. Parse with ParseScList.
const ScListCommand = "sc query type= service state= all"

// ServiceStatus is the parsed output of "sc query NAME".
type ServiceStatus struct {
	Name string
	// Installed is false when sc reported FAILED 1060.
	Installed bool
	// State is the numeric state (1 STOPPED, 2 START_PENDING, 3
	// STOP_PENDING, 4 RUNNING, 7 PAUSED) and StateName its name.
	State     int
	StateName string
}

// Running reports whether the service is installed and RUNNING.
func (s ServiceStatus) Running() bool { return s.Installed && s.State == 4 }

// ServiceConfig is the parsed output of "sc qc NAME".
type ServiceConfig struct {
	Name string
	// Installed is false when sc reported FAILED 1060.
	Installed   bool
	DisplayName string
	// BinaryPath is BINARY_PATH_NAME as printed; Executable is the program
	// path in it, unquoted and without arguments.
	BinaryPath string
	Executable string
	// StartType is the name, e.g. "AUTO_START", "DEMAND_START", "DISABLED".
	StartType string
}

// ServiceEntry is one service of ScListCommand's output.
type ServiceEntry struct {
	Name, DisplayName string
}

// ScQueryCommand returns "sc query NAME". The name is validated.
func ScQueryCommand(service string) (string, error) { return "", errNotYet }

// ScQcCommand returns "sc qc NAME". The name is validated.
func ScQcCommand(service string) (string, error) { return "", errNotYet }

// ParseScQuery parses "sc query NAME". FAILED 1060 gives Installed=false and
// no error; "Access is denied." is an *OutputError wrapping ErrNotElevated.
func ParseScQuery(o Output) (ServiceStatus, error) { return ServiceStatus{}, errNotYet }

// ParseScQc parses "sc qc NAME". FAILED 1060 gives Installed=false and no
// error.
func ParseScQc(o Output) (ServiceConfig, error) { return ServiceConfig{}, errNotYet }

// ParseScList parses ScListCommand's output.
func ParseScList(o Output) ([]ServiceEntry, error) { return nil, errNotYet }

// EvaluateService judges "the service is running". The check only reads: its
// Commands are always empty.
func EvaluateService(st ServiceStatus) Result { return Result{} }

// SSISVersion describes one SQL Server version's Integration Services.
type SSISVersion struct {
	// Year is the SQL Server version, e.g. "2016".
	Year string
	// Dir is the version directory under "Microsoft SQL Server", e.g. "130".
	Dir string
	// Service is the service name, e.g. "MsDtsServer130".
	Service string
	// DisplayName is the service display name.
	DisplayName string
}

// SSISVersions lists the known versions, 2005 (90) to 2022 (160).
func SSISVersions() []SSISVersion { return nil }

// LookupSSIS finds a version by year ("2016"), major ("13"), directory
// ("130") or service name ("MsDtsServer130", case-insensitive).
func LookupSSIS(s string) (SSISVersion, bool) { return SSISVersion{}, false }

// ProgramPath returns root + `\` + Dir + `\DTS\Binn\MsDtsSrvr.exe`. An empty
// root means `%ProgramFiles%\Microsoft SQL Server`.
func (v SSISVersion) ProgramPath(root string) string { return "" }
