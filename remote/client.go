package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/masterzen/winrm"
)

// ErrClosed is returned by Run and RunBatch on a closed Client. It is a
// programming error, not a host status.
var ErrClosed = errors.New("remote: client is closed")

// Client runs commands on one host over WinRM. It opens one shell on the
// first Run and reuses it for every command until Close deletes it.
//
// A Client is safe for concurrent use, but it runs one command (or batch) at
// a time: concurrent calls wait for each other. Clients share nothing, so
// hundreds can run at once.
type Client struct {
	host   string // host:port, for errors and logs
	opts   Options
	params winrm.Parameters // a copy, for the envelopes; DefaultParameters is never touched
	tr     *transport
	idle   interface{ CloseIdleConnections() } // nil for kerberos (masterzen owns that transport)
	dec    decoder
	log    *slog.Logger

	mu        sync.Mutex
	shellID   string // "" when no shell is open
	shellCmds int    // Commands sent on the shell
	out       output // the output of the call in progress; buffers pooled
	closed    bool
	onLogon   func() // called once, when the first shell is created
}

// OnLogon makes the client call f once, when the host first accepts the
// credential: the first shell is created (an authenticated request was
// answered). f runs in the goroutine of the Run or RunBatch that creates
// the shell, before that call returns. A caller that must know whether
// the credential works (a lockout guard) need not wait for the first
// command's output, which may be large, slow or fail for other reasons.
func (c *Client) OnLogon(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onLogon = f
}

// Result is the outcome of one command of a batch. Stdout and Stderr are
// decoded text (UTF-8, or the OEM code page for invalid bytes; CLIXML
// stderr becomes plain text).
type Result struct {
	Stdout   string
	Stderr   string
	ExitCode int
}

// Dial checks the target and options and builds the client and its
// transport. It sends nothing: the shell is opened by the first Run, so a
// host that is down is reported by Run (or RunBatch), not by Dial. Errors
// are *Error with Kind ErrConfig or ErrInsecure.
func Dial(ctx context.Context, t Target, o Options) (*Client, error) {
	t.Host = strings.TrimSuffix(strings.TrimPrefix(t.Host, "["), "]")
	host := t.Address()
	fail := func(kind error, hint string, err error) (*Client, error) {
		return nil, &Error{Host: host, Op: "dial", Kind: kind, Hint: hint, Err: err}
	}
	if err := ctx.Err(); err != nil {
		return nil, ctxError(ctx, host, "dial")
	}
	o, err := o.withDefaults()
	if err != nil {
		return fail(ErrConfig, "", err)
	}
	kind := t.transport()
	encrypt := messageEncryption(t)
	if !t.HTTPS && !t.AllowUnencrypted {
		switch kind {
		case TransportNTLM:
			if !encrypt {
				return fail(ErrInsecure, "NTLM without message encryption over plain HTTP sends commands and output in clear: use message_encryption=auto/always or https, or set allow_unencrypted",
					errors.New("ntlm without message encryption over plain http without allow_unencrypted"))
			}
		case TransportBasic:
			return fail(ErrInsecure, "Basic over plain HTTP sends the password in clear: use https (port 5986), or set allow_unencrypted if the host has AllowUnencrypted=true and you accept that",
				errors.New("basic auth over plain http without allow_unencrypted"))
		case TransportKerberos:
			return fail(ErrInsecure, "kerberos here has no message encryption, so commands and output travel in clear: use https, or set allow_unencrypted",
				errors.New("kerberos over plain http without allow_unencrypted"))
		}
	}

	if err := validateTarget(t); err != nil {
		return fail(ErrConfig, "", err)
	}
	c := &Client{host: host, opts: o, dec: newDecoder(o.CodePage), log: o.Logger.With(slog.String("host", host))}
	c.tr = &transport{host: host, url: (&url.URL{Scheme: t.scheme(), Host: host, Path: "/wsman"}).String(), kind: kind, https: t.HTTPS, readTimeout: o.ReadTimeout, log: c.log,
		fastTimedOut: fastTimedOutFor(o.OperationTimeout)}

	if t.InsecureSkipVerify && t.HTTPS {
		c.log.Warn("TLS certificate verification is disabled: anyone on the path can impersonate the host and read the credentials")
	}
	if !t.HTTPS && t.AllowUnencrypted && !(kind == TransportNTLM && encrypt) {
		c.log.Warn("WinRM over plain HTTP: commands and output travel unencrypted", slog.String("transport", kind))
	}

	switch kind {
	case TransportKerberos:
		kp, err := newKerberosPoster(c.tr, t)
		if err != nil {
			return fail(ErrConfig, "", err)
		}
		c.tr.poster = kp
	default:
		p, idle, err := newPoster(c.tr, kind, t, o, encrypt)
		if err != nil {
			return fail(ErrConfig, "", err)
		}
		c.tr.poster, c.idle = p, idle
	}

	// Copy the defaults: the README idiom of editing winrm.DefaultParameters
	// races between clients and leaks settings (reference/winrm.md §6.6).
	c.params = *winrm.DefaultParameters
	c.params.Timeout = wsmanDuration(o.OperationTimeout)
	c.params.Dial = nil
	c.params.TransportDecorator = nil
	c.tr.params = &c.params
	return c, nil
}

func validateTarget(t Target) error {
	switch {
	case t.Host == "":
		return errors.New("host is empty")
	case strings.ContainsAny(t.Host, "/ \t\r\n@?#"):
		return fmt.Errorf("host %q is not a host name or address", t.Host)
	case t.Port < 0 || t.Port > 65535:
		return fmt.Errorf("port %d is out of range", t.Port)
	}
	switch t.transport() {
	case TransportBasic, TransportNTLM:
		if t.User == "" {
			return fmt.Errorf("user is empty (transport %s)", t.transport())
		}
	case TransportKerberos:
		if t.User == "" && t.Kerberos.CCacheFile == "" {
			return errors.New("kerberos needs a user or a credential cache")
		}
		// gokrb5 reads these on every request; a missing file is a
		// configuration error, not an authentication failure.
		conf := t.Kerberos.ConfigFile
		if conf == "" {
			conf = defaultKrb5Conf
		}
		for _, f := range []string{conf, t.Kerberos.CCacheFile} {
			if f == "" {
				continue
			}
			if _, err := os.Stat(f); err != nil {
				return fmt.Errorf("kerberos: %w", err)
			}
		}
	case TransportCertificate:
		if !t.HTTPS {
			return errors.New("certificate transport needs https")
		}
		if len(t.ClientCertPEM) == 0 || len(t.ClientKeyPEM) == 0 {
			return errors.New("certificate transport needs a client certificate and key")
		}
	default:
		return fmt.Errorf("transport %q is not one of basic, ntlm, kerberos, certificate", t.Transport)
	}
	switch strings.ToLower(t.MessageEncryption) {
	case "", "auto", "always", "never":
	default:
		return fmt.Errorf("message encryption %q is not one of auto, always, never", t.MessageEncryption)
	}
	return nil
}

// Run runs one command line through cmd.exe on the host and writes its
// decoded stdout and stderr to the writers (either may be nil) once it has
// finished. The exit code is meaningful only when err is nil.
//
// Requests: Command + at least one Receive (one per output batch, and one
// per OperationTimeout without output); the first call on a Client adds a
// Create. No Signal is sent for a command that finished.
//
// Errors: *Error for everything about the host (see the sentinels); an
// error wrapping context.Canceled if ctx was cancelled; ErrTimeout and
// context.DeadlineExceeded if ctx's deadline passed. After an error (other
// than a non-zero exit code) the shell is deleted best-effort within
// Options.CleanupTimeout and the next Run opens a new one.
func (c *Client) Run(ctx context.Context, cmd string, stdout, stderr io.Writer) (exitCode int, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, ErrClosed
	}
	defer c.out.release()
	r, err := c.exec(ctx, cmd)
	if err != nil {
		return 0, err
	}
	if stdout != nil {
		if _, err := io.WriteString(stdout, c.dec.decodeOutput(r.stdout)); err != nil {
			return r.exitCode, fmt.Errorf("write stdout: %w", err)
		}
	}
	if stderr != nil {
		if _, err := io.WriteString(stderr, c.dec.decodeStderr(r.stderr)); err != nil {
			return r.exitCode, fmt.Errorf("write stderr: %w", err)
		}
	}
	return r.exitCode, nil
}

// RunBatch runs cmds in order on the host's shell and returns each one's
// decoded output and exit code. Consecutive batchable commands go in one
// Command round trip (see encodeBatch and README.md); a command that cannot
// be batched (it contains '!', an odd number of '"', or a newline), or a
// batch that would exceed cmd.exe's 8191 characters, is split: such
// commands are sent on their own on the same shell.
//
// On error it returns the results of the commands that completed, in order.
func (c *Client) RunBatch(ctx context.Context, cmds []string) ([]Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	defer c.out.release()
	results := make([]Result, 0, len(cmds))
	for _, group := range planBatch(cmds) {
		if len(group) == 1 {
			r, err := c.exec(ctx, cmds[group[0]])
			if err != nil {
				return results, err
			}
			results = append(results, c.result(r))
			continue
		}
		part := make([]string, len(group))
		for i, idx := range group {
			part[i] = cmds[idx]
		}
		nonce := newNonce()
		line, err := encodeBatch(nonce, part)
		if err != nil {
			// planBatch only groups commands that encode; keep the check.
			return results, &Error{Host: c.host, Op: "batch", Kind: ErrConfig, Err: err}
		}
		r, err := c.exec(ctx, line)
		if err != nil {
			return results, err
		}
		raws, err := decodeBatch(nonce, len(part), r.stdout, r.stderr)
		for _, raw := range raws {
			results = append(results, c.result(raw))
		}
		if err != nil {
			return results, &Error{Host: c.host, Op: "batch", Kind: ErrProtocol, Err: err,
				Hint: "a command of the batch ended cmd.exe early or printed a forged marker"}
		}
	}
	return results, nil
}

func (c *Client) result(r rawResult) Result {
	return Result{Stdout: c.dec.decodeOutput(r.stdout), Stderr: c.dec.decodeStderr(r.stderr), ExitCode: r.exitCode}
}

// planBatch groups the indexes of cmds: consecutive batchable commands
// whose encoded line fits cmd.exe's limit share a group; other commands are
// alone. It adds up the encoded lengths (batchCmdLen) instead of encoding
// every prefix.
func planBatch(cmds []string) [][]int {
	var groups [][]int
	var cur []int
	curLen := 0 // length of cur's encoded line
	flush := func() {
		if len(cur) > 0 {
			groups = append(groups, cur)
		}
		cur, curLen = nil, 0
	}
	for i, cmd := range cmds {
		if checkBatchable(cmd) != nil {
			flush()
			groups = append(groups, []int{i})
			continue
		}
		if len(cur) > 0 && curLen+len(batchSep)+batchCmdLen(len(cur), len(cmd), nonceLen) > maxCmdLine {
			flush()
		}
		if len(cur) == 0 {
			curLen = len(batchHead) + len(batchTail) + batchCmdLen(0, len(cmd), nonceLen)
			if curLen > maxCmdLine {
				groups = append(groups, []int{i})
				curLen = 0
				continue
			}
		} else {
			curLen += len(batchSep) + batchCmdLen(len(cur), len(cmd), nonceLen)
		}
		cur = append(cur, i)
	}
	flush()
	return groups
}

// exec runs one command line and returns its raw output, which stays valid
// until the next exec or c.out.release. c.mu is held.
//
// It drives the command itself: Command, then Receive until the command
// reports Done, decoding each answer with the streaming decoder (output
// goes straight into c.out, bounded by Options.MaxOutput). masterzen
// builds the requests.
func (c *Client) exec(ctx context.Context, line string) (rawResult, error) {
	if err := ctx.Err(); err != nil {
		return rawResult{}, ctxError(ctx, c.host, "command")
	}
	if strings.Contains(line, "]]>") {
		// masterzen puts the line in a CDATA section, which "]]>" would end.
		return rawResult{}, &Error{Host: c.host, Op: "command", Kind: ErrConfig,
			Err: errors.New(`command line contains "]]>", which cannot be sent in a WS-Man CDATA section`)}
	}
	if c.shellCmds >= maxCommandsPerShell {
		// Each Command holds one of the user's MaxConcurrentOperationsPerUser
		// (1500) until its shell is deleted (MS-WSMV note <118>).
		if err := c.deleteShell(ctx); err != nil {
			c.log.Debug("delete of a used-up shell", slog.Any("err", err))
		}
	}
	if err := c.ensureShell(ctx); err != nil {
		return rawResult{}, err
	}
	c.shellCmds++
	r, err := c.tr.exchange(ctx, wsmanRequest{op: "command", shellID: c.shellID, line: line}, nil)
	if err != nil {
		c.dropShell(ctx, err)
		return rawResult{}, err
	}
	cmdID := r.commandID
	c.out.reset(c.opts.MaxOutput)
	for {
		r, err := c.tr.exchange(ctx, wsmanRequest{op: "receive", shellID: c.shellID, cmdID: cmdID}, &c.out)
		if err != nil {
			if errors.Is(err, ErrOutputTooLarge) {
				c.decodeExcerpt(err)
				c.signal(ctx, cmdID)
			}
			c.dropShell(ctx, err)
			return rawResult{}, err
		}
		if r.done {
			return rawResult{stdout: c.out.stdout, stderr: c.out.stderr, exitCode: r.exitCode}, nil
		}
	}
}

// decodeExcerpt decodes the head and tail of an output over the limit like
// the output itself.
func (c *Client) decodeExcerpt(err error) {
	var big *OutputTooLargeError
	if errors.As(err, &big) {
		big.Head, big.Tail = c.dec.decodeOutput([]byte(big.Head)), c.dec.decodeOutput([]byte(big.Tail))
	}
}

// signal terminates a command best-effort within Options.CleanupTimeout,
// even when ctx is done.
func (c *Client) signal(ctx context.Context, cmdID string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.opts.CleanupTimeout)
	defer cancel()
	if _, err := c.tr.exchange(ctx, wsmanRequest{op: "signal", shellID: c.shellID, cmdID: cmdID}, nil); err != nil {
		c.log.Debug("signal terminate", slog.Any("err", err))
	}
}

// ensureShell opens the client's shell if it has none. c.mu is held.
func (c *Client) ensureShell(ctx context.Context) error {
	if c.shellID != "" {
		return nil
	}
	// A Create abandoned the moment ctx ends may still open a shell on the
	// host whose ID we never learn, and so can never delete. So Create gets
	// createGrace more to answer after ctx ends; the shell it opened is then
	// deleted at once.
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		t := time.NewTimer(min(c.opts.CleanupTimeout, createGrace))
		defer t.Stop()
		select {
		case <-t.C:
			cancel()
		case <-cctx.Done():
		}
	})
	defer stop()
	r, err := c.tr.exchange(cctx, wsmanRequest{op: "create"}, nil)
	if err != nil {
		if ctx.Err() != nil {
			return ctxError(ctx, c.host, "create")
		}
		return err
	}
	c.shellID, c.shellCmds = r.shellID, 0
	if c.log.Enabled(ctx, slog.LevelDebug) {
		c.log.LogAttrs(ctx, slog.LevelDebug, "shell opened", slog.String("shell", r.shellID))
	}
	if f := c.onLogon; f != nil {
		c.onLogon = nil
		f()
	}
	if ctx.Err() != nil {
		err := ctxError(ctx, c.host, "create")
		c.dropShell(ctx, err)
		return err
	}
	return nil
}

// maxCommandsPerShell is how many commands a shell runs before the client
// replaces it, well below Windows' MaxConcurrentOperationsPerUser (1500).
const maxCommandsPerShell = 1000

// createGrace bounds how long a Create may still run after the caller's
// context ended (see ensureShell).
const createGrace = 500 * time.Millisecond

// dropShell deletes the shell best-effort after a failed or cancelled
// command, so that nothing is left running on the host, and forgets it.
// After a 401 it sends nothing: another attempt with refused credentials
// counts toward an account lockout. (After an InvalidSelectors fault it
// still tries: one wasted request is cheaper than a shell left behind.)
// c.mu is held.
func (c *Client) dropShell(ctx context.Context, cause error) {
	if c.shellID == "" {
		return
	}
	if errors.Is(cause, ErrAuth) {
		c.log.Debug("shell forgotten without Delete", slog.String("shell", c.shellID), slog.Any("cause", cause))
		c.shellID = ""
		return
	}
	if err := c.deleteShell(ctx); err != nil {
		c.log.Debug("delete after failed command", slog.Any("err", err))
	}
}

// deleteShell sends Delete within Options.CleanupTimeout, even when ctx is
// done already, and forgets the shell whatever the answer.
func (c *Client) deleteShell(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.opts.CleanupTimeout)
	defer cancel()
	req := wsmanRequest{op: "delete", shellID: c.shellID}
	c.shellID = ""
	_, err := c.tr.exchange(ctx, req, nil)
	return err
}

// Close deletes the shell, if any, best-effort within
// Options.CleanupTimeout (independently of ctx's cancellation, so that a
// cancelled run still cleans up) and closes idle connections. It is
// idempotent; the error is the Delete's, for information.
func (c *Client) Close(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	var err error
	if c.shellID != "" {
		err = c.deleteShell(ctx)
	}
	if c.idle != nil {
		c.idle.CloseIdleConnections()
	}
	return err
}

// Requests returns how many HTTP requests (SOAP messages) this client has
// sent, including failed ones.
func (c *Client) Requests() int { return int(c.tr.requests.Load()) }

// Host returns the host:port the client talks to.
func (c *Client) Host() string { return c.host }
