package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/claims"
	"github.com/idemsim/idemsim/experiments"
	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/atomicfile"
	"github.com/idemsim/idemsim/internal/inputfile"
	"github.com/idemsim/idemsim/live"
	"github.com/idemsim/idemsim/live/instance"
	"github.com/idemsim/idemsim/report"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// sim-vs-live: every claim scenario of kind run, simulated once (the
// simulator is deterministic) and run live --runs times (live timing
// varies), with the verdicts side by side. The results are
// results/sim-vs-live/runs.json; table.md is drawn from it alone.

const simVsLiveUsage = `usage: idemsim sim-vs-live [--runs N] [--scenario NAME]... [--out DIR] [--table-only]
                           [--rates-only] [--rates-seeds N] [--statements] [--edges]
                           [--edges-seeds N]

Runs every claim scenario of kind run (idemsim claims) in the simulator
once and live --runs times (default 20) on one throwaway PostgreSQL and
Redis, and writes DIR/runs.json (default results/sim-vs-live) and
DIR/table.md: per scenario, the simulator's verdict, how many live runs
gave the same verdict, the verdicts they gave instead, and the share of the
faults each live run scheduled that fired. A scenario whose clients take
longer than --max-real of simulated time (default 30s) runs, in the
simulator and live, with its long durations scaled (idemsim run
--time-scale) by the largest power of ten that brings it under; the row
names the factor, and the scaled world's simulator verdict when it is not
the unscaled one's. A scenario live mode cannot run (a fault it does not
inject yet, or one no factor shortens enough) is listed with the reason. A
scenario that crashes or pauses a server at a moment is run live --runs
times more with those faults at the simulator's step (idemsim live
--anchor-to-sim), into a column of their own. --scenario runs only the
scenarios named (repeatable) and puts their rows into the runs.json
already in DIR, keeping every other row (their --runs must be the same);
--table-only redraws table.md from runs.json.

Unless --scenario is given, it first runs the rates: seven strategies
(naive, txn-check-insert at read committed and serializable, unique-409,
redis-presence, stripe-replay, early-409) in the same worlds with random
faults, seeds 1..--rates-seeds (default 20) simulated and live, written as
an experiment's results to DIR/../sim-vs-live-rates/cells.json and
cells.csv, which idemsim report draws. --rates-only runs only those.

--statements instead logs the strategies' own statements in every claim
scenario whose strategy uses the database, simulated once and live --runs
times (default 5), and writes DIR/statements.json and DIR/statements.md:
per scenario, how many statements got the same SQLSTATE and waited for a
lock alike on both sides, and every difference. --scenario and
--table-only work on those files as on runs.json.

--edges runs, instead of everything above, the edge-case table's cases
(idemsim table) for the same seven strategies: each case's world on seeds
1..--edges-seeds (default 20) simulated and live, as the table builds it
per seed, written as an experiment's results to
DIR/../sim-vs-live-edges/cells.json and cells.csv with table.md, which
says per case where the simulated and live rates agree and which cells
live mode cannot run yet; with --table-only it redraws table.md from
cells.json.

--hosted checks every built-in strategy hosted by our own servers from
outside, against the simulator (idemsim sim-vs-live --hosted --help).
`

// simVsLive is runs.json.
type simVsLive struct {
	// Runs is the live repetitions per scenario.
	Runs      int           `json:"runs"`
	Scenarios []svlScenario `json:"scenarios"`
}

// svlScenario is one scenario's row.
type svlScenario struct {
	Name   string   `json:"name"`
	Claim  int      `json:"claim"`
	Args   []string `json:"args"`
	Expect string   `json:"expect"`
	// Sim is the simulator's verdict: the violation kinds shown, "holds"
	// when none.
	Sim string `json:"sim"`
	// Skipped says why the scenario did not run live ("" when it did).
	Skipped string `json:"skipped,omitempty"`
	// Live counts the live runs by verdict.
	Live map[string]int `json:"live,omitempty"`
	// Scheduled and Fired are the faults the scenario's list scheduled
	// and those of them that fired, summed over the live runs.
	Scheduled int `json:"scheduled"`
	Fired     int `json:"fired"`
	// Seconds is the live runs' mean real time.
	Seconds float64 `json:"seconds,omitempty"`
	// Anchored counts, by verdict, as many more live runs with the
	// scenario's timed crashes and pauses fired at the steps where the
	// simulator had them (idemsim live --anchor-to-sim), for a scenario
	// that has such a fault; AnchoredAs says where each went, and
	// AnchoredScheduled and AnchoredFired count their faults as
	// Scheduled and Fired do.
	Anchored          map[string]int `json:"anchored,omitempty"`
	AnchoredAs        []string       `json:"anchored_as,omitempty"`
	AnchoredScheduled int            `json:"anchored_scheduled,omitempty"`
	AnchoredFired     int            `json:"anchored_fired,omitempty"`
	// Scale is the time scale the scenario ran live with ("" for none:
	// its clients finish within --max-real unscaled), and ScaledSim the
	// simulator's verdict on the scaled world, which the live runs are
	// held to and which should be Sim.
	Scale     string `json:"scale,omitempty"`
	ScaledSim string `json:"scaled_sim,omitempty"`
}

// expected is the verdict the live runs are held to: the simulator's on
// the world they ran, scaled or not.
func (s svlScenario) expected() string {
	if s.Scale != "" {
		return s.ScaledSim
	}
	return s.Sim
}

// verdictOf is a report's verdict as the table prints it.
func verdictOf(rep *check.Report) string {
	var kinds []string
	for _, k := range check.Kinds {
		if rep.Counts[k] > 0 {
			kinds = append(kinds, string(k))
		}
	}
	if len(kinds) == 0 {
		return "holds"
	}
	return strings.Join(kinds, ",")
}

func simVsLiveCommand(args []string, stdout, stderr io.Writer) error {
	if slices.Contains(args, "--hosted") {
		return simVsLiveHostedCommand(args, stdout, stderr)
	}
	runs, out, maxReal := 20, filepath.Join("results", "sim-vs-live"), simVsLiveMaxReal
	var only []string
	tableOnly, ratesOnly, statements, runsGiven, ratesSeedsGiven := false, false, false, false, false
	ratesSeeds := uint64(20)
	edgesSeeds, edges := uint64(20), false
	for i := 0; i < len(args); i++ {
		a := args[i]
		value := func() (string, error) {
			if i+1 >= len(args) {
				return "", usagef("idemsim sim-vs-live: %s needs a value", a)
			}
			i++
			return args[i], nil
		}
		switch a {
		case "--help", "-h":
			_, err := io.WriteString(stdout, simVsLiveUsage)
			return err
		case "--runs":
			v, err := value()
			if err != nil {
				return err
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1000 {
				return usagef("idemsim sim-vs-live: --runs %q: want a whole number in [1, 1000]", v)
			}
			runs, runsGiven = n, true
		case "--statements":
			statements = true
		case "--out":
			v, err := value()
			if err != nil {
				return err
			}
			out = v
		case "--max-real":
			v, err := value()
			if err != nil {
				return err
			}
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return usagef("idemsim sim-vs-live: --max-real %q: want a Go duration > 0 like 30s", v)
			}
			maxReal = d
		case "--scenario":
			v, err := value()
			if err != nil {
				return err
			}
			if _, err := claims.Lookup(v); err != nil {
				return usagef("idemsim sim-vs-live: --scenario: %v", err)
			}
			only = append(only, v)
		case "--table-only":
			tableOnly = true
		case "--rates-only":
			ratesOnly = true
		case "--rates-seeds":
			v, err := value()
			if err != nil {
				return err
			}
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil || n < 1 || n > 1000 {
				return usagef("idemsim sim-vs-live: --rates-seeds %q: want a whole number in [1, 1000]", v)
			}
			ratesSeeds, ratesSeedsGiven = n, true
		case "--edges":
			edges = true
		case "--edges-seeds":
			v, err := value()
			if err != nil {
				return err
			}
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil || n < 1 || n > 1000 {
				return usagef("idemsim sim-vs-live: --edges-seeds %q: want a whole number in [1, 1000]", v)
			}
			edgesSeeds = n
		default:
			return usagef("idemsim sim-vs-live: unknown argument %q (see idemsim sim-vs-live --help)", a)
		}
	}
	if edges && (ratesOnly || len(only) > 0 || statements) {
		return usagef("idemsim sim-vs-live: --edges runs only the edge cases; it cannot go with --scenario, --rates-only or --statements")
	}
	if edges && tableOnly {
		return redrawEdgesTable(filepath.Join(filepath.Dir(filepath.Clean(out)), edgesName), maxReal)
	}
	if statements {
		if ratesOnly || ratesSeedsGiven {
			return usagef("idemsim sim-vs-live: --statements runs no rates: leave out --rates-only and --rates-seeds (accepted with --statements: --runs, --scenario, --out, --table-only, --max-real)")
		}
		if !runsGiven {
			runs = statementRuns
		}
		return statementsCommand(out, runs, only, tableOnly, maxReal, stderr)
	}
	if tableOnly {
		data, err := readSimVsLive(filepath.Join(out, "runs.json"))
		if err != nil {
			return err
		}
		return writeFileAtomic(filepath.Join(out, "table.md"), []byte(simVsLiveTable(data)))
	}
	if err := checkOutDir(out); err != nil {
		return usagef("idemsim sim-vs-live: --out %s: %v", out, err)
	}
	all, err := claims.All()
	if err != nil {
		return err
	}
	return withLiveServices(func(ctx context.Context, dsn string, rd *instance.Redis) error {
		if edges {
			return simVsLiveEdges(ctx, filepath.Join(filepath.Dir(filepath.Clean(out)), edgesName), edgesSeeds, maxReal, dsn, rd, stderr)
		}
		return simVsLiveAll(ctx, dsn, rd, all, out, runs, maxReal, only, ratesOnly, ratesSeeds, stderr)
	})
}

// simVsLiveAll runs the rates and the scenarios on PostgreSQL dsn and rd.
func simVsLiveAll(ctx context.Context, dsn string, rd *instance.Redis, all []claims.Claim, out string, runs int, maxReal time.Duration, only []string, ratesOnly bool, ratesSeeds uint64, stderr io.Writer) error {
	if ratesOnly || len(only) == 0 {
		ratesDir := filepath.Join(filepath.Dir(filepath.Clean(out)), "sim-vs-live-rates")
		if err := simVsLiveRates(ctx, ratesDir, ratesSeeds, dsn, rd, stderr); err != nil {
			return err
		}
		if ratesOnly {
			return nil
		}
	}
	data := simVsLive{Runs: runs}
	var kept map[string]svlScenario
	if len(only) > 0 {
		// Rerun only the named rows: the others stay as runs.json has them.
		prev, err := readSimVsLive(filepath.Join(out, "runs.json"))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err == nil && prev.Runs != runs {
			return usagef("idemsim sim-vs-live: --scenario with --runs %d, but %s has %d runs per scenario; give --runs %d or rerun everything", runs, filepath.Join(out, "runs.json"), prev.Runs, prev.Runs)
		}
		kept = map[string]svlScenario{}
		for _, row := range prev.Scenarios {
			kept[row.Name] = row
		}
	}
	for _, c := range all {
		for _, sc := range c.Scenarios {
			if sc.Script != "" {
				continue
			}
			if len(only) > 0 && !slices.Contains(only, sc.Name) {
				if row, ok := kept[sc.Name]; ok {
					data.Scenarios = append(data.Scenarios, row)
				}
				continue
			}
			row, err := simVsLiveScenario(ctx, sc, runs, maxReal, dsn, rd)
			if err != nil {
				return fmt.Errorf("idemsim sim-vs-live: scenario %s: %w", sc.Name, err)
			}
			fmt.Fprintf(stderr, "%-40s sim %-24s live %v %s", sc.Name, row.Sim, row.Live, row.Skipped)
			if row.Anchored != nil {
				fmt.Fprintf(stderr, " anchored %v", row.Anchored)
			}
			fmt.Fprintln(stderr)
			data.Scenarios = append(data.Scenarios, row)
			if ctx.Err() != nil {
				return fmt.Errorf("idemsim sim-vs-live: interrupted; nothing written")
			}
		}
	}
	js, err := json.MarshalIndent(data, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	return writeFilesAtomic(atomicfile.File{Path: filepath.Join(out, "runs.json"), Data: append(js, '\n')},
		atomicfile.File{Path: filepath.Join(out, "table.md"), Data: []byte(simVsLiveTable(data))})
}

// simVsLiveSim is a scenario's world and the simulator's verdict on it.
func simVsLiveSim(sc claims.Scenario) (world.Config, string, *world.Result, error) {
	st, err := configure(sc.Args)
	if err != nil {
		return world.Config{}, "", nil, err
	}
	res, err := world.Run(st.cfg)
	if err != nil {
		return world.Config{}, "", nil, err
	}
	rep := check.Audit(res)
	return st.cfg, verdictOf(&rep), res, nil
}

// liveSettle bounds how long a live run lets background workers go on
// after its clients finish: the simulator's default minute would make a
// run of a strategy with workers last a minute of real time.
const liveSettle = 5 * time.Second

// liveTwin is the world of a simulated scenario as it runs live, and when
// the simulated clients finished; or why it cannot run live as it is: a
// fault live mode does not inject, or clients that finish after more than
// maxReal (tooLong; a scaled world may still run).
func liveTwin(cfg world.Config, res *world.Result, maxReal time.Duration) (twin world.Config, clientsDone time.Duration, skipped string, tooLong bool) {
	if err := live.Check(&cfg); err != nil {
		return cfg, 0, strings.TrimPrefix(err.Error(), "live: "), false
	}
	clientsDone = clientsDoneAt(res)
	if clientsDone > maxReal {
		return cfg, clientsDone, fmt.Sprintf("its clients finish after %v of simulated time, more than %v of real time", clientsDone.Round(time.Millisecond), maxReal), true
	}
	cfg.Settle = min(cfg.Settle, liveSettle)
	return cfg, clientsDone, "", false
}

func simVsLiveScenario(ctx context.Context, sc claims.Scenario, runs int, maxReal time.Duration, dsn string, redis *instance.Redis) (svlScenario, error) {
	row := svlScenario{Name: sc.Name, Claim: sc.Claim, Args: sc.Args, Expect: sc.Expect.String()}
	cfg, verdict, res, err := simVsLiveSim(sc)
	if err != nil {
		return row, err
	}
	row.Sim = verdict
	cfg, clientsDone, skipped, tooLong := liveTwin(cfg, res, maxReal)
	switch {
	case tooLong:
		// Too long to wait out live: run it scaled (world.Config.Scaled).
		var why string
		if cfg, row.ScaledSim, clientsDone, why, err = scaledForLive(cfg, res, maxReal); err != nil || why != "" {
			row.Skipped = why
			return row, err
		}
		row.Scale = cfg.TimeScale.String()
		cfg.Settle = min(cfg.Settle, liveSettle)
	case skipped != "":
		row.Skipped = skipped
		return row, nil
	}
	scheduled := len(cfg.Faults.Replay) + len(cfg.Faults.Crashes) + len(cfg.Faults.Pauses)
	for _, cp := range cfg.Faults.CrashPoints {
		if cp.Nth > 0 {
			scheduled++
		}
	}
	lc := live.Config{World: cfg, PostgresDSN: dsn, Redis: redis, Limit: clientsDone*3 + 30*time.Second}
	timed, err := liveRuns(ctx, lc, runs, scheduled)
	if err != nil {
		return row, err
	}
	row.Live, row.Scheduled, row.Fired, row.Seconds = timed.verdicts, timed.scheduled, timed.fired, timed.seconds
	// The same world with its timed crashes and pauses anchored at the
	// simulator's steps (live.Anchor): what reality does in the window
	// the simulation puts them in.
	a, err := live.Anchor(cfg)
	if err != nil || len(a.Steps) == 0 {
		return row, err
	}
	lc.Steps = a.Steps
	anchored, err := liveRuns(ctx, lc, runs, scheduled)
	if err != nil {
		return row, err
	}
	for _, st := range a.Steps {
		row.AnchoredAs = append(row.AnchoredAs, st.String())
	}
	row.Anchored, row.AnchoredScheduled, row.AnchoredFired = anchored.verdicts, anchored.scheduled, anchored.fired
	return row, nil
}

// liveTally is what a scenario's live runs gave.
type liveTally struct {
	verdicts         map[string]int
	scheduled, fired int
	seconds          float64 // their mean real time
}

// liveRuns runs lc runs times; scheduled is how many faults each run's
// lists schedule.
func liveRuns(ctx context.Context, lc live.Config, runs, scheduled int) (liveTally, error) {
	t := liveTally{verdicts: map[string]int{}}
	replayed := len(lc.World.Faults.Replay)
	var total time.Duration
	for i := 0; i < runs && ctx.Err() == nil; i++ {
		lr, err := live.Run(ctx, lc)
		if err != nil {
			return t, err
		}
		timed := 0
		for _, f := range lr.Faults {
			switch f.Kind {
			case faults.CrashFault, faults.PauseFault, faults.CrashAtFault:
				timed++
			}
		}
		rep := check.Audit(lr.Result)
		v := verdictOf(&rep)
		if lr.Stop != live.StopDone {
			v += " (" + string(lr.Stop) + ")"
		}
		t.verdicts[v]++
		t.scheduled += scheduled
		t.fired += replayed - len(lr.Unfired) + min(timed, scheduled-replayed)
		total += lr.Elapsed
	}
	t.seconds = total.Seconds() / float64(runs)
	return t, nil
}

// simVsLiveNotes explain, per scenario, why live mode does not give the
// simulator's verdict in every run. Every scenario that disagrees in the
// committed results has one (TestSimVsLiveIsFresh).
var simVsLiveNotes = map[string]string{
	"early-409-first-crashes":       noteCrashWindow,
	"409-before-done-loses":         noteCrashWindow,
	"in-progress-409-without-lease": noteCrashWindow,
	"lock-without-ttl-holder-dies":  noteCrashWindow,
	"lock-lease-shorter-than-pause": notePauseWindow,
}

// The reasons shared by several scenarios.
const (
	noteCrashWindow = "the scenario crashes the first request's server 6.5 ms into the run, which in the simulation falls in the fraction of a millisecond between the handler claiming the key (a committed row, or a lock in Redis) and doing the work. Live, the crash timer fires up to about a millisecond late and the handler's first statements take a varying fraction of a millisecond, so the crash nearly always lands before the claim is made: no claim is left behind, the retry on the other server does the work once, and the run holds. The simulator's verdict needs that window; live timing hits it in the runs counted in the table."
	notePauseWindow = "the scenario freezes the lock's holder 7 ms into the run, which in the simulation falls after it took the lock and before it did the work. Live, the pause lands about a millisecond away from that, mostly once the handler has finished, so there is no work left to do twice when the 1 s lease runs out. The window is the same kind as the crash scenarios': a fraction of a millisecond that live timing rarely hits."
)

// disagrees reports whether s's live runs fall short: any run off the
// simulator's verdict where it finds none, fewer than 18 in 20 where it
// finds one.
func (s svlScenario) disagrees() bool {
	if s.Skipped != "" {
		return false
	}
	all := 0
	for _, c := range s.Live {
		all += c
	}
	n := s.Live[s.expected()]
	if s.expected() == "holds" {
		return n < all
	}
	return n*10 < all*9
}

// readSimVsLive reads runs.json.
func readSimVsLive(path string) (simVsLive, error) {
	return readSimVsLiveFile[simVsLive](path, maxFaultFile)
}

// readSimVsLiveFile reads one of sim-vs-live's JSON files, of at most
// limit bytes, refusing fields it does not know.
func readSimVsLiveFile[T any](path string, limit int64) (T, error) {
	return readResultJSON[T]("idemsim sim-vs-live", path, limit)
}

// readResultJSON reads a JSON file of results a command wrote, of at most
// limit bytes, refusing fields it does not know; cmd begins its errors.
func readResultJSON[T any](cmd, path string, limit int64) (T, error) {
	var data T
	text, err := inputfile.Read(path, limit)
	if err != nil {
		return data, fmt.Errorf("%s: %w", cmd, err)
	}
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&data); err != nil {
		return data, fmt.Errorf("%s: %s: %v", cmd, path, err)
	}
	return data, nil
}

// simVsLiveTable is table.md: drawn from runs.json alone.
func simVsLiveTable(data simVsLive) string {
	var b strings.Builder
	b.WriteString("# The simulator against live mode, per claim scenario\n\n")
	b.WriteString("Generated by `idemsim sim-vs-live` (`make sim-vs-live`) from `runs.json` beside it; do not edit.\n")
	fmt.Fprintf(&b, "Each claim scenario of kind run is simulated once and run live %d times\n", data.Runs)
	b.WriteString("(`idemsim live` on a throwaway PostgreSQL 15 and Redis 7). A verdict is the set of\n")
	b.WriteString("violation kinds the audit found, `holds` for none. *Agree* counts the live runs whose\n")
	b.WriteString("verdict is the simulator's; *fired* is the share of the faults the scenario's list\n")
	b.WriteString("scheduled that fired live, over all its runs. Live runs let background workers\n")
	fmt.Fprintf(&b, "settle for at most %v after the clients finish (the simulator's runs: a minute).\n\n", liveSettle)
	agree, ran, skipped, holdsRan, holdsAgree, breaksRan, breaksAgree := 0, 0, 0, 0, 0, 0, 0
	scheduled, fired := 0, 0
	for _, s := range data.Scenarios {
		if s.Skipped != "" {
			skipped++
			continue
		}
		ran++
		n := s.Live[s.expected()]
		all := 0
		for _, c := range s.Live {
			all += c
		}
		if n == all {
			agree++
		}
		if s.expected() == "holds" {
			holdsRan++
			if n == all {
				holdsAgree++
			}
		} else {
			breaksRan++
			if !s.disagrees() {
				breaksAgree++
			}
		}
		scheduled += s.Scheduled
		fired += s.Fired
	}
	fmt.Fprintf(&b, "Of %d scenarios, %d ran live and %d could not (the reason is in the table). ", len(data.Scenarios), ran, skipped)
	fmt.Fprintf(&b, "Where the simulator finds no violation, live agreed in every run for %d of %d scenarios; ", holdsAgree, holdsRan)
	fmt.Fprintf(&b, "where it finds one, live reproduced it in at least 90%% of the runs for %d of %d. ", breaksAgree, breaksRan)
	fmt.Fprintf(&b, "Every other scenario is explained under [Why live differs](#why-live-differs). ")
	if scaledRows(data) > 0 {
		fmt.Fprintf(&b, "A scenario whose clients would take hours ran with its long durations (retention, lease, timeout, deadline, downtimes) scaled by the factor its row names, the largest power of ten that ends it in seconds, in the simulator as live; its simulator verdict is the unscaled world's, and the scaled world's beside it when they differ. ")
	}
	if scheduled > 0 {
		fmt.Fprintf(&b, "Of %d scheduled faults, %d fired (%.1f%%).\n\n", scheduled, fired, 100*float64(fired)/float64(scheduled))
	} else {
		b.WriteString("No scenario scheduled a fault.\n\n")
	}
	anchoring := anchoredText(&b, data)
	b.WriteString("| scenario | claim | simulator | live agree | live otherwise | fired | mean live run |")
	if anchoring {
		b.WriteString(" anchored to the simulator's step |")
	}
	b.WriteString("\n|---|---:|---|---:|---|---:|---:|")
	if anchoring {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, s := range data.Scenarios {
		if s.Skipped != "" {
			fmt.Fprintf(&b, "| %s | %d | %s | not run: %s | | | |", s.Name, s.Claim, s.Sim, s.Skipped)
			if anchoring {
				b.WriteString(" |")
			}
			b.WriteString("\n")
			continue
		}
		agree, all, other := tallyVerdicts(s.Live, s.expected())
		firedText := "-"
		if s.Scheduled > 0 {
			firedText = fmt.Sprintf("%d/%d", s.Fired, s.Scheduled)
		}
		name, sim := s.Name, s.Sim
		if s.Scale != "" {
			name += " (time scale " + s.Scale + ")"
		}
		if s.expected() != s.Sim {
			sim += "; scaled: " + s.expected()
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %d/%d | %s | %s | %.1fs |", name, s.Claim, sim, agree, all, strings.Join(other, ", "), firedText, s.Seconds)
		if anchoring {
			fmt.Fprintf(&b, " %s |", s.anchoredCell())
		}
		b.WriteString("\n")
	}
	var noted []string
	for _, s := range data.Scenarios {
		if note := simVsLiveNotes[s.Name]; note != "" && s.disagrees() {
			noted = append(noted, fmt.Sprintf("- **%s**: %s%s\n", s.Name, note, s.anchoredNote()))
		}
	}
	if len(noted) > 0 {
		b.WriteString("\n## Why live differs\n\n")
		for _, n := range noted {
			b.WriteString(n)
		}
	}
	return b.String()
}

// anchoredText writes the paragraph on the anchored runs, when any
// scenario has them, and reports whether it did (the table then has their
// column).
func anchoredText(b *strings.Builder, data simVsLive) bool {
	n, agree := 0, 0
	for _, s := range data.Scenarios {
		if s.Anchored == nil {
			continue
		}
		n++
		if a, all, _ := tallyVerdicts(s.Anchored, s.expected()); a == all {
			agree++
		}
	}
	if n == 0 {
		return false
	}
	fmt.Fprintf(b, "A scenario that crashes or pauses a server at a moment is also run live %d more times with that fault\n", data.Runs)
	b.WriteString("fired at the step where the simulator had it instead (`idemsim live --anchor-to-sim`): after the\n")
	b.WriteString("same service call of the same handler, so that live timing cannot miss a window of a fraction of a\n")
	fmt.Fprintf(b, "millisecond. The last column counts those runs that agree; anchored, live gave the simulator's verdict in every run for %d of %d such scenarios.\n\n", agree, n)
	return true
}

// anchoredCell is the row's anchored runs: "20/20", "3/20 (holds 17)",
// with the share of their faults that fired when not all did; "-" when
// the scenario has no timed fault a handler was in.
func (s svlScenario) anchoredCell() string {
	if s.Anchored == nil {
		return "-"
	}
	agree, all, other := tallyVerdicts(s.Anchored, s.expected())
	cell := fmt.Sprintf("%d/%d", agree, all)
	if len(other) > 0 {
		cell += " (" + strings.Join(other, ", ") + ")"
	}
	if s.AnchoredFired < s.AnchoredScheduled {
		cell += fmt.Sprintf(", fired %d/%d", s.AnchoredFired, s.AnchoredScheduled)
	}
	return cell
}

// anchoredNote ends a disagreement's note with what the anchored runs
// gave, when the scenario has them.
func (s svlScenario) anchoredNote() string {
	if s.Anchored == nil {
		return ""
	}
	agree, all, _ := tallyVerdicts(s.Anchored, s.expected())
	return fmt.Sprintf(" Anchored at the simulator's step (%s), live gave its verdict in %d of %d runs.", strings.Join(s.AnchoredAs, "; "), agree, all)
}

// tallyVerdicts reads live runs counted by verdict against the
// simulator's: how many agree, how many there are, and the others as
// "holds 3", sorted.
func tallyVerdicts(counts map[string]int, sim string) (agree, all int, other []string) {
	for v, c := range counts {
		all += c
		if v != sim {
			other = append(other, fmt.Sprintf("%s %d", v, c))
		}
	}
	slices.Sort(other)
	return counts[sim], all, other
}

// The rates half of sim-vs-live: a few strategies under random faults,
// the same seeds simulated and live, as an experiment's cells (values
// "simulated" and "live") that the report draws like any other.

// ratesStrategies are the strategies (and levels) compared.
var ratesStrategies = []struct {
	name  string
	level string
}{
	{"naive", "read-committed"},
	{"txn-check-insert", "read-committed"},
	{"txn-check-insert", "serializable"},
	{"unique-409", "read-committed"},
	{"redis-presence", "read-committed"},
	{"stripe-replay", "read-committed"},
	{"early-409", "read-committed"},
}

// ratesWorld is the world of a rates cell for a seed: two workers racing
// on each operation, lost and duplicated messages, dropped database
// connections and lost commit acknowledgements, short enough live.
func ratesWorld(s api.Strategy, level api.Level, seed uint64) world.Config {
	cfg := world.Defaults()
	cfg.Strategy, cfg.Seed = s, seed
	cfg.DB.Isolation = level
	cfg.Servers, cfg.Clients, cfg.WorkersPerOp, cfg.OpsPerClient = 2, 8, 2, 5
	cfg.Client.Think = sim.Exp(50 * time.Millisecond)
	cfg.Faults.Link.DropResponseRate, cfg.Faults.Link.DuplicateRate, cfg.Faults.Link.ResetRate = 0.1, 0.05, 0.05
	cfg.Faults.DBDropConnectionRate, cfg.Faults.DBLostCommitAckRate = 0.02, 0.05
	cfg.Settle = liveSettle
	return cfg
}

// RatesExperiment is the rates half as an experiment: one cell per
// strategy, level and mode.
func ratesExperiment(seeds uint64) (*experiments.Experiment, error) {
	e := &experiments.Experiment{
		Name:        "sim-vs-live-rates",
		Description: "the same worlds simulated and run live: seven strategies, two workers racing on each operation, lost and duplicated messages, database connection drops and lost commit acknowledgements",
		Param:       "mode",
		ParamLabel:  "where the world ran",
		Values:      []experiments.Value{{Label: "simulated", X: 0}, {Label: "live", X: 1}},
		Seeds:       seeds,
	}
	for _, rs := range ratesStrategies {
		s, err := lookupStrategy(rs.name)
		if err != nil {
			return nil, err
		}
		level, err := parseLevel(rs.level)
		if err != nil {
			return nil, err
		}
		for v := range e.Values {
			e.Cells = append(e.Cells, experiments.Cell{Strategy: s, Level: level, Value: v,
				Config: func(seed uint64) world.Config { return ratesWorld(s, level, seed) }})
		}
	}
	return e, e.Validate()
}

// simVsLiveRates runs the rates cells: seeds 1..n of each, simulated and
// live, and writes the experiment's results into dir.
func simVsLiveRates(ctx context.Context, dir string, n uint64, dsn string, redis *instance.Redis, stderr io.Writer) error {
	e, err := ratesExperiment(n)
	if err != nil {
		return err
	}
	accs, err := runSimLiveCells(ctx, e, n, live.Config{PostgresDSN: dsn, Redis: redis, Limit: 2 * time.Minute}, 0, stderr)
	if err != nil {
		return err
	}
	return writeCells(dir, e, n, accs, nil)
}

// runSimLiveCells runs seeds 1..n of each cell of e, an experiment whose
// values are "simulated" and "live": the simulated cells in the
// simulator, the live ones by live.Run with base (its World set per seed,
// its Settle capped at settle unless 0).
func runSimLiveCells(ctx context.Context, e *experiments.Experiment, n uint64, base live.Config, settle time.Duration, stderr io.Writer) ([]*experiments.Acc, error) {
	begin := time.Now()
	accs := make([]*experiments.Acc, len(e.Cells))
	for i := range e.Cells {
		c := &e.Cells[i]
		acc := &experiments.Acc{}
		for seed := uint64(1); seed <= n; seed++ {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("idemsim sim-vs-live: interrupted; nothing written")
			}
			cfg := c.Config(seed)
			var res *world.Result
			if e.Values[c.Value].Label == "live" {
				if settle > 0 {
					cfg.Settle = min(cfg.Settle, settle)
				}
				lc := base
				lc.World = cfg
				lr, err := live.Run(ctx, lc)
				if err != nil {
					return nil, fmt.Errorf("idemsim sim-vs-live: %s seed %d: %w", c.Key(e), seed, err)
				}
				if lr.Stop != live.StopDone {
					fmt.Fprintf(stderr, "%s seed %d: the live run stopped early (%s)\n", c.Key(e), seed, lr.Stop)
				}
				res = lr.Result
			} else {
				var err error
				if res, err = world.Run(cfg); err != nil {
					return nil, err
				}
			}
			s := experiments.ReduceSeed(seed, res)
			acc.Add(&s)
		}
		accs[i] = acc
		fmt.Fprintf(stderr, "%-50s %d seeds, %d ops, duplicate %d, lost %d, orphan %d, stuck %d (%v so far)\n", c.Key(e), acc.Seeds, acc.Ops,
			acc.Counts[check.Duplicate.Index()], acc.Counts[check.Lost.Index()], acc.Counts[check.OrphanCharge.Index()],
			acc.Counts[check.Stuck.Index()], time.Since(begin).Round(time.Second))
	}
	return accs, nil
}

// writeCells writes an experiment's results over seeds 1..n into dir:
// cells.json and cells.csv, and the files more makes from the parsed
// results (nil: none), all or nothing.
func writeCells(dir string, e *experiments.Experiment, n uint64, accs []*experiments.Acc, more func(*report.Experiment) []atomicfile.File) error {
	js, err := e.EncodeJSON(n, accs)
	if err != nil {
		return err
	}
	csv, err := e.EncodeCSV(accs)
	if err != nil {
		return err
	}
	files := []atomicfile.File{{Path: filepath.Join(dir, "cells.json"), Data: js}, {Path: filepath.Join(dir, "cells.csv"), Data: csv}}
	if more != nil {
		x, err := report.ParseExperiment(js)
		if err != nil {
			return err
		}
		files = append(files, more(x)...)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return writeFilesAtomic(files...)
}
