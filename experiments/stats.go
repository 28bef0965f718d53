package experiments

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/world"
)

// WilsonZ is the normal quantile of a two-sided 95% interval.
const WilsonZ = 1.959963984540054

// Wilson is the 95% Wilson score interval of k successes in n trials. It
// stays inside [0, 1] and is not degenerate at k = 0 (where its upper
// bound is z²/(n+z²): 0.096% for 4,000 trials), which is why a rare event
// is bounded with it rather than with the normal approximation. n = 0
// gives [0, 1].
func Wilson(k, n int64) (low, high float64) {
	if n <= 0 {
		return 0, 1
	}
	nf, z2 := float64(n), WilsonZ*WilsonZ
	p := float64(k) / nf
	center := (p + z2/(2*nf)) / (1 + z2/nf)
	half := WilsonZ / (1 + z2/nf) * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	low, high = max(0, center-half), min(1, center+half)
	if k <= 0 {
		low = 0
	}
	if k >= n {
		high = 1
	}
	return low, high
}

// Latency buckets: ten per decade on the R10 series (1, 1.25, 1.6, 2, 2.5,
// 3.15, 4, 5, 6.3, 8) from 10µs to 1,000s, then one bucket for anything
// longer. A bucket holds the latencies up to its bound and above the one
// before. The bounds are exact decimals in milliseconds, so that they
// print the same everywhere.
var r10 = [...]int64{100, 125, 160, 200, 250, 315, 400, 500, 630, 800}

// NumBuckets is the number of latency buckets, the last one unbounded.
const NumBuckets = 8*len(r10) + 1

// bucketNanos are the finite bounds in nanoseconds; bucketMillis the same
// in milliseconds.
var bucketNanos, bucketMillis = func() (ns []int64, ms []float64) {
	scale := int64(100) // the first bound is 100 x 100ns = 10µs
	for range 8 {       // decades: 10µs .. 800s
		for _, m := range r10 {
			v := m * scale // nanoseconds
			ns = append(ns, v)
			f, _ := strconv.ParseFloat(strconv.FormatInt(v, 10)+"e-6", 64)
			ms = append(ms, f)
		}
		scale *= 10
	}
	return ns, ms
}()

// InfBound is the last bucket's bound as the results files write it.
const InfBound = 1e308

// BucketBound is bucket i's upper bound in milliseconds (InfBound for the
// last).
func BucketBound(i int) float64 {
	if i >= len(bucketMillis) {
		return InfBound
	}
	return bucketMillis[i]
}

// bucketOf is the bucket of a latency.
func bucketOf(d sim.Duration) int {
	i, _ := slices.BinarySearch(bucketNanos, int64(d))
	return i
}

// Hist counts latencies per bucket.
type Hist [NumBuckets]int64

// Quantile is the upper bound, in milliseconds, of the bucket that holds
// the q-quantile by nearest rank (0 for an empty histogram). It is at most
// 28% above the true value, the widest step of the series.
func (h *Hist) Quantile(q float64) float64 {
	var total int64
	for _, c := range h {
		total += c
	}
	if total == 0 {
		return 0
	}
	rank := max(1, int64(math.Ceil(q*float64(total))))
	var seen int64
	for i, c := range h {
		seen += c
		if seen >= rank {
			return BucketBound(i)
		}
	}
	return InfBound
}

// Seed is one run reduced to what a cell adds up: counts and sums only,
// so that cells can be summed over seeds, shards and resumed runs and give
// the same figures in any grouping.
type Seed struct {
	Seed     uint64
	Ops      int64                 // business operations
	Counts   [check.NumKinds]int64 // operations with each violation, in check.Kinds order
	NonLin   int64                 // operations in partitions porcupine found illegal
	Attempts int64
	Latency  Hist // first attempt to conclusion, per concluded submission
	// Database aborts: 40001, 40P01, 23505; lock waits.
	Serialization, Deadlocks, Unique, LockWaits int64
	// Money asked for and moved at the gateway, in cents (0 and 0 when the
	// work is local), and the orphan charges' money.
	Asked, Moved, Orphaned int64
	// What the strategy keeps when the run ends: rows of its own tables
	// besides the ledger, and the store's live keys.
	KeptRows, KeptKeys int64
	// End is the virtual time the run lasted (for speed figures; no result
	// depends on it).
	End sim.Time
}

// FailureKinds are the audit's kinds that show a run wrong, in the order
// a run's first is picked: money charged twice, a payment lost, money
// moved that no record accounts for.
var FailureKinds = []check.Kind{check.Duplicate, check.Lost, check.OrphanCharge}

// Failed reports what shows the seed's run wrong, or "": its first
// failure of FailureKinds, else check.NonLinearizable when porcupine found
// a partition illegal (a breach the audit cannot see, or 202-then-poll's
// accepted work never done).
func (s *Seed) Failed() check.Kind {
	for _, k := range FailureKinds {
		if s.Counts[k.Index()] > 0 {
			return k
		}
	}
	if s.NonLin > 0 {
		return check.NonLinearizable
	}
	return ""
}

// ReduceSeed runs both oracles over a run and keeps the counts.
func ReduceSeed(seed uint64, res *world.Result) Seed {
	rep := check.Audit(res)
	s := Seed{Seed: seed, Ops: int64(rep.Ops), Attempts: int64(rep.Attempts),
		Serialization: int64(res.DB.SerializationFailures), Deadlocks: int64(res.DB.Deadlocks),
		Unique: int64(res.DB.UniqueViolations), LockWaits: int64(res.DB.Waits), End: res.End}
	for i, k := range check.Kinds {
		s.Counts[i] = int64(rep.Counts[k])
	}
	s.Orphaned = rep.OrphanCents
	s.KeptRows, s.KeptKeys = int64(res.KeptRows), int64(res.KeptKeys)
	if lin, err := check.Linearize(res, 0); err == nil {
		s.NonLin = int64(len(lin.IllegalOps()))
	}
	for _, o := range res.Outcomes {
		if o.Belief != world.Unfinished {
			s.Latency[bucketOf(o.End.Sub(o.Start))]++
		}
	}
	if res.Config.Charges() {
		s.Asked = res.Asked
		for _, r := range res.Ledger {
			if r.Source == world.SourceGateway {
				s.Moved += r.Amount
			}
		}
	}
	return s
}

// Acc is a cell's sums over the seeds run so far: what a shard file and a
// partial state file keep, and what the results are computed from.
type Acc struct {
	Seeds    int64                 `json:"seeds"`
	Ops      int64                 `json:"ops"`
	Counts   [check.NumKinds]int64 `json:"counts"` // check.Kinds order
	NonLin   int64                 `json:"nonlinearizable"`
	Attempts int64                 `json:"attempts"`
	// Latency is the histogram as bucket index → count, the empty buckets
	// left out.
	Latency       map[int]int64 `json:"latency"`
	Serialization int64         `json:"aborts_40001"`
	Deadlocks     int64         `json:"aborts_40P01"`
	Unique        int64         `json:"aborts_23505"`
	LockWaits     int64         `json:"lock_waits"`
	Asked         int64         `json:"money_asked"`
	Moved         int64         `json:"money_moved"`
	Orphaned      int64         `json:"money_orphaned"`
	KeptRows      int64         `json:"rows_kept"`
	KeptKeys      int64         `json:"keys_kept"`
	// First is the lowest seed that failed (Seed.Failed), and Kind the
	// first failure it showed (0 and "": none).
	First uint64     `json:"first_failing_seed,omitempty"`
	Kind  check.Kind `json:"first_failing_kind,omitempty"`
}

// Add counts one seed: the seed as a cell of its own, merged.
func (a *Acc) Add(s *Seed) {
	one := Acc{Seeds: 1, Ops: s.Ops, Counts: s.Counts, NonLin: s.NonLin, Attempts: s.Attempts,
		Serialization: s.Serialization, Deadlocks: s.Deadlocks, Unique: s.Unique, LockWaits: s.LockWaits,
		Asked: s.Asked, Moved: s.Moved, Orphaned: s.Orphaned, KeptRows: s.KeptRows, KeptKeys: s.KeptKeys}
	for i, c := range s.Latency {
		if c != 0 {
			if one.Latency == nil {
				one.Latency = make(map[int]int64)
			}
			one.Latency[i] = c
		}
	}
	if k := s.Failed(); k != "" {
		one.First, one.Kind = s.Seed, k
	}
	a.Merge(&one)
}

// sum is one of an Acc's sums over seeds, under its name in the files.
type sum struct {
	name string
	v    *int64
}

// sums are the Acc's counts and totals (all but the latency histogram).
func (a *Acc) sums() []sum {
	out := []sum{{"seeds", &a.Seeds}, {"ops", &a.Ops}, {"nonlinearizable", &a.NonLin}, {"attempts", &a.Attempts},
		{"aborts_40001", &a.Serialization}, {"aborts_40P01", &a.Deadlocks}, {"aborts_23505", &a.Unique},
		{"lock_waits", &a.LockWaits}, {"money_asked", &a.Asked}, {"money_moved", &a.Moved},
		{"money_orphaned", &a.Orphaned}, {"rows_kept", &a.KeptRows}, {"keys_kept", &a.KeptKeys}}
	for i, k := range check.Kinds {
		out = append(out, sum{fmt.Sprintf("counts[%d] (%s)", i, k), &a.Counts[i]})
	}
	return out
}

// Merge adds another part of the same cell's seeds (a shard's).
func (a *Acc) Merge(b *Acc) {
	as, bs := a.sums(), b.sums()
	for i := range as {
		*as[i].v += *bs[i].v
	}
	for i, c := range b.Latency {
		if a.Latency == nil {
			a.Latency = make(map[int]int64)
		}
		a.Latency[i] += c
	}
	if b.First != 0 && (a.First == 0 || b.First < a.First) {
		a.First, a.Kind = b.First, b.Kind
	}
}

// check says what in a cell's sums, as a shard or state file of shard s
// of seeds per cell holds them, no run can make: a negative sum, more
// operations with a violation than operations, a latency bucket that does
// not exist, or a first failing seed the shard did not run or of a kind
// that does not fail a seed. The results computed from such sums would be
// nonsense (a negative count has no Wilson interval).
func (a *Acc) check(s Shard, seeds uint64) error {
	for _, x := range a.sums() {
		if *x.v < 0 {
			return fmt.Errorf("%s is %d: want a count >= 0", x.name, *x.v)
		}
	}
	for i, k := range check.Kinds {
		if a.Counts[i] > a.Ops {
			return fmt.Errorf("counts[%d] (%s) is %d, more than its %d ops", i, k, a.Counts[i], a.Ops)
		}
	}
	if a.NonLin > a.Ops {
		return fmt.Errorf("nonlinearizable is %d, more than its %d ops", a.NonLin, a.Ops)
	}
	for _, b := range slices.Sorted(maps.Keys(a.Latency)) {
		switch c := a.Latency[b]; {
		case b < 0 || b >= NumBuckets:
			return fmt.Errorf("latency bucket %d out of range [0, %d)", b, NumBuckets)
		case c < 0:
			return fmt.Errorf("latency bucket %d holds %d: want a count >= 0", b, c)
		}
	}
	ran := a.First >= 1 && a.First <= seeds && (s.Whole() || (a.First-1)%s.N == s.I)
	switch {
	case a.First == 0 && a.Kind != "":
		return fmt.Errorf("first_failing_kind %q without a first_failing_seed", a.Kind)
	case a.First != 0 && !ran:
		return fmt.Errorf("first_failing_seed %d is not a seed shard %s of %d seeds per cell runs", a.First, s, seeds)
	case a.First != 0 && !slices.Contains(append(slices.Clone(FailureKinds), check.NonLinearizable), a.Kind):
		return fmt.Errorf("first_failing_kind %q is not a kind that fails a seed (accepted: %s)", a.Kind, failureKindNames())
	}
	return nil
}

// failureKindNames are the kinds Seed.Failed reports, in its order.
func failureKindNames() string {
	var names []string
	for _, k := range append(slices.Clone(FailureKinds), check.NonLinearizable) {
		names = append(names, string(k))
	}
	return strings.Join(names, ", ")
}

// fits reports whether b's sums can be added to a's without overflowing
// (both checked: every sum >= 0).
func (a *Acc) fits(b *Acc) error {
	as, bs := a.sums(), b.sums()
	for i := range as {
		if *as[i].v > math.MaxInt64-*bs[i].v {
			return fmt.Errorf("%s overflows when added up (past %d)", as[i].name, int64(math.MaxInt64))
		}
	}
	for i, c := range b.Latency {
		if a.Latency[i] > math.MaxInt64-c {
			return fmt.Errorf("latency bucket %d overflows when added up (past %d)", i, int64(math.MaxInt64))
		}
	}
	return nil
}

// Hist is the cell's latency histogram.
func (a *Acc) Hist() Hist {
	var h Hist
	for i, c := range a.Latency {
		if i >= 0 && i < NumBuckets {
			h[i] = c
		}
	}
	return h
}
