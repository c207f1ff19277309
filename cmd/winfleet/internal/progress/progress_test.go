package progress

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fixture is a Display on a fake screen with a manual clock and a tick
// channel the test drives.
type fixture struct {
	d     *Display
	scr   *screen
	clk   *clock
	ticks chan time.Time
}

func newFixture(t *testing.T, width int, o Options) *fixture {
	t.Helper()
	f := &fixture{scr: newScreen(width), clk: newClock(), ticks: make(chan time.Time)}
	o.Width, o.Now, o.Tick = width, f.clk.Now, f.ticks
	f.d = New(f.scr, o)
	t.Cleanup(f.d.Finish)
	return f
}

// tick delivers a tick and returns once the ticker goroutine has redrawn
// for it: the second send on the unbuffered channel is only received after
// the first tick's Refresh returned.
func (f *fixture) tick() {
	f.ticks <- f.clk.Now()
	f.ticks <- f.clk.Now()
}

// fleetRun drives a 320-host scan: 310 hosts finish with a realistic mix of
// statuses, hosts sql311-sql320 are still in flight.
func fleetRun(f *fixture) {
	statuses := []string{"compliant", "compliant", "compliant", "compliant", "noncompliant", "compliant", "unreachable", "compliant", "auth_failed", "timeout"}
	f.d.BatchStarted(2, 3, 160)
	for i := 1; i <= 320; i++ {
		name := fmt.Sprintf("sql%03d.corp.example", i)
		f.d.HostStarted(name)
		f.clk.Advance(150 * time.Millisecond)
		if i <= 310 {
			f.d.HostFinished(name, statuses[i%len(statuses)])
		}
	}
}

func TestLineAtWidths(t *testing.T) {
	tests := []struct {
		width int
		want  string
	}{
		// Too many counts to fit: the bar and the batch size give way.
		{40, "scan batch 2/3 310/320 96% 48s 186 com…"},
		{80, "scan batch 2/3 310/320 96% 48s 186 compliant 31 noncompliant 31 unreachable 31…"},
		{200, "scan batch 2/3 (160 hosts) 310/320 [===================>] 96% 48s 186 compliant 31 noncompliant 31 unreachable 31 auth_failed 31 timeout"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.width), func(t *testing.T) {
			f := newFixture(t, tt.width, Options{Total: 320, Title: "scan"})
			fleetRun(f)
			f.tick()
			f.scr.check(t)
			lines := f.scr.text()
			if len(lines) != 1 {
				t.Fatalf("screen has %d lines, want the one status line redrawn in place: %q", len(lines), lines)
			}
			if got := lines[0]; got != tt.want {
				t.Errorf("status line at %d columns:\n got %q\nwant %q", tt.width, got, tt.want)
			}
			if w := textWidth(lines[0]); w > tt.width-1 {
				t.Errorf("status line is %d columns wide, want at most %d", w, tt.width-1)
			}
		})
	}
}

func TestNeverWrapsWhileRunning(t *testing.T) {
	for _, width := range []int{20, 40, 59, 60, 80, 120, 200} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			f := newFixture(t, width, Options{Total: 320, Title: "apply", Interval: time.Nanosecond})
			fleetRun(f)
			f.clk.Advance(time.Minute)
			f.tick()
			f.scr.check(t)
			if lines := f.scr.text(); len(lines) != 1 {
				t.Errorf("screen has %d lines after 630 redraws, want 1: %q", len(lines), lines)
			}
		})
	}
}

func TestThrottle(t *testing.T) {
	f := newFixture(t, 80, Options{Total: 1000, Title: "scan"}) // Interval 100ms
	writes := f.scr.writes                                      // the first line
	for i := range 1000 {
		f.d.HostFinished(fmt.Sprintf("h%d", i), "compliant")
	}
	if got := f.scr.writes - writes; got != 0 {
		t.Errorf("1000 events within one interval of the first draw made %d writes, want 0", got)
	}
	f.clk.Advance(100 * time.Millisecond)
	f.d.HostFinished("last", "compliant")
	if got := f.scr.writes - writes; got != 1 {
		t.Errorf("an event one interval later made %d writes, want 1", got)
	}
	if got, want := f.scr.last(), "scan 1001/1000"; !strings.HasPrefix(got, want) {
		t.Errorf("line %q, want it to start %q", got, want)
	}
	// A tick with nothing new writes nothing.
	writes = f.scr.writes
	f.tick()
	if got := f.scr.writes - writes; got != 0 {
		t.Errorf("a tick with an unchanged line made %d writes, want 0", got)
	}
}

func TestTickDrawsThrottledUpdates(t *testing.T) {
	f := newFixture(t, 80, Options{Total: 3, Title: "scan"})
	f.d.HostFinished("a", "compliant") // within the interval: not drawn
	if got := f.scr.last(); !strings.HasPrefix(got, "scan 0/3") {
		t.Fatalf("before the tick: %q, want the first line", got)
	}
	f.tick()
	if got := f.scr.last(); !strings.HasPrefix(got, "scan 1/3") {
		t.Errorf("after the tick: %q, want scan 1/3", got)
	}
	// Time alone changes the line: the elapsed time moves while hosts hang.
	f.clk.Advance(5 * time.Second)
	f.tick()
	if got := f.scr.last(); !strings.Contains(got, " 5s ") {
		t.Errorf("after 5s: %q, want the elapsed time 5s", got)
	}
}

func TestSlowHostsNamed(t *testing.T) {
	f := newFixture(t, 80, Options{Total: 5, Title: "scan", SlowAfter: 10 * time.Second})
	for _, h := range []string{"sql01", "sql02", "sql03", "sql04", "sql05"} {
		f.d.HostStarted(h + ".corp.example")
		f.clk.Advance(time.Second)
	}
	for _, h := range []string{"sql01", "sql03", "sql04"} {
		f.d.HostFinished(h+".corp.example", "compliant")
	}
	// sql02 has run 8s, sql05 5s: not slow yet.
	f.clk.Advance(4 * time.Second)
	f.tick()
	if got := f.scr.last(); strings.Contains(got, "waiting") || !strings.Contains(got, "3 compliant") {
		t.Errorf("before SlowAfter: %q, want the counts", got)
	}
	// sql05 has run 10s, sql02 13s: both slow, oldest first.
	f.clk.Advance(5 * time.Second)
	f.tick()
	// At 80 columns only whole entries are shown, then how many more.
	want := "scan 3/5 [=====>   ] 60% 14s waiting for 2: sql02.corp.example 13s +1 more"
	if got := f.scr.last(); got != want {
		t.Errorf("only slow hosts left:\n got %q\nwant %q", got, want)
	}
	// Wider (the terminal was resized): both names fit.
	f.scr.mu.Lock()
	f.scr.width = 120
	f.scr.mu.Unlock()
	f.d.SetWidth(120)
	f.clk.Advance(2*time.Minute + 5*time.Second)
	f.tick()
	want = "scan 3/5 [========>     ] 60% 2m19s waiting for 2: sql02.corp.example 2m18s, sql05.corp.example 2m15s"
	if got := f.scr.last(); got != want {
		t.Errorf("at 120 columns:\n got %q\nwant %q", got, want)
	}
	// A new host starting means the run is moving again: counts come back.
	f.d.HostStarted("sql06.corp.example")
	f.tick()
	if got := f.scr.last(); strings.Contains(got, "waiting") {
		t.Errorf("with a fresh host in flight: %q, want no waiting list", got)
	}
	f.scr.check(t)
}

func TestSlowHostNamedInSerialAt80(t *testing.T) {
	f := newFixture(t, 80, Options{Total: 40, Title: "apply"})
	f.d.BatchStarted(3, 3, 35)
	for i := 6; i <= 40; i++ {
		f.d.HostStarted(fmt.Sprintf("sql%03d.corp.example", i))
	}
	for i := 6; i <= 37; i++ {
		f.d.HostFinished(fmt.Sprintf("sql%03d.corp.example", i), "changed")
	}
	f.clk.Advance(12 * time.Second)
	f.tick()
	// The bar and the batch size give way so that a name fits.
	want := "apply batch 3/3 32/40 80% 12s waiting for 3: sql038.corp.example 12s +2 more"
	if got := f.scr.last(); got != want {
		t.Errorf("three hung hosts in the last batch:\n got %q\nwant %q", got, want)
	}
}

func TestSlowHostsMoreThanFit(t *testing.T) {
	f := newFixture(t, 100, Options{Total: 50, Title: "apply"})
	for i := range 50 {
		f.d.HostStarted(fmt.Sprintf("web%02d.dmz.example", i))
	}
	f.clk.Advance(DefaultSlowAfter)
	f.tick()
	want := "apply 0/50 [>           ] 0% 10s waiting for 50: web00.dmz.example 10s +49 more"
	if got := f.scr.last(); got != want {
		t.Errorf("50 slow hosts at 100 columns:\n got %q\nwant %q", got, want)
	}
	f.d.SetWidth(40)
	f.tick()
	if got, want := f.scr.last(), "apply 0/50 0% 10s waiting for 50 hosts"; got != want {
		t.Errorf("at 40 columns: got %q, want %q", got, want)
	}
	f.scr.check(t)
}

func TestLogLinesAbove(t *testing.T) {
	f := newFixture(t, 80, Options{Total: 4, Title: "scan"})
	log := slog.New(slog.NewTextHandler(f.d, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	f.d.HostStarted("sql01")
	f.d.HostFinished("sql01", "compliant")
	log.Info("host finished", "host", "sql01", "status", "compliant")
	f.d.HostFinished("sql02", "noncompliant")
	log.Warn("host finished", "host", "sql02", "status", "noncompliant")
	f.tick()
	f.scr.check(t)
	got := f.scr.text()
	want := []string{
		`level=INFO msg="host finished" host=sql01 status=compliant`,
		`level=WARN msg="host finished" host=sql02 status=noncompliant`,
		"scan 2/4 [====>    ] 50% 0s 1 compliant 1 noncompliant",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("screen:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestPartialLogLines(t *testing.T) {
	scr := newScreen(80)
	d := New(scr, Options{Title: "scan", Total: 1, Now: newClock().Now, Tick: make(chan time.Time)})
	fmt.Fprint(d, "one ")
	fmt.Fprint(d, "line\ntwo")
	if got := scr.text(); len(got) != 2 || got[0] != "one line" || !strings.HasPrefix(got[1], "scan 0/1") {
		t.Errorf("after a line and a half: %q, want [one line, status line]", got)
	}
	d.Finish()
	if got := scr.text(); len(got) != 2 || got[1] != "two" {
		t.Errorf("after Finish: %q, want the partial line printed and the status line gone", got)
	}
	fmt.Fprint(d, "after\n")
	if got := scr.text(); len(got) != 3 || got[2] != "after" {
		t.Errorf("a write after Finish: %q, want it printed as is", got)
	}
	scr.check(t)
}

func TestFinish(t *testing.T) {
	f := newFixture(t, 80, Options{Total: 2, Title: "scan"})
	f.d.HostFinished("a", "compliant")
	f.d.Finish()
	if got := f.scr.text(); len(got) != 0 {
		t.Errorf("after Finish the screen shows %q, want the status line cleared", got)
	}
	writes := f.scr.writes
	f.d.HostFinished("b", "compliant")
	f.d.Refresh()
	f.d.Finish()
	if f.scr.writes != writes {
		t.Errorf("calls after Finish wrote %d times, want nothing", f.scr.writes-writes)
	}
	// Finish returned after the ticker goroutine ended: a send would block
	// forever; goleak in TestMain checks no goroutine is left.
	select {
	case f.ticks <- time.Time{}:
		t.Error("the ticker goroutine still receives ticks after Finish")
	default:
	}
}

func TestNilDisplay(t *testing.T) {
	var d *Display
	d.BatchStarted(1, 2, 3)
	d.HostStarted("a")
	d.HostFinished("a", "compliant")
	d.SetWidth(10)
	d.Refresh()
	d.Finish()
}

func TestRealTickerStops(t *testing.T) {
	// No Tick option: the display makes its own ticker; Finish must stop
	// it and its goroutine (goleak checks the latter).
	d := New(newScreen(80), Options{Total: 1, Interval: time.Millisecond})
	d.HostFinished("a", "compliant")
	d.Finish()
}

func TestColor(t *testing.T) {
	f := newFixture(t, 200, Options{Total: 4, Title: "scan", Color: true})
	f.d.HostFinished("a", "compliant")
	f.d.HostFinished("b", "noncompliant")
	f.d.HostFinished("c", "unreachable")
	f.tick()
	raw := f.scr.raw.String()
	for _, want := range []string{"\x1b[32mcompliant\x1b[0m", "\x1b[31mnoncompliant\x1b[0m", "\x1b[33munreachable\x1b[0m"} {
		if !strings.Contains(raw, want) {
			t.Errorf("coloured output %q lacks %q", raw, want)
		}
	}
	f.scr.check(t)

	plain := newFixture(t, 200, Options{Total: 4, Title: "scan"})
	plain.d.HostFinished("b", "noncompliant")
	plain.tick()
	if raw := strings.ReplaceAll(plain.scr.raw.String(), eraseLine, ""); strings.Contains(raw, "\x1b") {
		t.Errorf("without Color the output has escape sequences other than erase-line: %q", raw)
	}
}

func TestColorCutKeepsWidth(t *testing.T) {
	f := newFixture(t, 50, Options{Total: 400, Title: "scan", Color: true})
	for i := range 300 {
		f.d.HostFinished(fmt.Sprint(i), []string{"compliant", "noncompliant", "unreachable"}[i%3])
	}
	f.tick()
	f.scr.check(t)
	if got := f.scr.last(); textWidth(got) > 49 {
		t.Errorf("coloured line %q is %d columns, want at most 49", got, textWidth(got))
	}
}

func TestHostileHostNames(t *testing.T) {
	f := newFixture(t, 40, Options{Total: 2, Title: "scan", SlowAfter: time.Second})
	f.d.HostStarted("evil\x1b[2J\rname")
	f.d.HostStarted("数据库服务器一号机房数据库服务器")
	f.clk.Advance(2 * time.Second)
	f.tick()
	f.scr.check(t)
	if got := f.scr.text(); len(got) != 1 || strings.ContainsAny(got[0], "\x1b\r") {
		t.Errorf("screen %q, want one clean line", got)
	}
}

func TestSerialBatches(t *testing.T) {
	f := newFixture(t, 80, Options{Total: 61, Title: "apply"})
	f.d.BatchStarted(1, 3, 1)
	f.tick()
	if got := f.scr.last(); !strings.HasPrefix(got, "apply batch 1/3 (1 host) 0/61") {
		t.Errorf("canary batch: %q", got)
	}
	f.d.HostFinished("canary", "changed")
	f.d.BatchStarted(2, 3, 6)
	f.tick()
	if got := f.scr.last(); !strings.HasPrefix(got, "apply batch 2/3 (6 hosts) 1/61") {
		t.Errorf("second batch: %q", got)
	}
	one := newFixture(t, 80, Options{Total: 5, Title: "scan"})
	one.d.BatchStarted(1, 1, 5)
	one.tick()
	if got := one.scr.last(); strings.Contains(got, "batch") {
		t.Errorf("a run without --serial shows %q, want no batch", got)
	}
}

func TestConcurrentUse(t *testing.T) {
	scr := newScreen(80)
	d := New(scr, Options{Total: 800, Title: "scan", Interval: time.Microsecond})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				name := fmt.Sprintf("h%d-%d", g, i)
				d.HostStarted(name)
				fmt.Fprintf(d, "log %s\n", name)
				d.HostFinished(name, "compliant")
			}
		})
	}
	wg.Wait()
	d.Refresh()
	if got := scr.last(); !strings.HasPrefix(got, "scan 800/800") {
		t.Errorf("after 800 concurrent hosts: %q", got)
	}
	d.Finish()
	lines := scr.text()
	if len(lines) != 800 {
		t.Errorf("%d lines on screen, want the 800 log lines only", len(lines))
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "log h") {
			t.Errorf("line %q is not a whole log line", l)
			break
		}
	}
	scr.check(t)
}

func TestElapsed(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"}, {-time.Second, "0s"}, {999 * time.Millisecond, "0s"}, {42 * time.Second, "42s"},
		{125 * time.Second, "2m05s"}, {time.Hour + 2*time.Minute + 30*time.Second, "1h02m"},
	}
	for _, tt := range tests {
		if got := elapsed(tt.in); got != tt.want {
			t.Errorf("elapsed(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestColorEnabled(t *testing.T) {
	tests := []struct {
		name string
		tty  bool
		env  map[string]string
		want bool
	}{
		{"terminal", true, map[string]string{"TERM": "xterm-256color"}, true},
		{"terminal without TERM", true, nil, true},
		{"not a terminal", false, map[string]string{"TERM": "xterm"}, false},
		{"NO_COLOR set", true, map[string]string{"NO_COLOR": "1"}, false},
		{"NO_COLOR any value", true, map[string]string{"NO_COLOR": "false"}, false},
		{"NO_COLOR empty is unset", true, map[string]string{"NO_COLOR": ""}, true},
		{"dumb terminal", true, map[string]string{"TERM": "dumb"}, false},
	}
	for _, tt := range tests {
		getenv := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
		if got := ColorEnabled(tt.tty, getenv); got != tt.want {
			t.Errorf("%s: ColorEnabled(%v, %v) = %v, want %v", tt.name, tt.tty, tt.env, got, tt.want)
		}
	}
}

func TestEnabled(t *testing.T) {
	tests := []struct {
		name string
		tty  bool
		env  map[string]string
		want bool
	}{
		{"terminal", true, map[string]string{"TERM": "xterm"}, true},
		{"NO_COLOR keeps progress", true, map[string]string{"NO_COLOR": "1"}, true},
		{"not a terminal", false, nil, false},
		{"dumb terminal", true, map[string]string{"TERM": "dumb"}, false},
	}
	for _, tt := range tests {
		getenv := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
		if got := Enabled(tt.tty, getenv); got != tt.want {
			t.Errorf("%s: Enabled(%v, %v) = %v, want %v", tt.name, tt.tty, tt.env, got, tt.want)
		}
	}
}
