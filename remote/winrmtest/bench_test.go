package winrmtest_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/winfleet/winfleet/remote/winrmtest"
)

// BenchmarkMasterzenRun runs one command per iteration with the pinned
// client over one kept-alive connection (Create, Command, Receive, Signal,
// Delete) and reports the server's requests per second.
func BenchmarkMasterzenRun(b *testing.B) {
	srv := winrmtest.NewServer(testHost())
	defer srv.Close()
	c := newClient(b, srv, "PT5S")
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, _, err := c.RunCmdWithContext(ctx, "echo hi"); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reqs := len(srv.Log())
	b.ReportMetric(float64(reqs)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkRawReceive measures the server alone: one Receive of a finished
// command per iteration, over a kept-alive connection.
func BenchmarkRawReceive(b *testing.B) {
	srv := winrmtest.NewServer(testHost())
	defer srv.Close()
	c := newRaw(b, srv)
	shell := c.mustCreate()
	cmd := c.mustCommand(shell, "echo hi")
	c.receiveAll(shell, cmd)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if r := c.receive(shell, cmd); r.status != 200 {
			b.Fatalf("Receive: %d", r.status)
		}
		srv.ResetLog() // keep the log from growing with b.N
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkIdleShellMemory reports the heap held per open, idle shell (the
// request log emptied).
func BenchmarkIdleShellMemory(b *testing.B) {
	const shells = 1000
	for b.Loop() {
		srv := winrmtest.NewServer(testHost(), winrmtest.WithMaxShellsPerUser(shells))
		c := newRaw(b, srv)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for range shells {
			c.mustCreate()
		}
		srv.ResetLog()
		runtime.GC()
		runtime.ReadMemStats(&after)
		if srv.OpenShells() != shells {
			b.Fatalf("OpenShells() = %d", srv.OpenShells())
		}
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/shells, "B/shell")
		c.http.CloseIdleConnections()
		srv.Close()
	}
}
