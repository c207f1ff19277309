package winrmtest_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/masterzen/winrm"
	"go.uber.org/goleak"

	"github.com/winfleet/winfleet/remote/winrmtest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testHost is a tiny Windows stand-in for the tests:
//
//	echo TEXT        stdout TEXT\r\n, exit 0
//	fail N TEXT      stderr TEXT\r\n, exit N
//	both             stdout "out \r\n", stderr "err \r\n", exit 1
//	chunks A B C     stdout A, B, C as separate writes
//	hex HEX          the decoded bytes on stdout (raw, maybe not UTF-8)
//	cat              stdin copied to stdout
//	sleep D          waits D (or until cancelled), then prints "slept"
//	wait             waits until cancelled, exit 130
//	big N            N bytes of 'x' on stdout in one write
func testHost() winrmtest.Handler {
	return winrmtest.HandlerFunc(func(ctx context.Context, c *winrmtest.Command) int {
		verb, rest, _ := strings.Cut(c.Line, " ")
		switch verb {
		case "echo":
			fmt.Fprintf(c.Stdout, "%s\r\n", rest)
			return 0
		case "fail":
			n, text, _ := strings.Cut(rest, " ")
			code, _ := strconv.Atoi(n)
			fmt.Fprintf(c.Stderr, "%s\r\n", text)
			return code
		case "both":
			io.WriteString(c.Stdout, "out \r\n")
			io.WriteString(c.Stderr, "err \r\n")
			return 1
		case "chunks":
			for _, w := range strings.Fields(rest) {
				io.WriteString(c.Stdout, w)
			}
			return 0
		case "hex":
			b, _ := hex.DecodeString(rest)
			c.Stdout.Write(b)
			return 0
		case "cat":
			io.Copy(c.Stdout, c.Stdin)
			return 0
		case "sleep":
			d, _ := time.ParseDuration(rest)
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
				io.WriteString(c.Stdout, "slept\r\n")
				return 0
			case <-ctx.Done():
				return 130
			}
		case "wait":
			<-ctx.Done()
			return 130
		case "big":
			n, _ := strconv.Atoi(rest)
			c.Stdout.Write(bytes.Repeat([]byte("x"), n))
			return 0
		}
		fmt.Fprintf(c.Stderr, "'%s' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", verb)
		return 1
	})
}

// newClient returns a masterzen client for srv as the default user, with a
// short OperationTimeout.
func newClient(t testing.TB, srv *winrmtest.Server, timeout string) *winrm.Client {
	t.Helper()
	return newClientAs(t, srv, timeout, winrmtest.DefaultUser, winrmtest.DefaultPassword)
}

func newClientAs(t testing.TB, srv *winrmtest.Server, timeout, user, password string) *winrm.Client {
	t.Helper()
	ep := &winrm.Endpoint{
		Host:    srv.Host(),
		Port:    srv.Port(),
		HTTPS:   srv.TLS(),
		CACert:  srv.CACertPEM(),
		Timeout: 20 * time.Second,
	}
	params := winrm.NewParameters(timeout, "en-US", 153600)
	c, err := winrm.NewClientWithParameters(ep, user, password, params)
	if err != nil {
		t.Fatalf("NewClientWithParameters: %v", err)
	}
	return c
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
