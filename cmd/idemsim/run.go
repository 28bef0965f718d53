package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim/world"
)

// runOptions are the run command's settings beyond the world's Config.
type runOptions struct {
	strategy    string
	trace       bool
	traceOp     string
	faultsOut   string
	replay      string
	violations  int
	help        bool
	policy      string
	balancer    string
	keyPolicy   string
	maxEvents   int
	crashes     []faults.Crash
	clientCrash []faults.Crash
	injected    []faults.Fault
}

func runFlags(cfg *world.Config, o *runOptions) *flagSet {
	fs := &flagSet{cmd: "run"}
	c := &cfg.Client
	p := &cfg.Faults
	fs.add("strategy", "NAME", "server strategy: "+strings.Join(models.Names(), ", ")+" (default naive)", oneOf(&o.strategy, models.Names()...))
	fs.add("seed", "N", "seed of every random choice (default 1)", uint64Value(&cfg.Seed))
	fs.add("servers", "N", "server replicas behind the balancer (default 3)", intIn(&cfg.Servers, 1, world.MaxServers))
	fs.add("balancer", "KIND", "round-robin or random (default round-robin)", oneOf(&o.balancer, string(world.RoundRobin), string(world.Random)))
	fs.add("clients", "N", "clients, each consuming a queue of operations (default 16)", intIn(&cfg.Clients, 1, world.MaxClients))
	fs.add("ops", "N", "operations per client (default 50)", intIn(&cfg.OpsPerClient, 1, world.MaxOps))
	fs.add("workers-per-op", "N", "clients that consume the same queue: same operations, same keys (default 1)", intIn(&cfg.WorkersPerOp, 1, world.MaxClients))
	fs.add("timeout", "DURATION", "client timeout per attempt (default 1s)", durationValue(&c.TimeoutPerAttempt, false))
	fs.add("attempts", "N", "attempt budget per operation (default 8)", intIn(&c.Attempts, 1, 1000))
	fs.add("backoff-base", "DURATION", "full-jitter backoff base (default 100ms)", durationValue(&c.BackoffBase, true))
	fs.add("backoff-cap", "DURATION", "full-jitter backoff cap (default 5s)", durationValue(&c.BackoffCap, true))
	fs.add("poll-interval", "DURATION", "wait between polls after a 202 (default 500ms)", durationValue(&c.PollInterval, false))
	fs.add("think", "DIST", "client pause before each operation (default exp:500ms)", distValue(&c.Think))
	fs.add("policy", "STATUS=ACTION,...", "override how clients read statuses, e.g. 409=retry", func(s string) error {
		o.policy = s
		pol := world.DefaultPolicy()
		return pol.Override(s)
	})
	fs.add("key-on-restart", "KIND", "persist or regenerate the key when a client restarts mid-operation (default persist)", oneOf(&o.keyPolicy, string(world.KeyPersist), string(world.KeyRegenerate)))
	fs.add("service-time", "DIST", "server work per request (default lognormal:2ms,0.5)", distValue(&cfg.ServiceTime))
	fs.add("delay", "DIST", "one-way network latency on every link (default lognormal:5ms,0.5)", distValue(&p.Link.Delay))
	fs.add("drop-request", "P", "probability a request is lost (default 0)", rateValue(&p.Link.DropRequestRate))
	fs.add("drop-response", "P", "probability a response is lost after the server answered (default 0)", rateValue(&p.Link.DropResponseRate))
	fs.add("duplicate", "P", "probability a message is delivered twice, the copy later (default 0)", rateValue(&p.Link.DuplicateRate))
	fs.add("reset", "P", "probability the connection resets after processing (default 0)", rateValue(&p.Link.ResetRate))
	fs.add("link", "RULE", "per-link override, repeatable: "+faults.LinkRuleSyntax, func(s string) error {
		r, err := faults.ParseLinkRule(s)
		p.Links = append(p.Links, r)
		return err
	}).repeats = true
	fs.add("partition", "SPEC", "cut links for a window, repeatable: "+faults.PartitionSyntax, func(s string) error {
		part, err := faults.ParsePartition(s)
		p.Partitions = append(p.Partitions, part)
		return err
	}).repeats = true
	fs.add("crash", "SPEC", "crash a server, repeatable: "+faults.CrashSyntax, func(s string) error {
		cr, err := faults.ParseCrash(s)
		o.crashes = append(o.crashes, cr)
		return err
	}).repeats = true
	fs.add("crash-every", "DURATION", "mean time between random server crashes (default none)", durationValue(&p.CrashEvery, false))
	fs.add("client-crash", "SPEC", "crash a client, repeatable: "+strings.ReplaceAll(faults.CrashSyntax, "s2", "c2"), func(s string) error {
		cr, err := faults.ParseCrash(s)
		o.clientCrash = append(o.clientCrash, cr)
		return err
	}).repeats = true
	fs.add("client-crash-every", "DURATION", "mean time between random client crashes (default none)", durationValue(&p.ClientCrashEvery, false))
	fs.add("downtime", "DURATION", "downtime after a random crash (default 1s)", durationValue(&p.Downtime, false))
	fs.add("replay", "FILE", "inject exactly the faults listed in FILE (as --faults-out writes them); random faults are then off", func(s string) error { o.replay = s; return nil })
	fs.add("fault", "LINE", "inject exactly this fault, repeatable, e.g. 'drop-response c1/o1.1/a1'; random faults are then off", func(s string) error {
		f, err := faults.ParseFault(s)
		o.injected = append(o.injected, f)
		return err
	}).repeats = true
	fs.add("faults-out", "FILE", "write the faults that fired, one per line, replayable with --replay", func(s string) error { o.faultsOut = s; return nil })
	fs.add("deadline", "DURATION", "virtual time at which the run stops (default 24h)", durationValue(&cfg.Deadline, false))
	fs.add("max-events", "N", "bound on events processed (default 4294967296)", intIn(&o.maxEvents, 1, 1<<62))
	fs.add("trace", "", "print the run's timeline, one line per event", boolValue(&o.trace))
	fs.add("trace-op", "OP", "print only the timeline of one operation (like o3.7) and the crashes", func(s string) error {
		_, err := faults.ParseOpID(s)
		o.traceOp = s
		return err
	})
	fs.add("violations", "N", "violations to list with their reproduce command (default 3)", intIn(&o.violations, 0, 1<<30))
	fs.add("help", "", "this text", boolValue(&o.help))
	return fs
}

func runCommand(args []string, stdout io.Writer) error {
	cfg := world.Defaults()
	o := runOptions{strategy: "naive", violations: 3}
	fs := runFlags(&cfg, &o)
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if o.help {
		_, err := fmt.Fprintf(stdout, "usage: idemsim run [flags]\n\n%s", fs.usage())
		return err
	}
	if len(rest) > 0 {
		return usagef("idemsim run: unexpected argument %q (flags start with --)", rest[0])
	}
	if cfg.Strategy, err = models.Lookup(o.strategy); err != nil {
		return usagef("idemsim run: --strategy: %v", err)
	}
	if o.policy != "" {
		if err := cfg.Client.Policy.Override(o.policy); err != nil {
			return usagef("idemsim run: --policy: %v", err)
		}
	}
	if o.balancer != "" {
		cfg.Balancer = world.Balancer(o.balancer)
	}
	if o.keyPolicy != "" {
		cfg.Client.KeyOnRestart = world.KeyOnRestart(o.keyPolicy)
	}
	if o.maxEvents > 0 {
		cfg.MaxEvents = uint64(o.maxEvents)
	}
	cfg.Faults.Crashes = o.crashes
	cfg.Faults.ClientCrashes = o.clientCrash
	if o.replay != "" {
		f, err := os.Open(o.replay)
		if err != nil {
			return fmt.Errorf("idemsim run: --replay: %w", err)
		}
		list, err := faults.ReadFaults(f)
		f.Close()
		if err != nil {
			return usagef("idemsim run: --replay %s: %v", o.replay, err)
		}
		cfg.Faults.Replay = append([]faults.Fault{}, list...)
	}
	if o.injected != nil {
		cfg.Faults.Replay = append(append([]faults.Fault{}, cfg.Faults.Replay...), o.injected...)
	}
	var traceOp *world.OpID
	if o.traceOp != "" {
		op, _ := faults.ParseOpID(o.traceOp)
		traceOp = &op
	}
	cfg.KeepTrace = o.trace || traceOp != nil
	if err := cfg.Validate(); err != nil {
		return configError(err, &o)
	}
	if o.faultsOut != "" {
		// Fail before the run, not after its summary is printed.
		if dir := filepath.Dir(o.faultsOut); !isDir(dir) {
			return fmt.Errorf("idemsim run: --faults-out %s: directory %s does not exist", o.faultsOut, dir)
		}
	}
	res, err := world.Run(cfg)
	if err != nil {
		return configError(err, &o)
	}
	if cfg.KeepTrace {
		if err := res.WriteTrace(stdout, traceOp); err != nil {
			return err
		}
		fmt.Fprintln(stdout)
	}
	rep := check.Audit(res)
	printSummary(stdout, fs.given, res, &rep, o.violations)
	if o.faultsOut != "" {
		if err := writeFaults(o.faultsOut, res.Faults); err != nil {
			return fmt.Errorf("idemsim run: --faults-out %s: %w", o.faultsOut, err)
		}
	}
	return nil
}

// configError names the flag behind a configuration that does not
// validate: "idemsim run: --crash: s9@1s+1s: no server s9 (...)".
func configError(err error, o *runOptions) error {
	var ce *world.ConfigError
	if !errors.As(err, &ce) {
		return usagef("idemsim run: %v", err)
	}
	flag := "--" + ce.Setting
	if ce.Setting == "replay" {
		if o.replay != "" {
			flag = "--replay " + o.replay + " (or --fault)"
		} else {
			flag = "--fault"
		}
	}
	return usagef("idemsim run: %s: %s", flag, ce.Msg)
}

func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// writeFaults writes the fault list to a temporary file and renames it into
// place, so an interrupted run leaves no half-written list.
func writeFaults(path string, list []faults.Fault) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	var b strings.Builder
	for _, f := range list {
		b.WriteString(f.String())
		b.WriteByte('\n')
	}
	if _, err := tmp.WriteString(b.String()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
