package claims

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/idemsim/idemsim/check"
)

// safety are the kinds that break the promise itself (money moved twice,
// a "done" with nothing done, a "failed" with something done, money moved
// that no record accounts for); the rest are about availability, and rank
// after them.
var safety = []check.Kind{check.Duplicate, check.Lost, check.WrongAnswer, check.OrphanCharge}

// Severity is check.Kinds from the worst: duplicate, lost, wrong-answer
// and orphan-charge, then every other kind in check.Kinds order. A kind added
// to check.Kinds takes its place here without a change.
func Severity() []check.Kind {
	var out []check.Kind
	for _, k := range safety {
		if slices.Contains(check.Kinds, k) {
			out = append(out, k)
		}
	}
	for _, k := range check.Kinds {
		if !slices.Contains(safety, k) {
			out = append(out, k)
		}
	}
	return out
}

// labels are the table's short names of the kinds; the last two are a
// payment made whose client gave up without hearing so, and money the
// gateway moved that no record accounts for.
var labels = map[check.Kind]string{
	check.Duplicate: "DUP", check.Lost: "LOST", check.WrongAnswer: "WRONG", check.Stuck: "STUCK",
	"unconfirmed": "UNCONF", "orphan-charge": "ORPHAN",
}

// Label is a kind's name in a table cell: a few capitals, or the kind's
// own name in capitals for a kind without one.
func Label(k check.Kind) string {
	if l, ok := labels[k]; ok {
		return l
	}
	return strings.ToUpper(string(k))
}

// Outcome is what the schedules of one strategy in one edge case showed.
type Outcome struct {
	Schedules     int  // schedules run
	NotApplicable bool // the case does not apply (the strategy names no such crash point)
	showed        map[check.Kind]int
	first         map[check.Kind]uint64
}

// Add counts one schedule (its seed) and the violations the audit found
// in it, by kind.
func (o *Outcome) Add(seed uint64, counts map[check.Kind]int) {
	if o.showed == nil {
		o.showed, o.first = map[check.Kind]int{}, map[check.Kind]uint64{}
	}
	o.Schedules++
	for _, k := range check.Kinds {
		if counts[k] == 0 {
			continue
		}
		if o.showed[k] == 0 {
			o.first[k] = seed
		}
		o.showed[k]++
	}
}

// Showed is how many schedules showed a violation of kind k, and the
// first of them (its seed; 0 when none did).
func (o *Outcome) Showed(k check.Kind) (schedules int, first uint64) {
	return o.showed[k], o.first[k]
}

// Worst is the most severe kind any schedule showed; false when every
// schedule was free of violations.
func (o *Outcome) Worst() (check.Kind, bool) {
	for _, k := range Severity() {
		if o.showed[k] > 0 {
			return k, true
		}
	}
	return "", false
}

// Cell is the outcome as the table shows it: "n/a", "ok" (no violation in
// any schedule), or the worst kind with the share of schedules that
// showed it, like "DUP 31%".
func (o *Outcome) Cell() string {
	if o.NotApplicable {
		return "n/a"
	}
	k, ok := o.Worst()
	if !ok {
		return "ok"
	}
	return Label(k) + " " + Percent(o.showed[k], o.Schedules)
}

// Summary lists every kind the schedules showed, worst first, with the
// share and the count: "DUP 31% (62 of 200), STUCK 4% (8 of 200)".
func (o *Outcome) Summary() string {
	var parts []string
	for _, k := range Severity() {
		if n := o.showed[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %s (%d of %d)", Label(k), Percent(n, o.Schedules), n, o.Schedules))
		}
	}
	return strings.Join(parts, ", ")
}

// Percent prints n of total as a share: whole percents from 10%, one
// decimal below; never 0% for some nor 100% for fewer than all, so that a
// rare outcome is not read as none and a common one as certain.
func Percent(n, total int) string {
	if total <= 0 {
		return "0%"
	}
	p := 100 * float64(n) / float64(total)
	var s string
	if p >= 10 {
		v := math.Round(p)
		if v == 100 && n < total {
			v = 99
		}
		s = strconv.FormatFloat(v, 'f', -1, 64)
	} else {
		v := math.Round(p*10) / 10
		if v == 0 && n > 0 {
			return "<0.1%"
		}
		s = strconv.FormatFloat(v, 'f', -1, 64)
	}
	return s + "%"
}
