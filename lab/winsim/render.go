package winsim

import (
	"strings"
	"sync"
)

// The full listings a scan reads (sc query type= service state= all, netsh
// advfirewall firewall show rule ... verbose) only change when the host's
// state does, so a host keeps what it last printed for a few such commands
// and prints it again until a write changes its state. Every change of the
// rules, services, firewall profiles or registry bumps Host.state (with h.mu
// held, where it happens), which empties the cache: a write is visible on
// the next read.

// renderCacheSize is how many listings a host keeps.
const renderCacheSize = 4

// A renderCache holds listings rendered at Host.state == state.
type renderCache struct {
	state   uint64
	entries [renderCacheSize]renderEntry
	n       int // entries in use
	next    int // the entry to replace when full
}

type renderEntry struct {
	key string
	out string
	rc  int
}

// changed records a change of the host's state (h.mu held).
func (h *Host) changed() { h.state++ }

// firewallCommand runs a netsh firewall command under the host's lock:
// run returns its output, exit code and whether it wrote, and a write
// changes the host's state before the lock is released.
func (inv *invocation) firewallCommand(run func() (out string, rc int, wrote bool)) int {
	h := inv.p.h
	h.mu.Lock()
	out, rc, wrote := run()
	if wrote {
		h.changed()
	}
	h.mu.Unlock()
	inv.write = wrote
	inv.out(out)
	return rc
}

// cached returns the listing key rendered at the current state (h.mu held).
func (h *Host) cached(key string) (string, int, bool) {
	c := &h.renders
	if c.state != h.state {
		return "", 0, false
	}
	for i := range c.n {
		if e := &c.entries[i]; e.key == key {
			return e.out, e.rc, true
		}
	}
	return "", 0, false
}

// keep stores a listing rendered at the current state (h.mu held).
func (h *Host) keep(key, out string, rc int) {
	c := &h.renders
	if c.state != h.state {
		*c = renderCache{state: h.state}
	}
	e := renderEntry{key: key, out: h.cfg.Renders.intern(out), rc: rc}
	if c.n < renderCacheSize {
		c.entries[c.n] = e
		c.n++
		return
	}
	c.entries[c.next] = e
	c.next = (c.next + 1) % renderCacheSize
}

// A RenderPool lets hosts share one copy of the listings they print alike
// (hosts generated from a few templates print the same text, and a fleet of
// 10,000 hosts would otherwise keep 10,000 copies of ~12 KB). Set the same
// pool in the Config of many hosts; nil shares nothing. Safe for
// concurrent use.
type RenderPool struct {
	mu sync.Mutex
	m  map[string]string
}

// renderPoolMax bounds a pool: past it, listings are kept per host.
const renderPoolMax = 4096

// NewRenderPool returns an empty pool.
func NewRenderPool() *RenderPool { return &RenderPool{m: map[string]string{}} }

// intern returns the pool's copy of s, adding s if the pool has room.
func (p *RenderPool) intern(s string) string {
	if p == nil || s == "" {
		return s
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.m[s]; ok {
		return c
	}
	if len(p.m) < renderPoolMax {
		p.m[s] = s
	}
	return s
}

// showKey is the cache key of netsh advfirewall firewall show rule ps.
func showKey(ps []param) string {
	var b strings.Builder
	b.WriteString("show rule")
	for _, p := range ps {
		b.WriteByte(0)
		b.WriteString(p.key)
		b.WriteByte('=')
		b.WriteString(p.val)
	}
	return b.String()
}
