package progress

import (
	"fmt"
	"testing"
	"time"
	"unicode"
)

// FuzzLine: whatever the host names, statuses, title and width, the line
// fits in width-1 columns and carries no control character.
func FuzzLine(f *testing.F) {
	f.Add("scan", "sql01.corp.example", "compliant", 80, 3, true)
	f.Add("apply", "数据库\x1b[2J", "weird\r\n", 40, 0, false)
	f.Add("", "\u0301\u200b", "", 2, 1, true)
	f.Fuzz(func(t *testing.T, title, host, status string, width, hung int, slow bool) {
		width = width%300 + 1
		if width < 1 {
			width = -width + 1
		}
		s := newState(title, 10, time.Unix(0, 0))
		s.batch, s.batches, s.batchSize = 2, 3, 4
		for i := range hung % 5 {
			s.started(fmt.Sprintf("%s%d", host, i), time.Unix(0, 0))
		}
		s.finished(host, status)
		now := time.Unix(1, 0)
		if slow {
			now = time.Unix(3600, 0)
		}
		line := s.line(now, width-1, time.Minute).render(false)
		if w := textWidth(line); w > max(width-1, 0) {
			t.Errorf("line %q is %d columns, want at most %d", line, w, width-1)
		}
		for _, r := range line {
			if unicode.IsControl(r) {
				t.Fatalf("line %q has control character %q", line, r)
			}
		}
	})
}

func BenchmarkHostFinished(b *testing.B) {
	scr := newScreen(80)
	clk := newClock()
	d := New(scr, Options{Total: b.N, Title: "scan", Now: clk.Now, Tick: make(chan time.Time)})
	defer d.Finish()
	names := make([]string, 1000)
	for i := range names {
		names[i] = fmt.Sprintf("sql%04d.corp.example", i)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		d.HostStarted(names[i%1000])
		d.HostFinished(names[i%1000], "compliant")
		if i%100 == 0 {
			clk.Advance(DefaultInterval) // one redraw per 100 hosts
		}
	}
}
