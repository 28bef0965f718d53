package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/idemsim/idemsim/explore"
)

// pctOptions are explore's randomized mode: --pct DEPTH over --runs N.
type pctOptions struct {
	depth, runs int
}

// maxPCTDepth bounds --pct: a bug of depth d takes d-1 ordering changes,
// and past a handful the PCT guarantee is too weak to aim at.
const maxPCTDepth = 16

// addPCTFlags adds --pct and --runs to explore's flags.
func addPCTFlags(fs *flagSet, o *exploreOptions) {
	fs.add("pct", "DEPTH", fmt.Sprintf("instead of searching, sample --runs schedules with the PCT scheduler aimed at bugs of depth DEPTH: random priorities per event owner with DEPTH-1 change points over the same-instant ties, faults and delays drawn at random within --max-faults and --max-delays, all from --seed (1 to %d)", maxPCTDepth),
		intIn(&o.pct.depth, 1, maxPCTDepth)).accepts = fmt.Sprintf("1 to %d", maxPCTDepth)
	fs.add("runs", "N", "with --pct, how many runs (default 1000)", intIn(&o.pct.runs, 1, 1<<30)).accepts = fmt.Sprintf("1 to %d", 1<<30)
}

// checkPCTFlags refuses the flags that do not go together: --runs
// without --pct, --max-runs (a search's budget) with it.
func checkPCTFlags(flags []flagArg) error {
	given := map[string]bool{}
	for _, f := range flags {
		given[f.name] = true
	}
	switch {
	case given["runs"] && !given["pct"]:
		return usagef("idemsim explore: --runs goes with --pct DEPTH (a search is bounded by --max-runs)")
	case given["max-runs"] && given["pct"]:
		return usagef("idemsim explore: --max-runs bounds a search; with --pct the number of runs is --runs N")
	case given["pct"] && (given["shard"] || given["out-json"] || given["probes"]):
		return usagef("idemsim explore: --shard, --out-json and --probes split or estimate a search; with --pct give --runs and --seed instead")
	}
	return nil
}

// pctCommand samples st's world under PCT and reports as a search does.
func pctCommand(st *exploreSetup, stdout io.Writer) error {
	opt := explore.PCTOptions{Menu: st.o.menu, Bounds: st.o.bounds, Depth: st.o.pct.depth, Runs: st.o.pct.runs}
	if opt.Runs == 0 {
		opt.Runs = 1000
	}
	start := time.Now() // for the runs/s figure only; the sampling never reads it
	res, err := explore.PCTSample(st.cfg, opt)
	if err != nil {
		return fmt.Errorf("idemsim explore: %v", err)
	}
	printPCT(stdout, st, res, time.Since(start))
	if res.Found == nil {
		return nil
	}
	header := fmt.Sprintf("Found by idemsim explore --pct %d (faults <= %d over %s, delays <= %d, seed %d) at run %d:", opt.Depth, opt.Bounds.Faults, opt.Menu, opt.Bounds.Delays, st.cfg.Seed, res.Run)
	return writeCounterexample(st, stdout, header, res.Found)
}

func printPCT(w io.Writer, st *exploreSetup, res *explore.PCTResult, elapsed time.Duration) {
	cfg := &st.cfg
	opt := res.Options
	fmt.Fprintf(w, "explore    %s at %s, %s, %s, %s each, %d per op, seed %d\n", cfg.Strategy.Name, cfg.DB.Isolation.Slug(),
		plural(cfg.Servers, "server"), plural(cfg.Clients, "client"), plural(cfg.OpsPerClient, "op"), cfg.WorkersPerOp, cfg.Seed)
	fmt.Fprintf(w, "pct        depth %d over %s of the run with no fault and no delay (%s); faults <= %d over %s (%s), delays <= %d (%s), drawn per run\n",
		opt.Depth, plural(res.RootTies, "same-instant tie"), plural(res.Owners, "owner"), opt.Bounds.Faults, opt.Menu, plural(res.FaultPoints, "fault point"), opt.Bounds.Delays, plural(res.DelayPoints, "delay point"))
	how := fmt.Sprintf("all %d", opt.Runs)
	if res.Found != nil {
		how = "stopped at the first counterexample"
	}
	fmt.Fprintf(w, "sampled    %s (%s), %s (ledger and conclusions); %s met, %s reordered\n",
		plural(res.Runs, "run"), how, plural(res.States, "distinct final state"), plural(res.Ties, "same-instant tie"), plural(res.Reordered, "tie"))
	if s := elapsed.Seconds(); s > 0 {
		fmt.Fprintf(w, "speed      %.0f runs/s (%v)\n", float64(res.Runs)/s, elapsed.Round(time.Millisecond))
	}
	if res.Found == nil {
		fmt.Fprintf(w, "verdict    no violation in %s (a sample: not a proof)\n", plural(res.Runs, "run"))
		return
	}
	fmt.Fprintf(w, "found      at run %d of %d\n", res.Run, opt.Runs)
	printCounterexample(w, st, res.Found)
	if n := len(res.Found.Trail.Ties); n > 0 {
		fmt.Fprintf(w, "  ties   %d reordered: %s\n", n, strings.TrimPrefix(explore.Trail{Ties: res.Found.Trail.Ties}.String(), explore.TrailVersion+" "))
	}
}
