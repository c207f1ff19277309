package reports

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrMerge is wrapped by every MergeShards error about the shards
// themselves: none given, mode or playbook differ, a host in two shards.
// (An invalid shard's error wraps ErrInvalid instead.)
var ErrMerge = errors.New("merge")

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
// same mode and playbook (else the error names both shards and values),
// and no host may appear in two shards (else the error names the host and
// both shards). The merged report has:
//
//   - every host of every shard, sorted by name, deep-copied;
//   - started_at the earliest and finished_at the latest non-zero time;
//   - run_id the shards' run id if they all share it, else
//     "merge-" + the first 12 hex digits of the SHA-256 of the sorted,
//     distinct run ids (deterministic: the same shards give the same id);
//   - inventory the shards' distinct inventories joined with ", " in first
//     appearance order;
//   - tool, operator, controller, command_line and playbook_digest kept
//     when every shard has the same value, else empty (shard is always
//     empty: the merge is not one shard); incomplete the shards' distinct
//     notes joined with "; ";
//   - the summary recomputed.
//
// Each shard must pass Validate. The inputs are not modified.
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
	first := shards[0]
	out := &Report{Schema: Schema, Mode: first.Report.Mode, Playbook: first.Report.Playbook}
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
	mergeMetadata(out, shards)
	if out.Hosts == nil {
		out.Hosts = []Host{}
	}
	slices.SortFunc(out.Hosts, func(a, b Host) int { return cmp.Compare(a.Host, b.Host) })
	Summarize(out)
	return out, nil
}

// mergeMetadata sets out's run metadata from the shards: what they all
// agree on, and every incomplete note.
func mergeMetadata(out *Report, shards []Shard) {
	same := func(get func(*Report) string) string {
		v := get(shards[0].Report)
		for _, s := range shards[1:] {
			if get(s.Report) != v {
				return ""
			}
		}
		return v
	}
	out.Operator = same(func(r *Report) string { return r.Operator })
	out.Controller = same(func(r *Report) string { return r.Controller })
	out.PlaybookDigest = same(func(r *Report) string { return r.PlaybookDigest })
	if same(func(r *Report) string { return strings.Join(r.CommandLine, "\x00") }) != "" {
		out.CommandLine = slices.Clone(shards[0].Report.CommandLine)
	}
	if t := shards[0].Report.Tool; t != nil && same(func(r *Report) string {
		if r.Tool == nil {
			return ""
		}
		return r.Tool.Name + "\x00" + r.Tool.Version + "\x00" + r.Tool.Revision
	}) != "" {
		tool := *t
		out.Tool = &tool
	}
	var notes []string
	for _, s := range shards {
		if n := s.Report.Incomplete; n != "" && !slices.Contains(notes, n) {
			notes = append(notes, n)
		}
	}
	out.Incomplete = strings.Join(notes, "; ")
}
