package playbook

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

func targets(n int) []Target {
	ts := make([]Target, n)
	for i := range ts {
		ts[i] = Target{Name: fmt.Sprintf("h%02d", i), Address: fmt.Sprintf("127.0.0.%d", i+1)}
	}
	return ts
}

func statuses(rs []HostResult) []Status {
	out := make([]Status, len(rs))
	for i, r := range rs {
		out[i] = r.Status
	}
	return out
}

// eventLog collects events; Options.Events is serialised so no lock is
// needed inside the callback, but the test reads it after Run returns.
type eventLog struct{ evs []Event }

func (l *eventLog) add(e Event) { l.evs = append(l.evs, e) }

func (l *eventLog) count(k EventKind) int {
	n := 0
	for _, e := range l.evs {
		if e.Kind == k {
			n++
		}
	}
	return n
}

func TestParseSerial(t *testing.T) {
	tests := []struct {
		in    string
		n     int
		sizes []int
		err   bool
	}{
		{"", 10, []int{10}, false},
		{"1,10%,100%", 100, []int{1, 10, 89}, false},
		{"1,10%,100%", 5, []int{1, 1, 3}, false},
		{"2", 5, []int{2, 2, 1}, false},
		{"50%", 3, []int{1, 1, 1}, false},
		{"1,50%", 10, []int{1, 5, 4}, false},
		{"0", 0, nil, true},
		{"x", 0, nil, true},
		{"150%", 0, nil, true},
		{"1,,2", 0, nil, true},
	}
	for _, tt := range tests {
		b, err := ParseSerial(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("ParseSerial(%q) error = %v, want error %v", tt.in, err, tt.err)
			continue
		}
		if err != nil {
			continue
		}
		if got := batchSizes(b, tt.n); !cmp.Equal(got, tt.sizes) {
			t.Errorf("batchSizes(ParseSerial(%q), %d) = %v, want %v", tt.in, tt.n, got, tt.sizes)
		}
	}
}

func TestEngineForksBound(t *testing.T) {
	const forks, n = 3, 12
	var mu sync.Mutex
	cur, peak := 0, 0
	release := make(chan struct{})
	e := &engine{o: Options{Forks: forks}, hostFn: func(_, hctx context.Context, _ Target, _ *logonTicket) HostResult {
		mu.Lock()
		cur++
		peak = max(peak, cur)
		mu.Unlock()
		<-release
		mu.Lock()
		cur--
		mu.Unlock()
		return HostResult{Status: StatusCompliant}
	}}
	done := make(chan []HostResult)
	go func() { done <- e.run(t.Context(), targets(n)) }()
	for range n {
		release <- struct{}{}
	}
	rs := <-done
	if peak > forks || peak < 1 {
		t.Errorf("peak concurrency = %d, want 1..%d", peak, forks)
	}
	for i, r := range rs {
		if r.Status != StatusCompliant || r.Host != fmt.Sprintf("h%02d", i) {
			t.Errorf("result %d = %s %s, want h%02d compliant (target order)", i, r.Host, r.Status, i)
		}
	}
}

// transportErr is a transport failure classified as status s, as the
// transport adapter makes them.
func transportErr(s Status) error {
	return &TransportError{Status: s, Code: Code(s), Err: errors.New("fake: " + string(s))}
}

// status is classify's status alone.
func status(err error, hctx context.Context) Status {
	s, _ := classify(err, hctx)
	return s
}

func TestEngineSerialMaxFail(t *testing.T) {
	tests := []struct {
		name    string
		serial  string
		maxFail float64
		fail    map[string]bool
		want    []Status
		stopped int // batch number of RolloutStopped, 0 if none
	}{
		{
			name: "canary fails, rest skipped", serial: "1,50%", maxFail: 0,
			fail: map[string]bool{"h00": true},
			want: []Status{"unreachable", "skipped", "skipped", "skipped", "skipped", "skipped"}, stopped: 1,
		},
		{
			name: "last batch over the limit: nothing left to stop", serial: "1,50%", maxFail: 0,
			fail: map[string]bool{"h05": true},
			want: []Status{"compliant", "compliant", "compliant", "compliant", "compliant", "unreachable"}, stopped: 0,
		},
		{
			name: "canary passes, second batch over the limit", serial: "1,50%", maxFail: 30,
			fail: map[string]bool{"h01": true, "h02": true},
			want: []Status{"compliant", "unreachable", "unreachable", "compliant", "skipped", "skipped"}, stopped: 2,
		},
		{
			name: "at the limit is not over it", serial: "2", maxFail: 50,
			fail: map[string]bool{"h00": true, "h03": true},
			want: []Status{"unreachable", "compliant", "compliant", "unreachable", "compliant", "compliant"},
		},
		{
			name: "100 never stops", serial: "1", maxFail: 100,
			fail: map[string]bool{"h00": true, "h01": true, "h02": true, "h03": true, "h04": true, "h05": true},
			want: []Status{"unreachable", "unreachable", "unreachable", "unreachable", "unreachable", "unreachable"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			serial, err := ParseSerial(tt.serial)
			if err != nil {
				t.Fatal(err)
			}
			var log eventLog
			e := &engine{o: Options{Forks: 4, Serial: serial, MaxFailPercent: tt.maxFail, Events: log.add},
				hostFn: func(_, hctx context.Context, tg Target, _ *logonTicket) HostResult {
					if tt.fail[tg.Name] {
						return HostResult{Status: status(transportErr(StatusUnreachable), hctx)}
					}
					return HostResult{Status: StatusCompliant}
				}}
			rs := e.run(t.Context(), targets(6))
			if got := statuses(rs); !cmp.Equal(got, tt.want) {
				t.Errorf("statuses = %v, want %v", got, tt.want)
			}
			if got := log.count(HostFinished); got != 6 {
				t.Errorf("HostFinished events = %d, want 6", got)
			}
			gotStop := 0
			for _, ev := range log.evs {
				if ev.Kind == RolloutStopped {
					gotStop = ev.Batch
				}
				if ev.Kind == HostFinished && ev.Result == nil {
					t.Errorf("HostFinished %s without a result", ev.Host)
				}
			}
			if gotStop != tt.stopped {
				t.Errorf("RolloutStopped batch = %d, want %d", gotStop, tt.stopped)
			}
			for _, r := range rs {
				if r.Status == StatusSkipped && r.Reason == "" {
					t.Errorf("%s skipped without a reason", r.Host)
				}
			}
		})
	}
}

func TestEngineHostBudget(t *testing.T) {
	// h00 hangs until its budget ends; the others finish at once and are
	// not held up by it (forks 2 leaves a slot free).
	e := &engine{o: Options{Forks: 2, HostTimeout: 50 * time.Millisecond}, hostFn: func(_, hctx context.Context, tg Target, _ *logonTicket) HostResult {
		if tg.Name == "h00" {
			<-hctx.Done()
			return HostResult{Status: status(hctx.Err(), hctx), Err: hctx.Err()}
		}
		return HostResult{Status: StatusCompliant}
	}}
	rs := e.run(t.Context(), targets(5))
	want := []Status{"timeout", "compliant", "compliant", "compliant", "compliant"}
	if got := statuses(rs); !cmp.Equal(got, want) {
		t.Errorf("statuses = %v, want %v", got, want)
	}
}

func TestEngineCancel(t *testing.T) {
	for _, tt := range []struct {
		name     string
		grace    time.Duration
		inFlight Status // status of the hosts running at cancel time
	}{
		{"no grace", 0, StatusCancelled},
		{"grace lets in-flight hosts finish", time.Hour, StatusCompliant},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			started := make(chan struct{}, 10)
			e := &engine{o: Options{Forks: 2, Grace: tt.grace}, hostFn: func(runCtx, hctx context.Context, _ Target, _ *logonTicket) HostResult {
				started <- struct{}{}
				// With a grace period an in-flight host finishes once the run
				// is cancelled; without one it would run on, so its context
				// must end it.
				<-runCtx.Done()
				if tt.grace == 0 {
					<-hctx.Done()
					return HostResult{Status: status(hctx.Err(), hctx)}
				}
				return HostResult{Status: StatusCompliant}
			}}
			done := make(chan []HostResult)
			go func() { done <- e.run(ctx, targets(6)) }()
			<-started
			<-started
			cancel()
			rs := <-done
			inflight, notStarted := 0, 0
			for _, r := range rs {
				switch {
				case r.Status == StatusCancelled && r.Reason == "not attempted: the run was cancelled":
					notStarted++
				case r.Status == tt.inFlight:
					inflight++
				default:
					t.Errorf("%s: status %q reason %q", r.Host, r.Status, r.Reason)
				}
			}
			goleak.VerifyNone(t) // nothing outlives Run
			if inflight != 2 || notStarted != 4 {
				t.Errorf("in-flight %d (want 2 %s), not started %d (want 4 cancelled)", inflight, tt.inFlight, notStarted)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	live := t.Context()
	expired, c1 := context.WithTimeout(live, -time.Second)
	defer c1()
	cancelled, c2 := context.WithCancel(live)
	c2()
	tests := []struct {
		err      error
		hctx     context.Context
		want     Status
		wantCode Code
	}{
		{transportErr(StatusAuthFailed), live, "auth_failed", "auth_failed"},
		{fmt.Errorf("dial: %w", transportErr(StatusUnreachable)), live, "unreachable", "unreachable"},
		{transportErr(StatusError), expired, "timeout", CodeTimeout},
		{transportErr(StatusTimeout), cancelled, "cancelled", CodeCancelled},
		{context.DeadlineExceeded, live, "timeout", CodeTimeout},
		{fmt.Errorf("boom"), live, "error", CodeProtocol},
	}
	for _, tt := range tests {
		if got, code := classify(tt.err, tt.hctx); got != tt.want || code != tt.wantCode {
			t.Errorf("classify(%v) = %s, %s; want %s, %s", tt.err, got, code, tt.want, tt.wantCode)
		}
	}
}
