package report

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/diagram"
	"github.com/idemsim/idemsim/experiments"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/shrink"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// DefaultMaxShrinkRuns bounds the worlds tried per counterexample, as
// idemsim shrink's default does.
const DefaultMaxShrinkRuns = 2000

// Counterexample is a failure the swarm found, shrunk to a minimal run.
type Counterexample struct {
	Failure
	Kind      check.Kind  // the violation kept
	From, To  shrink.Size // the chaos world's size and the minimal run's
	Runs      int         // worlds run while shrinking
	TraceHash uint64      // the minimal run's
	// Command is `idemsim run` with the flags of the minimal run: the
	// chaos world's, then the sizes, timings and faults the shrinker kept
	// (as idemsim shrink prints it).
	Command string
	// Violations are the minimal run's, as the audit prints them.
	Violations []string
	// Porcupine is porcupine's summary line for the minimal run.
	Porcupine string
	// Image is the diagram's file name without extension, in
	// CounterexamplesDir: the strategy's name (one per strategy).
	Image string
	run   *world.Result // the minimal run, kept until it is drawn
	rep   check.Report
	lin   check.Linearization
}

// ChaosWorld is the world a swarm failure names: the strategy soak's chaos
// world of its seed, at its level.
func ChaosWorld(f Failure) (world.Config, error) {
	s, err := models.Lookup(f.Strategy)
	if err != nil {
		return world.Config{}, fmt.Errorf("strategy %q: %w", f.Strategy, err)
	}
	i := slices.IndexFunc(api.AllLevels(), func(l api.Level) bool { return l.Slug() == f.Isolation })
	if i < 0 {
		return world.Config{}, fmt.Errorf("isolation %q is not a level (accepted: %s)", f.Isolation, strings.Join(levelSlugs(), ", "))
	}
	cfg := experiments.Chaos(s, f.Seed)
	cfg.DB.Isolation = api.AllLevels()[i]
	return cfg, nil
}

// CounterexamplesDir is where, in the results directory, the swarm's
// counterexamples go: one sequence diagram per wrong strategy,
// STRATEGY.png, and a README.md that lists them with their commands.
const CounterexamplesDir = "counterexamples"

// Shrink shrinks a swarm failure's chaos world (trying at most maxRuns
// worlds) to a minimal run of the same kind of violation, and draws that
// run's sequence diagram into dir as Image.png.
func Shrink(f Failure, maxRuns int, dir string) (*Counterexample, error) {
	x, err := shrinkFailure(f, maxRuns)
	if err != nil {
		return nil, err
	}
	return x, x.draw(dir)
}

// shrinkFailure is Shrink without the picture: the counterexample and the
// minimal run it keeps for drawing.
func shrinkFailure(f Failure, maxRuns int) (*Counterexample, error) {
	cfg, err := ChaosWorld(f)
	if err != nil {
		return nil, err
	}
	kind := check.Kind(f.Kind)
	if !slices.Contains(check.Kinds, kind) && kind != check.NonLinearizable {
		kind = "" // a kind no oracle names: keep the first the run shows
	}
	res, err := shrink.Minimize(cfg, kind, maxRuns)
	if err != nil {
		return nil, fmt.Errorf("shrinking %s: %w", f.Command, err)
	}
	minimal := res.Config
	minimal.KeepTrace = true
	run, err := world.Run(minimal)
	if err != nil {
		return nil, err
	}
	rep := check.Audit(run)
	lin, err := check.Linearize(run, 0)
	if err != nil {
		return nil, err
	}
	x := &Counterexample{
		Failure: f, Kind: res.Kind, From: res.From, To: res.To, Runs: res.Runs, TraceHash: run.TraceHash,
		Porcupine: lin.Summary(), Image: f.Strategy, run: run, rep: rep, lin: lin,
	}
	flags := []string{"--strategy", f.Strategy, "--isolation", f.Isolation, "--chaos", fmt.Sprint(f.Seed)}
	x.Command = "idemsim run " + strings.Join(append(flags, res.Flags(cfg)...), " ")
	for _, v := range rep.Violations {
		x.Violations = append(x.Violations, v.String())
	}
	return x, nil
}

// draw writes the counterexample's sequence diagram as a PNG (the page
// shows it; an SVG would carry its font, half a megabyte, for each).
func (x *Counterexample) draw(dir string) error {
	return diagram.Write(x.run, x.rep, diagram.Options{Linearization: &x.lin}, "", filepath.Join(dir, x.Image+".png"))
}

// writeCounterexamples fills dir: each counterexample's diagram, a
// README.md that lists them, and none of the diagrams of strategies the
// swarm no longer catches. It returns the files it wrote.
func writeCounterexamples(dir string, cx []Counterexample) ([]string, error) {
	if err := mkdir(dir); err != nil {
		return nil, err
	}
	if err := parallel(len(cx), func(i int) error { return cx[i].draw(dir) }); err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("# Counterexamples\n\n")
	b.WriteString("One per strategy the `swarm` experiment caught: its shortest failing world, shrunk by\n")
	b.WriteString("`idemsim shrink` to a minimal run that still shows the same kind of violation, and drawn\n")
	b.WriteString("as a sequence diagram (faults marked, the breaking effect in red). Each command replays\n")
	b.WriteString("the minimal run; add `--trace` for its timeline, or `--out DIR` for the diagram,\n")
	b.WriteString("porcupine's view and the faults. Generated by `idemsim report` (`make report`).\n")
	var written []string
	kept := map[string]bool{}
	for _, c := range cx {
		name := c.Image + ".png"
		kept[name] = true
		written = append(written, filepath.Join(dir, name))
		fmt.Fprintf(&b, "\n## %s: %s\n\n", c.Strategy, c.Kind)
		fmt.Fprintf(&b, "At %s, from swarm seed %d (`%s`), shrunk in %d runs from %v to %v.\n\n", c.Isolation, c.Seed, c.Failure.Command, c.Runs, c.From, c.To)
		for _, v := range c.Violations {
			fmt.Fprintf(&b, "- `%s`\n", v)
		}
		if len(c.Violations) == 0 {
			b.WriteString("- the audit finds nothing: the history shows it (`--out DIR` adds porcupine's view, porcupine.html)\n")
		}
		fmt.Fprintf(&b, "- porcupine: `%s`\n", c.Porcupine)
		fmt.Fprintf(&b, "\n```\n%s\n```\n\n![%s: the minimal %s](%s)\n", c.Command, c.Strategy, c.Kind, name)
	}
	if len(cx) == 0 {
		b.WriteString("\nThe swarm found no failing world.\n")
	}
	readme := filepath.Join(dir, "README.md")
	if err := WriteFiles(File{Path: readme, Data: []byte(b.String())}); err != nil {
		return nil, err
	}
	old, err := filepath.Glob(filepath.Join(dir, "*.png"))
	if err != nil {
		return nil, err
	}
	for _, f := range old {
		if !kept[filepath.Base(f)] {
			if err := removeRegular(f); err != nil {
				return nil, fmt.Errorf("report: %w", err)
			}
		}
	}
	return append(written, readme), nil
}
