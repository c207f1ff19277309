package cli

import (
	"fmt"
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

// TestHostErrorsOncePerProblem: the same connection problem on many hosts
// is reported once, with the first host's position, a count and the first
// names; different problems each keep their own line.
func TestHostErrorsOncePerProblem(t *testing.T) {
	src := "[ssis]\n"
	for i := range 12 {
		src += fmt.Sprintf("sql%02d.example password_env=NOT_SET_PW ansible_user=u\n", i)
	}
	src += "odd.example ansible_port=5985 password_env=ALSO_UNSET ansible_user=u\n"
	inv, err := inventory.Parse("hosts.ini", inventory.FormatINI, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	_, _, err = connect(testStdio(nil), fleetOptions{}, inv.Hosts(), inventory.Secret{}, log)
	if err == nil {
		t.Fatal("connect accepted hosts whose password variable is not set")
	}
	want := "hosts.ini:2: host sql00.example: password_env: environment variable NOT_SET_PW is not set\n" +
		"  (the same for 11 more hosts: sql01.example, sql02.example, sql03.example, sql04.example, sql05.example, …)\n" +
		"hosts.ini:14: host odd.example: password_env: environment variable ALSO_UNSET is not set"
	if got := err.Error(); got != want {
		t.Errorf("error:\n%s\nwant:\n%s", got, want)
	}
}
