package winrmtest

import (
	"crypto/tls"
	"fmt"
	"maps"
	"time"
)

// Windows defaults the server starts with (see reference/winrm.md §4).
const (
	// DefaultUser and DefaultPassword are the only account a server knows
	// unless WithUsers is given (the account Vagrant boxes ship with).
	DefaultUser     = "vagrant"
	DefaultPassword = "vagrant"

	// DefaultMaxShellsPerUser is WinRM's MaxShellsPerUser.
	DefaultMaxShellsPerUser = 30
	// DefaultMaxConcurrentOperationsPerUser is WinRM's MaxConcurrentOperationsPerUser.
	DefaultMaxConcurrentOperationsPerUser = 1500
	// DefaultMaxTimeout is WinRM's MaxTimeoutms: OperationTimeout is clamped
	// to it without a fault.
	DefaultMaxTimeout = 60 * time.Second
	// DefaultMaxEnvelopeSizeKB is WinRM's MaxEnvelopeSizekb; larger request
	// bodies get HTTP 413.
	DefaultMaxEnvelopeSizeKB = 500
	// DefaultIdleTimeout is the shell IdleTimeout (PT7200.000S).
	DefaultIdleTimeout = 2 * time.Hour
	// MaxCommandLine is the longest command line cmd.exe accepts, in characters.
	// A longer rsp:Command gets the InternalError fault 2147942606.
	MaxCommandLine = 8191
)

// An Option configures a Server at Start.
type Option func(*config)

type config struct {
	addr             string
	tls              bool
	ca               *CA
	certHosts        []string
	clientAuth       tls.ClientAuthType // WithClientCertAuth: request a client certificate
	users            map[string]string
	restricted       map[string]bool
	basic            bool
	allowUnencrypted bool
	auths            []Authenticator
	maxShells        int
	maxOps           int
	maxTimeout       time.Duration
	maxEnvelopeKB    int
	idleTimeout      time.Duration
	faults           Faults
	logLimit         int
}

func defaultConfig() config {
	return config{
		addr:             "127.0.0.1:0",
		users:            map[string]string{DefaultUser: DefaultPassword},
		basic:            true,
		allowUnencrypted: true,
		maxShells:        DefaultMaxShellsPerUser,
		maxOps:           DefaultMaxConcurrentOperationsPerUser,
		maxTimeout:       DefaultMaxTimeout,
		maxEnvelopeKB:    DefaultMaxEnvelopeSizeKB,
		idleTimeout:      DefaultIdleTimeout,
	}
}

func (c *config) validate() error {
	switch {
	case c.maxShells < 1:
		return fmt.Errorf("winrmtest: WithMaxShellsPerUser(%d): must be at least 1", c.maxShells)
	case c.maxOps < 1:
		return fmt.Errorf("winrmtest: WithMaxConcurrentOperationsPerUser(%d): must be at least 1", c.maxOps)
	case c.maxTimeout <= 0:
		return fmt.Errorf("winrmtest: WithMaxTimeout(%v): must be positive", c.maxTimeout)
	case c.maxEnvelopeKB < 1:
		return fmt.Errorf("winrmtest: WithMaxEnvelopeSizeKB(%d): must be at least 1", c.maxEnvelopeKB)
	case c.idleTimeout <= 0:
		return fmt.Errorf("winrmtest: WithIdleTimeout(%v): must be positive", c.idleTimeout)
	case c.logLimit < 0:
		return fmt.Errorf("winrmtest: WithLogLimit(%d): must not be negative", c.logLimit)
	}
	for i, a := range c.auths {
		if a == nil {
			return fmt.Errorf("winrmtest: WithAuthenticator #%d is nil", i+1)
		}
		if v, ok := a.(interface{ validate() error }); ok {
			if err := v.validate(); err != nil {
				return err
			}
		}
	}
	return nil
}

// WithAddr sets the listen address, "127.0.0.1:0" by default. Only loopback
// addresses are meant to be used ("127.0.0.x:port", "[::1]:port").
func WithAddr(addr string) Option { return func(c *config) { c.addr = addr } }

// WithTLS serves HTTPS. Unless WithCA is given, a fresh test CA is generated
// and the server certificate names the listen IP address and "localhost".
func WithTLS() Option { return func(c *config) { c.tls = true } }

// WithCA serves HTTPS with a certificate issued by ca. Sharing one CA between
// many servers saves key generation and lets a client trust them all.
func WithCA(ca *CA) Option { return func(c *config) { c.tls = true; c.ca = ca } }

// WithCertHosts serves HTTPS with a certificate for exactly these host names
// or IP addresses instead of the listen address. A name the client does not
// dial gives it a certificate for the wrong host.
func WithCertHosts(hosts ...string) Option {
	return func(c *config) { c.tls = true; c.certHosts = append([]string(nil), hosts...) }
}

// WithUsers replaces the accounts (user name → password). User names are
// matched case-insensitively, with a "DOMAIN\" prefix or "@domain" suffix
// removed, as Windows does for local accounts.
func WithUsers(users map[string]string) Option {
	return func(c *config) { c.users = maps.Clone(users) }
}

// WithRestrictedUsers names accounts that authenticate but are not allowed to
// use WinRM (not in Remote Management Users): every request they send gets the
// AccessDenied fault (code 5).
func WithRestrictedUsers(users ...string) Option {
	return func(c *config) {
		c.restricted = make(map[string]bool, len(users))
		for _, u := range users {
			c.restricted[canonicalUser(u)] = true
		}
	}
}

// WithBasicAuth turns Basic authentication on (the default) or off.
func WithBasicAuth(on bool) Option { return func(c *config) { c.basic = on } }

// WithAllowUnencrypted sets the service's AllowUnencrypted setting (true by
// default, so that Basic over HTTP works). Basic over plain HTTP with
// AllowUnencrypted=false gets 401, like Windows. Authenticators see the
// setting in AuthRequest.AllowUnencrypted.
func WithAllowUnencrypted(on bool) Option { return func(c *config) { c.allowUnencrypted = on } }

// WithAuthenticator adds an authentication scheme. Authenticators are asked
// in the order they were added; Basic, when enabled, comes last (Windows lists
// Negotiate before Basic in its 401).
func WithAuthenticator(a Authenticator) Option {
	return func(c *config) { c.auths = append(c.auths, a) }
}

// WithMaxShellsPerUser sets MaxShellsPerUser (default 30).
func WithMaxShellsPerUser(n int) Option { return func(c *config) { c.maxShells = n } }

// WithMaxConcurrentOperationsPerUser sets MaxConcurrentOperationsPerUser
// (default 1500). Every Command counts as one operation until its shell is
// deleted (Signal does not release it, as on Windows).
func WithMaxConcurrentOperationsPerUser(n int) Option { return func(c *config) { c.maxOps = n } }

// WithMaxTimeout sets MaxTimeoutms: a Receive waits at most
// min(OperationTimeout, d) before the TimedOut fault.
func WithMaxTimeout(d time.Duration) Option { return func(c *config) { c.maxTimeout = d } }

// WithMaxEnvelopeSizeKB sets MaxEnvelopeSizekb (default 500): a request body
// larger than kb*1024 bytes gets HTTP 413.
func WithMaxEnvelopeSizeKB(kb int) Option { return func(c *config) { c.maxEnvelopeKB = kb } }

// WithIdleTimeout sets the shell idle timeout (default 2h). A shell that sees
// no request for that long is deleted as if by a Delete request.
func WithIdleTimeout(d time.Duration) Option { return func(c *config) { c.idleTimeout = d } }

// WithFaults starts the server with these faults injected.
func WithFaults(f Faults) Option {
	return func(c *config) { c.faults = f.clone() }
}

// WithLogLimit keeps only the n most recent requests in the log (n > 0), to
// bound memory when many servers run long. The default keeps everything.
func WithLogLimit(n int) Option { return func(c *config) { c.logLimit = n } }
