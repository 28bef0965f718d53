package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/atomicfile"
	"github.com/idemsim/idemsim/live"
	"github.com/idemsim/idemsim/live/instance"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// sim-vs-live --hosted: every built-in strategy, hosted by our own servers
// (live.Host) and checked from outside as a user's service is (a Target:
// HTTP and an SQL count on its ledger table, nothing else), against the
// simulator's verdict on the same world, per fault kind an outside checker
// can inject. The results are results/sim-vs-live-hosted/runs.json;
// table.md is drawn from it alone.

const simVsLiveHostedUsage = `usage: idemsim sim-vs-live --hosted [--seeds N] [--strategy NAME]... [--out DIR]
                           [--table-only]

Hosts every built-in strategy on a throwaway PostgreSQL and Redis (live.Host,
no faults of its own) and checks it from outside, as idemsim live --target
checks a user's service: the clients see only HTTP, and each key's effects
are counted by an SQL query on the strategy's ledger table. For each fault
kind an outside checker can inject (lost responses, duplicated requests,
two workers racing per key, a key reused with another payload, crashes of
the server) it runs seeds 1..--seeds (default 5) of a small world (4 clients
x 5 operations) in the simulator and against the hosted strategy, and
writes DIR/runs.json (default results/sim-vs-live-hosted) and DIR/table.md:
per strategy and fault kind, the violation kinds each side found and in how
many seeds, and whether they agree. --strategy reruns only the strategies
named (repeatable) and keeps the other rows of the runs.json in DIR (their
--seeds must be the same); --table-only redraws table.md from runs.json.
`

// hostedRuns is runs.json.
type hostedRuns struct {
	// Seeds is how many seeds each side ran per row (1..Seeds).
	Seeds int         `json:"seeds"`
	Rows  []hostedRow `json:"rows"`
}

// hostedRow is one strategy under one fault kind.
type hostedRow struct {
	Strategy string `json:"strategy"`
	Fault    string `json:"fault"`
	// Skipped says why the strategy was not checked from outside ("" when
	// it was).
	Skipped string `json:"skipped,omitempty"`
	// Sim and Live are the verdicts per seed (index 0 is seed 1): the
	// violation kinds the audit found, "holds" when none; a live run that
	// did not end with its clients done has its stop reason after it.
	Sim  []string `json:"sim,omitempty"`
	Live []string `json:"live,omitempty"`
	// Effects is how the live side counted effects: the SQL query, or
	// "inferred" from the answers.
	Effects string `json:"effects,omitempty"`
	// Crashes counts the crashes of the hosted server that fired, over
	// the live seeds.
	Crashes int `json:"crashes,omitempty"`
	// Seconds is the live runs' mean real time.
	Seconds float64 `json:"seconds,omitempty"`
}

// hostedFault is a fault kind an outside checker injects.
type hostedFault struct {
	name, what string
	apply      func(*world.Config)
}

// hostedCrashes are the crash fault's crashes of the one server: early
// enough that the clients are still at work at both.
var hostedCrashes = []faults.Crash{
	{Node: "s1", At: sim.Time(30 * time.Millisecond), Downtime: 100 * time.Millisecond},
	{Node: "s1", At: sim.Time(250 * time.Millisecond), Downtime: 100 * time.Millisecond},
}

// hostedFaults are the fault kinds, in the table's order.
var hostedFaults = []hostedFault{
	{"drop-response", "30% of responses lost (--drop-response 0.3)", func(c *world.Config) { c.Faults.Link.DropResponseRate = 0.3 }},
	{"duplicate", "30% of messages delivered twice (--duplicate 0.3)", func(c *world.Config) { c.Faults.Link.DuplicateRate = 0.3 }},
	{"workers-per-op-2", "two workers submit each operation at once under its key (--workers-per-op 2)", func(c *world.Config) { c.WorkersPerOp = 2 }},
	{"reuse-key", "half the operations carry the key of the one before with their own payload (--reuse-key 0.5)", func(c *world.Config) { c.Client.ReuseKeyRate = 0.5 }},
	{"crash", "the server crashes 30 ms and 250 ms into the run, down 100 ms each time (--crash s1@30ms+100ms --crash s1@250ms+100ms)", func(c *world.Config) {
		c.Faults.Crashes = slices.Clone(hostedCrashes)
	}},
}

// hostedSkipped are the built-in strategies not checked from outside, and
// why.
var hostedSkipped = map[string]string{
	"etag-412": "its contract (412-optimistic) has the client read the resource first and write with If-Match from the ETag it got; a Target's clients speak only the contracts of live.TargetContracts (create, then poll a Location), so the strategy cannot be driven from outside as its clients drive it",
}

// hostedEffects is, per strategy whose ledger does not record the key the
// client sent in idempotency_key, the query that counts a key's effects
// instead ("" : none can, and they are inferred from the answers).
var hostedEffects = map[string]string{
	// The payment's id is the client's key.
	"client-id": "select count(*) from payments where id = $1",
	// The strategy ignores the key and records the client's identity and
	// the payload's fingerprint in its place.
	"content-hash": "",
}

// hostedEffectsSQL is the effects query for s.
func hostedEffectsSQL(s api.Strategy) string {
	if q, ok := hostedEffects[s.Name]; ok {
		return q
	}
	return "select count(*) from " + s.Ledger[0] + " where idempotency_key = $1"
}

// hostedWorld is the world of one seed under fault f: a few clients and
// operations on one server, with short think times and timeouts, so that a
// live run takes a second or two.
func hostedWorld(s api.Strategy, f hostedFault, seed uint64) world.Config {
	cfg := world.Defaults()
	cfg.Strategy, cfg.Seed = s, seed
	cfg.Servers, cfg.Clients, cfg.OpsPerClient = 1, 4, 5
	cfg.Client.Think = sim.Const(5 * time.Millisecond)
	cfg.Client.TimeoutPerAttempt = 300 * time.Millisecond
	cfg.Client.BackoffBase, cfg.Client.BackoffCap = 20*time.Millisecond, 100*time.Millisecond
	cfg.Client.PollInterval = 50 * time.Millisecond
	cfg.Faults.Link.Delay = sim.Const(time.Millisecond)
	cfg.ServiceTime = sim.Const(time.Millisecond)
	cfg.Settle = 200 * time.Millisecond
	f.apply(&cfg)
	return cfg
}

func simVsLiveHostedCommand(args []string, stdout, stderr io.Writer) error {
	out, seeds, tableOnly := filepath.Join("results", "sim-vs-live-hosted"), 5, false
	var only []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		value := func() (string, error) {
			if i+1 >= len(args) {
				return "", usagef("idemsim sim-vs-live --hosted: %s needs a value", a)
			}
			i++
			return args[i], nil
		}
		switch a {
		case "--hosted":
		case "--help", "-h":
			_, err := io.WriteString(stdout, simVsLiveHostedUsage)
			return err
		case "--seeds":
			v, err := value()
			if err != nil {
				return err
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1000 {
				return usagef("idemsim sim-vs-live --hosted: --seeds %q: want a whole number in [1, 1000]", v)
			}
			seeds = n
		case "--strategy":
			v, err := value()
			if err != nil {
				return err
			}
			if !slices.ContainsFunc(models.Builtin(), func(s api.Strategy) bool { return s.Name == v }) {
				return usagef("idemsim sim-vs-live --hosted: --strategy %q: not a built-in strategy (accepted: %s)", v, strings.Join(builtinNames(), ", "))
			}
			only = append(only, v)
		case "--out":
			v, err := value()
			if err != nil {
				return err
			}
			out = v
		case "--table-only":
			tableOnly = true
		default:
			return usagef("idemsim sim-vs-live --hosted: unknown argument %q (accepted: --seeds, --strategy, --out, --table-only; see idemsim sim-vs-live --hosted --help)", a)
		}
	}
	if tableOnly {
		data, err := readHostedRuns(filepath.Join(out, "runs.json"))
		if err != nil {
			return err
		}
		return writeFileAtomic(filepath.Join(out, "table.md"), []byte(hostedTable(data)))
	}
	if err := checkOutDir(out); err != nil {
		return usagef("idemsim sim-vs-live --hosted: --out %s: %v", out, err)
	}
	kept := map[string]hostedRow{}
	if len(only) > 0 {
		prev, err := readHostedRuns(filepath.Join(out, "runs.json"))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err == nil && prev.Seeds != seeds {
			return usagef("idemsim sim-vs-live --hosted: --strategy with --seeds %d, but %s has %d; give --seeds %d or rerun everything", seeds, filepath.Join(out, "runs.json"), prev.Seeds, prev.Seeds)
		}
		for _, r := range prev.Rows {
			kept[r.Strategy+"/"+r.Fault] = r
		}
	}
	return withLiveServices(func(ctx context.Context, dsn string, rd *instance.Redis) error {
		begin := time.Now()
		data := hostedRuns{Seeds: seeds}
		for _, s := range models.Builtin() {
			for _, f := range hostedFaults {
				if len(only) > 0 && !slices.Contains(only, s.Name) {
					if r, ok := kept[s.Name+"/"+f.name]; ok {
						data.Rows = append(data.Rows, r)
					}
					continue
				}
				row, err := hostedCell(ctx, s, f, seeds, dsn, rd)
				if err != nil {
					return fmt.Errorf("idemsim sim-vs-live --hosted: %s under %s: %w", s.Name, f.name, err)
				}
				if ctx.Err() != nil {
					return fmt.Errorf("idemsim sim-vs-live --hosted: interrupted; nothing written")
				}
				fmt.Fprintf(stderr, "%-26s %-17s sim %-40s live %-40s %s (%v so far)\n", s.Name, f.name, strings.Join(row.Sim, " "),
					strings.Join(row.Live, " "), row.Skipped, time.Since(begin).Round(time.Second))
				data.Rows = append(data.Rows, row)
			}
		}
		return writeHostedRuns(out, data)
	})
}

// builtinNames are the built-in strategies' names.
func builtinNames() []string {
	var names []string
	for _, s := range models.Builtin() {
		names = append(names, s.Name)
	}
	return names
}

// hostedSim is the simulator's verdict per seed on s under f.
func hostedSim(s api.Strategy, f hostedFault, seeds int) ([]string, error) {
	var out []string
	for seed := 1; seed <= seeds; seed++ {
		res, err := world.Run(hostedWorld(s, f, uint64(seed)))
		if err != nil {
			return nil, err
		}
		rep := check.Audit(res)
		out = append(out, verdictOf(&rep))
	}
	return out, nil
}

// hostedCell runs one row: the simulator on every seed, then the strategy
// hosted once (with no faults of its own) and checked from outside on
// every seed, each seed's keys under a prefix of its own so that it meets
// none of the seeds before it.
func hostedCell(ctx context.Context, s api.Strategy, f hostedFault, seeds int, dsn string, rd *instance.Redis) (hostedRow, error) {
	row := hostedRow{Strategy: s.Name, Fault: f.name}
	if why := hostedSkipped[s.Name]; why != "" {
		row.Skipped = why
		return row, nil
	}
	var err error
	if row.Sim, err = hostedSim(s, f, seeds); err != nil {
		return row, err
	}
	hosted, err := live.Host(ctx, live.Config{World: hostedWorld(s, f, 1), PostgresDSN: dsn, Redis: rd})
	if err != nil {
		return row, err
	}
	defer hosted.Close()
	var total time.Duration
	for seed := 1; seed <= seeds; seed++ {
		cfg := hostedWorld(s, f, uint64(seed))
		t := hosted.Target(hostedEffectsSQL(s), "seed"+strconv.Itoa(seed)+"-")
		row.Effects = "inferred"
		if t.EffectsSQL != "" {
			row.Effects = t.EffectsSQL
		}
		cfg.Strategy = live.TargetStrategy(s, s.Contract, hosted.URL)
		if err := t.CheckWorld(&cfg); err != nil {
			return row, err
		}
		lr, err := live.Run(ctx, live.Config{World: cfg, Limit: time.Minute, Target: &t})
		if err != nil {
			return row, err
		}
		rep := check.Audit(lr.Result)
		v := verdictOf(&rep)
		if lr.Stop != live.StopDone {
			v += " (" + string(lr.Stop) + ")"
		}
		row.Live = append(row.Live, v)
		for _, x := range lr.Faults {
			if x.Kind == faults.CrashFault && x.Crash.Node == "s1" {
				row.Crashes++
			}
		}
		total += lr.Elapsed
	}
	row.Seconds = total.Seconds() / float64(seeds)
	return row, nil
}

// writeHostedRuns writes runs.json and table.md into dir, both or neither.
func writeHostedRuns(dir string, data hostedRuns) error {
	js, err := json.MarshalIndent(data, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return writeFilesAtomic(atomicfile.File{Path: filepath.Join(dir, "runs.json"), Data: append(js, '\n')},
		atomicfile.File{Path: filepath.Join(dir, "table.md"), Data: []byte(hostedTable(data))})
}

// readHostedRuns reads runs.json.
func readHostedRuns(path string) (hostedRuns, error) {
	return readSimVsLiveFile[hostedRuns](path, maxFaultFile)
}

// kindSeeds counts, per violation kind, the seeds whose verdict names it,
// in check.Kinds' order; a stop reason after a verdict is left out.
func kindSeeds(verdicts []string) (kinds []string, seeds map[string]int) {
	seeds = map[string]int{}
	for _, v := range verdicts {
		v, _, _ = strings.Cut(v, " (")
		if v == "holds" {
			continue
		}
		for _, k := range strings.Split(v, ",") {
			seeds[k]++
		}
	}
	for _, k := range check.Kinds {
		if seeds[string(k)] > 0 {
			kinds = append(kinds, string(k))
		}
	}
	return kinds, seeds
}

// agrees reports whether the two sides agree on r: both find a violation
// of one same kind in some seed, or neither finds any.
func (r hostedRow) agrees() bool {
	sk, _ := kindSeeds(r.Sim)
	lk, _ := kindSeeds(r.Live)
	if len(sk) == 0 || len(lk) == 0 {
		return len(sk) == len(lk)
	}
	for _, k := range sk {
		if slices.Contains(lk, k) {
			return true
		}
	}
	return false
}

// stopped counts the live seeds that did not end with the clients done.
func (r hostedRow) stopped() int {
	n := 0
	for _, v := range r.Live {
		if strings.Contains(v, " (") {
			n++
		}
	}
	return n
}

// verdictCell is one side's verdicts as the table prints them: "holds",
// or each kind with the seeds that showed it ("duplicate 5/5, lost 1/5").
func verdictCell(verdicts []string) string {
	kinds, seeds := kindSeeds(verdicts)
	if len(kinds) == 0 {
		return "holds"
	}
	var parts []string
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%s %d/%d", k, seeds[k], len(verdicts)))
	}
	return strings.Join(parts, ", ")
}

// hostedNotes explain, per strategy and fault kind ("strategy/fault"), why
// the check from outside does not give the simulator's verdict. Every row
// that disagrees in the committed results has one, and every note is of
// such a row (TestSimVsLiveHostedIsFresh).
var hostedNotes = map[string]string{
	"naive/reuse-key":              noteKeyOwner,
	"naive/crash":                  noteCrashLockstep,
	"local-cache/crash":            noteCrashLockstep,
	"redis-presence/crash":         noteCrashLockstep,
	"block-until-done/crash":       noteCrashStuck,
	"block-until-done-local/crash": noteCrashStuck,
	"async-202/drop-response":      "in the simulator's seed 3 one operation's job was still pending at its first three polls and the next four answers were lost (the drops are drawn per message from the seed, so live loses the same ones), so its client used up its eight attempts while the payment had been made: unconfirmed. Live, the queue's worker runs the job at its own pace; whether a client uses up its attempts turns on how many polls its job keeps it waiting, and none did in these seeds.",
}

// The reasons, some shared by several rows.
const (
	noteKeyOwner      = "naive pays every request, so an operation that reuses the key before it gets a payment of its own, and the simulator, which knows which operation wrote each row, finds nothing wrong. From outside, effects are counted per key, and a key belongs to the first operation that used it (docs/check-your-api.md): the second operation's payment shows as the first's duplicate, and the second, told done, as lost. The other strategies pay at most once per key, so the second operation gets no payment of its own on either side and both find it lost (or nothing, where the reuse is refused); only a server that pays twice under one key shows the gap between judging by key and the server's own bookkeeping by operation."
	noteCrashLockstep = "the simulated clients move in lockstep (a constant 5 ms think time and 1 ms per hop), so where a crash lands is decided to the millisecond: at 30 ms no request is between its payment's commit and the record that would make its retry replay, and no retry pays again. Moved to 33 ms (naive, local-cache) or 27 ms (replica-check, redis-presence), the simulator finds a duplicate in every seed; at 30 ms, none (TestHostedCrashWindow). Live, timing varies by a millisecond or more, and in some seeds a request is cut after its commit, so its retry pays again: the same failure, which the simulator shows once the crash falls in that window."
	noteCrashStuck    = "live only, in one seed of five: a client gave up with nothing done (stuck), which is about availability, not a broken promise. Seeds 1 to 10 of the same world run again against the hosted strategy showed nothing, and the cause was not traced; the likeliest is the one the other crash rows share, live timing that puts a client's attempts into the two downtimes (where the proxy answers 502 or the crash cuts the connection) until its eight are spent, which the simulator's lockstep clients do not meet at these moments."
)

// hostedHeadline is the table's figure, "N of M strategy x fault rows
// agree", which docs/check-your-api.md quotes.
func hostedHeadline(data hostedRuns) string {
	ran, agree := 0, 0
	for _, r := range data.Rows {
		if r.Skipped != "" {
			continue
		}
		ran++
		if r.agrees() {
			agree++
		}
	}
	return fmt.Sprintf("%d of %d strategy x fault rows agree", agree, ran)
}

// hostedTable is table.md: drawn from runs.json alone.
func hostedTable(data hostedRuns) string {
	var b strings.Builder
	b.WriteString("# The simulator against the black-box check of our own servers\n\n")
	b.WriteString("Generated by `idemsim sim-vs-live --hosted` (`make sim-vs-live-hosted`) from `runs.json` beside it; do not edit.\n")
	b.WriteString("Each built-in strategy is hosted by our own servers on a throwaway PostgreSQL 15 and Redis 7\n")
	b.WriteString("(`live.Host`, with no faults of its own) and checked from outside as `idemsim live --target` checks\n")
	b.WriteString("a user's service: the clients see only HTTP, a payment's id is read from the answer, and each\n")
	b.WriteString("key's effects are counted afterwards by the SQL query the *effects* list below names. The same\n")
	fmt.Fprintf(&b, "world, 4 clients x 5 operations on one server, runs on seeds 1..%d in the simulator and against the\n", data.Seeds)
	b.WriteString("hosted strategy; a cell names each violation kind the audit found and in how many seeds (`holds`:\n")
	b.WriteString("none in any seed). The two sides *agree* when both find a violation of one same kind in some seed,\n")
	b.WriteString("or neither finds any; every row that does not is explained under [Why they differ](#why-they-differ).\n\n")
	b.WriteString(hostedHeadline(data))
	var skipped []string
	for _, r := range data.Rows {
		if r.Skipped != "" && !slices.Contains(skipped, r.Strategy) {
			skipped = append(skipped, r.Strategy)
		}
	}
	if len(skipped) > 0 {
		fmt.Fprintf(&b, "; not checked from outside: %s (the reason is under [Not checked](#not-checked))", "`"+strings.Join(skipped, "`, `")+"`")
	}
	b.WriteString(".\n\nThe fault kinds:\n\n")
	for _, f := range hostedFaults {
		fmt.Fprintf(&b, "- `%s`: %s.\n", f.name, f.what)
	}
	b.WriteString("\n| strategy | fault | simulator | black box | agree | mean live run |\n|---|---|---|---|---|---:|\n")
	for _, r := range data.Rows {
		if r.Skipped != "" {
			continue
		}
		ag := "yes"
		if !r.agrees() {
			ag = "**no**"
		}
		lv := verdictCell(r.Live)
		if n := r.stopped(); n > 0 {
			lv += fmt.Sprintf(" (%d stopped at the time limit)", n)
		}
		if r.Fault == "crash" {
			// The second crash fires only when the clients are still at work.
			lv += fmt.Sprintf("; %d of %d crashes fired", r.Crashes, len(hostedCrashes)*len(r.Live))
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %.1fs |\n", r.Strategy, r.Fault, verdictCell(r.Sim), lv, ag, r.Seconds)
	}
	b.WriteString("\n## Effects\n\n")
	var effects []string
	for _, r := range data.Rows {
		if r.Skipped != "" {
			continue
		}
		e := "`" + r.Effects + "`"
		if r.Effects == "inferred" {
			e = "none: inferred from the answers (each id a 2xx answer named is one payment)"
		}
		line := fmt.Sprintf("- `%s`: %s\n", r.Strategy, e)
		if !slices.Contains(effects, line) {
			effects = append(effects, line)
		}
	}
	// The common query first, then the strategies that need another.
	counts := map[string]int{}
	for _, l := range effects {
		_, q, _ := strings.Cut(l, ": ")
		counts[q]++
	}
	common, most := "", 0
	for _, l := range effects {
		_, q, _ := strings.Cut(l, ": ")
		if counts[q] > most {
			common, most = q, counts[q]
		}
	}
	if common != "" {
		fmt.Fprintf(&b, "- every other strategy: %s", common)
	}
	for _, l := range effects {
		if _, q, _ := strings.Cut(l, ": "); q != common {
			b.WriteString(l)
		}
	}
	var noted []string
	for _, r := range data.Rows {
		if note := hostedNotes[r.Strategy+"/"+r.Fault]; note != "" && r.Skipped == "" && !r.agrees() {
			noted = append(noted, fmt.Sprintf("- **`%s` under %s**: %s\n", r.Strategy, r.Fault, note))
		}
	}
	if len(noted) > 0 {
		b.WriteString("\n## Why they differ\n\n")
		for _, n := range noted {
			b.WriteString(n)
		}
	}
	if len(skipped) > 0 {
		b.WriteString("\n## Not checked\n\n")
		for _, name := range skipped {
			i := slices.IndexFunc(data.Rows, func(r hostedRow) bool { return r.Strategy == name && r.Skipped != "" })
			fmt.Fprintf(&b, "- `%s`: %s.\n", name, data.Rows[i].Skipped)
		}
	}
	return b.String()
}
