package remote

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"

	"github.com/winfleet/winfleet/lab/winsim"
	"github.com/winfleet/winfleet/remote/winrmtest"
)

// benchEmulatorEnv makes a re-executed test binary serve an emulator
// instead of running tests: "cmd" (testHost) or "winsim".
const benchEmulatorEnv = "REMOTE_BENCH_EMULATOR"

// serveEmulator serves until its standard input is closed, after printing
// the listen address on standard output.
func serveEmulator(kind string) {
	var h winrmtest.Handler = testHost
	switch kind {
	case "winsim":
		h = winsim.MustNew(winsim.Config{Version: winsim.Win2019})
	case "scan":
		// A host as the lab's generator makes them: SSIS 130, Windows' own
		// rules plus the two the playbook reads.
		h = winsim.MustNew(winsim.Config{Version: winsim.Win2019, SSIS: []winsim.SSIS{{Version: 130}}, BuiltinRules: true,
			Rules: []winsim.Rule{
				mustRule(map[string]string{"name": "RPC (TCP/135)", "protocol": "tcp", "localport": "135", "remoteip": "localsubnet"}),
				mustRule(map[string]string{"name": "SSIS Service", "program": `C:\Program Files\Microsoft SQL Server\130\DTS\Binn\MsDtsSrvr.exe`, "remoteip": "localsubnet"}),
			}})
	}
	srv := winrmtest.NewServer(h)
	fmt.Println(srv.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin)
	srv.Close()
}

// startEmulatorProcess runs the emulator in a child process, so that the
// CPU time and allocations a benchmark measures are the client's alone.
func startEmulatorProcess(b *testing.B, kind string) Target {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), benchEmulatorEnv+"="+kind)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("emulator process: %v", err)
	}
	host, ps, err := net.SplitHostPort(strings.TrimSpace(line))
	if err != nil {
		b.Fatalf("emulator process printed %q: %v", line, err)
	}
	port, _ := strconv.Atoi(ps)
	return Target{Host: host, Port: port, User: winrmtest.DefaultUser, Password: winrmtest.DefaultPassword, AllowUnencrypted: true}
}

// perOp reports requests, client CPU time and (with ReportAllocs) client
// allocations per operation, and per command for batches of size k.
// gc-% is the garbage collector's share of the client's CPU.
func perOp(b *testing.B, requests int, m mark, k int) {
	n := float64(b.N)
	cpu := cpuTime() - m.cpu
	b.ReportMetric(float64(requests)/n, "requests/op")
	b.ReportMetric(float64(cpu.Microseconds())/n, "cpu-µs/op")
	if gc, used := gcCPU(); used > m.used {
		b.ReportMetric(100*(gc-m.gc)/(used-m.used), "gc-%")
	}
	if k > 1 {
		b.ReportMetric(float64(requests)/(n*float64(k)), "requests/cmd")
		b.ReportMetric(float64(cpu.Microseconds())/(n*float64(k)), "cpu-µs/cmd")
	}
}

// gcCPU returns the garbage collector's CPU time and the CPU time the
// process used (runtime/metrics estimates: all of GOMAXPROCS but idle).
func gcCPU() (gc, used float64) {
	s := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}, {Name: "/cpu/classes/total:cpu-seconds"}, {Name: "/cpu/classes/idle:cpu-seconds"}}
	metrics.Read(s)
	return s[0].Value.Float64(), s[1].Value.Float64() - s[2].Value.Float64()
}

// mark is where a benchmark's measurement starts.
type mark struct {
	cpu      time.Duration
	gc, used float64
}

func markNow() mark {
	gc, used := gcCPU()
	return mark{cpu: cpuTime(), gc: gc, used: used}
}

// BenchmarkRun measures one command on a reused client, the shell opened
// before the timer starts: Command + Receive.
func BenchmarkRun(b *testing.B) {
	c := dialT(b, startEmulatorProcess(b, "cmd"), Options{})
	defer c.Close(b.Context())
	if _, err := c.Run(b.Context(), "echo warm", nil, nil); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	req0, m := c.Requests(), markNow()
	for b.Loop() {
		if _, err := c.Run(b.Context(), "echo hello", io.Discard, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	perOp(b, c.Requests()-req0, m, 1)
}

// BenchmarkRunBatch measures a batch of 10 commands on a reused client,
// against winsim's cmd.exe.
func BenchmarkRunBatch(b *testing.B) {
	c := dialT(b, startEmulatorProcess(b, "winsim"), Options{})
	defer c.Close(b.Context())
	cmds := make([]string, 10)
	for i := range cmds {
		cmds[i] = fmt.Sprintf("sc query MpsSvc%d", i)
	}
	if _, err := c.RunBatch(b.Context(), cmds); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	req0, m := c.Requests(), markNow()
	for b.Loop() {
		if _, err := c.RunBatch(b.Context(), cmds); err != nil {
			b.Fatal(err)
		}
	}
	perOp(b, c.Requests()-req0, m, len(cmds))
}

// BenchmarkRunFresh measures a client's whole life for one command: Dial,
// Create, Command, Receive, Delete.
func BenchmarkRunFresh(b *testing.B) {
	tg := startEmulatorProcess(b, "cmd")
	b.ReportAllocs()
	reqs, m := 0, markNow()
	for b.Loop() {
		c := dialT(b, tg, Options{})
		if _, err := c.Run(b.Context(), "echo hello", io.Discard, io.Discard); err != nil {
			b.Fatal(err)
		}
		_ = c.Close(b.Context())
		reqs += c.Requests()
	}
	perOp(b, reqs, m, 1)
}

func mustRule(params map[string]string) winsim.Rule {
	r, err := winsim.ParseRule(params)
	if err != nil {
		panic(err)
	}
	return r
}

// scanBatches are the batches winfleet's scan sends to a Windows 2008+
// host: one, discovery (with the SSIS search) and the reads of the
// ssis-firewall playbook together.
var scanBatches = [][]string{
	{"ver", "net session", "sc query type= service state= all",
		`reg query HKLM\SYSTEM\CurrentControlSet\Services /s /f MsDtsSrvr.exe /d`,
		"netsh advfirewall firewall show rule name=all dir=in verbose"},
}

// BenchmarkHostScan measures what a fleet scan costs the client per host:
// Dial, the batch of the ssis-firewall scan on a new connection, and Close
// (Create, Command, Receive, Delete).
func BenchmarkHostScan(b *testing.B) {
	tg := startEmulatorProcess(b, "scan")
	b.ReportAllocs()
	reqs, m := 0, markNow()
	for b.Loop() {
		c := dialT(b, tg, Options{})
		for _, batch := range scanBatches {
			res, err := c.RunBatch(b.Context(), batch)
			if err != nil || len(res) != len(batch) {
				b.Fatalf("RunBatch = %d results, %v", len(res), err)
			}
		}
		if err := c.Close(b.Context()); err != nil {
			b.Fatal(err)
		}
		reqs += c.Requests()
	}
	perOp(b, reqs, m, 1)
}

// BenchmarkHostScanParallel is BenchmarkHostScan with 24 hosts at a time
// (12 goroutines per core; the emulated host allows 30 shells per user),
// as a fleet scan runs them: the garbage collector and heap growth weigh
// more with many clients alive at once.
func BenchmarkHostScanParallel(b *testing.B) {
	tg := startEmulatorProcess(b, "scan")
	b.ReportAllocs()
	b.SetParallelism(12)
	var reqs atomic.Int64
	m := markNow()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c, err := Dial(b.Context(), tg, Options{})
			if err != nil {
				b.Error(err)
				return
			}
			for _, batch := range scanBatches {
				if res, err := c.RunBatch(b.Context(), batch); err != nil || len(res) != len(batch) {
					b.Errorf("RunBatch = %d results, %v", len(res), err)
				}
			}
			if err := c.Close(b.Context()); err != nil {
				b.Error(err)
			}
			reqs.Add(int64(c.Requests()))
		}
	})
	perOp(b, int(reqs.Load()), m, 1)
}

// countingTransporter counts the requests of masterzen's own Basic
// transport.
type countingTransporter struct {
	inner winrm.Transporter
	n     *atomic.Int64
}

func (t countingTransporter) Transport(e *winrm.Endpoint) error { return t.inner.Transport(e) }

func (t countingTransporter) Post(c *winrm.Client, m *soap.SoapMessage) (string, error) {
	t.n.Add(1)
	return t.inner.Post(c, m)
}

// BenchmarkMasterzenRun is the baseline: masterzen's RunWithContext with
// its default Basic transport opens and deletes a shell and signals the
// command every time (Create, Command, Receive, Signal, Delete).
func BenchmarkMasterzenRun(b *testing.B) {
	tg := startEmulatorProcess(b, "cmd")
	var n atomic.Int64
	params := *winrm.DefaultParameters
	params.TransportDecorator = func() winrm.Transporter {
		return countingTransporter{inner: winrm.NewClientWithProxyFunc(func(*http.Request) (*url.URL, error) { return nil, nil }), n: &n}
	}
	ep := winrm.NewEndpoint(tg.Host, tg.Port, false, false, nil, nil, nil, 0)
	wc, err := winrm.NewClientWithParameters(ep, tg.User, tg.Password, &params)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	m := markNow()
	for b.Loop() {
		if _, err := wc.RunWithContext(b.Context(), "echo hello", io.Discard, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	perOp(b, int(n.Load()), m, 1)
}
