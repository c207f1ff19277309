//go:build !windows

package cli

import (
	"errors"
	"os"
	"syscall"
)

// errLocked is returned by tryLock for a file another process holds.
var errLocked = errors.New("locked by another process")

// lockFile takes an exclusive lock on f, waiting for it; the lock goes with
// the process (flock: released when the file is closed or the process
// dies, however it dies).
func lockFile(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_EX) }

// tryLock takes an exclusive lock on f without waiting; errLocked when
// another process holds it.
func tryLock(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return errLocked
	}
	return err
}
