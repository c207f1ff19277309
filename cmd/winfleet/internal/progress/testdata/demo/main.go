// Command demo drives a progress.Display on the real terminal with a
// simulated --serial rollout, -v log lines and two hung hosts, for the
// manual tmux check described in ../../README.md. It is not built by
// "go build ./..." (testdata is skipped); run it with
//
//	go run ./cmd/winfleet/internal/progress/testdata/demo
package main

import (
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/winfleet/winfleet/cmd/winfleet/internal/progress"
)

func main() {
	width, _, err := term.GetSize(int(os.Stderr.Fd()))
	if err != nil {
		width = 80
	}
	const total = 40
	d := progress.New(os.Stderr, progress.Options{
		Width: width, Total: total, Title: "apply", SlowAfter: 3 * time.Second,
		Color: progress.ColorEnabled(term.IsTerminal(int(os.Stderr.Fd())), os.LookupEnv),
	})
	log := slog.New(slog.NewTextHandler(d, nil))
	statuses := []string{"changed", "changed", "compliant", "unreachable", "changed", "failed"}
	batches := [][2]int{{0, 1}, {1, 5}, {5, total}}
	for b, r := range batches {
		d.BatchStarted(b+1, len(batches), r[1]-r[0])
		log.Info("batch started", "batch", b+1)
		var wg sync.WaitGroup
		sem := make(chan struct{}, 8)
		for i := r[0]; i < r[1]; i++ {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				name := fmt.Sprintf("sql%03d.corp.example", i+1)
				d.HostStarted(name)
				work := time.Duration(200+i*37%400) * time.Millisecond
				if i == 37 || i == 38 {
					work = 8 * time.Second // hung until the host budget ends
				}
				time.Sleep(work) // simulated WinRM work, not a wait for an event
				st := statuses[i%len(statuses)]
				if work > 5*time.Second {
					st = "timeout"
				}
				d.HostFinished(name, st)
				log.Info("host finished", "host", name, "status", st)
			})
		}
		wg.Wait()
	}
	d.Finish()
	fmt.Fprintln(os.Stderr, "summary would follow here")
}
