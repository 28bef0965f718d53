// Package catalog holds idemsim's named experiments (idemsim experiment
// NAME): each crosses the strategies it is about with one fault
// dimension. The runner, the sums and the results files are package
// experiments'; this package is apart because it needs the strategy
// registry, which the models' own tests import experiments beside.
package catalog

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/idemsim/idemsim/experiments"
	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/gateway"
	"github.com/idemsim/idemsim/sim/kv"
	"github.com/idemsim/idemsim/sim/world"
)

// All lists the experiments in the order `idemsim experiment --list`
// prints them and `make experiments` runs them.
func All() []*experiments.Experiment { return all() }

var all = sync.OnceValue(func() []*experiments.Experiment {
	return []*experiments.Experiment{
		baseline(), networkLoss(), duplicates(), inProgressRetry(), isolation(), crashes(), storeLoss(),
		gatewayModes(), retentionWindow(), multiServer(), clientPolicy(), budgetLease(), swarm(),
	}
})

// The size of the experiments' world is 8 queues of 25 operations, and
// a cell runs 25 seeds of it: 5,000 operations, where a strategy that
// never fails has a 95% Wilson upper bound of 0.077% (4,000 would give
// 0.096%, just under the 0.1% the experiments are meant to resolve).
const (
	queues      = 8
	opsPerQueue = 25
	cellSeeds   = 25
)

// small is the experiments' world: 3 servers behind a round-robin
// balancer, 8 clients of 25 operations each with 50ms of thinking between
// them (a run lasts about two virtual seconds), the standard client (1s
// timeout, 8 attempts), a fast gateway (20ms median, waited for 1s) for
// the experiments that charge, and background workers stopped 5s after
// the last client.
func small(s api.Strategy, l api.Level, seed uint64) world.Config {
	cfg := world.Defaults()
	cfg.Strategy, cfg.Seed, cfg.DB.Isolation = s, seed, l
	cfg.Servers, cfg.Clients, cfg.OpsPerClient = 3, queues, opsPerQueue
	cfg.Client.Think = sim.Exp(50 * time.Millisecond)
	cfg.Services.GatewayTime = sim.LogNormal(20*time.Millisecond, 0.5)
	cfg.Services.GatewayTimeout = time.Second
	cfg.Settle = 5 * time.Second
	return cfg
}

func baseline() *experiments.Experiment {
	values := categories("5%-responses-lost")
	return &experiments.Experiment{
		Name:        "baseline",
		Description: "Every strategy at its default level in the experiments' standard world, with 5% of responses lost and nothing else wrong: what each costs on an ordinary day (attempts, latency, aborts, what it keeps) and that it does the work once.",
		Param:       "world", ParamLabel: "the standard world", Numeric: false,
		Values: values, Seeds: cellSeeds,
		Cells: grid(models.All(), defaultLevel, values, func(s api.Strategy, l api.Level, _ int, seed uint64) world.Config {
			cfg := small(s, l, seed)
			cfg.Faults.Link.DropResponseRate = 0.05
			return cfg
		}),
	}
}

func networkLoss() *experiments.Experiment {
	values := numbers(0, 0.02, 0.05, 0.1, 0.2, 0.3)
	return &experiments.Experiment{
		Name:        "network-loss",
		Description: "Requests and responses lost between clients and servers at the same rate each way: a lost response makes the client retry work that was done, the case every key scheme exists for.",
		Param:       "drop_rate", ParamLabel: "request and response drop rate (each way)", Numeric: true,
		Values: values, Seeds: cellSeeds,
		Cells: grid(byName("naive", "local-cache", "check-then-insert", "unique-409", "redis-presence", "stripe-replay", "early-409", "async-202", "client-id"),
			defaultLevel, values, func(s api.Strategy, l api.Level, v int, seed uint64) world.Config {
				cfg := small(s, l, seed)
				cfg.Faults.Link.DropRequestRate = values[v].X
				cfg.Faults.Link.DropResponseRate = values[v].X
				return cfg
			}),
	}
}

func duplicates() *experiments.Experiment {
	values := numbers(0, 0.05, 0.1, 0.2, 0.4)
	return &experiments.Experiment{
		Name:        "duplicates",
		Description: "Messages between clients and servers delivered twice, the copy later: a duplicated request reaches a server while or after the original is handled, with no retry by the client.",
		Param:       "duplicate_rate", ParamLabel: "duplicate delivery rate", Numeric: true,
		Values: values, Seeds: cellSeeds,
		Cells: grid(byName("naive", "local-cache", "check-then-insert", "unique-409", "redis-presence", "stripe-replay", "block-until-done", "client-id", "content-hash"),
			defaultLevel, values, func(s api.Strategy, l api.Level, v int, seed uint64) world.Config {
				cfg := small(s, l, seed)
				cfg.Faults.Link.DuplicateRate = values[v].X
				return cfg
			}),
	}
}

// workTime is in-progress-retry's median charge time.
const workTime = 200 * time.Millisecond

func inProgressRetry() *experiments.Experiment {
	values := numbers(0.25, 0.5, 1, 2, 4)
	return &experiments.Experiment{
		Name:        "in-progress-retry",
		Description: "The client's timeout per attempt against the server's work (a gateway charge of 200ms median): below 1 a retry arrives while the first attempt is still charging, which is where in-progress keys, locks and leases are tested.",
		Param:       "timeout_over_work", ParamLabel: "client timeout per attempt / median charge time (200ms)", Numeric: true,
		Values: values, Seeds: cellSeeds,
		Cells: grid(byName("check-then-insert", "unique-409", "redis-lock", "stripe-replay", "ietf-draft", "atomic-phases", "early-409", "block-until-done", "block-until-done-local", "async-202"),
			defaultLevel, values, func(s api.Strategy, l api.Level, v int, seed uint64) world.Config {
				cfg := small(s, l, seed)
				cfg.Charge = true
				cfg.Services.GatewayTime = sim.LogNormal(workTime, 0.25)
				cfg.Services.GatewayTimeout = 10 * time.Second
				cfg.Client.TimeoutPerAttempt = time.Duration(values[v].X * float64(workTime))
				return cfg
			}),
	}
}

func isolation() *experiments.Experiment {
	values := numbers(1, 2)
	var strategies []api.Strategy
	for _, s := range models.All() {
		if s.Levels != nil {
			strategies = append(strategies, s)
		}
	}
	return &experiments.Experiment{
		Name:        "isolation",
		Description: "Every strategy that runs transactions, at every isolation level, with each operation submitted by one client or by two at once under the same key (two workers handed one queue message), 5% of responses lost and no other fault (no message duplicated, no crash): where a check-then-act needs the level, or a lock, to hold.",
		Param:       "workers_per_op", ParamLabel: "clients submitting each operation at once", Numeric: true,
		Values: values, Seeds: cellSeeds,
		Cells: grid(strategies, levelsOf, values, func(s api.Strategy, l api.Level, v int, seed uint64) world.Config {
			cfg := small(s, l, seed)
			w := int(values[v].X)
			cfg.Clients, cfg.WorkersPerOp = queues*w, w
			cfg.Faults.Link.DropResponseRate = 0.05
			return cfg
		}),
	}
}

func crashes() *experiments.Experiment {
	const downtime = 100 * time.Millisecond
	values := categories("none", "random-2s", "random-500ms", "after-charge-10%", "named-steps-10%")
	return &experiments.Experiment{
		Name:        "crashes",
		Description: "Server crashes (100ms down, memory lost) with the work charging the gateway: at random moments (a Poisson process of mean 2s or 500ms), or at the steps each strategy names — after the charge, or at every named step — with probability 10% each time one is reached.",
		Param:       "crash", ParamLabel: "server crashes", Numeric: false,
		Values: values, Seeds: cellSeeds,
		Cells: grid(byName("naive", "local-cache", "check-then-insert", "redis-presence", "stripe-replay", "atomic-phases", "early-409", "block-until-done", "async-202-dual-write", "gateway-then-persist", "persist-then-gateway"),
			defaultLevel, values, func(s api.Strategy, l api.Level, v int, seed uint64) world.Config {
				cfg := small(s, l, seed)
				cfg.Charge = true
				cfg.Faults.Downtime = downtime
				point := func(name string) faults.CrashPoint {
					return faults.CrashPoint{Node: "any", Point: name, Prob: 0.1, Downtime: downtime}
				}
				switch values[v].Label {
				case "random-2s":
					cfg.Faults.CrashEvery = 2 * time.Second
				case "random-500ms":
					cfg.Faults.CrashEvery = 500 * time.Millisecond
				case "after-charge-10%":
					cfg.Faults.CrashPoints = []faults.CrashPoint{point("after-charge")}
				case "named-steps-10%":
					for _, p := range s.CrashPoints {
						cfg.Faults.CrashPoints = append(cfg.Faults.CrashPoints, point(p))
					}
				}
				return cfg
			}),
	}
}

func storeLoss() *experiments.Experiment {
	values := categories("none", "restarts", "eviction", "failover-lag-10ms", "failover-lag-200ms")
	at := func(ms ...int) (out []sim.Time) {
		for _, m := range ms {
			out = append(out, sim.Time(time.Duration(m)*time.Millisecond))
		}
		return out
	}
	return &experiments.Experiment{
		Name:        "store-loss",
		Description: "The key store losing what it was told, with 10% of responses lost so that retries need it: restarts without persistence (at 0.5s, 1s and 1.5s), eviction under a memory limit (allkeys-lru at 8 KB), and failovers (at 0.7s and 1.4s) to a replica 10ms or 200ms behind; check-then-insert and local-cache, which keep keys elsewhere, for comparison.",
		Param:       "store_fault", ParamLabel: "what the store loses", Numeric: false,
		Values: values, Seeds: cellSeeds,
		Cells: grid(byName("local-cache", "check-then-insert", "redis-presence", "redis-lock"),
			defaultLevel, values, func(s api.Strategy, l api.Level, v int, seed uint64) world.Config {
				cfg := small(s, l, seed)
				cfg.Faults.Link.DropResponseRate = 0.1
				switch values[v].Label {
				case "restarts":
					for _, t := range at(500, 1000, 1500) {
						cfg.Faults.Crashes = append(cfg.Faults.Crashes, faults.Crash{Node: "kv", At: t, Downtime: 100 * time.Millisecond})
					}
				case "eviction":
					cfg.Services.KV.MaxMemory, cfg.Services.KV.Policy = 8000, kv.AllKeysLRU
				case "failover-lag-10ms", "failover-lag-200ms":
					cfg.Services.KV.ReplicaLag = 10 * time.Millisecond
					if values[v].Label == "failover-lag-200ms" {
						cfg.Services.KV.ReplicaLag = 200 * time.Millisecond
					}
					cfg.Faults.Failovers = at(700, 1400)
				}
				return cfg
			}),
	}
}

// gatewayValues are the gateway experiment's values: each mode of the
// gateway with each rate of charges whose answer is lost.
var gatewayValues = func() (labels []string) {
	for _, mode := range []string{"idempotent", "window:30s", "none"} {
		for _, rate := range []string{"0", "0.1", "0.3"} {
			labels = append(labels, mode+"/"+rate)
		}
	}
	return labels
}()

func gatewayModes() *experiments.Experiment {
	values := categories(gatewayValues...)
	return &experiments.Experiment{
		Name:        "gateway",
		Description: "The work charges the gateway, whose answer is lost at a rate (the card is charged; the server hears nothing within 1s), under each way the gateway treats a repeated charge: by the forwarded key (idempotent), by refusing an identical charge within 30s (window), or not at all (none).",
		Param:       "gateway", ParamLabel: "gateway mode / rate of charges whose answer is lost", Numeric: false,
		Values: values, Seeds: cellSeeds,
		Cells: grid(byName("naive", "check-then-insert", "unique-409", "stripe-replay", "atomic-phases", "gateway-then-persist", "persist-then-gateway"),
			defaultLevel, values, func(s api.Strategy, l api.Level, v int, seed uint64) world.Config {
				cfg := small(s, l, seed)
				cfg.Charge = true
				mode, rate := splitLast(values[v].Label)
				cfg.Services.Gateway.Mode, cfg.Services.Gateway.Window, _ = gateway.ParseMode(mode)
				cfg.Faults.GatewayTimeoutRate = parseRate(rate)
				return cfg
			}),
	}
}

// window is retention-window's key retention.
const window = time.Second

func retentionWindow() *experiments.Experiment {
	values := numbers(0.25, 0.5, 1, 2, 4)
	return &experiments.Experiment{
		Name:        "retention-window",
		Description: "Keys kept for 1s (each strategy's retention switch) while 30% of responses are lost and the client retries after a 200ms timeout and a backoff of up to a multiple of that window: a retry that comes after the key was forgotten runs again.",
		Param:       "retry_delay_over_window", ParamLabel: "retry backoff cap / key retention (1s)", Numeric: true,
		Values: values, Seeds: cellSeeds,
		Cells: grid(byName("check-then-insert", "redis-presence", "stripe-replay", "ietf-draft", "atomic-phases", "content-hash"),
			defaultLevel, values, func(s api.Strategy, l api.Level, v int, seed uint64) world.Config {
				cfg := small(s, l, seed)
				cfg.Switches = []string{"retention=1s"}
				cfg.Faults.Link.DropResponseRate = 0.3
				cfg.Client.TimeoutPerAttempt = 200 * time.Millisecond
				backoff := time.Duration(values[v].X * float64(window))
				cfg.Client.BackoffBase, cfg.Client.BackoffCap = backoff, backoff
				return cfg
			}),
	}
}

func multiServer() *experiments.Experiment {
	values := numbers(1, 2, 3, 4, 6, 8)
	return &experiments.Experiment{
		Name:        "multi-server",
		Description: "One to eight servers behind a round-robin balancer with 10% of responses lost: a key remembered in one process does not help a retry that lands on another.",
		Param:       "servers", ParamLabel: "servers", Numeric: true,
		Values: values, Seeds: cellSeeds,
		Cells: grid(byName("local-cache", "check-then-insert", "redis-presence", "stripe-replay", "block-until-done-local", "client-id"),
			defaultLevel, values, func(s api.Strategy, l api.Level, v int, seed uint64) world.Config {
				cfg := small(s, l, seed)
				cfg.Servers = int(values[v].X)
				cfg.Faults.Link.DropResponseRate = 0.1
				return cfg
			}),
	}
}

func clientPolicy() *experiments.Experiment {
	values := categories("409-done/persist", "409-error/persist", "409-done/regenerate", "409-error/regenerate")
	return &experiments.Experiment{
		Name:        "client-policy",
		Description: "How the client reads a 409 (done, or a failure to give up on) and what it does with its key when it restarts mid-operation (kept with the intent, or minted anew), with clients crashing every 500ms on average and 10% of responses lost.",
		Param:       "client_policy", ParamLabel: "409 read as / key after a client restart", Numeric: false,
		Values: values, Seeds: cellSeeds,
		Cells: grid(byName("check-then-insert", "unique-409", "stripe-replay", "early-409", "etag-412", "client-id"),
			defaultLevel, values, func(s api.Strategy, l api.Level, v int, seed uint64) world.Config {
				cfg := small(s, l, seed)
				cfg.Faults.Link.DropResponseRate = 0.1
				cfg.Faults.ClientCrashEvery, cfg.Faults.Downtime = 500*time.Millisecond, 100*time.Millisecond
				read, key := splitLast(values[v].Label)
				if read == "409-error" {
					_ = cfg.Client.Policy.Override("409=give-up")
				}
				if key == "regenerate" {
					cfg.Client.KeyOnRestart = world.KeyRegenerate
				}
				return cfg
			}),
	}
}

// leaseVariants are budget-lease's strategies: each strategy that holds a
// key in progress, at its default lease and at shorter ones, against a
// gateway that deduplicates nothing, and with a 10s lease against one
// that deduplicates the forwarded key.
var leaseVariants = []struct {
	strategy, lease string
	gateway         gateway.Mode
}{
	{"stripe-replay", "", gateway.None}, {"stripe-replay", "10s", gateway.None}, {"stripe-replay", "60s", gateway.None},
	{"stripe-replay", "10s", gateway.Idempotent},
	{"ietf-draft", "", gateway.None}, {"ietf-draft", "10s", gateway.None},
	{"atomic-phases", "", gateway.None}, {"atomic-phases", "10s", gateway.None}, {"atomic-phases", "10s", gateway.Idempotent},
}

func budgetLease() *experiments.Experiment {
	values := numbers(2, 5, 15, 30, 60, 120, 300)
	var cells []experiments.Cell
	for _, variant := range leaseVariants {
		s := byName(variant.strategy)[0]
		l := world.Defaults().DB.Isolation
		var name []string
		var switches []string
		if variant.lease != "" {
			switches = []string{"lease=" + variant.lease}
			name = append(name, switches...)
		}
		if variant.gateway == gateway.Idempotent {
			name = append(name, "idempotent-gateway")
		}
		for v := range values {
			cells = append(cells, experiments.Cell{Strategy: s, Variant: strings.Join(name, " "), Level: l, Value: v, Config: func(seed uint64) world.Config {
				cfg := small(s, l, seed)
				cfg.Switches = switches
				cfg.Charge = true
				cfg.Services.Gateway.Mode = variant.gateway
				for _, p := range s.CrashPoints {
					cfg.Faults.CrashPoints = append(cfg.Faults.CrashPoints, faults.CrashPoint{Node: "any", Point: p, Prob: 0.1, Downtime: 100 * time.Millisecond})
				}
				cfg.Client.Attempts = 1000
				cfg.Client.OpDeadline = time.Duration(values[v].X * float64(time.Second))
				return cfg
			}})
		}
	}
	return &experiments.Experiment{
		Name: "budget-lease",
		Description: "How long the client keeps retrying one operation (its whole budget, at most 1000 attempts) against the lease that frees a key held in progress, for the strategies that hold one, with servers crashing at each step they name (10% each time) and a gateway that deduplicates nothing unless the variant says idempotent-gateway: " +
			"a crash leaves the key held, and the client is stuck unless a lease frees it within its budget; a lease that does lets a retry charge again after a crash that followed the charge, unless the gateway knows the forwarded key.",
		Param: "client_budget_s", ParamLabel: "the client's retry budget per operation (s)", Numeric: true,
		Values: values, Seeds: cellSeeds, Cells: cells,
	}
}

func swarm() *experiments.Experiment {
	values := categories("chaos")
	return &experiments.Experiment{
		Name:        "swarm",
		Description: "Every strategy at every level it runs at, each seed a small world with its own random mix of every fault (experiments.Chaos, the strategy soak's worlds): which strategies ever charge twice or lose an operation, and the first seed that shows it.",
		Param:       "fault_mix", ParamLabel: "a random fault mix per seed", Numeric: false,
		Values: values, Seeds: 400, Swarm: true,
		Cells: grid(models.All(), levelsOf, values, func(s api.Strategy, l api.Level, _ int, seed uint64) world.Config {
			cfg := experiments.Chaos(s, seed)
			cfg.DB.Isolation = l
			return cfg
		}),
	}
}

// splitLast cuts a label at its last '/'.
func splitLast(label string) (string, string) {
	for i := len(label) - 1; i >= 0; i-- {
		if label[i] == '/' {
			return label[:i], label[i+1:]
		}
	}
	return label, ""
}

// parseRate reads a rate this file wrote.
func parseRate(s string) float64 {
	r, err := faults.ParseRate(s)
	if err != nil {
		panic("catalog: " + err.Error())
	}
	return r
}

// Lookup finds an experiment by name.
func Lookup(name string) (*experiments.Experiment, error) {
	for _, e := range All() {
		if e.Name == name {
			return e, nil
		}
	}
	return nil, fmt.Errorf("unknown experiment %q (accepted: %s)", name, strings.Join(Names(), ", "))
}

// Names lists the experiments' names in order.
func Names() []string {
	var out []string
	for _, e := range All() {
		out = append(out, e.Name)
	}
	return out
}

// numbers are numeric values, printed as Go prints them shortest.
func numbers(xs ...float64) []experiments.Value {
	var out []experiments.Value
	for _, x := range xs {
		out = append(out, experiments.Value{Label: strconv.FormatFloat(x, 'g', -1, 64), X: x})
	}
	return out
}

// categories are values placed at their index.
func categories(labels ...string) []experiments.Value {
	var out []experiments.Value
	for i, l := range labels {
		out = append(out, experiments.Value{Label: l, X: float64(i)})
	}
	return out
}

// levelsOf are the levels a strategy is tried at: each it lists, or the
// default level for one whose verdict does not depend on it.
func levelsOf(s api.Strategy) []api.Level {
	if s.Levels == nil {
		return defaultLevel(s)
	}
	var out []api.Level
	for _, l := range api.AllLevels() {
		if slices.Contains(s.Levels, l) {
			out = append(out, l)
		}
	}
	return out
}

// defaultLevel tries each strategy at the default level only.
func defaultLevel(api.Strategy) []api.Level { return []api.Level{world.Defaults().DB.Isolation} }

// grid builds the cells of strategies (each at the levels given) by values,
// in results order — strategies in registry order, then levels in
// api.AllLevels order, then values: build(s, level, value, seed) is a
// cell's world.
func grid(strategies []api.Strategy, levels func(api.Strategy) []api.Level, values []experiments.Value,
	build func(s api.Strategy, l api.Level, v int, seed uint64) world.Config) []experiments.Cell {
	names := models.Names()
	strategies = slices.Clone(strategies)
	slices.SortStableFunc(strategies, func(a, b api.Strategy) int {
		return slices.Index(names, a.Name) - slices.Index(names, b.Name)
	})
	var cells []experiments.Cell
	for _, s := range strategies {
		for _, l := range levels(s) {
			for v := range values {
				cells = append(cells, experiments.Cell{Strategy: s, Level: l, Value: v, Config: func(seed uint64) world.Config {
					return build(s, l, v, seed)
				}})
			}
		}
	}
	return cells
}

// byName looks strategies up; a name missing from the registry is a bug
// in this file, caught by the tests.
func byName(names ...string) []api.Strategy {
	var out []api.Strategy
	for _, n := range names {
		s, err := models.Lookup(n)
		if err != nil {
			panic("catalog: " + err.Error())
		}
		out = append(out, s)
	}
	return out
}
