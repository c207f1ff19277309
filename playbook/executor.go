package playbook

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// Options control a Run.
type Options struct {
	Mode Mode // scan | apply | check; the zero Mode is scan
	// Forks is the maximum number of hosts worked on at once; < 1 means 1.
	Forks int
	// HostTimeout is each host's whole budget, from connect to close;
	// 0 means no limit.
	HostTimeout time.Duration
	// Serial splits the hosts into rolling batches (see ParseSerial); empty
	// means one batch of every host.
	Serial []Batch
	// MaxFailPercent stops the rollout after a batch in which more than this
	// percentage of hosts failed (failed, unreachable, auth_failed, timeout,
	// error); the hosts of later batches become skipped. 0 stops on any
	// failure, 100 never stops.
	MaxFailPercent float64
	// Dialect is auto, legacy or advfirewall. An explicit legacy or
	// advfirewall wins over the host var `dialect`; auto (or "") lets the
	// host var `dialect` decide, else the host var `windows_version`, else
	// the host's `ver` output.
	Dialect string
	// Grace is how long in-flight hosts may go on after ctx is cancelled
	// before their own contexts are cancelled; 0 cancels them at once.
	Grace time.Duration
	// Events, if not nil, receives progress events. It is called from the
	// workers' goroutines but never concurrently (calls are serialised), so
	// it needs no locking; it must return quickly.
	Events func(Event)
	// Now is the clock for durations; nil means time.Now.
	Now func() time.Time
	// Journal, if not nil, records every apply host's writes before they
	// are sent and once they are answered, and every host's result.
	Journal Journal
	// AuthFailLimit is how many hosts may refuse a shared credential
	// (Target.Credential) before the hosts that use it are skipped (status
	// skipped, code lockout_guard) instead of trying it; while no host has
	// accepted the credential, no more than this many logons with it are
	// in flight. 0 means DefaultAuthFailLimit.
	AuthFailLimit int
	// Facts, if not nil, gives each host's facts from an earlier run, so
	// that the reads they call for go in the first round trip, and keeps
	// what this run discovers (see FactCache).
	Facts FactCache
}

// EventKind says what an Event reports.
type EventKind int

// Event kinds.
const (
	// BatchStarted: batch Event.Batch (counting from 1) starts.
	BatchStarted EventKind = iota + 1
	// HostStarted: the executor starts working on Event.Host.
	HostStarted
	// HostFinished: Event.Host has its final result in Event.Result. Every
	// target gets exactly one HostFinished, skipped and cancelled ones too.
	HostFinished
	// RolloutStopped: batch Event.Batch failed more than MaxFailPercent;
	// the Event.Remaining hosts of later batches will be skipped. It is
	// not sent after the last batch.
	RolloutStopped
)

func (k EventKind) String() string {
	switch k {
	case BatchStarted:
		return "batch_started"
	case HostStarted:
		return "host_started"
	case HostFinished:
		return "host_finished"
	case RolloutStopped:
		return "rollout_stopped"
	}
	return "event(" + strconv.Itoa(int(k)) + ")"
}

// Event is one progress event.
type Event struct {
	Kind   EventKind
	Host   string
	Result *HostResult // HostFinished only
	Batch  int         // the batch number, counting from 1
	// Batches and Size are the number of batches and this batch's size
	// (BatchStarted); Remaining is how many hosts will be skipped
	// (RolloutStopped).
	Batches, Size, Remaining int
}

// Batch is one element of a --serial list: a host count or a percentage of
// all targeted hosts.
type Batch struct {
	Count   int
	Percent float64 // used when Count == 0
}

// ParseSerial parses a --serial value such as "1,10%,100%": a comma list of
// host counts and percentages of all hosts. As in Ansible, the last element
// repeats until every host is in a batch, and a percentage that rounds down
// to zero hosts means one host.
func ParseSerial(s string) ([]Batch, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var out []Batch
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if p, ok := strings.CutSuffix(f, "%"); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil || v <= 0 || v > 100 || math.IsNaN(v) {
				return nil, fmt.Errorf("serial %q: %q is not a percentage in (0,100]", s, f)
			}
			out = append(out, Batch{Percent: v})
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("serial %q: %q is not a host count >= 1 or a percentage", s, f)
		}
		out = append(out, Batch{Count: n})
	}
	return out, nil
}

// batchSizes splits n hosts into batch sizes.
func batchSizes(serial []Batch, n int) []int {
	if n == 0 {
		return nil
	}
	if len(serial) == 0 {
		return []int{n}
	}
	var sizes []int
	left := n
	for i := 0; left > 0; i++ {
		b := serial[min(i, len(serial)-1)]
		size := b.Count
		if size == 0 {
			size = int(float64(n) * b.Percent / 100)
			if size < 1 {
				size = 1
			}
		}
		size = min(size, left)
		sizes = append(sizes, size)
		left -= size
	}
	return sizes
}

// hostFunc does the work for one host. hctx carries the host's budget and is
// cancelled when the run's grace ends; runCtx is the caller's context, done
// as soon as cancellation starts.
// logon is the host's ticket for its shared credential (nil when it has
// none); the host reports its first round trip's outcome on it.
type hostFunc func(runCtx, hctx context.Context, t Target, logon *logonTicket) HostResult

// engine is the scheduling half of Run: batches, forks, budgets,
// cancellation and events. It knows nothing of netsh.
type engine struct {
	o      Options
	mu     sync.Mutex // serialises Events calls
	hostFn hostFunc
	guard  *lockoutGuard
}

func (e *engine) emit(ev Event) {
	if e.o.Events == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.o.Events(ev)
}

func (e *engine) now() time.Time {
	if e.o.Now != nil {
		return e.o.Now()
	}
	return time.Now()
}

func (e *engine) run(ctx context.Context, targets []Target) []HostResult {
	results := make([]HostResult, len(targets))
	for i, t := range targets {
		results[i] = HostResult{Host: t.Name, Address: t.Address, Groups: t.Groups}
	}

	hard, stop := graceContext(ctx, e.o.Grace)
	defer stop()

	forks := max(e.o.Forks, 1)
	start := 0
	stopped := false
	sizes := batchSizes(e.o.Serial, len(targets))
	for bi, size := range sizes {
		idx := make([]int, size)
		for j := range idx {
			idx[j] = start + j
		}
		start += size
		batch := bi + 1
		if stopped {
			for _, i := range idx {
				e.finish(&results[i], StatusSkipped, CodeMaxFail, fmt.Sprintf("not attempted: the rollout stopped after a batch exceeded --max-fail %g%%", e.o.MaxFailPercent), batch)
			}
			continue
		}
		if ctx.Err() != nil {
			for _, i := range idx {
				e.finish(&results[i], StatusCancelled, CodeCancelled, "not attempted: the run was cancelled", batch)
			}
			continue
		}
		e.emit(Event{Kind: BatchStarted, Batch: batch, Batches: len(sizes), Size: size})
		var g errgroup.Group
		g.SetLimit(forks)
		for _, i := range idx {
			g.Go(func() error {
				if ctx.Err() != nil {
					e.finish(&results[i], StatusCancelled, CodeCancelled, "not attempted: the run was cancelled", batch)
					return nil
				}
				e.emit(Event{Kind: HostStarted, Host: targets[i].Name, Batch: batch})
				results[i] = compact(e.runOne(ctx, hard, targets[i]))
				r := results[i]
				e.journaled(r)
				e.emit(Event{Kind: HostFinished, Host: r.Host, Result: &r, Batch: batch})
				return nil
			})
		}
		_ = g.Wait() // per-host errors live in results

		failed := 0
		for _, i := range idx {
			if results[i].Status.Failed() {
				failed++
			}
		}
		// After the last batch there is nothing left to stop.
		if pct := 100 * float64(failed) / float64(size); failed > 0 && pct > e.o.MaxFailPercent && start < len(targets) {
			stopped = true
			e.emit(Event{Kind: RolloutStopped, Batch: batch, Remaining: len(targets) - start})
		}
	}
	return results
}

// journaled gives a finished host to the journal, in apply mode.
func (e *engine) journaled(r HostResult) {
	if e.o.Journal != nil && e.o.Mode == ModeApply {
		e.o.Journal.Finished(r)
	}
}

// graceContext returns a context that is cancelled grace after ctx is: it
// ends the hosts still in flight. stop releases it and waits for its
// watcher, so nothing outlives the run.
func graceContext(ctx context.Context, grace time.Duration) (hard context.Context, stop func()) {
	hard, hardCancel := context.WithCancel(context.WithoutCancel(ctx))
	finished := make(chan struct{})
	var watcher sync.WaitGroup
	watcher.Go(func() {
		select {
		case <-ctx.Done():
		case <-finished:
			return
		}
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-t.C:
			hardCancel()
		case <-finished:
		}
	})
	return hard, func() { close(finished); watcher.Wait(); hardCancel() }
}

func (e *engine) finish(r *HostResult, s Status, code Code, reason string, batch int) {
	r.Status, r.Code, r.Reason = s, code, reason
	e.journaled(*r)
	c := *r
	e.emit(Event{Kind: HostFinished, Host: r.Host, Result: &c, Batch: batch})
}

func (e *engine) runOne(runCtx, hard context.Context, t Target) HostResult {
	begin := e.now()
	// A host waiting for its shared credential to be proven does not
	// spend its budget meanwhile.
	logon, err := e.guard.admit(runCtx, t)
	if err != nil {
		r := HostResult{Host: t.Name, Address: t.Address, Groups: t.Groups, Status: StatusCancelled, Code: CodeCancelled,
			Reason: "not attempted: the run was cancelled", Err: err}
		if ge, ok := err.(*errLockoutGuard); ok {
			r.Status, r.Code, r.Reason = StatusSkipped, CodeLockoutGuard, ge.Error()
		}
		return r
	}
	defer logon.done(logonUnknown)
	hctx, cancel := hard, context.CancelFunc(func() {})
	if e.o.HostTimeout > 0 {
		hctx, cancel = context.WithTimeout(hard, e.o.HostTimeout)
	}
	defer cancel()
	r := e.hostFn(runCtx, hctx, t, logon)
	r.Host, r.Address, r.Groups = t.Name, t.Address, t.Groups
	r.Duration = e.now().Sub(begin)
	if r.Status == "" {
		r.Status, r.Code = StatusError, CodeProtocol
		r.Reason = "internal error: no status"
	}
	return r
}

// Run works on every target: scan, apply or apply --check (o.Mode), with at
// most o.Forks hosts at once, in o.Serial batches. It returns one result per
// target, in target order; every host gets a status, whatever happens. Run
// returns when every host has finished and its session is closed.
//
// When ctx is cancelled no new host starts (those not started become
// cancelled); hosts in flight may finish within o.Grace, and are then
// cancelled too. An apply host that has not sent its changes by the time ctx
// is cancelled sends none.
//
// The zero Mode is scan: nothing is written unless Mode says apply.
func Run(ctx context.Context, pb *Playbook, targets []Target, d Dialer, o Options) []HostResult {
	if o.Mode == "" {
		o.Mode = ModeScan
	}
	x := &executor{pb: pb, d: d, o: o, closers: make(chan struct{}, max(o.Forks, 1))}
	e := &engine{o: o, hostFn: x.host, guard: newLockoutGuard(o.AuthFailLimit)}
	results := e.run(ctx, targets)
	x.closing.Wait() // each within closeMin or the host's budget
	return results
}

type executor struct {
	pb *Playbook
	d  Dialer
	o  Options
	// closing counts the shell Deletes still running (closeLater);
	// closers bounds them to Forks at once.
	closing sync.WaitGroup
	closers chan struct{}
}
