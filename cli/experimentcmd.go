package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/idemsim/idemsim/experiments"
	"github.com/idemsim/idemsim/experiments/catalog"
	"github.com/idemsim/idemsim/internal/atomicfile"
	"github.com/idemsim/idemsim/internal/inputfile"
)

// experimentOptions are the flags of idemsim experiment.
type experimentOptions struct {
	seeds   uint64
	workers int
	shard   experiments.Shard
	resume  bool
	out     string
	list    bool
	help    bool
}

func experimentFlags(o *experimentOptions) *flagSet {
	fs := &flagSet{cmd: "experiment"}
	fs.add("seeds", "N", "seeds per cell (default: the experiment's, each cell about 4,000 operations)", func(s string) error {
		n := 0
		if err := intIn(&n, 1, 1_000_000_000)(s); err != nil {
			return err
		}
		o.seeds = uint64(n)
		return nil
	})
	fs.add("workers", "N", "worlds run at once (default: the number of CPUs)", intIn(&o.workers, 1, 1024))
	fs.add("shard", "I/N", "run only seeds I+1, I+1+N, I+1+2N, ... of every cell and write NAME/shard-I-of-N.json for idemsim merge (N at most "+strconv.Itoa(experiments.MaxShards)+")", func(s string) error {
		sh, err := experiments.ParseShard(s)
		o.shard = sh
		return err
	})
	fs.add("resume", "", "continue the interrupted run of the same experiment, seeds and shard from its partial state file", boolValue(&o.resume))
	fs.add("out", "DIR", "the results directory; files go in DIR/NAME (default results)", func(s string) error {
		if s == "" {
			return fmt.Errorf("empty directory name")
		}
		o.out = s
		return nil
	})
	fs.add("list", "", "list the experiments: name, cells, seeds per cell, what each sweeps", boolValue(&o.list))
	fs.add("help", "", "this text", boolValue(&o.help))
	return fs
}

// interruptAfterCells, when set by a test, cancels a run once that many
// cells have finished, as a Ctrl-C would.
var interruptAfterCells int

func experimentCommand(args []string, stdout, stderr io.Writer) error {
	o := experimentOptions{workers: runtime.NumCPU(), out: "results"}
	fs := experimentFlags(&o)
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	switch {
	case o.help:
		_, err := fmt.Fprintf(stdout, "usage: idemsim experiment NAME [flags]\n\nRuns a named sweep — strategies by one fault dimension, every cell over\nthe same seeds — and writes DIR/NAME/cells.csv and cells.json.\n\nflags:\n%s\nexperiments: %s\n", fs.usage(), strings.Join(catalog.Names(), ", "))
		return err
	case o.list:
		if len(rest) > 0 {
			return usagef("idemsim experiment: --list takes no experiment, got %q", strings.Join(rest, " "))
		}
		return listExperiments(stdout)
	case len(rest) == 0:
		return usagef("idemsim experiment: missing experiment name (accepted: %s)", strings.Join(catalog.Names(), ", "))
	case len(rest) > 1:
		return usagef("idemsim experiment: one experiment at a time, got %q (accepted: %s)", strings.Join(rest, " "), strings.Join(catalog.Names(), ", "))
	}
	e, err := catalog.Lookup(rest[0])
	if err != nil {
		return usagef("idemsim experiment: %v", err)
	}
	if err := checkOutDir(o.out); err != nil {
		return usagef("idemsim experiment: --out %s: %v", o.out, err)
	}
	if o.seeds == 0 {
		o.seeds = e.Seeds
	}
	dir := filepath.Join(o.out, e.Name)
	partial := filepath.Join(dir, experiments.PartialFile(o.shard))
	opts := experiments.Options{Seeds: o.seeds, Workers: o.workers, Shard: o.shard}
	if o.resume {
		st, err := readResume(partial, e, o)
		if err != nil {
			return err
		}
		opts.Done = st.Done()
	}
	// What the run will write must be ours to write, before it starts.
	writes := []string{experiments.PartialFile(o.shard), experiments.CSVFile, experiments.JSONFile}
	if !o.shard.Whole() {
		writes = []string{experiments.PartialFile(o.shard), experiments.ShardFile(o.shard)}
	}
	if err := checkResultsDir("experiment", o.out, dir, writes...); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("idemsim experiment: %w", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	total := experiments.TotalSeeds(e, opts)
	cells := len(e.Cells)
	p := newProgress(stderr, e.Name, total, cells-len(opts.Done))
	accs := make([]*experiments.Acc, cells) // the finished cells, for the state file
	for j, c := range e.Cells {
		accs[j] = opts.Done[c.Key(e)]
	}
	lastSave := time.Now()
	save := func() error {
		data, err := e.NewState(o.seeds, o.shard, accs, true).Encode()
		if err != nil {
			return err
		}
		return writeFileAtomic(partial, data)
	}
	finished := 0
	opts.OnSeed = p.seed
	opts.OnCell = func(i int, acc *experiments.Acc) {
		accs[i] = acc
		finished++
		p.cell()
		if time.Since(lastSave) > 2*time.Second {
			if err := save(); err == nil {
				lastSave = time.Now()
			}
		}
		if interruptAfterCells > 0 && finished == interruptAfterCells {
			cancel()
		}
	}
	start := time.Now()
	got, err := experiments.Run(ctx, e, opts)
	if got != nil {
		accs = got
	}
	p.finish()
	if err != nil {
		if ctx.Err() == nil {
			return fmt.Errorf("idemsim experiment %s: %w", e.Name, err)
		}
		done := 0
		for _, a := range accs {
			if a != nil {
				done++
			}
		}
		if err := save(); err != nil {
			return fmt.Errorf("idemsim experiment %s: interrupted; saving the finished cells: %w", e.Name, err)
		}
		return fmt.Errorf("idemsim experiment %s: interrupted with %d of %d cells finished, kept in %s; add --resume to the same command to go on", e.Name, done, cells, partial)
	}
	elapsed := time.Since(start).Round(100 * time.Millisecond)
	if !o.shard.Whole() {
		data, err := e.NewState(o.seeds, o.shard, accs, false).Encode()
		if err != nil {
			return err
		}
		path := filepath.Join(dir, experiments.ShardFile(o.shard))
		if err := writeFileAtomic(path, data); err != nil {
			return fmt.Errorf("idemsim experiment %s: %w", e.Name, err)
		}
		removeIfExists(partial)
		fmt.Fprintf(stdout, "%s: shard %s, %d cells x %d seeds, in %v: wrote %s (idemsim merge --out %s with the other shards)\n",
			e.Name, o.shard, cells, o.shard.Count(o.seeds), elapsed, path, o.out)
		return nil
	}
	if err := writeResults(dir, e, o.seeds, accs); err != nil {
		return fmt.Errorf("idemsim experiment %s: %w", e.Name, err)
	}
	removeIfExists(partial)
	fmt.Fprintf(stdout, "%s: %d cells x %d seeds, in %v: wrote %s and %s\n", e.Name, cells, o.seeds, elapsed,
		filepath.Join(dir, experiments.CSVFile), filepath.Join(dir, experiments.JSONFile))
	return nil
}

// readResume reads the interrupted run's state and checks it is this
// run's: same experiment, seeds and shard.
func readResume(path string, e *experiments.Experiment, o experimentOptions) (*experiments.State, error) {
	data, err := readStateFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, usagef("idemsim experiment: --resume: no interrupted run of %s (shard %s) to resume: %s does not exist", e.Name, o.shard, path)
	}
	if err != nil {
		return nil, usagef("idemsim experiment: --resume: %v", err)
	}
	st, err := experiments.DecodeState(data)
	if err == nil {
		err = e.CheckState(st)
	}
	switch {
	case err != nil:
		return nil, usagef("idemsim experiment: --resume: %s: %v", path, err)
	case !st.Partial:
		return nil, usagef("idemsim experiment: --resume: %s is not an interrupted run of %s", path, e.Name)
	case st.Seeds != o.seeds:
		return nil, usagef("idemsim experiment: --resume: the interrupted run had --seeds %d, this one %d (accepted: the same seeds)", st.Seeds, o.seeds)
	case st.Shard != o.shard.String():
		return nil, usagef("idemsim experiment: --resume: the interrupted run was shard %s, this one %s (accepted: the same shard)", st.Shard, o.shard)
	}
	return st, nil
}

// writeResults writes cells.csv and cells.json into dir, each atomically;
// both are encoded before dir is made, so that sums the results cannot be
// computed from leave no directory behind.
func writeResults(dir string, e *experiments.Experiment, seeds uint64, accs []*experiments.Acc) error {
	csv, err := e.EncodeCSV(accs)
	if err != nil {
		return err
	}
	js, err := e.EncodeJSON(seeds, accs)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return writeFilesAtomic(atomicfile.File{Path: filepath.Join(dir, experiments.CSVFile), Data: csv},
		atomicfile.File{Path: filepath.Join(dir, experiments.JSONFile), Data: js})
}

// maxStateFile bounds a shard or state file read by merge and --resume:
// a few hundred bytes per cell, so that even the largest experiment's
// files are a hundred times smaller.
const maxStateFile = 16 << 20

// readStateFile reads a shard or state file of at most maxStateFile
// bytes; an error names the file.
func readStateFile(path string) ([]byte, error) { return inputfile.ReadNamed(path, maxStateFile) }

// checkResultsDir refuses, before anything is written, an experiment's
// directory in out (dir, made if missing) that is something other than a
// directory, and files in it to be written that are not regular files.
func checkResultsDir(cmd, out, dir string, files ...string) error {
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return usagef("idemsim %s: --out %s: %s is not a directory (accepted: a directory, or none: it is made)", cmd, out, dir)
	}
	for _, f := range files {
		if _, err := atomicfile.Resolve(filepath.Join(dir, f)); err != nil {
			return usagef("idemsim %s: --out %s: %v", cmd, out, err)
		}
	}
	return nil
}

func removeIfExists(path string) {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(os.Stderr, "idemsim: warning: %v\n", err)
	}
}

func listExperiments(stdout io.Writer) error {
	for _, e := range catalog.All() {
		values := make([]string, len(e.Values))
		for i, v := range e.Values {
			values[i] = v.Label
		}
		fmt.Fprintf(stdout, "%s\n  %d cells x %d seeds; %s: %s\n  %s\n", e.Name, len(e.Cells), e.Seeds, e.Param, strings.Join(values, ", "), e.Description)
	}
	return nil
}

// mergeCommand adds up shard files into the results of the whole run.
func mergeCommand(args []string, stdout io.Writer) error {
	out, help := "results", false
	fs := &flagSet{cmd: "merge"}
	fs.add("out", "DIR", "the results directory; files go in DIR/NAME (default results)", func(s string) error {
		if s == "" {
			return fmt.Errorf("empty directory name")
		}
		out = s
		return nil
	})
	fs.add("help", "", "this text", boolValue(&help))
	files, err := fs.parse(args)
	if err != nil {
		return err
	}
	if help {
		_, err := fmt.Fprintf(stdout, "usage: idemsim merge [--out DIR] SHARD-FILE...\n\nAdds up the shard files of one experiment (idemsim experiment NAME --shard I/N,\nevery I of 0..N-1) into DIR/NAME/cells.csv and cells.json, the same bytes as\none run of every seed.\n\nflags:\n%s", fs.usage())
		return err
	}
	if len(files) == 0 {
		return usagef("idemsim merge: no shard file (accepted: the NAME/shard-I-of-N.json files of idemsim experiment --shard)")
	}
	if err := checkOutDir(out); err != nil {
		return usagef("idemsim merge: --out %s: %v", out, err)
	}
	// Each file is checked as it is read and added at once: a merge holds
	// the sums and one shard file, however many shards there are.
	var (
		e     *experiments.Experiment
		m     *experiments.Merger
		first string
	)
	for _, f := range files {
		data, err := readStateFile(f)
		if err != nil {
			return usagef("idemsim merge: %v", err)
		}
		st, err := experiments.DecodeState(data)
		if err != nil {
			return usagef("idemsim merge: %s: %v", f, err)
		}
		if e == nil {
			if e, err = catalog.Lookup(st.Experiment); err != nil {
				return usagef("idemsim merge: %s: %v", f, err)
			}
			m, first = e.NewMerger(), f
		}
		if st.Experiment != e.Name {
			return usagef("idemsim merge: %s: a shard of %s, %s's of %s (accepted: shard files of one experiment)", f, st.Experiment, first, e.Name)
		}
		if err := m.Add(st); err != nil {
			return usagef("idemsim merge: %s: %v (accepted: shard files of one experiment and seeds, each shard once)", f, err)
		}
	}
	seeds, accs, err := m.Result()
	if err != nil {
		return usagef("idemsim merge: %v (accepted: shard files of one experiment and seeds, each shard once)", err)
	}
	dir := filepath.Join(out, e.Name)
	if err := checkResultsDir("merge", out, dir, experiments.CSVFile, experiments.JSONFile); err != nil {
		return err
	}
	if err := writeResults(dir, e, seeds, accs); err != nil {
		return fmt.Errorf("idemsim merge: %w", err)
	}
	fmt.Fprintf(stdout, "%s: %d shards, %d cells x %d seeds: wrote %s and %s\n", e.Name, len(files), len(accs), seeds,
		filepath.Join(dir, experiments.CSVFile), filepath.Join(dir, experiments.JSONFile))
	return nil
}

// progress reports a run's progress on stderr: a bar on a terminal, a
// line every ten seconds otherwise.
type progress struct {
	bar          *progressbar.ProgressBar
	w            io.Writer
	name         string
	total, seeds uint64
	cells, done  int
	start, last  time.Time
}

func newProgress(stderr io.Writer, name string, total uint64, cells int) *progress {
	p := &progress{w: stderr, name: name, total: total, cells: cells, start: time.Now(), last: time.Now()}
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions64(int64(total),
			progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription(name),
			progressbar.OptionShowCount(),
			progressbar.OptionSetItsString("seeds"),
			progressbar.OptionShowIts(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
		return p
	}
	fmt.Fprintf(stderr, "%s: %d cells, %d seeds to run\n", name, cells, total)
	return p
}

func (p *progress) seed(*experiments.Seed) {
	p.seeds++
	if p.bar != nil {
		_ = p.bar.Add(1)
		return
	}
	if time.Since(p.last) >= 10*time.Second {
		p.last = time.Now()
		p.line()
	}
}

func (p *progress) cell() { p.done++ }

func (p *progress) line() {
	pct := 100.0
	if p.total > 0 {
		pct = 100 * float64(p.seeds) / float64(p.total)
	}
	fmt.Fprintf(p.w, "%s: %d/%d seeds (%.0f%%), %d/%d cells, %v\n", p.name, p.seeds, p.total, pct, p.done, p.cells,
		time.Since(p.start).Round(time.Second))
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
		return
	}
	p.line()
}
