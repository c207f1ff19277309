//go:build linux

package main

import (
	"bufio"
	"cmp"
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/winfleet/winfleet/lab/fleet"
)

//go:embed testdata/pywinrm_scan.py
var pywinrmScript []byte

// options are the command's flags.
type options struct {
	Winfleet    string        // scan binary; "" builds ./cmd/winfleet
	LabWinfleet string        // lab binary; "" = Winfleet
	Runs        []runSpec     // what to measure
	Seed        int64         // fleet seed
	Latency     time.Duration // lab latency per request
	HugeBytes   int           // output per command of the "huge" runs
	Python      string        // interpreter with pywinrm
	Dir         string        // work directory; "" = a temporary one, removed
	Calibrate   int           // hosts of the lab that counts requests per host
	Timeout     time.Duration // winfleet scan --timeout
	Warmup      int           // unmeasured scans of each lab before measuring
	Repeat      int           // measured scans per run (and pywinrm runs)
	Caches      []string      // fact cache modes measured: cold, warm, none
}

// The fact cache modes a scan is measured in.
const (
	// cacheCold: --no-fact-cache, as a first scan (a 2003 host in two
	// round trips).
	cacheCold = "cold"
	// cacheWarm: --state-dir of the run, whose facts.json the warm-up scan
	// and every earlier warm scan filled: an unchanged host is read in one
	// round trip.
	cacheWarm = "warm"
	// cacheNone: no cache flag at all, for a build older than the cache.
	cacheNone = "none"
)

// cacheArgs are the scan flags of a fact cache mode; stateDir is the run's.
func cacheArgs(mode, stateDir string) []string {
	switch mode {
	case cacheCold:
		return []string{"--no-fact-cache"}
	case cacheWarm:
		return []string{"--state-dir", stateDir}
	}
	return nil
}

func parseCaches(s string) ([]string, error) {
	var out []string
	for _, m := range strings.Split(s, ",") {
		switch m = strings.TrimSpace(m); m {
		case cacheCold, cacheWarm, cacheNone:
			out = append(out, m)
		default:
			return nil, fmt.Errorf("-cache: %q is not cold, warm or none", m)
		}
	}
	return out, nil
}

// A runSpec is one measurement: KIND:HOSTS:FORKS.
//
//	basic    generated fleet (--hosts), Basic over HTTP
//	ntlm     the same fleet, NTLM with message encryption over HTTP
//	compare  basic, then the pywinrm script on the same hosts and threads
//	huge     every host prints HugeBytes on every command
type runSpec struct {
	Kind         string
	Hosts, Forks int
}

func (r runSpec) String() string { return fmt.Sprintf("%s:%d:%d", r.Kind, r.Hosts, r.Forks) }

const defaultRuns = "basic:1000:200,ntlm:1000:200,basic:10000:500,compare:200:50,huge:10:10"

func parseRuns(s string) ([]runSpec, error) {
	var out []runSpec
	for _, part := range strings.Split(s, ",") {
		f := strings.Split(strings.TrimSpace(part), ":")
		if len(f) != 3 {
			return nil, fmt.Errorf("-runs: %q is not KIND:HOSTS:FORKS", part)
		}
		switch f[0] {
		case "basic", "ntlm", "compare", "huge":
		default:
			return nil, fmt.Errorf("-runs: %q: kind %q is not basic, ntlm, compare or huge", part, f[0])
		}
		n, err1 := strconv.Atoi(f[1])
		k, err2 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil || n < 1 || k < 1 {
			return nil, fmt.Errorf("-runs: %q: hosts and forks must be positive numbers", part)
		}
		out = append(out, runSpec{Kind: f[0], Hosts: n, Forks: k})
	}
	return out, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("winfleet-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	runs := fs.String("runs", defaultRuns, "comma-separated KIND:HOSTS:FORKS; kinds basic, ntlm, compare (winfleet vs pywinrm), huge (every host prints -huge-bytes)")
	fs.StringVar(&o.Winfleet, "winfleet", "", "winfleet binary that scans (default: go build ./cmd/winfleet)")
	fs.StringVar(&o.LabWinfleet, "lab-winfleet", "", "winfleet binary that serves the lab (default: -winfleet)")
	fs.Int64Var(&o.Seed, "seed", 11, "seed of the generated fleets")
	fs.DurationVar(&o.Latency, "latency", 20*time.Millisecond, "lab latency per request")
	fs.IntVar(&o.HugeBytes, "huge-bytes", 20<<20, "bytes every command prints in the huge runs")
	fs.StringVar(&o.Python, "python", "/usr/bin/python3", "python with pywinrm (Debian: apt-get install python3-winrm)")
	fs.StringVar(&o.Dir, "dir", "", "keep fleets, inventories and reports in this directory")
	fs.IntVar(&o.Calibrate, "calibrate", 100, "hosts of the in-process lab that counts the requests per host")
	fs.DurationVar(&o.Timeout, "timeout", 2*time.Minute, "winfleet scan --timeout (per host)")
	fs.IntVar(&o.Warmup, "warmup", 1, "unmeasured winfleet scans of each fresh lab before measuring (the lab process grows its heap on the first)")
	fs.IntVar(&o.Repeat, "repeat", 3, "measured scans per run; a median row follows when more than one")
	caches := fs.String("cache", "cold,warm", "fact cache modes each run is measured in: cold (--no-fact-cache), warm (facts.json filled by the warm-up scan), none (no flag: a build older than the cache)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.Warmup < 0 || o.Repeat < 1 {
		fmt.Fprintln(stderr, "-warmup must be 0 or more and -repeat 1 or more")
		return 2
	}
	var err error
	if o.Runs, err = parseRuns(*runs); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if o.Caches, err = parseCaches(*caches); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if err := bench(ctx, o, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "winfleet-bench:", err)
		return 1
	}
	return 0
}

// bench prepares the binaries and work directory and runs every spec.
func bench(ctx context.Context, o options, stdout, stderr io.Writer) error {
	dir := o.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "winfleet-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if o.Winfleet == "" {
		o.Winfleet = filepath.Join(dir, "winfleet")
		fmt.Fprintln(stderr, "building ./cmd/winfleet …")
		b := exec.CommandContext(ctx, "go", "build", "-o", o.Winfleet, "./cmd/winfleet")
		b.Stdout, b.Stderr = stderr, stderr
		if err := b.Run(); err != nil {
			return fmt.Errorf("go build ./cmd/winfleet (run from the module root): %w", err)
		}
	}
	if o.LabWinfleet == "" {
		o.LabWinfleet = o.Winfleet
	}
	pw := make([]byte, 12)
	_, _ = rand.Read(pw)
	b := &bencher{o: o, dir: dir, password: hex.EncodeToString(pw), stderr: stderr, reqs: map[string]reqCount{}}

	fmt.Fprintf(stdout, "winfleet-bench: scan %s, lab %s, seed %d, latency %v, GOMAXPROCS of the children: default, %d CPUs\n",
		o.Winfleet, o.LabWinfleet, o.Seed, o.Latency, numCPU())
	fmt.Fprintf(stdout, "load average at start: %s\n\n", loadavg())
	fmt.Fprintln(stdout, "| run | hosts scanned | forks | wall | ideal | wall/ideal | client CPU/host (user+sys) | client max RSS | lab CPU (per host) | requests/host | statuses |")
	fmt.Fprintln(stdout, "|---|---|---|---|---|---|---|---|---|---|---|")
	var errs []error
	for _, r := range o.Runs {
		if ctx.Err() != nil {
			break
		}
		if err := b.one(ctx, r, stdout); err != nil {
			fmt.Fprintf(stdout, "| %s | failed: %v |\n", r, err)
			errs = append(errs, fmt.Errorf("%s: %w", r, err))
		}
	}
	fmt.Fprintf(stdout, "\nload average at end: %s\n", loadavg())
	for _, l := range b.notes {
		fmt.Fprintln(stdout, l)
	}
	return errors.Join(errs...)
}

type bencher struct {
	o        options
	dir      string
	password string
	stderr   io.Writer
	reqs     map[string]reqCount // per transport and cache mode, from the calibration lab
	notes    []string
}

// one measures one run and prints its table row(s).
func (b *bencher) one(ctx context.Context, r runSpec, stdout io.Writer) error {
	rd := filepath.Join(b.dir, fmt.Sprintf("%s-%d-%d", r.Kind, r.Hosts, r.Forks))
	if err := os.MkdirAll(rd, 0o755); err != nil {
		return err
	}
	transport := "basic"
	if r.Kind == "ntlm" {
		transport = "ntlm"
	}
	labArgs := []string{"lab", "--seed", strconv.FormatInt(b.o.Seed, 10), "--latency", b.o.Latency.String(),
		"--inventory-out", filepath.Join(rd, "inventory.yaml"), "--answers-out", filepath.Join(rd, "answers.json")}
	switch r.Kind {
	case "basic", "compare":
		labArgs = append(labArgs, "--hosts", strconv.Itoa(r.Hosts))
	default:
		f := fleet.Generate(r.Hosts, b.o.Seed)
		f.Defaults.Transport = transport
		if r.Kind == "huge" {
			for i := range f.Hosts {
				f.Hosts[i].Faults.HugeOutput = fleet.ByteSize(b.o.HugeBytes)
			}
		}
		path := filepath.Join(rd, "fleet.yaml")
		if err := writeFleet(path, f); err != nil {
			return err
		}
		labArgs = append(labArgs, "--fleet", path)
	}
	lab, err := startLab(ctx, b.o.LabWinfleet, labArgs, b.env(), b.stderr)
	if err != nil {
		return err
	}
	defer lab.stop()

	answers, err := readAnswers(filepath.Join(rd, "answers.json"))
	if err != nil {
		return err
	}
	var scanned []string
	for h, s := range answers {
		if r.Kind == "huge" || s == "compliant" || s == "noncompliant" {
			scanned = append(scanned, h)
		}
	}
	sort.Strings(scanned)
	limit := filepath.Join(rd, "hosts.txt")
	if err := os.WriteFile(limit, []byte(strings.Join(scanned, "\n")+"\n"), 0o644); err != nil {
		return err
	}

	rc := map[string]reqCount{}
	if r.Kind != "huge" {
		for _, mode := range b.o.Caches {
			if rc[mode], err = b.requests(ctx, transport, mode); err != nil {
				return fmt.Errorf("count requests: %w", err)
			}
		}
	}

	return b.measureRun(ctx, stdout, r, lab, runFiles{dir: rd, limit: limit, scanned: scanned, answers: answers}, rc)
}

// runFiles are what one run scans: its directory (inventory.yaml,
// scan.json), the -l @file of the scanned hosts, and the lab's answers.
type runFiles struct {
	dir, limit string
	scanned    []string
	answers    map[string]string
}

// measureRun warms the lab up (and, with it, the warm mode's fact cache),
// then measures the run -repeat times in each fact cache mode, the modes'
// order alternating between rounds (with the pywinrm script after each
// round of winfleet scans in compare runs), and prints a row per scan and
// the medians.
func (b *bencher) measureRun(ctx context.Context, stdout io.Writer, r runSpec, lab *labProc, f runFiles, rc map[string]reqCount) error {
	inventory := filepath.Join(f.dir, "inventory.yaml")
	report := filepath.Join(f.dir, "scan.json")
	state := filepath.Join(f.dir, "state")
	scan := func(mode string) func() (usage, error) {
		return func() (usage, error) { return b.scan(ctx, inventory, f.limit, r.Forks, report, cacheArgs(mode, state)) }
	}
	warm := cacheNone
	if slices.Contains(b.o.Caches, cacheWarm) {
		warm = cacheWarm // fills the cache the warm scans use
	}
	for i := 0; i < b.o.Warmup; i++ {
		if _, err := scan(warm)(); err != nil {
			return fmt.Errorf("warm-up scan: %w", err)
		}
	}
	n := len(f.scanned)
	wf := map[string][]measured{}
	var py []measured
	for i := 0; i < b.o.Repeat; i++ {
		// The second scan of a round on the same lab process is measured
		// slower (at 10,000 hosts ~10 %, whichever mode it is): the modes
		// take turns going first.
		modes := slices.Clone(b.o.Caches)
		if i%2 == 1 {
			slices.Reverse(modes)
		}
		for _, mode := range modes {
			m, err := b.measure(lab, scan(mode))
			if err != nil {
				return err
			}
			if m.note, err = checkReport(report, f.answers, f.scanned); err != nil {
				return err
			}
			m.label = fmt.Sprintf("%s winfleet %s #%d", r.Kind, mode, i+1)
			wf[mode] = append(wf[mode], m)
			b.printRow(stdout, r, n, m, rc[mode], "")
		}
		if r.Kind != "compare" {
			continue
		}
		p, err := b.measure(lab, func() (usage, error) { return b.pywinrm(ctx, inventory, f.scanned, r.Forks) })
		if err != nil {
			return fmt.Errorf("pywinrm: %w", err)
		}
		p.label, p.note = fmt.Sprintf("%s pywinrm #%d", r.Kind, i+1), fmt.Sprintf("%d/%d ran both commands", p.ok, n)
		py = append(py, p)
		b.printRow(stdout, r, n, p, reqCount{}, b.ratios(p, func(mode string) measured { return wf[mode][i] }, ""))
	}
	if b.o.Repeat == 1 {
		return nil
	}
	meds := map[string]measured{}
	for _, mode := range b.o.Caches {
		m := median(wf[mode])
		m.label = fmt.Sprintf("**%s winfleet %s, median of %d**", r.Kind, mode, b.o.Repeat)
		meds[mode] = m
		b.printRow(stdout, r, n, m, rc[mode], "")
	}
	if len(py) > 0 {
		p := median(py)
		p.label = fmt.Sprintf("**%s pywinrm, median of %d**", r.Kind, b.o.Repeat)
		b.printRow(stdout, r, n, p, reqCount{}, "**"+b.ratios(p, func(mode string) measured { return meds[mode] }, "median ")+"**")
	}
	return nil
}

// ratios is pywinrm's wall over winfleet's, per fact cache mode.
func (b *bencher) ratios(p measured, wf func(mode string) measured, what string) string {
	var parts []string
	for _, mode := range b.o.Caches {
		parts = append(parts, fmt.Sprintf("%.1f× winfleet %s's %swall", p.wall.Seconds()/wf(mode).wall.Seconds(), mode, what))
	}
	return strings.Join(parts, ", ")
}

// measured is one measured scan: the scanner's usage and the lab's CPU
// meanwhile.
type measured struct {
	usage
	lab         time.Duration
	label, note string
}

// measure runs f and adds the lab's CPU during it.
func (b *bencher) measure(lab *labProc, f func() (usage, error)) (measured, error) {
	lab0, err := procCPU(lab.cmd.Process.Pid)
	if err != nil {
		return measured{}, err
	}
	u, err := f()
	if err != nil {
		return measured{}, err
	}
	lab1, err := procCPU(lab.cmd.Process.Pid)
	if err != nil {
		return measured{}, err
	}
	return measured{usage: u, lab: lab1 - lab0}, nil
}

// median is the median of each column on its own (wall, CPU, RSS, lab
// CPU), so it may mix repetitions; with an even count the upper middle. The
// CPU column is the repetition with the median user + system time, so its
// two parts add up.
func median(ms []measured) measured {
	mid := func(f func(measured) int64) measured {
		s := slices.Clone(ms)
		slices.SortFunc(s, func(a, b measured) int { return cmp.Compare(f(a), f(b)) })
		return s[len(s)/2]
	}
	var m measured
	m.wall = mid(func(m measured) int64 { return int64(m.wall) }).wall
	cpu := mid(func(m measured) int64 { return int64(m.user + m.sys) })
	m.user, m.sys = cpu.user, cpu.sys
	m.maxRSS = mid(func(m measured) int64 { return m.maxRSS }).maxRSS
	m.lab = mid(func(m measured) int64 { return int64(m.lab) }).lab
	return m
}

// printRow prints one table row. With requests counted (rc.hosts > 0) it
// gives the ideal and wall/ideal; otherwise ratio, if set, fills that column.
func (b *bencher) printRow(stdout io.Writer, r runSpec, n int, m measured, rc reqCount, ratio string) {
	ideal, reqs := "—", "—"
	if r.Kind == "compare" && rc.hosts == 0 {
		reqs = "10 (5 per command)" // the pywinrm script
	}
	if rc.hosts > 0 {
		waves := math.Ceil(float64(n) / float64(r.Forks))
		id := time.Duration(waves * rc.http() * float64(b.o.Latency))
		ideal = id.Round(time.Millisecond).String()
		ratio = fmt.Sprintf("%.1f×", m.wall.Seconds()/id.Seconds())
		reqs = rc.String()
	}
	if ratio == "" {
		ratio = "—"
	}
	fmt.Fprintf(stdout, "| %s | %d | %d | %s | %s | %s | %.2f ms (%.2f + %.2f) | %.0f MB | %s (%.2f ms) | %s | %s |\n",
		m.label, n, r.Forks, m.wall.Round(time.Millisecond), ideal, ratio,
		ms(m.user+m.sys)/float64(n), ms(m.user)/float64(n), ms(m.sys)/float64(n),
		float64(m.maxRSS)/(1<<20), m.lab.Round(10*time.Millisecond), ms(m.lab)/float64(n), reqs, m.note)
}

func (b *bencher) env() []string {
	return append(os.Environ(), fleet.DefaultPasswordEnv+"="+b.password, "NO_PROXY=*", "no_proxy=*")
}

// usage is what a child process cost.
type usage struct {
	wall, user, sys time.Duration
	maxRSS          int64 // bytes
	ok              int   // pywinrm: hosts that ran both commands
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func (b *bencher) scan(ctx context.Context, inventory, limit string, forks int, report string, extra []string) (usage, error) {
	args := append([]string{"scan", "-i", inventory, "-l", "@" + limit,
		"-f", strconv.Itoa(forks), "--timeout", b.o.Timeout.String(), "--no-progress", "-o", "json=" + report}, extra...)
	cmd, rss := b.command(ctx, b.o.Winfleet, args...)
	cmd.Env = b.env()
	var errb strings.Builder
	cmd.Stdout, cmd.Stderr = io.Discard, &errb
	start := time.Now()
	err := cmd.Run()
	u := usage{wall: time.Since(start)}
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && (ee.ExitCode() == 2 || ee.ExitCode() == 3)) {
		return u, fmt.Errorf("winfleet scan: %w: %s", err, lastLines(errb.String(), 5))
	}
	return withRusage(u, cmd.ProcessState, rss), nil
}

// command is exec.CommandContext, run under GNU time when /usr/bin/time
// exists so that rss reads the command's own peak RSS. The rusage of a
// child the bench starts directly is no good for that: Go starts children
// with vfork, so Linux counts the bench's own peak RSS (tens of MB after
// it has read a 10,000-host report) as the child's at its exec. CPU times
// from the rusage are right either way (time waits for its child).
func (b *bencher) command(ctx context.Context, name string, args ...string) (*exec.Cmd, func() (int64, bool)) {
	const gnuTime = "/usr/bin/time"
	if _, err := os.Stat(gnuTime); err != nil {
		return exec.CommandContext(ctx, name, args...), func() (int64, bool) { return 0, false }
	}
	f, err := os.CreateTemp(b.dir, "rss-*.txt")
	if err != nil {
		return exec.CommandContext(ctx, name, args...), func() (int64, bool) { return 0, false }
	}
	f.Close()
	cmd := exec.CommandContext(ctx, gnuTime, append([]string{"-f", "%M", "-o", f.Name(), name}, args...)...)
	return cmd, func() (int64, bool) {
		defer os.Remove(f.Name())
		data, err := os.ReadFile(f.Name())
		if err != nil {
			return 0, false
		}
		// The last line: GNU time puts "Command exited with non-zero
		// status N" before it.
		lines := strings.Fields(strings.TrimSpace(string(data)))
		if len(lines) == 0 {
			return 0, false
		}
		kb, err := strconv.ParseInt(lines[len(lines)-1], 10, 64)
		return kb * 1024, err == nil
	}
}

// withRusage adds the CPU times of ps and the peak RSS: rss's if it has
// one, else the rusage's (see command).
func withRusage(u usage, ps *os.ProcessState, rss func() (int64, bool)) usage {
	u.user, u.sys = ps.UserTime(), ps.SystemTime()
	if b, ok := rss(); ok {
		u.maxRSS = b
	} else if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		u.maxRSS = ru.Maxrss * 1024 // KiB on Linux
	}
	return u
}

// pywinrm runs testdata/pywinrm_scan.py on the hosts with threads workers.
func (b *bencher) pywinrm(ctx context.Context, inventory string, hosts []string, threads int) (usage, error) {
	inv, err := readInventory(inventory)
	if err != nil {
		return usage{}, err
	}
	type host struct {
		Address string `json:"address"`
		Port    int    `json:"port"`
		User    string `json:"user"`
	}
	var list []host
	for _, h := range hosts {
		v, ok := inv[h]
		if !ok {
			return usage{}, fmt.Errorf("host %s not in %s", h, inventory)
		}
		list = append(list, host{v.Host, v.Port, v.User})
	}
	in, _ := json.Marshal(list)
	script := filepath.Join(b.dir, "pywinrm_scan.py")
	if err := os.WriteFile(script, pywinrmScript, 0o644); err != nil {
		return usage{}, err
	}
	cmd, rss := b.command(ctx, b.o.Python, script, strconv.Itoa(threads))
	cmd.Env = b.env()
	cmd.Stdin = strings.NewReader(string(in))
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return usage{}, fmt.Errorf("%s %s: %w: %s (Debian: apt-get install -y python3-winrm)", b.o.Python, script, err, lastLines(errb.String(), 5))
	}
	u := withRusage(usage{wall: time.Since(start)}, cmd.ProcessState, rss)
	var res struct{ Hosts, OK int }
	if err := json.Unmarshal([]byte(out.String()), &res); err != nil {
		return u, fmt.Errorf("pywinrm output %q: %w", out.String(), err)
	}
	u.ok = res.OK
	return u, nil
}

// labProc is a `winfleet lab` child process.
type labProc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// startLab starts the lab and waits until it says it is serving.
func startLab(ctx context.Context, bin string, args, env []string, stderr io.Writer) (*labProc, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	pipe, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	l := &labProc{cmd: cmd, done: make(chan struct{})}
	serving := make(chan struct{})
	var tail []string
	go func() {
		defer close(l.done)
		sc := bufio.NewScanner(pipe)
		said := false
		for sc.Scan() {
			line := sc.Text()
			if !said && strings.HasPrefix(line, "lab: serving") {
				said = true
				fmt.Fprintln(stderr, line)
				close(serving)
				continue
			}
			if !said {
				tail = append(tail, line)
			}
		}
		_ = cmd.Wait()
	}()
	t := time.NewTimer(5 * time.Minute)
	defer t.Stop()
	select {
	case <-serving:
		return l, nil
	case <-l.done:
		return nil, fmt.Errorf("winfleet lab exited: %s", lastLines(strings.Join(tail, "\n"), 5))
	case <-ctx.Done():
		l.stop()
		return nil, ctx.Err()
	case <-t.C:
		l.stop()
		return nil, errors.New("winfleet lab did not start serving within 5 minutes")
	}
}

func (l *labProc) stop() {
	_ = l.cmd.Process.Signal(os.Interrupt)
	t := time.NewTimer(30 * time.Second)
	defer t.Stop()
	select {
	case <-l.done:
	case <-t.C:
		_ = l.cmd.Process.Kill()
		<-l.done
	}
}

// procCPU is the user+system CPU time so far of a process and its living
// descendants, from /proc (Linux): winfleet runs its work in a supervised
// child, so the lab's CPU is spent one process below the one started.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("lab CPU time (Linux only): %w", err)
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	// Fields 14 and 15 of stat (utime, stime), in USER_HZ = 100 ticks.
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad utime/stime", pid)
	}
	total := time.Duration(ut+st) * 10 * time.Millisecond
	// Each thread lists the children it started.
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, t := range tasks {
		kids, _ := os.ReadFile(t)
		for _, k := range strings.Fields(string(kids)) {
			if kid, err := strconv.Atoi(k); err == nil {
				if d, err := procCPU(kid); err == nil {
					total += d
				}
			}
		}
	}
	return total, nil
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, " | ")
}

func writeFleet(path string, f *fleet.Fleet) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := f.Write(out); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func readAnswers(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var a map[string]string
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// checkReport compares the scan's statuses with the lab's answers and
// summarises them: "950 as expected" or "948 as expected, 2 not: …".
func checkReport(path string, answers map[string]string, scanned []string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var rep struct {
		Hosts []struct {
			Host   string `json:"host"`
			Status string `json:"status"`
			Error  string `json:"error"`
		} `json:"hosts"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	good := 0
	var bad []string
	for _, h := range rep.Hosts {
		if answers[h.Host] == h.Status {
			good++
		} else if len(bad) < 3 {
			bad = append(bad, fmt.Sprintf("%s %s≠%s %.80s", h.Host, h.Status, answers[h.Host], h.Error))
		}
	}
	s := fmt.Sprintf("%d/%d as expected", good, len(scanned))
	if len(bad) > 0 {
		s += "; e.g. " + strings.Join(bad, "; ")
	}
	return s, nil
}

type invHost struct {
	Host string `yaml:"ansible_host"`
	Port int    `yaml:"ansible_port"`
	User string `yaml:"ansible_user"`
}

func readInventory(path string) (map[string]invHost, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var inv struct {
		All struct {
			Hosts map[string]invHost `yaml:"hosts"`
		} `yaml:"all"`
	}
	if err := yaml.Unmarshal(b, &inv); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return inv.All.Hosts, nil
}
