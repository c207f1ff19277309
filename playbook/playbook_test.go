package playbook

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winfleet/winfleet/inventory"

	"github.com/google/go-cmp/cmp"
)

func TestBuiltin(t *testing.T) {
	if got, want := BuiltinNames(), []string{"ssis-firewall"}; !cmp.Equal(got, want) {
		t.Fatalf("BuiltinNames() = %v, want %v", got, want)
	}
	pb, err := Builtin("ssis-firewall")
	if err != nil {
		t.Fatalf("Builtin: %v", err)
	}
	var ids []string
	for _, r := range pb.Rules {
		ids = append(ids, r.ID)
	}
	for _, d := range pb.DCOM {
		ids = append(ids, d.ID)
	}
	for _, s := range pb.Services {
		ids = append(ids, s.ID)
	}
	if want := []string{"rpc-135", "ssis-service", "dcom-ports", "dcom-registry", "ssis-running"}; !cmp.Equal(ids, want) {
		t.Errorf("ids = %v, want %v", ids, want)
	}
	if pb.Rules[0].Name.Raw != "RPC (TCP/135)" || pb.Rules[0].Port.Raw != "135" || pb.Rules[0].Protocol != "tcp" {
		t.Errorf("rpc rule = %+v", pb.Rules[0])
	}
	if v := pb.Vars["firewall_scope"]; v.Value != "subnet" || v.File != "builtin:ssis-firewall" || v.Line == 0 {
		t.Errorf("default firewall_scope = %+v, want subnet at its builtin line", v)
	}
	if _, err := Builtin("nope"); err == nil || !strings.Contains(err.Error(), "ssis-firewall") {
		t.Errorf("Builtin(nope) = %v, want an error listing the built-ins", err)
	}
	src, err := BuiltinSource("ssis-firewall")
	if err != nil || !strings.Contains(string(src), "MsDtsSrvr") && !strings.Contains(string(src), "ssis_program") {
		t.Errorf("BuiltinSource = %q, %v", src, err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // substrings, each must appear
	}{
		{"yaml syntax", "name: x\nrules: [\n", []string{"pb.yaml:"}},
		{"unknown top key", "name: x\nrulez: []\n", []string{`pb.yaml:2: unknown key "rulez"`}},
		{"no items", "name: x\n", []string{"pb.yaml:1: playbook has no rules"}},
		{"unknown rule key", "name: x\nrules:\n  - id: a\n    name: A\n    protocol: tcp\n    port: '1'\n    colour: red\n", []string{`pb.yaml:7: unknown key "colour" in rule`}},
		{"bad state", "name: x\nrules:\n  - id: a\n    name: A\n    protocol: tcp\n    port: '1'\n    state: maybe\n", []string{"pb.yaml:7: state must be one of"}},
		{"duplicate id", "name: x\nrules:\n  - id: a\n    name: A\n    protocol: tcp\n    port: '1'\n  - id: a\n    name: B\n    protocol: tcp\n    port: '2'\n", []string{`pb.yaml:7: duplicate id "a" (first at line 3)`}},
		{"program and port", "name: x\nrules:\n  - id: a\n    name: A\n    protocol: tcp\n    port: '1'\n    program: 'C:\\x.exe'\n", []string{"pb.yaml:3: rule \"a\": give either program"}},
		{"neither", "name: x\nrules:\n  - id: a\n    name: A\n", []string{"pb.yaml:3: rule \"a\": needs program"}},
		{"bad template", "name: x\nrules:\n  - id: a\n    name: '{{ a | upper }}'\n    protocol: tcp\n    port: '1'\n", []string{"pb.yaml:4: name:", "only {{ var_name }}"}},
		{"ssis var outside each", "name: x\nrules:\n  - id: a\n    name: A\n    program: '{{ ssis_program }}'\n", []string{`pb.yaml:5: var "ssis_program" is only bound`}},
		{"bad each", "name: x\nrules:\n  - id: a\n    each: sql\n    name: A\n    program: 'C:\\a.exe'\n", []string{`pb.yaml:4: each must be "ssis"`}},
		{"dcom without ports", "name: x\ndcom:\n  - id: r\n    name: R\n", []string{`pb.yaml:3: dcom item "r" has no ports`}},
		{"duplicate var", "name: x\nvars:\n  a: 1\n  a: 2\nrules: []\n", []string{`pb.yaml:4: duplicate var "a"`}},
		{"duplicate key inside a var", "name: x\nvars:\n  a:\n    e: 1\n    e: 2\nrules: []\n", []string{`pb.yaml:5: var a: mapping key "e" already defined at line 4`}},
		{"two errors", "name: x\nrules:\n  - id: A\n    name: A\n    protocol: icmp\n    port: '1'\n", []string{"pb.yaml:3: id \"A\"", "pb.yaml:5: protocol must be"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("pb.yaml", []byte(tt.src))
			if err == nil {
				t.Fatalf("Parse(%q) = nil error, want %q", tt.src, tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Parse(%q) error = %q, want it to contain %q", tt.src, err, w)
				}
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Errorf("error %T is not a *ParseError", err)
			}
		})
	}
}

func TestLoadAndResolve(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mine.yaml")
	src := "name: mine\nrules:\n  - id: web\n    name: Web\n    protocol: tcp\n    port: '8080'\n    state: absent\n"
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	pb, err := Resolve(path, nil)
	if err != nil {
		t.Fatalf("Resolve(%s): %v", path, err)
	}
	if pb.Name != "mine" || pb.Rules[0].State != Absent || pb.Source != path {
		t.Errorf("Resolve(%s) = %+v", path, pb)
	}
	if pb, err := Resolve("ssis-firewall", nil); err != nil || pb.Source != "builtin:ssis-firewall" {
		t.Errorf("Resolve(ssis-firewall) = %v, %v", pb, err)
	}
	if _, err := Resolve(filepath.Join(dir, "missing.yaml"), nil); err == nil {
		t.Errorf("Resolve(missing file) = nil error")
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("name: b\nrules:\n  - id: x\n"), 0o600)
	if _, err := Load(bad); err == nil || !strings.HasPrefix(err.Error(), bad+":3:") {
		t.Errorf("Load(bad) = %v, want error starting with %s:3:", err, bad)
	}
}

func TestTemplate(t *testing.T) {
	v := vars{host: "sql01", layers: []map[string]inventory.Var{
		testVars(map[string]any{"ssis_version": "130"}),
		testVars(map[string]any{"scope_list": []any{"10.0.0.0/8", "192.168.1.5"}, "port": 135, "name": "Web", "csv": "1.2.3.4, 5.6.7.8"}),
	}}
	mk := func(raw string) Template {
		tp, err := newTemplate(raw, Pos{"pb.yaml", 9})
		if err != nil {
			t.Fatalf("newTemplate(%q): %v", raw, err)
		}
		return tp
	}
	for raw, want := range map[string]string{
		"SSIS {{ssis_version}} on {{ name }}": "SSIS 130 on Web",
		"{{name}}{{ port }}":                  "Web135",
		"{{ name }}-x":                        "Web-x",
		"x-{{name}}":                          "x-Web",
		"no refs { here }":                    "no refs { here }",
		"{{ssis_version}} {{ssis_version}}":   "130 130",
	} {
		if s, err := mk(raw).str(v, "name"); err != nil || s != want {
			t.Errorf("%q: String = %q, %v; want %q", raw, s, err, want)
		}
	}
	for _, raw := range []string{"{{ a | upper }}", "{{ a }", "x }} y", "{{ {{a}} }}"} {
		if _, err := newTemplate(raw, Pos{}); err == nil {
			t.Errorf("newTemplate(%q): want an error", raw)
		}
	}
	if s, err := mk("{{ port }}").str(v, "port"); err != nil || s != "135" {
		t.Errorf("String(port) = %q, %v", s, err)
	}
	if l, err := mk("{{ scope_list }}").list(v, "scope"); err != nil || !cmp.Equal(l, []string{"10.0.0.0/8", "192.168.1.5"}) {
		t.Errorf("List(scope_list) = %q, %v", l, err)
	}
	if l, err := mk("{{ csv }}").list(v, "scope"); err != nil || !cmp.Equal(l, []string{"1.2.3.4", "5.6.7.8"}) {
		t.Errorf("List(csv) = %q, %v", l, err)
	}
	_, err := mk("x{{ nope }}").str(v, "name")
	var ve *VarError
	if !errors.As(err, &ve) || ve.Var != "nope" || ve.Host != "sql01" || !strings.Contains(err.Error(), "host sql01: pb.yaml:9: var \"nope\"") {
		t.Errorf("unknown var error = %v", err)
	}
	if _, err := mk("a {{ scope_list }}").str(v, "name"); err == nil {
		t.Errorf("list inside a string: want error")
	}
	if _, err := mk("{{ scope_list }}").str(v, "name"); err == nil {
		t.Errorf("list as a string: want error")
	}
}

func TestTemplateRefusesSecrets(t *testing.T) {
	v := vars{host: "sql01", layers: []map[string]inventory.Var{testVars(map[string]any{"ansible_password": "hunter2", "become_pass": "x"})}}
	for _, name := range []string{"ansible_password", "become_pass"} {
		tp, _ := newTemplate("{{ "+name+" }}", Pos{"pb.yaml", 3})
		_, err := tp.str(v, "name")
		if err == nil || !strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("referencing %s: err = %v, want a refusal without the value", name, err)
		}
	}
}

// FuzzParse: Parse never panics, and every error starts with the file name
// and a line.
func FuzzParse(f *testing.F) {
	src, _ := BuiltinSource("ssis-firewall")
	f.Add(string(src))
	f.Add("name: x\nrules:\n  - id: a\n    name: '{{ a }}'\n    protocol: tcp\n    port: '1'\n")
	f.Add("name: [\n")
	f.Fuzz(func(t *testing.T, s string) {
		pb, err := Parse("f.yaml", []byte(s))
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "f.yaml:") {
					t.Fatalf("error line %q does not name the file", line)
				}
			}
			return
		}
		if pb.Name == "" || len(pb.Rules)+len(pb.DCOM)+len(pb.Services) == 0 {
			t.Fatalf("valid playbook without name or items: %+v", pb)
		}
	})
}

func TestTestdataPlaybooks(t *testing.T) {
	pb, err := Load("testdata/rollback-ssis-firewall.yaml")
	if err != nil {
		t.Fatalf("Load(rollback): %v", err)
	}
	for _, r := range pb.Rules {
		if r.State != Absent {
			t.Errorf("rollback rule %s is %s", r.ID, r.State)
		}
	}
	_, err = Load("testdata/invalid.yaml")
	want := []string{
		"testdata/invalid.yaml:5: protocol must be one of tcp|udp",
		`testdata/invalid.yaml:11: unknown key "colour" in rule`,
		`testdata/invalid.yaml:7: rule "web": give either program or protocol+port, not both`,
	}
	for _, w := range want {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Load(invalid) = %v, want it to contain %q", err, w)
		}
	}
}

// testVars are inventory vars set in "inventory.yml" without lines.
func testVars(m map[string]any) map[string]inventory.Var {
	return inventory.VarsFrom("inventory.yml", m)
}
