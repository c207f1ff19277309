package remote

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// cancelAfterWriteConn cancels a context once the request body has been
// written, and returns from that Write only after the cancellation has
// set its past deadline: the exchange then goes on to set its own read
// deadline with the context already done.
type cancelAfterWriteConn struct {
	net.Conn
	body   string
	cancel context.CancelFunc
	once   sync.Once
	past   chan struct{} // closed when a deadline in the past is set
}

func (c *cancelAfterWriteConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	if string(b) == c.body {
		c.cancel()
		<-c.past
	}
	return n, err
}

func (c *cancelAfterWriteConn) SetDeadline(t time.Time) error {
	if t.Before(time.Now()) {
		c.once.Do(func() { close(c.past) })
	}
	return c.Conn.SetDeadline(t)
}

// TestCancelBeforeReadDeadline: a cancellation that lands between the
// request's write and the read deadline the exchange sets next is not
// undone by that deadline; the exchange returns at once with the
// cancellation, not after ReadTimeout (the host here never answers).
func TestCancelBeforeReadDeadline(t *testing.T) {
	client, host := net.Pipe()
	defer host.Close()
	go func() { _, _ = io.Copy(io.Discard, host) }() // reads the request, never answers

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	const body = "<s:Envelope/>"
	nc := &cancelAfterWriteConn{Conn: client, body: body, cancel: cancel, past: make(chan struct{})}
	tr := &transport{host: "h:1", readTimeout: 20 * time.Second}
	p := newWirePoster(tr, "h:1", nil, nil, time.Second, "")
	c := &wireConn{nc: nc, br: bufio.NewReader(nc)}

	done := make(chan error, 1)
	go func() {
		_, _, err := p.exchange(ctx, c, []byte(body), nil)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("exchange = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		client.Close() // ends the exchange
		<-done
		t.Fatal("exchange still waiting 5 s after the cancellation: the read deadline undid it")
	}
}
