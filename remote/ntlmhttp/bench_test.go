//go:build unix

package ntlmhttp_test

import (
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/masterzen/winrm"

	"github.com/winfleet/winfleet/remote/ntlmhttp"
	"github.com/winfleet/winfleet/remote/winrmtest"
)

// basicRT adds Basic credentials to every request, as winfleet's Basic
// transport does.
type basicRT struct{ http.RoundTripper }

func (b basicRT) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.SetBasicAuth(user, password)
	return b.RoundTripper.RoundTrip(r)
}

// cpuTime is the user+system CPU time of the whole process (client and
// emulator run in it together).
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCommand runs one command ("echo x": Create, Command, Receive,
// Signal, Delete) per iteration and reports the HTTP requests the server
// saw and the process CPU time (client + emulator) per command.
//
//	steady: one client for all iterations, connections reused (the
//	        handshake is paid once, not per command)
//	cold:   a new RoundTripper per command (handshake included)
func BenchmarkCommand(b *testing.B) {
	type setup struct {
		name string
		opts []winrmtest.Option
		rt   func(srv *winrmtest.Server) http.RoundTripper
		mz   func() winrm.Transporter // masterzen's own transport instead of rt
		cold bool
	}
	ntlmSrv := []winrmtest.Option{winrmtest.WithNTLM(), winrmtest.WithBasicAuth(false), winrmtest.WithAllowUnencrypted(true)}
	encSrv := []winrmtest.Option{winrmtest.WithNTLM(), winrmtest.WithBasicAuth(false), winrmtest.WithAllowUnencrypted(false)}
	ntlmRT := func(encrypt bool) func(*winrmtest.Server) http.RoundTripper {
		return func(*winrmtest.Server) http.RoundTripper {
			return ntlmhttp.New(ntlmhttp.Options{User: user, Password: password, Encrypt: encrypt})
		}
	}
	setups := []setup{
		{name: "basic", opts: []winrmtest.Option{winrmtest.WithAllowUnencrypted(true)},
			rt: func(*winrmtest.Server) http.RoundTripper { return basicRT{&http.Transport{}} }},
		{name: "ntlm/steady", opts: ntlmSrv, rt: ntlmRT(false)},
		{name: "ntlm/cold", opts: ntlmSrv, rt: ntlmRT(false), cold: true},
		{name: "ntlm+encryption/steady", opts: encSrv, rt: ntlmRT(true)},
		{name: "ntlm+encryption/cold", opts: encSrv, rt: ntlmRT(true), cold: true},
		{name: "masterzen-ClientNTLM", opts: ntlmSrv, mz: func() winrm.Transporter { return &winrm.ClientNTLM{} }},
		{name: "masterzen-Encryption", opts: encSrv, mz: func() winrm.Transporter {
			e, _ := winrm.NewEncryption("ntlm")
			return e
		}},
	}
	for _, s := range setups {
		b.Run(s.name, func(b *testing.B) {
			srv := winrmtest.NewServer(host(), append(s.opts, winrmtest.WithUsers(map[string]string{user: password}))...)
			defer srv.Close()
			defer http.DefaultTransport.(*http.Transport).CloseIdleConnections()
			ctx := b.Context()
			newClient := func() (*winrm.Client, func()) {
				if s.mz != nil {
					ep := &winrm.Endpoint{Host: srv.Host(), Port: srv.Port(), Timeout: 20 * time.Second}
					params := winrm.NewParameters("PT5S", "en-US", 153600)
					params.TransportDecorator = s.mz
					c, err := winrm.NewClientWithParameters(ep, user, password, params)
					if err != nil {
						b.Fatal(err)
					}
					return c, func() {}
				}
				rt := s.rt(srv)
				closeIdle := func() {
					if ci, ok := rt.(interface{ CloseIdleConnections() }); ok {
						ci.CloseIdleConnections()
					} else if br, ok := rt.(basicRT); ok {
						br.RoundTripper.(*http.Transport).CloseIdleConnections()
					}
				}
				return client(ctx, b, srv, rt), closeIdle
			}
			c, done := newClient()
			if _, _, _, err := c.RunCmdWithContext(ctx, "echo warm"); err != nil {
				b.Fatal(err)
			}
			srv.ResetLog()
			cpu0 := cpuTime(b)
			b.ResetTimer()
			for b.Loop() {
				if s.cold {
					done()
					c, done = newClient()
				}
				if _, _, _, err := c.RunCmdWithContext(ctx, "echo x"); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			cpu := cpuTime(b) - cpu0
			done()
			b.ReportMetric(float64(len(srv.Log()))/float64(b.N), "requests/cmd")
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/cmd")
		})
	}
}
