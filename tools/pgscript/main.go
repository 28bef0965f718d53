// Command pgscript runs interleaved multi-session SQL scripts on a real
// PostgreSQL and prints what it did, one line per session statement: the
// ground truth that idemsim's simulated database (sim/db) is compared with.
// The script and output formats are described in
// sim/db/testdata/scripts/README.md.
//
// Usage:
//
//	pgscript -dsn DSN [-level LEVEL] FILE.sql   print the run(s) to stdout
//	pgscript -dsn DSN -write DIR                run every DIR/*.sql at every
//	                                            level it declares and write
//	                                            NAME[.LEVEL].pg15 beside it
//	pgscript -dsn DSN -random DIR -seeds A-B    generate the scripts of seeds
//	         [-mismatch DIR2] [-parallel N]     A..B (sim/db/script/gen), run
//	         [-features LIST] [-repeat N]       them on PostgreSQL and on the
//	                                            simulation; write those that
//	                                            agree to DIR, the others to DIR2
//	pgscript -gen SEED [-features LIST]         print the script SEED generates
//
// Each run starts with `drop schema public cascade; create schema public;`:
// point DSN at a throwaway database.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/idemsim/idemsim/sim/db/script"
	"github.com/idemsim/idemsim/sim/db/script/gen"
)

// usageError is bad usage or a bad script: exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func main() {
	err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)
	if err == nil {
		return
	}
	fmt.Fprintln(os.Stderr, "pgscript: "+strings.Join(strings.Fields(err.Error()), " "))
	var ue usageError
	if errors.As(err, &ue) || errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	os.Exit(1)
}

const usage = "pgscript -dsn DSN [-level LEVEL] FILE.sql | pgscript -dsn DSN -write DIR | pgscript -dsn DSN -random DIR -seeds A-B [-mismatch DIR2] [-parallel N] [-features LIST] [-repeat N] | pgscript -gen SEED [-features LIST]"

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pgscript", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dsn := fs.String("dsn", "", "PostgreSQL connection string of a throwaway database (required)")
	level := fs.String("level", "", "run FILE.sql at this level only (read uncommitted, read committed, repeatable read, serializable; or read-committed, ...)")
	write := fs.String("write", "", "run every DIR/*.sql at its declared levels and write the .pg15 files beside them")
	random := fs.String("random", "", "generate scripts, run them on PostgreSQL and the simulation, and write those that agree to DIR")
	mismatch := fs.String("mismatch", "", "with -random: where scripts that disagree go (default: DIR-mismatch)")
	seeds := fs.String("seeds", "", "with -random: the seeds A-B (inclusive) to generate")
	parallel := fs.Int("parallel", 8, "with -random: scripts run at once, each in a database of its own")
	features := fs.String("features", "none", "with -random: generator features beyond today's dialect: none, all, or some of "+strings.Join(gen.FeatureNames(), ","))
	repeat := fs.Int("repeat", 1, "with -random: run each level this many times on PostgreSQL; scripts whose runs differ are unstable")
	genSeed := fs.String("gen", "", "print the script seed N generates (with -features), and nothing else; needs no server")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return usageError{"usage: " + usage}
		}
		return usageError{err.Error()}
	}
	if *genSeed != "" {
		seed, err := strconv.ParseUint(*genSeed, 10, 64)
		if err != nil || fs.NArg() != 0 {
			return usageError{"-gen takes a seed, a number, and no FILE"}
		}
		f, err := gen.ParseFeatures(*features)
		if err != nil {
			return usageError{"-features: " + err.Error()}
		}
		_, err = io.WriteString(stdout, gen.Generate(seed, gen.Config{Features: f}).Text)
		return err
	}
	if *dsn == "" {
		return usageError{"-dsn is required (usage: " + usage + ")"}
	}
	if *random != "" {
		if *write != "" || *level != "" || fs.NArg() != 0 {
			return usageError{"-random DIR takes no FILE, -write or -level"}
		}
		c := randomConfig{dir: *random, mismatchDir: *mismatch, parallel: *parallel, repeat: *repeat}
		if c.mismatchDir == "" {
			c.mismatchDir = strings.TrimRight(*random, "/") + "-mismatch"
		}
		var err error
		if c.first, c.last, err = parseSeeds(*seeds); err != nil {
			return usageError{err.Error()}
		}
		if c.features, err = gen.ParseFeatures(*features); err != nil {
			return usageError{"-features: " + err.Error()}
		}
		if c.parallel < 1 || c.repeat < 1 {
			return usageError{"-parallel and -repeat must be at least 1"}
		}
		return runRandom(ctx, *dsn, c, stderr)
	}
	switch {
	case *write != "" && (fs.NArg() != 0 || *level != ""):
		return usageError{"-write DIR takes no FILE and no -level"}
	case *write == "" && fs.NArg() != 1:
		return usageError{"want exactly one FILE.sql, or -write DIR, or -random DIR"}
	case *level != "" && !script.ValidLevel(*level):
		return usageError{fmt.Sprintf("unknown level %q (want one of: %s)", *level, strings.Join(script.PGLevels, ", "))}
	}
	if *level != "" {
		*level, _ = script.SQLLevel(*level) // either spelling; SQL's is substituted for {level}
	}
	r := &Runner{DSN: *dsn, Timing: DefaultTiming}
	if *write != "" {
		return writeDir(ctx, r, *write, stderr)
	}
	return runFile(ctx, r, fs.Arg(0), *level, stdout)
}

func load(path string) (*script.Script, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	s, err := script.Parse(path, string(src))
	if err != nil {
		return nil, usageError{err.Error()}
	}
	return s, nil
}

// runFile prints the runs of one script: the version line, then, for each
// level, its lines (preceded by `# level: L` when there is more than one).
func runFile(ctx context.Context, r *Runner, path, level string, stdout io.Writer) error {
	s, err := load(path)
	if err != nil {
		return err
	}
	levels := s.Runs()
	if level != "" {
		if len(s.Levels) == 0 {
			return usageError{path + " declares no levels: run it without -level"}
		}
		levels = []string{level}
	}
	version, err := r.ServerVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "# postgres %s\n", version)
	for _, l := range levels {
		if len(levels) > 1 {
			fmt.Fprintf(stdout, "# level: %s\n", l)
		}
		if err := r.Run(ctx, s, l, stdout); err != nil {
			return fmt.Errorf("%s at %q: %w", path, l, err)
		}
	}
	return nil
}

// OutputName is the expected-output file of the script at path run at level.
func OutputName(path, level string) string {
	base := strings.TrimSuffix(path, ".sql")
	if level == "" {
		return base + ".pg15"
	}
	return base + "." + script.LevelSlug(level) + ".pg15"
}

// writeDir runs every script in dir at each level it declares and writes
// the outputs, each through a temporary file renamed into place.
func writeDir(ctx context.Context, r *Runner, dir string, stderr io.Writer) error {
	paths, err := filepath.Glob(filepath.Join(dir, "*.sql"))
	if err != nil {
		return usageError{err.Error()}
	}
	if len(paths) == 0 {
		return usageError{"no *.sql in " + dir}
	}
	sort.Strings(paths)
	var scripts []*script.Script
	for _, p := range paths {
		s, err := load(p)
		if err != nil {
			return err
		}
		scripts = append(scripts, s)
	}
	version, err := r.ServerVersion(ctx)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(version, "15.") {
		return fmt.Errorf("server is PostgreSQL %s; the .pg15 files need PostgreSQL 15", version)
	}
	if dt, err := r.show(ctx, "deadlock_timeout"); err != nil {
		return err
	} else if dt != "200ms" {
		return fmt.Errorf("server deadlock_timeout is %s; start it with -c deadlock_timeout=200ms", dt)
	}
	for _, s := range scripts {
		for _, l := range s.Runs() {
			var buf bytes.Buffer
			fmt.Fprintf(&buf, "# postgres %s\n", version)
			if err := r.Run(ctx, s, l, &buf); err != nil {
				return fmt.Errorf("%s at %q: %w", s.Name, l, err)
			}
			out := OutputName(s.Name, l)
			if err := writeAtomic(out, buf.Bytes()); err != nil {
				return err
			}
			fmt.Fprintf(stderr, "wrote %s\n", out)
		}
	}
	return nil
}

func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
