package reports

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type junitDoc struct {
	Name     string `xml:"name,attr"`
	Tests    int    `xml:"tests,attr"`
	Failures int    `xml:"failures,attr"`
	Errors   int    `xml:"errors,attr"`
	Suites   []struct {
		Name       string `xml:"name,attr"`
		Tests      int    `xml:"tests,attr"`
		Failures   int    `xml:"failures,attr"`
		Errors     int    `xml:"errors,attr"`
		Skipped    int    `xml:"skipped,attr"`
		Properties []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []struct {
			Classname string `xml:"classname,attr"`
			Name      string `xml:"name,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"error"`
			Skipped   *struct{} `xml:"skipped"`
			SystemOut string    `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// skipped is the number of skipped cases over all suites (testsuites has
// no skipped attribute in Jenkins' schema).
func (d junitDoc) skipped() int {
	n := 0
	for _, s := range d.Suites {
		n += s.Skipped
	}
	return n
}

func parseJUnitOpts(t *testing.T, r *Report, o WriteOptions) junitDoc {
	t.Helper()
	var b bytes.Buffer
	if err := WriteJUnit(&b, r, o); err != nil {
		t.Fatal(err)
	}
	var doc junitDoc
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("JUnit XML does not parse: %v", err)
	}
	return doc
}

func parseJUnit(t *testing.T, r *Report) junitDoc {
	t.Helper()
	return parseJUnitOpts(t, r, WriteOptions{})
}

func TestJUnit(t *testing.T) {
	doc := parseJUnit(t, sampleReport())
	var suites []string
	for _, s := range doc.Suites {
		suites = append(suites, s.Name)
	}
	want := []string{"legacy01.corp.example", "sql01.corp.example", "sql02.corp.example", "sql03.corp.example", "sql04.corp.example", "sql06.corp.example"}
	if d := cmp.Diff(want, suites); d != "" {
		t.Errorf("one testsuite per host, named after it (-want +got):\n%s", d)
	}
	// 5 checks + 3 host-level cases (unreachable, timeout, auth_failed).
	if doc.Tests != 8 || doc.Failures != 1 || doc.Errors != 3 || doc.skipped() != 0 {
		t.Errorf("tests/failures/errors/skipped = %d/%d/%d/%d, want 8/1/3/0", doc.Tests, doc.Failures, doc.Errors, doc.skipped())
	}
	var failed []string
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			if c.Classname != "ssis-firewall" {
				t.Errorf("case %q has classname %q, want the playbook's name", c.Name, c.Classname)
			}
			if !strings.HasPrefix(c.Name, s.Name+": ") {
				t.Errorf("case %q of suite %q does not start with the host", c.Name, s.Name)
			}
			if c.Failure != nil {
				failed = append(failed, c.Name)
				if c.Failure.Message != "too_open: expected "+ssisExpected+", actual "+ssisActualAll {
					t.Errorf("failure message = %q, want the code and what differs", c.Failure.Message)
				}
				if !strings.Contains(c.SystemOut, `netsh advfirewall firewall show rule name="SSIS Service"`) {
					t.Errorf("failing case %s has system-out %q, want the command", c.Name, c.SystemOut)
				}
			} else if c.SystemOut != "" {
				t.Errorf("passing case %s carries evidence under the default --evidence failing", c.Name)
			}
			if c.Error != nil && s.Name == "sql04.corp.example" {
				if !strings.Contains(c.Error.Text, "<script>") {
					t.Errorf("error text = %q, want the raw error (escaped by XML, not lost)", c.Error.Text)
				}
				if !strings.HasPrefix(c.Error.Message, "timeout: ") {
					t.Errorf("host error message = %q, want it to start with the code", c.Error.Message)
				}
			}
		}
	}
	if d := cmp.Diff([]string{"sql03.corp.example: ssis-service (SSIS Service)"}, failed); d != "" {
		t.Errorf("failing cases (-want +got):\n%s", d)
	}
}

const (
	ssisExpected  = `inbound allow program C:\Program Files\Microsoft SQL Server\150\DTS\Binn\MsDtsSrvr.exe scope subnet`
	ssisActualAll = `inbound allow program C:\Program Files\Microsoft SQL Server\150\DTS\Binn\MsDtsSrvr.exe scope ALL`
)

func TestJUnitEvidenceAll(t *testing.T) {
	doc := parseJUnitOpts(t, sampleReport(), WriteOptions{Evidence: EvidenceAll})
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			if !strings.HasSuffix(c.Name, HostCaseName) && c.SystemOut == "" {
				t.Errorf("case %q has no evidence under --evidence all", c.Name)
			}
		}
	}
	if err := WriteJUnit(new(bytes.Buffer), sampleReport(), WriteOptions{Evidence: "some"}); err == nil || !strings.Contains(err.Error(), `"some"`) {
		t.Errorf("WriteJUnit with evidence \"some\" = %v, want an error naming it", err)
	}
}

// TestJUnitNamesForCI guards what Jenkins and GitLab need: a classname
// without dots (Jenkins splits at the last dot into package and class), and
// (classname, name) unique in the whole document (GitLab collapses
// duplicates), also for a host with two SSIS versions (two checks named
// "SSIS Service") and for checks that even share an id.
func TestJUnitNamesForCI(t *testing.T) {
	ssis := func(id string) Check { return Check{ID: id, Name: "SSIS Service", Status: CheckPass} }
	r := &Report{Mode: ModeScan, Playbook: "corp.ssis-firewall.v2", Hosts: []Host{
		{Host: "sql001.lab.example", Status: StatusCompliant, Checks: []Check{ssis("ssis-service-120"), ssis("ssis-service-130")}},
		{Host: "sql002.lab.example", Status: StatusNoncompliant, Checks: []Check{
			ssis("ssis-service-120"), {ID: "ssis-service-120", Name: "SSIS Service", Status: CheckFail}, {Name: "SSIS Service", Status: CheckFail}, {ID: "host status", Status: CheckPass}}},
		{Host: "sql003.lab.example", Status: StatusUnreachable},
	}}
	doc := parseJUnit(t, r)
	seen := map[string]bool{}
	var names []string
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			if c.Classname != "corp_ssis-firewall_v2" {
				t.Errorf("classname = %q, want corp_ssis-firewall_v2", c.Classname)
			}
			key := c.Classname + "\x00" + c.Name
			if seen[key] {
				t.Errorf("duplicate (classname, name) = (%q, %q)", c.Classname, c.Name)
			}
			seen[key] = true
			names = append(names, c.Name)
		}
	}
	want := []string{
		"sql001.lab.example: ssis-service-120 (SSIS Service)",
		"sql001.lab.example: ssis-service-130 (SSIS Service)",
		"sql002.lab.example: ssis-service-120 (SSIS Service)",
		"sql002.lab.example: ssis-service-120 (SSIS Service) #2",
		"sql002.lab.example: SSIS Service",
		"sql002.lab.example: host status",
		"sql003.lab.example: host status",
	}
	if d := cmp.Diff(want, names); d != "" {
		t.Errorf("case names (-want +got):\n%s", d)
	}
	if got := JUnitClassname(""); got != "winfleet" {
		t.Errorf(`JUnitClassname("") = %q, want winfleet`, got)
	}
}

func TestJUnitHostLevelCases(t *testing.T) {
	tests := []struct {
		name                  string
		host                  Host
		tests, fail, err, skp int
	}{
		{"skipped host", Host{Host: "h", Status: StatusSkipped}, 1, 0, 0, 1},
		{"cancelled host", Host{Host: "h", Status: StatusCancelled}, 1, 0, 0, 1},
		{"compliant host without checks", Host{Host: "h", Status: StatusCompliant}, 1, 0, 0, 0},
		{"failed host with a failing check", Host{Host: "h", Status: StatusFailed,
			Checks: []Check{{ID: "a", Status: CheckPass}, {ID: "b", Status: CheckFail}}}, 2, 1, 0, 0},
		{"failed host whose checks all pass", Host{Host: "h", Status: StatusFailed,
			Checks: []Check{{ID: "a", Status: CheckChanged}}}, 2, 1, 0, 0},
		{"error mid-way with checks", Host{Host: "h", Status: StatusError,
			Checks: []Check{{ID: "a", Status: CheckPass}, {ID: "b", Status: CheckError}}}, 3, 0, 2, 0},
		{"would change", Host{Host: "h", Status: StatusWouldChange,
			Checks: []Check{{ID: "a", Status: CheckWouldChange}, {ID: "b", Status: CheckSkipped}}}, 2, 1, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := parseJUnit(t, &Report{Mode: ModeApply, Hosts: []Host{tt.host}})
			if doc.Tests != tt.tests || doc.Failures != tt.fail || doc.Errors != tt.err || doc.skipped() != tt.skp {
				t.Errorf("tests/failures/errors/skipped = %d/%d/%d/%d, want %d/%d/%d/%d",
					doc.Tests, doc.Failures, doc.Errors, doc.skipped(), tt.tests, tt.fail, tt.err, tt.skp)
			}
		})
	}
}

func TestJUnitSurvivesControlCharacters(t *testing.T) {
	r := &Report{Mode: ModeScan, Hosts: []Host{{Host: "h\x01", Status: StatusError, Reason: "bad\x00byte",
		Error:  "esc \x1b[31m red ]]> end \xff",
		Checks: []Check{{ID: "c", Status: CheckError, Output: "nul \x00 ]]> \x07"}}}}}
	doc := parseJUnit(t, r)
	if doc.Errors != 2 {
		t.Errorf("errors = %d, want 2", doc.Errors)
	}
}

// xmllint returns the path of xmllint. Under CI (CI set, where .ci/run
// installs Debian's libxml2-utils) a missing xmllint fails the test, so it
// can never pass as a skip; elsewhere it skips saying what to install.
func xmllint(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("xmllint"); err == nil {
		return p
	}
	const msg = "xmllint not found (install Debian's libxml2-utils: apt-get install -y libxml2-utils)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// TestJUnitSchema validates JUnit output with xmllint against
// testdata/junit-jenkins.xsd (documents valid under it are valid under the
// schema of the Jenkins xunit plugin; see the file's header): the sample
// scan, the apply sample with every write outcome, the realistic 1,000-host
// check run with evidence for every check, and hostile text. A document in
// the format winfleet wrote before (a "skipped" count on <testsuites>, which
// Jenkins' schema does not allow) must fail, so the test can fail.
func TestJUnitSchema(t *testing.T) {
	lint := xmllint(t)
	dir := t.TempDir()
	hostile := &Report{Mode: ModeScan, Playbook: "p\x01.q", Hosts: []Host{{Host: "h\x01<&>", Status: StatusError,
		Reason: "bad\x00byte ]]>", Checks: []Check{{ID: "c\xff", Status: CheckError, Output: "nul \x00 ]]> \x07"}}}}}
	docs := map[string]func(*bytes.Buffer) error{
		"sample": func(b *bytes.Buffer) error { return WriteJUnit(b, sampleReport(), WriteOptions{}) },
		"apply":  func(b *bytes.Buffer) error { return WriteJUnit(b, applySampleReport(), WriteOptions{}) },
		"lab": func(b *bytes.Buffer) error {
			return WriteJUnit(b, labCheckReport(t), WriteOptions{Evidence: EvidenceAll})
		},
		"hostile": func(b *bytes.Buffer) error { return WriteJUnit(b, hostile, WriteOptions{}) },
		"empty":   func(b *bytes.Buffer) error { return WriteJUnit(b, &Report{Mode: ModeScan}, WriteOptions{}) },
	}
	for name, write := range docs {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := write(&b); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, name+".xml")
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(lint, "--noout", "--schema", "testdata/junit-jenkins.xsd", path).CombinedOutput(); err != nil {
				t.Errorf("xmllint: %v\n%s", err, out)
			}
		})
	}
	t.Run("old format is refused", func(t *testing.T) {
		path := filepath.Join(dir, "old.xml")
		old := `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="winfleet" tests="1" failures="0" errors="0" skipped="0" time="1.000">
  <testsuite name="winfleet scan p" tests="1" failures="0" errors="0" skipped="0" time="1.000">
    <testcase classname="sql01.corp.example" name="RPC (TCP/135)"></testcase>
  </testsuite>
</testsuites>
`
		if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(lint, "--noout", "--schema", "testdata/junit-jenkins.xsd", path).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "skipped") {
			t.Errorf("xmllint accepted a skipped count on <testsuites> (%v):\n%s", err, out)
		}
	})
}
