package explore

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/idemsim/idemsim/sim"
)

// TrailVersion is the first word of every choice trail the explorer
// writes. A trail says how the explorer drew what a fault list cannot say:
// every latency draw at the median but those it lists, every same-instant
// tie in scheduling order but those it lists, and every other draw from
// the run's seed. Version 1 (choices/v1) had no tie entries and is still
// read; a reader refuses a version it does not know.
const TrailVersion = "choices/v2"

// trailV1 is the first version, delays only.
const trailV1 = "choices/v1"

// TrailSyntax is the accepted form of a trail, for error messages.
const TrailSyntax = TrailVersion + " (or " + trailV1 + ", delays only) followed by entries separated by spaces or newlines: N:STREAM=Q sets the latency draw of index N (from 0, increasing) on STREAM (a latency stream such as network) to quantile Q in (0, 1); tN=K runs first, at the same-instant tie of index N (from 0, increasing), the event K (from 0) in scheduling order"

// Trail is a run's delay choices and its tie choices.
type Trail struct {
	Delays []Delay
	Ties   []TieChoice
}

// TieChoice is one same-instant tie a trail sets: the index N of the tie
// among the run's ties (from 0), and which of its events, K in the order
// they were scheduled, runs first. A tie the trail does not list runs its
// earliest-scheduled event (K = 0).
type TieChoice struct {
	N, K int
}

// String prints the trail as ParseTrail reads it back, on one line:
// delays, then ties.
func (t Trail) String() string {
	var b strings.Builder
	b.WriteString(TrailVersion)
	for _, d := range t.Delays {
		fmt.Fprintf(&b, " %d:%s=%s", d.N, d.Stream, strconv.FormatFloat(d.Q, 'g', -1, 64))
	}
	for _, c := range t.Ties {
		fmt.Fprintf(&b, " t%d=%d", c.N, c.K)
	}
	return b.String()
}

// ParseTrail reads a trail written by Trail.String.
func ParseTrail(s string) (Trail, error) {
	words := strings.Fields(s)
	bad := func(format string, a ...any) (Trail, error) {
		return Trail{}, fmt.Errorf("%s (accepted: %s)", fmt.Sprintf(format, a...), TrailSyntax)
	}
	if len(words) == 0 {
		return bad("empty trail")
	}
	if words[0] != TrailVersion && words[0] != trailV1 {
		return bad("unknown trail version %q", words[0])
	}
	var t Trail
	for _, w := range words[1:] {
		if strings.HasPrefix(w, "t") && words[0] != trailV1 {
			c, err := parseTie(w, t.Ties)
			if err != nil {
				return bad("%v", err)
			}
			t.Ties = append(t.Ties, c)
			continue
		}
		idx, rest, ok1 := strings.Cut(w, ":")
		name, q, ok2 := strings.Cut(rest, "=")
		if !ok1 || !ok2 {
			return bad("malformed entry %q", w)
		}
		n, err := strconv.Atoi(idx)
		if err != nil || n < 0 {
			return bad("entry %q: the index must be an integer >= 0", w)
		}
		if k := len(t.Delays); k > 0 && n <= t.Delays[k-1].N {
			return bad("entry %q: indices must increase", w)
		}
		s, ok := streamNamed(name)
		if !ok || !latencyStream(s) {
			return bad("entry %q: %q is not a latency stream", w, name)
		}
		v, err := strconv.ParseFloat(q, 64)
		if err != nil || !(v > 0 && v < 1) {
			return bad("entry %q: the quantile must be a number in (0, 1)", w)
		}
		t.Delays = append(t.Delays, Delay{N: n, Stream: s, Q: v})
	}
	return t, nil
}

// parseTie reads a tie entry "tN=K" that follows the entries before.
func parseTie(w string, before []TieChoice) (TieChoice, error) {
	idx, k, ok := strings.Cut(w[1:], "=")
	if !ok {
		return TieChoice{}, fmt.Errorf("malformed entry %q", w)
	}
	n, err1 := strconv.Atoi(idx)
	m, err2 := strconv.Atoi(k)
	if err1 != nil || err2 != nil || n < 0 || m < 0 {
		return TieChoice{}, fmt.Errorf("entry %q: the tie's index and the event's must be integers >= 0", w)
	}
	if j := len(before); j > 0 && n <= before[j-1].N {
		return TieChoice{}, fmt.Errorf("entry %q: tie indices must increase", w)
	}
	return TieChoice{N: n, K: m}, nil
}

func streamNamed(name string) (sim.Stream, bool) {
	for s := range sim.Stream(numStreams) {
		if s.String() == name {
			return s, true
		}
	}
	return 0, false
}

// Replay is the chooser that replays a trail in a run whose faults come
// from a fault list: the seed's streams, every latency draw at the median
// and every tie in scheduling order but the trail's. It notes where the
// run left the trail (a listed draw on another stream, a tie with fewer
// events than the trail names, or an entry never reached).
type Replay struct {
	base  *sim.Seeded
	trail Trail
	n     int // latency draws so far
	next  int // the trail's next delay entry
	ties  int // ties so far
	nextT int // the trail's next tie entry
	// mismatch is the first entry met on another stream, if any.
	mismatch *Delay
	got      sim.Stream
	// short is the first tie entry that named an event the tie lacked.
	short *TieChoice
	width int
}

// NewReplay returns the chooser that replays t in a run of seed.
func NewReplay(seed uint64, t Trail) *Replay {
	return &Replay{base: sim.NewSeeded(seed), trail: t}
}

// Flip implements sim.Chooser.
func (r *Replay) Flip(s sim.Stream, p float64) bool { return r.base.Flip(s, p) }

// Pick implements sim.Chooser. Ties come to PickTie; a schedule pick
// here would be a kernel that does not know TieChooser.
func (r *Replay) Pick(s sim.Stream, n int) int { return r.base.Pick(s, n) }

// PickTie implements sim.TieChooser: the trail's event for a listed tie,
// else the earliest scheduled.
func (r *Replay) PickTie(ties []sim.Tie) int {
	n := r.ties
	r.ties++
	if r.nextT < len(r.trail.Ties) && r.trail.Ties[r.nextT].N == n {
		c := r.trail.Ties[r.nextT]
		r.nextT++
		if c.K < len(ties) {
			return c.K
		}
		if r.short == nil {
			r.short, r.width = &c, len(ties)
		}
	}
	return 0
}

// Bits implements sim.Chooser.
func (r *Replay) Bits(s sim.Stream) uint64 { return r.base.Bits(s) }

// Quantile implements sim.Chooser.
func (r *Replay) Quantile(s sim.Stream) float64 {
	if !latencyStream(s) {
		return r.base.Quantile(s)
	}
	n := r.n
	r.n++
	if r.next < len(r.trail.Delays) && r.trail.Delays[r.next].N == n {
		d := r.trail.Delays[r.next]
		r.next++
		if d.Stream != s && r.mismatch == nil {
			r.mismatch, r.got = &d, s
		}
		return d.Q
	}
	return medianQ
}

// Diverged says how the run left the trail, or "" when it followed it.
func (r *Replay) Diverged() string {
	if r.mismatch != nil {
		return fmt.Sprintf("latency draw %d was on stream %s, the trail says %s", r.mismatch.N, r.got, r.mismatch.Stream)
	}
	if r.short != nil {
		return fmt.Sprintf("same-instant tie %d had %d events, the trail names event %d", r.short.N, r.width, r.short.K)
	}
	if r.next < len(r.trail.Delays) {
		d := r.trail.Delays[r.next]
		return fmt.Sprintf("the run made %d latency draws and never reached the trail's draw %d", r.n, d.N)
	}
	if r.nextT < len(r.trail.Ties) {
		return fmt.Sprintf("the run met %d same-instant ties and never reached the trail's tie %d", r.ties, r.trail.Ties[r.nextT].N)
	}
	return ""
}
