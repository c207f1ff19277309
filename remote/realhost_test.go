//go:build winrm_real

package remote

// These tests run against a real Windows host, never in CI:
//
//	WINFLEET_REAL_HOST=web01.corp.example WINFLEET_REAL_USER=admin WINFLEET_REAL_PASSWORD=… \
//	WINFLEET_REAL_HTTPS=1 WINFLEET_REAL_CA=/path/ca.pem WINFLEET_REAL_TRANSPORT=ntlm \
//	go test -tags winrm_real -run Real ./remote/
//
// They check what the emulator models: output and exit codes, the batch
// wrapper under the real cmd.exe, a bad password, and the request counts.

import (
	"os"
	"strings"
	"testing"
)

func realTarget(t *testing.T) Target {
	t.Helper()
	host := os.Getenv("WINFLEET_REAL_HOST")
	if host == "" {
		t.Skip("WINFLEET_REAL_HOST is not set")
	}
	tg := Target{
		Host:      host,
		HTTPS:     os.Getenv("WINFLEET_REAL_HTTPS") == "1",
		Transport: os.Getenv("WINFLEET_REAL_TRANSPORT"),
		User:      os.Getenv("WINFLEET_REAL_USER"),
		Password:  os.Getenv("WINFLEET_REAL_PASSWORD"),
		CAFile:    os.Getenv("WINFLEET_REAL_CA"),
	}
	tg.AllowUnencrypted = !tg.HTTPS && os.Getenv("WINFLEET_REAL_ALLOW_UNENCRYPTED") == "1"
	return tg
}

func TestRealRun(t *testing.T) {
	c := dialT(t, realTarget(t), Options{})
	defer c.Close(t.Context())
	var out strings.Builder
	code, err := c.Run(t.Context(), "ver", &out, nil)
	if err != nil || code != 0 || !strings.Contains(out.String(), "Microsoft Windows") {
		t.Fatalf("ver = %d, %q, %v", code, out.String(), err)
	}
	code, err = c.Run(t.Context(), "sc query NoSuchService", nil, nil)
	if err != nil || code != 1060 {
		t.Errorf("sc query NoSuchService = %d, %v; want 1060", code, err)
	}
	res, err := c.RunBatch(t.Context(), []string{"ver", "sc query NoSuchService", "nosuchprogram", "echo a"})
	if err != nil || len(res) != 4 {
		t.Fatalf("RunBatch = %+v, %v", res, err)
	}
	if want := []int{0, 1060, 9009, 9009}; res[0].ExitCode != want[0] || res[1].ExitCode != want[1] || res[2].ExitCode != want[2] || res[3].ExitCode != want[3] {
		t.Errorf("batch exit codes = %d %d %d %d, want %v", res[0].ExitCode, res[1].ExitCode, res[2].ExitCode, res[3].ExitCode, want)
	}
	if res[3].Stdout != "a \r\n" {
		t.Errorf("batched echo = %q, want \"a \\r\\n\"", res[3].Stdout)
	}
	if n := c.Requests(); n > 8 {
		t.Errorf("requests = %d, want about 7 (Create, 3×(Command, Receive))", n)
	}
}

func TestRealBadPassword(t *testing.T) {
	tg := realTarget(t)
	tg.Password += "-wrong"
	c := dialT(t, tg, Options{})
	defer c.Close(t.Context())
	_, err := c.Run(t.Context(), "ver", nil, nil)
	checkErr(t, err, ErrAuth, ErrAuth, "")
	if n := c.Requests(); n != 1 {
		t.Errorf("requests = %d, want 1 (no retry)", n)
	}
}
