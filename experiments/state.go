package experiments

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
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

// ParseShard reads "I/N" with 0 <= I < N.
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.ParseUint(a, 10, 64)
	n, err2 := strconv.ParseUint(b, 10, 64)
	if !ok || err1 != nil || err2 != nil || n < 1 || i >= n {
		return Shard{}, fmt.Errorf("%q is not a shard I/N with 0 <= I < N (accepted: 0/2, 1/2, ...)", s)
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
// once, holding the shard's number of seeds, and a shard's output holds
// every cell.
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
		for b := range c.Latency {
			if b < 0 || b >= NumBuckets {
				return fmt.Errorf("cell %s: latency bucket %d out of range [0, %d)", c.CellKey, b, NumBuckets)
			}
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
	if len(states) == 0 {
		return 0, nil, fmt.Errorf("no shard file")
	}
	first := states[0]
	var n uint64
	var got []uint64
	for _, st := range states {
		if err := e.CheckState(st); err != nil {
			return 0, nil, err
		}
		s, _ := ParseShard(st.Shard)
		switch {
		case st.Partial:
			return 0, nil, fmt.Errorf("shard %s of %s is an interrupted run's state, not a shard's output (finish it with --resume)", st.Shard, st.Experiment)
		case st.Seeds != first.Seeds:
			return 0, nil, fmt.Errorf("shards of %d and %d seeds per cell", first.Seeds, st.Seeds)
		case n != 0 && s.N != n:
			return 0, nil, fmt.Errorf("shards of %d and %d slices", n, s.N)
		case slices.Contains(got, s.I):
			return 0, nil, fmt.Errorf("shard %s given twice", st.Shard)
		}
		n = s.N
		got = append(got, s.I)
	}
	if uint64(len(got)) != n {
		var missing []string
		for i := uint64(0); i < n; i++ {
			if !slices.Contains(got, i) {
				missing = append(missing, fmt.Sprintf("%d/%d", i, n))
			}
		}
		return 0, nil, fmt.Errorf("missing shard %s", strings.Join(missing, ", "))
	}
	accs := make([]*Acc, len(e.Cells))
	for i := range accs {
		accs[i] = &Acc{}
	}
	index := e.index()
	for _, st := range states {
		for j := range st.Cells {
			c := &st.Cells[j]
			accs[index[c.CellKey]].Merge(&c.Acc)
		}
	}
	return first.Seeds, accs, nil
}
