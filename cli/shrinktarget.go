package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/live"
	"github.com/idemsim/idemsim/shrink"
	"github.com/idemsim/idemsim/sim/world"
)

// targetShrinkOptions are the flags of idemsim shrink --target beyond
// those of idemsim live --target.
type targetShrinkOptions struct {
	kind                  string
	need, reruns, maxRuns int
	budget                time.Duration
	out                   string
	help                  bool
}

// Defaults of a shrink against a target: a candidate is kept when 2 of 3
// runs show the violation, so that one unlucky run neither keeps nor
// loses it; a small world's run takes a second or two, so the budgets
// end a shrink within minutes.
const (
	defaultNeed         = 2
	defaultReruns       = 3
	defaultTargetRuns   = 300
	defaultTargetBudget = 15 * time.Minute
)

func targetShrinkFlags(o *targetShrinkOptions) *flagSet {
	own := &flagSet{cmd: "shrink"}
	addKind(own, &o.kind)
	own.add("need", "K", fmt.Sprintf("keep a smaller world when K of its --reruns runs show the violation (default %d)", defaultNeed), intIn(&o.need, 1, 100))
	own.add("reruns", "N", fmt.Sprintf("runs of each candidate world at most, each against the live target (default %d)", defaultReruns), intIn(&o.reruns, 1, 100))
	own.add("max-runs", "N", fmt.Sprintf("runs against the target at most, in all (default %d)", defaultTargetRuns), intIn(&o.maxRuns, 1, 100_000))
	own.add("budget", "D", fmt.Sprintf("stop shrinking after D of real time and keep the smallest world found (default %v)", defaultTargetBudget),
		store(readDurationUpTo(false, 24*time.Hour, "24h"), &o.budget))
	own.add("out", "DIR", "the final run's --out: its summary, timeline, fault list and sequence diagram", func(s string) error {
		if s == "" {
			return fmt.Errorf("needs a directory (accepted: a path whose parent exists)")
		}
		o.out = s
		return nil
	})
	own.add("help", "", "this text", boolValue(&o.help))
	return own
}

const targetShrinkUsage = `usage: idemsim shrink --target URL [shrink flags] [idemsim live --target flags]

Shrinks a run against a service of yours that showed a violation: the
same flags as the idemsim live --target run (with --replay FILE, the fault
list its --faults-out wrote; without, the faults that fire in a first run
that shows the violation). A service is not deterministic, so each smaller
world (fewer faults, clients and operations, no racing workers) is run
again against it up to --reruns times and kept when --need of them show
the same kind of violation. Prints the minimal run's command line and
runs it once more with its timeline and, with --out, its sequence
diagram; what was kept is said on stderr.

shrink flags:
%s`

// shrinkTargetCommand is idemsim shrink with --target.
func shrinkTargetCommand(args []string, stdout, stderr io.Writer) error {
	_, err := shrinkTarget(args, stdout, stderr)
	return err
}

// targetShrunk is what a shrink against a target found: the shrink, the
// world it started from, the minimal run's command line, and whether
// that run showed the violation once more (at try Tries).
type targetShrunk struct {
	*shrink.Tolerant
	Base    world.Config
	Command string
	Showed  bool
	Tries   int
}

// shrinkTarget is idemsim shrink --target, returning what it found as
// well as printing it; nil when it only printed its help.
func shrinkTarget(args []string, stdout, stderr io.Writer) (*targetShrunk, error) {
	o := targetShrinkOptions{need: defaultNeed, reruns: defaultReruns, maxRuns: defaultTargetRuns, budget: defaultTargetBudget}
	own := targetShrinkFlags(&o)
	ownArgs, liveArgs := splitFlags(own, args)
	if rest, err := own.parse(ownArgs); err != nil {
		return nil, err
	} else if len(rest) > 0 {
		return nil, usagef("idemsim shrink: unexpected argument %q (flags start with --)", rest[0])
	}
	if o.help {
		_, err := fmt.Fprintf(stdout, targetShrinkUsage+targetUsage, own.usage())
		return nil, err
	}
	switch {
	case o.need > o.reruns:
		return nil, usagef("idemsim shrink: --need %d of --reruns %d: more runs than are made (accepted: --need at most --reruns)", o.need, o.reruns)
	case o.maxRuns < o.reruns:
		return nil, usagef("idemsim shrink: --max-runs %d: too small to judge even the run to shrink, which takes up to --reruns %d runs (accepted: at least --reruns)", o.maxRuns, o.reruns)
	}
	for _, f := range []string{"--out", "--trace", "--trace-op", "--faults-out", "--anchor-to-sim"} {
		if hasFlag(liveArgs, f) {
			return nil, usagef("idemsim shrink: %s: not with --target (accepted: the shrink's own --out DIR, for the minimal run)", f)
		}
	}
	if o.out != "" {
		if err := checkRunOutDir(o.out); err != nil {
			return nil, usagef("idemsim shrink: --out %s: %v", o.out, err)
		}
	}
	var base live.Config
	if err := liveCommandWith(liveArgs, io.Discard, stderr, liveHooks{configured: func(c live.Config) error { base = c; return nil }}); err != nil {
		var ue *usageError
		if errors.As(err, &ue) {
			return nil, usagef("%s", strings.Replace(ue.msg, "idemsim live", "idemsim shrink", 1))
		}
		return nil, err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	// Every run sends its own keys: the keys come from the seed, and a
	// key the service has seen (in the run shrunk, or in an earlier rerun)
	// would be answered from what it stored, not raced or retried afresh.
	root := base.Target.KeyPrefix + "shrink" + strconv.FormatInt(start.Unix(), 36) + "-"
	runs := 0
	runOne := func(w world.Config) (*world.Result, error) {
		runs++
		if runs%25 == 0 {
			fmt.Fprintf(stderr, "idemsim shrink: %d runs so far (%v), now trying %s\n", runs, time.Since(start).Round(time.Second), targetSize(w, len(w.Faults.Replay)))
		}
		tgt := *base.Target
		tgt.KeyPrefix = root + "r" + strconv.Itoa(runs) + "-"
		c := base
		c.World, c.Log, c.Target = w, io.Discard, &tgt
		res, err := live.Run(ctx, c)
		if err != nil {
			return nil, err
		}
		if res.Stop == live.StopLimit {
			return nil, fmt.Errorf("stopped at the time limit (--limit)")
		}
		return res.Result, nil
	}
	fmt.Fprintf(stderr, "idemsim shrink: shrinking against %s: a smaller world is kept when %d of %d runs show the violation (at most %d runs, %v)\n",
		base.Target.URL, o.need, o.reruns, o.maxRuns, o.budget)
	res, err := shrink.MinimizeTolerant(base.World, check.Kind(o.kind), shrink.Reruns{
		Run: runOne, Need: o.need, Of: o.reruns, MaxRuns: o.maxRuns,
		Over: func() bool { return ctx.Err() != nil || time.Since(start) > o.budget },
	})
	if err != nil {
		return nil, fmt.Errorf("idemsim shrink: %s: idemsim live %s", strings.TrimPrefix(err.Error(), "shrink: "), strings.Join(liveArgs, " "))
	}
	flags := append(minimalTargetFlags(liveArgs, res.Config), "--key-prefix", root+"again-")
	quoted := make([]string, len(flags))
	for i, f := range flags {
		quoted[i] = shellQuote(f)
	}
	command := "idemsim live " + strings.Join(quoted, " ")
	fmt.Fprintf(stdout, "minimal    %s\n", command)
	// The minimal run once more, printed (and written to --out): the
	// first of at most --reruns runs that shows the violation, so that
	// the timeline and the diagram show what was kept.
	var text bytes.Buffer
	showed, tries := false, 0
	for tries < o.reruns && !showed && ctx.Err() == nil {
		tries++
		text.Reset()
		final := append(slices.Clone(flags[:len(flags)-1]), root+"final"+strconv.Itoa(tries)+"-")
		if o.out != "" {
			final = append(final, "--out", o.out)
		}
		err := liveCommandWith(final, &text, io.Discard, liveHooks{ran: func(r *world.Result) { showed = shrink.Shows(r, res.Kind) }})
		var stopped *stoppedError
		if err != nil && !errors.As(err, &stopped) {
			return nil, fmt.Errorf("idemsim shrink: the minimal run: %v", err)
		}
	}
	if _, err := stdout.Write(text.Bytes()); err != nil {
		return nil, err
	}
	note := ""
	switch {
	case !showed:
		note = fmt.Sprintf("; its final run did not show the %s in %d tries (the service decides by timing: run the command again)", res.Kind, tries)
	case tries > 1:
		note = fmt.Sprintf("; its final run showed it at try %d", tries)
	}
	if o.out != "" {
		note += "; wrote " + o.out
	}
	if res.Exhausted {
		note += fmt.Sprintf("; the budget (--max-runs %d, --budget %v) ran out before shrinking was done", o.maxRuns, o.budget)
	}
	_, err = fmt.Fprintf(stderr, "idemsim shrink: %s kept (in %d of %d runs): %s -> %s, in %d runs against the target%s\n",
		res.Kind, res.Shown, res.Judged, targetSize(base.World, res.From.Faults), targetSize(res.Config, res.To.Faults), res.Runs, note)
	return &targetShrunk{Tolerant: res, Base: base.World, Command: command, Showed: showed, Tries: tries}, err
}

// targetSize is a world against a target as shrinking reduces it.
func targetSize(w world.Config, faults int) string {
	s := fmt.Sprintf("%s, %s x %s", plural(faults, "fault"), plural(w.Clients, "client"), plural(w.OpsPerClient, "op"))
	if w.WorkersPerOp > 1 {
		s += fmt.Sprintf(" (%d workers per queue)", w.WorkersPerOp)
	}
	return s
}

// targetDropped are the flags of the run shrunk that the minimal run's
// command line gives again (sizes, faults, the key prefix) or that only
// said where to write.
var targetDropped = append(slices.Clone(faultFlags), "clients", "ops", "workers-per-op", "faults-out", "trace", "trace-op", "out", "key-prefix")

// minimalTargetFlags is the command line of the minimal run: the flags
// given, without those that decide faults or sizes, then the minimal
// world's sizes and its faults one by one (--fault none for none, so that
// random faults stay off).
func minimalTargetFlags(given []string, w world.Config) []string {
	var out []string
	for i := 0; i < len(given); {
		n := liveArity(given, i)
		if !slices.Contains(targetDropped, flagName(given[i])) {
			out = append(out, given[i:i+n]...)
		}
		i += n
	}
	out = append(out, "--clients", fmt.Sprint(w.Clients), "--workers-per-op", fmt.Sprint(w.WorkersPerOp), "--ops", fmt.Sprint(w.OpsPerClient))
	for _, f := range w.Faults.Replay {
		out = append(out, "--fault", f.String())
	}
	if len(w.Faults.Replay) == 0 {
		out = append(out, "--fault", "none")
	}
	return out
}

// liveArity is how many arguments the flag at args[i] of idemsim live
// spans: a run flag's as run reads it; a target flag takes a value except
// --allow-remote.
func liveArity(args []string, i int) int {
	name := flagName(args[i])
	if fs := runFlags(); fs.lookup(name) != nil {
		return flagArity(fs, args, i)
	}
	if strings.Contains(args[i], "=") || i+1 >= len(args) || name == "allow-remote" || name == "anchor-to-sim" || !strings.HasPrefix(args[i], "--") {
		return 1
	}
	return 2
}
