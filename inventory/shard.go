package inventory

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// JobIndexEnv is the variable a Kubernetes Indexed Job sets in each pod
// to its completion index, 0-based; "--shard auto" reads it.
const JobIndexEnv = "JOB_COMPLETION_INDEX"

// ShardCountEnv gives the shard count to a bare "--shard auto".
const ShardCountEnv = "WINFLEET_SHARDS"

// MaxShards bounds N in K/N: a larger fleet split finer than this is a
// mistake, not a plan.
const MaxShards = 10000

// Shard is one part of a partition of the targeted hosts into N shards,
// numbered K = 1..N. The zero Shard means no sharding: every host.
//
// A host's shard depends only on its inventory name and N:
//
//	K = SHA-256(name)[0:8] as a big-endian uint64, mod N, plus 1
//
// So every host is in exactly one shard, the shards of one N cover the
// whole fleet, and adding or removing hosts never moves another host to a
// different shard: each runner of a sharded run computes its own share
// from the same inventory without talking to the others. (Changing N does
// move hosts; every shard of one run uses the same N, so that costs
// nothing. See the package README for why not rendezvous hashing.)
type Shard struct {
	K, N int
}

// IsZero reports whether s is the zero Shard (no sharding).
func (s Shard) IsZero() bool { return s == Shard{} }

// String returns "K/N", the form reports carry in their "shard" key; ""
// for the zero Shard.
func (s Shard) String() string {
	if s.IsZero() {
		return ""
	}
	return strconv.Itoa(s.K) + "/" + strconv.Itoa(s.N)
}

// ShardOf returns the shard (1..n) of the host named name among n shards.
// It panics if n < 1.
func ShardOf(name string, n int) int {
	if n < 1 {
		panic("inventory: ShardOf with n < 1")
	}
	sum := sha256.Sum256([]byte(name))
	return int(binary.BigEndian.Uint64(sum[:8])%uint64(n)) + 1
}

// Contains reports whether the host named name is in shard s. Every host
// is in the zero Shard.
func (s Shard) Contains(name string) bool {
	return s.IsZero() || ShardOf(name, s.N) == s.K
}

// Select returns the hosts of shard s, in their given order. It may return
// no host: a small fleet can leave a shard empty, which is not an error
// (the run of that shard has nothing to do and reports no host).
func (s Shard) Select(hosts []*Host) []*Host {
	if s.IsZero() {
		return hosts
	}
	var out []*Host
	for _, h := range hosts {
		if s.Contains(h.Name) {
			out = append(out, h)
		}
	}
	return out
}

// ErrShard is wrapped by every ParseShard error.
var ErrShard = errors.New("bad --shard")

// ParseShard parses a --shard value:
//
//   - "K/N": shard K of N, 1 <= K <= N <= MaxShards;
//   - "auto/N": shard JOB_COMPLETION_INDEX+1 of N, for a Kubernetes
//     Indexed Job with completions N (the index is 0-based, shards 1-based);
//   - "auto": the same, N from WINFLEET_SHARDS;
//   - "": the zero Shard (no sharding).
//
// getenv looks up environment variables (os.LookupEnv in the CLI); the
// package reads none itself. Errors wrap ErrShard and say which value is
// wrong and what was expected.
func ParseShard(spec string, getenv func(string) (string, bool)) (Shard, error) {
	if spec == "" {
		return Shard{}, nil
	}
	bad := func(format string, args ...any) (Shard, error) {
		return Shard{}, fmt.Errorf("%w %q: "+format, append([]any{ErrShard, spec}, args...)...)
	}
	k, n, hasN := strings.Cut(spec, "/")
	if k == "auto" {
		if !hasN {
			v, ok := getenv(ShardCountEnv)
			if !ok || v == "" {
				return bad("auto needs the shard count: --shard auto/N, or %s=N in the environment (N = the Job's completions)", ShardCountEnv)
			}
			n = v
		}
		count, err := parseCount(n)
		if err != nil {
			return bad("shard count %q: %v", n, err)
		}
		v, ok := getenv(JobIndexEnv)
		if !ok || v == "" {
			return bad("%s is not set (a Kubernetes Indexed Job sets it in each pod; elsewhere give --shard K/N)", JobIndexEnv)
		}
		idx, err := strconv.Atoi(v)
		if err != nil || idx < 0 || idx >= count {
			return bad("%s=%q is not an index 0..%d: the Job's completions and the shard count %d must be equal", JobIndexEnv, v, count-1, count)
		}
		return Shard{K: idx + 1, N: count}, nil
	}
	if !hasN {
		return bad("want K/N (e.g. 2/3), auto/N or auto")
	}
	count, err := parseCount(n)
	if err != nil {
		return bad("shard count %q: %v", n, err)
	}
	kk, err := strconv.Atoi(k)
	if err != nil || kk < 1 || kk > count {
		return bad("shard %q is not 1..%d (shards are numbered from 1)", k, count)
	}
	return Shard{K: kk, N: count}, nil
}

func parseCount(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxShards {
		return 0, fmt.Errorf("want a whole number 1..%d", MaxShards)
	}
	return n, nil
}
