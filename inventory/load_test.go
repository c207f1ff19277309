package inventory

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadDirectory(t *testing.T) {
	inv, err := Load("testdata/dir")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"web1", "web2", "db1"}, names(inv.Hosts())); d != "" {
		t.Errorf("hosts (-want +got):\n%s", d)
	}
	if v, ok := inv.Host("web2").Var("web_only"); !ok || v.Value != true || v.File != filepath.Join("testdata/dir/group_vars/web.yml") || v.Line != 1 {
		t.Errorf("web2 web_only = %+v, %v; want true from group_vars/web.yml:1", v, ok)
	}
	if v, _ := inv.Host("db1").Var("region"); v.Value != "emea" {
		t.Errorf("db1 region = %v, want emea from group_vars/all/main.yml", v.Value)
	}
	var sawTypo, sawVault bool
	for _, w := range inv.Warnings() {
		sawTypo = sawTypo || strings.Contains(w.String(), "typo.yml") && strings.Contains(w.Msg, `no group "typo"`)
		sawVault = sawVault || strings.HasSuffix(w.File, "vault.yml") && strings.Contains(w.Msg, "Ansible Vault")
	}
	if !sawTypo || !sawVault {
		t.Errorf("Warnings() = %v, want one about group_vars/typo.yml and one about the vaulted file", inv.Warnings())
	}
	_, err = inv.Host("db1").Conn(envOf(nil))
	if err == nil || !strings.Contains(err.Error(), "02-more.yml:9: host db1: ansible_password: value is Ansible Vault") {
		t.Errorf("db1 Conn() error = %v, want the vault error at 02-more.yml:9", err)
	}
}

func TestDetectFormat(t *testing.T) {
	tests := []struct {
		name, data string
		want       Format
	}{
		{"hosts", "[web]\nw1\n", FormatINI},
		{"hosts", "w1\nw2 a=1\n", FormatINI},
		{"hosts", "all:\n  hosts:\n    w1:\n", FormatYAML},
		{"inv.json", `{"all": {"hosts": {"w1": null}}}`, FormatYAML},
		{"inv.CSV", "host\nw1\n", FormatCSV},
		{"inv.ini", "all:\n", FormatINI},
	}
	for _, tt := range tests {
		if got := DetectFormat(tt.name, []byte(tt.data)); got != tt.want {
			t.Errorf("DetectFormat(%q, %q) = %s, want %s", tt.name, tt.data, got, tt.want)
		}
	}
}

func TestLoadJSONInventory(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "inv.json")
	src := `{"all": {"children": {"sql": {"hosts": {"sql[1:2]": {"port": 5985}}, "vars": {"sql_version": 150}}}}}`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	inv, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := inv.Host("sql2").Conn(envOf(nil))
	if err != nil || c.Port != 5985 || c.Scheme != "http" {
		t.Errorf("sql2 Conn() = %+v, %v; want http:5985", c, err)
	}
	if v, _ := inv.Host("sql1").Var("sql_version"); v.Value != 150 {
		t.Errorf("sql_version = %#v, want int 150", v.Value)
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := Load("testdata/nope.ini")
	if err == nil || !strings.Contains(err.Error(), "testdata/nope.ini") {
		t.Errorf("Load(missing) error = %v, want it to name the file", err)
	}
}

func TestYAMLWarnings(t *testing.T) {
	inv := mustParse(t, FormatYAML, "all:\n  hosts:\n    h:\n  hostz:\n    x:\nweb: [a]\n")
	var got []string
	for _, w := range inv.Warnings() {
		got = append(got, w.String())
	}
	want := []string{
		`inv.yaml:4: skipping unexpected key "hostz" in group "all": only vars, children and hosts are valid`,
		`inv.yaml:6: skipping "web": not a valid group definition (want a mapping with hosts, children or vars)`,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("warnings (-want +got):\n%s", d)
	}
}

func TestExpandHostPattern(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		port int
	}{
		{"web", []string{"web"}, 0},
		{"web:5985", []string{"web"}, 5985},
		{"[::1]:5986", []string{"::1"}, 5986},
		{"fe80::1", []string{"fe80::1"}, 0},
		{"sql[01:03]", []string{"sql01", "sql02", "sql03"}, 0},
		{"sql[1:5:2].x", []string{"sql1.x", "sql3.x", "sql5.x"}, 0},
		{"db-[a:c]", []string{"db-a", "db-b", "db-c"}, 0},
		{"n[1:2]-[x:y]:22", []string{"n1-x", "n1-y", "n2-x", "n2-y"}, 22},
		{"h[:2]", []string{"h0", "h1", "h2"}, 0},
		{"10.0.0.[1:3]", []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"}, 0},
	}
	for _, tt := range tests {
		got, port, err := expandHostPattern(tt.in)
		if err != nil || port != tt.port || !cmp.Equal(got, tt.want) {
			t.Errorf("expandHostPattern(%q) = %v, %d, %v; want %v, %d", tt.in, got, port, err, tt.want, tt.port)
		}
	}
}

func TestYAMLAliasBomb(t *testing.T) {
	_, err := Load("testdata/laughs.yml")
	if err == nil || !strings.Contains(err.Error(), "laughs.yml:8:") || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("Load(alias bomb) error = %v, want a too-large error at line 8", err)
	}
}

// TestLoadSeveralSources: several -i merge as in Ansible: hosts and groups
// of both, and a later source's vars win.
func TestLoadSeveralSources(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.ini")
	b := filepath.Join(dir, "b.yml")
	if err := os.WriteFile(a, []byte("[ssis]\nsql01 firewall_scope=subnet\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte("all:\n  children:\n    ssis:\n      hosts:\n        sql02:\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var read []string
	inv, err := Loader{ReadFile: func(p string) ([]byte, error) { read = append(read, p); return os.ReadFile(p) }}.Load(a, b)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, h := range inv.Group("ssis").Hosts() {
		names = append(names, h.Name)
	}
	if strings.Join(names, ",") != "sql01,sql02" || inv.Path != a+","+b {
		t.Errorf("group ssis = %v, path %q; want sql01,sql02 from both files", names, inv.Path)
	}
	if len(read) != 2 {
		t.Errorf("Loader read %v through ReadFile, want both sources", read)
	}
}
