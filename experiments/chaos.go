package experiments

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// Chaos is a small world under a random mix of every fault, drawn from the
// seed (so a seed names its world and its faults): 1 or 3 servers, each
// operation submitted by one client, or by two at once with the same key
// (two workers handed the same queue message), timeouts
// short enough that retries arrive while the first attempt still runs, the
// business operation local or charging the gateway, and at random rates:
// lost, duplicated and reset messages, server crashes at random moments and
// at the strategy's named steps, a long pause of one server, database
// connections dropped and commit acknowledgements lost, the store
// restarting or failing over, the gateway timing out or answering 500 after
// charging. A strategy that is correct shows no duplicate and no lost
// operation in any of these worlds.
func Chaos(s api.Strategy, seed uint64) world.Config {
	rng := rand.New(rand.NewPCG(seed, 0x1de5))
	rate := func(hi float64) float64 { return math.Round(hi*rng.Float64()*1000) / 1000 } // printed as drawn
	at := func(hi time.Duration) sim.Time { return sim.Time(rng.Int64N(int64(hi))) }
	cfg := world.Defaults()
	cfg.Strategy, cfg.Seed = s, seed
	cfg.Servers = []int{1, 3}[rng.IntN(2)]
	cfg.Clients, cfg.OpsPerClient, cfg.WorkersPerOp = 4, 4, 1+rng.IntN(2)
	cfg.Balancer = world.Random
	cfg.Charge = rng.IntN(2) == 0
	cfg.Client.Think = sim.Exp(20 * time.Millisecond)
	cfg.Client.TimeoutPerAttempt = 300 * time.Millisecond
	cfg.Client.Attempts = 30
	cfg.Faults.Link = faults.Link{
		Delay:            sim.LogNormal(5*time.Millisecond, 1),
		DropRequestRate:  rate(0.2),
		DropResponseRate: rate(0.2),
		DuplicateRate:    rate(0.1),
		ResetRate:        rate(0.05),
	}
	cfg.Faults.ServiceLink.DropRequestRate, cfg.Faults.ServiceLink.DropResponseRate = rate(0.02), rate(0.02)
	cfg.Faults.DBDropConnectionRate, cfg.Faults.DBLostCommitAckRate = rate(0.05), rate(0.05)
	if cfg.Charge {
		cfg.Faults.GatewayTimeoutRate, cfg.Faults.Gateway500Rate = rate(0.1), rate(0.1)
		cfg.Services.GatewayTime = sim.LogNormal(20*time.Millisecond, 1)
		cfg.Services.GatewayTimeout = time.Second
	}
	downtime := 100 * time.Millisecond
	if rng.IntN(2) == 0 {
		cfg.Faults.CrashEvery, cfg.Faults.Downtime = time.Second, downtime
	}
	for _, p := range s.CrashPoints {
		cfg.Faults.CrashPoints = append(cfg.Faults.CrashPoints, faults.CrashPoint{Node: "any", Point: p, Prob: rate(0.1), Downtime: downtime})
	}
	if rng.IntN(2) == 0 {
		server := "s" + string(rune('1'+rng.IntN(cfg.Servers)))
		cfg.Faults.Pauses = []faults.Crash{{Node: server, At: at(2 * time.Second), Downtime: time.Duration(rng.Int64N(int64(3 * time.Second)))}}
	}
	switch rng.IntN(3) {
	case 0:
		cfg.Faults.Crashes = []faults.Crash{{Node: "kv", At: at(2 * time.Second), Downtime: downtime}}
	case 1:
		cfg.Services.KV.ReplicaLag = time.Duration(rng.Int64N(int64(50 * time.Millisecond)))
		cfg.Faults.Failovers = []sim.Time{at(2 * time.Second)}
	}
	cfg.Services.Queue.VisibilityTimeout = 300 * time.Millisecond
	cfg.Settle = 5 * time.Second
	return cfg
}
