package winrmtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/winfleet/winfleet/remote/winrmtest"
)

func TestPywinrm(t *testing.T) {
	py := python(t)
	var srv *winrmtest.Server
	host := testHost()
	// "slow" prints once the server has sent two TimedOut faults.
	h := winrmtest.HandlerFunc(func(ctx context.Context, c *winrmtest.Command) int {
		if c.Line != "slow" {
			return host.Run(ctx, c)
		}
		if err := srv.WaitLog(ctx, func(l []winrmtest.Request) bool { return numFaults(l, winrmtest.CodeTimedOut) >= 2 }); err != nil {
			return 1
		}
		io.WriteString(c.Stdout, "slept\r\n")
		return 0
	})
	srv = winrmtest.NewServer(programs{h, map[string]bool{}}, winrmtest.WithMaxTimeout(100*time.Millisecond))
	defer srv.Close()
	type tcase struct {
		Cmd          string `json:"cmd"`
		SkipCmdShell bool   `json:"skip_cmd_shell"`
	}
	type result struct {
		Stdout []byte `json:"stdout"`
		Stderr []byte `json:"stderr"`
		Code   int    `json:"code"`
		Error  string `json:"error"`
	}
	tests := []struct {
		in   tcase
		want result
	}{
		{tcase{Cmd: "echo hello"}, result{Stdout: []byte("hello\r\n")}},
		{tcase{Cmd: "fail 3 boom"}, result{Stderr: []byte("boom\r\n"), Code: 3}},
		{tcase{Cmd: "both"}, result{Stdout: []byte("out \r\n"), Stderr: []byte("err \r\n"), Code: 1}},
		{tcase{Cmd: "chunks a b c"}, result{Stdout: []byte("abc")}},
		{tcase{Cmd: "hex 8182ff00"}, result{Stdout: []byte{0x81, 0x82, 0xff, 0x00}}},
		// Output after several TimedOut faults (MaxTimeout 100ms).
		{tcase{Cmd: "slow"}, result{Stdout: []byte("slept\r\n")}},
		{tcase{Cmd: "big 400000"}, result{Stdout: bytes.Repeat([]byte("x"), 400000)}},
		{tcase{Cmd: "nosuch.exe", SkipCmdShell: true}, result{Error: "The system cannot find the file specified."}},
	}
	var in []tcase
	for _, tt := range tests {
		in = append(in, tt.in)
	}
	stdin, _ := json.Marshal(in)
	cmd := exec.CommandContext(testCtx(t), py, "testdata/pywinrm_client.py")
	cmd.Stdin = bytes.NewReader(stdin)
	cmd.Env = append(os.Environ(),
		"WINRMTEST_URL="+srv.Endpoint(),
		"WINRMTEST_USER="+winrmtest.DefaultUser,
		"WINRMTEST_PASSWORD="+winrmtest.DefaultPassword,
		"NO_PROXY=127.0.0.1,localhost", "no_proxy=127.0.0.1,localhost")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pywinrm client: %v\n%s", err, stderr.String())
	}
	var got []result
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("pywinrm client output %q: %v", out, err)
	}
	if len(got) != len(tests) {
		t.Fatalf("%d results for %d commands", len(got), len(tests))
	}
	for i, tt := range tests {
		g := got[i]
		if tt.want.Error != "" {
			if !strings.Contains(g.Error, tt.want.Error) || !strings.Contains(g.Error, "2147942402") {
				t.Errorf("pywinrm %q: error %q, want the InternalError fault %q", tt.in.Cmd, g.Error, tt.want.Error)
			}
			continue
		}
		if g.Error != "" || !bytes.Equal(g.Stdout, tt.want.Stdout) || !bytes.Equal(g.Stderr, tt.want.Stderr) || g.Code != tt.want.Code {
			t.Errorf("pywinrm %q = (%q, %q, %d, err %q), want (%q, %q, %d)", tt.in.Cmd, trunc(g.Stdout), g.Stderr, g.Code, g.Error, trunc(tt.want.Stdout), tt.want.Stderr, tt.want.Code)
		}
	}
	log := srv.Log()
	if n := numFaults(log, winrmtest.CodeTimedOut); n < 2 {
		t.Errorf("%d TimedOut faults, want pywinrm to have retried through several", n)
	}
	if n := srv.OpenShells(); n != 0 {
		t.Errorf("OpenShells() = %d after pywinrm closed its shells", n)
	}
	for _, r := range log {
		if r.Op == winrmtest.OpUnknown || r.Op == winrmtest.OpAuth {
			t.Errorf("request the server did not understand: %+v", r)
		}
	}
}

func trunc(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}
