package playbook

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/winfleet/winfleet/reports"
)

// A Session is one shell on one host. The executor opens one per host and
// sends every command of a phase in one RunBatch call.
type Session interface {
	// RunBatch runs cmds in order, in one round trip, and returns one Output
	// per command. err reports transport failure only; a command that ran and
	// failed is an Output with a non-zero ExitCode.
	RunBatch(ctx context.Context, cmds []string) ([]Output, error)
	// Close deletes the shell.
	Close(ctx context.Context) error
}

// Output is what one command printed.
type Output struct {
	Stdout, Stderr string
	ExitCode       int
}

// A Dialer opens a Session on a target. Errors that implement
// interface{ HostStatus() string } decide the host's status.
type Dialer interface {
	Dial(ctx context.Context, t Target) (Session, error)
}

// Target is one host of the resolved inventory.
type Target struct {
	Name, Address string
	// Vars are the host's inventory vars (sql_version, firewall_scope,
	// dialect, windows_version, ...). The executor never modifies them.
	Vars map[string]any
}

// Options control a Run.
type Options struct {
	Mode reports.Mode // scan | apply | check
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
	// the hosts of later batches will be skipped.
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
	Result *reports.Host // HostFinished only
	Batch  int           // the batch number, counting from 1
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

// hostStatuser is implemented by the remote package's errors.
type hostStatuser interface{ HostStatus() string }

// failedStatus reports whether a host status counts against MaxFailPercent.
func failedStatus(s reports.HostStatus) bool {
	switch s {
	case reports.StatusFailed, reports.StatusUnreachable, reports.StatusAuthFailed, reports.StatusTimeout, reports.StatusError:
		return true
	}
	return false
}

// hostFunc does the work for one host. hctx carries the host's budget and is
// cancelled when the run's grace ends; runCtx is the caller's context, done
// as soon as cancellation starts.
type hostFunc func(runCtx, hctx context.Context, t Target) reports.Host

// engine is the scheduling half of Run: batches, forks, budgets,
// cancellation and events. It knows nothing of netsh.
type engine struct {
	o      Options
	mu     sync.Mutex // serialises Events calls
	hostFn hostFunc
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

func (e *engine) run(ctx context.Context, targets []Target) []reports.Host {
	results := make([]reports.Host, len(targets))
	for i, t := range targets {
		results[i] = reports.Host{Host: t.Name, Address: t.Address}
	}

	// hard is cancelled Grace after ctx: it ends the in-flight hosts.
	hard, hardCancel := context.WithCancel(context.WithoutCancel(ctx))
	defer hardCancel()
	finished := make(chan struct{})
	var watcher sync.WaitGroup
	watcher.Add(1)
	go func() {
		defer watcher.Done()
		select {
		case <-ctx.Done():
		case <-finished:
			return
		}
		t := time.NewTimer(e.o.Grace)
		defer t.Stop()
		select {
		case <-t.C:
			hardCancel()
		case <-finished:
		}
	}()
	defer func() { close(finished); watcher.Wait() }()

	forks := max(e.o.Forks, 1)
	start := 0
	stopped := false
	for bi, size := range batchSizes(e.o.Serial, len(targets)) {
		idx := make([]int, size)
		for j := range idx {
			idx[j] = start + j
		}
		start += size
		batch := bi + 1
		if stopped {
			for _, i := range idx {
				e.finish(&results[i], reports.StatusSkipped, fmt.Sprintf("not attempted: the rollout stopped after a batch exceeded --max-fail %g%%", e.o.MaxFailPercent), batch)
			}
			continue
		}
		if ctx.Err() != nil {
			for _, i := range idx {
				e.finish(&results[i], reports.StatusCancelled, "not attempted: the run was cancelled", batch)
			}
			continue
		}
		e.emit(Event{Kind: BatchStarted, Batch: batch})
		var g errgroup.Group
		g.SetLimit(forks)
		for _, i := range idx {
			g.Go(func() error {
				if ctx.Err() != nil {
					e.finish(&results[i], reports.StatusCancelled, "not attempted: the run was cancelled", batch)
					return nil
				}
				e.emit(Event{Kind: HostStarted, Host: targets[i].Name, Batch: batch})
				results[i] = e.runOne(ctx, hard, targets[i])
				r := results[i]
				e.emit(Event{Kind: HostFinished, Host: r.Host, Result: &r, Batch: batch})
				return nil
			})
		}
		_ = g.Wait() // per-host errors live in results

		failed := 0
		for _, i := range idx {
			if failedStatus(results[i].Status) {
				failed++
			}
		}
		if pct := 100 * float64(failed) / float64(size); failed > 0 && pct > e.o.MaxFailPercent {
			stopped = true
			e.emit(Event{Kind: RolloutStopped, Batch: batch})
		}
	}
	return results
}

func (e *engine) finish(r *reports.Host, s reports.HostStatus, reason string, batch int) {
	r.Status = s
	r.Reason = reason
	c := *r
	e.emit(Event{Kind: HostFinished, Host: r.Host, Result: &c, Batch: batch})
}

func (e *engine) runOne(runCtx, hard context.Context, t Target) reports.Host {
	begin := e.now()
	hctx, cancel := hard, context.CancelFunc(func() {})
	if e.o.HostTimeout > 0 {
		hctx, cancel = context.WithTimeout(hard, e.o.HostTimeout)
	}
	defer cancel()
	r := e.hostFn(runCtx, hctx, t)
	r.Host, r.Address = t.Name, t.Address
	r.DurationMS = e.now().Sub(begin).Milliseconds()
	if r.Status == "" {
		r.Status = reports.StatusError
		r.Reason = "internal error: no status"
	}
	return r
}

// classify maps an error from Dial, RunBatch or a context to a host status.
// hctx is the host's context: cancelled means the run's grace ran out (the
// host becomes cancelled), deadline exceeded means its budget did (timeout);
// only then does the transport's own verdict count.
func classify(err error, hctx context.Context) reports.HostStatus {
	switch {
	case errors.Is(hctx.Err(), context.Canceled):
		return reports.StatusCancelled
	case errors.Is(hctx.Err(), context.DeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return reports.StatusTimeout
	}
	var hs hostStatuser
	if errors.As(err, &hs) {
		switch s := reports.HostStatus(hs.HostStatus()); s {
		case reports.StatusUnreachable, reports.StatusAuthFailed, reports.StatusTimeout, reports.StatusError, reports.StatusCancelled:
			return s
		}
	}
	if errors.Is(err, context.Canceled) {
		return reports.StatusCancelled
	}
	return reports.StatusError
}
