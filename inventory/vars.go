package inventory

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// This file is the one place that says what a variable means: whether it is
// a secret, how it reads as a boolean, and where it came from. The CLI, the
// playbook and the listings all ask here; none re-derives it.

// Masked is what secret values print as.
const Masked = "****"

// secretWords are the name parts that make a variable a secret.
var secretWords = []string{"password", "passwd", "pwd", "pass", "secret", "token", "key", "credential", "credentials", "apikey"}

// IsSecretName reports whether a variable with this name holds a secret:
// its value is masked in every listing and a playbook may not put it on a
// command line. A name is secret when it contains "password", "passwd",
// "secret" or "token" anywhere (adminpassword, ansible_winrm_password), or
// when one of its parts between '_', '-' or '.' is one of pass, pwd, key,
// credential(s) or apikey (ansible_become_pass, ansible_winrm_pass,
// client_key, api_key). A name ending in "_env" names an environment
// variable that holds the secret (password_env): the name is not secret and
// stays readable; the variable's content is never shown anywhere.
func IsSecretName(name string) bool {
	n := strings.ToLower(name)
	if strings.HasSuffix(n, "_env") {
		return false
	}
	for _, s := range []string{"password", "passwd", "secret", "token"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	for _, part := range strings.FieldsFunc(n, func(r rune) bool { return r == '_' || r == '-' || r == '.' }) {
		for _, w := range secretWords {
			if part == w {
				return true
			}
		}
	}
	return false
}

// ParseBool reads a boolean word the way Ansible and YAML 1.1 do: true, yes,
// on, y, t and 1 are true; false, no, off, n, f and 0 are false; any case,
// surrounding space ignored. Anything else is an error. Flags, WINFLEET_*
// variables, the config file and inventory vars all use this one rule.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "on", "y", "t", "1":
		return true, nil
	case "false", "no", "off", "n", "f", "0":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean (want true/false, yes/no, on/off or 1/0)", s)
}

// Pos returns "file:line" of the place the variable was set, "file" when the
// line is unknown, or "" when it has no file.
func (v Var) Pos() string {
	if v.File == "" {
		return ""
	}
	if v.Line == 0 {
		return v.File
	}
	return v.File + ":" + strconv.Itoa(v.Line)
}

// errorf returns an *Error at the variable's position, naming it.
func (v Var) errorf(format string, args ...any) *Error {
	name := v.Name
	if name == "" {
		name = "(unnamed)"
	}
	return &Error{File: v.File, Line: v.Line, Msg: fmt.Sprintf("var %s: ", name) + fmt.Sprintf(format, args...)}
}

// vaultMsg is the message of every error about a Vault-encrypted value.
const vaultMsg = "value is Ansible Vault ciphertext, which winfleet cannot decrypt"

// CheckUsable returns an error naming the variable's file and line when its
// value cannot be used at all: Ansible Vault ciphertext.
func (v Var) CheckUsable() error {
	if v.Vault {
		return v.errorf(vaultMsg)
	}
	return nil
}

// Bool reads the variable as a boolean: a YAML or JSON boolean, the numbers
// 0 and 1, or a word ParseBool accepts (so "off" from an INI file is false,
// as in Ansible). Anything else, and Vault ciphertext, is an error naming
// the variable, its file and line.
func (v Var) Bool() (bool, error) {
	if err := v.CheckUsable(); err != nil {
		return false, err
	}
	switch x := v.Value.(type) {
	case bool:
		return x, nil
	case int:
		if x == 0 || x == 1 {
			return x == 1, nil
		}
	case int64:
		if x == 0 || x == 1 {
			return x == 1, nil
		}
	case uint64:
		if x == 0 || x == 1 {
			return x == 1, nil
		}
	case float64:
		if x == 0 || x == 1 {
			return x == 1, nil
		}
	case string:
		b, err := ParseBool(x)
		if err != nil {
			return false, v.errorf("%v", err)
		}
		return b, nil
	}
	return false, v.errorf("%v is not a boolean (want true/false, yes/no, on/off or 1/0)", v.Value)
}

// Truthy reports whether the variable switches something on, as a `when:`
// condition reads it: a boolean value or boolean word as Bool reads it
// ("off", "no" and "0" are false); otherwise empty values (null, "", an
// empty list or mapping, the number 0) are false and everything else
// (a port range such as "5000-5100") is true. Vault ciphertext is an error.
func (v Var) Truthy() (bool, error) {
	if err := v.CheckUsable(); err != nil {
		return false, err
	}
	if b, err := v.Bool(); err == nil {
		return b, nil
	}
	switch x := v.Value.(type) {
	case nil:
		return false, nil
	case string:
		return strings.TrimSpace(x) != "", nil
	case int:
		return x != 0, nil
	case int64:
		return x != 0, nil
	case uint64:
		return x != 0, nil
	case float64:
		return x != 0 && !math.IsNaN(x), nil
	case []any:
		return len(x) > 0, nil
	case map[string]any:
		return len(x) > 0, nil
	}
	return true, nil
}

// Scalar returns the variable's value as text when it is a string, number or
// boolean; ok is false for lists, mappings and null. Vault ciphertext is an
// error.
func (v Var) Scalar() (s string, ok bool, err error) {
	if err := v.CheckUsable(); err != nil {
		return "", false, err
	}
	switch x := v.Value.(type) {
	case string:
		return x, true, nil
	case int:
		return strconv.Itoa(x), true, nil
	case int64:
		return strconv.FormatInt(x, 10), true, nil
	case uint64:
		return strconv.FormatUint(x, 10), true, nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true, nil
	case bool:
		return strconv.FormatBool(x), true, nil
	}
	return "", false, nil
}

// VarsFrom makes variables of plain values that come from one source
// without line numbers: --extra-vars on the command line, a test. source
// names them in errors.
func VarsFrom(source string, values map[string]any) map[string]Var {
	out := make(map[string]Var, len(values))
	for k, x := range values {
		s, isStr := x.(string)
		out[k] = Var{Name: k, Value: x, File: source, Vault: isStr && isVaultString(s)}
	}
	return out
}

// errUserinfo is the refusal of a user or password written into a host
// name or address ("admin:pw@sql01"): winfleet would show it in listings,
// logs and reports, and WinRM takes credentials from user and password_env,
// never from the address.
const errUserinfo = "a user or password written into the address (USER:PASSWORD@HOST) is refused: set user and password_env instead"

// MaskUserinfo hides what comes before the last '@' of an address:
// "admin:pw@sql01" becomes "****@sql01".
func MaskUserinfo(s string) string {
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		return Masked + s[i:]
	}
	return s
}
