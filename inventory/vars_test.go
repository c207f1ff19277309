package inventory

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestEveryPasswordAliasIsSecret iterates the password variable names the
// connection code reads (and Ansible's other password vars): every one is a
// secret, so no listing shows its value.
func TestEveryPasswordAliasIsSecret(t *testing.T) {
	names := append(slices.Clone(varsPassword), "ansible_become_pass", "ansible_become_password", "ansible_ssh_pass",
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

func TestExtraVars(t *testing.T) {
	dir := t.TempDir()
	file := dir + "/extra.yml"
	if err := os.WriteFile(file, []byte("firewall_scope: all\nansible_port: 5985\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	inv := mustParse(t, FormatINI, "[g]\nh firewall_scope=subnet ansible_port=5986\n[g:vars]\ndialect=legacy\n")
	var all []map[string]Var
	for _, arg := range []string{"dialect=advfirewall 'note=two words'", `{"sql_version": 2016}`, "@" + file} {
		m, err := ParseExtraVars(arg, os.ReadFile)
		if err != nil {
			t.Fatalf("ParseExtraVars(%q): %v", arg, err)
		}
		all = append(all, m)
	}
	merged := map[string]Var{}
	for _, m := range all {
		for k, v := range m {
			merged[k] = v
		}
	}
	inv.SetExtraVars(merged)
	h := inv.Host("h")
	for name, want := range map[string]any{"dialect": "advfirewall", "note": "two words", "sql_version": 2016, "firewall_scope": "all"} {
		if v, _ := h.Var(name); v.Value != want {
			t.Errorf("var %s = %#v, want %#v (extra vars win over host and group vars)", name, v.Value, want)
		}
	}
	if v, _ := h.Var("firewall_scope"); v.Pos() != file+":1" {
		t.Errorf("firewall_scope from @file set at %q, want %s:1", v.Pos(), file)
	}
	c, err := h.Conn(envOf(nil))
	if err != nil || c.Port != 5985 || c.Scheme != HTTP {
		t.Errorf("Conn with -e ansible_port=5985: port %d scheme %s err %v, want 5985 http", c.Port, c.Scheme, err)
	}
	for _, bad := range []string{"novalue", "=x", "a='unclosed"} {
		if _, err := ParseExtraVars(bad, os.ReadFile); err == nil {
			t.Errorf("ParseExtraVars(%q): no error", bad)
		}
	}
}

func TestRedactExtraVars(t *testing.T) {
	tests := []struct{ in, want string }{
		{"dialect=legacy", "dialect=legacy"},
		{"ansible_password=hunter2 dialect=legacy", "ansible_password=**** dialect=legacy"},
		{"ansible_password='two words' x=1", "ansible_password=**** x=1"},
		{`note="a b" api_token=abc`, "'note=a b' api_token=****"},
		{`{"ansible_winrm_pass": "hunter2"}`, "{****}"},
		{`{"firewall_scope": "all"}`, `{"firewall_scope": "all"}`},
		{`{broken`, "{****}"},
		{"@secrets.yml", "@secrets.yml"},
		{"x='unclosed hunter2", "****"},
	}
	for _, tt := range tests {
		if got := RedactExtraVars(tt.in); got != tt.want {
			t.Errorf("RedactExtraVars(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if strings.Contains(RedactExtraVars(tt.in), "hunter2") {
			t.Errorf("RedactExtraVars(%q) leaks the password", tt.in)
		}
	}
}

// TestCredentialsInAddressesRefused: a password written into a host name
// or an address is refused when the inventory loads, and no message shows
// it.
func TestCredentialsInAddressesRefused(t *testing.T) {
	tests := []struct {
		name string
		f    Format
		src  string
		want string
	}{
		{"ini host name", FormatINI, "[g]\nadmin:Secret1@sql01\n", "inv.ini:2: host ****@sql01: a user or password written into the address"},
		{"ini ansible_host", FormatINI, "sql01 ansible_host=admin:Secret1@10.0.0.1\n", "inv.ini:1: host sql01: ansible_host: a user or password written into the address"},
		{"yaml address", FormatYAML, "all:\n  hosts:\n    sql01:\n      address: 'u:Secret1@10.0.0.1'\n", "inv.yaml:4: host sql01: address: a user or password"},
		{"csv host", FormatCSV, "host\nadmin:Secret1@sql01\n", "inv.csv:2: host ****@sql01:"},
	}
	for _, tt := range tests {
		_, err := Parse("inv."+string(tt.f), tt.f, []byte(tt.src))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Parse error %v, want %q", tt.name, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "Secret1") {
			t.Errorf("%s: the error shows the password: %v", tt.name, err)
		}
	}
}
