package winsim

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestIsWriteProgram(t *testing.T) {
	tests := []struct {
		v    Version
		line string
		want bool
	}{
		{Win2019, `netsh advfirewall firewall add rule name=x dir=in action=allow`, true},
		{Win2019, `netsh advf fire del rule name=x`, true},
		{Win2019, `netsh advfirewall firewall set rule name=x new enable=no`, true},
		{Win2019, `netsh advfirewall firewall show rule name=all`, false},
		{Win2019, `netsh advfirewall firewall add rule ?`, false},
		{Win2019, `netsh advfirewall set allprofiles state on`, true},
		{Win2019, `netsh advfirewall show allprofiles`, false},
		{Win2019, `netsh firewall add portopening TCP 135 x`, true},
		{Win2019, `netsh firewall set opmode enable`, true},
		{Win2019, `netsh firewall reset`, true},
		{Win2019, `netsh firewall show portopening`, false},
		{Win2003, `netsh advfirewall firewall add rule name=x`, false}, // no advfirewall on 2003
		{Win2019, `netsh interface show interface`, false},
		{Win2019, `reg add HKLM\SOFTWARE\X /v a /d b /f`, true},
		{Win2019, `reg DELETE HKLM\SOFTWARE\X /f`, true},
		{Win2019, `reg query HKLM\SOFTWARE\X`, false},
		{Win2019, `reg add /?`, false},
		{Win2019, `sc start MsDtsServer150`, true},
		{Win2019, `sc \\host stop MsDtsServer150`, true},
		{Win2019, `sc query MsDtsServer150`, false},
	}
	for _, tt := range tests {
		name, rest := splitProgram(tt.line)
		if got := IsWriteProgram(tt.v, programName(name), splitArgs(rest)); got != tt.want {
			t.Errorf("IsWriteProgram(%s, %q) = %v, want %v", tt.v.Key(), tt.line, got, tt.want)
		}
	}
}

// TestWriteLog: one record per received line that reached a write program,
// with the programs it reached and those that changed state.
func TestWriteLog(t *testing.T) {
	h := MustNew(Config{Version: Win2019, SSIS: []SSIS{{Version: 150}}})
	lines := []struct {
		line             string
		writes, applied  int
		exit             int
		recorded, change bool
	}{
		{line: `netsh advfirewall firewall show rule name=all`},
		{line: `netsh advfirewall firewall add rule name=a dir=in action=allow`, writes: 1, applied: 1, recorded: true},
		{line: `netsh advfirewall firewall delete rule name=nothing`, writes: 1, exit: 1, recorded: true},
		{line: `netsh advfirewall firewall add rule name=b dir=in action=allow & reg add "HKLM\SOFTWARE\Microsoft\Rpc\Internet" /v Ports /t REG_MULTI_SZ /d 5000-5100 /f & echo done`,
			writes: 2, applied: 2, recorded: true},
		{line: "powershell -EncodedCommand " + psEncode(`netsh advfirewall firewall set rule name=a new enable=no`), writes: 1, applied: 1, recorded: true},
		{line: `netsh advfirewall firewall add rule ?`},
	}
	var want []WriteRecord
	for _, l := range lines {
		_, _, rc := run(t, h, l.line)
		if l.recorded {
			want = append(want, WriteRecord{Line: l.line, Writes: l.writes, Applied: l.applied, Exit: rc, Answered: true})
		}
	}
	got := h.WriteLog()
	if len(got) != len(want) {
		t.Fatalf("WriteLog() has %d records, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i].Received.IsZero() {
			t.Errorf("record %d: no Received time", i)
		}
		got[i].Received = time.Time{}
		if got[i] != want[i] {
			t.Errorf("record %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if c := h.WriteCounts(); c != (WriteCounts{Commands: 4, Programs: 5, Applied: 4, Answered: 4}) {
		t.Errorf("WriteCounts() = %+v", c)
	}
	h.ResetLog()
	if c := h.WriteCounts(); c != (WriteCounts{}) || len(h.WriteLog()) != 0 {
		t.Errorf("after ResetLog: %+v, %d records", c, len(h.WriteLog()))
	}

	// A refused write (not elevated) is a write command that changed nothing.
	ne := MustNew(Config{Version: Win2019, Faults: Faults{NotElevated: true}})
	run(t, ne, `netsh advfirewall firewall add rule name=a dir=in action=allow`)
	if got := ne.WriteLog(); len(got) != 1 || got[0].Writes != 1 || got[0].Applied != 0 || got[0].Exit != 1 {
		t.Errorf("not elevated: %+v", got)
	}
}

func TestWriteFaultsExec(t *testing.T) {
	const add = `netsh advfirewall firewall add rule name=w dir=in action=allow`
	ruleCount := func(h *Host) int {
		n := 0
		for _, r := range h.Rules() {
			if r.Name == "w" {
				n++
			}
		}
		return n
	}
	for _, tt := range []struct {
		mode      WriteFaultMode
		wantRules int
	}{
		{DropBeforeWrite, 0},
		{DropAfterWrite, 1},
	} {
		h := MustNew(Config{Version: Win2019, Faults: Faults{Write: WriteFault{Mode: tt.mode}}})
		out, errOut, rc := run(t, h, "echo before & "+add+" & echo after")
		if out != "before \r\n" || errOut != "" || rc != 1 {
			t.Errorf("%s: (%q, %q, %d), want only the output before the write, exit 1", tt.mode, out, errOut, rc)
		}
		if n := ruleCount(h); n != tt.wantRules {
			t.Errorf("%s: %d rules added, want %d", tt.mode, n, tt.wantRules)
		}
		if got := h.WriteLog(); len(got) != 1 || got[0].Fault != tt.mode || got[0].Answered || got[0].Applied != tt.wantRules {
			t.Errorf("%s: write log %+v", tt.mode, got)
		}
	}

	// After: the first two write lines go through; SetWriteFault counts anew.
	h := MustNew(Config{Version: Win2019, Faults: Faults{Write: WriteFault{Mode: DropBeforeWrite, After: 2}}})
	for i, wantRC := range []int{0, 0, 1, 1} {
		if _, _, rc := run(t, h, add); rc != wantRC {
			t.Errorf("write %d: exit %d, want %d", i+1, rc, wantRC)
		}
	}
	h.SetWriteFault(WriteFault{Mode: DropAfterWrite, After: 1})
	run(t, h, add)
	run(t, h, add)
	if n, c := ruleCount(h), h.WriteCounts(); n != 4 || c != (WriteCounts{Commands: 6, Programs: 6, Applied: 4, Answered: 3, Faulted: 3}) {
		t.Errorf("after SetWriteFault: %d rules, %+v", n, c)
	}

	// HangOnWrite: the write happens and Exec returns only with its ctx.
	hang := MustNew(Config{Version: Win2019, Faults: Faults{Write: WriteFault{Mode: HangOnWrite}}})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	var out strings.Builder
	hang.Exec(ctx, add, &out, &out)
	if ctx.Err() == nil || ruleCount(hang) != 1 || out.Len() != 0 {
		t.Errorf("hang_on_write: returned with ctx %v, %d rules, output %q", ctx.Err(), ruleCount(hang), out.String())
	}

	if _, err := New(Config{Version: Win2019, Faults: Faults{Write: WriteFault{Mode: "drop"}}}); err == nil {
		t.Error("New accepted an unknown write fault")
	}
}
