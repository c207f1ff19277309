package playbook_test

import (
	"context"
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/winfleet/winfleet/lab/fleet"
	"github.com/winfleet/winfleet/playbook"
	"github.com/winfleet/winfleet/remote"
	"github.com/winfleet/winfleet/remote/session"
)

// labDialer dials the hosts of a fleet.Lab the way the CLI would from the
// lab's inventory.
type labDialer struct {
	lab   *fleet.Lab
	hosts map[string]fleet.LabHost
}

func (d labDialer) Dial(ctx context.Context, t playbook.Target) (playbook.Session, error) {
	lh := d.hosts[t.Name]
	pw, _ := d.lab.Password()
	c, err := remote.Dial(ctx, remote.Target{
		Host: lh.Address, Port: lh.Port, HTTPS: lh.Scheme == "https", Transport: lh.Transport,
		User: lh.User, Password: pw, AllowUnencrypted: true, CAPEM: d.lab.CACertPEM(),
	}, remote.Options{ConnectTimeout: 2 * time.Second})
	if err != nil {
		return nil, session.Classify(err)
	}
	return session.New(c), nil
}

// serveGenerated serves a generated fleet of n hosts on loopback and returns
// it with a dialer and a target for each host.
func serveGenerated(t *testing.T, n int, seed int64) (*fleet.Lab, labDialer, []playbook.Target) {
	t.Helper()
	lab, err := fleet.Serve(t.Context(), fleet.Generate(n, seed), fleet.ServeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lab.Close)
	d := labDialer{lab: lab, hosts: map[string]fleet.LabHost{}}
	var ts []playbook.Target
	for _, lh := range lab.Hosts() {
		d.hosts[lh.Name] = lh
		ts = append(ts, playbook.Target{Name: lh.Name, Address: lh.Address})
	}
	return lab, d, ts
}

// TestGeneratedFleet scans a seeded, generated fleet (compliant, drifted,
// faulty, old and multi-version hosts) and compares every host's status
// with the fleet's answers, which are derived from its ground truth, not
// from netsh output. Then it applies, and scans again: every host that could
// be converged is compliant.
func TestGeneratedFleet(t *testing.T) {
	lab, d, ts := serveGenerated(t, 60, 20261126)
	answers := lab.Answers()
	// The budget must let healthy hosts finish under -race on a loaded
	// CI box; only the hung host spends it.
	o := playbook.Options{Mode: playbook.ModeScan, Forks: 20, HostTimeout: 8 * time.Second}
	scan := playbook.Run(t.Context(), builtin(t), ts, d, o)
	labels := map[string]string{}
	for _, lh := range lab.Hosts() {
		labels[lh.Name] = lh.Label
	}
	counts := map[playbook.Status]int{}
	for _, r := range scan {
		counts[r.Status]++
		if string(r.Status) != answers[r.Host] {
			t.Errorf("%s (%s): scan %s (%s), answer %s", r.Host, labels[r.Host], r.Status, r.Reason, answers[r.Host])
		}
	}
	var keys []string
	for k, n := range counts {
		keys = append(keys, string(k)+"="+strconv.Itoa(n))
	}
	sort.Strings(keys)
	t.Logf("scan: %v", keys)

	// Apply and scan again on the hosts that answered: the hung host has
	// shown its timeout, and waiting out its budget twice more adds nothing.
	var answered []playbook.Target
	var first []playbook.HostResult
	for i, r := range scan {
		if r.Status != playbook.StatusTimeout {
			answered = append(answered, ts[i])
			first = append(first, r)
		}
	}
	o.HostTimeout = time.Minute
	o.Mode = playbook.ModeApply
	apply := playbook.Run(t.Context(), builtin(t), answered, d, o)
	o.Mode = playbook.ModeScan
	again := playbook.Run(t.Context(), builtin(t), answered, d, o)
	applied := map[playbook.Status]int{}
	for _, r := range apply {
		applied[r.Status]++
	}
	t.Logf("apply: %v", applied)
	for i, r := range again {
		want := first[i].Status
		switch first[i].Status {
		case playbook.StatusNoncompliant:
			want = playbook.StatusCompliant
			if apply[i].Status == playbook.StatusFailed {
				want = playbook.StatusNoncompliant // e.g. a foreign block rule
			}
		}
		if r.Status != want {
			t.Errorf("%s (%s): after apply (%s: %s) scan is %s (%s), want %s", r.Host, labels[r.Host], apply[i].Status, apply[i].Reason, r.Status, r.Reason, want)
		}
	}
}

// TestCheckRecordsWhatApplySends runs check mode on a generated fleet, then
// apply: on every host the commands check mode recorded as would_send are
// exactly the write commands apply then recorded, and those apply recorded
// as sent are exactly the writes the simulated host logged, in order.
func TestCheckRecordsWhatApplySends(t *testing.T) {
	lab, d, ts := serveGenerated(t, 40, 20261206)
	o := playbook.Options{Mode: playbook.ModeCheck, Forks: 20, HostTimeout: 8 * time.Second}
	check := playbook.Run(t.Context(), builtin(t), ts, d, o)
	var answered []playbook.Target
	would := map[string][]string{}
	for i, r := range check {
		if r.Status == playbook.StatusTimeout || r.Status == playbook.StatusUnreachable {
			continue
		}
		answered = append(answered, ts[i])
		would[r.Host] = writesIn(t, r, playbook.WriteWouldSend)
	}
	changing := 0
	for _, lh := range lab.Hosts() {
		if n := lh.Sim.Writes(); n != 0 {
			t.Fatalf("%s: check mode ran %d writes", lh.Name, n)
		}
		if len(would[lh.Name]) > 0 {
			changing++
		}
		lh.Sim.ResetLog()
	}
	if changing < 5 {
		t.Fatalf("only %d hosts would change: the fleet does not exercise apply", changing)
	}

	o.Mode, o.HostTimeout = playbook.ModeApply, time.Minute
	total := 0
	for _, r := range playbook.Run(t.Context(), builtin(t), answered, d, o) {
		var planned, sent []string
		for _, c := range r.Checks {
			for _, w := range c.Writes {
				planned = append(planned, w.Command)
				if w.State == playbook.WriteSent || w.State == playbook.WriteAnswered {
					sent = append(sent, w.Command)
				}
			}
		}
		if !slices.Equal(planned, would[r.Host]) {
			t.Errorf("%s: check would send\n%q\napply planned\n%q", r.Host, would[r.Host], planned)
		}
		var logged []string
		for _, inv := range d.hosts[r.Host].Sim.Log() {
			if inv.Write {
				logged = append(logged, inv.Line)
			}
		}
		if !slices.Equal(sent, logged) {
			t.Errorf("%s: apply recorded as sent\n%q\nthe host ran\n%q", r.Host, sent, logged)
		}
		total += len(logged)
		for _, l := range logged {
			t.Logf("%s: %s", r.Host, l)
		}
	}
	if total == 0 {
		t.Fatal("apply sent nothing")
	}
	t.Logf("%d hosts would change; apply sent %d writes, each one check mode recorded", changing, total)
}

// writesIn is every write of r, in order, checking each is in state want.
func writesIn(t *testing.T, r playbook.HostResult, want playbook.WriteState) []string {
	t.Helper()
	var out []string
	for _, c := range r.Checks {
		for _, w := range c.Writes {
			if w.State != want {
				t.Errorf("%s %s: write %q is %s, want %s", r.Host, c.ID, w.Command, w.State, want)
			}
			out = append(out, w.Command)
		}
	}
	return out
}
