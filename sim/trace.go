package sim

// Record is one line of a run's trace in binary form: what happened (Kind),
// when, and up to six integer arguments. Keeping records numeric makes the
// running hash cost a few multiplies per event; the text exists only when
// asked for. Nobody reads the arguments by position: the package that owns
// a kind defines a typed event for it, with the one encoder to a Record and
// the one decoder back.
type Record struct {
	At   Time
	Kind uint16
	A, B int32
	C, D int32
	E, F int64
}

// Each package that adds records owns a range of kinds, so that a record's
// kind alone says which package decodes it. The values are part of every
// trace hash: never renumber them.
const (
	NetworkKinds uint16 = 1   // sim/network's kinds: from here up to WorldKinds
	WorldKinds   uint16 = 100 // sim/world's kinds: from here up
)

// Trace hashes every record of a run and, if asked, keeps them to print.
// Two runs with the same hash emitted the same records in the same order.
type Trace struct {
	hash    uint64
	n       uint64
	keep    bool
	records []Record
}

// NewTrace returns an empty trace; keep says whether to retain the records.
func NewTrace(keep bool) *Trace {
	return &Trace{hash: fnvOffset, keep: keep}
}

const (
	fnvOffset = 0xcbf29ce484222325
	fnvPrime  = 0x100000001b3
)

func mix(h, w uint64) uint64 { return (h ^ w) * fnvPrime }

// Add appends r to the trace.
func (t *Trace) Add(r Record) {
	h := t.hash
	h = mix(h, uint64(r.At))
	h = mix(h, uint64(r.Kind)|uint64(uint32(r.A))<<16)
	h = mix(h, uint64(uint32(r.B))|uint64(uint32(r.C))<<32)
	h = mix(h, uint64(uint32(r.D)))
	h = mix(h, uint64(r.E))
	h = mix(h, uint64(r.F))
	t.hash = h
	t.n++
	if t.keep {
		t.records = append(t.records, r)
	}
}

// Hash is the 64-bit hash of every record so far, folded with their count.
func (t *Trace) Hash() uint64 { return splitmix(t.hash ^ t.n) }

// Len is the number of records added.
func (t *Trace) Len() uint64 { return t.n }

// Records are the retained records (nil unless the trace keeps them).
func (t *Trace) Records() []Record { return t.records }
