package cli

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
	"github.com/idemsim/idemsim/explore"
	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/atomicfile"
	"github.com/idemsim/idemsim/internal/inputfile"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/db"
	"github.com/idemsim/idemsim/sim/db/script"
	"github.com/idemsim/idemsim/sim/db/sql"
	"github.com/idemsim/idemsim/sim/gateway"
	"github.com/idemsim/idemsim/sim/kv"
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
	crashes     []faults.Crash // given: they replace the world's
	clientCrash []faults.Crash // the same, for clients
	injected    []faults.Fault
	chaos       *uint64
	scenario    string
	// scenarioFile: a file of one run (as idemsim shrink writes it).
	scenarioFile string
	out          string // a directory for the run's files
	// timeScale multiplies the world's long durations (world.Config.Scaled).
	timeScale world.TimeScale
	// choices: a choice trail (idemsim explore's) drives the run instead
	// of the seed's streams alone.
	choices *explore.Trail
}

// defaultRunOptions are the options of a run that sets none.
func defaultRunOptions() runOptions { return runOptions{strategy: models.Naive.Name, violations: 3} }

// runTarget is what the run flags build: the options, applied first, then
// the world, applied on the base the options choose (world.Defaults(), or
// a chaos world).
type runTarget struct {
	o   runOptions
	cfg world.Config
}

// apply applies the flags to t: the options (option true) or the world's.
func (t *runTarget) apply(flags []flagArg, option bool) {
	for _, f := range flags {
		if f.apply != nil && f.spec.option == option {
			f.apply(t)
		}
	}
}

// runFlags are the run command's flags. Each reads its value when the
// command line is parsed and is applied once the world to build on is
// chosen (configure); the ranges and defaults in their help come from
// world's setting tables and world.Defaults().
func runFlags() *flagSet {
	fs := &flagSet{cmd: "run"}
	def, opt := world.Defaults(), defaultRunOptions()
	cfgOf := func(t *runTarget) *world.Config { return &t.cfg }
	// do is a world flag's reader that changes the world with what read
	// returned.
	do := func(read func(string) (func(*world.Config), error)) func(string) (func(*runTarget), error) {
		return func(s string) (func(*runTarget), error) {
			f, err := read(s)
			if err != nil {
				return nil, err
			}
			return func(t *runTarget) { f(cfgOf(t)) }, nil
		}
	}
	// appendTo is a repeatable option's reader: each value read is added
	// to the list field returns.
	appendTo := func(read func(string) (faults.Crash, error), field func(*runOptions) *[]faults.Crash) func(string) (func(*runTarget), error) {
		return func(s string) (func(*runTarget), error) {
			v, err := read(s)
			if err != nil {
				return nil, err
			}
			return func(t *runTarget) { *field(&t.o) = append(*field(&t.o), v) }, nil
		}
	}
	fs.addOption("strategy", "NAME", "server strategy: "+strings.Join(models.Names(), ", ")+" (default "+opt.strategy+")", into(func(s string) (string, error) {
		if _, err := lookupStrategy(s); err != nil {
			return "", fmt.Errorf("%q (accepted: %s)", s, strings.Join(models.Names(), ", "))
		}
		return s, nil
	}, func(t *runTarget) *string { return &t.o.strategy }))
	fs.addRun("seed", "N", fmt.Sprintf("seed of every random choice (default %d)", def.Seed), into(readUint64, func(t *runTarget) *uint64 { return &t.cfg.Seed })).accepts = uint64Range
	fs.addOption("chaos", "N", "start from chaos world N, the strategy soak's: a small world with a fault mix drawn from N (the test's failure message names N); the other flags then change it, and --fault or --replay replace its faults", into(func(s string) (*uint64, error) {
		n, err := readUint64(s)
		return &n, err
	}, func(t *runTarget) **uint64 { return &t.o.chaos })).accepts = uint64Range
	fs.addInt(world.IntNamed("servers"), "server replicas behind the balancer (default %s)", &def)
	fs.addRun("balancer", "KIND", fmt.Sprintf("%s or %s (default %s)", world.RoundRobin, world.Random, def.Balancer), into(func(s string) (world.Balancer, error) {
		b, err := readOneOf(string(world.RoundRobin), string(world.Random))(s)
		return world.Balancer(b), err
	}, func(t *runTarget) *world.Balancer { return &t.cfg.Balancer }))
	fs.addInt(world.IntNamed("clients"), "clients, each consuming a queue of operations (default %s)", &def)
	fs.addInt(world.IntNamed("ops"), "operations per client (default %s"+fmt.Sprintf("; clients x ops at most %d, %s each within a run's %s)", world.MaxRunBytes/world.BytesPerOp, world.FormatBytes(world.BytesPerOp), world.FormatBytes(world.MaxRunBytes)), &def)
	fs.addInt(world.WorkersPerOp, "clients that consume the same queue: same operations, same keys (default %s)", &def)
	fs.addDuration(world.DurationNamed("timeout"), "client timeout per attempt (default %s)", &def)
	fs.addInt(world.IntNamed("attempts"), "attempt budget per operation (default %s)", &def)
	fs.addDuration(world.DurationNamed("backoff-base"), "full-jitter backoff base (default %s)", &def)
	fs.addDuration(world.DurationNamed("backoff-cap"), "full-jitter backoff cap (default %s)", &def)
	fs.addDuration(world.DurationNamed("poll-interval"), "wait between polls after a 202 (default %s)", &def)
	fs.addDist(world.DistNamed("think"), "client pause before each operation (default %s)", &def)
	fs.addRun("policy", "STATUS=ACTION,...", "override how clients read statuses, e.g. 409=retry", do(func(s string) (func(*world.Config), error) {
		// Read against the default policy; a policy's override reads
		// the same whatever it overrides.
		pol := world.DefaultPolicy()
		if err := pol.Override(s); err != nil {
			return nil, err
		}
		return func(c *world.Config) { _ = c.Client.Policy.Override(s) }, nil
	}))
	fs.addRun("key-on-restart", "KIND", fmt.Sprintf("%s or %s the key when a client restarts mid-operation (default %s)", world.KeyPersist, world.KeyRegenerate, def.Client.KeyOnRestart), into(func(s string) (world.KeyOnRestart, error) {
		k, err := readOneOf(string(world.KeyPersist), string(world.KeyRegenerate))(s)
		return world.KeyOnRestart(k), err
	}, func(t *runTarget) *world.KeyOnRestart { return &t.cfg.Client.KeyOnRestart }))
	fs.addRun("retry-after", "KIND", "honour: an error with Retry-After (409 in progress, 429) means try again after it, whatever --policy says of its status; ignore: the policy alone decides (default "+choice(def.Client.IgnoreRetryAfter, "honour", "ignore")+")",
		into(readChoice("honour", "ignore"), func(t *runTarget) *bool { return &t.cfg.Client.IgnoreRetryAfter }))
	fs.addRun("key-after-5xx", "KIND", "keep the key for a retry after a 5xx, or mint a new one (default "+choice(def.Client.NewKeyAfter5xx, "keep", "new")+")",
		into(readChoice("keep", "new"), func(t *runTarget) *bool { return &t.cfg.Client.NewKeyAfter5xx }))
	fs.addDuration(world.DurationNamed("op-deadline"), "a client stops retrying an operation this long after its first attempt (default %s: only --attempts)", &def)
	fs.addRate(world.RateNamed("reuse-key"), "probability an operation reuses the previous operation's key with its own payload, a client bug (default %s)", &def)
	fs.addRate(world.RateNamed("same-payment"), "probability an operation asks for the same payment as the previous one, under its own key (default %s)", &def)
	fs.addRate(world.RateNamed("delete-after"), "probability an operation deletes the payment the previous one created, under its key, once that is done (default %s; a strategy with a delete handler: client-id)", &def)
	fs.addDist(world.DistNamed("service-time"), "server work per request (default %s)", &def)

	fs.addRun("switch", "NAME=VALUE", "set one of the strategy's switches, repeatable: "+switchSyntax()+" (defaults: idemsim list)", do(func(s string) (func(*world.Config), error) {
		return func(c *world.Config) { c.Switches = append(c.Switches, s) }, nil
	})).keyed("switch", beforeEquals)
	fs.addRun("work", "KIND", "the business operation: local (record the payment) or charge (charge the card at the gateway, then record it; default "+choice(def.Charge, "local", "charge")+")",
		into(readChoice("local", "charge"), func(t *runTarget) *bool { return &t.cfg.Charge }))
	fs.addRun("isolation", "LEVEL", "the strategy's transaction isolation: "+strings.Join(sql.LevelNames(), ", ")+" (default "+def.DB.Isolation.Slug()+")",
		into(parseLevel, func(t *runTarget) *sql.Level { return &t.cfg.DB.Isolation }))
	fs.addRun("ssi-locks", "page|key", "what serializable's read locks cover: page (B-tree leaf pages, heap pages and tables, as PostgreSQL) or key (only the keys looked up); default "+def.DB.SSILocks.String(),
		into(readSSILocks, func(t *runTarget) *db.SSIGranularity { return &t.cfg.DB.SSILocks }))
	fs.addInt(world.IntNamed("db-pool"), "database connections per server (default %s)", &def)
	fs.addDist(world.DistNamed("db-latency"), "the database's own time per statement, on top of the link's (default %s)", &def)
	fs.addDuration(world.DurationNamed("db-statement-timeout"), "statement_timeout (default %s: none)", &def)
	fs.addDuration(world.DurationNamed("db-lock-timeout"), "lock_timeout (default %s: none)", &def)
	fs.addDuration(world.DurationNamed("db-replica-lag"), "how far the read replica is behind the primary (default %s: current; replica-check reads keys there)", &def)
	fs.addDuration(world.DurationNamed("deadlock-timeout"), "how long a lock waiter waits before checking for a deadlock (default %s)", &def)
	fs.addRate(world.RateNamed("db-drop-connection"), "probability the connection drops before a statement inside a transaction (rolled back; default %s)", &def)
	fs.addRate(world.RateNamed("db-lost-commit-ack"), "probability a COMMIT is applied and its acknowledgement lost (default %s)", &def)

	fs.addRun("kv-maxmemory", "BYTES", fmt.Sprintf("the store's memory limit (default %d: none)", def.Services.KV.MaxMemory), into(func(s string) (int64, error) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%q is not a number of bytes >= 0", s)
		}
		return n, nil
	}, func(t *runTarget) *int64 { return &t.cfg.Services.KV.MaxMemory }))
	fs.addRun("kv-eviction", "POLICY", "what the store evicts at its memory limit: "+kv.PolicyNames+" (default "+def.Services.KV.Policy.String()+")",
		into(kv.ParsePolicy, func(t *runTarget) *kv.EvictionPolicy { return &t.cfg.Services.KV.Policy }))
	fs.addDuration(world.DurationNamed("kv-replica-lag"), "how far the store's replica lags; a failover loses the writes of that window (default %s)", &def)
	fs.addRun("kv-failover", "TIME", "fail the store over to its replica at TIME, repeatable (e.g. 5s)", do(func(s string) (func(*world.Config), error) {
		t, err := time.ParseDuration(s)
		if err != nil || t < 0 || t > sim.MaxSpan {
			return nil, fmt.Errorf("%q is not a time >= 0 (accepted: a Go duration from the start like 5s, at most %s)", s, sim.MaxSpanText)
		}
		return func(c *world.Config) { c.Faults.Failovers = append(c.Faults.Failovers, sim.Time(t)) }, nil
	})).repeats = true
	fs.addRun("gateway", "MODE", "how the gateway treats a repeated charge: idempotent (by forwarded key), window:DURATION (rejects an identical charge within it) or none (default "+def.Services.Gateway.Mode.String()+")", do(func(s string) (func(*world.Config), error) {
		m, window, err := gateway.ParseMode(s)
		if err == nil && window > sim.MaxSpan {
			err = fmt.Errorf("%q: window over the limit of %s (accepted: idempotent, window:DURATION up to %s, or none)", s, sim.MaxSpanText, sim.MaxSpanText)
		}
		if err != nil {
			return nil, err
		}
		return func(c *world.Config) { c.Services.Gateway.Mode, c.Services.Gateway.Window = m, window }, nil
	}))
	fs.addDist(world.DistNamed("gateway-time"), "the gateway's processing time per charge (default %s)", &def)
	fs.addDuration(world.DurationNamed("gateway-call-timeout"), "how long a server waits for the gateway's answer (default %s)", &def)
	fs.addDuration(world.DurationNamed("gateway-key-retention"), "how long the gateway remembers a forwarded key (default %s; 0: forever)", &def)
	fs.addRate(world.RateNamed("gateway-timeout"), "probability a charge goes through and its answer never comes (default %s)", &def)
	fs.addRate(world.RateNamed("gateway-500"), "probability a charge goes through and the gateway answers 500 (default %s)", &def)
	fs.addDuration(world.DurationNamed("queue-visibility"), "how long a received message stays hidden before it is delivered again (default %s; as in SQS, at most "+world.DurationNamed("queue-visibility").MaxText+")", &def)
	fs.addInt(world.QueueMaxReceives, "deliveries after which a message is dead-lettered (default %s: never)", &def)
	fs.addDist(world.DistNamed("service-delay"), "one-way latency between servers and services (default %s)", &def)
	fs.addRun("clock-skew", "NODE:OFFSET", "a server's or service's clock is off by OFFSET, repeatable (once per node): s2:+3s, kv:-500ms", do(clockValue(true))).keyed("node", beforeColon)
	fs.addRun("clock-drift", "NODE:RATE", "a server's or service's clock runs at RATE, repeatable (once per node): s1:1.001", do(clockValue(false))).keyed("node", beforeColon)

	fs.addDist(world.DistNamed("delay"), "one-way latency between clients and servers (default %s)", &def)
	fs.addRate(world.RateNamed("drop-request"), "probability a request is lost (default %s)", &def)
	fs.addRate(world.RateNamed("drop-response"), "probability a response is lost after the server answered (default %s)", &def)
	fs.addRate(world.RateNamed("duplicate"), "probability a message is delivered twice, the copy later (default %s)", &def)
	fs.addRate(world.RateNamed("reset"), "probability the connection resets after processing (default %s)", &def)
	fs.addRun("link", "RULE", "per-link override, repeatable: "+faults.LinkRuleSyntax, do(func(s string) (func(*world.Config), error) {
		r, err := faults.ParseLinkRule(s)
		return func(c *world.Config) { c.Faults.Links = append(c.Faults.Links, r) }, err
	})).repeats = true
	fs.addRun("partition", "SPEC", "cut links for a window, repeatable: "+faults.PartitionSyntax, do(func(s string) (func(*world.Config), error) {
		part, err := faults.ParsePartition(s)
		return func(c *world.Config) { c.Faults.Partitions = append(c.Faults.Partitions, part) }, err
	})).repeats = true
	fs.addOption("crash", "SPEC", "crash a server (or restart kv, losing its data), repeatable: "+faults.CrashSyntax,
		appendTo(faults.ParseCrash, func(o *runOptions) *[]faults.Crash { return &o.crashes })).repeats = true
	fs.addDuration(world.DurationNamed("crash-every"), "mean time between random server crashes (default %s: none)", &def)
	fs.addRun("crash-at", "SPEC", "crash a server at a step its strategy names, repeatable: "+faults.CrashPointSyntax, do(func(s string) (func(*world.Config), error) {
		cp, err := faults.ParseCrashPoint(s)
		return func(c *world.Config) { c.Faults.CrashPoints = append(c.Faults.CrashPoints, cp) }, err
	})).repeats = true
	fs.addRun("pause", "SPEC", "freeze a server or client for a while, its locks and leases held, repeatable: "+faults.PauseSyntax, do(func(s string) (func(*world.Config), error) {
		pa, err := faults.ParsePause(s)
		return func(c *world.Config) { c.Faults.Pauses = append(c.Faults.Pauses, pa) }, err
	})).repeats = true
	fs.addOption("client-crash", "SPEC", "crash a client, repeatable: "+strings.ReplaceAll(faults.CrashSyntax, "s2", "c2"),
		appendTo(faults.ParseCrash, func(o *runOptions) *[]faults.Crash { return &o.clientCrash })).repeats = true
	fs.addDuration(world.DurationNamed("client-crash-every"), "mean time between random client crashes (default %s: none)", &def)
	fs.addDuration(world.DurationNamed("downtime"), "downtime after a random crash (default %s)", &def)
	fs.addOption("replay", "FILE", "inject exactly the faults listed in FILE (as --faults-out writes them); random faults are then off", into(readFile, func(t *runTarget) *string { return &t.o.replay }))
	fs.addOption("fault", "LINE", "inject exactly this fault, repeatable, e.g. 'drop-response c1/o1.1/a1'; random faults are then off ('none': no fault at all)", func(s string) (func(*runTarget), error) {
		if s == "none" {
			return func(t *runTarget) {
				if t.o.injected == nil {
					t.o.injected = []faults.Fault{}
				}
			}, nil
		}
		f, err := faults.ParseFault(s)
		return func(t *runTarget) { t.o.injected = append(t.o.injected, f) }, err
	}).repeats = true
	fs.addOption("choices", "TRAIL", "replay the choices of a trail idemsim explore wrote ("+explore.TrailVersion+" N:STREAM=Q ... tN=K ...): every latency draw at its median and every same-instant tie in scheduling order but the listed ones, the rest from the seed", into(func(s string) (*explore.Trail, error) {
		t, err := explore.ParseTrail(s)
		return &t, err
	}, func(t *runTarget) **explore.Trail { return &t.o.choices }))
	fs.addOption("faults-out", "FILE", "write the faults that fired, one per line, replayable with --replay", into(readFile, func(t *runTarget) *string { return &t.o.faultsOut }))
	fs.addDuration(world.DurationNamed("deadline"), "virtual time at which the run stops (default %s)", &def)
	fs.addDuration(world.DurationNamed("settle"), "how long background workers go on after the last client is done (default %s)", &def)
	fs.addOption("time-scale", "F", "multiply the world's long durations (retention, lease, the gateway's key retention or window, timeout, op-deadline, deadline, the downtime of each --crash, --pause, --client-crash and --crash-at, clock offsets) by F, the same in idemsim run and idemsim live, so that a world of hours runs live in seconds; network, service and backoff times stay as they are, and no scaled duration may fall under "+world.DurationText(world.MinScaledSpan)+" (default 1: none)",
		into(world.ParseTimeScale, func(t *runTarget) *world.TimeScale { return &t.o.timeScale })).accepts = "0 < F <= 1, as 1/N or a decimal; N at most 1000000000"
	fs.addRun("max-events", "N", fmt.Sprintf("bound on events processed (default %d + %d per operation)", world.BaseEvents, world.DefaultEventsPerOp), into(func(s string) (uint64, error) {
		n, err := readIntIn(1, 1<<62)(s)
		return uint64(n), err
	}, func(t *runTarget) *uint64 { return &t.cfg.MaxEvents })).accepts = fmt.Sprintf("%d to %d", 1, 1<<62)
	fs.addOption("trace", "", "print the run's timeline, one line per event", into(readTrue, func(t *runTarget) *bool { return &t.o.trace }))
	fs.addOption("trace-op", "OP", "print only the timeline of one operation (like o3.7) and the crashes", into(func(s string) (string, error) {
		_, err := api.ParseOpID(s)
		return s, err
	}, func(t *runTarget) *string { return &t.o.traceOp }))
	fs.addOption("scenario", "NAME", "run a claim's scenario (idemsim claims lists them) with its timeline; the other flags change it", into(func(s string) (string, error) {
		_, err := claims.Lookup(s)
		return s, err
	}, func(t *runTarget) *string { return &t.o.scenario }))
	fs.addOption("scenario-file", "FILE", "run the scenario in FILE (one run directive, as idemsim shrink writes it) with its timeline; the other flags change it", into(readFile, func(t *runTarget) *string { return &t.o.scenarioFile }))
	fs.addOption("out", "DIR", "write the run's summary, timeline and fired faults there, and for a violating run its sequence diagram (SVG, PNG)", into(readFile, func(t *runTarget) *string { return &t.o.out }))
	fs.addOption("violations", "N", fmt.Sprintf("violations to list with their reproduce command (default %d)", opt.violations), into(readIntIn(0, 1<<30), func(t *runTarget) *int { return &t.o.violations })).accepts = fmt.Sprintf("%d to %d", 0, 1<<30)
	fs.addOption("help", "", "this text", into(readTrue, func(t *runTarget) *bool { return &t.o.help }))
	return fs
}

// choice is the word for a boolean setting: no when false, yes when true.
func choice(v bool, no, yes string) string {
	if v {
		return yes
	}
	return no
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

// configure parses a run command line into a world to run. The command
// line is read once: each flag's value is read and checked in the order
// given. A scenario's flags (its own command line, read once too) go under
// the user's. The options then say which world to build on (the defaults,
// or a chaos world), and the world's flags are applied to it.
func configure(args []string) (*runSetup, error) {
	fs := runFlags()
	flags, rest, err := fs.parseFlags(args)
	if err != nil {
		return nil, err
	}
	if flags, rest, err = withScenario(fs, flags, rest); err != nil {
		return nil, err
	}
	if len(flags) == 1 && flags[0].spec == nil {
		// A SQL scenario: it runs on the database alone.
		return &runSetup{scenario: flags[0].name, script: flags[0].value}, nil
	}
	t := runTarget{o: defaultRunOptions()}
	t.apply(flags, true)
	o := &t.o
	if o.help {
		return &runSetup{help: fmt.Sprintf("usage: idemsim run [flags]\n\n%s\n%s", runValuesHelp, fs.usage())}, nil
	}
	if len(rest) > 0 {
		return nil, usagef("idemsim run: unexpected argument %q (flags start with --)", rest[0])
	}
	strategy, err := lookupStrategy(o.strategy)
	if err != nil {
		return nil, usagef("idemsim run: --strategy: %v", err)
	}
	t.cfg = world.Defaults()
	if o.chaos != nil {
		// The chaos world is the base. An explicit fault list replaces
		// its fault mix: its timed faults too, not only its random ones
		// (a list recorded from it holds those that fired).
		t.cfg = experiments.Chaos(strategy, *o.chaos)
		if o.injected != nil || o.replay != "" {
			p := t.cfg.Faults
			t.cfg.Faults = faults.Plan{Link: faults.Link{Delay: p.Link.Delay}, ServiceLink: faults.Link{Delay: p.ServiceLink.Delay}, Links: p.Links, Downtime: p.Downtime}
		}
	}
	t.cfg.Strategy = strategy
	t.apply(flags, false)
	cfg := &t.cfg
	if o.crashes != nil {
		cfg.Faults.Crashes = o.crashes
	}
	if o.clientCrash != nil {
		cfg.Faults.ClientCrashes = o.clientCrash
	}
	st := &runSetup{given: given(flags)}
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
		return nil, configError(err, o)
	}
	// Scaled after the world is checked as given, so that an error names
	// the value the user typed; the scaled world is checked again.
	if *cfg, err = cfg.Scaled(o.timeScale); err != nil {
		return nil, configError(err, o)
	}
	if err := cfg.Validate(); err != nil {
		return nil, configError(err, o)
	}
	if st.traceOp != nil {
		if err := cfg.CheckOp(*st.traceOp); err != nil {
			return nil, configError(err, o)
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
	if given := withoutTraceFlags(st.given); len(given) > 0 {
		st.command += " " + strings.Join(given, " ")
	}
	st.cfg, st.o = *cfg, *o
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
	o, command := st.o, st.command
	warnRecorded(stderr, st.recorded, st.given)
	res, err := st.runWorld(stderr)
	if err != nil {
		return configError(err, &o)
	}
	if err := st.printTimeline(stdout, res); err != nil {
		return err
	}
	rep := check.Audit(res)
	lin, linErr := check.Linearize(res, check.DefaultTimeout)
	var summary bytes.Buffer
	printSummary(io.MultiWriter(stdout, &summary), command, res, &rep, &lin, linErr, o.violations)
	if err := st.writeOut(stdout, "idemsim run", res, &rep, &lin, summary.Bytes()); err != nil {
		return err
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

// runWorld runs the configured world: from its seed, or with --choices
// from the trail, warning when the run left it (it then differs from the
// explored one).
func (st *runSetup) runWorld(stderr io.Writer) (*world.Result, error) {
	if st.o.choices == nil {
		return world.Run(st.cfg)
	}
	r := explore.NewReplay(st.cfg.Seed, *st.o.choices)
	res, err := world.RunWith(st.cfg, r)
	if err == nil {
		if why := r.Diverged(); why != "" {
			fmt.Fprintf(stderr, "idemsim run: warning: the run left the --choices trail (%s): it differs from the explored one\n", why)
		}
	}
	return res, err
}

// printTimeline prints the run's timeline, or one operation's, when the
// command line asks for it (--trace, --trace-op, a scenario).
func (st *runSetup) printTimeline(stdout io.Writer, res *world.Result) error {
	if !st.o.trace && st.traceOp == nil {
		return nil
	}
	if err := res.WriteTrace(stdout, st.traceOp); err != nil {
		return err
	}
	_, err := fmt.Fprintln(stdout)
	return err
}

// writeOut writes the run's files into the --out directory, if one was
// given, and says which (cmd names the command in an error).
func (st *runSetup) writeOut(stdout io.Writer, cmd string, res *world.Result, rep *check.Report, lin *check.Linearization, summary []byte) error {
	dir := st.o.out
	if dir == "" {
		return nil
	}
	wrote, err := writeOutDir(dir, st.command, res, rep, lin, st.traceOp, summary)
	if err != nil {
		return fmt.Errorf("%s: --out %s: %w", cmd, dir, err)
	}
	_, err = fmt.Fprintf(stdout, "wrote      %s: %s\n", dir, strings.Join(wrote, ", "))
	return err
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

// withScenario is the flags of a run that names a scenario: the
// scenario's own flags, read once from its command line, overlaid with the
// user's (but for the --scenario or --scenario-file flag itself), asking
// for the timeline unless a trace is chosen. Flags naming no scenario are
// returned as they are. A SQL scenario returns one flag with no spec: the
// scenario's name and its script. The words that are not flags, the
// scenario's then the user's (rest), are returned for configure to refuse.
// scenarioArgs are the flags of the scenario that --scenario (kind
// "scenario", a claim scenario's name) or --scenario-file (kind
// "scenario-file", a file) names.
func scenarioArgs(kind, value string) ([]string, error) {
	if kind == "scenario" {
		c, _ := claims.Lookup(value)
		return c.Args, nil
	}
	text, err := inputfile.Read(value, maxScenarioFile)
	if err != nil {
		return nil, usagef("idemsim run: --scenario-file %s: %v", value, err)
	}
	base, _, err := claims.ParseRunFile(value, string(text))
	if err != nil {
		return nil, usagef("idemsim run: --scenario-file: %v", err)
	}
	if slices.ContainsFunc(base, func(a string) bool { n := flagName(a); return n == "scenario" || n == "scenario-file" }) {
		return nil, usagef("idemsim run: --scenario-file %s: its flags name another scenario (accepted: the flags of one run)", value)
	}
	return base, nil
}

func withScenario(fs *flagSet, user []flagArg, rest []string) ([]flagArg, []string, error) {
	var sc *flagArg
	for i := range user {
		if n := user[i].name; n == "scenario" || n == "scenario-file" {
			if sc != nil && sc.name != n {
				return nil, nil, usagef("idemsim run: --scenario and --scenario-file: give one")
			}
			sc = &user[i]
		}
	}
	if sc == nil {
		return user, rest, nil
	}
	if sc.name == "scenario" {
		if c, _ := claims.Lookup(sc.value); c.Script != "" {
			if len(user) > 1 {
				return nil, nil, usagef("idemsim run: --scenario %s: a SQL scenario takes no other flag (run idemsim run --scenario %s alone)", c.Name, c.Name)
			}
			return []flagArg{{name: c.Name, value: c.Script}}, nil, nil
		}
	}
	base, err := scenarioArgs(sc.name, sc.value)
	if err != nil {
		return nil, nil, err
	}
	// The scenario's flags on their own: a flag missing its value at the
	// end of a file takes no value from the user's, and an error names the
	// file.
	scenario, baseRest, err := fs.parseFlags(base)
	if err != nil {
		if sc.name == "scenario-file" {
			return nil, nil, usagef("idemsim run: --scenario-file %s: %s", sc.value, strings.TrimPrefix(err.Error(), "idemsim run: "))
		}
		return nil, nil, err
	}
	user = slices.DeleteFunc(slices.Clone(user), func(f flagArg) bool { return f.name == sc.name })
	out := overlay(scenario, user)
	if !slices.ContainsFunc(out, func(f flagArg) bool { return f.name == "trace" || f.name == "trace-op" }) {
		trace, _, err := fs.parseFlags([]string{"--trace"})
		if err != nil {
			return nil, nil, err
		}
		out = append(out, trace...)
	}
	return out, append(baseRest, rest...), nil
}

// overlay is the flags of base followed by those of top, without base's
// setting of a flag that top sets again (repeatable flags add up, but for
// a keyed one's setting of the same thing: top's --switch lease=10s
// replaces base's --switch lease=90s).
func overlay(base, top []flagArg) []flagArg {
	given := map[string]bool{}
	for _, f := range top {
		if key, ok := overlayKey(f); ok {
			given[key] = true
		}
	}
	var out []flagArg
	for _, f := range base {
		if key, ok := overlayKey(f); !ok || !given[key] {
			out = append(out, f)
		}
	}
	return append(out, top...)
}

// overlayArgs is overlay on command lines as written.
func overlayArgs(fs *flagSet, base, top []string) []string {
	return words(overlay(fs.split(base), fs.split(top)))
}

// overlayKey is what a later setting of the flag f replaces: the flag
// (one that is not repeatable), or the flag and its value's key (a keyed
// one); false for a flag whose settings add up.
func overlayKey(f flagArg) (string, bool) {
	switch s := f.spec; {
	case s == nil: // a word that is not a flag, or a flag the set does not know
		return "", false
	case !s.repeats:
		return f.name, true
	case s.keyOf == nil:
		return "", false
	}
	return f.name + "\x00" + f.spec.keyOf(f.value), true
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
	// A live run's list replays with idemsim live (the same faults at the
	// same messages; a service's timing is its own, so not the same hash).
	verb := "idemsim run"
	if strings.HasPrefix(command, "idemsim live") {
		verb = "idemsim live"
	}
	fmt.Fprintf(&b, "# %s%016x; replay with: %s <the same flags> --replay %s\n", headerTrace, res.TraceHash, verb, path)
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
		// A list a live run recorded replays in the simulator on the same
		// flags: the command's name is not a world flag.
		flags := strings.TrimPrefix(strings.TrimPrefix(rec, "idemsim run"), "idemsim live")
		if want, have := worldFlags(strings.Fields(flags)), worldFlags(given); want != have {
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
		case "--trace", "--help", "--anchor-to-sim": // a live run's, not the world's
			continue
		case "--trace-op", "--faults-out", "--violations", "--replay", "--fault":
			i++
			continue
		}
		out = append(out, given[i])
	}
	return strings.Join(out, " ")
}

// clockValue reads NODE:OFFSET (skew) or NODE:RATE (drift); applied, it
// sets that node's clock, adding the node to the world's clocks if it is
// not there yet.
func clockValue(skew bool) func(string) (func(*world.Config), error) {
	return func(s string) (func(*world.Config), error) {
		node, v, ok := strings.Cut(s, ":")
		if !ok || node == "" {
			if skew {
				return nil, fmt.Errorf("%q: want NODE:OFFSET like s2:+3s or kv:-500ms", s)
			}
			return nil, fmt.Errorf("%q: want NODE:RATE like s1:1.001", s)
		}
		clock := func(c *world.Config) *world.Clock {
			for j := range c.Clocks {
				if c.Clocks[j].Node == node {
					return &c.Clocks[j]
				}
			}
			c.Clocks = append(c.Clocks, world.Clock{Node: node, Drift: 1})
			return &c.Clocks[len(c.Clocks)-1]
		}
		if skew {
			d, err := time.ParseDuration(strings.TrimPrefix(v, "+"))
			if err != nil || d < -sim.MaxSpan || d > sim.MaxSpan {
				return nil, fmt.Errorf("%q: bad offset %q (accepted: a signed Go duration like +3s or -500ms, at most %s either way)", s, v, sim.MaxSpanText)
			}
			return func(c *world.Config) { clock(c).Offset = d }, nil
		}
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || !(r > world.MinDrift && r < world.MaxDrift) {
			return nil, fmt.Errorf("%q: bad rate %q (accepted: a number in (%v, %v) like 1.001)", s, v, world.MinDrift, world.MaxDrift)
		}
		return func(c *world.Config) { clock(c).Drift = r }, nil
	}
}

// parseLevel reads an isolation level in either spelling.
func parseLevel(s string) (sql.Level, error) {
	if l, ok := sql.ParseLevel(s); ok {
		return l, nil
	}
	return 0, fmt.Errorf("%q (accepted: %s)", s, strings.Join(sql.LevelNames(), ", "))
}
