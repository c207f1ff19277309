package cli

import (
	"testing"

	"github.com/winfleet/winfleet/inventory"
)

func TestRemoteTargetPasswordPrecedence(t *testing.T) {
	inv, err := inventory.Parse("hosts.ini", inventory.FormatINI, []byte(`
own-env.example ansible_port=5985 password_env=HOST_PW
plain.example ansible_port=5985 ansible_password=from-var
bare.example ansible_port=5985
`))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HOST_PW": "from-host-env", "FLAG_PW": "from-flag-env", "WINFLEET_PASSWORD": "from-winfleet-env"}
	stdio := Stdio{Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	tests := []struct {
		host string
		opts runOptions
		ask  string
		want string
	}{
		{"own-env.example", runOptions{PasswordEnv: "FLAG_PW"}, "", "from-host-env"},
		{"plain.example", runOptions{PasswordEnv: "FLAG_PW"}, "", "from-var"},
		{"bare.example", runOptions{PasswordEnv: "FLAG_PW"}, "", "from-flag-env"},
		{"bare.example", runOptions{AskPass: true}, "typed", "typed"},
		{"bare.example", runOptions{}, "", "from-winfleet-env"},
	}
	for _, tt := range tests {
		hc, _, err := remoteTarget(stdio, tt.opts, inv.Host(tt.host), tt.ask)
		if err != nil {
			t.Fatalf("remoteTarget(%s, %+v): %v", tt.host, tt.opts, err)
		}
		if hc.target.Password != tt.want {
			t.Errorf("remoteTarget(%s, %+v) password from %q, want %q", tt.host, tt.opts, hc.target.Password, tt.want)
		}
	}
	if _, _, err := remoteTarget(stdio, runOptions{PasswordEnv: "NOPE"}, inv.Host("bare.example"), ""); err == nil {
		t.Error("remoteTarget with --password-env naming an unset variable: no error")
	}
}
