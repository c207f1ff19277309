package inventory

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A Secret holds a password. It never prints: String, GoString, Format and
// MarshalJSON all give "****". Reveal returns the value for the one place
// that needs it (the WinRM client).
type Secret struct{ s string }

// NewSecret wraps s.
func NewSecret(s string) Secret { return Secret{s} }

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return s.s }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.s == "" }

func (s Secret) String() string { return "****" }

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return "****" }

// Format keeps every fmt verb from printing the value.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte("****")) }

// MarshalJSON renders the secret masked.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"****"`), nil }

// Scheme is the WinRM listener's protocol.
type Scheme string

// Schemes.
const (
	HTTP  Scheme = "http"
	HTTPS Scheme = "https"
)

// Transport is the WinRM authentication transport.
type Transport string

// Transports.
const (
	TransportBasic       Transport = "basic"
	TransportNTLM        Transport = "ntlm"
	TransportKerberos    Transport = "kerberos"
	TransportCertificate Transport = "certificate"
)

// CertValidation says whether the HTTPS listener's certificate is checked.
type CertValidation string

// Certificate validation modes.
const (
	CertValidate CertValidation = "validate"
	CertIgnore   CertValidation = "ignore"
)

// MessageEncryption is WinRM message-level encryption (NTLM sealing).
type MessageEncryption string

// Message encryption modes: auto encrypts over HTTP, not over HTTPS.
const (
	EncryptAuto   MessageEncryption = "auto"
	EncryptAlways MessageEncryption = "always"
	EncryptNever  MessageEncryption = "never"
)

// Conn is a host's resolved connection settings.
type Conn struct {
	Address   string
	Port      int
	Scheme    Scheme
	Transport Transport
	User      string
	Password  Secret
	// PasswordSource says where Password came from; its Kind is
	// SourceNone when no password was found.
	PasswordSource    PasswordSource
	CertValidation    CertValidation
	CAFile            string
	ServerName        string
	MessageEncryption MessageEncryption
	// AllowUnencrypted is the operator's explicit acceptance of clear text
	// on plain HTTP: message_encryption=never, or allow_unencrypted set to
	// true (read with Var.Bool, so "off" and "no" are false).
	AllowUnencrypted bool
	OperationTimeout time.Duration
	ReadTimeout      time.Duration
	ClientCert       string // certificate transport: PEM file
	ClientKey        string
	// Warnings are non-fatal findings, such as a plaintext password.
	Warnings []Warning
}

// Connection variable names: winfleet's name first, then Ansible's aliases.
// When several are set, the one with the higher variable precedence wins;
// at equal precedence the earlier name in the list wins.
var (
	varsAddress     = []string{"address", "ansible_host"}
	varsPort        = []string{"port", "ansible_port"}
	varsUser        = []string{"user", "ansible_user", "ansible_winrm_user"}
	varsPassword    = []string{"password", "ansible_password", "ansible_winrm_password", "ansible_winrm_pass"}
	varsScheme      = []string{"scheme", "ansible_winrm_scheme"}
	varsTransport   = []string{"transport", "ansible_winrm_transport"}
	varsCertValid   = []string{"cert_validation", "ansible_winrm_server_cert_validation"}
	varsCAFile      = []string{"ca_file", "ansible_winrm_ca_trust_path"}
	varsServerName  = []string{"server_name"}
	varsMsgEnc      = []string{"message_encryption", "ansible_winrm_message_encryption"}
	varsOpTimeout   = []string{"operation_timeout", "ansible_winrm_operation_timeout_sec"}
	varsRdTimeout   = []string{"read_timeout", "ansible_winrm_read_timeout_sec"}
	varsClientCert  = []string{"client_cert", "ansible_winrm_cert_pem"}
	varsClientKey   = []string{"client_key", "ansible_winrm_cert_key_pem"}
	varsAllowUnencr = []string{"allow_unencrypted"}
)

// connVarIDs numbers every connection variable name, so that a host's
// connection vars can be gathered in one pass over its layers.
var connVarIDs = func() map[string]int {
	m := map[string]int{}
	for _, names := range [][]string{varsAddress, varsPort, varsUser, varsPassword, varsScheme, varsTransport,
		varsCertValid, varsCAFile, varsServerName, varsMsgEnc, varsOpTimeout, varsRdTimeout, varsClientCert,
		varsClientKey, {"password_env"}, varsAllowUnencr} {
		for _, n := range names {
			m[n] = len(m)
		}
	}
	return m
}()

// maxConnVars bounds len(connVarIDs).
const maxConnVars = 40

type resolver struct {
	h      *Host
	layers []map[string]Var
	rank   [maxConnVars]uint32 // by connVarIDs: layer index + 1 of the last setting; 0 = not set
}

func newResolver(h *Host) *resolver { return newResolverCached(h, nil) }

func newResolverCached(h *Host, cache map[*Group][]map[string]Var) *resolver {
	r := &resolver{h: h, layers: h.layersCached(cache)}
	for i, l := range r.layers {
		for k := range l {
			if id, ok := connVarIDs[k]; ok {
				r.rank[id] = uint32(i + 1)
			}
		}
	}
	return r
}

// get returns the winning variable among names.
func (r *resolver) get(names []string) (string, Var, bool) {
	bestRank, bestName := uint32(0), ""
	for _, n := range names {
		if rk := r.rank[connVarIDs[n]]; rk > bestRank {
			bestRank, bestName = rk, n
		}
	}
	if bestRank == 0 {
		return "", Var{}, false
	}
	return bestName, r.layers[bestRank-1][bestName], true
}

func (r *resolver) errVar(name string, v Var, format string, args ...any) *Error {
	return &Error{File: v.File, Line: v.Line, Msg: fmt.Sprintf("host %s: %s: ", r.h.Name, name) + fmt.Sprintf(format, args...)}
}

func (r *resolver) str(names []string) (string, error) {
	name, v, ok := r.get(names)
	if !ok || v.Value == nil {
		return "", nil
	}
	if v.Vault {
		return "", r.errVar(name, v, "value is Ansible Vault ciphertext, which winfleet cannot decrypt")
	}
	switch x := v.Value.(type) {
	case string:
		return x, nil
	case int, float64, bool:
		return fmt.Sprint(x), nil
	}
	return "", r.errVar(name, v, "want a string, got %T", v.Value)
}

func (r *resolver) enum(names []string, def string, allowed ...string) (string, error) {
	s, err := r.str(names)
	if err != nil || s == "" {
		return def, err
	}
	ls := strings.ToLower(strings.TrimSpace(s))
	for _, a := range allowed {
		if ls == a {
			return ls, nil
		}
	}
	name, v, _ := r.get(names)
	return "", r.errVar(name, v, "unknown value %q (want %s)", s, strings.Join(allowed, ", "))
}

func (r *resolver) duration(names []string) (time.Duration, error) {
	name, v, ok := r.get(names)
	if !ok || v.Value == nil {
		return 0, nil
	}
	var d time.Duration
	switch x := v.Value.(type) {
	case int:
		d = time.Duration(x) * time.Second
	case float64:
		d = time.Duration(x * float64(time.Second))
	case string:
		if n, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
			d = time.Duration(n * float64(time.Second))
		} else if pd, err := time.ParseDuration(strings.TrimSpace(x)); err == nil {
			d = pd
		} else {
			return 0, r.errVar(name, v, "invalid timeout %q (want seconds or a duration like 30s)", x)
		}
	default:
		return 0, r.errVar(name, v, "invalid timeout %v (want seconds or a duration like 30s)", x)
	}
	if d <= 0 {
		return 0, r.errVar(name, v, "timeout must be positive, got %v", v.Value)
	}
	return d, nil
}

// settings resolves everything but the password.
func (r *resolver) settings() (Conn, error) {
	var c Conn
	var err error
	if c.Address, err = r.str(varsAddress); err != nil {
		return c, err
	}
	if strings.Contains(c.Address, "@") {
		name, v, _ := r.get(varsAddress)
		c.Address = MaskUserinfo(c.Address)
		return c, r.errVar(name, v, "%s (%s)", errUserinfo, c.Address)
	}
	if strings.TrimSpace(c.Address) == "" {
		c.Address = r.h.Name
	}
	if name, v, ok := r.get(varsPort); ok && v.Value != nil {
		if v.Vault {
			return c, r.errVar(name, v, "value is Ansible Vault ciphertext, which winfleet cannot decrypt")
		}
		p, ok := toInt(v.Value)
		if !ok || p < 1 || p > 65535 {
			return c, r.errVar(name, v, "invalid port %v (want 1-65535)", v.Value)
		}
		c.Port = p
	}
	scheme, err := r.enum(varsScheme, "", "http", "https")
	if err != nil {
		return c, err
	}
	c.Scheme = Scheme(scheme)
	switch {
	case c.Scheme == "" && c.Port == 0:
		c.Scheme, c.Port = HTTPS, 5986
	case c.Scheme == "":
		// Ansible's rule: http only on the well-known http port.
		c.Scheme = HTTPS
		if c.Port == 5985 {
			c.Scheme = HTTP
		}
	case c.Port == 0:
		c.Port = 5986
		if c.Scheme == HTTP {
			c.Port = 5985
		}
	}
	tname, tv, _ := r.get(varsTransport)
	t, err := r.str(varsTransport)
	if err != nil {
		return c, err
	}
	// Ansible accepts a comma-separated preference list; winfleet uses the
	// first entry.
	t, _, _ = strings.Cut(t, ",")
	switch t = strings.ToLower(strings.TrimSpace(t)); t {
	case "":
		c.Transport = TransportNTLM
	case "basic", "ntlm", "kerberos", "certificate":
		c.Transport = Transport(t)
	case "plaintext", "ssl":
		c.Transport = TransportBasic // pywinrm's names for Basic authentication
	case "credssp":
		return c, r.errVar(tname, tv, "transport credssp is not supported by winfleet (use ntlm, kerberos, basic or certificate)")
	default:
		return c, r.errVar(tname, tv, "unknown transport %q (want basic, ntlm, kerberos or certificate)", t)
	}
	if c.User, err = r.str(varsUser); err != nil {
		return c, err
	}
	cv, err := r.enum(varsCertValid, "validate", "validate", "ignore")
	if err != nil {
		return c, err
	}
	c.CertValidation = CertValidation(cv)
	if c.CAFile, err = r.str(varsCAFile); err != nil {
		return c, err
	}
	if c.ServerName, err = r.str(varsServerName); err != nil {
		return c, err
	}
	me, err := r.enum(varsMsgEnc, "auto", "auto", "always", "never")
	if err != nil {
		return c, err
	}
	c.MessageEncryption = MessageEncryption(me)
	c.AllowUnencrypted = c.MessageEncryption == EncryptNever
	if name, v, ok := r.get(varsAllowUnencr); ok && v.Value != nil {
		v.Name = name // for Bool's error
		allow, err := v.Bool()
		if err != nil {
			return c, err
		}
		c.AllowUnencrypted = c.AllowUnencrypted || allow
	}
	if c.OperationTimeout, err = r.duration(varsOpTimeout); err != nil {
		return c, err
	}
	if c.ReadTimeout, err = r.duration(varsRdTimeout); err != nil {
		return c, err
	}
	if c.OperationTimeout > 0 && c.ReadTimeout > 0 && c.ReadTimeout <= c.OperationTimeout {
		name, v, _ := r.get(varsRdTimeout)
		return c, r.errVar(name, v, "read timeout (%v) must exceed operation timeout (%v)", c.ReadTimeout, c.OperationTimeout)
	}
	if c.ClientCert, err = r.str(varsClientCert); err != nil {
		return c, err
	}
	if c.ClientKey, err = r.str(varsClientKey); err != nil {
		return c, err
	}
	if c.Transport == TransportCertificate && (c.ClientCert == "" || c.ClientKey == "") {
		return c, r.errVar(tname, tv, "transport certificate needs client_cert and client_key (ansible_winrm_cert_pem, ansible_winrm_cert_key_pem)")
	}
	return c, nil
}

// Address is the host's connection address (address or ansible_host, else
// its name), for commands that show or plan without connecting. A value
// that cannot be used (Vault ciphertext, a list) is an error naming it.
func (h *Host) Address() (string, error) {
	r := newResolver(h)
	a, err := r.str(varsAddress)
	if err != nil {
		return h.Name, err
	}
	if strings.TrimSpace(a) == "" {
		return h.Name, nil
	}
	return a, nil
}

// SourceKind says where a password came from.
type SourceKind int

// Password source kinds.
const (
	// SourceNone: no password was found.
	SourceNone SourceKind = iota
	// SourceHostEnv: the host's password_env var names an environment
	// variable.
	SourceHostEnv
	// SourceHostVar: a plaintext password var in the inventory.
	SourceHostVar
	// SourceFallback: one of the caller's fallbacks (--password-env,
	// --ask-pass, WINFLEET_PASSWORD).
	SourceFallback
)

// PasswordSource says where a host's password came from, without the
// password. Two hosts whose sources are equal (same kind, name and defining
// line) share one credential: a wrong password there is wrong for all of
// them.
type PasswordSource struct {
	Kind SourceKind
	// Name is the environment variable (SourceHostEnv), the var name
	// (SourceHostVar) or the fallback's label (SourceFallback).
	Name string
	// File and Line say where the password_env or password var was set.
	File string
	Line int
}

// String describes the source for messages: "password_env SSIS_PW
// (hosts.ini:4)", "ansible_password (group_vars/all.yml:2)", "--ask-pass",
// "WINFLEET_PASSWORD", or "no password".
func (s PasswordSource) String() string {
	pos := Var{File: s.File, Line: s.Line}.Pos()
	switch s.Kind {
	case SourceHostEnv:
		return fmt.Sprintf("password_env %s (%s)", s.Name, pos)
	case SourceHostVar:
		return fmt.Sprintf("%s (%s)", s.Name, pos)
	case SourceFallback:
		return s.Name
	}
	return "no password"
}

// A PasswordFallback is where the caller looks for a password when the
// host's inventory gives none; Conn tries them in the order given.
type PasswordFallback struct {
	// Label names the fallback in messages and in PasswordSource: the flag
	// or variable, e.g. "--password-env SSIS_PW", "--ask-pass".
	Label string
	// Env, if set, is the environment variable holding the password.
	Env string
	// Required makes an unset Env an error instead of a skip (a variable
	// the operator named explicitly must exist).
	Required bool
	// Value is the password itself when it is not in the environment (a
	// prompt's answer).
	Value Secret
}

// EnvFallback looks for the password in environment variable name; when
// required, an unset variable is an error.
func EnvFallback(label, name string, required bool) PasswordFallback {
	return PasswordFallback{Label: label, Env: name, Required: required}
}

// ValueFallback is a password the caller already has (asked at a prompt).
func ValueFallback(label string, password Secret) PasswordFallback {
	return PasswordFallback{Label: label, Value: password}
}

// Conn resolves the host's connection settings. env looks up environment
// variables (pass os.LookupEnv); the package never reads the environment
// itself.
//
// The password comes from, in order: the host's password_env (the name of
// an environment variable; an error if that variable is not set), a
// plaintext password variable (with a Warning), then each fallback in the
// order given. With none found, Password is empty and PasswordSource.Kind
// SourceNone. A Vault-encrypted value is an error naming its file and line.
func (h *Host) Conn(env func(string) (string, bool), fallbacks ...PasswordFallback) (Conn, error) {
	r := newResolver(h)
	c, err := r.settings()
	if err != nil {
		return c, err
	}
	if ename, ev, ok := r.get([]string{"password_env"}); ok && ev.Value != nil {
		if ev.Vault {
			return c, r.errVar(ename, ev, vaultMsg)
		}
		name, isStr := ev.Value.(string)
		if !isStr || name == "" {
			return c, r.errVar(ename, ev, "want the name of an environment variable")
		}
		val, found := env(name)
		if !found {
			return c, r.errVar(ename, ev, "environment variable %s is not set", name)
		}
		c.Password = NewSecret(val)
		c.PasswordSource = PasswordSource{Kind: SourceHostEnv, Name: name, File: ev.File, Line: ev.Line}
		return c, nil
	}
	if pname, pv, ok := r.get(varsPassword); ok && pv.Value != nil {
		if pv.Vault {
			return c, r.errVar(pname, pv, vaultMsg+"; put the password in an environment variable and set password_env to its name")
		}
		s, isStr := pv.Value.(string)
		if !isStr {
			s = fmt.Sprint(pv.Value)
		}
		c.Password = NewSecret(s)
		c.PasswordSource = PasswordSource{Kind: SourceHostVar, Name: pname, File: pv.File, Line: pv.Line}
		c.Warnings = append(c.Warnings, Warning{File: pv.File, Line: pv.Line, Host: h.Name,
			Msg: pname + " is a plaintext password in the inventory; prefer password_env"})
		return c, nil
	}
	for _, f := range fallbacks {
		pw, found := f.Value, !f.Value.IsZero()
		if f.Env != "" {
			var val string
			if val, found = env(f.Env); found {
				pw = NewSecret(val)
			} else if f.Required {
				return c, &Error{Msg: fmt.Sprintf("host %s: %s: the variable %s is not set", h.Name, f.Label, f.Env)}
			}
		}
		if found {
			c.Password = pw
			c.PasswordSource = PasswordSource{Kind: SourceFallback, Name: f.Label}
			return c, nil
		}
	}
	return c, nil
}
