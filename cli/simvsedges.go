package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/idemsim/idemsim/claims"
	"github.com/idemsim/idemsim/experiments"
	"github.com/idemsim/idemsim/internal/atomicfile"
	"github.com/idemsim/idemsim/live"
	"github.com/idemsim/idemsim/live/instance"
	"github.com/idemsim/idemsim/report"
	"github.com/idemsim/idemsim/sim/world"
)

// The edge-case half of sim-vs-live (--edges): the strategies of the
// rates in every case of the edge-case table (idemsim table), each seed's
// world built by the table's own code (edgeWorlds: the same latencies
// and, in a timed case, the same moment of the fault), simulated and then
// run live on that seed. The results are an experiment's cells, one per
// strategy, level, case (the cell's variant, "case A") and mode, so the
// report and the scorecard read them as any other experiment, and
// table.md beside them says per case where the two agree.

// edgesName is the experiment's name and its directory under results/.
const edgesName = "sim-vs-live-edges"

// edgesSettle bounds the settling of a live edge run: its one operation
// is done when its client stops, and the workers of the strategies
// compared only sweep what a retention window expired (case J, which
// does not run live), so waiting the rates' five seconds after each of
// some thousand runs would only add an hour.
const edgesSettle = time.Second

// simVsLiveMaxReal is sim-vs-live's default --max-real: the longest a
// world may take in simulated time to be run live.
const simVsLiveMaxReal = 30 * time.Second

// edgeSkip is a cell that live mode cannot run, and why; or, with scale
// set, one that runs (simulated and live alike) with its long durations
// scaled by that factor (world.Config.Scaled), reason saying why.
type edgeSkip struct {
	column   string // the case's letter
	strategy string // the strategy and level, as the table's row names it
	reason   string
	scale    string
}

// edgesVariant is the variant naming case column's cells.
func edgesVariant(column string) string { return "case " + column }

// edgesExperiment builds the edges experiment over seeds 1..seeds: the
// cells live mode can run, and the others with the reason. A cell is
// skipped when live.Check refuses its world (a fault live mode does not
// inject yet), when the strategy names no crash point for the case (n/a
// in the table), or when it would take a live run longer than maxReal:
// some seed's simulated clients finish later, or a pause outlasts it.
func edgesExperiment(seeds uint64, maxReal time.Duration) (*experiments.Experiment, []edgeSkip, error) {
	e := &experiments.Experiment{
		Name:        edgesName,
		Description: "the edge-case table's cases (idemsim table) simulated and run live on the same seeds: seven strategies, each case a variant named by its letter",
		Param:       "mode",
		ParamLabel:  "where the world ran",
		Values:      []experiments.Value{{Label: "simulated", X: 0}, {Label: "live", X: 1}},
		Seeds:       seeds,
	}
	var skips []edgeSkip
	cases := claims.EdgeCases()
	// Results order: a strategy, then its variants (the cases), then its
	// levels, then the modes.
	var names []string
	for _, rs := range ratesStrategies {
		if !slices.Contains(names, rs.name) {
			names = append(names, rs.name)
		}
	}
	workers := runtime.GOMAXPROCS(0)
	for _, name := range names {
		s, err := lookupStrategy(name)
		if err != nil {
			return nil, nil, err
		}
		for i, c := range cases {
			for _, rs := range ratesStrategies {
				if rs.name != name {
					continue
				}
				level, err := parseLevel(rs.level)
				if err != nil {
					return nil, nil, err
				}
				row := edgesRow(name, level.Slug())
				configs, _, err := edgeWorlds(name, []string{"--isolation", rs.level}, c, int(seeds), workers)
				if err == errNoSuchPoint {
					skips = append(skips, edgeSkip{column(i), row, "the strategy names no such crash point (n/a in the table)", ""})
					continue
				}
				if err != nil {
					return nil, nil, fmt.Errorf("idemsim sim-vs-live: %s in case %s: %w", row, column(i), err)
				}
				reason, tooLong, err := edgesLiveRefuses(configs, maxReal, workers)
				if err != nil {
					return nil, nil, err
				}
				if tooLong {
					// Too long to wait out live: both columns run the
					// worlds scaled, when some factor ends them in time.
					scaled, f, err := edgesScaled(configs, maxReal, workers)
					if err != nil {
						return nil, nil, err
					}
					if scaled != nil {
						skips = append(skips, edgeSkip{column(i), row, reason, f.String()})
						configs, reason = scaled, ""
					}
				}
				if reason != "" {
					skips = append(skips, edgeSkip{column(i), row, reason, ""})
					continue
				}
				for v := range e.Values {
					e.Cells = append(e.Cells, experiments.Cell{Strategy: s, Variant: edgesVariant(column(i)), Level: level, Value: v,
						Config: func(seed uint64) world.Config { return configs[seed-1] }})
				}
			}
		}
	}
	return e, skips, e.Validate()
}

// edgesRow names a strategy at a level as the per-case tables do.
func edgesRow(strategy, level string) string { return strategy + " at " + level }

// edgesLiveRefuses says why live mode cannot run a cell's worlds, "" when
// it can; tooLong when only their length stands in the way (a pause or
// the clients outlast maxReal), which a time scale may cure.
func edgesLiveRefuses(configs []world.Config, maxReal time.Duration, workers int) (reason string, tooLong bool, err error) {
	cfg := configs[0]
	if err := live.Check(&cfg); err != nil {
		return strings.TrimPrefix(err.Error(), "live: "), false, nil
	}
	for _, p := range cfg.Faults.Pauses {
		if end := time.Duration(p.At) + time.Duration(p.Downtime); end > maxReal {
			return fmt.Sprintf("it freezes a server for %v, which a live run waits out in real time (more than %v)", time.Duration(p.Downtime), maxReal), true, nil
		}
	}
	var longest time.Duration
	err = experiments.SweepFunc(func(seed uint64) world.Config { return configs[seed-1] }, 1, uint64(len(configs)), workers,
		func(_ uint64, res *world.Result) time.Duration { return clientsDoneAt(res) },
		func(d time.Duration) { longest = max(longest, d) })
	if err != nil {
		return "", false, err
	}
	if longest > maxReal {
		return fmt.Sprintf("its clients finish after %v of simulated time, more than %v of real time", longest.Round(time.Second), maxReal), true, nil
	}
	return "", false, nil
}

// edgesScaled is configs scaled by the largest power of ten under which
// live mode can run every one of them within maxReal, and the factor;
// nil when none can (a scaled duration would fall under
// world.MinScaledSpan first).
func edgesScaled(configs []world.Config, maxReal time.Duration, workers int) ([]world.Config, world.TimeScale, error) {
	den := int64(1)
	for p := 1; p <= maxScalePower; p++ {
		den *= 10
		f, err := world.ParseTimeScale(fmt.Sprintf("1/%d", den))
		if err != nil {
			return nil, f, err
		}
		scaled := make([]world.Config, len(configs))
		for i, cfg := range configs {
			if scaled[i], err = cfg.Scaled(f); err != nil {
				return nil, f, nil // smaller factors only cut deeper
			}
		}
		reason, _, err := edgesLiveRefuses(scaled, maxReal, workers)
		if err != nil || reason == "" {
			return scaled, f, err
		}
	}
	return nil, world.TimeScale{}, nil
}

// simVsLiveEdges runs the edges experiment's cells, seeds 1..n of each,
// and writes cells.json, cells.csv and table.md into dir.
func simVsLiveEdges(ctx context.Context, dir string, n uint64, maxReal time.Duration, dsn string, redis *instance.Redis, stderr io.Writer) error {
	e, skips, err := edgesExperiment(n, maxReal)
	if err != nil {
		return err
	}
	accs, err := runSimLiveCells(ctx, e, n, live.Config{PostgresDSN: dsn, Redis: redis, Limit: 3*maxReal + 30*time.Second}, edgesSettle, stderr)
	if err != nil {
		return err
	}
	return writeCells(dir, e, n, accs, func(x *report.Experiment) []atomicfile.File {
		return []atomicfile.File{{Path: filepath.Join(dir, "table.md"), Data: []byte(edgesTable(x, skips))}}
	})
}

// redrawEdgesTable writes dir/table.md from dir/cells.json.
func redrawEdgesTable(dir string, maxReal time.Duration) error {
	x, err := report.ReadExperiment(filepath.Join(dir, "cells.json"))
	if err != nil {
		return err
	}
	if x.SeedsPerCell < 1 || x.SeedsPerCell > 1000 {
		return fmt.Errorf("idemsim sim-vs-live: %s: %d seeds per cell, want 1 to 1000", filepath.Join(dir, "cells.json"), x.SeedsPerCell)
	}
	_, skips, err := edgesExperiment(uint64(x.SeedsPerCell), maxReal)
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, "table.md"), []byte(edgesTable(x, skips)))
}

// edgesTable is table.md: per case, a row per strategy and level with the
// simulated and the live rate of each failure kind either showed, their
// 95% Wilson intervals, and whether the two agree (every kind's intervals
// overlap); then the cells live mode did not run. It is drawn from the
// experiment's cells.json and the skips alone.
func edgesTable(x *report.Experiment, skips []edgeSkip) string {
	var b strings.Builder
	b.WriteString("# The edge-case table's cases, simulated and live\n\n")
	b.WriteString("Generated by `idemsim sim-vs-live --edges` (`make sim-vs-live-edges`) with `cells.json` beside it; do not edit.\n")
	fmt.Fprintf(&b, "Each strategy is run in each case of the edge-case table (`idemsim table`, `results/edge-cases.md`) on seeds 1 to %d, ", x.SeedsPerCell)
	b.WriteString("simulated and live (`idemsim live` on a throwaway PostgreSQL 15 and Redis 7) on the same seed: the seed draws the world's ")
	b.WriteString("latencies and, in a case with a timed fault, its moment, exactly as the table draws them. ")
	b.WriteString("A rate is the share of the seeds' operations (one per seed, two clients submitting it in F) that showed the kind, ")
	b.WriteString("with its 95% Wilson interval; a row *agrees* when, for every kind, the simulated and the live intervals overlap. ")
	fmt.Fprintf(&b, "Live runs let background workers settle for at most %v after the client stops.\n\n", edgesSettle)
	type cellPair struct{ sim, live *report.Cell }
	cases := claims.EdgeCases()
	agree, same, rows := 0, 0, 0
	var sections strings.Builder
	for i, c := range cases {
		col := column(i)
		variant := edgesVariant(col)
		var order []string
		pairs := map[string]*cellPair{}
		for k := range x.Cells {
			cell := &x.Cells[k]
			name, ok := strings.CutSuffix(cell.Strategy, " "+variant)
			if !ok {
				continue
			}
			row := edgesRow(name, cell.Isolation)
			p := pairs[row]
			if p == nil {
				p = &cellPair{}
				pairs[row] = p
				order = append(order, row)
			}
			if cell.Value == "live" {
				p.live = cell
			} else {
				p.sim = cell
			}
		}
		fmt.Fprintf(&sections, "## %s, %s\n\n%s.\n\n", col, c.Name, strings.ToUpper(c.About[:1])+c.About[1:])
		if len(order) > 0 {
			sections.WriteString("| strategy | simulated | live | agree |\n|---|---|---|---|\n")
			for _, row := range order {
				p := pairs[row]
				if p.sim == nil || p.live == nil {
					continue
				}
				rows++
				if edgesSameCounts(p.sim, p.live) {
					same++
				}
				off := edgesDisagree(p.sim, p.live)
				verdict := "yes"
				if len(off) > 0 {
					verdict = "**no** (" + strings.Join(off, ", ") + ")"
				} else {
					agree++
				}
				fmt.Fprintf(&sections, "| `%s` | %s | %s | %s |\n", row, edgesRates(p.sim, p.live, p.sim), edgesRates(p.sim, p.live, p.live), verdict)
			}
			sections.WriteString("\n")
		}
		var notRun []string
		var scaled []string
		for _, s := range skips {
			switch {
			case s.column != col:
			case s.scale != "":
				scaled = append(scaled, fmt.Sprintf("`%s` at %s", s.strategy, s.scale))
			default:
				notRun = append(notRun, fmt.Sprintf("`%s` (%s)", s.strategy, s.reason))
			}
		}
		if len(scaled) > 0 {
			fmt.Fprintf(&sections, "Too long to wait out live as it is: %s. So these rows ran with their long durations scaled "+
				"(`idemsim run --time-scale`), simulated and live alike: %s.\n\n", skipReason(skips, col, true), strings.Join(scaled, ", "))
		}
		if len(notRun) > 0 {
			if len(order) == 0 && edgesOneReason(skips, col) {
				fmt.Fprintf(&sections, "Not run live: %s.\n\n", skipReason(skips, col, false))
			} else {
				fmt.Fprintf(&sections, "Not run live: %s.\n\n", strings.Join(notRun, "; "))
			}
		}
	}
	fmt.Fprintf(&b, "Of %d rows run both ways, %d agree, and %d show the very same counts of every kind simulated and live. "+
		"With a handful of seeds per cell an interval is wide, so agreeing rows can still differ by several seeds; the counts are in each row.\n\n", rows, agree, same)
	b.WriteString(sections.String())
	return b.String()
}

// edgesOneReason reports whether every skip of case col gives one reason.
func edgesOneReason(skips []edgeSkip, col string) bool {
	reason := skipReason(skips, col, false)
	return !slices.ContainsFunc(skips, func(s edgeSkip) bool { return s.column == col && s.scale == "" && s.reason != reason })
}

// skipReason is the first reason case col's cells were skipped for, or
// (scaled) scaled for.
func skipReason(skips []edgeSkip, col string, scaled bool) string {
	for _, s := range skips {
		if s.column == col && (s.scale != "") == scaled {
			return s.reason
		}
	}
	return ""
}

// edgesRates prints cell's rate of each kind that the simulated or the
// live cell showed: "duplicate 20/20 (0.84-1)"; "none of 20" when neither
// showed any.
func edgesRates(sim, lv, cell *report.Cell) string {
	var parts []string
	for _, m := range report.Metrics {
		if m.Of(sim).Count == 0 && m.Of(lv).Count == 0 {
			continue
		}
		r := m.Of(cell)
		parts = append(parts, fmt.Sprintf("%s %d/%d (%s–%s)", m.Label, r.Count, cell.Ops, r.Low.Text(), r.High.Text()))
	}
	if len(parts) == 0 {
		return fmt.Sprintf("none of %d", cell.Ops)
	}
	return strings.Join(parts, ", ")
}

// edgesSameCounts reports whether the two cells counted every kind alike.
func edgesSameCounts(sim, lv *report.Cell) bool {
	return !slices.ContainsFunc(report.Metrics, func(m report.Metric) bool { return m.Of(sim).Count != m.Of(lv).Count })
}

// edgesDisagree are the kinds whose simulated and live 95% intervals do
// not overlap.
func edgesDisagree(sim, lv *report.Cell) []string {
	var off []string
	for _, m := range report.Metrics {
		a, b := m.Of(sim), m.Of(lv)
		if float64(a.High) < float64(b.Low) || float64(b.High) < float64(a.Low) {
			off = append(off, m.Label)
		}
	}
	return off
}
