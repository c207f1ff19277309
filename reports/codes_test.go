package reports

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/winfleet/winfleet/playbook"

	"github.com/google/go-cmp/cmp"
)

// TestCodesDocumented keeps README.md's table of reason codes and
// CodeInfos equal, row by row: code, level, meaning, what to do.
func TestCodesDocumented(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\| (check|host) \\| (.*) \\| (.*) \\|$")
	var doc []CodeInfo
	for _, m := range row.FindAllStringSubmatch(string(readme), -1) {
		doc = append(doc, CodeInfo{Code: m[1], Level: CodeLevel(m[2]), Meaning: m[3], Action: m[4]})
	}
	if d := cmp.Diff(CodeInfos(), doc); d != "" {
		t.Errorf("README.md's reason codes differ from CodeInfos (-code +readme):\n%s", d)
	}
}

func TestCodeInfos(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range CodeInfos() {
		if seen[c.Code] {
			t.Errorf("code %q listed twice", c.Code)
		}
		seen[c.Code] = true
		if c.Meaning == "" || c.Action == "" || (c.Level != CodeLevelCheck && c.Level != CodeLevelHost) {
			t.Errorf("code %q: incomplete %+v", c.Code, c)
		}
		if strings.ContainsAny(c.Meaning+c.Action, "|\n") {
			t.Errorf("code %q: a pipe or newline would break the tables", c.Code)
		}
		if got, ok := CodeInfoFor(c.Code); !ok || got != c {
			t.Errorf("CodeInfoFor(%q) = %+v, %v", c.Code, got, ok)
		}
	}
	// The host statuses that name a transport failure are codes too, so a
	// report without codes still groups by cause under documented names.
	for _, s := range []HostStatus{StatusUnreachable, StatusAuthFailed, StatusTimeout, StatusCancelled} {
		if !seen[string(s)] {
			t.Errorf("status %q is not a code", s)
		}
	}
	if _, ok := CodeInfoFor("nope"); ok {
		t.Errorf("CodeInfoFor(nope) found something")
	}
}

func TestHostCode(t *testing.T) {
	fail := func(code string) Check { return Check{Status: CheckFail, Code: code} }
	tests := []struct {
		name        string
		h           Host
		code, cause string
	}{
		{"own code", Host{Status: StatusNoncompliant, Code: string(playbook.CodeBlocked), Checks: []Check{fail(string(playbook.CodeMissing))}}, string(playbook.CodeBlocked), string(playbook.CodeBlocked)},
		{"first failing check", Host{Status: StatusNoncompliant, Checks: []Check{{Status: CheckPass, Code: "x"}, fail(""), fail(string(playbook.CodeTooOpen)), fail(string(playbook.CodeMissing))}}, string(playbook.CodeTooOpen), string(playbook.CodeTooOpen)},
		{"skipped checks do not count", Host{Status: StatusWouldChange, Checks: []Check{{Status: CheckSkipped, Code: string(playbook.CodeMaxFail)}}}, "", "would_change"},
		{"ok host", Host{Status: StatusChanged, Checks: []Check{fail(string(playbook.CodeMissing))}}, "", "changed"},
		{"old report", Host{Status: StatusUnreachable}, "", "unreachable"},
	}
	for _, tt := range tests {
		if got := hostCode(tt.h); got != tt.code {
			t.Errorf("%s: hostCode = %q, want %q", tt.name, got, tt.code)
		}
		if got := hostCause(tt.h); got != tt.cause {
			t.Errorf("%s: hostCause = %q, want %q", tt.name, got, tt.cause)
		}
	}
}

func TestParseEvidence(t *testing.T) {
	for _, in := range []string{"failing", "all"} {
		if e, err := ParseEvidence(in); err != nil || string(e) != in {
			t.Errorf("ParseEvidence(%q) = %q, %v", in, e, err)
		}
	}
	if _, err := ParseEvidence("none"); err == nil || err.Error() != `evidence "none": want failing or all` {
		t.Errorf(`ParseEvidence("none") = %v`, err)
	}
	var b strings.Builder
	if err := Write(&b, sampleReport(), "csv", WriteOptions{Evidence: "x"}); err == nil || b.Len() != 0 {
		t.Errorf("a format without evidence accepted a bad option (err %v, wrote %d bytes)", err, b.Len())
	}
}

// TestCodeInfosArePlaybookCodes: the codes documented here are exactly the
// codes the playbook decides, in its order: one list, one owner.
func TestCodeInfosArePlaybookCodes(t *testing.T) {
	var want, got []string
	for _, c := range playbook.Codes() {
		want = append(want, string(c))
	}
	for _, c := range CodeInfos() {
		got = append(got, c.Code)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("CodeInfos differs from playbook.Codes (-playbook +reports):\n%s", d)
	}
}
