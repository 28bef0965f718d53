package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/live"
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

Every flag of 'idemsim run' that a live run supports is accepted (see
'idemsim help run'); durations are real time. Without --clients, --ops or
--settle a live run takes 8 clients x 10 ops and settles 3s, so that it
ends in seconds. Not supported yet: a service's clock skew or drift (a
server's is), a client's pause, store failover, replica lag, --out and
--trace.
`

// liveDefaults are the world flags a live run sets when the user does not:
// the simulated defaults take minutes of real time.
var liveDefaults = []struct{ flag, value string }{
	{"--clients", "8"},
	{"--ops", "10"},
	{"--settle", "3s"},
}

func liveCommand(args []string, stdout, stderr io.Writer) error {
	var cfg live.Config
	var rest []string
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
			_, err := io.WriteString(stdout, liveUsage)
			return err
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
			rest = append(rest, args[i])
		}
		if err != nil {
			return err
		}
	}
	for _, d := range liveDefaults {
		if !hasFlag(rest, d.flag) {
			rest = append([]string{d.flag, d.value}, rest...)
		}
	}
	for _, f := range []string{"--out", "--trace", "--trace-op", "--chaos"} {
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
	if st.script != "" {
		return usagef("idemsim live: --scenario %s runs on the database alone; run it with idemsim run", st.scenario)
	}
	if err := live.Check(&st.cfg); err != nil {
		return usagef("idemsim %v", err)
	}
	cfg.World = st.cfg
	cfg.Log = stderr
	command := "idemsim live"
	if len(st.given) > 0 {
		command += " " + strings.Join(st.given, " ")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := live.Run(ctx, cfg)
	if err != nil {
		return err
	}
	rep := check.Audit(res.Result)
	lin, linErr := check.Linearize(res.Result, check.DefaultTimeout)
	printSummaryOf(stdout, command, res.Result, &rep, &lin, linErr, st.o.violations, &liveFacts{
		elapsed: res.Elapsed, services: res.StartServices})
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
}
