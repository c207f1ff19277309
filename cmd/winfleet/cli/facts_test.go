package cli

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/winfleet/winfleet/playbook"
)

// TestFactCacheSave: two runs that share a state directory keep each
// other's hosts, and entries no run has seen for factsMaxAge go.
func TestFactCacheSave(t *testing.T) {
	dir := t.TempDir()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	at := func(c *factCache, t time.Time) *factCache { c.now = func() time.Time { return t }; return c }
	f130 := playbook.HostFacts{Dialect: "advfirewall", SSISKnown: true, SSISServices: []string{"MsDtsServer130"}}
	f160 := playbook.HostFacts{Dialect: "advfirewall", SSISKnown: true, SSISServices: []string{"MsDtsServer160"}}

	old := at(openFactCache(dir, log), now.Add(-factsMaxAge-time.Hour))
	old.Remember("gone", f130)
	recent := at(openFactCache(dir, log), now.Add(-10*24*time.Hour))
	recent.Remember("kept", f130)
	for _, c := range []*factCache{old, recent} {
		if err := c.save(); err != nil {
			t.Fatal(err)
		}
	}
	// Two runs opened before either saved.
	a, b := at(openFactCache(dir, log), now), at(openFactCache(dir, log), now)
	a.Remember("a1", f130)
	b.Remember("b1", f160)
	b.Remember("kept", f160)
	for _, c := range []*factCache{a, b} {
		if err := c.save(); err != nil {
			t.Fatal(err)
		}
	}
	got := openFactCache(dir, log)
	want := map[string]playbook.HostFacts{"a1": f130, "b1": f160, "kept": f160}
	gotFacts := map[string]playbook.HostFacts{}
	for h, e := range got.hosts {
		gotFacts[h] = e.HostFacts
	}
	if d := cmp.Diff(want, gotFacts); d != "" {
		t.Errorf("hosts (-want +got):\n%s", d)
	}
	if logs.Len() != 0 {
		t.Errorf("warnings: %s", logs.String())
	}
	// Nothing remembered: the file is not rewritten.
	fi, _ := os.Stat(filepath.Join(dir, "facts.json"))
	if err := openFactCache(dir, log).save(); err != nil {
		t.Fatal(err)
	}
	if fi2, _ := os.Stat(filepath.Join(dir, "facts.json")); !fi2.ModTime().Equal(fi.ModTime()) {
		t.Error("a run that remembered nothing rewrote facts.json")
	}
}

// TestFactCacheUnreadable: a file of another format is a warning and an
// empty cache, never an error.
func TestFactCacheUnreadable(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "facts.json"), []byte(`{"format":"winfleet-facts/9","hosts":{"h":{"dialect":"legacy"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	c := openFactCache(dir, slog.New(slog.NewTextHandler(&logs, nil)))
	if _, ok := c.Facts("h"); ok {
		t.Error("an entry of an unknown format was used")
	}
	if !strings.Contains(logs.String(), `want \"winfleet-facts/1\"`) {
		t.Errorf("warning = %q", logs.String())
	}
}
