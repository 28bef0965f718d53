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
	// Image is the diagram's file name without extension, in the swarm's
	// directory: STRATEGY-LEVEL.
	Image string
	run   *world.Result // the minimal run, kept until it is drawn
	rep   check.Report
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
	if !slices.Contains(check.Kinds, kind) {
		kind = "" // a kind the audit does not name: keep the first it shows
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
	x := &Counterexample{
		Failure: f, Kind: res.Kind, From: res.From, To: res.To, Runs: res.Runs, TraceHash: run.TraceHash,
		Image: f.Strategy + "-" + f.Isolation, run: run, rep: rep,
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
	return diagram.Write(x.run, x.rep, nil, "", filepath.Join(dir, x.Image+".png"))
}
