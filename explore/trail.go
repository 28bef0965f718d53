package explore

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/idemsim/idemsim/sim"
)

// TrailVersion is the first word of every choice trail. A trail says how
// the explorer drew what a fault list cannot say: every latency draw at
// the median but those it lists, every same-instant tie in the kernel's
// order, and every other draw from the run's seed. A later version may
// add tie choices; a reader refuses a version it does not know.
const TrailVersion = "choices/v1"

// TrailSyntax is the accepted form of a trail, for error messages.
const TrailSyntax = TrailVersion + " followed by N:STREAM=Q entries (N the latency draw's index from 0, in increasing order; STREAM a latency stream such as network; Q a quantile in (0, 1)), separated by spaces or newlines"

// Trail is a run's delay choices.
type Trail struct {
	Delays []Delay
}

// String prints the trail as ParseTrail reads it back, on one line.
func (t Trail) String() string {
	var b strings.Builder
	b.WriteString(TrailVersion)
	for _, d := range t.Delays {
		fmt.Fprintf(&b, " %d:%s=%s", d.N, d.Stream, strconv.FormatFloat(d.Q, 'g', -1, 64))
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
	if words[0] != TrailVersion {
		return bad("unknown trail version %q", words[0])
	}
	var t Trail
	for _, w := range words[1:] {
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

func streamNamed(name string) (sim.Stream, bool) {
	for s := range sim.Stream(numStreams) {
		if s.String() == name {
			return s, true
		}
	}
	return 0, false
}

// Replay is the chooser that replays a trail in a run whose faults come
// from a fault list: the seed's streams, ties in the kernel's order, every
// latency draw at the median but the trail's. It notes where the run
// left the trail (a listed draw on another stream, or never reached).
type Replay struct {
	base  *sim.Seeded
	trail Trail
	n     int // latency draws so far
	next  int // the trail's next entry
	// mismatch is the first entry met on another stream, if any.
	mismatch *Delay
	got      sim.Stream
}

// NewReplay returns the chooser that replays t in a run of seed.
func NewReplay(seed uint64, t Trail) *Replay {
	return &Replay{base: sim.NewSeeded(seed), trail: t}
}

// Flip implements sim.Chooser.
func (r *Replay) Flip(s sim.Stream, p float64) bool { return r.base.Flip(s, p) }

// Pick implements sim.Chooser.
func (r *Replay) Pick(s sim.Stream, n int) int {
	if s == sim.StreamSchedule {
		return 0
	}
	return r.base.Pick(s, n)
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
	if r.next < len(r.trail.Delays) {
		d := r.trail.Delays[r.next]
		return fmt.Sprintf("the run made %d latency draws and never reached the trail's draw %d", r.n, d.N)
	}
	return ""
}
