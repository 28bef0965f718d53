package experiments

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// State is a run's sums per cell as a file holds them: a shard's output
// (Partial false: every cell, the shard's seeds), or the cells an
// interrupted run finished (Partial true), which --resume reads.
type State struct {
	Experiment string      `json:"experiment"`
	Seeds      uint64      `json:"seeds_per_cell"`
	Shard      string      `json:"shard"` // "I/N"; "0/1" for a whole run
	Partial    bool        `json:"partial"`
	Cells      []StateCell `json:"cells"` // in cell order
}

// StateCell is one cell's sums under its name.
type StateCell struct {
	CellKey
	Acc
}

// ShardFile is the name of shard s's output in results/NAME/.
func ShardFile(s Shard) string { return fmt.Sprintf("shard-%d-of-%d.json", s.I, s.N) }

// PartialFile is the name of an interrupted run's state in results/NAME/.
func PartialFile(s Shard) string {
	if s.Whole() {
		return "partial.json"
	}
	return fmt.Sprintf("partial-shard-%d-of-%d.json", s.I, s.N)
}

// MaxShards is the most shards a run may be cut into. idemsim merge takes
// every shard file on one command line, which Linux bounds at 2 MiB: this
// many paths like results/isolation/shard-9999-of-10000.json take a fifth
// of it, room for longer directories; many more could not be merged at
// all.
const MaxShards = 10_000

// ParseShard reads "I/N" with 0 <= I < N <= MaxShards.
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.ParseUint(a, 10, 64)
	n, err2 := strconv.ParseUint(b, 10, 64)
	if !ok || err1 != nil || err2 != nil || n < 1 || i >= n || n > MaxShards {
		return Shard{}, fmt.Errorf("%q is not a shard I/N with 0 <= I < N <= %d (accepted: 0/2, 1/2, ...)", s, MaxShards)
	}
	return Shard{I: i, N: n}, nil
}

// NewState is the state of a run of seeds per cell of shard, holding the
// cells of accs that are not nil.
func (e *Experiment) NewState(seeds uint64, shard Shard, accs []*Acc, partial bool) *State {
	st := &State{Experiment: e.Name, Seeds: seeds, Shard: shard.String(), Partial: partial, Cells: []StateCell{}}
	for i, a := range accs {
		if a != nil {
			st.Cells = append(st.Cells, StateCell{CellKey: e.Cells[i].Key(e), Acc: *a})
		}
	}
	return st
}

// Encode is the state file's bytes: one cell per line.
func (st *State) Encode() ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "{\n  \"experiment\": %q,\n  \"seeds_per_cell\": %d,\n  \"shard\": %q,\n  \"partial\": %t,\n  \"cells\": [\n",
		st.Experiment, st.Seeds, st.Shard, st.Partial)
	for i, c := range st.Cells {
		j, err := marshal(c)
		if err != nil {
			return nil, err
		}
		b.WriteString("    ")
		b.Write(j)
		if i < len(st.Cells)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("  ]\n}\n")
	return b.Bytes(), nil
}

// DecodeState reads a state file; CheckState then checks it against its
// experiment (st.Experiment names it).
func DecodeState(data []byte) (*State, error) {
	var st State
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("not a shard or state file of idemsim experiment: %v", err)
	}
	return &st, nil
}

// CheckState checks that st belongs to e: every cell named is one of e's,
// once, holding the shard's number of seeds and sums a run can make (see
// Acc.check), and a shard's output holds every cell.
func (e *Experiment) CheckState(st *State) error {
	if st.Experiment != e.Name {
		return fmt.Errorf("a state of experiment %q, not %s", st.Experiment, e.Name)
	}
	shard, err := ParseShard(st.Shard)
	if err != nil {
		return fmt.Errorf("shard: %v", err)
	}
	if st.Seeds == 0 {
		return fmt.Errorf("seeds_per_cell is 0")
	}
	index := e.index()
	seen := make(map[CellKey]bool)
	for _, c := range st.Cells {
		_, ok := index[c.CellKey]
		switch {
		case !ok:
			return fmt.Errorf("experiment %s has no cell %s", e.Name, c.CellKey)
		case seen[c.CellKey]:
			return fmt.Errorf("cell %s given twice", c.CellKey)
		case c.Seeds != int64(shard.Count(st.Seeds)):
			return fmt.Errorf("cell %s holds %d seeds; shard %s of %d seeds per cell runs %d", c.CellKey, c.Seeds, st.Shard, st.Seeds, shard.Count(st.Seeds))
		}
		if err := c.check(shard, st.Seeds); err != nil {
			return fmt.Errorf("cell %s: %v", c.CellKey, err)
		}
		seen[c.CellKey] = true
	}
	if !st.Partial && len(seen) != len(index) {
		return fmt.Errorf("a shard file must hold every cell of %s (%d), it holds %d", e.Name, len(index), len(seen))
	}
	return nil
}

// Done is the state's cells by name, for Options.Done.
func (st *State) Done() map[CellKey]*Acc {
	out := make(map[CellKey]*Acc, len(st.Cells))
	for i := range st.Cells {
		out[st.Cells[i].CellKey] = &st.Cells[i].Acc
	}
	return out
}

// Merge adds up the shard files of e — the same seeds per cell, the same
// N, each shard I of 0..N-1 once, each checked by CheckState — into the
// cells' sums of the whole run, in cell order, and returns the seeds per
// cell.
func (e *Experiment) Merge(states []*State) (uint64, []*Acc, error) {
	m := e.NewMerger()
	for _, st := range states {
		if err := m.Add(st); err != nil {
			return 0, nil, err
		}
	}
	return m.Result()
}

// Merger adds up the shard files of one run as they are read, so that
// merging N shards holds one shard file and the sums, not N files.
type Merger struct {
	e     *Experiment
	index map[CellKey]int
	seeds uint64
	got   []bool // by shard index, once the first file says N
	n     int    // shards added
	accs  []*Acc
}

// NewMerger is a merger of e's shards with nothing added yet.
func (e *Experiment) NewMerger() *Merger {
	m := &Merger{e: e, index: e.index(), accs: make([]*Acc, len(e.Cells))}
	for i := range m.accs {
		m.accs[i] = &Acc{}
	}
	return m
}

// Add checks st (CheckState; a shard's output, not an interrupted run's;
// the seeds and N of the shards before it; a shard not added before) and
// adds its sums. A refused shard adds nothing.
func (m *Merger) Add(st *State) error {
	e := m.e
	if err := e.CheckState(st); err != nil {
		return err
	}
	s, _ := ParseShard(st.Shard)
	switch {
	case st.Partial:
		return fmt.Errorf("shard %s of %s is an interrupted run's state, not a shard's output (finish it with --resume)", st.Shard, st.Experiment)
	case m.n > 0 && st.Seeds != m.seeds:
		return fmt.Errorf("shards of %d and %d seeds per cell", m.seeds, st.Seeds)
	case m.n > 0 && s.N != uint64(len(m.got)):
		return fmt.Errorf("shards of %d and %d slices", len(m.got), s.N)
	case m.n > 0 && m.got[s.I]:
		return fmt.Errorf("shard %s given twice", st.Shard)
	}
	for j := range st.Cells {
		c := &st.Cells[j]
		if err := m.accs[m.index[c.CellKey]].fits(&c.Acc); err != nil {
			return fmt.Errorf("cell %s: %v", c.CellKey, err)
		}
	}
	if m.n == 0 {
		m.seeds, m.got = st.Seeds, make([]bool, s.N)
	}
	for j := range st.Cells {
		c := &st.Cells[j]
		m.accs[m.index[c.CellKey]].Merge(&c.Acc)
	}
	m.got[s.I] = true
	m.n++
	return nil
}

// Result is the whole run's sums, in cell order, and its seeds per cell,
// once every shard is added.
func (m *Merger) Result() (uint64, []*Acc, error) {
	if m.n == 0 {
		return 0, nil, fmt.Errorf("no shard file")
	}
	if m.n != len(m.got) {
		return 0, nil, fmt.Errorf("%s", missingShards(m.got))
	}
	return m.seeds, m.accs, nil
}

// missingShards says which shards are missing, as runs of consecutive
// indices and at most a few of them: "missing shard 0/2", "missing 8 of 10
// shards: 1..4, 6..9".
func missingShards(got []bool) string {
	const shown = 8
	n := len(got)
	var runs []string
	missing, more := 0, 0
	for i := 0; i < n; i++ {
		if got[i] {
			continue
		}
		j := i
		for j+1 < n && !got[j+1] {
			j++
		}
		missing += j - i + 1
		switch {
		case len(runs) == shown:
			more++
		case j == i:
			runs = append(runs, strconv.Itoa(i))
		default:
			runs = append(runs, fmt.Sprintf("%d..%d", i, j))
		}
		i = j
	}
	if missing == 1 {
		return fmt.Sprintf("missing shard %s/%d", runs[0], n)
	}
	list := strings.Join(runs, ", ")
	if more > 0 {
		list += fmt.Sprintf(" and %d more", more)
	}
	return fmt.Sprintf("missing %d of %d shards: %s", missing, n, list)
}
