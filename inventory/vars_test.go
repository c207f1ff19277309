package inventory

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestEveryPasswordAliasIsSecret iterates the password variable names the
// connection code reads (and Ansible's other password vars): every one is a
// secret, so no listing shows its value.
func TestEveryPasswordAliasIsSecret(t *testing.T) {
	names := append(PasswordVars(), "ansible_become_pass", "ansible_become_password", "ansible_ssh_pass",
		"ansible_become_passwd", "api_token", "client_key", "ansible_winrm_cert_key_pem", "db_secret", "AdminPassword")
	for _, n := range names {
		if !IsSecretName(n) {
			t.Errorf("IsSecretName(%q) = false, want true", n)
		}
		inv := mustParse(t, FormatINI, "h "+n+"=hunter2\n")
		var b strings.Builder
		if err := WriteList(&b, inv.Hosts(), "json"); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(b.String(), "hunter2") {
			t.Errorf("inventory list -o json shows %s in clear:\n%s", n, b.String())
		}
	}
	for _, n := range []string{"password_env", "firewall_scope", "dcom_ports", "ssis_root", "ansible_host", "bypass_proxy", "keyboard"} {
		if IsSecretName(n) {
			t.Errorf("IsSecretName(%q) = true, want false", n)
		}
	}
}

// TestPasswordEnvNameShownNotItsContent: password_env names a variable; the
// name is useful and shown, the variable's content never appears.
func TestPasswordEnvNameShownNotItsContent(t *testing.T) {
	inv := mustParse(t, FormatINI, "h password_env=WEB_PW\n")
	var b strings.Builder
	if err := WriteList(&b, inv.Hosts(), "json"); err != nil {
		t.Fatal(err)
	}
	var doc ListDoc
	if err := json.Unmarshal([]byte(b.String()), &doc); err != nil {
		t.Fatal(err)
	}
	if got := doc.Hosts[0].Vars["password_env"]; got != "WEB_PW" {
		t.Errorf("password_env listed as %v, want WEB_PW", got)
	}
}

func TestVarBool(t *testing.T) {
	tests := []struct {
		v       any
		want    bool
		wantErr bool
	}{
		{true, true, false}, {false, false, false}, {1, true, false}, {0, false, false},
		{"yes", true, false}, {"On", true, false}, {"TRUE", true, false}, {"y", true, false}, {" 1 ", true, false},
		{"no", false, false}, {"OFF", false, false}, {"off", false, false}, {"False", false, false}, {"0", false, false}, {"n", false, false},
		{"maybe", false, true}, {"", false, true}, {2, false, true}, {[]any{"x"}, false, true}, {nil, false, true},
	}
	for _, tt := range tests {
		got, err := Var{Name: "x", Value: tt.v, File: "f.ini", Line: 3}.Bool()
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("Var{%#v}.Bool() = %v, %v; want %v, error %v", tt.v, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "f.ini:3: var x: ") {
			t.Errorf("Var{%#v}.Bool() error %q does not name f.ini:3 and the var", tt.v, err)
		}
	}
}

func TestVarTruthy(t *testing.T) {
	tests := []struct {
		v    any
		want bool
	}{
		{"5000-5100", true}, {"off", false}, {"no", false}, {"0", false}, {"", false}, {"  ", false},
		{nil, false}, {[]any{}, false}, {[]any{"a"}, true}, {map[string]any{}, false}, {0, false}, {7, true}, {true, true},
	}
	for _, tt := range tests {
		got, err := Var{Name: "x", Value: tt.v}.Truthy()
		if err != nil || got != tt.want {
			t.Errorf("Var{%#v}.Truthy() = %v, %v; want %v", tt.v, got, err, tt.want)
		}
	}
	if _, err := (Var{Name: "x", Value: "$ANSIBLE_VAULT;1.1;AES256", Vault: true, File: "h.yml", Line: 7}).Truthy(); err == nil || !strings.Contains(err.Error(), "h.yml:7: var x: value is Ansible Vault") {
		t.Errorf("Truthy of a Vault value: error %v, want it named at h.yml:7", err)
	}
}
