package remote

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/masterzen/winrm"
)

// defaultKrb5Conf is where gokrb5 reads the Kerberos configuration when
// KerberosConfig.ConfigFile is empty.
const defaultKrb5Conf = "/etc/krb5.conf"

// kerberosSettings maps a Target to masterzen's Settings for ClientKerberos.
// The password goes only into the Settings, never into an error.
func kerberosSettings(t Target) *winrm.Settings {
	user, realm := t.User, t.Kerberos.Realm
	if i := strings.IndexByte(user, '@'); i >= 0 {
		if realm == "" {
			realm = user[i+1:]
		}
		user = user[:i]
	} else if i := strings.IndexByte(user, '\\'); i >= 0 {
		if realm == "" {
			realm = user[:i]
		}
		user = user[i+1:]
	}
	conf := t.Kerberos.ConfigFile
	if conf == "" {
		conf = defaultKrb5Conf
	}
	return &winrm.Settings{
		WinRMUsername: user,
		WinRMPassword: t.Password,
		WinRMHost:     t.Host,
		WinRMPort:     t.port(),
		WinRMProto:    t.scheme(),
		WinRMInsecure: t.InsecureSkipVerify,
		KrbRealm:      strings.ToUpper(realm),
		KrbConfig:     conf,
		KrbSpn:        t.Kerberos.SPN,
		KrbCCache:     t.Kerberos.CCacheFile,
	}
}

// kerberosPoster wraps masterzen's ClientKerberos, which takes no context
// and reports non-200 answers as strings that we parse back into typed
// errors. Its requests cannot be cut, so each runs in a goroutine that the
// caller stops waiting for when ctx ends: the budget and a cancellation
// hold for the caller, and the abandoned request finishes in the
// background, bounded by gokrb5's and masterzen's own timeouts (see
// README.md, Limits).
type kerberosPoster struct {
	t     *transport
	inner *winrm.ClientKerberos
	// inflight counts the posts still running, abandoned ones included,
	// so that a test can wait for them to end.
	inflight sync.WaitGroup
}

func newKerberosPoster(t *transport, tg Target) (*kerberosPoster, error) {
	inner := winrm.NewClientKerberos(kerberosSettings(tg))
	ca := append([]byte(nil), tg.CAPEM...)
	if tg.CAFile != "" {
		pem, err := os.ReadFile(tg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ca file: %w", err)
		}
		ca = append(append(ca, '\n'), pem...)
	}
	ep := &winrm.Endpoint{Host: tg.Host, Port: tg.port(), HTTPS: tg.HTTPS, Insecure: tg.InsecureSkipVerify,
		TLSServerName: tg.ServerName, CACert: ca, Timeout: t.readTimeout}
	if err := inner.Transport(ep); err != nil {
		return nil, err
	}
	return &kerberosPoster{t: t, inner: inner}, nil
}

// kerberosStatus matches ClientKerberos's "request returned: 401 - …" text.
var kerberosStatus = regexp.MustCompile(`^request returned: (\d{3}) - `)

func (p *kerberosPoster) post(ctx context.Context, req wsmanRequest, _ []byte, _ *lazyAnswer) (httpAnswer, error) {
	op := req.op
	msg := req.masterzen(p.t.url, p.t.params)
	if ctx.Err() != nil {
		return httpAnswer{}, ctxError(ctx, p.t.host, op)
	}
	type result struct {
		out string
		err error
	}
	done := make(chan result, 1) // buffered: an abandoned post does not block
	p.inflight.Go(func() {
		// ClientKerberos does not use its *winrm.Client argument. It only
		// reads msg, which masterzen never changes after Post (Free is a
		// no-op), so an abandoned post may go on reading it.
		out, err := p.inner.Post(nil, msg)
		done <- result{out, err}
	})
	select {
	case r := <-done:
		if r.err == nil {
			return httpAnswer{status: http.StatusOK, header: soapHeader(), body: []byte(r.out)}, nil
		}
		return p.classify(ctx, op, r.err)
	case <-ctx.Done():
		return httpAnswer{}, ctxError(ctx, p.t.host, op)
	}
}

func soapHeader() http.Header {
	return http.Header{"Content-Type": {"application/soap+xml;charset=UTF-8"}}
}

// classify turns ClientKerberos's error back into the HTTP answer it
// reports ("request returned: 401 - …") or into an *Error.
func (p *kerberosPoster) classify(ctx context.Context, op string, err error) (httpAnswer, error) {
	msg := err.Error()
	if m := kerberosStatus.FindStringSubmatch(msg); m != nil {
		status, _ := strconv.Atoi(m[1])
		var b []byte
		if i := strings.Index(msg, "Response body:\n"); i >= 0 {
			b = []byte(msg[i+len("Response body:\n"):])
		}
		// The transport decodes it, w:TimedOut on Receive included.
		return httpAnswer{status: status, header: soapHeader(), body: b}, nil
	}
	if strings.Contains(msg, "SPNego") || strings.Contains(msg, "krb5") || strings.Contains(msg, "ccache") ||
		strings.Contains(msg, "kerberos") || strings.Contains(msg, "KRB") {
		return httpAnswer{}, &Error{Host: p.t.host, Op: op, Kind: ErrAuth, Err: errors.New(shortenKerberos(msg)),
			Hint: "Kerberos could not get a ticket: check krb5.conf, the realm, the KDC reachability, the SPN and the clock"}
	}
	return httpAnswer{}, p.t.transportError(ctx, op, err)
}

// shortenKerberos cuts gokrb5's message to about 500 bytes, at a rune
// boundary. It removes nothing else: the message names no secret (the
// password stays in the gokrb5 client).
func shortenKerberos(s string) string {
	const maxLen = 500
	if len(s) <= maxLen {
		return s
	}
	cut := maxLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
