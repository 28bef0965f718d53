package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/idemsim/idemsim/sim/db/script"
	"github.com/idemsim/idemsim/sim/db/script/gen"
)

// The differential run: generate scripts from a range of seeds
// (sim/db/script/gen), run each at PostgreSQL's four levels on the server
// and on the simulation, and keep the scripts whose outputs agree, with
// PostgreSQL's, as test data; the others go, with their differences, to a
// directory of their own.

// RandomTiming is the runner's timing for generated scripts (see
// gen.Window and the reasoning beside it).
var RandomTiming = Timing{Window: gen.Window, Settle: gen.Settle, Final: gen.Tail}

// randomConfig is what -random was asked to do.
type randomConfig struct {
	dir, mismatchDir string
	first, last      uint64
	parallel         int
	features         gen.Feature
	repeat           int // runs of each level on PostgreSQL; outputs that differ mark the script unstable
}

// parseSeeds reads "A-B" (inclusive) or "N" (one seed).
func parseSeeds(s string) (first, last uint64, err error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		b = a
	}
	first, err1 := strconv.ParseUint(strings.TrimSpace(a), 10, 64)
	last, err2 := strconv.ParseUint(strings.TrimSpace(b), 10, 64)
	if err1 != nil || err2 != nil || first > last {
		return 0, 0, fmt.Errorf("-seeds %q: want A-B with A <= B, or N", s)
	}
	return first, last, nil
}

// withDatabase is dsn pointed at database db.
func withDatabase(dsn, db string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", err
		}
		u.Path = "/" + db
		return u.String(), nil
	}
	// A later keyword overrides an earlier one.
	return dsn + " dbname=" + db, nil
}

// scriptResult is one script's runs.
type scriptResult struct {
	g        gen.Script
	pg, sim  map[string][]string // level -> output lines, without the version line
	unstable []string            // levels whose PostgreSQL runs differed
	refused  []string            // lines where PostgreSQL refused the SQL itself
	simDrift []string            // levels where the simulation's output depends on the timing
	err      error
}

// differs lists the levels where the simulation and PostgreSQL disagree.
func (r *scriptResult) differs() []string {
	var out []string
	for _, l := range script.PGLevels {
		if !slices.Equal(r.pg[l], r.sim[l]) {
			out = append(out, l)
		}
	}
	return out
}

// refusedSQL says whether an output line shows PostgreSQL refusing the
// statement's text (syntax, unknown names, types, unsupported features):
// the generator wrote something invalid, whatever the simulation does.
func refusedSQL(line string) bool {
	i := strings.LastIndex(line, "=> error ")
	if i < 0 {
		return false
	}
	code := line[i+len("=> error "):]
	return strings.HasPrefix(code, "42") || code == "0A000"
}

func runRandom(ctx context.Context, dsn string, c randomConfig, stderr io.Writer) error {
	start := time.Now()
	admin := &Runner{DSN: dsn, Timing: RandomTiming}
	version, err := admin.ServerVersion(ctx)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(version, "15.") {
		return fmt.Errorf("server is PostgreSQL %s; the .pg15 files need PostgreSQL 15", version)
	}
	want := strconv.Itoa(int(gen.DeadlockTimeout/time.Millisecond)) + "ms"
	if dt, err := admin.show(ctx, "deadlock_timeout"); err != nil {
		return err
	} else if dt != want {
		return fmt.Errorf("server deadlock_timeout is %s; start it with -c deadlock_timeout=%s", dt, want)
	}
	// Autovacuum's ANALYZE could change a plan in the middle of a run, and
	// with it the granularity of SSI's predicate locks.
	if av, err := admin.show(ctx, "autovacuum"); err != nil {
		return err
	} else if av != "off" {
		return fmt.Errorf("server autovacuum is %s; start it with -c autovacuum=off", av)
	}

	// One database per worker: scripts in parallel never share a table.
	conn, err := admin.Connect(ctx)
	if err != nil {
		return err
	}
	var dsns []string
	for i := 1; i <= c.parallel; i++ {
		name := "idemsim_random_" + strconv.Itoa(i)
		for _, q := range []string{"drop database if exists " + name, "create database " + name} {
			if o := exec(ctx, conn, q); o.fatal != nil || o.res.Code != "" {
				conn.Close(ctx)
				return fmt.Errorf("%s: %v %s", q, o.fatal, o.res.Code)
			}
		}
		d, err := withDatabase(dsn, name)
		if err != nil {
			conn.Close(ctx)
			return err
		}
		dsns = append(dsns, d)
	}
	conn.Close(ctx)

	seeds := make(chan uint64)
	results := make(chan *scriptResult)
	var wg sync.WaitGroup
	for _, d := range dsns {
		wg.Add(1)
		go func(r *Runner) {
			defer wg.Done()
			for seed := range seeds {
				results <- runOne(ctx, r, seed, c)
			}
		}(&Runner{DSN: d, Timing: RandomTiming})
	}
	go func() {
		for s := c.first; s <= c.last; s++ {
			seeds <- s
		}
		close(seeds)
		wg.Wait()
		close(results)
	}()

	var all []*scriptResult
	var firstErr error
	for r := range results {
		all = append(all, r)
		status := "match"
		switch {
		case r.err != nil:
			status = "ERROR " + r.err.Error()
			if firstErr == nil {
				firstErr = fmt.Errorf("%s: %w", r.g.Name, r.err)
			}
		case len(r.refused) > 0:
			status = "REFUSED by PostgreSQL: " + r.refused[0]
		case len(r.unstable) > 0:
			status = "UNSTABLE on PostgreSQL at " + strings.Join(r.unstable, ", ")
		case len(r.differs()) > 0:
			status = "MISMATCH at " + strings.Join(r.differs(), ", ")
		}
		fmt.Fprintf(stderr, "%s (%d/%d, %s): %s\n", r.g.Name, len(all), c.last-c.first+1, time.Since(start).Round(time.Second), status)
	}
	if firstErr != nil {
		return firstErr
	}
	slices.SortFunc(all, func(a, b *scriptResult) int { return cmp.Compare(a.g.Seed, b.g.Seed) })
	return writeRandom(all, c, version, start, stderr)
}

// runOne runs one seed's script at every level, on PostgreSQL (c.repeat
// times) and on the simulation (with the matching timing, and with the
// default one `idemsim sql` uses).
func runOne(ctx context.Context, r *Runner, seed uint64, c randomConfig) *scriptResult {
	g := gen.Generate(seed, gen.Config{Features: c.features})
	res := &scriptResult{g: g, pg: map[string][]string{}, sim: map[string][]string{}}
	sc, err := script.Parse(g.Name+".sql", g.Text)
	if err != nil {
		res.err = err
		return res
	}
	for _, level := range script.PGLevels {
		for i := 0; i < c.repeat; i++ {
			var buf bytes.Buffer
			if err := r.Run(ctx, sc, level, &buf); err != nil {
				res.err = fmt.Errorf("at %s: %w", level, err)
				return res
			}
			lines := splitLines(buf.String())
			if i == 0 {
				res.pg[level] = lines
			} else if !slices.Equal(lines, res.pg[level]) && !slices.Contains(res.unstable, level) {
				res.unstable = append(res.unstable, level)
			}
		}
		for _, l := range res.pg[level] {
			if refusedSQL(l) {
				res.refused = append(res.refused, level+": "+l)
			}
		}
		res.sim[level] = script.Run(sc, level, gen.SimOptions())
		if !slices.Equal(res.sim[level], script.Run(sc, level, script.DefaultOptions())) {
			res.simDrift = append(res.simDrift, level)
		}
	}
	return res
}

func splitLines(s string) []string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// writeRandom writes the agreeing scripts to c.dir and the others to
// c.mismatchDir, removes files of seeds in the range that no longer belong
// where they are, and rewrites the mismatch index.
func writeRandom(all []*scriptResult, c randomConfig, version string, start time.Time, stderr io.Writer) error {
	for _, d := range []string{c.dir, c.mismatchDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	var matched, mismatched, unstable, refused, drift int
	for _, r := range all {
		name := r.g.Name
		agree := len(r.differs()) == 0 && len(r.unstable) == 0 && len(r.refused) == 0 && len(r.simDrift) == 0
		keep, drop := c.dir, c.mismatchDir
		if !agree {
			keep, drop = drop, keep
		}
		if err := removeGenerated(drop, name); err != nil {
			return err
		}
		if err := removeGenerated(keep, name); err != nil {
			return err
		}
		files := map[string]string{name + ".sql": r.g.Text}
		for _, l := range script.PGLevels {
			files[name+"."+script.LevelSlug(l)+".pg15"] = "# postgres " + version + "\n" + joinLines(r.pg[l])
		}
		switch {
		case agree:
			matched++
		default:
			files[name+".diff"] = mismatchReport(r)
			switch {
			case len(r.refused) > 0:
				refused++
			case len(r.unstable) > 0:
				unstable++
			case len(r.simDrift) > 0:
				drift++
			default:
				mismatched++
			}
		}
		names := make([]string, 0, len(files))
		for f := range files {
			names = append(names, f)
		}
		slices.Sort(names)
		for _, f := range names {
			if err := writeAtomic(filepath.Join(keep, f), []byte(files[f])); err != nil {
				return err
			}
		}
	}
	if err := writeIndex(c.mismatchDir); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "seeds %d-%d (features: %s): %d scripts x 4 levels in %s: %d agree (in %s), %d differ, %d unstable on PostgreSQL, %d refused by PostgreSQL, %d timing-dependent on the simulation (in %s)\n",
		c.first, c.last, c.features, len(all), time.Since(start).Round(time.Second), matched, c.dir, mismatched, unstable, refused, drift, c.mismatchDir)
	if refused > 0 {
		return errors.New("the generator wrote SQL PostgreSQL refuses: see the .diff files")
	}
	return nil
}

func joinLines(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}

// removeGenerated removes NAME.sql and every output of NAME in dir.
func removeGenerated(dir, name string) error {
	paths, err := filepath.Glob(filepath.Join(dir, name+".*"))
	if err != nil {
		return err
	}
	for _, p := range paths {
		if err := os.Remove(p); err != nil {
			return err
		}
	}
	return nil
}

// mismatchReport is NAME.diff: its first line sums it up (the index
// collects first lines), then, per level that differs, PostgreSQL's lines
// against the simulation's, and the command that reproduces the latter.
func mismatchReport(r *scriptResult) string {
	var b strings.Builder
	name := r.g.Name
	switch {
	case len(r.refused) > 0:
		fmt.Fprintf(&b, "%s: PostgreSQL refuses the SQL: %s\n", name, r.refused[0])
	case len(r.unstable) > 0:
		fmt.Fprintf(&b, "%s: PostgreSQL printed different lines on two runs at %s\n", name, strings.Join(r.unstable, ", "))
	case len(r.simDrift) > 0:
		fmt.Fprintf(&b, "%s: the simulation's output depends on the timing at %s\n", name, strings.Join(r.simDrift, ", "))
	default:
		fmt.Fprintf(&b, "%s: the simulation differs at %s%s\n", name, strings.Join(r.differs(), ", "), firstDifference(r))
	}
	for _, l := range r.differs() {
		fmt.Fprintf(&b, "\n## %s: - PostgreSQL (%s.%s.pg15), + simulation (go run ./cmd/idemsim sql --level '%s' %s.sql)\n",
			l, name, script.LevelSlug(l), l, name)
		for _, d := range lineDiff(r.pg[l], r.sim[l]) {
			b.WriteString(d + "\n")
		}
	}
	return b.String()
}

// firstDifference names the first line where the outputs of the first
// differing level part.
func firstDifference(r *scriptResult) string {
	d := r.differs()
	if len(d) == 0 {
		return ""
	}
	pg, sim := r.pg[d[0]], r.sim[d[0]]
	for i := 0; i < max(len(pg), len(sim)); i++ {
		var a, b string
		if i < len(pg) {
			a = pg[i]
		}
		if i < len(sim) {
			b = sim[i]
		}
		if a != b {
			return fmt.Sprintf(" (first at %s: PostgreSQL %q, simulation %q)", d[0], a, b)
		}
	}
	return ""
}

// lineDiff is a minimal line diff (longest common subsequence): common
// lines prefixed "  ", PostgreSQL's own "- ", the simulation's own "+ ".
func lineDiff(a, b []string) []string {
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []string
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			out = append(out, "  "+a[i])
			i++
			j++
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			out = append(out, "- "+a[i])
			i++
		default:
			out = append(out, "+ "+b[j])
			j++
		}
	}
	return out
}

// writeIndex rewrites DIR/INDEX: the first line of every .diff in dir, in
// name order.
func writeIndex(dir string) error {
	paths, err := filepath.Glob(filepath.Join(dir, "*.diff"))
	if err != nil {
		return err
	}
	slices.Sort(paths)
	var b strings.Builder
	b.WriteString("# Generated scripts on which the simulation and PostgreSQL 15 disagree (tools/pgscript -random).\n")
	b.WriteString("# One line per script; NAME.diff has the lines, NAME.LEVEL.pg15 what PostgreSQL printed.\n")
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		first, _, _ := strings.Cut(string(data), "\n")
		b.WriteString(first + "\n")
	}
	return writeAtomic(filepath.Join(dir, "INDEX"), []byte(b.String()))
}
