//go:build !windows

package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/winfleet/winfleet/cmd/winfleet/cli"
)

// supervisedEnv marks the process that does the work, under a supervisor.
const supervisedEnv = "WINFLEET_SUPERVISED"

// exitFatal is cli.ExitFatal, which the supervisor exits with for a run
// that ended without a result.
const exitFatal = cli.ExitFatal

// supervise runs winfleet's work in a child process and returns the code
// to exit with. The exit code is the contract of unattended runs, and a Go
// program that crashes (out of memory, a panic, SIGQUIT) exits with status
// 2, which means drift. So the child reports the code it means on a pipe
// just before it exits; a child that ends without reporting one crashed or
// was killed, and the supervisor exits 1 (fatal) saying so, never 2.
// Interrupts reach the child (it is in the same process group); SIGTERM
// sent to the supervisor alone is passed on.
func supervise(args []string) int {
	self := selfPath()
	if self == "" {
		return -1 // cannot re-execute: run unsupervised
	}
	r, w, err := os.Pipe()
	if err != nil {
		return -1
	}
	runtime.LockOSThread() // see childAttr; the supervisor never unlocks it
	cmd := exec.Command(self, args...)
	cmd.SysProcAttr = childAttr()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.ExtraFiles = []*os.File{w} // fd 3 in the child
	cmd.Env = append(os.Environ(), supervisedEnv+"=3")
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM, syscall.SIGQUIT, syscall.SIGUSR1)
	defer signal.Stop(signals)
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return -1
	}
	w.Close()
	reported := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(r, 16))
		r.Close()
		reported <- strings.TrimSpace(string(b))
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case sig := <-signals:
			// A terminal signals the whole process group, a service
			// manager or CI job often the main pid only: pass every stop
			// (and lab's SIGUSR1) on; the child takes a second one calmly.
			_ = cmd.Process.Signal(sig)
		case err := <-done:
			code, ok := parseCode(<-reported)
			if ok {
				return code
			}
			fmt.Fprintf(os.Stderr, "winfleet: the run ended without a result (%s): it crashed or was killed; its reports may be missing or from an earlier run, and an apply's record of writes is in its journal (winfleet report recover)\n", describeExit(err))
			return exitFatal
		}
	}
}

// selfPath is how to run this program again: argv[0] as the shell found
// it (so a test harness's command name works), else the executable.
func selfPath() string {
	if strings.ContainsRune(os.Args[0], os.PathSeparator) {
		return os.Args[0]
	}
	if p, err := exec.LookPath(os.Args[0]); err == nil {
		return p
	}
	if p, err := os.Executable(); err == nil {
		return p
	}
	return ""
}

func parseCode(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0 && n <= 255
}

// describeExit says how the child ended.
func describeExit(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return "killed by " + ws.Signal().String()
		}
		return fmt.Sprintf("exit status %d", ee.ExitCode())
	}
	if err != nil {
		return err.Error()
	}
	return "exit status 0"
}

// reportCode tells the supervisor, if there is one, the exit code the run
// means, just before exiting with it.
func reportCode(code int) {
	fd := os.Getenv(supervisedEnv)
	if fd == "" {
		return
	}
	n, err := strconv.Atoi(fd)
	if err != nil {
		return
	}
	f := os.NewFile(uintptr(n), "supervisor")
	if f == nil {
		return
	}
	_, _ = f.WriteString(strconv.Itoa(code))
	_ = f.Close()
}
