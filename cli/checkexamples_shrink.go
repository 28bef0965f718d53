package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/idemsim/idemsim/internal/atomicfile"
	"github.com/idemsim/idemsim/sim/world"
)

// check-examples --shrink: each mistake of each example service, checked
// on a short workload and then shrunk against the running service with
// idemsim shrink --target, as a user would shrink a failure of theirs.
// The results are results/check-examples/shrink.json, shrink.md drawn
// from it alone, and the minimal run's --out (its summary, timeline,
// fault list and sequence diagram as a PNG) under shrink/LANG-MODE/.

// Defaults of the shrinks: a workload of 6 ops per client (a run of 4 to
// 8 s) is enough for every mistake to show in its first run, and a budget
// of 12 minutes each, which the measured shrinks stay well inside.
const (
	exampleShrinkOps    = 6
	exampleShrinkSeed   = 1
	exampleShrinkBudget = 12 * time.Minute
)

// exampleShrinkBound is the largest minimal world issue 19 accepts for a
// mistake: at most two faults and two clients.
var exampleShrinkBound = exampleSize{Faults: 2, Clients: 2}

// exampleSize is a world's size as a shrink reduces it.
type exampleSize struct {
	Faults  int `json:"faults"`
	Clients int `json:"clients"`
	Ops     int `json:"ops_per_client"`
	Workers int `json:"workers_per_op"`
}

func sizeOfExample(w world.Config, faults int) exampleSize {
	return exampleSize{Faults: faults, Clients: w.Clients, Ops: w.OpsPerClient, Workers: w.WorkersPerOp}
}

func (s exampleSize) String() string {
	out := fmt.Sprintf("%s, %s x %s", plural(s.Faults, "fault"), plural(s.Clients, "client"), plural(s.Ops, "op"))
	if s.Workers > 1 {
		out += fmt.Sprintf(" (%d workers per key)", s.Workers)
	}
	return out
}

// within reports whether s is no larger than the bound in faults and
// clients.
func (s exampleSize) within(bound exampleSize) bool {
	return s.Faults <= bound.Faults && s.Clients <= bound.Clients
}

// exampleShrink is one mistake's shrink.
type exampleShrink struct {
	Lang string      `json:"lang"`
	Mode string      `json:"mode"`
	Kind string      `json:"kind"`
	Seed int64       `json:"seed"`
	From exampleSize `json:"from"`
	To   exampleSize `json:"to"`
	// Runs against the service in all; the minimal world showed the
	// violation in Shown of its last Judged runs, and once more in its
	// final run (Showed) at try Tries.
	Runs      int     `json:"runs"`
	Shown     int     `json:"shown"`
	Judged    int     `json:"judged"`
	Showed    bool    `json:"final_run_showed"`
	Tries     int     `json:"final_run_tries"`
	Exhausted bool    `json:"budget_ran_out,omitempty"`
	Seconds   float64 `json:"seconds"`
	// Command is the minimal run's command line, with the service's URL
	// written URL and its restart script restart.sh.
	Command string `json:"command"`
}

// exampleShrinkData is shrink.json.
type exampleShrinkData struct {
	Workload string          `json:"workload"`
	Budget   string          `json:"budget_each"`
	Shrinks  []exampleShrink `json:"shrinks"`
}

// exampleShrinkDir is where the minimal run of lang's mode is written,
// under the results directory.
func exampleShrinkDir(out, lang, mode string) string {
	return filepath.Join(out, "shrink", lang+"-"+mode)
}

// shrinkExample checks the service of lang in mode on seed, shrinks the
// violation its mistake must show, and writes the minimal run to
// exampleShrinkDir(out, ...).
func (rig *exampleRig) shrinkExample(ctx context.Context, out, lang, mode string, seed int64, budget time.Duration) (exampleShrink, error) {
	r := exampleShrink{Lang: lang, Mode: mode, Kind: exampleCatches[mode].kinds[0], Seed: seed}
	svc, err := rig.startExample(ctx, lang, mode)
	if err != nil {
		return r, err
	}
	defer svc.stop()
	dir := exampleShrinkDir(out, lang, mode)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return r, err
	}
	args := append(append([]string{"--kind", r.Kind, "--budget", budget.String(), "--out", dir}, svc.target...),
		exampleWorkload(exampleShrinkOps, seed)...)
	var stdout, stderr bytes.Buffer
	began := time.Now()
	got, err := shrinkTarget(args, &stdout, &stderr)
	r.Seconds = time.Since(began).Round(time.Second).Seconds()
	if err != nil {
		return r, fmt.Errorf("idemsim shrink %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	r.From, r.To = sizeOfExample(got.Base, got.From.Faults), sizeOfExample(got.Config, got.To.Faults)
	r.Runs, r.Shown, r.Judged, r.Exhausted = got.Runs, got.Shown, got.Judged, got.Exhausted
	r.Showed, r.Tries = got.Showed, got.Tries
	script := svc.target[len(svc.target)-1] // sh 'DIR/restart.sh'
	r.Command = strings.NewReplacer(svc.url, "URL", script, "sh restart.sh").Replace(got.Command)
	// What is committed keeps the PNG of the diagram: the SVG, with its
	// font, is the same picture at seven times the size, and porcupine's
	// page repeats what the summary says of the one key.
	for _, name := range []string{outSVG, outLinear} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return r, err
		}
	}
	return r, nil
}

// exampleMistakes are the modes that --shrink shrinks: every mode but
// correct, which has nothing to shrink.
func exampleMistakes(modes []string) []string {
	var out []string
	for _, m := range modes {
		if m != "correct" {
			out = append(out, m)
		}
	}
	return out
}

// shrinkExamples is check-examples --shrink: each of modes (mistakes) in
// each of langs, up to parallel at once.
func shrinkExamples(ctx context.Context, rig *exampleRig, out string, langs, modes []string, parallel int, budget time.Duration, stderr io.Writer) (exampleShrinkData, error) {
	data := exampleShrinkData{Budget: budget.String(),
		Workload: "idemsim shrink --target URL --kind KIND --effects-url URL/payments?idempotency_key={key} --restart-cmd 'sh restart.sh' " +
			strings.Join(exampleWorkload(exampleShrinkOps, exampleShrinkSeed)[2:], " ") + " --seed " + strconv.Itoa(exampleShrinkSeed) +
			" (service --work-delay " + exampleWorkDelay + ")"}
	for _, l := range langs {
		for _, m := range modes {
			data.Shrinks = append(data.Shrinks, exampleShrink{Lang: l, Mode: m})
		}
	}
	err := forEachParallel(len(data.Shrinks), parallel, func(i int) error {
		s := &data.Shrinks[i]
		r, err := rig.shrinkExample(ctx, out, s.Lang, s.Mode, exampleShrinkSeed, budget)
		if err != nil {
			return fmt.Errorf("idemsim check-examples --shrink: %s %s: %w", s.Lang, s.Mode, err)
		}
		*s = r
		fmt.Fprintf(stderr, "%-4s %-17s shrunk %s: %s -> %s in %d runs, %.0fs\n", r.Lang, r.Mode, r.Kind, r.From, r.To, r.Runs, r.Seconds)
		return nil
	})
	return data, err
}

// forEachParallel calls do(0..n-1), up to parallel at once, and stops
// starting new calls after the first error, which it returns.
func forEachParallel(n, parallel int, do func(i int) error) error {
	var (
		mu       sync.Mutex
		firstErr error
		next     int
		wg       sync.WaitGroup
	)
	for range min(parallel, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if next == n || firstErr != nil {
					mu.Unlock()
					return
				}
				i := next
				next++
				mu.Unlock()
				if err := do(i); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return firstErr
}

// writeExampleShrinks writes shrink.json and shrink.md under out.
func writeExampleShrinks(out string, data exampleShrinkData) error {
	b, err := json.MarshalIndent(data, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteAll(atomicfile.File{Path: filepath.Join(out, "shrink.json"), Data: append(b, '\n')},
		atomicfile.File{Path: filepath.Join(out, "shrink.md"), Data: []byte(exampleShrinkTable(data))})
}

func readExampleShrinks(path string) (exampleShrinkData, error) {
	return readExampleJSON(path, "make check-examples-shrink", "shrinks", func(d exampleShrinkData) int { return len(d.Shrinks) })
}

// exampleShrinkTable draws shrink.md from shrink.json alone.
func exampleShrinkTable(data exampleShrinkData) string {
	var b strings.Builder
	b.WriteString("# The example services' mistakes, shrunk with idemsim shrink --target\n\n")
	b.WriteString("Written by `make check-examples-shrink` (`idemsim check-examples --shrink`) from shrink.json\n")
	b.WriteString("beside it; `idemsim check-examples --shrink --table-only` redraws it. For each mistake,\n")
	b.WriteString("the service runs on a database of its own and this is shrunk against it:\n\n")
	fmt.Fprintf(&b, "    %s\n\n", data.Workload)
	fmt.Fprintf(&b, "with a budget of %s each. A smaller world is kept when 2 of 3 runs against the\n", data.Budget)
	b.WriteString("service show the violation; the minimal run is then run once more (up to 3 tries) and\n")
	fmt.Fprintf(&b, "written, with its sequence diagram, to shrink/LANG-MODE/. Issue 19 asks for at most %d faults\n", exampleShrinkBound.Faults)
	fmt.Fprintf(&b, "and %d clients.\n\n", exampleShrinkBound.Clients)
	b.WriteString("| language | mode | kind | from | to | within the bound | runs | kept in | final run | time | diagram |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	within := 0
	for _, s := range data.Shrinks {
		ok := "yes"
		if s.To.within(exampleShrinkBound) {
			within++
		} else {
			ok = "**no**"
		}
		final := "showed it"
		if s.Tries > 1 {
			final = fmt.Sprintf("showed it at try %d", s.Tries)
		}
		if !s.Showed {
			final = fmt.Sprintf("**not shown in %d tries**", s.Tries)
		}
		to := s.To.String()
		if s.Exhausted {
			to += " (budget ran out)"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %d | %d of %d | %s | %.0f s | [diagram](shrink/%s-%s/diagram.png) |\n",
			s.Lang, s.Mode, s.Kind, s.From, to, ok, s.Runs, s.Shown, s.Judged, final, s.Seconds, s.Lang, s.Mode)
	}
	fmt.Fprintf(&b, "\n%d of %d shrinks end within the bound.\n\nThe minimal runs' command lines:\n\n", within, len(data.Shrinks))
	for _, s := range data.Shrinks {
		fmt.Fprintf(&b, "- %s `%s`:\n\n      %s\n\n", s.Lang, s.Mode, s.Command)
	}
	return b.String()
}

// shrinksBelowBar names, as an error, every shrink whose minimal world is
// larger than issue 19's bound or whose final run did not show the
// violation again.
func shrinksBelowBar(data exampleShrinkData) error {
	var below []string
	for _, s := range data.Shrinks {
		switch {
		case !s.To.within(exampleShrinkBound):
			below = append(below, fmt.Sprintf("%s %s shrunk to %s (the bound: at most %d faults and %d clients)", s.Lang, s.Mode, s.To, exampleShrinkBound.Faults, exampleShrinkBound.Clients))
		case !s.Showed:
			below = append(below, fmt.Sprintf("%s %s: the minimal run did not show the %s in %d tries", s.Lang, s.Mode, s.Kind, s.Tries))
		}
	}
	if len(below) > 0 {
		return fmt.Errorf("idemsim check-examples --shrink: below the bar: %s (the table is written)", strings.Join(below, "; "))
	}
	return nil
}
