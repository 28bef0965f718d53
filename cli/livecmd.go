package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/live"
	"github.com/idemsim/idemsim/sim/world"
)

const liveUsage = `usage: idemsim live [--postgres DSN] [--redis HOST:PORT] [--limit D] [run flags]

Runs the strategy live: its servers are real HTTP servers on loopback
ports, on a real PostgreSQL 15 and Redis 7, behind an HTTP fault proxy that
injects the run's network faults; the gateway and the queue are real
services; the clients send real requests. The same oracles judge the
history, and the ledger is what the databases committed.

  --postgres DSN     a PostgreSQL to use (the run makes and drops its own
                     database on it); default: a throwaway one started in a
                     temporary directory (make live-deps installs it)
  --redis HOST:PORT  a Redis to use, emptied first (FLUSHALL); default: a
                     throwaway one
  --limit D          stop the run after D of real time (default 5m)
  --anchor-to-sim    fire each timed crash and pause of a server (--crash,
                     --pause) at the step of the handler where the same
                     world's simulated run had it (after its Nth service
                     call) instead of at its moment; one that finds its
                     server idle in the simulation stays timed. The
                     summary's anchored lines say where each went

Every flag of 'idemsim run' that a live run supports is accepted (see
'idemsim help run'); durations are real time. --time-scale F multiplies
the world's long durations (retention, lease, timeout, deadlines,
downtimes) by F, as in 'idemsim run', so that a world of hours runs live
in seconds; the summary prints every duration it changed. Without
--clients, --ops or --settle (given, or set by the --scenario it runs) a
live run takes 8 clients x 10 ops and settles 3s, so that it ends in
seconds. --trace, --trace-op and --out print and write the live run's
timeline, and the sequence diagram of a violating one, as for 'idemsim
run'. Not supported yet: a service's clock skew or drift (a server's
is), a client's pause, store failover, replica lag.
`

// liveDefaults are the world flags a live run sets when the user does not:
// the simulated defaults take minutes of real time.
var liveDefaults = []struct{ flag, value string }{
	{"--clients", "8"},
	{"--ops", "10"},
	{"--settle", "3s"},
}

// withLiveDefaults is args with liveDefaults in front for each flag that
// neither args nor the scenario it names sets. A scenario that cannot be
// read is left for configure to report.
func withLiveDefaults(args []string) []string {
	given := args
	for i, a := range args {
		name, value, hasValue := strings.Cut(a, "=")
		if name != "--scenario" && name != "--scenario-file" {
			continue
		}
		if !hasValue && i+1 < len(args) {
			value = args[i+1]
		}
		if base, err := scenarioArgs(strings.TrimPrefix(name, "--"), value); err == nil {
			given = append(slices.Clip(given), base...)
		}
	}
	for _, d := range liveDefaults {
		if !hasFlag(given, d.flag) {
			args = append([]string{d.flag, d.value}, args...)
		}
	}
	return args
}

func liveCommand(args []string, stdout, stderr io.Writer) error {
	return liveCommandWith(args, stdout, stderr, liveHooks{})
}

// liveHooks let idemsim shrink --target, which runs a world against a
// target many times itself, use the live command's reading of the flags
// and its output.
type liveHooks struct {
	// configured, when set, receives the run's configuration in place of
	// running it.
	configured func(live.Config) error
	// ran, when set, receives the run's result before it is printed.
	ran func(*world.Result)
}

// liveCommandWith is liveCommand with hooks.
func liveCommandWith(args []string, stdout, stderr io.Writer, hooks liveHooks) error {
	var cfg live.Config
	var rest []string
	var tf targetFlags
	anchor := false
	for i := 0; i < len(args); i++ {
		name, value, hasValue := strings.Cut(args[i], "=")
		take := func() (string, error) {
			if hasValue {
				return value, nil
			}
			if i+1 >= len(args) {
				return "", usagef("idemsim live: %s needs a value", name)
			}
			i++
			return args[i], nil
		}
		var err error
		switch name {
		case "--help", "-h":
			_, err := io.WriteString(stdout, liveUsage+targetUsage)
			return err
		case "--anchor-to-sim":
			if hasValue {
				return usagef("idemsim live: --anchor-to-sim takes no value, got %q (accepted: the bare flag)", value)
			}
			anchor = true
		case "--postgres":
			cfg.PostgresDSN, err = take()
		case "--redis":
			cfg.RedisAddr, err = take()
		case "--limit":
			var v string
			if v, err = take(); err == nil {
				cfg.Limit, err = time.ParseDuration(v)
				if err != nil || cfg.Limit <= 0 {
					return usagef("idemsim live: --limit %q: want a Go duration > 0 like 2m", v)
				}
			}
		default:
			var handled bool
			if handled, err = tf.take(name, hasValue, take); !handled {
				rest = append(rest, args[i])
			}
		}
		if err != nil {
			return err
		}
	}
	if err := tf.check(args); err != nil {
		return err
	}
	if tf.given {
		rest = append([]string{"--servers", "1"}, rest...)
	}
	rest = withLiveDefaults(rest)
	for _, f := range []string{"--chaos"} {
		if hasFlag(rest, f) {
			return usagef("idemsim live: %s is not supported in live mode yet", f)
		}
	}
	st, err := configure(rest)
	if err != nil {
		if ue, ok := err.(*usageError); ok {
			ue.msg = strings.Replace(ue.msg, "idemsim run", "idemsim live", 1)
		}
		return err
	}
	if st.o.choices != nil {
		return usagef("idemsim live: --choices replays an explored run and is accepted by idemsim run only")
	}
	if st.script != "" {
		return usagef("idemsim live: --scenario %s runs on the database alone; run it with idemsim run", st.scenario)
	}
	if err := live.Check(&st.cfg); err != nil {
		return usagef("idemsim %v", err)
	}
	if tf.given {
		if err := tf.apply(&st.cfg); err != nil {
			return err
		}
		cfg.Target = &tf.t
	}
	cfg.World = st.cfg
	cfg.Log = stderr
	if hooks.configured != nil {
		return hooks.configured(cfg)
	}
	var anchored []string
	if anchor {
		a, err := live.Anchor(st.cfg)
		if err != nil {
			return err
		}
		cfg.Steps, anchored = a.Steps, a.Notes
		if len(anchored) == 0 {
			anchored = []string{"nothing: the run has no crash or pause of a server at a moment"}
		}
	}
	command := "idemsim live"
	if given := withoutTraceFlags(st.given); len(given) > 0 {
		command += " " + strings.Join(given, " ")
	}
	if anchor {
		command += " --anchor-to-sim"
	}
	if len(tf.args) > 0 {
		command += " " + strings.Join(tf.args, " ")
	}
	st.command = command
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := live.Run(ctx, cfg)
	if err != nil {
		return err
	}
	if hooks.ran != nil {
		hooks.ran(res.Result)
	}
	if err := st.printTimeline(stdout, res.Result); err != nil {
		return err
	}
	rep := check.Audit(res.Result)
	lin, linErr := check.Linearize(res.Result, check.DefaultTimeout)
	effects := ""
	if tf.given {
		effects = tf.effectsNote()
	}
	var summary bytes.Buffer
	printSummaryOf(io.MultiWriter(stdout, &summary), command, res.Result, &rep, &lin, linErr, st.o.violations, &liveFacts{
		elapsed: res.Elapsed, services: res.StartServices, anchored: anchored, effects: effects})
	if err := st.writeOut(stdout, "idemsim live", res.Result, &rep, &lin, summary.Bytes()); err != nil {
		return err
	}
	warnUnfired(stderr, res.Unfired)
	if st.o.faultsOut != "" {
		if err := writeFaults(st.o.faultsOut, command, res.Result); err != nil {
			return fmt.Errorf("idemsim live: --faults-out %s: %w", st.o.faultsOut, err)
		}
		fmt.Fprintf(stdout, "wrote      %s: the %s that fired, for --replay\n", st.o.faultsOut, plural(len(res.Faults), "fault"))
	}
	if res.Stop == live.StopLimit {
		return &stoppedError{fmt.Sprintf("idemsim live: stopped at the time limit (--limit) before the clients finished: the verdict covers only what happened so far")}
	}
	return nil
}

// hasFlag reports whether args give flag (as "--flag V" or "--flag=V").
func hasFlag(args []string, flag string) bool {
	for _, a := range args {
		if a == flag || strings.HasPrefix(a, flag+"=") {
			return true
		}
	}
	return false
}

// liveFacts are what a live run's summary says instead of the simulated
// run's kernel and database counts.
type liveFacts struct {
	elapsed, services time.Duration
	// anchored says where --anchor-to-sim put each timed fault.
	anchored []string
	// effects says how a run against a target counted the effects ("":
	// a run of our own servers, whose ledger the triggers keep).
	effects string
}
