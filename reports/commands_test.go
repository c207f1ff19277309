package reports

import (
	"bytes"
	"strings"
	"testing"
)

// TestCommandDiffEscapes: text from hosts cannot drive the terminal, and a
// command cannot close the Markdown code block it is shown in.
func TestCommandDiffEscapes(t *testing.T) {
	evil := "netsh x \x1b[2J\x1b]0;pwned\x07\r\nrm -rf ```"
	r := &Report{Mode: ModeCheck, Hosts: []Host{{Host: "h\x1b[31m", Status: StatusWouldChange, Reason: "r\r\nx",
		Checks: []Check{{ID: "c", Status: CheckWouldChange, Actual: "a\x00", Expected: "e",
			Writes: []WriteRecord{{Command: evil, State: WriteAnswered, ExitCode: 2, Output: "line1\r\n\x1b[1mline2\r\n"}}}}}}}
	var b bytes.Buffer
	if err := WriteCommandDiff(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.ContainsAny(out, "\x1b\x07\x00\r") {
		t.Errorf("command diff passes control characters through: %q", out)
	}
	for _, want := range []string{`h\x1b[31m  would_change: r x`, `exit 2           netsh x \x1b[2J\x1b]0;pwned\x07 rm -rf ` + "```", `| \x1b[1mline2`} {
		if !strings.Contains(out, want) {
			t.Errorf("command diff lacks %q:\n%s", want, out)
		}
	}
	md := render(t, "markdown", r)
	if !strings.Contains(md, "````diff\n") || !strings.Contains(md, "\n````\n") {
		t.Errorf("Markdown commands block is not fenced with four backticks:\n%s", md)
	}
}

func TestMdFence(t *testing.T) {
	tests := []struct {
		lines []string
		want  string
	}{
		{nil, "```"},
		{[]string{"a `b` c"}, "```"},
		{[]string{"x", "a ``` b", "````"}, "`````"},
	}
	for _, tt := range tests {
		if got := mdFence(tt.lines); got != tt.want {
			t.Errorf("mdFence(%q) = %q, want %q", tt.lines, got, tt.want)
		}
	}
}

func TestCommandDiffNothingToSend(t *testing.T) {
	var b bytes.Buffer
	if err := WriteCommandDiff(&b, hostsWith(StatusCompliant, StatusChanged)); err != nil {
		t.Fatal(err)
	}
	if b.String() != "no commands.\n" {
		t.Errorf("command diff of a compliant run = %q, want %q", b.String(), "no commands.\n")
	}
}
