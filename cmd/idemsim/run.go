package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/claims"
	"github.com/idemsim/idemsim/experiments"
	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/atomicfile"
	"github.com/idemsim/idemsim/internal/inputfile"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/db/script"
	"github.com/idemsim/idemsim/sim/db/sql"
	"github.com/idemsim/idemsim/sim/gateway"
	"github.com/idemsim/idemsim/sim/kv"
	"github.com/idemsim/idemsim/sim/queue"
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
	chaos       *uint64
	scenario    string
	// scenarioFile: a file of one run (as idemsim shrink writes it).
	scenarioFile string
	out          string // a directory for the run's files
}

func runFlags(cfg *world.Config, o *runOptions) *flagSet {
	fs := &flagSet{cmd: "run"}
	c := &cfg.Client
	p := &cfg.Faults
	d := &cfg.DB
	svc := &cfg.Services
	fs.add("strategy", "NAME", "server strategy: "+strings.Join(models.Names(), ", ")+" (default naive)", func(s string) error {
		if _, err := lookupStrategy(s); err != nil {
			return fmt.Errorf("%q (accepted: %s)", s, strings.Join(models.Names(), ", "))
		}
		o.strategy = s
		return nil
	})
	fs.add("seed", "N", "seed of every random choice (default 1)", uint64Value(&cfg.Seed)).accepts = uint64Range
	fs.add("chaos", "N", "start from chaos world N, the strategy soak's: a small world with a fault mix drawn from N (the test's failure message names N); the other flags then change it, and --fault or --replay replace its faults", func(s string) error {
		var n uint64
		err := uint64Value(&n)(s)
		o.chaos = &n
		return err
	}).accepts = uint64Range
	fs.addInt("servers", "server replicas behind the balancer (default 3)", &cfg.Servers, 1, world.MaxServers)
	fs.add("balancer", "KIND", "round-robin or random (default round-robin)", oneOf(&o.balancer, string(world.RoundRobin), string(world.Random)))
	fs.addInt("clients", "clients, each consuming a queue of operations (default 16)", &cfg.Clients, 1, world.MaxClients)
	fs.addInt("ops", fmt.Sprintf("operations per client (default 50; clients x ops at most %d, %s each within a run's %s)", world.MaxRunBytes/world.BytesPerOp, world.FormatBytes(world.BytesPerOp), world.FormatBytes(world.MaxRunBytes)), &cfg.OpsPerClient, 1, world.MaxOps)
	fs.addInt("workers-per-op", "clients that consume the same queue: same operations, same keys (default 1)", &cfg.WorkersPerOp, 1, world.MaxClients)
	fs.addDuration("timeout", "client timeout per attempt (default 1s)", &c.TimeoutPerAttempt, false)
	fs.addInt("attempts", "attempt budget per operation (default 8)", &c.Attempts, 1, 1000)
	fs.addDuration("backoff-base", "full-jitter backoff base (default 100ms)", &c.BackoffBase, true)
	fs.addDuration("backoff-cap", "full-jitter backoff cap (default 5s)", &c.BackoffCap, true)
	fs.addDuration("poll-interval", "wait between polls after a 202 (default 500ms)", &c.PollInterval, false)
	fs.add("think", "DIST", "client pause before each operation (default exp:500ms)", distValue(&c.Think))
	fs.add("policy", "STATUS=ACTION,...", "override how clients read statuses, e.g. 409=retry", func(s string) error {
		o.policy = s
		pol := world.DefaultPolicy()
		return pol.Override(s)
	})
	fs.add("key-on-restart", "KIND", "persist or regenerate the key when a client restarts mid-operation (default persist)", oneOf(&o.keyPolicy, string(world.KeyPersist), string(world.KeyRegenerate)))
	fs.add("retry-after", "KIND", "honour: an error with Retry-After (409 in progress, 429) means try again after it, whatever --policy says of its status; ignore: the policy alone decides (default honour)", func(s string) error {
		switch s {
		case "honour", "ignore":
			c.IgnoreRetryAfter = s == "ignore"
			return nil
		}
		return fmt.Errorf("%q (accepted: honour, ignore)", s)
	})
	fs.add("key-after-5xx", "KIND", "keep the key for a retry after a 5xx, or mint a new one (default keep)", func(s string) error {
		switch s {
		case "keep", "new":
			c.NewKeyAfter5xx = s == "new"
			return nil
		}
		return fmt.Errorf("%q (accepted: keep, new)", s)
	})
	fs.addDuration("op-deadline", "a client stops retrying an operation this long after its first attempt (default 0: only --attempts)", &c.OpDeadline, true)
	fs.addRate("reuse-key", "probability an operation reuses the previous operation's key with its own payload, a client bug (default 0)", &c.ReuseKeyRate)
	fs.addRate("same-payment", "probability an operation asks for the same payment as the previous one, under its own key (default 0)", &c.SamePaymentRate)
	fs.addRate("delete-after", "probability an operation deletes the payment the previous one created, under its key, once that is done (default 0; a strategy with a delete handler: client-id)", &c.DeleteRate)
	fs.add("service-time", "DIST", "server work per request (default lognormal:2ms,0.5)", distValue(&cfg.ServiceTime))

	fs.add("switch", "NAME=VALUE", "set one of the strategy's switches, repeatable: "+switchSyntax()+" (defaults: idemsim list)", func(s string) error {
		cfg.Switches = append(cfg.Switches, s)
		return nil
	}).keyed("switch", beforeEquals)
	fs.add("work", "KIND", "the business operation: local (record the payment) or charge (charge the card at the gateway, then record it; default local)", func(s string) error {
		switch s {
		case "local", "charge":
			cfg.Charge = s == "charge"
			return nil
		}
		return fmt.Errorf("%q (accepted: local, charge)", s)
	})
	fs.add("isolation", "LEVEL", "the strategy's transaction isolation: "+strings.Join(sql.LevelNames(), ", ")+" (default read-committed)", func(s string) error {
		l, err := parseLevel(s)
		d.Isolation = l
		return err
	})
	fs.add("ssi-locks", "page|key", "what serializable's read locks cover: page (B-tree leaf pages, heap pages and tables, as PostgreSQL) or key (only the keys looked up); default page", ssiLocksValue(&d.SSILocks))
	fs.addInt("db-pool", "database connections per server (default 10)", &d.PoolSize, 1, world.MaxPoolSize)
	fs.add("db-latency", "DIST", "the database's own time per statement, on top of the link's (default const:0s)", distValue(&d.StatementLatency))
	fs.addDuration("db-statement-timeout", "statement_timeout (default 0: none)", &d.StatementTimeout, true)
	fs.addDuration("db-lock-timeout", "lock_timeout (default 0: none)", &d.LockTimeout, true)
	fs.addDuration("db-replica-lag", "how far the read replica is behind the primary (default 0: current; replica-check reads keys there)", &d.ReplicaLag, true)
	fs.addDuration("deadlock-timeout", "how long a lock waiter waits before checking for a deadlock (default 1s)", &d.DeadlockTimeout, false)
	fs.addRate("db-drop-connection", "probability the connection drops before a statement inside a transaction (rolled back; default 0)", &p.DBDropConnectionRate)
	fs.addRate("db-lost-commit-ack", "probability a COMMIT is applied and its acknowledgement lost (default 0)", &p.DBLostCommitAckRate)

	fs.add("kv-maxmemory", "BYTES", "the store's memory limit (default 0: none)", func(s string) error {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("%q is not a number of bytes >= 0", s)
		}
		svc.KV.MaxMemory = n
		return nil
	})
	fs.add("kv-eviction", "POLICY", "what the store evicts at its memory limit: "+kv.PolicyNames+" (default noeviction)", func(s string) error {
		pol, err := kv.ParsePolicy(s)
		svc.KV.Policy = pol
		return err
	})
	fs.addDuration("kv-replica-lag", "how far the store's replica lags; a failover loses the writes of that window (default 0)", &svc.KV.ReplicaLag, true)
	fs.add("kv-failover", "TIME", "fail the store over to its replica at TIME, repeatable (e.g. 5s)", func(s string) error {
		t, err := time.ParseDuration(s)
		if err != nil || t < 0 || t > sim.MaxSpan {
			return fmt.Errorf("%q is not a time >= 0 (accepted: a Go duration from the start like 5s, at most %s)", s, sim.MaxSpanText)
		}
		p.Failovers = append(p.Failovers, sim.Time(t))
		return nil
	}).repeats = true
	fs.add("gateway", "MODE", "how the gateway treats a repeated charge: idempotent (by forwarded key), window:DURATION (rejects an identical charge within it) or none (default idempotent)", func(s string) error {
		m, window, err := gateway.ParseMode(s)
		if err == nil && window > sim.MaxSpan {
			err = fmt.Errorf("%q: window over the limit of %s (accepted: idempotent, window:DURATION up to %s, or none)", s, sim.MaxSpanText, sim.MaxSpanText)
		}
		svc.Gateway.Mode, svc.Gateway.Window = m, window
		return err
	})
	fs.add("gateway-time", "DIST", "the gateway's processing time per charge (default lognormal:200ms,0.5)", distValue(&svc.GatewayTime))
	fs.addDuration("gateway-call-timeout", "how long a server waits for the gateway's answer (default 10s)", &svc.GatewayTimeout, false)
	fs.addDuration("gateway-key-retention", "how long the gateway remembers a forwarded key (default 24h; 0: forever)", &svc.Gateway.KeyRetention, true)
	fs.addRate("gateway-timeout", "probability a charge goes through and its answer never comes (default 0)", &p.GatewayTimeoutRate)
	fs.addRate("gateway-500", "probability a charge goes through and the gateway answers 500 (default 0)", &p.Gateway500Rate)
	fs.addDurationUpTo("queue-visibility", "how long a received message stays hidden before it is delivered again (default 30s; as in SQS, at most 12h)", &svc.Queue.VisibilityTimeout, false, queue.MaxVisibilityTimeout, strings.TrimSuffix(queue.MaxVisibilityTimeout.String(), "0m0s"))
	fs.addInt("queue-max-receives", "deliveries after which a message is dead-lettered (default 0: never)", &svc.Queue.MaxReceives, 0, 1000)
	fs.add("service-delay", "DIST", "one-way latency between servers and services (default lognormal:250us,0.3)", distValue(&p.ServiceLink.Delay))
	fs.add("clock-skew", "NODE:OFFSET", "a server's or service's clock is off by OFFSET, repeatable (once per node): s2:+3s, kv:-500ms", clockValue(cfg, true)).keyed("node", beforeColon)
	fs.add("clock-drift", "NODE:RATE", "a server's or service's clock runs at RATE, repeatable (once per node): s1:1.001", clockValue(cfg, false)).keyed("node", beforeColon)

	fs.add("delay", "DIST", "one-way latency between clients and servers (default lognormal:5ms,0.5)", distValue(&p.Link.Delay))
	fs.addRate("drop-request", "probability a request is lost (default 0)", &p.Link.DropRequestRate)
	fs.addRate("drop-response", "probability a response is lost after the server answered (default 0)", &p.Link.DropResponseRate)
	fs.addRate("duplicate", "probability a message is delivered twice, the copy later (default 0)", &p.Link.DuplicateRate)
	fs.addRate("reset", "probability the connection resets after processing (default 0)", &p.Link.ResetRate)
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
	fs.add("crash", "SPEC", "crash a server (or restart kv, losing its data), repeatable: "+faults.CrashSyntax, func(s string) error {
		cr, err := faults.ParseCrash(s)
		o.crashes = append(o.crashes, cr)
		return err
	}).repeats = true
	fs.addDuration("crash-every", "mean time between random server crashes (default none)", &p.CrashEvery, false)
	fs.add("crash-at", "SPEC", "crash a server at a step its strategy names, repeatable: "+faults.CrashPointSyntax, func(s string) error {
		cp, err := faults.ParseCrashPoint(s)
		p.CrashPoints = append(p.CrashPoints, cp)
		return err
	}).repeats = true
	fs.add("pause", "SPEC", "freeze a server or client for a while, its locks and leases held, repeatable: "+faults.PauseSyntax, func(s string) error {
		pa, err := faults.ParsePause(s)
		p.Pauses = append(p.Pauses, pa)
		return err
	}).repeats = true
	fs.add("client-crash", "SPEC", "crash a client, repeatable: "+strings.ReplaceAll(faults.CrashSyntax, "s2", "c2"), func(s string) error {
		cr, err := faults.ParseCrash(s)
		o.clientCrash = append(o.clientCrash, cr)
		return err
	}).repeats = true
	fs.addDuration("client-crash-every", "mean time between random client crashes (default none)", &p.ClientCrashEvery, false)
	fs.addDuration("downtime", "downtime after a random crash (default 1s)", &p.Downtime, false)
	fs.add("replay", "FILE", "inject exactly the faults listed in FILE (as --faults-out writes them); random faults are then off", fileValue(&o.replay))
	fs.add("fault", "LINE", "inject exactly this fault, repeatable, e.g. 'drop-response c1/o1.1/a1'; random faults are then off ('none': no fault at all)", func(s string) error {
		if s == "none" {
			if o.injected == nil {
				o.injected = []faults.Fault{}
			}
			return nil
		}
		f, err := faults.ParseFault(s)
		o.injected = append(o.injected, f)
		return err
	}).repeats = true
	fs.add("faults-out", "FILE", "write the faults that fired, one per line, replayable with --replay", fileValue(&o.faultsOut))
	fs.addDuration("deadline", "virtual time at which the run stops (default 24h)", &cfg.Deadline, false)
	fs.addDuration("settle", "how long background workers go on after the last client is done (default 1m)", &cfg.Settle, true)
	fs.addInt("max-events", fmt.Sprintf("bound on events processed (default 1000000 + %d per operation)", world.DefaultEventsPerOp), &o.maxEvents, 1, 1<<62)
	fs.add("trace", "", "print the run's timeline, one line per event", boolValue(&o.trace))
	fs.add("trace-op", "OP", "print only the timeline of one operation (like o3.7) and the crashes", func(s string) error {
		_, err := api.ParseOpID(s)
		o.traceOp = s
		return err
	})
	fs.add("scenario", "NAME", "run a claim's scenario (idemsim claims lists them) with its timeline; the other flags change it", func(s string) error {
		_, err := claims.Lookup(s)
		o.scenario = s
		return err
	})
	fs.add("scenario-file", "FILE", "run the scenario in FILE (one run directive, as idemsim shrink writes it) with its timeline; the other flags change it", fileValue(&o.scenarioFile))
	fs.add("out", "DIR", "write the run's summary, timeline and fired faults there, and for a violating run its sequence diagram (SVG, PNG)", fileValue(&o.out))
	fs.addInt("violations", "violations to list with their reproduce command (default 3)", &o.violations, 0, 1<<30)
	fs.add("help", "", "this text", boolValue(&o.help))
	return fs
}

// runValuesHelp says what each kind of value takes; the flags' own ranges
// follow their text in brackets.
var runValuesHelp = `Values: a DURATION is a Go duration (250ms, 2s, 1h30m), a TIME the same
counted from the start of the run. Every duration and time, whether a
flag, part of a DIST, a SPEC or a switch, or a field of a fault line, is
at most ` + sim.MaxSpanText + ` (about 11 years); --queue-visibility at most 12h. A
DIST is const:D, uniform:D..D, lognormal:MEDIAN,SIGMA (SIGMA in (0, 4])
or exp:MEAN, and its draws are cut at ` + sim.MaxSpanText + `. A P is a probability in
[0, 1]. A flag is given once unless its text says it is repeatable;
--switch, --clock-skew and --clock-drift once per switch or node.
`

// runSetup is a run command line, parsed and checked.
type runSetup struct {
	cfg      world.Config
	o        runOptions
	command  string   // the command line the summary prints
	given    []string // the flags as given, for the replay warnings
	recorded []string // the header of a replayed fault list
	traceOp  *api.OpID
	help     string // the usage text, when --help was asked for
	// A SQL scenario (its name and script) runs on the database alone.
	scenario, script string
}

// configure parses a run command line into a world to run.
func configure(args []string) (*runSetup, error) {
	cfg := world.Defaults()
	o := runOptions{strategy: "naive", violations: 3}
	fs := runFlags(&cfg, &o)
	rest, err := fs.parse(args)
	if err != nil {
		return nil, err
	}
	if o.scenario != "" && o.scenarioFile != "" {
		return nil, usagef("idemsim run: --scenario and --scenario-file: give one")
	}
	if o.scenario != "" || o.scenarioFile != "" {
		// The scenario's flags, then the user's: parse them again as one
		// command line, which is what the summary prints.
		var base []string
		flag := "scenario"
		if o.scenario != "" {
			sc, _ := claims.Lookup(o.scenario)
			if sc.Script != "" {
				if len(fs.given) > 2 {
					return nil, usagef("idemsim run: --scenario %s: a SQL scenario takes no other flag (run idemsim run --scenario %s alone)", sc.Name, sc.Name)
				}
				return &runSetup{scenario: sc.Name, script: sc.Script}, nil
			}
			base = sc.Args
		} else {
			flag = "scenario-file"
			text, err := inputfile.Read(o.scenarioFile, maxScenarioFile)
			if err != nil {
				return nil, usagef("idemsim run: --scenario-file %s: %v", o.scenarioFile, err)
			}
			if base, _, err = claims.ParseRunFile(o.scenarioFile, string(text)); err != nil {
				return nil, usagef("idemsim run: --scenario-file: %v", err)
			}
			if slices.ContainsFunc(base, func(a string) bool { n := flagName(a); return n == "scenario" || n == "scenario-file" }) {
				return nil, usagef("idemsim run: --scenario-file %s: its flags name another scenario (accepted: the flags of one run)", o.scenarioFile)
			}
			// The file's flags on their own first: once the user's are
			// added, a flag missing its value at the end of the file would
			// take the next one (--clients, then --trace) and the error
			// would name a flag the user never wrote.
			scratch, scratchO := world.Defaults(), runOptions{}
			if _, err := runFlags(&scratch, &scratchO).parse(base); err != nil {
				return nil, usagef("idemsim run: --scenario-file %s: %s", o.scenarioFile, strings.TrimPrefix(err.Error(), "idemsim run: "))
			}
		}
		args = withScenario(fs, flag, base, args)
		cfg, o = world.Defaults(), runOptions{strategy: "naive", violations: 3}
		fs = runFlags(&cfg, &o)
		if rest, err = fs.parse(args); err != nil {
			return nil, err
		}
	}
	if o.help {
		return &runSetup{help: fmt.Sprintf("usage: idemsim run [flags]\n\n%s\n%s", runValuesHelp, fs.usage())}, nil
	}
	if len(rest) > 0 {
		return nil, usagef("idemsim run: unexpected argument %q (flags start with --)", rest[0])
	}
	if cfg.Strategy, err = lookupStrategy(o.strategy); err != nil {
		return nil, usagef("idemsim run: --strategy: %v", err)
	}
	if o.chaos != nil {
		// The chaos world is the base; parse the flags again over it. An
		// explicit fault list replaces its fault mix: its timed faults
		// too, not only its random ones (a list recorded from it holds
		// those that fired).
		explicit := o.injected != nil || o.replay != ""
		cfg, o = experiments.Chaos(cfg.Strategy, *o.chaos), runOptions{strategy: o.strategy, violations: 3}
		if explicit {
			p := cfg.Faults
			cfg.Faults = faults.Plan{Link: faults.Link{Delay: p.Link.Delay}, ServiceLink: faults.Link{Delay: p.ServiceLink.Delay}, Links: p.Links, Downtime: p.Downtime}
		}
		strategy := cfg.Strategy
		fs = runFlags(&cfg, &o)
		if _, err := fs.parse(args); err != nil {
			return nil, err
		}
		cfg.Strategy = strategy
	}
	if o.policy != "" {
		if err := cfg.Client.Policy.Override(o.policy); err != nil {
			return nil, usagef("idemsim run: --policy: %v", err)
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
	if o.crashes != nil {
		cfg.Faults.Crashes = o.crashes
	}
	if o.clientCrash != nil {
		cfg.Faults.ClientCrashes = o.clientCrash
	}
	st := &runSetup{given: fs.given}
	if o.replay != "" {
		text, err := inputfile.Read(o.replay, maxFaultFile)
		if err != nil {
			return nil, usagef("idemsim run: --replay %s: %v", o.replay, err)
		}
		list, err := faults.ReadFaults(bytes.NewReader(text))
		if err != nil {
			return nil, usagef("idemsim run: --replay %s: %v", o.replay, err)
		}
		st.recorded = faults.Header(bytes.NewReader(text))
		cfg.Faults.Replay = append([]faults.Fault{}, list...)
	}
	if o.injected != nil {
		cfg.Faults.Replay = append(append([]faults.Fault{}, cfg.Faults.Replay...), o.injected...)
	}
	if o.traceOp != "" {
		op, _ := api.ParseOpID(o.traceOp)
		st.traceOp = &op
	}
	cfg.KeepTrace = o.trace || st.traceOp != nil || o.out != ""
	if err := cfg.Validate(); err != nil {
		return nil, configError(err, &o)
	}
	if st.traceOp != nil {
		if err := cfg.CheckOp(*st.traceOp); err != nil {
			return nil, configError(err, &o)
		}
	}
	if o.out != "" {
		if err := checkRunOutDir(o.out); err != nil {
			return nil, usagef("idemsim run: --out %s: %v", o.out, err)
		}
	}
	if o.faultsOut != "" {
		// Fail before the run, not after its summary is printed.
		if err := checkWritable(o.faultsOut); err != nil {
			return nil, usagef("idemsim run: --faults-out %s: %v", o.faultsOut, err)
		}
	}
	st.command = "idemsim run"
	if given := withoutTraceFlags(fs.given); len(given) > 0 {
		st.command += " " + strings.Join(given, " ")
	}
	st.cfg, st.o = cfg, o
	return st, nil
}

func runCommand(args []string, stdout, stderr io.Writer) error {
	st, err := configure(args)
	if err != nil {
		return err
	}
	if st.script != "" {
		// A claim settled on the database alone: its script, at each level.
		out, err := runScript(st.scenario, st.script, "", script.DefaultOptions())
		if err != nil {
			return err
		}
		_, err = io.WriteString(stdout, out)
		return err
	}
	if st.help != "" {
		_, err := io.WriteString(stdout, st.help)
		return err
	}
	cfg, o, command := st.cfg, st.o, st.command
	warnRecorded(stderr, st.recorded, st.given)
	res, err := world.Run(cfg)
	if err != nil {
		return configError(err, &o)
	}
	if o.trace || st.traceOp != nil {
		if err := res.WriteTrace(stdout, st.traceOp); err != nil {
			return err
		}
		fmt.Fprintln(stdout)
	}
	rep := check.Audit(res)
	lin, linErr := check.Linearize(res, check.DefaultTimeout)
	var summary bytes.Buffer
	printSummary(io.MultiWriter(stdout, &summary), command, res, &rep, &lin, linErr, o.violations)
	if o.out != "" {
		wrote, err := writeOutDir(o.out, command, res, &rep, &lin, st.traceOp, summary.Bytes())
		if err != nil {
			return fmt.Errorf("idemsim run: --out %s: %w", o.out, err)
		}
		fmt.Fprintf(stdout, "wrote      %s: %s\n", o.out, strings.Join(wrote, ", "))
	}
	warnUnfired(stderr, res.Unfired)
	if o.faultsOut != "" {
		if err := writeFaults(o.faultsOut, command, res); err != nil {
			return fmt.Errorf("idemsim run: --faults-out %s: %w", o.faultsOut, err)
		}
		fmt.Fprintf(stdout, "wrote      %s: the %s that fired, for --replay\n", o.faultsOut, plural(len(res.Faults), "fault"))
	}
	return stopError("idemsim run", res)
}

// stopError is the error of a run that stopped before it finished: at the
// event limit, or at the memory limit (nil for any other run).
func stopError(cmd string, res *world.Result) error {
	switch res.Stop {
	case sim.EventLimit:
		return &stoppedError{fmt.Sprintf("%s: stopped at the event limit (%d events) at %v virtual, before the run finished: raise --max-events, or look for a fault that fires without end", cmd, res.Kernel.Events, res.End)}
	case world.MemoryLimit:
		return &stoppedError{fmt.Sprintf("%s: stopped at the memory limit (%s held: %d attempts, %d faults) at %v virtual, before the run finished: lower --clients, --ops or --attempts, or look for a fault that fires without end", cmd, world.FormatBytes(res.Held), len(res.History), len(res.Faults), res.End)}
	}
	return nil
}

// maxUnfiredWarnings is how many replayed faults that never fired are
// named one by one; the rest are counted in one line (a list recorded from
// another world may hold hundreds of thousands).
const maxUnfiredWarnings = 5

// warnUnfired warns about the replayed faults that never fired.
func warnUnfired(stderr io.Writer, unfired []faults.Fault) {
	for i, f := range unfired {
		if i == maxUnfiredWarnings {
			fmt.Fprintf(stderr, "idemsim run: warning: and %s never fired (%d in all)\n", plural(len(unfired)-i, "more replayed fault"), len(unfired))
			return
		}
		fmt.Fprintf(stderr, "idemsim run: warning: replayed fault %q never fired (no such message, or its node was down): the run differs from the recorded one\n", f.String())
	}
}

// stoppedError is a run that stopped before it finished, after printing
// what it found.
type stoppedError struct{ msg string }

func (e *stoppedError) Error() string { return e.msg }

// withScenario is a scenario's flags overlaid with the user's (without the
// --scenario or --scenario-file flag itself), asking for the timeline unless a trace is
// chosen.
func withScenario(fs *flagSet, flag string, scenario, user []string) []string {
	user = slices.Clone(user)
	for i := 0; i < len(user); i++ {
		if flagName(user[i]) == flag {
			user = slices.Delete(user, i, i+flagArity(fs, user, i))
			break
		}
	}
	out := overlay(fs, scenario, user)
	if !slices.ContainsFunc(out, func(a string) bool { return flagName(a) == "trace" || flagName(a) == "trace-op" }) {
		out = append(out, "--trace")
	}
	return out
}

// overlay is the flags of base followed by those of top, without base's
// setting of a flag that top sets again (repeatable flags add up, but for
// a keyed one's setting of the same thing: top's --switch lease=10s
// replaces base's --switch lease=90s).
func overlay(fs *flagSet, base, top []string) []string {
	given := map[string]bool{}
	for i := 0; i < len(top); i += flagArity(fs, top, i) {
		if key, ok := overlayKey(fs, top, i); ok {
			given[key] = true
		}
	}
	var out []string
	for i := 0; i < len(base); i += flagArity(fs, base, i) {
		if key, ok := overlayKey(fs, base, i); !ok || !given[key] {
			out = append(out, base[i:i+flagArity(fs, base, i)]...)
		}
	}
	return append(out, top...)
}

// overlayKey is what a later setting of the flag at args[i] replaces: the
// flag (one that is not repeatable), or the flag and its value's key (a
// keyed one); false for a flag whose settings add up.
func overlayKey(fs *flagSet, args []string, i int) (string, bool) {
	name := flagName(args[i])
	s := fs.lookup(name)
	switch {
	case s == nil:
		return "", false
	case !s.repeats:
		return name, true
	case s.keyOf == nil:
		return "", false
	}
	_, value, ok := strings.Cut(args[i], "=")
	if !ok && i+1 < len(args) {
		value = args[i+1]
	}
	return name + "\x00" + s.keyOf(value), true
}

// flagName is the name of the flag an argument sets ("--a=b" and "--a": a).
func flagName(arg string) string {
	n, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
	return n
}

// flagArity is how many arguments the flag at args[i] spans.
func flagArity(fs *flagSet, args []string, i int) int {
	s := fs.lookup(flagName(args[i]))
	if s != nil && s.arg != "" && !strings.Contains(args[i], "=") && i+1 < len(args) {
		return 2
	}
	return 1
}

// extraStrategies are strategies beyond the thread's that the command
// accepts: the tests register the probes of internal/probes here.
var extraStrategies []api.Strategy

func lookupStrategy(name string) (api.Strategy, error) {
	for _, s := range extraStrategies {
		if s.Name == name {
			return s, nil
		}
	}
	return models.Lookup(name)
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

// maxFaultFile bounds a fault list read by --replay, maxScenarioFile a
// scenario file read by --scenario-file.
const (
	maxFaultFile    = faults.MaxListBytes
	maxScenarioFile = 16 << 20
)

// checkWritable fails for an output path that the write would not land in
// a regular file of: one that is (or links to) a directory, a device, a
// named pipe or a socket, or whose directory does not exist.
func checkWritable(path string) error {
	target, err := atomicfile.Resolve(path)
	if r := (*atomicfile.RefusedError)(nil); errors.As(err, &r) {
		return fmt.Errorf("%s; want a file name (a regular file, a new one, or a symbolic link to either)", r.Describe())
	}
	if err != nil {
		target = path // a component is not a directory, or cannot be read
	}
	if dir := filepath.Dir(target); !isDir(dir) {
		return fmt.Errorf("directory %s does not exist", dir)
	}
	return err
}

func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// The header lines --faults-out writes before the faults.
const (
	headerCommand = "command: "
	headerTrace   = "trace: "
)

// writeFaults writes the fault list, under a header recording the command
// that produced it and its trace hash, to a temporary file and renames it
// into place, so an interrupted run leaves no half-written list.
func writeFaults(path, command string, res *world.Result) error {
	return writeFileAtomic(path, faultList(path, command, res))
}

// faultList is the file --faults-out writes to path: the header, then the
// faults that fired, one per line.
func faultList(path, command string, res *world.Result) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s%s\n", headerCommand, command)
	fmt.Fprintf(&b, "# %s%016x; replay with: idemsim run <the same flags> --replay %s\n", headerTrace, res.TraceHash, path)
	for _, f := range res.Faults {
		b.WriteString(f.String())
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// warnRecorded warns when a replayed fault list was recorded with other
// flags than this run's: its faults may not match this world, and the trace
// hash will differ.
func warnRecorded(stderr io.Writer, header []string, given []string) {
	for _, line := range header {
		rec, ok := strings.CutPrefix(line, headerCommand)
		if !ok {
			continue
		}
		if want, have := worldFlags(strings.Fields(strings.TrimPrefix(rec, "idemsim run"))), worldFlags(given); want != have {
			fmt.Fprintf(stderr, "idemsim run: warning: the fault list was recorded by %q; this run's flags differ (%s vs %s), so its faults may not match this world\n", rec, have, want)
		}
	}
}

// worldFlags are the flags that shape the world, as one string: all but
// those that say where output goes or which faults to replay.
func worldFlags(given []string) string {
	var out []string
	for i := 0; i < len(given); i++ {
		switch given[i] {
		case "--trace", "--help":
			continue
		case "--trace-op", "--faults-out", "--violations", "--replay", "--fault":
			i++
			continue
		}
		out = append(out, given[i])
	}
	return strings.Join(out, " ")
}

func fileValue(dst *string) func(string) error {
	return func(s string) error {
		if strings.TrimSpace(s) == "" {
			return fmt.Errorf("empty file name")
		}
		*dst = s
		return nil
	}
}

// clockValue reads NODE:OFFSET (skew) or NODE:RATE (drift) into the
// config's clocks.
func clockValue(cfg *world.Config, skew bool) func(string) error {
	return func(s string) error {
		node, v, ok := strings.Cut(s, ":")
		if !ok || node == "" {
			if skew {
				return fmt.Errorf("%q: want NODE:OFFSET like s2:+3s or kv:-500ms", s)
			}
			return fmt.Errorf("%q: want NODE:RATE like s1:1.001", s)
		}
		i := -1
		for j := range cfg.Clocks {
			if cfg.Clocks[j].Node == node {
				i = j
			}
		}
		if i < 0 {
			cfg.Clocks = append(cfg.Clocks, world.Clock{Node: node, Drift: 1})
			i = len(cfg.Clocks) - 1
		}
		if skew {
			d, err := time.ParseDuration(strings.TrimPrefix(v, "+"))
			if err != nil || d < -sim.MaxSpan || d > sim.MaxSpan {
				return fmt.Errorf("%q: bad offset %q (accepted: a signed Go duration like +3s or -500ms, at most %s either way)", s, v, sim.MaxSpanText)
			}
			cfg.Clocks[i].Offset = d
			return nil
		}
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || !(r > 0.5 && r < 2) {
			return fmt.Errorf("%q: bad rate %q (accepted: a number in (0.5, 2) like 1.001)", s, v)
		}
		cfg.Clocks[i].Drift = r
		return nil
	}
}

// parseLevel reads an isolation level in either spelling.
func parseLevel(s string) (sql.Level, error) {
	if l, ok := sql.ParseLevel(s); ok {
		return l, nil
	}
	return 0, fmt.Errorf("%q (accepted: %s)", s, strings.Join(sql.LevelNames(), ", "))
}
