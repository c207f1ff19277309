package netsh

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// RPCInternetKey is the registry key of the DCOM/RPC dynamic port range
// (KB154596). It does not exist by default.
const RPCInternetKey = `HKLM\SOFTWARE\Microsoft\Rpc\Internet`

// RegValue is one registry value. Data is as reg query prints it: REG_DWORD
// as 0x..., REG_MULTI_SZ with its strings joined by the two characters `\0`.
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
func (k RegKey) Value(name string) (RegValue, bool) {
	for _, v := range k.Values {
		if strings.EqualFold(v.Name, name) {
			return v, true
		}
	}
	return RegValue{}, false
}

var regKeyRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(HKLM|HKCU|HKCR|HKU|HKCC|HKEY_LOCAL_MACHINE|HKEY_CURRENT_USER|HKEY_CLASSES_ROOT|HKEY_USERS|HKEY_CURRENT_CONFIG)(\\[A-Za-z0-9 _.(){}$#@+-]+)+$`)
})

var regNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9 _.(){}$#@+-]{1,255}$`) })

// regTypes are the value types RegAddCommand accepts.
var regTypes = []string{"REG_SZ", "REG_EXPAND_SZ", "REG_MULTI_SZ", "REG_DWORD", "REG_QWORD"}

func checkRegKey(key string) error {
	if !regKeyRE().MatchString(key) || strings.Contains(key, `\\`) {
		return &UnsafeValueError{Field: "registry key", Value: key, Reason: `want ROOT\path with letters, digits, blanks and _ . ( ) { } $ # @ + -`}
	}
	return nil
}

func checkRegName(name string) error {
	if !regNameRE().MatchString(name) {
		return &UnsafeValueError{Field: "registry value name", Value: name, Reason: "want letters, digits, blanks and _ . ( ) { } $ # @ + -"}
	}
	return nil
}

// RegQueryCommand returns `reg query "KEY"`. The key is validated.
func RegQueryCommand(key string) (string, error) {
	if err := checkRegKey(key); err != nil {
		return "", err
	}
	return `reg query "` + key + `"`, nil
}

// RegAddCommand returns `reg add "KEY" /v NAME /t TYPE /d DATA /f`, e.g.
//
//	reg add "HKLM\SOFTWARE\Microsoft\Rpc\Internet" /v Ports /t REG_MULTI_SZ /d "5000-5100" /f
//	reg add "HKLM\SOFTWARE\Microsoft\Rpc\Internet" /v PortsInternetAvailable /t REG_SZ /d Y /f
//
// REG_MULTI_SZ data joins its strings with `\0`. Data is quoted unless it is
// a plain word; the value name is quoted when it holds a blank. All three
// are validated like every command-line value.
func RegAddCommand(key, name, typ, data string) (string, error) {
	if err := checkRegKey(key); err != nil {
		return "", err
	}
	if err := checkRegName(name); err != nil {
		return "", err
	}
	t := strings.ToUpper(typ)
	if !containsFold(regTypes, t) {
		return "", &UnsafeValueError{Field: "registry value type", Value: typ, Reason: "want " + strings.Join(regTypes, ", ")}
	}
	if err := checkRegData(t, data); err != nil {
		return "", err
	}
	return `reg add "` + key + `" /v ` + quoteIfBlank(name) + " /t " + t + " /d " + quoteUnlessWord(data) + " /f", nil
}

// RegDeleteCommand returns `reg delete "KEY" /v NAME /f`.
func RegDeleteCommand(key, name string) (string, error) {
	if err := checkRegKey(key); err != nil {
		return "", err
	}
	if err := checkRegName(name); err != nil {
		return "", err
	}
	return `reg delete "` + key + `" /v ` + quoteIfBlank(name) + " /f", nil
}

func checkRegData(typ, data string) error {
	switch typ {
	case "REG_DWORD", "REG_QWORD":
		// parseRegNumber trims blanks (line breaks too); the command line
		// gets data as given, so it must be the bare number.
		if _, err := parseRegNumber(data); err != nil || !plainWordRE().MatchString(data) {
			return &UnsafeValueError{Field: "registry data", Value: data, Reason: "want a number"}
		}
		return nil
	}
	if data == "" {
		return nil
	}
	if err := checkText("registry data", data); err != nil {
		return err
	}
	// A trailing backslash would escape the closing quote.
	if strings.HasSuffix(data, `\`) && !strings.HasSuffix(data, `\0`) {
		return &UnsafeValueError{Field: "registry data", Value: data, Reason: "trailing backslash"}
	}
	return nil
}

func parseRegNumber(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(strings.ToLower(s), "0x") {
		return strconv.ParseUint(s[2:], 16, 64)
	}
	return strconv.ParseUint(s, 10, 64)
}

var plainWordRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_.]+$`) })

func quoteUnlessWord(s string) string {
	if plainWordRE().MatchString(s) {
		return s
	}
	return `"` + s + `"`
}

func quoteIfBlank(s string) string {
	if strings.Contains(s, " ") {
		return `"` + s + `"`
	}
	return s
}

var regValueRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^    (.*?)    (REG_[A-Z_]+)(?:    (.*))?$`) })

// ParseRegQuery parses reg query output (Vista+ reg.exe): the key path, then
// one "    NAME    TYPE    DATA" line per value. Subkey lines are ignored.
// The missing-key message (stderr, exit 1) gives Exists=false and no error;
// "Access is denied." is an *OutputError wrapping ErrNotElevated.
func ParseRegQuery(o Output) (RegKey, error) {
	text := raw(o)
	if strings.Contains(text, msgRegMissing) {
		if o.ExitCode != 1 {
			return RegKey{}, unrecognized(o, "exit code %d", o.ExitCode)
		}
		return RegKey{}, nil
	}
	if strings.Contains(text, "ERROR: "+msgAccessDenied) {
		return RegKey{}, &OutputError{Command: o.Command, Raw: text, Err: ErrNotElevated}
	}
	if o.ExitCode != 0 || !blank(o.Stderr) {
		return RegKey{}, unrecognized(o, "exit code %d", o.ExitCode)
	}
	k := RegKey{Exists: true}
	for i, l := range lines(o.Stdout) {
		switch {
		case l == "":
		case strings.HasPrefix(l, "HKEY_"):
			if k.Path == "" {
				k.Path = l
			} else if !strings.HasPrefix(strings.ToLower(l), strings.ToLower(k.Path)+`\`) {
				return RegKey{}, unrecognized(o, "line %d: %q", i+1, l)
			}
		default:
			m := regValueRE().FindStringSubmatch(l)
			if m == nil || k.Path == "" {
				return RegKey{}, unrecognized(o, "line %d: %q", i+1, l)
			}
			k.Values = append(k.Values, RegValue{Name: m[1], Type: m[2], Data: m[3]})
		}
	}
	if k.Path == "" {
		return RegKey{}, unrecognized(o, "no key line")
	}
	return k, nil
}

// RegistryWant is the desired state of some values under one key.
type RegistryWant struct {
	Key    string
	Values []RegValue
	// State absent removes the listed values (not the key).
	State State
}

// DCOMValues returns the three RPC\Internet values that pin DCOM to the
// given port ranges (KB154596): Ports, PortsInternetAvailable=Y,
// UseInternetPorts=Y.
func DCOMValues(ports ...PortRange) []RegValue {
	parts := make([]string, len(ports))
	for i, p := range ports {
		parts[i] = p.String()
	}
	return []RegValue{
		{Name: "Ports", Type: "REG_MULTI_SZ", Data: strings.Join(parts, `\0`)},
		{Name: "PortsInternetAvailable", Type: "REG_SZ", Data: "Y"},
		{Name: "UseInternetPorts", Type: "REG_SZ", Data: "Y"},
	}
}

// EvaluateRegistry compares the values of a key (parsed from
// RegQueryCommand(want.Key)) with want and returns reg add (present) or reg
// delete (absent) commands for the values that differ. REG_SZ data compares
// case-insensitively (KB154596: Y/N are not case-sensitive), REG_DWORD and
// REG_QWORD numerically, other types exactly. For the RPC\Internet key
// Windows applies a change only after a restart; the verdict is about the
// registry.
func EvaluateRegistry(want RegistryWant, got RegKey) (Result, error) {
	if err := checkRegKey(want.Key); err != nil {
		return Result{}, err
	}
	var exp, act, reasons, cmds, codes []string
	for _, v := range want.Values {
		cur, ok := got.Value(v.Name)
		if !got.Exists {
			ok = false
		}
		if ok {
			act = append(act, v.Name+"="+cur.Data+" ("+cur.Type+")")
		} else {
			act = append(act, v.Name+" absent")
		}
		if want.State == StateAbsent {
			exp = append(exp, v.Name+" absent")
			if ok {
				reasons = append(reasons, v.Name+" present, want absent")
				codes = append(codes, CodeUnwanted)
				c, err := RegDeleteCommand(want.Key, v.Name)
				if err != nil {
					return Result{}, err
				}
				cmds = append(cmds, c)
			}
			continue
		}
		exp = append(exp, v.Name+"="+v.Data+" ("+strings.ToUpper(v.Type)+")")
		c, err := RegAddCommand(want.Key, v.Name, v.Type, v.Data)
		if err != nil {
			return Result{}, err
		}
		switch {
		case !ok:
			reasons = append(reasons, v.Name+" missing")
			codes = append(codes, CodeMissing)
		case !strings.EqualFold(cur.Type, v.Type):
			reasons = append(reasons, fmt.Sprintf("%s is %s, want %s", v.Name, cur.Type, strings.ToUpper(v.Type)))
			codes = append(codes, CodeWrongValue)
		case !sameRegData(v.Type, cur.Data, v.Data):
			reasons = append(reasons, fmt.Sprintf("%s is %q, want %q", v.Name, cur.Data, v.Data))
			codes = append(codes, CodeWrongValue)
		default:
			continue
		}
		cmds = append(cmds, c)
	}
	r := Result{Expected: strings.Join(exp, ", "), Actual: strings.Join(act, ", "), Commands: cmds}
	if !got.Exists {
		r.Actual = "key absent"
	}
	if len(reasons) == 0 {
		r.Compliant = true
		r.Commands = nil
		return r, nil
	}
	r.Reason = "registry " + want.Key + ": " + strings.Join(reasons, "; ")
	r.Code = topCode(codes)
	return r, nil
}

func sameRegData(typ, a, b string) bool {
	switch strings.ToUpper(typ) {
	case "REG_SZ", "REG_EXPAND_SZ":
		return strings.EqualFold(a, b)
	case "REG_DWORD", "REG_QWORD":
		x, err1 := parseRegNumber(a)
		y, err2 := parseRegNumber(b)
		return err1 == nil && err2 == nil && x == y
	}
	return a == b
}

// NetSessionCommand tells whether the session is elevated: exit 0 when it
// is, exit 2 with "Access is denied." when it is not.
const NetSessionCommand = "net session"

// ParseNetSession returns whether the session is elevated. Output other than
// exit 0, or exit 2 with "Access is denied.", is an *UnrecognizedError.
func ParseNetSession(o Output) (bool, error) {
	switch {
	case o.ExitCode == 0:
		return true, nil
	case o.ExitCode == 2 && strings.Contains(raw(o), msgAccessDenied):
		return false, nil
	}
	return false, unrecognized(o, "exit code %d", o.ExitCode)
}
