//go:build !unix

package sockcheck

import (
	"errors"
	"net"
	"os"
	"time"
)

// Idle reads with a very short deadline: a timeout means nothing is
// pending and the peer has not closed the connection. (An already expired
// deadline would fail before reading, so it must lie in the future.) Any
// byte read is lost, but a connection with unsolicited bytes is not used
// anyway.
func Idle(nc net.Conn) bool {
	if err := nc.SetReadDeadline(time.Now().Add(time.Millisecond)); err != nil {
		return false
	}
	var buf [1]byte
	_, err := nc.Read(buf[:])
	if nc.SetReadDeadline(time.Time{}) != nil {
		return false
	}
	return errors.Is(err, os.ErrDeadlineExceeded)
}
