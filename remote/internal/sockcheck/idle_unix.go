//go:build unix

package sockcheck

import (
	"errors"
	"net"
	"syscall"
)

// Idle peeks at the socket without blocking: it is idle (usable) when
// there is nothing to read yet. End of stream (the server closed it), pending
// bytes or an error mean it is not.
func Idle(nc net.Conn) bool {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return true // not a socket (a test pipe): nothing to check
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	idle := false
	var buf [1]byte
	err = rc.Read(func(fd uintptr) bool {
		var rerr error
		for {
			_, _, rerr = syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			if rerr != syscall.EINTR { // the runtime's preemption signals interrupt syscalls
				break
			}
		}
		idle = errors.Is(rerr, syscall.EAGAIN) || errors.Is(rerr, syscall.EWOULDBLOCK)
		return true // never wait for readiness
	})
	return err == nil && idle
}
