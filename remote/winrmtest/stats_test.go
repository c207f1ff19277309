package winrmtest_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/masterzen/winrm"

	"github.com/winfleet/winfleet/remote/winrmtest"
)

// TestStatsBasic: with Basic every request carrying the right credentials is
// an accepted logon, and each attempt with a wrong password is exactly one
// rejected logon (the Create's 401; masterzen does not retry it).
func TestStatsBasic(t *testing.T) {
	srv := winrmtest.NewServer(testHost())
	defer srv.Close()
	c := newClient(t, srv, "PT5S")
	if _, _, _, err := c.RunCmdWithContext(testCtx(t), "echo hi"); err != nil {
		t.Fatal(err)
	}
	st := srv.Stats()
	want := winrmtest.Stats{Requests: int64(len(srv.Log())), LogonsAccepted: int64(len(srv.Log())),
		ShellsCreated: 1, ShellsDeleted: 1, Commands: 1, CommandsAnswered: 1}
	if st != want {
		t.Errorf("after one command: Stats() = %+v, want %+v", st, want)
	}

	bad := newClientAs(t, srv, "PT5S", winrmtest.DefaultUser, "wrong")
	unknown := newClientAs(t, srv, "PT5S", "nobody", winrmtest.DefaultPassword)
	for i := 1; i <= 3; i++ {
		for _, c := range []*winrm.Client{bad, unknown} {
			if _, _, _, err := c.RunCmdWithContext(testCtx(t), "echo hi"); err == nil || !strings.Contains(err.Error(), "401") {
				t.Fatalf("attempt %d: err = %v, want a 401", i, err)
			}
		}
		if got := srv.Stats(); got.LogonsRejected != int64(2*i) || got.LogonsAccepted != want.LogonsAccepted {
			t.Errorf("after %d failed attempts of two clients: rejected %d accepted %d, want %d and %d",
				i, got.LogonsRejected, got.LogonsAccepted, 2*i, want.LogonsAccepted)
		}
	}
	if got := srv.Stats().ShellsOpen(); got != 0 {
		t.Errorf("ShellsOpen() = %d, want 0", got)
	}
}

// TestStatsWhatIsNotALogon: a request without credentials is never counted,
// whatever its answer; Faults.Unauthorized and UnauthorizedOn count the
// requests that carried credentials.
func TestStatsWhatIsNotALogon(t *testing.T) {
	srv := winrmtest.NewServer(testHost())
	defer srv.Close()
	post := func(auth string) int {
		req, _ := http.NewRequestWithContext(testCtx(t), http.MethodPost, srv.Endpoint(), strings.NewReader("<x/>"))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	t.Cleanup(http.DefaultClient.CloseIdleConnections)
	if code := post(""); code != 401 {
		t.Fatalf("anonymous POST: %d", code)
	}
	if code := post("Basic !!!"); code != 401 {
		t.Fatalf("malformed Basic: %d", code)
	}
	if got := srv.Stats(); got.LogonsRejected != 1 || got.LogonsAccepted != 0 || got.Requests != 2 {
		t.Errorf("anonymous + malformed: %+v, want 1 rejected (the malformed one) of 2 requests", got)
	}

	if err := srv.SetFaults(winrmtest.Faults{Unauthorized: true}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := newClient(t, srv, "PT5S").RunCmdWithContext(testCtx(t), "echo hi"); err == nil {
		t.Fatal("Unauthorized: command ran")
	}
	if got := srv.Stats(); got.LogonsRejected != 2 || got.LogonsAccepted != 0 {
		t.Errorf("Unauthorized: %+v, want 2 rejected", got)
	}

	if err := srv.SetFaults(winrmtest.Faults{UnauthorizedOn: map[winrmtest.Op]bool{winrmtest.OpCommand: true}}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := newClient(t, srv, "PT5S").RunCmdWithContext(testCtx(t), "echo hi"); err == nil {
		t.Fatal("UnauthorizedOn Command: command ran")
	}
	// Create accepted; Command accepted, then refused; Delete accepted.
	if got := srv.Stats(); got.LogonsRejected != 3 || got.LogonsAccepted != 3 || got.Commands != 0 {
		t.Errorf("UnauthorizedOn: %+v, want 3 rejected, 3 accepted, no command", got)
	}
}

// TestStatsNTLM: one failed attempt of masterzen's ClientNTLM transport is
// one rejected logon (its anonymous first request and the challenge leg are
// not logons); a successful one is one accepted logon per handshake, and
// Basic credentials sent to an NTLM-only server are a rejected logon.
func TestStatsNTLM(t *testing.T) {
	srv := windowsDefault(t, false, winrmtest.WithAllowUnencrypted(true))
	ntlm := func() winrm.Transporter { return &winrm.ClientNTLM{} }
	if _, _, _, err := masterzenClient(t, srv, ntlmUser, ntlmPassword, ntlm).RunCmdWithContext(ntlmCtx(t), "echo hi"); err != nil {
		t.Fatal(err)
	}
	got := srv.Stats()
	if got.LogonsAccepted != 1 || got.LogonsRejected != 0 || got.Commands != 1 || got.CommandsAnswered != 1 {
		t.Errorf("right password: %+v, want 1 accepted logon (one handshake), 1 command answered", got)
	}
	for i := 1; i <= 3; i++ {
		_, _, _, err := masterzenClient(t, srv, ntlmUser, "wrong", ntlm).RunCmdWithContext(ntlmCtx(t), "echo hi")
		if err == nil || !strings.Contains(err.Error(), "401") {
			t.Fatalf("wrong password: err = %v, want a 401", err)
		}
		if got := srv.Stats(); got.LogonsRejected != int64(i) || got.LogonsAccepted != 1 {
			t.Errorf("after %d failed attempts: %+v, want %d rejected", i, got, i)
		}
	}
	_, _, _, err := newClientAs(t, srv, "PT5S", ntlmUser, ntlmPassword).RunCmdWithContext(ntlmCtx(t), "echo hi")
	if err == nil {
		t.Fatal("Basic on an NTLM-only server ran")
	}
	if got := srv.Stats(); got.LogonsRejected != 4 {
		t.Errorf("Basic on NTLM-only: %+v, want 4 rejected", got)
	}
}

// TestStatsNTLMEncryptionFallsBack documents what masterzen's Encryption
// transport costs when the password is wrong: its own handshake fails, it
// falls back to ClientNTLM silently (reference/winrm.md §7.2 step 5), and
// that handshake fails too: two rejected logons per attempt, which a
// lockout policy counts twice.
func TestStatsNTLMEncryptionFallsBack(t *testing.T) {
	t.Cleanup(http.DefaultTransport.(*http.Transport).CloseIdleConnections)
	srv := windowsDefault(t, false)
	enc := func() winrm.Transporter {
		e, err := winrm.NewEncryption("ntlm")
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	_, _, _, err := masterzenClient(t, srv, ntlmUser, "wrong", enc).RunCmdWithContext(ntlmCtx(t), "echo hi")
	if err == nil {
		t.Fatal("wrong password ran")
	}
	if got := srv.Stats(); got.LogonsRejected != 2 || got.LogonsAccepted != 0 {
		t.Errorf("Encryption, wrong password: %+v, want 2 rejected logons", got)
	}
}

// answerHost runs "dropafter", "hangafter" and "dropbefore" lines: it marks
// the command's answer as withheld (after or before writing "done") and
// counts the commands whose answer was sent.
type answerHost struct{ answered atomic.Int64 }

func (h *answerHost) Run(ctx context.Context, c *winrmtest.Command) int {
	c.OnAnswered(func() { h.answered.Add(1) })
	switch c.Line {
	case "dropbefore":
		c.DropAnswer()
		return 0
	case "dropafter":
		fmt.Fprintf(c.Stdout, "done\r\n")
		c.DropAnswer()
		return 0
	case "hangafter":
		fmt.Fprintf(c.Stdout, "done\r\n")
		c.HangAnswer()
		return 0
	}
	fmt.Fprintf(c.Stdout, "%s\r\n", c.Line)
	return 0
}

func TestCommandWithholdsAnswer(t *testing.T) {
	h := &answerHost{}
	srv := winrmtest.NewServer(h)
	defer srv.Close()
	c := newClient(t, srv, "PT5S")
	if out, _, _, err := c.RunCmdWithContext(testCtx(t), "hello"); err != nil || out != "hello\r\n" {
		t.Fatalf("hello: %q %v", out, err)
	}
	if n := h.answered.Load(); n != 1 {
		t.Errorf("OnAnswered called %d times for one answered command, want 1", n)
	}
	for _, line := range []string{"dropbefore", "dropafter"} {
		out, _, _, err := c.RunCmdWithContext(testCtx(t), line)
		if err == nil || !strings.Contains(err.Error(), "EOF") || out != "" {
			t.Errorf("%s: (%q, %v), want no output and EOF", line, out, err)
		}
	}
	// HangAnswer: every Receive is parked; masterzen retries each one its
	// Endpoint.Timeout ends until the ctx is done.
	ep := &winrm.Endpoint{Host: srv.Host(), Port: srv.Port(), Timeout: 200 * time.Millisecond}
	hc, err := winrm.NewClientWithParameters(ep, winrmtest.DefaultUser, winrmtest.DefaultPassword, winrm.NewParameters("PT5S", "en-US", 153600))
	if err != nil {
		t.Fatal(err)
	}
	hctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	if out, _, _, err := hc.RunCmdWithContext(hctx, "hangafter"); err == nil || out != "" {
		t.Errorf("hangafter: (%q, %v), want no output and a timeout", out, err)
	}
	if n := h.answered.Load(); n != 1 {
		t.Errorf("OnAnswered called %d times, want 1 (withheld answers are not answers)", n)
	}
	st := srv.Stats()
	if st.Commands != 4 || st.CommandsAnswered != 1 {
		t.Errorf("Stats() = %+v, want 4 commands, 1 answered", st)
	}
	notes := map[string]int{}
	for _, r := range srv.Log() {
		if r.Status == -1 {
			notes[r.Note]++
		}
	}
	if notes["answer withheld (Command.DropAnswer)"] != 2 || notes["answer withheld (Command.HangAnswer)"] == 0 || len(notes) != 2 {
		t.Errorf("requests closed without an answer: %v, want 2 dropped and some hung Receives", notes)
	}
}
