package remote

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"
)

// Transport names accepted in Target.Transport.
const (
	TransportBasic       = "basic"
	TransportNTLM        = "ntlm"
	TransportKerberos    = "kerberos"
	TransportCertificate = "certificate"
)

// Default ports of the WinRM listeners.
const (
	DefaultHTTPPort  = 5985
	DefaultHTTPSPort = 5986
)

// Target says where and how to connect to one host.
//
// Target never prints its password or client key: String, Format (every fmt
// verb, %#v included), LogValue (log/slog) and MarshalJSON all redact them.
type Target struct {
	Host  string // DNS name or IP address (IPv6 without brackets)
	Port  int    // 0 means 5985 for HTTP, 5986 for HTTPS
	HTTPS bool

	Transport string // "basic" (default), "ntlm", "kerberos" or "certificate"
	User      string // "user", "DOMAIN\\user" or "user@domain"
	Password  string // never printed, logged or put in an error

	// AllowUnencrypted is the explicit opt-in for Basic (or Kerberos, or NTLM
	// without message encryption) over plain HTTP: the SOAP messages, and
	// with Basic the password, travel in clear. The host must also have
	// AllowUnencrypted=true. Without it Dial refuses with ErrInsecure.
	AllowUnencrypted bool
	// MessageEncryption is "auto" (default), "always" or "never"; used by
	// the ntlm transport only.
	MessageEncryption string

	CAFile             string // PEM file of the CA(s) that sign the listener certificate
	CAPEM              []byte // PEM CA(s), added to CAFile's
	ServerName         string // name to verify in the certificate, if not Host
	InsecureSkipVerify bool   // skip certificate verification (logged as a warning at Dial)

	ClientCertPEM []byte // certificate transport: client certificate (PEM)
	ClientKeyPEM  []byte // certificate transport: its private key (PEM); never printed

	Kerberos KerberosConfig
}

// KerberosConfig is passed through to masterzen's ClientKerberos (gokrb5).
// See README.md for what each field does on a real domain.
type KerberosConfig struct {
	Realm      string // e.g. "CORP.EXAMPLE"; defaults to the domain part of User
	ConfigFile string // krb5.conf path; default "/etc/krb5.conf"
	SPN        string // service principal, default "HTTP/<host>" (gokrb5's default)
	CCacheFile string // credential cache to use instead of the password
}

// Address returns host:port as dialled (with the default port filled in).
func (t Target) Address() string {
	return net.JoinHostPort(t.Host, strconv.Itoa(t.port()))
}

func (t Target) port() int {
	switch {
	case t.Port != 0:
		return t.Port
	case t.HTTPS:
		return DefaultHTTPSPort
	default:
		return DefaultHTTPPort
	}
}

func (t Target) transport() string {
	if t.Transport == "" {
		return TransportBasic
	}
	return strings.ToLower(t.Transport)
}

func (t Target) scheme() string {
	if t.HTTPS {
		return "https"
	}
	return "http"
}

const redacted = "[redacted]"

// String describes the target without secrets, e.g.
// "basic://admin@web01:5986 (https)".
func (t Target) String() string {
	user := t.User
	if user != "" {
		user += "@"
	}
	return fmt.Sprintf("%s://%s%s (%s)", t.transport(), user, t.Address(), t.scheme())
}

// Format implements fmt.Formatter so that no verb (%v, %+v, %#v, %s, %q)
// prints the password or the client key.
func (t Target) Format(f fmt.State, verb rune) {
	switch verb {
	case 'v':
		if f.Flag('+') || f.Flag('#') {
			fmt.Fprintf(f, "remote.Target{Host:%q, Port:%d, HTTPS:%t, Transport:%q, User:%q, Password:%s, AllowUnencrypted:%t, ServerName:%q, InsecureSkipVerify:%t}",
				t.Host, t.Port, t.HTTPS, t.Transport, t.User, t.maskedPassword(), t.AllowUnencrypted, t.ServerName, t.InsecureSkipVerify)
			return
		}
		fmt.Fprint(f, t.String())
	case 'q':
		fmt.Fprintf(f, "%q", t.String())
	default:
		fmt.Fprint(f, t.String())
	}
}

func (t Target) maskedPassword() string {
	if t.Password == "" {
		return `""`
	}
	return redacted
}

// LogValue implements slog.LogValuer: a group without secrets.
func (t Target) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("host", t.Host),
		slog.Int("port", t.port()),
		slog.Bool("https", t.HTTPS),
		slog.String("transport", t.transport()),
		slog.String("user", t.User),
	)
}

// MarshalJSON writes the target with the password and client key redacted,
// so that a Target accidentally put into a report cannot leak them.
func (t Target) MarshalJSON() ([]byte, error) {
	type view struct {
		Host               string `json:"host"`
		Port               int    `json:"port"`
		HTTPS              bool   `json:"https"`
		Transport          string `json:"transport"`
		User               string `json:"user,omitempty"`
		Password           string `json:"password,omitempty"`
		AllowUnencrypted   bool   `json:"allow_unencrypted,omitempty"`
		ServerName         string `json:"server_name,omitempty"`
		CAFile             string `json:"ca_file,omitempty"`
		InsecureSkipVerify bool   `json:"insecure_skip_verify,omitempty"`
	}
	v := view{Host: t.Host, Port: t.port(), HTTPS: t.HTTPS, Transport: t.transport(), User: t.User,
		AllowUnencrypted: t.AllowUnencrypted, ServerName: t.ServerName, CAFile: t.CAFile,
		InsecureSkipVerify: t.InsecureSkipVerify}
	if t.Password != "" {
		v.Password = redacted
	}
	return json.Marshal(v)
}

// Options holds the time limits and logging of a Client. The zero value
// means all defaults.
type Options struct {
	// ConnectTimeout bounds the TCP connect and the TLS handshake of each
	// new connection. Default 10s.
	ConnectTimeout time.Duration
	// OperationTimeout is the WS-Management OperationTimeout sent with
	// every request: how long the host parks a Receive that has no output
	// before it answers w:TimedOut (the client then receives again).
	// Default 20s. It must stay below ReadTimeout.
	OperationTimeout time.Duration
	// ReadTimeout bounds the wait for each answer (headers and body) once
	// the request is sent. Default OperationTimeout+10s.
	ReadTimeout time.Duration
	// CleanupTimeout bounds the best-effort Delete of the shell in Close
	// and after a cancelled or failed command, and is independent of the
	// caller's (possibly expired) context. Default 1s.
	CleanupTimeout time.Duration
	// CodePage is the OEM code page used to decode output that is not
	// valid UTF-8: 850 (default) or 437.
	CodePage int
	// MaxIdleConns is the number of connections the NTLM transport keeps
	// to the host (each pays the handshake once). Default 2 (the Receive
	// long-poll and one spare). Basic and certificate keep one connection:
	// a client sends one request at a time.
	MaxIdleConns int
	// MaxOutput bounds what one command (or one batch) may print, stdout
	// and stderr together, in bytes. It is enforced while receiving: past
	// it the client keeps nothing more, terminates the command, deletes
	// the shell and returns ErrOutputTooLarge with the head and tail of the
	// output. Default DefaultMaxOutput (4 MiB); negative means no limit
	// (memory then grows with the output).
	MaxOutput int
	// Logger receives debug lines per request (operation, status,
	// duration) and warnings (skip-verify). Never secrets. Optional.
	Logger *slog.Logger
}

// Default values of Options.
const (
	DefaultConnectTimeout   = 10 * time.Second
	DefaultOperationTimeout = 20 * time.Second
	DefaultCleanupTimeout   = time.Second
	DefaultCodePage         = 850
	DefaultMaxIdleConns     = 2
	readTimeoutMargin       = 10 * time.Second
)

// withDefaults fills in zero fields and checks the relations between them.
func (o Options) withDefaults() (Options, error) {
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.OperationTimeout <= 0 {
		o.OperationTimeout = DefaultOperationTimeout
	}
	if o.OperationTimeout < 100*time.Millisecond {
		return o, fmt.Errorf("operation timeout %v is below the 100ms minimum", o.OperationTimeout)
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = o.OperationTimeout + readTimeoutMargin
	}
	if o.ReadTimeout <= o.OperationTimeout {
		return o, fmt.Errorf("read timeout %v must be longer than operation timeout %v, or every idle Receive would time out on the client first", o.ReadTimeout, o.OperationTimeout)
	}
	if o.CleanupTimeout <= 0 {
		o.CleanupTimeout = DefaultCleanupTimeout
	}
	if o.CodePage == 0 {
		o.CodePage = DefaultCodePage
	}
	if o.CodePage != 850 && o.CodePage != 437 {
		return o, fmt.Errorf("code page %d is not supported (use 850 or 437)", o.CodePage)
	}
	if o.MaxIdleConns <= 0 {
		o.MaxIdleConns = DefaultMaxIdleConns
	}
	if o.MaxOutput == 0 {
		o.MaxOutput = DefaultMaxOutput
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

// wsmanDuration formats d as an xs:duration for the OperationTimeout header,
// e.g. 20s → "PT20.000S".
func wsmanDuration(d time.Duration) string {
	ms := d.Milliseconds()
	return fmt.Sprintf("PT%d.%03dS", ms/1000, ms%1000)
}
