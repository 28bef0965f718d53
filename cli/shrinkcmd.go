package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/claims"
	"github.com/idemsim/idemsim/shrink"
	"github.com/idemsim/idemsim/sim/world"
)

// shrinkOptions are the flags of idemsim shrink beyond those of run.
type shrinkOptions struct {
	kind    string
	maxRuns int
	out     string
	help    bool
}

func shrinkFlags(o *shrinkOptions) *flagSet {
	fs := &flagSet{cmd: "shrink"}
	addKind(fs, &o.kind)
	fs.add("max-runs", "N", "worlds to try at most while shrinking, at least 2: the run and its replay (default 2000)", intIn(&o.maxRuns, 1, 1_000_000))
	fs.add("out", "FILE", "write the minimal run's scenario file there, atomically (default: print it)", fileValue(&o.out))
	fs.add("help", "", "this text", boolValue(&o.help))
	return fs
}

// addKind adds --kind, the violation a shrink keeps, stored in dst.
func addKind(fs *flagSet, dst *string) {
	var kinds []string
	for _, k := range check.Findings {
		kinds = append(kinds, string(k))
	}
	fs.add("kind", "KIND", "the violation to keep: "+strings.Join(kinds, ", ")+" (default: the first the run shows, in that order)", func(s string) error {
		if !slices.Contains(kinds, s) {
			return fmt.Errorf("%q (accepted: %s)", s, strings.Join(kinds, ", "))
		}
		*dst = s
		return nil
	})
}

// faultFlags are the run flags that decide faults: the minimal run names
// its faults one by one (--fault), so these go.
var faultFlags = []string{
	"drop-request", "drop-response", "duplicate", "reset", "partition", "crash", "crash-every", "crash-at",
	"pause", "client-crash", "client-crash-every", "kv-failover", "db-drop-connection", "db-lost-commit-ack",
	"gateway-timeout", "gateway-500", "replay", "fault",
}

// sizeFlags are the run flags the minimal run sets again, and the flags
// that only change what a run prints. (Timings it made constant are set
// again too: shrink.Timings.)
var sizeFlags = []string{"clients", "servers", "ops", "workers-per-op", "deadline", "faults-out", "trace", "trace-op", "violations"}

func shrinkCommand(args []string, stdout, stderr io.Writer) error {
	if hasFlag(args, "--target") {
		return shrinkTargetCommand(args, stdout, stderr)
	}
	o := shrinkOptions{maxRuns: 2000}
	own := shrinkFlags(&o)
	ownArgs, runArgs := splitFlags(own, args)
	if rest, err := own.parse(ownArgs); err != nil {
		return err
	} else if len(rest) > 0 {
		return usagef("idemsim shrink: unexpected argument %q (flags start with --)", rest[0])
	}
	if o.help {
		_, err := fmt.Fprintf(stdout, "usage: idemsim shrink [shrink flags] [run flags]\n\nReplays a failing run from the faults that fired and removes what the\nviolation does not need; prints the minimal run as a scenario file\n(stdout holds that file alone: redirect it, then idemsim run\n--scenario-file FILE replays it; what was kept is said on stderr).\nWith --target URL it shrinks a run against a service of yours instead:\nidemsim shrink --target URL --help.\n\nshrink flags:\n%s\nrun flags (the run to shrink):\n%s", own.usage(), runFlags().usage())
		return err
	}
	if o.maxRuns < shrink.MinRuns {
		return usagef("idemsim shrink: --max-runs %d: too small to shrink anything: the failing run and its replay from the faults that fired take %d runs (accepted: at least %d; the default is 2000)", o.maxRuns, shrink.MinRuns, shrink.MinRuns)
	}
	if o.out != "" {
		if err := checkWritable(o.out); err != nil {
			return usagef("idemsim shrink: --out %s: %v", o.out, err)
		}
	}
	st, err := configure(runArgs)
	if err != nil {
		return relabel(err)
	}
	if st.o.choices != nil {
		return usagef("idemsim shrink: --choices replays an explored run and is accepted by idemsim run only")
	}
	if st.script != "" {
		return usagef("idemsim shrink: --scenario %s is a SQL scenario; only a world run shrinks", st.scenario)
	}
	res, err := shrink.Minimize(st.cfg, check.Kind(o.kind), o.maxRuns)
	if errors.Is(err, shrink.ErrNoViolation) {
		return fmt.Errorf("idemsim shrink: %v: %s", err, st.command)
	}
	if err != nil {
		return fmt.Errorf("idemsim shrink: %s", strings.TrimPrefix(err.Error(), "shrink: "))
	}
	flags := minimalFlags(st.given, st.cfg, res)
	// The minimal run as a command line must be the run found: same trace
	// hash, every time.
	for i := range 2 {
		again, err := configure(claims.SplitArgs(strings.Join(flags, " ")))
		if err != nil {
			return fmt.Errorf("idemsim shrink: the minimal run's flags do not parse (a bug): %v", err)
		}
		if traced := again.cfg; i == 0 {
			// Its timeline is printed from a kept trace, which must fit too.
			traced.KeepTrace = true
			if traced.HeldBytes() > world.MaxRunBytes {
				return fmt.Errorf("idemsim shrink: the minimal run (%v) is still too large to print its timeline: with its trace it may hold %s, over the limit of %s; raise --max-runs (%d) to shrink it further", res.To, world.FormatBytes(traced.HeldBytes()), world.FormatBytes(world.MaxRunBytes), o.maxRuns)
			}
		}
		r, err := shrink.Run(again.cfg)
		if err != nil {
			return fmt.Errorf("idemsim shrink: %v", err)
		}
		if r.TraceHash != res.TraceHash {
			return fmt.Errorf("idemsim shrink: the minimal run's flags give trace %016x, not %016x (a bug): idemsim run %s", r.TraceHash, res.TraceHash, strings.Join(flags, " "))
		}
	}
	command := "idemsim run " + strings.Join(flags, " ")
	// stdout carries the scenario file and nothing else, so that it can be
	// redirected into a file that idemsim run --scenario-file reads; what
	// is said to the person goes to stderr. The timeline goes straight to
	// stdout (or into the one buffer --out writes), as run prints it, so
	// that the text of a long one is never held twice.
	var file bytes.Buffer
	var out io.Writer = &file
	if o.out == "" {
		out = stdout
	}
	bw := bufio.NewWriter(out)
	bw.WriteString(scenarioHead(st.command, res, flags, command))
	traced := append(claims.SplitArgs(strings.Join(flags, " ")), "--trace")
	shrink.MakeRoom(res.Config)
	if err := runCommand(traced, bw, io.Discard); err != nil {
		// A run that stopped before it finished prints what it found and
		// says so: the minimal run of such a run does too.
		var stopped *stoppedError
		if !errors.As(err, &stopped) || !world.StoppedShort(res.Stop) {
			return fmt.Errorf("idemsim shrink: %v", err)
		}
	}
	bw.WriteString(scenarioTail)
	if err := bw.Flush(); err != nil {
		return err
	}
	where := ""
	if o.out != "" {
		if err := writeFileAtomic(o.out, file.Bytes()); err != nil {
			return fmt.Errorf("idemsim shrink: --out %s: %w", o.out, err)
		}
		where = fmt.Sprintf("; wrote %s (idemsim run --scenario-file %s replays it)", o.out, shellQuote(o.out))
	}
	if res.Exhausted {
		where += fmt.Sprintf("; the budget of --max-runs %d ran out before shrinking was done (a larger one may remove more)", o.maxRuns)
	}
	if world.StoppedShort(res.Stop) {
		where += fmt.Sprintf("; the minimal run stops at the %s, as the run shrunk did", strings.ReplaceAll(string(res.Stop), "-", " "))
	}
	_, err = fmt.Fprintf(stderr, "idemsim shrink: %s kept: %v -> %v, in %d runs%s\n", res.Kind, res.From, res.To, res.Runs, where)
	return err
}

// relabel names the shrink command in a run flag's usage error.
func relabel(err error) error {
	var ue *usageError
	if errors.As(err, &ue) {
		return usagef("%s", strings.Replace(ue.msg, "idemsim run", "idemsim shrink", 1))
	}
	return err
}

// splitFlags separates the flags fs knows (with their values) from the
// others.
func splitFlags(fs *flagSet, args []string) (own, rest []string) {
	for i := 0; i < len(args); i++ {
		n := flagArity(fs, args, i)
		if strings.HasPrefix(args[i], "--") && fs.lookup(flagName(args[i])) != nil {
			own = append(own, args[i:i+n]...)
		} else {
			rest = append(rest, args[i])
			continue
		}
		i += n - 1
	}
	return own, rest
}

// minimalFlags is the command line of the shrunk run: the flags as given,
// without those that decide faults or sizes (or a timing the shrinker made
// constant), then the shrunk run's own (shrink.Result.Flags).
func minimalFlags(given []string, from world.Config, res *shrink.Result) []string {
	fs := runFlags()
	changed := res.Changed(from)
	var out []string
	for i := 0; i < len(given); i += flagArity(fs, given, i) {
		name := flagName(given[i])
		if slices.Contains(faultFlags, name) || slices.Contains(sizeFlags, name) || slices.Contains(changed, name) {
			continue
		}
		out = append(out, given[i:i+flagArity(fs, given, i)]...)
	}
	return append(out, res.Flags(from)...)
}

// scenarioHead is the shrunk run as a scenario file up to its expected
// output: comments saying what it came from and the command that replays
// it, and its flags (the format of cli/testdata/scenarios, and of
// --scenario-file). Its timeline and summary, as run --trace prints them,
// follow, then scenarioTail.
func scenarioHead(from string, res *shrink.Result, flags []string, command string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Shrunk by idemsim shrink in %d runs, keeping the %s, from\n#   %s\n", res.Runs, res.Kind, from)
	fmt.Fprintf(&b, "# (%v) to %v.\n", res.From, res.To)
	fmt.Fprintf(&b, "# Replay: idemsim run --scenario-file THIS-FILE, or\n#   %s --trace\n", command)
	b.WriteString("run\n")
	line := ""
	for i := 0; i < len(flags); {
		n := 1
		if i+1 < len(flags) && !strings.HasPrefix(flags[i+1], "--") {
			n = 2
		}
		arg := strings.Join(flags[i:i+n], " ")
		if line != "" && (len(line)+1+len(arg) > 76 || strings.HasPrefix(arg, "--fault ")) {
			b.WriteString(line + "\n")
			line = ""
		}
		line = strings.TrimSpace(line + " " + arg)
		i += n
	}
	b.WriteString(line + "\n--trace\n----\n----\n")
	return b.String()
}

// scenarioTail closes the expected output of a scenario file.
const scenarioTail = "----\n----\n"
