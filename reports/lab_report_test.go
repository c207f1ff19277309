package reports

import (
	"compress/gzip"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/winfleet/winfleet/playbook"
)

// labScan reads testdata/lab-scan-1000.json.gz: a real scan of the lab's
// generated 1,000-host fleet, made with
//
//	WINFLEET_PASSWORD=... winfleet lab --hosts 1000 --seed 1 --inventory-out inv.yaml &
//	winfleet scan -i inv.yaml --timeout 20s --connect-timeout 5s -o json=scan.json
//
// (770 compliant, 180 noncompliant, 10 unreachable, 10 auth_failed, 10
// timeout, 20 error; commands and raw output as the lab's Windows prints
// them). It was made before the executor filled reason codes, writes and run
// metadata; labReport adds them the way the executor will.
func labScan(tb testing.TB) *Report {
	tb.Helper()
	f, err := os.Open("testdata/lab-scan-1000.json.gz")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	r, err := ReadJSON(zr)
	if err != nil {
		tb.Fatalf("testdata/lab-scan-1000.json.gz: %v", err)
	}
	return r
}

// reasonCodes maps a check's reason, as the executor words it, to its code.
// First match wins.
var reasonCodes = []struct {
	re   *regexp.Regexp
	code string
}{
	{regexp.MustCompile(`blocked by rule`), string(playbook.CodeBlocked)},
	{regexp.MustCompile(`rules with this name disagree`), string(playbook.CodeDuplicatesDisagree)},
	{regexp.MustCompile(`\(too open\)`), string(playbook.CodeTooOpen)},
	{regexp.MustCompile(`scope is`), string(playbook.CodeWrongScope)},
	{regexp.MustCompile(`local port is|protocol is`), string(playbook.CodeWrongPort)},
	{regexp.MustCompile(`program is`), string(playbook.CodeWrongProgram)},
	{regexp.MustCompile(`disabled`), string(playbook.CodeDisabled)},
	{regexp.MustCompile(`missing`), string(playbook.CodeMissing)},
	{regexp.MustCompile(`MpsSvc`), string(playbook.CodeFirewallStopped)},
	{regexp.MustCompile(`administrator session`), string(playbook.CodeNotElevated)},
}

// checkReason is the part of a host's reason ("id: why; id2: why") about
// check id.
func checkReason(h Host, id string) string {
	for _, part := range strings.Split(h.Reason, "; ") {
		if rest, ok := strings.CutPrefix(part, id+": "); ok {
			return rest
		}
	}
	return h.Reason
}

// labReport is labScan with what the executor is to add: reason codes on
// checks and hosts, groups, and the run's metadata.
func labReport(tb testing.TB) *Report {
	tb.Helper()
	r := labScan(tb)
	r.Tool = &Tool{Name: "winfleet", Version: "0.9.0", Revision: "3f2c1ab"}
	r.Operator = "ops-jdoe"
	r.Controller = "ctl01.corp.example"
	r.CommandLine = []string{"winfleet", "scan", "-i", "inv.yaml", "--timeout", "20s", "-o", "json=scan.json", "-o", "html=scan.html"}
	r.PlaybookDigest = "sha256:9c1f0e5d8b7a64c3f2e1d0c9b8a7f6e5d4c3b2a1908f7e6d5c4b3a2918f7e6d5"
	for i := range r.Hosts {
		h := &r.Hosts[i]
		site := []string{"east", "west"}[i%2]
		h.Groups = []string{"sql", "sql_" + site}
		for j := range h.Checks {
			c := &h.Checks[j]
			if c.Status == CheckPass {
				continue
			}
			why := checkReason(*h, c.ID)
			c.Code = string(playbook.CodeUnrecognizedOutput)
			for _, rc := range reasonCodes {
				if rc.re.MatchString(why) {
					c.Code = rc.code
					break
				}
			}
			if h.Code == "" {
				h.Code = c.Code
			}
		}
		if h.Code == "" && h.Status.Unchecked() {
			h.Code = string(h.Status)
		}
	}
	return r
}

// labCheckReport is labReport as apply --check would report it: every
// failing check that apply can fix would change, with the commands it
// would send; blocked checks need a person and stay fail.
func labCheckReport(tb testing.TB) *Report {
	tb.Helper()
	r := labReport(tb)
	r.Mode = ModeCheck
	r.CommandLine = []string{"winfleet", "apply", "-C", "-i", "inv.yaml", "-o", "html=check.html"}
	for i := range r.Hosts {
		h := &r.Hosts[i]
		if h.Status != StatusNoncompliant {
			continue
		}
		fixable := true
		for j := range h.Checks {
			c := &h.Checks[j]
			if c.Status != CheckFail {
				continue
			}
			cmds := fixCommands(*c)
			if len(cmds) == 0 {
				fixable = false
				continue
			}
			c.Status = CheckWouldChange
			for _, cmd := range cmds {
				c.Writes = append(c.Writes, WriteRecord{Command: cmd, State: WriteWouldSend})
			}
		}
		if fixable {
			h.Status = StatusWouldChange
		}
	}
	return r
}

// fixCommands are the commands apply would send for a failing check, in
// the form playbook/netsh renders them; none for a blocked check.
func fixCommands(c Check) []string {
	match := fmt.Sprintf(`netsh advfirewall firewall %%s rule name="%s" dir=in`, c.Name)
	var add string
	if prog, ok := strings.CutPrefix(c.Expected, "enabled, in, allow, program "); ok {
		prog, _, _ = strings.Cut(prog, ", from")
		add = fmt.Sprintf(match, "add") + fmt.Sprintf(` action=allow program="%s" remoteip=localsubnet profile=any enable=yes`, prog)
	} else {
		add = fmt.Sprintf(match, "add") + " action=allow protocol=TCP localport=135 remoteip=localsubnet profile=any"
	}
	set := fmt.Sprintf(match, "set") + " new "
	switch c.Code {
	case string(playbook.CodeMissing):
		return []string{add}
	case string(playbook.CodeDisabled):
		return []string{set + "enable=yes"}
	case string(playbook.CodeTooOpen), string(playbook.CodeWrongScope):
		return []string{set + "remoteip=localsubnet"}
	case string(playbook.CodeWrongPort):
		return []string{set + "localport=135"}
	case string(playbook.CodeWrongProgram), string(playbook.CodeDuplicatesDisagree):
		return []string{fmt.Sprintf(match, "delete"), add}
	}
	return nil
}
