package reports

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ErrMerge is wrapped by every MergeShards error about the shards
// themselves: none given, mode, playbook or playbook digest differ, a host
// in two shards, shards of a --shard run missing or repeated. (An invalid
// shard's error wraps ErrInvalid instead.)
var ErrMerge = errors.New("merge")

// ErrShardsIncomplete is wrapped, with ErrMerge, when the inputs are
// shards of a --shard K/N run and some K of 1..N is missing: merging them
// would pass a gate on part of the fleet.
var ErrShardsIncomplete = errors.New("shards missing")

// ParseShardKey parses a report's "shard" value, "K/N" with 1 <= K <= N.
func ParseShardKey(s string) (k, n int, err error) {
	ks, ns, ok := strings.Cut(s, "/")
	k, kerr := strconv.Atoi(ks)
	n, nerr := strconv.Atoi(ns)
	if !ok || kerr != nil || nerr != nil || k < 1 || n < 1 || k > n || strconv.Itoa(k) != ks || strconv.Itoa(n) != ns {
		return 0, 0, fmt.Errorf("shard %q: want K/N with 1 <= K <= N", s)
	}
	return k, n, nil
}

// checkShardSet checks the "shard" keys of the inputs: when none has one
// they are plain reports of host sets (east.json, west.json) and anything
// goes; when any has one, every input must, all with the same N, and each
// K of 1..N exactly once.
func checkShardSet(shards []Shard) error {
	var with, without []Shard
	for _, s := range shards {
		if s.Report.Shard != "" {
			with = append(with, s)
		} else {
			without = append(without, s)
		}
	}
	if len(with) == 0 {
		return nil
	}
	if len(without) > 0 {
		return fmt.Errorf("%w: %s has no shard key but %s is shard %s: merge the shards of one --shard run, or whole reports, not both",
			ErrMerge, without[0].Name, with[0].Name, with[0].Report.Shard)
	}
	byK := map[int]Shard{}
	n0 := 0
	for _, s := range with {
		k, n, err := ParseShardKey(s.Report.Shard)
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrMerge, s.Name, err)
		}
		if n0 == 0 {
			n0 = n
		} else if n != n0 {
			return fmt.Errorf("%w: shard count differs: %s is shard %s, %s is shard %s",
				ErrMerge, with[0].Name, with[0].Report.Shard, s.Name, s.Report.Shard)
		}
		if prev, dup := byK[k]; dup {
			return fmt.Errorf("%w: shard %s given twice: %s and %s", ErrMerge, s.Report.Shard, prev.Name, s.Name)
		}
		byK[k] = s
	}
	var missing, have []string
	for k := 1; k <= n0; k++ {
		if s, ok := byK[k]; ok {
			have = append(have, fmt.Sprintf("%d/%d %s", k, n0, s.Name))
		} else {
			missing = append(missing, fmt.Sprintf("%d/%d", k, n0))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %w: %s of a %d-shard run (given: %s)",
			ErrMerge, ErrShardsIncomplete, strings.Join(missing, ", "), n0, strings.Join(have, ", "))
	}
	return nil
}

// common returns the value every shard has for a field, or "" when they
// differ.
func common(shards []Shard, field func(*Report) string) string {
	v := field(shards[0].Report)
	for _, s := range shards[1:] {
		if field(s.Report) != v {
			return ""
		}
	}
	return v
}

// Shard is one report to merge and the name errors use for it (typically
// the file it was read from).
type Shard struct {
	Name   string
	Report *Report
}

// Merge combines reports of the same run split over host sets (shards). It
// calls MergeShards with each report named "report N (run_id ...)".
func Merge(reports ...*Report) (*Report, error) {
	shards := make([]Shard, len(reports))
	for i, r := range reports {
		name := fmt.Sprintf("report %d", i+1)
		if r != nil && r.RunID != "" {
			name += fmt.Sprintf(" (run_id %q)", r.RunID)
		}
		shards[i] = Shard{Name: name, Report: r}
	}
	return MergeShards(shards...)
}

// MergeShards combines shards into one report. All shards must have the
// same mode and playbook, and the same playbook digest where both record
// one (else the error names both shards and values), and no host may
// appear in two shards (else the error names the host and both shards).
//
// When the shards carry a "shard" key (runs with --shard K/N), the set
// must be complete: every input has one, all with the same N, each K of
// 1..N exactly once. A missing shard is an error wrapping
// ErrShardsIncomplete and naming the missing K/N; a shard given twice or
// a mix of shards and whole reports is an error too. Inputs without any
// shard key are merged as plain host sets.
//
// The merged report has:
//
//   - every host of every shard, sorted by name, deep-copied;
//   - started_at the earliest and finished_at the latest non-zero time;
//   - run_id the shards' run id if they all share it, else
//     "merge-" + the first 12 hex digits of the SHA-256 of the sorted,
//     distinct run ids (deterministic: the same shards give the same id);
//   - inventory the shards' distinct inventories joined with ", " in first
//     appearance order;
//   - the summary recomputed;
//   - shard "" (it is the whole run);
//   - tool, operator, controller and playbook_digest kept when every
//     shard has the same value, else empty (command_line is per shard and
//     dropped); incomplete, the shards' incomplete notes prefixed by
//     their names and joined with "; ".
//
// A merged report gates like a scan: Outcome(merged) decides the exit code
// of "winfleet report merge". Each shard must pass Validate. The inputs are
// not modified.
func MergeShards(shards ...Shard) (*Report, error) {
	if len(shards) == 0 {
		return nil, fmt.Errorf("%w: no reports", ErrMerge)
	}
	for _, s := range shards {
		if s.Report == nil {
			return nil, fmt.Errorf("%w: %s: nil report", ErrMerge, s.Name)
		}
		if err := Validate(s.Report); err != nil {
			return nil, fmt.Errorf("merge: %s: %w", s.Name, err)
		}
	}
	if err := checkShardSet(shards); err != nil {
		return nil, err
	}
	first := shards[0]
	out := &Report{Schema: Schema, Mode: first.Report.Mode, Playbook: first.Report.Playbook}
	var digestFrom Shard
	var incomplete []string
	var runIDs, inventories []string
	owner := map[string]string{}
	for _, s := range shards {
		r := s.Report
		if r.Mode != out.Mode {
			return nil, fmt.Errorf("%w: mode differs: %s is %q, %s is %q", ErrMerge, first.Name, out.Mode, s.Name, r.Mode)
		}
		if r.Playbook != out.Playbook {
			return nil, fmt.Errorf("%w: playbook differs: %s is %q, %s is %q", ErrMerge, first.Name, out.Playbook, s.Name, r.Playbook)
		}
		if d := r.PlaybookDigest; d != "" {
			if digestFrom.Report == nil {
				digestFrom = s
			} else if d != digestFrom.Report.PlaybookDigest {
				return nil, fmt.Errorf("%w: playbook digest differs: %s is %s, %s is %s (the shards ran different playbook files)",
					ErrMerge, digestFrom.Name, digestFrom.Report.PlaybookDigest, s.Name, d)
			}
		}
		if r.Incomplete != "" {
			incomplete = append(incomplete, s.Name+": "+r.Incomplete)
		}
		if !slices.Contains(runIDs, r.RunID) {
			runIDs = append(runIDs, r.RunID)
		}
		if r.Inventory != "" && !slices.Contains(inventories, r.Inventory) {
			inventories = append(inventories, r.Inventory)
		}
		if t := r.StartedAt; !t.IsZero() && (out.StartedAt.IsZero() || t.Before(out.StartedAt)) {
			out.StartedAt = t
		}
		if t := r.FinishedAt; !t.IsZero() && t.After(out.FinishedAt) {
			out.FinishedAt = t
		}
		for _, h := range r.Hosts {
			if prev, dup := owner[h.Host]; dup {
				return nil, fmt.Errorf("%w: host %q is in both %s and %s", ErrMerge, h.Host, prev, s.Name)
			}
			owner[h.Host] = s.Name
			out.Hosts = append(out.Hosts, copyHost(h))
		}
	}
	if len(runIDs) == 1 {
		out.RunID = runIDs[0]
	} else {
		slices.Sort(runIDs)
		sum := sha256.Sum256([]byte(strings.Join(runIDs, "\n")))
		out.RunID = "merge-" + hex.EncodeToString(sum[:])[:12]
	}
	out.Inventory = strings.Join(inventories, ", ")
	out.PlaybookDigest = common(shards, func(r *Report) string { return r.PlaybookDigest })
	out.Operator = common(shards, func(r *Report) string { return r.Operator })
	out.Controller = common(shards, func(r *Report) string { return r.Controller })
	out.Incomplete = strings.Join(incomplete, "; ")
	toolKey := func(r *Report) string {
		if r.Tool == nil {
			return ""
		}
		return r.Tool.Name + "\x00" + r.Tool.Version + "\x00" + r.Tool.Revision
	}
	if common(shards, toolKey) != "" {
		t := *first.Report.Tool
		out.Tool = &t
	}
	if out.Hosts == nil {
		out.Hosts = []Host{}
	}
	slices.SortFunc(out.Hosts, func(a, b Host) int { return cmp.Compare(a.Host, b.Host) })
	Summarize(out)
	return out, nil
}
