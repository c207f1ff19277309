package inventory

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func mustParse(t *testing.T, f Format, src string) *Inventory {
	t.Helper()
	inv, err := Parse("inv."+string(f), f, []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return inv
}

func TestConnDefaultsAndAliases(t *testing.T) {
	tests := []struct {
		name, ini string
		want      Conn
	}{
		{"defaults", "h\n", Conn{Address: "h", Port: 5986, Scheme: "https", Transport: "ntlm", CertValidation: "validate", MessageEncryption: "auto"}},
		{"port 5985 means http", "h ansible_port=5985\n", Conn{Address: "h", Port: 5985, Scheme: "http", Transport: "ntlm", CertValidation: "validate", MessageEncryption: "auto"}},
		{"other port means https", "h:8443\n", Conn{Address: "h", Port: 8443, Scheme: "https", Transport: "ntlm", CertValidation: "validate", MessageEncryption: "auto"}},
		{"http scheme defaults to 5985", "h scheme=http\n", Conn{Address: "h", Port: 5985, Scheme: "http", Transport: "ntlm", CertValidation: "validate", MessageEncryption: "auto"}},
		{"ansible names", "h ansible_host=10.1.1.1 ansible_port=5986 ansible_user=CORP\\\\svc ansible_winrm_scheme=https ansible_winrm_transport=kerberos " +
			"ansible_winrm_server_cert_validation=ignore ansible_winrm_ca_trust_path=/ca.pem ansible_winrm_message_encryption=never " +
			"ansible_winrm_operation_timeout_sec=20 ansible_winrm_read_timeout_sec=30\n",
			Conn{Address: "10.1.1.1", Port: 5986, Scheme: "https", Transport: "kerberos", User: `CORP\svc`, CertValidation: "ignore",
				CAFile: "/ca.pem", MessageEncryption: "never", AllowUnencrypted: true, OperationTimeout: 20 * time.Second, ReadTimeout: 30 * time.Second}},
		{"winfleet names", "h address=10.2.2.2 port=8080 user=u scheme=http transport=basic cert_validation=validate ca_file=/x " +
			"message_encryption=always operation_timeout=1m read_timeout=90s server_name=sql.corp\n",
			Conn{Address: "10.2.2.2", Port: 8080, Scheme: "http", Transport: "basic", User: "u", CertValidation: "validate", CAFile: "/x",
				ServerName: "sql.corp", MessageEncryption: "always", OperationTimeout: time.Minute, ReadTimeout: 90 * time.Second}},
		{"same layer: winfleet name wins", "h address=a ansible_host=b\n", Conn{Address: "a", Port: 5986, Scheme: "https", Transport: "ntlm", CertValidation: "validate", MessageEncryption: "auto"}},
		{"higher precedence alias wins", "[g]\nh ansible_host=hostvar\n[g:vars]\naddress=groupvar\n", Conn{Address: "hostvar", Port: 5986, Scheme: "https", Transport: "ntlm", CertValidation: "validate", MessageEncryption: "auto"}},
		{"certificate", "h transport=certificate client_cert=/c.pem ansible_winrm_cert_key_pem=/k.pem\n", Conn{Address: "h", Port: 5986, Scheme: "https", Transport: "certificate", CertValidation: "validate", MessageEncryption: "auto", ClientCert: "/c.pem", ClientKey: "/k.pem"}},
		{"pywinrm plaintext is basic", "h ansible_winrm_transport=plaintext\n", Conn{Address: "h", Port: 5986, Scheme: "https", Transport: "basic", CertValidation: "validate", MessageEncryption: "auto"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := mustParse(t, FormatINI, tt.ini)
			got, err := inv.Host("h").Conn(envOf(nil))
			if err != nil {
				t.Fatalf("Conn: %v", err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("Conn() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestConnPassword(t *testing.T) {
	// The CLI's fallbacks, in its order.
	cli := []PasswordFallback{
		EnvFallback("--password-env CLI_PW", "CLI_PW", true),
		ValueFallback("--ask-pass", NewSecret("asked")),
		EnvFallback("WINFLEET_PASSWORD", "WINFLEET_PASSWORD", false),
	}
	tests := []struct {
		name      string
		yaml      string
		env       map[string]string
		fallbacks []PasswordFallback
		pw, src   string
		warn      bool
		errSubs   []string
	}{
		{name: "password_env", yaml: "all:\n  hosts:\n    h:\n      password_env: PW\n      ansible_password: plain\n", env: map[string]string{"PW": "s3cret", "WINFLEET_PASSWORD": "x"}, fallbacks: cli, pw: "s3cret", src: "password_env PW (inv.yaml:4)"},
		{name: "password_env missing", yaml: "all:\n  hosts:\n    h:\n      password_env: PW\n", errSubs: []string{"inv.yaml:4:", "host h", "password_env", "PW is not set"}},
		{name: "password_env vault", yaml: "all:\n  hosts:\n    h:\n      password_env: !vault |\n        $ANSIBLE_VAULT;1.1;AES256\n        3130\n", errSubs: []string{"inv.yaml:4:", "Vault"}},
		{name: "plaintext warns", yaml: "all:\n  vars:\n    ansible_password: plain\n  hosts:\n    h:\n", env: map[string]string{"WINFLEET_PASSWORD": "x"}, fallbacks: cli, pw: "plain", src: "ansible_password (inv.yaml:3)", warn: true},
		{name: "plaintext beats every fallback", yaml: "all:\n  hosts:\n    h:\n      ansible_winrm_pass: plain\n", env: map[string]string{"CLI_PW": "c"}, fallbacks: cli, pw: "plain", src: "ansible_winrm_pass (inv.yaml:4)", warn: true},
		{name: "first fallback: --password-env", yaml: "all:\n  hosts:\n    h:\n", env: map[string]string{"CLI_PW": "c", "WINFLEET_PASSWORD": "x"}, fallbacks: cli, pw: "c", src: "--password-env CLI_PW"},
		{name: "required fallback unset", yaml: "all:\n  hosts:\n    h:\n", env: map[string]string{"WINFLEET_PASSWORD": "x"}, fallbacks: cli, errSubs: []string{"host h", "--password-env CLI_PW", "CLI_PW is not set"}},
		{name: "ask-pass before WINFLEET_PASSWORD", yaml: "all:\n  hosts:\n    h:\n", env: map[string]string{"WINFLEET_PASSWORD": "x"}, fallbacks: cli[1:], pw: "asked", src: "--ask-pass"},
		{name: "WINFLEET_PASSWORD last", yaml: "all:\n  hosts:\n    h:\n", env: map[string]string{"WINFLEET_PASSWORD": "fromenv"}, fallbacks: cli[2:], pw: "fromenv", src: "WINFLEET_PASSWORD"},
		{name: "optional fallback unset: none", yaml: "all:\n  hosts:\n    h:\n", fallbacks: cli[2:], src: "no password"},
		{name: "none: caller asks", yaml: "all:\n  hosts:\n    h:\n", src: "no password"},
		{name: "vault tag", yaml: "all:\n  hosts:\n    h:\n      ansible_password: !vault |\n        $ANSIBLE_VAULT;1.1;AES256\n        3130\n", errSubs: []string{"inv.yaml:4:", "Vault", "password_env"}},
		{name: "vault string", yaml: "all:\n  hosts:\n    h:\n      password: \"$ANSIBLE_VAULT;1.1;AES256\\n3130\"\n", errSubs: []string{"inv.yaml:4:", "Vault", "password_env"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := mustParse(t, FormatYAML, tt.yaml)
			c, err := inv.Host("h").Conn(envOf(tt.env), tt.fallbacks...)
			if len(tt.errSubs) > 0 {
				if err == nil {
					t.Fatalf("Conn() succeeded, want error containing %q", tt.errSubs)
				}
				var e *Error
				if !errors.As(err, &e) {
					t.Errorf("Conn() error %T %v is not an *Error", err, err)
				}
				for _, s := range tt.errSubs {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("Conn() error = %q, want it to contain %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Password.Reveal() != tt.pw || c.PasswordSource.String() != tt.src {
				t.Errorf("Conn() password from %q, want %q (value match: %v)", c.PasswordSource, tt.src, c.Password.Reveal() == tt.pw)
			}
			if got := len(c.Warnings) > 0; got != tt.warn {
				t.Errorf("Conn() warnings = %v, want warning: %v", c.Warnings, tt.warn)
			}
			for _, w := range c.Warnings {
				if w.File == "" || w.Line == 0 || strings.Contains(w.String(), "plain") && !strings.Contains(w.String(), "plaintext") {
					t.Errorf("warning %q: want a position and no password", w)
				}
			}
		})
	}
}

// TestSharedPasswordSource: hosts that take the password from the same
// place have equal sources (one credential); a password set on one host is
// its own.
func TestSharedPasswordSource(t *testing.T) {
	inv := mustParse(t, FormatINI, "[g]\na\nb\nc ansible_password=own\n[g:vars]\nansible_password=shared\n")
	src := func(h string) PasswordSource {
		c, err := inv.Host(h).Conn(envOf(nil))
		if err != nil {
			t.Fatal(err)
		}
		return c.PasswordSource
	}
	if src("a") != src("b") {
		t.Errorf("a and b share [g:vars]'s password: sources %v and %v differ", src("a"), src("b"))
	}
	if src("a") == src("c") {
		t.Errorf("c has its own password but the same source as a: %v", src("c"))
	}
}

func TestAllowUnencrypted(t *testing.T) {
	tests := []struct {
		vars    string
		want    bool
		wantErr string
	}{
		{"", false, ""},
		{"allow_unencrypted=true", true, ""},
		{"allow_unencrypted=yes", true, ""},
		{"allow_unencrypted=off", false, ""},
		{"allow_unencrypted=no", false, ""},
		{"allow_unencrypted=0", false, ""},
		{"message_encryption=never", true, ""},
		{"message_encryption=never allow_unencrypted=off", true, ""},
		{"allow_unencrypted=maybe", false, "inv.ini:1: var allow_unencrypted: \"maybe\" is not a boolean"},
	}
	for _, tt := range tests {
		t.Run(tt.vars, func(t *testing.T) {
			if tt.wantErr != "" {
				// A setting that cannot be read fails the load, before
				// any host is contacted.
				_, err := Parse("inv.ini", FormatINI, []byte("h "+tt.vars+"\n"))
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse() error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			inv := mustParse(t, FormatINI, "h "+tt.vars+"\n")
			c, err := inv.Host("h").Conn(envOf(nil))
			if err != nil {
				t.Fatal(err)
			}
			if c.AllowUnencrypted != tt.want {
				t.Errorf("AllowUnencrypted = %v, want %v", c.AllowUnencrypted, tt.want)
			}
		})
	}
}

func TestSecretNeverPrints(t *testing.T) {
	c := Conn{Password: NewSecret("hunter2")}
	j, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprintf("%s %q %x %v", c.Password, c.Password, c.Password, &c.Password), string(j)} {
		if strings.Contains(s, "hunter2") || strings.Contains(s, "68756e74657232") {
			t.Errorf("secret leaked: %s", s)
		}
	}
	if c.Password.Reveal() != "hunter2" {
		t.Error("Reveal lost the value")
	}
}

func TestValidationErrors(t *testing.T) {
	tests := []struct {
		name string
		f    Format
		src  string
		want string
	}{
		{"bad port", FormatINI, "[g]\nh1\nh2 ansible_port=70000\n", "inv.ini:3: host h2: ansible_port: invalid port 70000"},
		{"bad port in group vars", FormatINI, "[g]\nh1\n[g:vars]\nport=abc\n", "inv.ini:4: host h1: port: invalid port abc"},
		{"unknown transport", FormatYAML, "all:\n  vars:\n    ansible_winrm_transport: magic\n  hosts:\n    h:\n", "inv.yaml:3: host h: ansible_winrm_transport: unknown transport \"magic\""},
		{"credssp", FormatINI, "h ansible_winrm_transport=credssp\n", "inv.ini:1: host h: ansible_winrm_transport: transport credssp is not supported"},
		{"unknown scheme", FormatINI, "h scheme=ftp\n", "inv.ini:1: host h: scheme: unknown value \"ftp\""},
		{"cert without key", FormatINI, "h transport=certificate\n", "inv.ini:1: host h: transport: transport certificate needs client_cert"},
		{"read timeout too short", FormatINI, "h operation_timeout=30 read_timeout=20\n", "inv.ini:1: host h: read_timeout: read timeout (20s) must exceed"},
		{"bad timeout", FormatINI, "h read_timeout=soon\n", "inv.ini:1: host h: read_timeout: invalid timeout \"soon\""},
		{"cycle ini", FormatINI, "[a:children]\nb\n[b:children]\na\n[c]\n", "inv.ini:4: group cycle: a -> b -> a"},
		{"cycle yaml", FormatYAML, "all:\n  children:\n    a:\n      children:\n        b:\n          children:\n            a:\n", "inv.yaml:7: group cycle: a -> b -> a"},
		{"undefined child", FormatINI, "[a:children]\nnope\n", "inv.ini:2: section [a:children] includes undefined group \"nope\""},
		{"vars for undefined group", FormatINI, "[x:vars]\na=1\n", "inv.ini:1: section [x:vars] is for group \"x\", which is never defined"},
		{"unknown section type", FormatINI, "[a:hostz]\n", "inv.ini:1:1: section [a:hostz] has unknown type"},
		{"spaces in section", FormatINI, "h\n  [my group]\n", "inv.ini:2:3: invalid section header"},
		{"unclosed quote", FormatINI, "\nh a=\"x\n", "inv.ini:2:5: host line: no closing quotation"},
		{"not key=value", FormatINI, "h  a=1 oops\n", "inv.ini:1:8: expected key=value host variable"},
		{"vars line", FormatINI, "[g]\n[g:vars]\nansible_password hunter2\n", "inv.ini:3:1: expected key=value"},
		{"bad range", FormatINI, "h[01:9]\n", "inv.ini:1:1: invalid host range [01:9]: begin and end must have equal length"},
		{"trailing colon", FormatINI, "h:\n", "inv.ini:1:1: invalid host pattern \"h:\""},
		{"yaml syntax", FormatYAML, "all:\n  hosts:\n    h: [\n", "inv.yaml:3: did not find expected node content"},
		{"yaml hosts list", FormatYAML, "all:\n  hosts:\n    - h1\n", "inv.yaml:3:5: \"hosts\" entry of group \"all\" must be a mapping, got a list"},
		{"yaml not mapping", FormatYAML, "- a\n", "inv.yaml:1:1: YAML inventory must be a mapping"},
		{"yaml duplicate host", FormatYAML, "all:\n  hosts:\n    a:\n    a:\n", `inv.yaml:4:5: duplicate key "a" (first at line 3)`},
		{"yaml duplicate var", FormatYAML, "all:\n  vars:\n    x: 1\n    x: 2\n", `inv.yaml:4:5: duplicate key "x" (first at line 3)`},
		{"yaml second document", FormatYAML, "all:\n  hosts:\n    a:\n---\nall:\n  hosts:\n    b:\n", "inv.yaml:5: a second YAML document"},
		{"priority", FormatINI, "[g]\nh\n[g:vars]\nansible_group_priority=high\n", "inv.ini:4: group g: ansible_group_priority must be an integer"},
		{"csv no host", FormatCSV, "name,address\nx,y\n", "inv.csv:1: CSV header has no host column"},
		{"csv bad port", FormatCSV, "host,port\nx,5986\ny,http\n", "inv.csv:3:3: host y: invalid port \"http\""},
		{"csv duplicate", FormatCSV, "host\nx\ny\nx\n", "inv.csv:4: duplicate host \"x\" (first at line 2)"},
		{"csv quote", FormatCSV, "host,note\nx,\"a\"b\n", "inv.csv:2:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("inv."+string(tt.f), tt.f, []byte(tt.src))
			if err == nil {
				t.Fatalf("Parse succeeded, want %q", tt.want)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Parse error = %q, want prefix %q", err, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.File == "" || e.Line == 0 {
				t.Errorf("error %T has no file:line", err)
			}
		})
	}
}

func TestDuplicateAddressWarning(t *testing.T) {
	inv := mustParse(t, FormatINI, "a ansible_host=10.0.0.1\nb address=10.0.0.1\nc ansible_host=10.0.0.1 ansible_port=5985\n")
	ws := inv.Warnings()
	if len(ws) != 1 || ws[0].Host != "b" || ws[0].Line != 2 || !strings.Contains(ws[0].Msg, "host a") {
		t.Fatalf("Warnings() = %v, want one for b duplicating a", ws)
	}
}

func TestConnVarIDsFit(t *testing.T) {
	if len(connVarIDs) > maxConnVars {
		t.Fatalf("%d connection var names, maxConnVars is %d", len(connVarIDs), maxConnVars)
	}
}
