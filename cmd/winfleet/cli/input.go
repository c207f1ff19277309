package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"
)

// maxInputBytes caps every file winfleet reads as input: inventories, vars
// files, playbooks, the config file and --limit @files. A 10,000-host
// inventory is a few MB; a bigger input is a mistake (the wrong file, a
// device), not something to read into memory.
const maxInputBytes = 64 << 20

// errTooLarge is wrapped by readInput for a file over maxInputBytes.
var errTooLarge = fmt.Errorf("larger than %d MiB", maxInputBytes>>20)

// readInput reads an input file with the size cap, and gives up as soon as
// ctx is done: Ctrl-C on a FIFO whose writer never writes, or on a slow
// device, ends the command. The file is opened non-blocking, so opening a
// FIFO never hangs, and reads go through the runtime poller, so a deadline
// interrupts them.
func readInput(ctx context.Context, path string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	stop := context.AfterFunc(ctx, func() { _ = f.SetReadDeadline(time.Now()) })
	defer stop()
	b, err := io.ReadAll(io.LimitReader(f, maxInputBytes+1))
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("reading %s: %w", path, ctx.Err())
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, fmt.Errorf("reading %s: %w", path, context.Canceled)
	case err != nil:
		return nil, err
	case len(b) > maxInputBytes:
		return nil, fmt.Errorf("%s: %w", path, errTooLarge)
	}
	return b, nil
}

// inputReader is readInput bound to ctx, for the packages that take a
// ReadFile function (inventory, playbook, --limit @file).
func inputReader(ctx context.Context) func(string) ([]byte, error) {
	return func(path string) ([]byte, error) { return readInput(ctx, path) }
}
