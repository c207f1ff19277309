package reports

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/winfleet/winfleet/playbook"
)

func renderHTML(t testing.TB, r *Report, o WriteOptions) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTML(&b, r, o); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestHTMLSelfContainedAndEscaped: the page loads nothing (no src, no
// external link, no CSS url or import), has exactly one script and one
// style element, and its Content-Security-Policy allows exactly those two
// by hash and nothing else; report text is escaped.
func TestHTMLSelfContainedAndEscaped(t *testing.T) {
	out := renderHTML(t, sampleReport(), WriteOptions{})
	for _, bad := range []string{"<link", "<img", "<iframe", "<object", "<embed", "src=", `="http`, `="//`, "@import", "url(", "<script "} {
		if strings.Contains(out, bad) {
			t.Errorf("HTML contains %q: not self-contained or not escaped", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "sql03.corp.example", "MsDtsSrvr.exe", "<!DOCTYPE html>"} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	scripts := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindAllStringSubmatch(out, -1)
	styles := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindAllStringSubmatch(out, -1)
	if len(scripts) != 1 || len(styles) != 1 || strings.Count(out, "<script") != 1 || strings.Count(out, "<style") != 1 {
		t.Fatalf("%d scripts and %d styles, want one each", strings.Count(out, "<script"), strings.Count(out, "<style"))
	}
	csp := regexp.MustCompile(`http-equiv="Content-Security-Policy" content="([^"]*)"`).FindStringSubmatch(out)
	if csp == nil {
		t.Fatal("no Content-Security-Policy")
	}
	policy := html.UnescapeString(csp[1])
	hash := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	want := "default-src 'none'; style-src " + hash(styles[0][1]) + "; script-src " + hash(scripts[0][1]) +
		"; img-src 'none'; base-uri 'none'; form-action 'none'"
	if policy != want {
		t.Errorf("Content-Security-Policy = %q\nwant %q (the hashes of the page's own style and script)", policy, want)
	}
	// Every link inside the page has a target.
	for _, m := range regexp.MustCompile(`href="#([\w-]+)"`).FindAllStringSubmatch(out, -1) {
		if !strings.Contains(out, `id="`+m[1]+`"`) {
			t.Errorf("link to #%s has no target", m[1])
		}
	}
}

// TestHTMLEvidence: by default a failing check keeps its evidence, open,
// and a passing check's raw output is dropped; with Evidence all the
// passing check's evidence is there, collapsed.
func TestHTMLEvidence(t *testing.T) {
	passOutput := "Port configuration for Standard profile" // legacy01's passing check
	failCommand := `netsh advfirewall firewall show rule name=&#34;SSIS Service&#34; verbose`
	def := renderHTML(t, sampleReport(), WriteOptions{})
	if strings.Contains(def, passOutput) {
		t.Errorf("default HTML keeps the raw output of a passing check")
	}
	if !strings.Contains(def, "<details open><summary>evidence: 72 bytes</summary><pre>&gt; "+failCommand) {
		t.Errorf("default HTML lacks the open evidence of the failing check")
	}
	all := renderHTML(t, sampleReport(), WriteOptions{Evidence: EvidenceAll})
	i := strings.Index(all, passOutput)
	if i < 0 {
		t.Fatalf("--evidence all HTML lacks the raw output of a passing check")
	}
	if j := strings.LastIndex(all[:i], "<details"); j < 0 || strings.HasPrefix(all[j:], "<details open") {
		t.Errorf("a passing check's evidence is not collapsed")
	}
	if err := WriteHTML(new(bytes.Buffer), sampleReport(), WriteOptions{Evidence: "none"}); err == nil {
		t.Errorf("WriteHTML with evidence \"none\" succeeded")
	}
}

// TestHTMLWrites: the apply page shows every write with how far it got,
// before and after for a changed check, and the codes.
func TestHTMLWrites(t *testing.T) {
	out := renderHTML(t, applySampleReport(), WriteOptions{})
	for _, want := range []string{
		`<span class="s ok">exit 0</span> <code>netsh advfirewall firewall set rule name=&#34;SSIS Service&#34; dir=in new remoteip=localsubnet</code>`,
		`<span class="s drift">exit 1</span>`, "The requested operation requires elevation",
		`<span class="s drift">sent, no answer</span>`, `<span class="s plan">not sent</span>`,
		`<tr><th>before</th>`, `<tr><th>after</th>`,
		`data-fc="write_unconfirmed"`, `<code title="a write command was sent and no answer came`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("apply HTML lacks %s", want)
		}
	}
	check := renderHTML(t, checkSampleReport(), WriteOptions{})
	if n := strings.Count(check, `<span class="s plan">would send</span>`); n != 6 {
		t.Errorf("check HTML shows %d would-send commands, want 6", n)
	}
}

func TestPercent(t *testing.T) {
	tests := []struct {
		part, whole int
		want        string
	}{
		{770, 950, "81.0%"}, {1, 3, "33.3%"}, {2, 3, "66.6%"}, {1999, 2000, "99.9%"},
		{9999, 10000, "99.9%"}, {5, 5, "100.0%"}, {0, 7, "0.0%"}, {0, 0, "-"},
	}
	for _, tt := range tests {
		if got := percent(tt.part, tt.whole); got != tt.want {
			t.Errorf("percent(%d, %d) = %q, want %q", tt.part, tt.whole, got, tt.want)
		}
	}
}

func TestCompliance(t *testing.T) {
	r := hostsWith(StatusCompliant, StatusChanged, StatusNoncompliant, StatusWouldChange, StatusFailed, StatusUnreachable, StatusSkipped)
	c := compliance(r)
	if c.OK != 2 || c.Checked != 5 || c.Unchecked != 2 || c.Total != 7 || c.Attention != 5 || c.Percent != "40.0%" {
		t.Errorf("compliance = %+v, want 2 OK of 5 checked, 2 unchecked, 7 in all, 5 needing attention, 40.0%%", c)
	}
	if c := compliance(hostsWith(StatusUnreachable)); c.Percent != "n/a" {
		t.Errorf("compliance with no checked host = %q, want n/a", c.Percent)
	}
	out := renderHTML(t, r, WriteOptions{})
	if !strings.Contains(out, "(compliant + changed) ÷ (compliant + changed + noncompliant + would_change + failed) = 2 ÷ 5") {
		t.Errorf("the page does not print the definition of compliance with its numbers")
	}
}

func TestHTMLCauses(t *testing.T) {
	var hosts []htmlHost
	for i, code := range []string{string(playbook.CodeMissing), string(playbook.CodeTooOpen), string(playbook.CodeMissing), "", string(playbook.CodeMissing), string(playbook.CodeMissing), string(playbook.CodeMissing), string(playbook.CodeMissing), "x_new"} {
		h := Host{Host: "h" + string(rune('a'+i)), Status: StatusNoncompliant, Code: code}
		hosts = append(hosts, htmlHostOf(i, h, WriteOptions{}))
	}
	hosts = append(hosts, htmlHostOf(9, Host{Host: "ok", Status: StatusCompliant}, WriteOptions{}))
	got := htmlCauses(hosts)
	var summary []string
	for _, c := range got {
		summary = append(summary, c.Code+":"+itoa(c.N)+"/"+itoa(len(c.Hosts))+"+"+itoa(c.More))
	}
	want := "missing:6/5+1 noncompliant:1/1+0 too_open:1/1+0 x_new:1/1+0"
	if strings.Join(summary, " ") != want {
		t.Errorf("causes = %s, want %s", strings.Join(summary, " "), want)
	}
	if got[0].Action == "" || got[3].Action != "" {
		t.Errorf("a known code needs its action, an unknown one none: %q, %q", got[0].Action, got[3].Action)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestHTMLSize1000Hosts renders the realistic 1,000-host scan (a real lab
// scan, see labScan) and holds the page under 1.5 MB with the default
// evidence. The writer before this one made 3,597,414 bytes of the same
// report, more than half of it the raw output of passing checks (README.md).
func TestHTMLSize1000Hosts(t *testing.T) {
	def := len(renderHTML(t, labReport(t), WriteOptions{}))
	all := len(renderHTML(t, labReport(t), WriteOptions{Evidence: EvidenceAll}))
	t.Logf("html at 1,000 hosts: %d bytes (evidence failing), %d bytes (evidence all)", def, all)
	if def > 1_500_000 {
		t.Errorf("html at 1,000 hosts is %d bytes, want at most 1,500,000", def)
	}
	if def*2 > all {
		t.Errorf("dropping passing evidence saves too little: %d vs %d bytes", def, all)
	}
}

func BenchmarkHTML1000Hosts(b *testing.B) {
	r := labReport(b)
	for _, e := range Evidences() {
		b.Run(string(e), func(b *testing.B) {
			var out bytes.Buffer
			b.ReportAllocs()
			for b.Loop() {
				out.Reset()
				if err := WriteHTML(&out, r, WriteOptions{Evidence: e}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(out.Len()), "page-bytes")
		})
	}
}
