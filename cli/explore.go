package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/idemsim/idemsim/explore"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/world"
)

// exploreWorldFlags are the run flags idemsim explore takes: what the
// world is (its strategy and how many of everything), never its faults,
// which the search chooses.
var exploreWorldFlags = []string{"strategy", "isolation", "switch", "work", "servers", "clients", "workers-per-op", "ops", "seed", "attempts", "think"}

// exploreSizes are the sizes of the world explore builds on, smaller than
// run's defaults: a search multiplies with every message.
var exploreSizes = []struct {
	name  string
	value int
	field func(*world.Config) *int
}{
	{"servers", 2, func(c *world.Config) *int { return &c.Servers }},
	{"clients", 2, func(c *world.Config) *int { return &c.Clients }},
	{"ops", 1, func(c *world.Config) *int { return &c.OpsPerClient }},
}

type exploreOptions struct {
	bounds explore.Bounds
	menu   explore.Menu
	out    string
	help   bool
	pct    pctOptions // --pct, --runs (explore_pct.go)
	// parallel: workers, shards, the estimate (explore_parallel.go).
	parallel parallelOptions
	ties     explore.TieMode
	// evidence: --matrix and --out-dir (explore_matrix.go).
	evidence evidenceOptions
}

// exploreFlags are explore's flags: its own, then run's world flags (the
// sizes' help saying explore's defaults).
func exploreFlags(o *exploreOptions) *flagSet {
	fs := &flagSet{cmd: "explore"}
	fs.add("max-faults", "K", "at most K faults per schedule, from the menu (default 1)", intIn(&o.bounds.Faults, 0, 8)).accepts = "0 to 8"
	fs.add("max-delays", "D", "at most D latency draws per schedule off their median: early (1% quantile), late (99%), or past the caller's timeout where the distribution reaches it (default 0)", intIn(&o.bounds.Delays, 0, 8)).accepts = "0 to 8"
	fs.add("faults", "MENU", "the fault kinds to inject: "+explore.MenuSyntax+", or none (default all of them)", store(explore.ParseMenu, &o.menu))
	fs.add("max-runs", "N", "stop after N runs and say the search was cut (default 1000000)", intIn(&o.bounds.Runs, 1, 1<<30)).accepts = fmt.Sprintf("1 to %d", 1<<30)
	fs.add("out", "FILE", "write the first counterexample there as a scenario file, atomically (idemsim run --scenario-file FILE replays it)", fileValue(&o.out))
	addPCTFlags(fs, o)
	addParallelFlags(fs, &o.parallel)
	addTieFlags(fs, o)
	fs.add("help", "", "this text", boolValue(&o.help))
	addEvidenceFlags(fs, &o.evidence)
	run := runFlags()
	for _, name := range exploreWorldFlags {
		s := *run.lookup(name)
		for _, size := range exploreSizes {
			if size.name == name {
				s.help = strings.Replace(s.help, "(default "+strconv.Itoa(*size.field(ptr(world.Defaults())))+"", "(default "+strconv.Itoa(size.value)+"", 1)
			}
		}
		fs.specs = append(fs.specs, &s)
	}
	return fs
}

func ptr[T any](v T) *T { return &v }

const exploreUsage = `usage: idemsim explore [flags]

Runs a small world once for every way its fault menu and its latency
classes can be chosen within the bounds (faults deepened 0..K, delays
0..D within each, depth first) and every order of the events due at one
instant (--ties), and audits each run; stops at the first
counterexample, which has the fewest faults, then the fewest delays.
With --pct DEPTH it samples --runs schedules at random instead (PCT:
priorities per event owner, DEPTH-1 change points, faults and delays
drawn within the bounds, all from --seed).
Exit status: 0 no violation within the bounds (or in the sample), 1 a
counterexample, 2 bad input.

`

// exploreSetup is a parsed explore command line.
type exploreSetup struct {
	o     exploreOptions
	cfg   world.Config
	given []string // the world flags as given
}

func configureExplore(args []string) (*exploreSetup, error) {
	st := &exploreSetup{o: exploreOptions{bounds: explore.Bounds{Faults: 1, Runs: 1_000_000}, menu: explore.AllFaults(), ties: explore.TiesNone}}
	fs := exploreFlags(&st.o)
	flags, rest, err := fs.parseFlags(args)
	if err != nil {
		return nil, err
	}
	if st.o.help {
		return st, nil
	}
	if len(rest) > 0 {
		return nil, usagef("idemsim explore: unexpected argument %q (flags start with --)", rest[0])
	}
	t := runTarget{o: defaultRunOptions()}
	t.apply(flags, true)
	strategy, err := lookupStrategy(t.o.strategy)
	if err != nil {
		return nil, usagef("idemsim explore: --strategy: %v", err)
	}
	t.cfg = world.Defaults()
	for _, size := range exploreSizes {
		*size.field(&t.cfg) = size.value
	}
	t.cfg.Strategy = strategy
	t.apply(flags, false)
	if err := t.cfg.Validate(); err != nil {
		return nil, usagef("idemsim explore: %v", err)
	}
	if st.o.out != "" {
		if err := checkWritable(st.o.out); err != nil {
			return nil, usagef("idemsim explore: --out %s: %v", st.o.out, err)
		}
	}
	if err := checkParallel(st); err != nil {
		return nil, err
	}
	for _, f := range flags {
		if f.apply != nil {
			st.given = append(st.given, given([]flagArg{f})...)
		}
	}
	st.cfg = t.cfg
	if err := checkPCTFlags(flags); err != nil {
		return nil, err
	}
	return st, nil
}

func exploreCommand(args []string, stdout io.Writer) error {
	if isMerge(args) {
		return exploreMerge(args, stdout)
	}
	st, err := configureExplore(args)
	if err != nil {
		return err
	}
	if st.o.help {
		_, err := fmt.Fprintf(stdout, "%s%s", exploreUsage, exploreFlags(&exploreOptions{}).usage())
		return err
	}
	if st.o.evidence.matrix.given() {
		return matrixCommand(st, stdout)
	}
	if st.o.pct.depth > 0 {
		return pctCommand(st, stdout)
	}
	if st.o.parallel.outJSON != "" {
		return exploreShard(st, args, stdout)
	}
	start := time.Now() // for the runs/s figure only; the search never reads it
	res, err := explore.Search(st.cfg, exploreOptionsOf(st))
	if err != nil {
		return fmt.Errorf("idemsim explore: %v", err)
	}
	return reportExplore(stdout, st, res, time.Since(start))
}

// reportExplore prints a search's result, writes its counterexample with
// --out, and says by the error whether it found one.
func reportExplore(stdout io.Writer, st *exploreSetup, res *explore.Result, elapsed time.Duration) error {
	printExplore(stdout, st, res, elapsed)
	if res.Found == nil {
		return nil
	}
	if err := writeOutDirOf(st, res, stdout); err != nil {
		return err
	}
	return writeCounterexample(st, stdout, searchHeader(res), res.Found)
}

// searchHeader opens a search's counterexample file: what found it.
func searchHeader(res *explore.Result) string {
	return fmt.Sprintf("Found by idemsim explore (faults <= %d over %s, delays <= %d) after %s:", res.Bounds.Faults, res.Menu, res.Bounds.Delays, plural(res.Schedules, "schedule"))
}

// writeCounterexample writes c to --out when given, and returns explore's
// exit status 1 for it.
func writeCounterexample(st *exploreSetup, stdout io.Writer, header string, c *explore.Counterexample) error {
	if st.o.out != "" {
		if err := writeFileAtomic(st.o.out, []byte(exploreScenario(st, header, c))); err != nil {
			return fmt.Errorf("idemsim explore: --out %s: %w", st.o.out, err)
		}
		fmt.Fprintf(stdout, "wrote      %s: replay with idemsim run --scenario-file %s\n", st.o.out, shellQuote(st.o.out))
	}
	return &counterexampleError{fmt.Sprintf("idemsim explore: a counterexample with %s and %s", plural(len(c.Faults), "fault"), plural(len(c.Trail.Delays), "delay"))}
}

// counterexampleError is explore's exit status 1: it found a violation.
type counterexampleError struct{ msg string }

func (e *counterexampleError) Error() string { return e.msg }

// replayFlags are the flags of idemsim run that replay the counterexample:
// the world as explore built it, its faults and its choice trail.
func replayFlags(st *exploreSetup, c *explore.Counterexample) []string {
	flags := []string{"--servers", strconv.Itoa(st.cfg.Servers), "--clients", strconv.Itoa(st.cfg.Clients), "--ops", strconv.Itoa(st.cfg.OpsPerClient)}
	fs := exploreFlags(&exploreOptions{})
	for i, n := 0, 0; i < len(st.given); i += n {
		n = flagArity(fs, st.given, i)
		switch flagName(st.given[i]) {
		case "servers", "clients", "ops":
			continue
		}
		flags = append(flags, st.given[i:i+n]...)
	}
	if len(c.Faults) == 0 {
		flags = append(flags, "--fault", "none")
	}
	for _, f := range c.Faults {
		flags = append(flags, "--fault", shellQuote(f.String()))
	}
	return append(flags, "--choices", shellQuote(c.Trail.String()))
}

// exploreScenario is the counterexample as a scenario file, its first
// comment line header.
func exploreScenario(st *exploreSetup, header string, c *explore.Counterexample) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n", header)
	for _, v := range c.Violations {
		fmt.Fprintf(&b, "#   %s\n", v)
	}
	fmt.Fprintf(&b, "# Its trace hash is %016x. Replay: idemsim run --scenario-file THIS-FILE\n", c.TraceHash)
	b.WriteString("run\n")
	flags := replayFlags(st, c)
	line := ""
	for i := 0; i < len(flags); i += 2 {
		arg := flags[i] + " " + flags[i+1]
		if line != "" && (len(line)+1+len(arg) > 76 || flags[i] == "--fault" || flags[i] == "--choices") {
			b.WriteString(line + "\n")
			line = ""
		}
		line = strings.TrimSpace(line + " " + arg)
	}
	b.WriteString(line + "\n----\n")
	return b.String()
}

func printExplore(w io.Writer, st *exploreSetup, res *explore.Result, elapsed time.Duration) {
	cfg := &st.cfg
	fmt.Fprintf(w, "explore    %s at %s, %s, %s, %s each, %d per op, seed %d\n", cfg.Strategy.Name, cfg.DB.Isolation.Slug(),
		plural(cfg.Servers, "server"), plural(cfg.Clients, "client"), plural(cfg.OpsPerClient, "op"), cfg.WorkersPerOp, cfg.Seed)
	fmt.Fprintf(w, "bounds     faults <= %d over %s; delays <= %d: %s\n", res.Bounds.Faults, res.Menu, res.Bounds.Delays, explore.DelayClasses(cfg))
	var pts []string
	for f, n := range res.RootFaults {
		if n > 0 {
			pts = append(pts, fmt.Sprintf("%s %d", explore.Fault(f), n))
		}
	}
	for s, n := range res.RootDelays {
		if n > 0 {
			pts = append(pts, fmt.Sprintf("delay on %s %d", sim.Stream(s), n))
		}
	}
	fmt.Fprintf(w, "points     in the run with no fault and no delay: %s; %s (%s)\n", orNone(strings.Join(pts, ", ")), plural(res.RootTies, "same-instant tie"), plural(res.RootTiePoints, "tie point"))
	how := "exhausted"
	switch {
	case res.Cut:
		how = fmt.Sprintf("CUT at --max-runs %d: the bounds were not covered", res.Bounds.Runs) + knuthNote(res)
	case res.Found != nil:
		how = "stopped at the first counterexample"
	}
	fmt.Fprintf(w, "searched   %s in %s (a deeper budget runs the shallower schedules again), %s; %s\n",
		plural(res.Schedules, "schedule"), plural(res.Runs, "run"), how, plural(res.States, "distinct final state")+" (ledger and conclusions)")
	fmt.Fprintf(w, "over them  %s, %s, %s\n",
		plural(res.FaultPoints, "fault point"), plural(res.DelayPoints, "delay point"), plural(res.TiePoints, "tie point"))
	printTies(w, res)
	if s := elapsed.Seconds(); s > 0 {
		fmt.Fprintf(w, "speed      %.0f runs/s (%v)%s\n", float64(res.Runs)/s, elapsed.Round(time.Millisecond), parallelNote(st, res))
	}
	if res.Found == nil {
		fmt.Fprintf(w, "verdict    no violation within the bounds\n")
		return
	}
	printCounterexample(w, st, res.Found)
}

// printCounterexample is the verdict line of a counterexample and what
// replays it.
func printCounterexample(w io.Writer, st *exploreSetup, c *explore.Counterexample) {
	fmt.Fprintf(w, "verdict    COUNTEREXAMPLE with %s and %s:\n", plural(len(c.Faults), "fault"), plural(len(c.Trail.Delays), "delay"))
	for _, v := range c.Violations {
		fmt.Fprintf(w, "  %s\n", v)
	}
	for _, f := range c.Faults {
		fmt.Fprintf(w, "  fault  %s\n", f)
	}
	for _, d := range c.Trail.Delays {
		fmt.Fprintf(w, "  delay  latency draw %d on %s: %s (quantile %s)\n", d.N, d.Stream, d.Class, strconv.FormatFloat(d.Q, 'g', -1, 64))
	}
	for _, t := range c.Trail.Ties {
		fmt.Fprintf(w, "  tie    same-instant tie %d: event %d in scheduling order runs first\n", t.N, t.K)
	}
	fmt.Fprintf(w, "  trace  %016x\n", c.TraceHash)
	fmt.Fprintf(w, "  replay idemsim run %s --trace\n", strings.Join(replayFlags(st, c), " "))
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
