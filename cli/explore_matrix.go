package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/experiments"
	"github.com/idemsim/idemsim/explore"
	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/atomicfile"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/shrink"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// idemsim explore --matrix DIR: issue 20's evidence in one command. Every
// (strategy, level) models.CorrectAt lists is searched to exhaustion and
// must show no violation; every other (strategy, level), and every broken
// variant of models.BrokenVariants, must be caught, with a counterexample
// no larger in faults than the one idemsim shrink makes of the first chaos
// seed that catches it (as TestBrokenVariantsAreCaught finds it). The
// results are DIR/runs.json, DIR/table.md drawn from it alone, and each
// catch's scenario, summary and sequence diagram under DIR/<row>/.

// The matrix's world: the smallest, with two workers per
// operation so that a key is in flight twice at once (the chaos draws one
// or two; two is the case the in-progress answers exist for). Two clients
// working one queue make one business operation in all: a mistake that
// needs two keys (stripe-replay/replay-wrong-key) cannot show in it.
const (
	matrixServers = 2
	matrixClients = 2
	matrixOps     = 1
	matrixWorkers = 2
)

// The matrix's bounds. A correct pair is exhausted at 2 faults and 1
// delay; a wrong one must be caught at 2 faults and 2 delays. The run caps
// stand for the time limits (5 minutes for a correct pair, 60
// seconds for a wrong one, on one core): at the 4,000 to 7,000 runs/s one
// core makes here they are about those times, and a search that reaches
// its cap is a row that says so (cut). The seconds are recorded but judge
// nothing: on a shared machine they measure the load as much as the
// search, and the verdict must not depend on it.
var (
	matrixCorrectBounds = explore.Bounds{Faults: 2, Delays: 1, Runs: 2_000_000}
	matrixWrongBounds   = explore.Bounds{Faults: 2, Delays: 2, Runs: 300_000}
)

// matrixChaosSeeds and matrixShrinkRuns are how a wrong pair's chaos
// counterexample is found and shrunk: TestBrokenVariantsAreCaught's 2,000
// seeds and 3,000 runs.
const (
	matrixChaosSeeds = 2000
	matrixShrinkRuns = 3000
)

// The kinds of row.
const (
	matrixCorrect = "correct"
	matrixWrong   = "wrong"
	matrixBroken  = "broken"
)

var matrixKinds = []string{matrixCorrect, matrixWrong, matrixBroken}

// evidenceOptions are explore's flags of this file: --out-dir, and the
// matrix's.
type evidenceOptions struct {
	outDir string
	matrix matrixOptions
}

// matrixOptions are the flags of --matrix.
type matrixOptions struct {
	dir      string
	only     []string // row kinds, nil: all
	faults   int      // the correct rows' fault bound, 0: matrixCorrectBounds'
	parallel int
	redraw   bool // draw table.md again from runs.json, searching nothing
	// firstLevel keeps, of the correct rows, each strategy's first level
	// where it is correct (make verify's share).
	firstLevel bool
}

// given reports whether any flag of the matrix was given.
func (o *matrixOptions) given() bool {
	return o.dir != "" || o.only != nil || o.faults > 0 || o.parallel > 0 || o.redraw || o.firstLevel
}

// addEvidenceFlags adds --out-dir and the flags of explore --matrix to fs.
func addEvidenceFlags(fs *flagSet, e *evidenceOptions) {
	fs.add("out-dir", "DIR", "write the first counterexample's files into DIR: "+outScenario+" (the scenario file), and, from its replay, "+outSummary+", "+outTimeline+", "+outFaults+", the sequence diagram ("+outSVG+", "+outPNG+") and "+outShrunk+" when idemsim shrink makes it smaller", dirValue(&e.outDir))
	o := &e.matrix
	fs.add("matrix", "DIR", "search issue 20's matrix instead of one world (every correct (strategy, level) of models.CorrectAt exhausted, every wrong one and every broken variant caught) and write DIR/runs.json, DIR/table.md and each catch's files under DIR; exit status 1 below the issue's bars", dirValue(&o.dir))
	fs.add("matrix-only", "KINDS", "with --matrix, only these rows: a comma-separated list of "+strings.Join(matrixKinds, ", ")+" (default all)", func(s string) error {
		var kinds []string
		for _, k := range strings.Split(s, ",") {
			if !slices.Contains(matrixKinds, k) || slices.Contains(kinds, k) {
				return fmt.Errorf("%q (accepted: a comma-separated list of %s, each once)", k, strings.Join(matrixKinds, ", "))
			}
			kinds = append(kinds, k)
		}
		o.only = kinds
		return nil
	})
	fs.add("matrix-correct-faults", "K", fmt.Sprintf("with --matrix, the fault bound of the correct rows (default %d; the nightly proof uses 3)", matrixCorrectBounds.Faults), intIn(&o.faults, 1, 8)).accepts = "1 to 8"
	fs.add("matrix-first-level", "", "with --matrix, of the correct rows only each strategy's first level where it is correct (make verify's share; the other rows are make explore-nightly's)", boolValue(&o.firstLevel))
	fs.add("matrix-redraw", "", "with --matrix, draw DIR/table.md again from DIR/runs.json (writing runs.json back as a search does) and search nothing", boolValue(&o.redraw))
	fs.add("matrix-parallel", "N", "with --matrix, rows searched at once, each on one core (default the number of cores)", intIn(&o.parallel, 1, 256)).accepts = "1 to 256"
}

// dirValue stores a directory path that exists or can be made.
func dirValue(dst *string) func(string) error {
	return func(s string) error {
		if s == "" {
			return fmt.Errorf("empty path (accepted: a directory that exists or whose parent does)")
		}
		if err := checkOutDir(s); err != nil {
			return fmt.Errorf("%s: %v (accepted: a directory that exists or whose parent does)", s, err)
		}
		*dst = s
		return nil
	}
}

// matrixRow is one row of the matrix: what was searched and what came of
// it.
type matrixRow struct {
	Kind     string `json:"kind"`
	Strategy string `json:"strategy"` // a broken variant's is base/mistake
	Level    string `json:"level"`
	Mistake  string `json:"mistake,omitempty"`
	// The world: the matrix's sizes, and the work (local or charge).
	Servers int    `json:"servers"`
	Clients int    `json:"clients"`
	Ops     int    `json:"ops_per_client"`
	Workers int    `json:"workers_per_op"`
	Work    string `json:"work"`
	Seed    uint64 `json:"seed"`

	Bounds    explore.Bounds `json:"bounds"`
	Menu      string         `json:"menu"`
	Schedules int            `json:"schedules"`
	Runs      int            `json:"runs"`
	States    int            `json:"final_states"`
	Faults    int            `json:"fault_points"`
	Delays    int            `json:"delay_points"`
	Ties      int            `json:"ties"`
	Seconds   float64        `json:"seconds"`
	// Outcome is exhausted (no violation within the bounds), cut (the run
	// cap stopped the search first) or caught.
	Outcome string        `json:"outcome"`
	Found   *matrixFound  `json:"found,omitempty"`
	Shrink  *matrixShrink `json:"shrink,omitempty"`
	// Failure says why the row is below the bar; "" when it meets
	// it.
	Failure string `json:"failure,omitempty"`
}

// matrixFound is a wrong row's counterexample.
type matrixFound struct {
	Faults     int      `json:"faults"`
	Delays     int      `json:"delays"`
	Violations []string `json:"violations"`
	TraceHash  string   `json:"trace_hash"`
	// Dir holds its files, relative to the matrix's directory.
	Dir string `json:"dir"`
}

// matrixShrink is what idemsim shrink makes of the first chaos seed that
// catches a wrong row's strategy.
type matrixShrink struct {
	ChaosSeed uint64 `json:"chaos_seed,omitempty"`
	Kind      string `json:"kind,omitempty"`
	Faults    int    `json:"faults"`
	Clients   int    `json:"clients"`
	Servers   int    `json:"servers"`
	Ops       int    `json:"ops_per_client"`
	Runs      int    `json:"runs"`
	// Missing says why there is no shrink to compare with (the chaos
	// never caught the strategy in its seeds).
	Missing string `json:"missing,omitempty"`
}

// matrixData is runs.json.
type matrixData struct {
	// Bounds of the correct rows and of the others.
	Correct explore.Bounds `json:"correct_bounds"`
	Wrong   explore.Bounds `json:"wrong_bounds"`
	Rows    []matrixRow    `json:"rows"`
}

// matrixCase is a row to search: its strategy and level, and the world
// tweak of a broken variant.
type matrixCase struct {
	kind     string
	strategy api.Strategy
	level    api.Level
	mistake  string
	world    func(*world.Config)
}

// matrixCases are the rows, in order: every registered strategy at each of
// its levels (correct or wrong as models.CorrectAt says), then the broken
// variants.
func matrixCases() []matrixCase {
	var out []matrixCase
	for _, s := range models.All() {
		for _, l := range models.LevelsOf(s) {
			k := matrixWrong
			if models.IsCorrectAt(s.Name, l) {
				k = matrixCorrect
			}
			out = append(out, matrixCase{kind: k, strategy: s, level: l})
		}
	}
	for _, v := range models.BrokenVariants() {
		c := matrixCase{kind: matrixBroken, strategy: v.Strategy, level: world.Defaults().DB.Isolation, mistake: v.Mistake, world: v.World}
		if v.World != nil {
			cfg := world.Defaults()
			v.World(&cfg)
			c.level = cfg.DB.Isolation
		}
		out = append(out, c)
	}
	return out
}

// key names a row: kind, strategy and level.
func (c matrixCase) key() string { return c.kind + " " + c.strategy.Name + " " + c.level.Slug() }

func (r matrixRow) key() string { return r.Kind + " " + r.Strategy + " " + r.Level }

// slug is the row's directory name.
func (r matrixRow) slug() string {
	return strings.ReplaceAll(r.Strategy, "/", "-") + "-" + r.Level
}

// config is the world the row's search explores.
func (c matrixCase) config() world.Config {
	cfg := world.Defaults()
	cfg.Strategy = c.strategy
	cfg.Servers, cfg.Clients, cfg.OpsPerClient, cfg.WorkersPerOp = matrixServers, matrixClients, matrixOps, matrixWorkers
	if c.world != nil {
		c.world(&cfg)
	}
	cfg.DB.Isolation = c.level
	return cfg
}

// setup is the row's world as idemsim explore's command line would give
// it, for the scenario file and the replay command.
func (c matrixCase) setup() *exploreSetup {
	cfg := c.config()
	given := []string{"--strategy", c.strategy.Name, "--isolation", c.level.Slug(), "--workers-per-op", strconv.Itoa(cfg.WorkersPerOp)}
	return &exploreSetup{cfg: cfg, given: given}
}

// chaosConfig is the chaos world of the row's strategy at seed, as the
// chaos and broken tests build it.
func (c matrixCase) chaosConfig(seed uint64) world.Config {
	cfg := experiments.Chaos(c.strategy, seed)
	cfg.DB.Isolation = c.level
	if c.world != nil {
		c.world(&cfg)
	}
	return cfg
}

// menu is the row's fault menu: every kind for a row that must be caught;
// the kinds decided at a message or a call for a proof, which the timed
// kinds would make about seven times longer (TestTimedCorrectStrategiesHold
// holds the correct strategies against them at one fault).
func (c matrixCase) menu() explore.Menu {
	if c.kind == matrixCorrect {
		return explore.MessageFaults()
	}
	return explore.AllFaults()
}

// bounds are the row's bounds, with the correct rows' fault bound
// replaced when asked.
func (c matrixCase) bounds(o *matrixOptions) explore.Bounds {
	if c.kind != matrixCorrect {
		return matrixWrongBounds
	}
	b := matrixCorrectBounds
	if o.faults > 0 {
		b.Faults = o.faults
	}
	return b
}

// writeOutDirOf writes --out-dir's files for a search that found a
// counterexample, and says so.
func writeOutDirOf(st *exploreSetup, res *explore.Result, stdout io.Writer) error {
	dir := st.o.evidence.outDir
	if dir == "" || res.Found == nil {
		return nil
	}
	wrote, err := writeCounterexampleDir(dir, st, res, false)
	if err != nil {
		return fmt.Errorf("idemsim explore: --out-dir %s: %w", dir, err)
	}
	_, err = fmt.Fprintf(stdout, "wrote      %s: %s\n", dir, strings.Join(wrote, ", "))
	return err
}

// cases are the rows the options select, in the matrix's order.
func (o *matrixOptions) cases() []matrixCase {
	var cases []matrixCase
	proven := map[string]bool{} // strategies with a correct row kept
	for _, c := range matrixCases() {
		if o.only != nil && !slices.Contains(o.only, c.kind) {
			continue
		}
		if o.firstLevel && c.kind == matrixCorrect {
			if proven[c.strategy.Name] {
				continue
			}
			proven[c.strategy.Name] = true
		}
		cases = append(cases, c)
	}
	return cases
}

// matrixCommand is explore --matrix: the world flags, the bounds and the
// menu are the matrix's own.
func matrixCommand(st *exploreSetup, stdout io.Writer) error {
	o := &st.o.evidence.matrix
	if o.dir == "" {
		return usagef("idemsim explore: --matrix-only, --matrix-correct-faults, --matrix-first-level, --matrix-parallel and --matrix-redraw need --matrix DIR (accepted: --matrix DIR with any of them)")
	}
	defaults := exploreOptions{bounds: explore.Bounds{Faults: 1, Runs: 1_000_000}, menu: explore.AllFaults()}
	if len(st.given) > 0 || st.o.out != "" || st.o.evidence.outDir != "" || st.o.bounds != defaults.bounds || st.o.menu != defaults.menu {
		return usagef("idemsim explore: --matrix sets its own worlds, bounds and files (accepted with it: --matrix-only, --matrix-correct-faults, --matrix-parallel)")
	}
	if o.redraw {
		return matrixRedraw(o.dir, stdout)
	}
	cases := o.cases()
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return fmt.Errorf("idemsim explore: --matrix %s: %v", o.dir, err)
	}
	rows := make([]matrixRow, len(cases))
	errs := make([]error, len(cases))
	workers := o.parallel
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// Rows run at once, each search on one goroutine; what they find does
	// not depend on the order they finish in (only the seconds do), and
	// they are reported in the cases' order.
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	for range min(workers, len(cases)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(cases) {
					return
				}
				rows[i], errs[i] = matrixSearch(cases[i], o)
				mu.Lock()
				fmt.Fprintln(stdout, matrixLine(&rows[i], errs[i]))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("idemsim explore: --matrix: %v", err)
	}
	data := matrixData{Correct: matrixCorrectBounds, Wrong: matrixWrongBounds, Rows: rows}
	if o.faults > 0 {
		data.Correct.Faults = o.faults
	}
	if err := writeMatrix(o.dir, &data); err != nil {
		return fmt.Errorf("idemsim explore: --matrix %s: %w", o.dir, err)
	}
	fmt.Fprintf(stdout, "wrote      %s: runs.json, table.md\n", o.dir)
	if failed := matrixFailures(&data); len(failed) > 0 {
		return &counterexampleError{fmt.Sprintf("idemsim explore --matrix: %s below the issue's bar: %s", plural(len(failed), "row"), strings.Join(failed, "; "))}
	}
	return nil
}

// matrixRedraw draws dir/table.md again from dir/runs.json, and writes
// runs.json back as a search writes it.
func matrixRedraw(dir string, stdout io.Writer) error {
	d, err := readMatrix(filepath.Join(dir, "runs.json"))
	if err != nil {
		return fmt.Errorf("idemsim explore: --matrix-redraw: %v", err)
	}
	if err := writeMatrix(dir, d); err != nil {
		return fmt.Errorf("idemsim explore: --matrix-redraw: %w", err)
	}
	_, err = fmt.Fprintf(stdout, "wrote      %s: runs.json, table.md\n", dir)
	return err
}

// writeMatrix writes dir/runs.json and dir/table.md from d, together and
// atomically, and prunes the diagrams the table does not keep: a search
// and a redraw (of rows gathered from several searches) leave the same
// files.
func writeMatrix(dir string, d *matrixData) error {
	js, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	err = writeFilesAtomic(atomicfile.File{Path: filepath.Join(dir, "runs.json"), Data: append(js, '\n')},
		atomicfile.File{Path: filepath.Join(dir, "table.md"), Data: []byte(matrixTable(d))})
	if err != nil {
		return err
	}
	return pruneDiagrams(dir, d)
}

// drawn reports whether row i keeps its diagram: the first catch of each
// strategy does. The same strategy caught at another level is most often
// the same story, and the committed pictures (100 to 300 KB each) would
// otherwise be most of the matrix's size; the others keep their text
// files, from which idemsim run --out draws theirs.
func drawn(d *matrixData, i int) bool {
	for _, r := range d.Rows[:i] {
		if r.Found != nil && r.Strategy == d.Rows[i].Strategy {
			return false
		}
	}
	return d.Rows[i].Found != nil
}

// pruneDiagrams removes the diagrams of the catches that do not keep
// theirs (drawn).
func pruneDiagrams(dir string, d *matrixData) error {
	for i, r := range d.Rows {
		if r.Found == nil || drawn(d, i) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, r.Found.Dir, outPNG)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// readMatrix reads a matrix's runs.json, refusing unknown fields.
func readMatrix(path string) (*matrixData, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var d matrixData
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("%s: %v (accepted: the runs.json idemsim explore --matrix writes)", path, err)
	}
	return &d, nil
}

// matrixLine is the progress line of a row.
func matrixLine(r *matrixRow, err error) string {
	if err != nil {
		return fmt.Sprintf("error      %s %s: %v", r.Strategy, r.Level, err)
	}
	line := fmt.Sprintf("%-9s  %s at %s: %s, %s in %.1fs", r.Kind, r.Strategy, r.Level, r.Outcome, plural(r.Schedules, "schedule"), r.Seconds)
	if r.Failure != "" {
		line += ": BELOW THE BAR: " + r.Failure
	}
	return line
}

// matrixFailures are the rows below the bar, each with its reason.
func matrixFailures(d *matrixData) []string {
	var out []string
	for _, r := range d.Rows {
		if r.Failure != "" {
			out = append(out, fmt.Sprintf("%s at %s: %s", r.Strategy, r.Level, r.Failure))
		}
	}
	return out
}

// matrixSearch searches one row and, for a catch, writes its files and
// shrinks the chaos's counterexample to compare.
func matrixSearch(c matrixCase, o *matrixOptions) (matrixRow, error) {
	st := c.setup()
	cfg := &st.cfg
	r := matrixRow{Kind: c.kind, Strategy: c.strategy.Name, Level: c.level.Slug(), Mistake: c.mistake,
		Servers: cfg.Servers, Clients: cfg.Clients, Ops: cfg.OpsPerClient, Workers: cfg.WorkersPerOp, Work: "local", Seed: cfg.Seed}
	if cfg.Charges() {
		r.Work = "charge"
	}
	menu := c.menu()
	start := time.Now() // the row's seconds only; the search never reads it
	res, err := explore.Search(*cfg, explore.Options{Menu: menu, Bounds: c.bounds(o)})
	if err != nil {
		return r, err
	}
	r.Seconds = time.Since(start).Round(10 * time.Millisecond).Seconds()
	r.Bounds, r.Menu = res.Bounds, res.Menu.String()
	r.Schedules, r.Runs, r.States = res.Schedules, res.Runs, res.States
	r.Faults, r.Delays, r.Ties = res.FaultPoints, res.DelayPoints, res.Ties
	switch {
	case res.Found != nil:
		r.Outcome = "caught"
	case res.Cut:
		r.Outcome = "cut"
	default:
		r.Outcome = "exhausted"
	}
	if f := res.Found; f != nil {
		r.Found = &matrixFound{Faults: len(f.Faults), Delays: len(f.Trail.Delays), Violations: f.Violations,
			TraceHash: fmt.Sprintf("%016x", f.TraceHash), Dir: r.slug()}
		if _, err := writeCounterexampleDir(filepath.Join(o.dir, r.slug()), st, res, true); err != nil {
			return r, err
		}
	}
	if c.kind == matrixCorrect {
		switch {
		case r.Outcome == "caught":
			r.Failure = "a counterexample in a (strategy, level) models.CorrectAt calls correct: " + strings.Join(r.Found.Violations, "; ")
		case r.Outcome == "cut":
			r.Failure = fmt.Sprintf("not exhausted within %d runs", r.Bounds.Runs)
		}
		return r, nil
	}
	if r.Shrink, err = chaosShrink(c); err != nil {
		return r, err
	}
	switch {
	case r.Found == nil && r.Outcome == "cut":
		r.Failure = fmt.Sprintf("not caught within %d runs: the search was cut before the bounds were covered", r.Bounds.Runs)
	case r.Found == nil:
		r.Failure = "not caught: no schedule within the bounds shows a violation"
	case r.Shrink.Missing == "" && r.Found.Faults > r.Shrink.Faults:
		// The shrunk run's latencies are all drawn from its seed, which
		// the explorer would count as delays; the bar counts faults.
		r.Failure = fmt.Sprintf("the counterexample has %s and %s, idemsim shrink's %s (every latency drawn from the chaos seed)",
			plural(r.Found.Faults, "fault"), plural(r.Found.Delays, "delay"), plural(r.Shrink.Faults, "fault"))
	}
	return r, nil
}

// chaosShrink finds the first chaos seed that catches the row's strategy,
// as the chaos and broken tests do (a duplicate, a lost operation or a
// wrong answer; stuck too for models.StuckIsCaught), and shrinks it.
func chaosShrink(c matrixCase) (*matrixShrink, error) {
	caught := func(r experiments.SeedResult) bool {
		return r.Counts[check.Duplicate.Index()] > 0 || r.Counts[check.Lost.Index()] > 0 || r.Counts[check.WrongAnswer.Index()] > 0 ||
			models.StuckIsCaught[c.strategy.Name] && r.Counts[check.Stuck.Index()] > 0
	}
	var first *experiments.SeedResult
	for from := uint64(1); from <= matrixChaosSeeds && first == nil; from += 100 {
		err := experiments.SweepConfigs(c.chaosConfig, from, min(100, matrixChaosSeeds-from+1), 1, func(r experiments.SeedResult) {
			if first == nil && caught(r) {
				first = &r
			}
		})
		if err != nil {
			return nil, err
		}
	}
	if first == nil {
		return &matrixShrink{Missing: fmt.Sprintf("the chaos did not catch it in %d seeds", matrixChaosSeeds)}, nil
	}
	res, err := shrink.Minimize(c.chaosConfig(first.Seed), "", matrixShrinkRuns)
	if err != nil {
		return nil, fmt.Errorf("shrinking chaos seed %d of %s at %s: %v", first.Seed, c.strategy.Name, c.level.Slug(), err)
	}
	return &matrixShrink{ChaosSeed: first.Seed, Kind: string(res.Kind), Faults: res.To.Faults, Clients: res.To.Clients,
		Servers: res.To.Servers, Ops: res.To.Ops, Runs: res.Runs}, nil
}

// The files a counterexample's directory holds beside run --out's.
const (
	outScenario = "scenario.txt" // the counterexample as a scenario file
	outShrunk   = "shrunk.txt"   // the shrinker's smaller run, when it finds one
)

// writeCounterexampleDir writes res.Found into dir: the scenario file, the
// run replayed from it with run --out's files (summary, timeline, fault
// list and, as the run broke a rule, the sequence diagram), and the
// shrinker's result when it makes the run smaller. committed keeps only
// the PNG of the diagram (the SVG and porcupine's page are the same
// picture at several times the size). It returns the names it wrote.
func writeCounterexampleDir(dir string, st *exploreSetup, res *explore.Result, committed bool) ([]string, error) {
	c := res.Found
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := writeFileAtomic(filepath.Join(dir, outScenario), []byte(exploreScenario(st, searchHeader(res), res.Found))); err != nil {
		return nil, err
	}
	wrote := []string{outScenario}
	cfg := replayConfig(st.cfg, c.Faults)
	cfg.KeepTrace = true // the diagram and the timeline are drawn from it
	rp := explore.NewReplay(cfg.Seed, c.Trail)
	run, err := world.RunWith(cfg, rp)
	if err != nil {
		return wrote, err
	}
	if why := rp.Diverged(); why != "" || run.TraceHash != c.TraceHash {
		return wrote, fmt.Errorf("the counterexample does not replay (trace %016x, explored %016x; %s): a bug", run.TraceHash, c.TraceHash, orNone(why))
	}
	command := "idemsim run " + strings.Join(replayFlags(st, c), " ")
	rep := check.Audit(run)
	lin, linErr := check.Linearize(run, check.DefaultTimeout)
	var summary bytes.Buffer
	printSummary(&summary, command, run, &rep, &lin, linErr, 3)
	names, err := writeOutDir(dir, command, run, &rep, &lin, nil, summary.Bytes())
	wrote = append(wrote, names...)
	if err != nil {
		return wrote, err
	}
	if committed {
		kept := wrote[:0]
		for _, name := range wrote {
			if name == outSVG || name == outLinear {
				if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
					return kept, err
				}
				continue
			}
			kept = append(kept, name)
		}
		wrote = kept
	}
	shrunk, why := shrinkCounterexample(st, c)
	if shrunk == "" {
		if committed {
			// A shrink the last command found and this one did not.
			if err := os.Remove(filepath.Join(dir, outShrunk)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return wrote, err
			}
		}
		return wrote, writeFileAtomic(filepath.Join(dir, outSummary), append(summary.Bytes(), []byte("shrink     "+why+"\n")...))
	}
	if err := writeFileAtomic(filepath.Join(dir, outShrunk), []byte(shrunk)); err != nil {
		return wrote, err
	}
	return append(wrote, outShrunk), nil
}

// replayConfig is cfg with its random faults off and exactly list
// injected, as idemsim run --fault sets it.
func replayConfig(cfg world.Config, list []faults.Fault) world.Config {
	p := cfg.Faults
	cfg.Faults = faults.Plan{Link: faults.Link{Delay: p.Link.Delay}, ServiceLink: faults.Link{Delay: p.ServiceLink.Delay}, Links: p.Links, Downtime: p.Downtime,
		Replay: append([]faults.Fault{}, list...)}
	return cfg
}

// shrinkCounterexample hands the counterexample's faults to the shrinker
// and returns its smaller run as text, or "" and why there is none. The
// shrinker runs worlds from their seed, not from a choice trail, so it
// takes only a counterexample without delays, and only when the run from
// the seed with the same faults still shows the violation.
func shrinkCounterexample(st *exploreSetup, c *explore.Counterexample) (string, string) {
	if len(c.Trail.Delays) > 0 || len(c.Trail.Ties) > 0 {
		return "", "not shrunk: the shrinker replays faults from the seed and cannot keep the choice trail's delays"
	}
	cfg := replayConfig(st.cfg, c.Faults)
	res, err := shrink.Minimize(cfg, "", matrixShrinkRuns)
	if errors.Is(err, shrink.ErrNoViolation) {
		return "", "not shrunk: from the seed's latencies (not the medians) the same faults show no violation"
	}
	if err != nil {
		return "", "not shrunk: " + err.Error()
	}
	if !smaller(res.To, res.From) {
		return "", fmt.Sprintf("not shrunk: the shrinker keeps it as it is (%v)", res.To)
	}
	return fmt.Sprintf("# idemsim shrink made the counterexample smaller: %v -> %v (%s, %d runs).\n# Replay: idemsim run %s\n",
		res.From, res.To, res.Kind, res.Runs, strings.Join(minimalFlags(st.given, st.cfg, res), " ")), ""
}

// smaller reports whether a is smaller than b in some size and no larger
// in any.
func smaller(a, b shrink.Size) bool {
	if a.Faults > b.Faults || a.Clients > b.Clients || a.Servers > b.Servers || a.Ops > b.Ops {
		return false
	}
	return a.Faults < b.Faults || a.Clients < b.Clients || a.Servers < b.Servers || a.Ops < b.Ops
}

// matrixTable is table.md, drawn from runs.json alone.
func matrixTable(d *matrixData) string {
	var b strings.Builder
	b.WriteString("# Issue 20's matrix: `idemsim explore --matrix`\n\n")
	b.WriteString("Drawn from runs.json by `make explore-results` (do not edit). Every world has ")
	if len(d.Rows) > 0 {
		r := d.Rows[0]
		fmt.Fprintf(&b, "%s and %s, %d of them working each queue of %s (so %s in all, each delivered by %d clients at once), run's default attempt budget, seed %d. ",
			plural(r.Servers, "server"), plural(r.Clients, "client"), r.Workers, plural(r.Ops, "operation"), plural(r.Clients/r.Workers*r.Ops, "operation"), r.Workers, r.Seed)
	}
	fmt.Fprintf(&b, "A correct (strategy, level) is searched over the kinds decided at a message or a call (%s) at faults <= %d and delays <= %d (cut at %d runs); a wrong one and a broken variant over every kind (%s) at faults <= %d and delays <= %d (cut at %d runs), and its counterexample is compared with what idemsim shrink makes of the first of %d chaos seeds that catches it.\n\n",
		explore.MessageFaults(), d.Correct.Faults, d.Correct.Delays, d.Correct.Runs, explore.AllFaults(), d.Wrong.Faults, d.Wrong.Delays, d.Wrong.Runs, matrixChaosSeeds)
	failed := matrixFailures(d)
	if len(failed) == 0 {
		b.WriteString("Every row meets the issue's bar.\n\n")
	} else {
		fmt.Fprintf(&b, "**%s below the bar:** %s.\n\n", plural(len(failed), "row"), strings.Join(failed, "; "))
	}
	for _, kind := range matrixKinds {
		var rows []matrixRow
		for _, r := range d.Rows {
			if r.Kind == kind {
				rows = append(rows, r)
			}
		}
		if len(rows) == 0 {
			continue
		}
		switch kind {
		case matrixCorrect:
			b.WriteString("## Correct: exhausted with no violation\n\n")
			b.WriteString("| strategy | level | work | outcome | schedules | runs | final states | fault points | delay points | ties | seconds | bar |\n|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n")
			for _, r := range rows {
				fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %d | %d | %d | %d | %d | %.1f | %s |\n",
					r.Strategy, r.Level, r.Work, r.Outcome, r.Schedules, r.Runs, r.States, r.Faults, r.Delays, r.Ties, r.Seconds, matrixBar(r))
			}
		default:
			if kind == matrixWrong {
				b.WriteString("\n## Wrong: caught, against idemsim shrink\n\n")
			} else {
				b.WriteString("\n## Broken variants (models.BrokenVariants): caught, against idemsim shrink\n\n")
			}
			b.WriteString("| strategy | level | outcome | counterexample | violation | schedules | runs | seconds | idemsim shrink (chaos seed) | files | bar |\n|---|---|---|---|---|---:|---:|---:|---|---|---|\n")
			for _, r := range rows {
				cx, v, files := "none", "-", "-"
				if f := r.Found; f != nil {
					cx = plural(f.Faults, "fault") + ", " + plural(f.Delays, "delay")
					v = matrixViolation(f.Violations)
					files = fmt.Sprintf("[scenario](%s/%s)", f.Dir, outScenario)
					if drawn(d, slices.IndexFunc(d.Rows, func(x matrixRow) bool { return x.key() == r.key() })) {
						files += fmt.Sprintf(", [diagram](%s/%s)", f.Dir, outPNG)
					}
				}
				name := r.Strategy
				if r.Mistake != "" {
					name += ": " + r.Mistake
				}
				fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %d | %d | %.1f | %s | %s | %s |\n",
					name, r.Level, r.Outcome, cx, v, r.Schedules, r.Runs, r.Seconds, matrixShrinkCell(r.Shrink), files, matrixBar(r))
			}
		}
	}
	return b.String()
}

// matrixViolation is a counterexample's first violation, shortened for a
// table cell.
func matrixViolation(v []string) string {
	if len(v) == 0 {
		return "-"
	}
	s := strings.ReplaceAll(v[0], "|", "/")
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	if len(v) > 1 {
		s += fmt.Sprintf(" (+%d)", len(v)-1)
	}
	return s
}

func matrixShrinkCell(s *matrixShrink) string {
	switch {
	case s == nil:
		return "-"
	case s.Missing != "":
		return s.Missing
	}
	return fmt.Sprintf("%s, %s, %s, %s each: %s (%d)", plural(s.Faults, "fault"), plural(s.Clients, "client"), plural(s.Servers, "server"), plural(s.Ops, "op"), s.Kind, s.ChaosSeed)
}

func matrixBar(r matrixRow) string {
	if r.Failure != "" {
		return "**BELOW: " + strings.ReplaceAll(r.Failure, "|", "/") + "**"
	}
	return "met"
}
