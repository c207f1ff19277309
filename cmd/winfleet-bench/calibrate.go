//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/winfleet/winfleet/lab/fleet"
	"github.com/winfleet/winfleet/remote/winrmtest"
)

// reqCount is how many requests a scan sent per reachable host, counted by
// the emulator's own request log.
type reqCount struct {
	hosts int
	soap  int // SOAP operations (Create, Command, Receive, Signal, Delete)
	auth  int // authentication legs (NTLM handshakes)
}

func (r reqCount) http() float64 { return float64(r.soap+r.auth) / float64(r.hosts) }

func (r reqCount) String() string {
	s := fmt.Sprintf("%.2f", float64(r.soap)/float64(r.hosts))
	if r.auth > 0 {
		s += fmt.Sprintf(" + %.2f auth legs", float64(r.auth)/float64(r.hosts))
	}
	return s
}

// requests scans a small lab served in this process (so that its request
// logs can be read) with the scan binary, and counts the requests per
// reachable host in a fact cache mode. Every request, handshake legs
// included, waits the lab's latency, so the ideal wall time is waves ×
// requests × latency. A warm count is the second of two scans with one
// state directory.
func (b *bencher) requests(ctx context.Context, transport, mode string) (reqCount, error) {
	key := transport + "/" + mode
	if rc, ok := b.reqs[key]; ok {
		return rc, nil
	}
	f := fleet.Generate(b.o.Calibrate, b.o.Seed)
	f.Defaults.Transport = transport
	lab, err := fleet.Serve(ctx, f, fleet.ServeOptions{Password: b.password})
	if err != nil {
		return reqCount{}, err
	}
	defer lab.Close()
	dir := filepath.Join(b.dir, "calibrate-"+transport+"-"+mode)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return reqCount{}, err
	}
	inv := filepath.Join(dir, "inventory.yaml")
	out, err := os.Create(inv)
	if err != nil {
		return reqCount{}, err
	}
	if err := lab.WriteInventory(out); err != nil {
		out.Close()
		return reqCount{}, err
	}
	if err := out.Close(); err != nil {
		return reqCount{}, err
	}
	var hosts []string
	for h, s := range lab.Answers() {
		if s == "compliant" || s == "noncompliant" {
			hosts = append(hosts, h)
		}
	}
	sort.Strings(hosts)
	limit := filepath.Join(dir, "hosts.txt")
	if err := os.WriteFile(limit, []byte(strings.Join(hosts, "\n")+"\n"), 0o644); err != nil {
		return reqCount{}, err
	}
	scan := func() error {
		args := append([]string{"scan", "-i", inv, "-l", "@" + limit, "-f", "20", "--no-progress",
			"-o", "json=" + filepath.Join(dir, "scan.json")}, cacheArgs(mode, filepath.Join(dir, "state"))...)
		cmd := exec.CommandContext(ctx, b.o.Winfleet, args...)
		cmd.Env = b.env()
		if out, err := cmd.CombinedOutput(); err != nil && cmd.ProcessState.ExitCode() != 2 && cmd.ProcessState.ExitCode() != 3 {
			return fmt.Errorf("calibration scan: %w: %s", err, lastLines(string(out), 5))
		}
		return nil
	}
	skip := map[string]int{} // requests of the scan that filled the cache
	if mode == cacheWarm {
		if err := scan(); err != nil {
			return reqCount{}, err
		}
		for _, name := range hosts {
			h, _ := lab.Host(name)
			skip[name] = len(h.Server.Log())
		}
	}
	if err := scan(); err != nil {
		return reqCount{}, err
	}
	rc := reqCount{hosts: len(hosts)}
	for _, name := range hosts {
		h, _ := lab.Host(name)
		for _, r := range h.Server.Log()[skip[name]:] {
			if r.Op == winrmtest.OpAuth {
				rc.auth++
			} else {
				rc.soap++
			}
		}
	}
	b.reqs[key] = rc
	b.notes = append(b.notes, fmt.Sprintf("requests/host (%s, %s): counted by the emulator on a %d-host lab with the same seed: %d SOAP requests and %d auth legs over %d reachable hosts",
		transport, mode, b.o.Calibrate, rc.soap, rc.auth, rc.hosts))
	return rc, nil
}

func numCPU() int { return runtime.NumCPU() }
