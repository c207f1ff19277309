package cli

import (
	"io"
	"log/slog"
	"testing"

	"github.com/winfleet/winfleet/inventory"
)

// TestPasswordPrecedence: the host's own password (password_env, then a
// plaintext var) wins; then --password-env, --ask-pass, WINFLEET_PASSWORD.
func TestPasswordPrecedence(t *testing.T) {
	inv, err := inventory.Parse("hosts.ini", inventory.FormatINI, []byte(`
own-env.example ansible_port=5985 password_env=HOST_PW ansible_user=u
plain.example ansible_port=5985 ansible_password=from-var ansible_user=u
bare.example ansible_port=5985 ansible_user=u
`))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HOST_PW": "from-host-env", "FLAG_PW": "from-flag-env", "WINFLEET_PASSWORD": "from-winfleet-env"}
	stdio := testStdio(env)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tests := []struct {
		host       string
		opts       fleetOptions
		ask        string
		want       string
		credential string
	}{
		{"own-env.example", fleetOptions{PasswordEnv: "FLAG_PW"}, "", "from-host-env", "u with password_env HOST_PW"},
		{"plain.example", fleetOptions{PasswordEnv: "FLAG_PW"}, "", "from-var", "u with ansible_password (hosts.ini:3)"},
		{"bare.example", fleetOptions{PasswordEnv: "FLAG_PW"}, "", "from-flag-env", "u with --password-env FLAG_PW"},
		{"bare.example", fleetOptions{AskPass: true}, "typed", "typed", "u with --ask-pass"},
		{"bare.example", fleetOptions{}, "", "from-winfleet-env", "u with WINFLEET_PASSWORD"},
	}
	for _, tt := range tests {
		d, ts, err := connect(stdio, tt.opts, []*inventory.Host{inv.Host(tt.host)}, inventory.NewSecret(tt.ask), log)
		if err != nil {
			t.Fatalf("connect(%s, %+v): %v", tt.host, tt.opts, err)
		}
		if got := d[tt.host].Target.Password; got != tt.want {
			t.Errorf("connect(%s, %+v) password %q, want %q", tt.host, tt.opts, got, tt.want)
		}
		if ts[0].Credential != tt.credential {
			t.Errorf("connect(%s, %+v) credential %q, want %q", tt.host, tt.opts, ts[0].Credential, tt.credential)
		}
	}
	if _, _, err := connect(stdio, fleetOptions{PasswordEnv: "NOPE"}, []*inventory.Host{inv.Host("bare.example")}, inventory.Secret{}, log); err == nil {
		t.Error("connect with --password-env naming an unset variable: no error")
	}
}
