package fleet

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLoadExample loads the documented example fleet file and checks the
// answers its comments promise.
func TestLoadExample(t *testing.T) {
	f, err := Load(filepath.Join("..", "..", "examples", "fleet.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.Answers()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"sql001.lab.example": "compliant",
		"sql002.lab.example": "compliant",
		"sql003.lab.example": "noncompliant",
		"sql004.lab.example": "noncompliant",
		"sql005.lab.example": "noncompliant",
		"sql006.lab.example": "noncompliant",
		"sql007.lab.example": "compliant",
		"sql008.lab.example": "error",
		"sql009.lab.example": "error",
		"sql010.lab.example": "error",
		"sql011.lab.example": "noncompliant",
		"sql012.lab.example": "unreachable",
		"sql013.lab.example": "timeout",
		"sql014.lab.example": "auth_failed",
		"sql015.lab.example": "noncompliant",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("answers (-want +got):\n%s", d)
	}
	cfg, err := f.HostConfig(1)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Rules) != 2 || cfg.Rules[1].Program != `D:\Program Files\Microsoft SQL Server\110\DTS\Binn\MsDtsSrvr.exe` {
		t.Errorf("setup commands did not build the rules: %+v", cfg.Rules)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown field", "hosts:\n  - name: a.example\n    windoze: 2019\n", "bad.yaml:3: field windoze not found"},
		{"bad version", "hosts:\n  - name: a.example\n  - name: b.example\n    windows: \"2000\"\n", `bad.yaml:3: host b.example: windows: unknown windows version "2000"`},
		{"bad ssis", "hosts:\n  - name: a.example\n    ssis: [{version: 170}]\n", "bad.yaml:2: host a.example: ssis[0].version: 170"},
		{"bad rule", "hosts:\n  - name: a.example\n    rules: [{name: x, localport: \"135\"}]\n", "bad.yaml:2: host a.example: rules[0]: localport"},
		{"bad address", "hosts:\n  - name: a.example\n    rules: [{name: x, remoteip: 10.1}]\n", "remoteip: invalid value"},
		{"duplicate", "hosts:\n  - name: a.example\n  - name: A.example\n", "bad.yaml:3: host A.example: name: duplicate host (first on line 2)"},
		{"bad setup", "hosts:\n  - name: a.example\n    setup: [\"netsh firewall add portopening TCP 99999 x\"]\n", "bad.yaml:2: host a.example: setup[0]"},
		{"bad duration", "hosts:\n  - name: a.example\n    faults: {latency: soon}\n", `invalid duration "soon"`},
		{"bad regexp", "hosts:\n  - name: a.example\n    faults: {canned: [{match: \"(\"}]}\n", "bad.yaml:2: host a.example: host \"A\": canned response 1"},
		{"no hosts", "version: 1\n", "bad.yaml: hosts: no hosts"},
		{"bad expect", "hosts:\n  - name: a.example\n    expect: fine\n", `expect: "fine" is not one of`},
		{"bad name", "hosts:\n  - name: \"a b\"\n", `name: "a b" is not a valid host name`},
		{"bad soap op", "hosts:\n  - name: a.example\n    faults: {soap_faults: {Open: 5}}\n", `faults.soap_faults: unknown operation "Open"`},
		{"two write faults", "hosts:\n  - name: a.example\n    faults: {drop_before_write: true, hang_on_write: true}\n",
			"bad.yaml:2: host a.example: faults.drop_before_write and faults.hang_on_write: at most one write fault"},
		{"write_faults_after alone", "hosts:\n  - name: a.example\n    faults: {write_faults_after: 2}\n",
			"bad.yaml:2: host a.example: faults.write_faults_after: needs drop_before_write"},
		{"negative write_faults_after", "hosts:\n  - name: a.example\n    faults: {drop_after_write: true, write_faults_after: -1}\n",
			"bad.yaml:2: host a.example: faults.write_faults_after: -1 is negative"},
		{"bad size", "hosts:\n  - name: a.example\n    faults: {huge_output: 20 parsecs}\n", `bad.yaml:3: invalid size "20 parsecs"`},
	}
	for _, tt := range tests {
		_, err := Parse("bad.yaml", []byte(tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Parse error = %v, want it to contain %q", tt.name, err, tt.want)
		}
	}
}

// TestTestdataFleets loads every fleet file under testdata.
func TestTestdataFleets(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if len(files) == 0 {
		t.Fatal("no testdata fleets")
	}
	for _, p := range files {
		if _, err := Load(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

func TestGenerate(t *testing.T) {
	a, b := Generate(500, 42), Generate(500, 42)
	var ba, bb bytes.Buffer
	if err := a.Write(&ba); err != nil {
		t.Fatal(err)
	}
	_ = b.Write(&bb)
	if ba.String() != bb.String() {
		t.Fatal("Generate is not deterministic for the same seed")
	}
	if c := Generate(500, 43); len(c.Hosts) != 500 {
		t.Fatal("wrong size")
	}
	// The written fleet loads back and gives the same answers.
	back, err := Parse("generated.yaml", ba.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	ans, err := a.Answers()
	if err != nil {
		t.Fatal(err)
	}
	ans2, _ := back.Answers()
	if d := cmp.Diff(ans, ans2); d != "" {
		t.Errorf("answers differ after a write/load round trip:\n%s", d)
	}
	// Every label gives the status it should, and the mix is as documented.
	wantStatus := map[string]string{LabelCompliant: "compliant", FaultUnreachable: "unreachable", FaultHang: "timeout",
		FaultBadPassword: "auth_failed", FaultNotElevated: "error", FaultFwStopped: "error"}
	for _, k := range driftKinds {
		wantStatus[k] = "noncompliant"
	}
	count := map[string]int{}
	labels := map[string]int{}
	versions := map[string]int{}
	onD, multi := 0, 0
	for i, h := range a.Hosts {
		if got := ans[h.Name]; got != wantStatus[h.Label] {
			cfg, _ := a.HostConfig(i)
			t.Errorf("%s labelled %s: answer %s, want %s (problems: %v)", h.Name, h.Label, got, wantStatus[h.Label], Compliance(cfg))
		}
		count[ans[h.Name]]++
		labels[h.Label]++
		versions[h.Windows]++
		if strings.HasPrefix(h.SSIS[0].Root, "D:") {
			onD++
		}
		if len(h.SSIS) > 1 {
			multi++
		}
	}
	t.Logf("statuses %v\nlabels %v\nwindows %v\nD: %d, two versions %d", count, labels, versions, onD, multi)
	if c := count["compliant"]; c < 330 || c > 400 {
		t.Errorf("%d compliant of 500, want 70-80%%", c)
	}
	if c := count["noncompliant"]; c < 80 || c > 100 {
		t.Errorf("%d noncompliant of 500, want about 18%%", c)
	}
	for _, k := range append(append([]string{}, driftKinds...), faultKinds...) {
		if labels[k] == 0 {
			t.Errorf("no host labelled %s", k)
		}
	}
	if versions["2003"] == 0 || versions["2008"] == 0 || onD == 0 || multi == 0 {
		t.Errorf("mix lacks old hosts, D: installs or multi-version hosts: %v D:%d multi:%d", versions, onD, multi)
	}
}

// TestReadmeReference parses the field reference in README.md, so that the
// documentation cannot drift from the format.
func TestReadmeReference(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "```yaml\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("README.md has no yaml block")
	}
	f, err := Parse("README.md", []byte(block))
	if err != nil {
		t.Fatalf("the README's fleet file reference does not load: %v", err)
	}
	if len(f.Hosts) != 1 || len(f.Hosts[0].SSIS) != 2 || !f.Hosts[0].Faults.NotElevated || f.Hosts[0].Faults.SOAPFaults["Create"] != 2150859173 {
		t.Errorf("README reference parsed as %+v", f.Hosts)
	}
}

func TestByteSize(t *testing.T) {
	for in, want := range map[string]ByteSize{"20MiB": 20 << 20, "20MB": 20 << 20, "512kb": 512 << 10, "1GiB": 1 << 30, "1000": 1000, "7 B": 7, "0": 0} {
		if got, err := ParseByteSize(in); err != nil || got != want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MiB", "-1", "1.5MiB", "2TiB", "3 parsecs", "99999999999999GiB"} {
		if got, err := ParseByteSize(in); err == nil {
			t.Errorf("ParseByteSize(%q) = %d, want an error", in, got)
		}
	}
	for _, b := range []ByteSize{0, 1000, 20 << 20, 3 << 10, 1 << 30} {
		v, _ := b.MarshalYAML()
		s := strings.TrimSpace(fmt.Sprint(v))
		if got, err := ParseByteSize(s); err != nil || got != b {
			t.Errorf("ByteSize %d marshals as %q, which parses as %d, %v", b, s, got, err)
		}
	}
}

// TestHugeOutputFault: huge_output reaches the host's server, the answer
// is error, and the fleet file round-trips.
func TestHugeOutputFault(t *testing.T) {
	f, err := Parse("huge.yaml", []byte("hosts:\n  - name: a.example\n    ssis: [{version: 130}]\n    faults: {huge_output: 3MiB}\n  - name: b.example\n    ssis: [{version: 130}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := f.Write(&out); err != nil || !strings.Contains(out.String(), "huge_output: 3MiB") {
		t.Errorf("Write = %v:\n%s", err, out.String())
	}
	lab, err := Serve(t.Context(), f, ServeOptions{Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close()
	a, _ := lab.Host("a.example")
	b, _ := lab.Host("b.example")
	if got := a.Server.Faults().HugeOutput; got != 3<<20 {
		t.Errorf("a's HugeOutput = %d, want 3 MiB", got)
	}
	if got := b.Server.Faults().HugeOutput; got != 0 {
		t.Errorf("b's HugeOutput = %d, want 0", got)
	}
	if ans := lab.Answers(); ans["a.example"] != "error" || ans["b.example"] == "error" {
		t.Errorf("answers %v: want a error, b not", ans)
	}
}
