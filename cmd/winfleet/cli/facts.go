package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/winfleet/winfleet/playbook"
)

// factsFormat names the fact cache's file format.
const factsFormat = "winfleet-facts/1"

// factsMaxAge is how long a host's entry is kept without a run seeing the
// host again.
const factsMaxAge = 90 * 24 * time.Hour

// factCache is the playbook.FactCache of a run: facts.json in the state
// directory, one entry per inventory host name. It holds what discovery
// found (the dialect, the SSIS services), never a result, and only decides
// which reads go in a host's first round trip (playbook.FactCache), so a
// lost, stale or damaged file costs speed, never correctness: a file that
// cannot be read is reported as a warning and replaced.
type factCache struct {
	path string
	now  func() time.Time

	mu    sync.Mutex
	hosts map[string]factEntry
	seen  map[string]bool // the hosts this run remembered
}

// factEntry is one host in facts.json.
type factEntry struct {
	playbook.HostFacts
	Seen time.Time `json:"seen"`
}

type factsFile struct {
	Format string               `json:"format"`
	Hosts  map[string]factEntry `json:"hosts"`
}

// factCacheFor opens a run's fact cache: none with --no-fact-cache. A
// state directory that cannot be created refuses the run when --state-dir
// (or the config) named it; the default one costs the cache only, with a
// warning, so a scan from an account without a writable home still runs.
func factCacheFor(o fleetOptions, log *slog.Logger) (*factCache, error) {
	if o.NoFactCache {
		return nil, nil
	}
	if err := os.MkdirAll(o.StateDir, 0o700); err != nil {
		if o.StateDirGiven {
			return nil, fmt.Errorf("--state-dir %s: %w", o.StateDir, err)
		}
		log.Warn("no fact cache: the state directory cannot be created", "dir", o.StateDir, "error", err)
		return nil, nil
	}
	return openFactCache(o.StateDir, log), nil
}

// factsOf is the cache for the executor: none (a nil interface, not a nil
// *factCache) when the run keeps none.
func factsOf(c *factCache) playbook.FactCache {
	if c == nil {
		return nil
	}
	return c
}

// openFactCache reads the fact cache of stateDir; a missing file is an
// empty cache, an unreadable one a warning and an empty cache.
func openFactCache(stateDir string, log *slog.Logger) *factCache {
	c := &factCache{path: filepath.Join(stateDir, "facts.json"), now: time.Now, seen: map[string]bool{}}
	hosts, err := readFacts(c.path)
	if err != nil {
		log.Warn("fact cache unreadable; this run reads it as a first run would (2003 hosts in two round trips) and replaces it", "file", c.path, "error", err)
	}
	c.hosts = hosts
	return c
}

// readFacts reads a facts.json; a missing file is no hosts.
func readFacts(path string) (map[string]factEntry, error) {
	hosts := map[string]factEntry{}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return hosts, nil
	}
	if err != nil {
		return hosts, err
	}
	var f factsFile
	if err := json.Unmarshal(b, &f); err != nil {
		return hosts, err
	}
	if f.Format != factsFormat {
		return hosts, fmt.Errorf("format %q, want %q", f.Format, factsFormat)
	}
	if f.Hosts != nil {
		hosts = f.Hosts
	}
	return hosts, nil
}

// Facts implements playbook.FactCache.
func (c *factCache) Facts(host string) (playbook.HostFacts, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.hosts[host]
	return e.HostFacts, ok
}

// Remember implements playbook.FactCache.
func (c *factCache) Remember(host string, f playbook.HostFacts) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hosts[host] = factEntry{HostFacts: f, Seen: c.now().UTC()}
	c.seen[host] = true
}

// save writes the cache back: the file as it is now (another run may have
// written it since this one read it) with this run's hosts over it, minus
// the entries no run has seen for factsMaxAge. The file is replaced
// atomically, so a reader never sees half of it.
func (c *factCache) save() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.seen) == 0 {
		return nil
	}
	hosts, err := readFacts(c.path)
	if err != nil {
		hosts = map[string]factEntry{} // already warned about at open
	}
	for h := range c.seen {
		hosts[h] = c.hosts[h]
	}
	cutoff := c.now().Add(-factsMaxAge)
	for h, e := range hosts {
		if e.Seen.Before(cutoff) {
			delete(hosts, h)
		}
	}
	err = writeFileAtomic(c.path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		return enc.Encode(factsFile{Format: factsFormat, Hosts: hosts})
	})
	if err != nil {
		return fmt.Errorf("fact cache %s: %w", c.path, err)
	}
	return nil
}
