package cli

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"

	"github.com/idemsim/idemsim/experiments"
	"github.com/idemsim/idemsim/explore"
	"github.com/idemsim/idemsim/internal/inputfile"
)

// parallelOptions are explore's flags for workers, shards and the
// estimate of a cut search.
type parallelOptions struct {
	workers int
	shard   explore.Shard
	sharded bool
	outJSON string
	probes  int
	merge   bool // read by exploreMerge; here for the help
}

// addParallelFlags adds them to explore's flags.
func addParallelFlags(fs *flagSet, o *parallelOptions) {
	fs.add("workers", "N", "search N subtrees of each budget at once, each on its own world; the result is the same for every N (default GOMAXPROCS)", intIn(&o.workers, 1, 1024)).accepts = "1 to 1024"
	fs.add("shard", "I/N", fmt.Sprintf("search only the subtrees whose index in depth-first order is I mod N, and write their tallies with --out-json for idemsim explore --merge (N at most %d)", experiments.MaxShards), func(s string) error {
		sh, err := explore.ParseShard(s)
		o.shard, o.sharded = sh, true
		return err
	})
	fs.add("out-json", "FILE", "write the search's tallies there as a shard file, atomically (with --shard: that shard's)", fileValue(&o.outJSON))
	fs.add("probes", "N", "random runs per budget for Knuth's estimate of the bounds when the search is cut (default 100)", intIn(&o.probes, 1, 100_000)).accepts = "1 to 100000"
	fs.add("merge", "", "add up shard files instead of searching: idemsim explore --merge [--out FILE] SHARD-FILE... (every shard of one search; the output is the unsharded search's)", boolValue(&o.merge))
}

// checkParallel refuses the combinations that make no sense.
func checkParallel(st *exploreSetup) error {
	p := &st.o.parallel
	switch {
	case p.sharded && p.outJSON == "":
		return usagef("idemsim explore: --shard %s needs --out-json FILE, where its tallies go for idemsim explore --merge", p.shard)
	case p.outJSON != "" && st.o.out != "":
		return usagef("idemsim explore: --out with --out-json: a shard's part writes no counterexample (accepted: --out with idemsim explore --merge)")
	case p.outJSON != "":
		if err := checkWritable(p.outJSON); err != nil {
			return usagef("idemsim explore: --out-json %s: %v", p.outJSON, err)
		}
	}
	return nil
}

// exploreOptionsOf are the search's options as the command line gives
// them.
func exploreOptionsOf(st *exploreSetup) explore.Options {
	return explore.Options{Menu: st.o.menu, Bounds: st.o.bounds, Ties: st.o.ties, Workers: st.o.parallel.workers, Probes: st.o.parallel.probes}
}

// exploreShard searches one shard and writes its file. args is the
// command line, of which the file keeps the world and bound flags: the
// merge checks that every shard had the same and rebuilds the world from
// them.
func exploreShard(st *exploreSetup, args []string, stdout io.Writer) error {
	p := &st.o.parallel
	f, err := explore.SearchShard(st.cfg, exploreOptionsOf(st), p.shard)
	if err != nil {
		return fmt.Errorf("idemsim explore: %v", err)
	}
	f.Args = searchArgs(args)
	data, err := f.Encode()
	if err == nil {
		err = writeFileAtomic(p.outJSON, data)
	}
	if err != nil {
		return fmt.Errorf("idemsim explore: --out-json %s: %w", p.outJSON, err)
	}
	runs := 0
	for _, b := range f.Budgets {
		for _, u := range b.Tallies {
			runs += u.Runs
		}
	}
	fmt.Fprintf(stdout, "shard      %s of %s at %s: %s in %s budgets: wrote %s (idemsim explore --merge with the other shards)\n",
		f.Shard, st.cfg.Strategy.Name, st.cfg.DB.Isolation.Slug(), plural(runs, "run"), fmt.Sprint(len(f.Budgets)), p.outJSON)
	return nil
}

// notSearchFlags are explore's flags that do not change what is
// searched, left out of a shard file's command line.
var notSearchFlags = []string{"workers", "shard", "out-json", "out", "merge", "help"}

// searchArgs is the command line without them.
func searchArgs(args []string) []string {
	fs := exploreFlags(&exploreOptions{})
	out := []string{}
	for _, f := range fs.split(args) {
		if !f.notFlag && !slices.Contains(notSearchFlags, f.name) {
			out = append(out, f.words...)
		}
	}
	return out
}

// isMerge says whether explore's command line asks for --merge.
func isMerge(args []string) bool {
	return slices.Contains(args, "--merge")
}

// maxShardFile bounds a shard file read by --merge: a shard's states
// take 19 bytes each, and a search of a million runs has far fewer.
const maxShardFile = 64 << 20

// exploreMerge adds up shard files into the unsharded search's output.
func exploreMerge(args []string, stdout io.Writer) error {
	var (
		out         string
		help, merge bool
	)
	fs := &flagSet{cmd: "explore --merge"}
	fs.add("merge", "", "add up shard files", boolValue(&merge))
	fs.add("out", "FILE", "write the first counterexample there as a scenario file, atomically", fileValue(&out))
	fs.add("help", "", "this text", boolValue(&help))
	files, err := fs.parse(args)
	if err != nil {
		return err
	}
	if help {
		_, err := fmt.Fprintf(stdout, "usage: idemsim explore --merge [--out FILE] SHARD-FILE...\n\nAdds up the shard files of one search (idemsim explore ... --shard I/N --out-json FILE,\nevery I of 0..N-1) and prints what the unsharded search prints.\n\nflags:\n%s", fs.usage())
		return err
	}
	if len(files) == 0 {
		return usagef("idemsim explore --merge: no shard file (accepted: the files of idemsim explore --shard I/N --out-json FILE)")
	}
	var (
		shards []*explore.ShardFile
		first  *explore.ShardFile
	)
	for _, name := range files {
		data, err := inputfile.ReadNamed(name, maxShardFile)
		if err != nil {
			return usagef("idemsim explore --merge: %v", err)
		}
		f, err := explore.DecodeShardFile(data)
		if err != nil {
			return usagef("idemsim explore --merge: %s: %v", name, err)
		}
		if first == nil {
			first = f
		} else if !slices.Equal(f.Args, first.Args) {
			return usagef("idemsim explore --merge: %s: a shard of another search (%s) than %s's (%s) (accepted: the shards of one command line)",
				name, orNone(strings.Join(f.Args, " ")), files[0], orNone(strings.Join(first.Args, " ")))
		}
		shards = append(shards, f)
	}
	st, err := configureExplore(first.Args)
	if err != nil {
		return usagef("idemsim explore --merge: %s: its command line: %v", files[0], err)
	}
	st.o.out = out
	if out != "" {
		if err := checkWritable(out); err != nil {
			return usagef("idemsim explore --merge: --out %s: %v", out, err)
		}
	}
	res, err := explore.MergeShards(shards)
	if err != nil {
		return usagef("idemsim explore --merge: %v", err)
	}
	return reportExplore(stdout, st, res, 0)
}

// knuthNote is what the searched line adds when the search was cut:
// Knuth's estimate of the bounds and of what is left.
func knuthNote(res *explore.Result) string {
	e := res.Estimate
	if !res.Cut || e == nil {
		return ""
	}
	if res.TieMode != explore.TiesNone {
		// The probes keep the kernel's order at every tie: their
		// estimate would leave out the orders this search explores.
		return fmt.Sprintf("; no estimate of what is left: Knuth's probes count the schedules of faults and delays (about %.3g), not the orders of ties --ties %s explores among them", e.Schedules, res.TieMode)
	}
	left := max(e.Schedules-float64(res.Schedules), 0)
	return fmt.Sprintf("; Knuth's estimate (%d probes a budget): about %.3g schedules within the bounds (%.3g runs), about %.3g left", e.Probes, e.Schedules, e.Runs, left)
}

// parallelNote is what the speed line adds: the workers, the runs made
// on one goroutine before they started, and those they made past the
// stop.
func parallelNote(st *exploreSetup, res *explore.Result) string {
	workers := st.o.parallel.workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return fmt.Sprintf(" on %s; %s cut the trees into subtrees first, %s more past the stop", plural(workers, "worker"), plural(res.SplitRuns, "run"), plural(res.Wasted, "run"))
}
