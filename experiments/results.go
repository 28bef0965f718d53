package experiments

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/idemsim/idemsim/check"
)

// The results files (see FORMAT.md): results/NAME/cells.csv and
// results/NAME/cells.json, one row or object per cell in cell order,
// computed from the cells' sums alone, so that the same sums give the
// same bytes.
const (
	CSVFile  = "cells.csv"
	JSONFile = "cells.json"
)

// Num is a figure of the results files: a float printed as strconv's 'g'
// with 6 significant digits, so that the same sums give the same bytes.
// A reader (the report) decodes it as any JSON number.
type Num float64

// Text is n as the results files write it. (Not String: a reader that
// prints a figure with fmt or a template gets the float's own digits.)
func (n Num) Text() string { return strconv.FormatFloat(float64(n), 'g', 6, 64) }

// MarshalJSON writes n as Text does.
func (n Num) MarshalJSON() ([]byte, error) { return []byte(n.Text()), nil }

// Interval is a count of operations with a violation, its rate per
// operation and the rate's 95% Wilson interval.
type Interval struct {
	Count int64 `json:"count"`
	Rate  Num   `json:"rate"`
	Low   Num   `json:"low"`
	High  Num   `json:"high"`
}

func interval(k, n int64) Interval {
	lo, hi := Wilson(k, n)
	rate := 0.0
	if n > 0 {
		rate = float64(k) / float64(n)
	}
	return Interval{Count: k, Rate: Num(rate), Low: Num(lo), High: Num(hi)}
}

// Bucket is one latency bucket, written as a pair: [upper bound in ms,
// count].
type Bucket struct {
	Bound Num
	Count int64
}

// MarshalJSON writes the pair.
func (b Bucket) MarshalJSON() ([]byte, error) {
	return []byte("[" + b.Bound.Text() + "," + strconv.FormatInt(b.Count, 10) + "]"), nil
}

// UnmarshalJSON reads the pair; the count may be written as any number
// (the report checks it).
func (b *Bucket) UnmarshalJSON(data []byte) error {
	var pair [2]float64
	if err := json.Unmarshal(data, &pair); err != nil {
		return err
	}
	if c := pair[1]; c != math.Trunc(c) || c < math.MinInt64 || c >= math.MaxInt64 {
		return fmt.Errorf("latency bucket count %v is not an integer", c)
	}
	b.Bound, b.Count = Num(pair[0]), int64(pair[1])
	return nil
}

// CellResult is one cell's figures, as cells.json holds them: one
// strategy at one isolation level and one swept value, over every seed of
// the cell. The runner writes it (Result); the report reads it back
// (report.Cell is this type).
type CellResult struct {
	Strategy        string   `json:"strategy"`
	Isolation       string   `json:"isolation"`
	Value           string   `json:"value"`
	X               Num      `json:"x"`
	Seeds           int64    `json:"seeds"`
	Ops             int64    `json:"ops"`
	Duplicate       Interval `json:"duplicate"`
	Lost            Interval `json:"lost"`
	Stuck           Interval `json:"stuck"`
	WrongAnswer     Interval `json:"wrong_answer"`
	NonLinearizable Interval `json:"nonlinearizable"`
	AttemptsPerOp   Num      `json:"attempts_per_op"`
	LatencyP50      Num      `json:"latency_p50_ms"`
	LatencyP99      Num      `json:"latency_p99_ms"`
	LatencyHist     []Bucket `json:"latency_hist"`
	Aborts40001     int64    `json:"aborts_40001"`
	Aborts40P01     int64    `json:"aborts_40P01"`
	Aborts23505     int64    `json:"aborts_23505"`
	LockWaits       int64    `json:"lock_waits"`
	MoneyAsked      int64    `json:"money_asked"`
	MoneyMoved      int64    `json:"money_moved"`
	MoneyRatio      Num      `json:"money_ratio"`
	Unconfirmed     Interval `json:"unconfirmed"`
	OrphanCharge    Interval `json:"orphan_charge"`
	MoneyOrphaned   int64    `json:"money_orphaned"`
	RowsKept        int64    `json:"rows_kept"`
	KeysKept        int64    `json:"keys_kept"`
}

// Result computes cell i's figures from its sums.
func (e *Experiment) Result(i int, a *Acc) CellResult {
	c := &e.Cells[i]
	k := c.Key(e)
	h := a.Hist()
	r := CellResult{
		Strategy: k.Strategy, Isolation: k.Isolation, Value: k.Value, X: Num(e.Values[c.Value].X),
		Seeds: a.Seeds, Ops: a.Ops,
		Duplicate: interval(a.Counts[check.Duplicate.Index()], a.Ops), Lost: interval(a.Counts[check.Lost.Index()], a.Ops),
		Stuck: interval(a.Counts[check.Stuck.Index()], a.Ops), WrongAnswer: interval(a.Counts[check.WrongAnswer.Index()], a.Ops),
		NonLinearizable: interval(a.NonLin, a.Ops),
		LatencyP50:      Num(h.Quantile(0.5)), LatencyP99: Num(h.Quantile(0.99)),
		Aborts40001: a.Serialization, Aborts40P01: a.Deadlocks, Aborts23505: a.Unique, LockWaits: a.LockWaits,
		MoneyAsked: a.Asked, MoneyMoved: a.Moved,
		Unconfirmed: interval(a.Counts[check.Unconfirmed.Index()], a.Ops), OrphanCharge: interval(a.Counts[check.OrphanCharge.Index()], a.Ops),
		MoneyOrphaned: a.Orphaned, RowsKept: a.KeptRows, KeysKept: a.KeptKeys,
	}
	if a.Ops > 0 {
		r.AttemptsPerOp = Num(float64(a.Attempts) / float64(a.Ops))
	}
	if a.Asked > 0 {
		r.MoneyRatio = Num(float64(a.Moved) / float64(a.Asked))
	}
	for b, n := range h {
		r.LatencyHist = append(r.LatencyHist, Bucket{Num(BucketBound(b)), n})
	}
	return r
}

// Failure is a swarm's first failing seed for one strategy at one level.
type Failure struct {
	Strategy  string     `json:"strategy"`
	Isolation string     `json:"isolation"`
	Kind      check.Kind `json:"kind"`
	Seed      uint64     `json:"seed"`
	Command   string     `json:"command"` // the idemsim run that shows that world
}

// Failures are the first failing seeds of a swarm's cells, in cell order.
func (e *Experiment) Failures(accs []*Acc) []Failure {
	out := []Failure{}
	for i, a := range accs {
		if a == nil || a.First == 0 {
			continue
		}
		k := e.Cells[i].Key(e)
		out = append(out, Failure{Strategy: k.Strategy, Isolation: k.Isolation, Kind: a.Kind, Seed: a.First,
			Command: fmt.Sprintf("idemsim run --strategy %s --isolation %s --chaos %d", k.Strategy, k.Isolation, a.First)})
	}
	return out
}

// CSVHeader is cells.csv's header for the experiment.
func (e *Experiment) CSVHeader() []string {
	h := []string{"experiment", "strategy", "isolation", e.Param, "seeds", "ops"}
	for _, m := range []string{"duplicate", "lost", "stuck", "wrong_answer", "nonlinearizable"} {
		h = append(h, m+"_count", m+"_rate", m+"_low", m+"_high")
	}
	h = append(h, "attempts_per_op", "latency_p50_ms", "latency_p99_ms",
		"aborts_40001", "aborts_40P01", "aborts_23505", "lock_waits", "money_asked", "money_moved", "money_ratio")
	for _, m := range []string{"unconfirmed", "orphan_charge"} {
		h = append(h, m+"_count", m+"_rate", m+"_low", m+"_high")
	}
	return append(h, "money_orphaned", "rows_kept", "keys_kept")
}

// EncodeCSV is cells.csv for the cells' sums (every cell must be there).
func (e *Experiment) EncodeCSV(accs []*Acc) ([]byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.Write(e.CSVHeader()); err != nil {
		return nil, err
	}
	for i, a := range accs {
		if a == nil {
			return nil, fmt.Errorf("experiments: %s: cell %s has no results", e.Name, e.Cells[i].Key(e))
		}
		if err := w.Write(e.CSVRow(i, a)); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return b.Bytes(), w.Error()
}

// CSVRow is cell i's row of cells.csv, its fields unquoted.
func (e *Experiment) CSVRow(i int, a *Acc) []string {
	d := func(n int64) string { return strconv.FormatInt(n, 10) }
	r := e.Result(i, a)
	row := []string{e.Name, r.Strategy, r.Isolation, r.Value, d(r.Seeds), d(r.Ops)}
	for _, iv := range []Interval{r.Duplicate, r.Lost, r.Stuck, r.WrongAnswer, r.NonLinearizable} {
		row = append(row, d(iv.Count), iv.Rate.Text(), iv.Low.Text(), iv.High.Text())
	}
	row = append(row, r.AttemptsPerOp.Text(), r.LatencyP50.Text(), r.LatencyP99.Text(),
		d(r.Aborts40001), d(r.Aborts40P01), d(r.Aborts23505), d(r.LockWaits), d(r.MoneyAsked), d(r.MoneyMoved), r.MoneyRatio.Text())
	for _, iv := range []Interval{r.Unconfirmed, r.OrphanCharge} {
		row = append(row, d(iv.Count), iv.Rate.Text(), iv.Low.Text(), iv.High.Text())
	}
	return append(row, d(r.MoneyOrphaned), d(r.RowsKept), d(r.KeysKept))
}

// marshal is json.Marshal without HTML escaping.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// EncodeJSON is cells.json for the cells' sums run over seeds per cell:
// the experiment's header fields one per line, then one cell per line,
// and for a swarm its failures one per line.
func (e *Experiment) EncodeJSON(seeds uint64, accs []*Acc) ([]byte, error) {
	var b strings.Builder
	field := func(name string, v any, last bool) error {
		j, err := marshal(v)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "  %q: %s", name, j)
		if !last {
			b.WriteString(",")
		}
		b.WriteString("\n")
		return nil
	}
	list := func(indent string, items []any) error {
		for i, it := range items {
			j, err := marshal(it)
			if err != nil {
				return err
			}
			b.WriteString(indent)
			b.Write(j)
			if i < len(items)-1 {
				b.WriteString(",")
			}
			b.WriteString("\n")
		}
		return nil
	}
	b.WriteString("{\n")
	for _, f := range []struct {
		name string
		v    any
	}{{"experiment", e.Name}, {"description", e.Description}, {"param", e.Param}, {"param_label", e.ParamLabel},
		{"numeric", e.Numeric}, {"seeds_per_cell", seeds}} {
		if err := field(f.name, f.v, false); err != nil {
			return nil, err
		}
	}
	var cells []any
	for i, a := range accs {
		if a == nil {
			return nil, fmt.Errorf("experiments: %s: cell %s has no results", e.Name, e.Cells[i].Key(e))
		}
		cells = append(cells, e.Result(i, a))
	}
	b.WriteString("  \"cells\": [\n")
	if err := list("    ", cells); err != nil {
		return nil, err
	}
	if !e.Swarm {
		b.WriteString("  ]\n}\n")
		return []byte(b.String()), nil
	}
	b.WriteString("  ],\n  \"swarm\": {\n    \"failures\": [\n")
	var fs []any
	for _, f := range e.Failures(accs) {
		fs = append(fs, f)
	}
	if err := list("      ", fs); err != nil {
		return nil, err
	}
	b.WriteString("    ]\n  }\n}\n")
	return []byte(b.String()), nil
}
