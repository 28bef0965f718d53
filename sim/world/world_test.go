package world_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

func audit(t *testing.T, cfg world.Config) (*world.Result, check.Report) {
	t.Helper()
	res, err := world.Run(cfg)
	require.NoError(t, err)
	return res, check.Audit(res)
}

func base(s api.Strategy) world.Config {
	cfg := world.Defaults()
	cfg.Strategy = s
	return cfg
}

// Goal: the claims `make run` shows hold — naive charges twice under lost
// responses; local-cache does not with one server, does with three servers,
// and does with one server that restarts. Method: the built-in world with
// --drop-response 0.2, over ten seeds each.
func TestWalkingSkeletonClaims(t *testing.T) {
	for _, tc := range []struct {
		name     string
		strategy api.Strategy
		servers  int
		crash    bool
		wantDup  bool
	}{
		{"naive/3-servers", models.Naive, 3, false, true},
		{"local-cache/1-server", models.LocalCache, 1, false, false},
		{"local-cache/3-servers", models.LocalCache, 3, false, true},
		{"local-cache/1-server-restart", models.LocalCache, 1, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for seed := uint64(1); seed <= 10; seed++ {
				cfg := base(tc.strategy)
				cfg.Seed, cfg.Servers = seed, tc.servers
				cfg.Faults.Link.DropResponseRate = 0.2
				flags := ""
				if tc.crash {
					cfg.Faults.Crashes = []faults.Crash{{Node: "s1", At: sim.Time(10 * time.Second), Downtime: 2 * time.Second}}
					flags = " --crash s1@10s+2s"
				}
				cmd := fmt.Sprintf("idemsim run --strategy %s --servers %d --seed %d --drop-response 0.2%s", tc.strategy.Name, tc.servers, seed, flags)
				_, rep := audit(t, cfg)
				assert.Equal(t, tc.wantDup, rep.Counts[check.Duplicate] > 0, "duplicates %d; reproduce: %s", rep.Counts[check.Duplicate], cmd)
				assert.Zero(t, rep.Counts[check.Lost], cmd)
				if !tc.crash {
					assert.Equal(t, 800, rep.Beliefs[world.BelievedDone], "every operation concludes done; %s", cmd)
				}
			}
		})
	}
}

// fixed answers every request with the statuses in order (the last one
// forever), charging on 2xx creates.
func fixed(statuses ...int) api.Strategy { return fixedRetryAfter(0, statuses...) }

// fixedRetryAfter is fixed whose 4xx answers carry Retry-After: after.
func fixedRetryAfter(after sim.Duration, statuses ...int) api.Strategy {
	return api.Strategy{
		Name: "fixed", Rule: "answer a fixed sequence", Contract: api.ContractNone,
		Schema: []string{"create table payments (amount bigint)"},
		Ledger: []string{"payments"},
		Boot: func(api.Settings) api.Server {
			n := 0
			answer := func(env api.Env, req api.Request) api.Response {
				s := statuses[min(n, len(statuses)-1)]
				n++
				if s/100 == 2 && req.Kind == api.Create {
					if _, err := env.DB().Exec("insert into payments (amount) values ($1)", api.Int(req.Payload.Amount)); err != nil {
						return api.Response{Status: api.StatusInternalServerError}
					}
				}
				if s/100 == 4 {
					return api.Response{Status: s, RetryAfter: after}
				}
				return api.Response{Status: s}
			}
			return api.Server{Create: answer, Poll: answer}
		},
	}
}

func single(s api.Strategy) world.Config {
	cfg := base(s)
	cfg.Servers, cfg.Clients, cfg.OpsPerClient = 1, 1, 1
	cfg.Client.Think = sim.Const(0)
	cfg.Client.Attempts = 4
	return cfg
}

// Goal: clients read statuses through the policy table, and the oracle
// names what each reading leads to. Method: a server answering a fixed
// sequence of statuses to one client with one operation.
func TestClientPolicy(t *testing.T) {
	for _, tc := range []struct {
		name     string
		statuses []int
		override string
		attempts int
		belief   world.Belief
		kinds    []api.Kind
		verdict  check.Kind
	}{
		{"201-done", []int{201}, "", 1, world.BelievedDone, []api.Kind{api.Create}, ""},
		{"409-read-as-done-is-lost", []int{409}, "", 1, world.BelievedDone, []api.Kind{api.Create}, check.Lost},
		{"409-read-as-retry-is-stuck", []int{409}, "409=retry", 4, world.Exhausted, nil, check.Stuck},
		{"503-then-201", []int{503, 503, 201}, "", 3, world.BelievedDone, []api.Kind{api.Create, api.Create, api.Create}, ""},
		{"429-423-then-201", []int{429, 423, 201}, "", 3, world.BelievedDone, nil, ""},
		{"412-given-up", []int{412}, "412=give-up", 1, world.BelievedFailed, nil, ""},
		{"412-rereads-then-creates", []int{412, 200, 201}, "", 3, world.BelievedDone, []api.Kind{api.Create, api.Poll, api.Create}, ""},
		{"409-with-retry-after-retries", []int{409, 201}, "", 2, world.BelievedDone, []api.Kind{api.Create, api.Create}, ""},
		{"409-with-retry-after-ignored-is-lost", []int{409, 201}, "", 1, world.BelievedDone, nil, check.Lost},
		{"201-then-lost-then-422-is-wrong-answer", []int{201, 422}, "", 0, world.BelievedFailed, nil, check.WrongAnswer},
		{"202-polls-until-200", []int{202, 202, 200}, "", 3, world.BelievedDone, []api.Kind{api.Create, api.Poll, api.Poll}, ""},
		{"500-exhausts-and-is-stuck", []int{500}, "", 4, world.Exhausted, nil, check.Stuck},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := "go test ./sim/world -run TestClientPolicy/" + tc.name
			cfg := single(fixed(tc.statuses...))
			if strings.HasPrefix(tc.name, "409-with-retry-after") {
				cfg = single(fixedRetryAfter(time.Second, tc.statuses...))
				cfg.Client.IgnoreRetryAfter = strings.HasSuffix(tc.name, "-ignored-is-lost")
			}
			if tc.override != "" {
				require.NoError(t, cfg.Client.Policy.Override(tc.override))
			}
			if tc.name == "201-then-lost-then-422-is-wrong-answer" {
				// The 201 is lost on the way back; the retry is refused.
				cfg.Faults.Replay = []faults.Fault{{Kind: faults.DropResponse, Msg: faults.Ref{Caller: "c1", Op: api.OpID{Queue: 1, Index: 1}, Attempt: 1}}}
			}
			res, rep := audit(t, cfg)
			require.Len(t, res.Outcomes, 1, cmd)
			o := res.Outcomes[0]
			assert.Equal(t, tc.belief, o.Belief, cmd)
			if tc.attempts > 0 {
				assert.Equal(t, tc.attempts, o.Attempts, cmd)
				assert.Len(t, res.History, tc.attempts, cmd)
			}
			for i, k := range tc.kinds {
				assert.Equal(t, k, res.History[i].Kind, "attempt %d; %s", i+1, cmd)
			}
			for _, k := range check.Kinds {
				assert.Equal(t, k == tc.verdict, rep.Counts[k] > 0, "verdict %s; %s", k, cmd)
			}
		})
	}
}

// Goal: backoff between retries is full jitter under a growing cap, and a
// poll waits the poll interval. Method: a server that always answers 503,
// with the history's call times.
func TestBackoffGrowsWithinCap(t *testing.T) {
	cfg := single(fixed(503))
	cfg.Client.Attempts = 8
	cfg.Client.BackoffBase, cfg.Client.BackoffCap = 100*time.Millisecond, 400*time.Millisecond
	cfg.Faults.Link.Delay = sim.Const(0)
	cfg.ServiceTime = sim.Const(0)
	res, _ := audit(t, cfg)
	require.Len(t, res.History, 8)
	for i := 1; i < len(res.History); i++ {
		gap := res.History[i].Call.Sub(res.History[i-1].Return)
		ceiling := min(100*time.Millisecond<<(i-1), 400*time.Millisecond)
		assert.GreaterOrEqual(t, gap, time.Duration(0))
		assert.Less(t, gap, ceiling, "retry %d; go test ./sim/world -run TestBackoffGrowsWithinCap", i)
	}
}

// Goal: a server crash kills the handlers in flight (no effect, no answer)
// and loses process memory; requests meanwhile get 502 from the balancer.
// Method: one request whose service takes 1s, the server crashing at 0.5s
// for 2s; the client times out, retries into 502s, then succeeds once.
func TestServerCrashKillsInflightHandlers(t *testing.T) {
	cfg := single(models.LocalCache)
	cfg.ServiceTime = sim.Const(time.Second)
	cfg.Client.TimeoutPerAttempt = 1500 * time.Millisecond
	cfg.Client.Attempts = 20
	cfg.Client.BackoffBase, cfg.Client.BackoffCap = 400*time.Millisecond, 400*time.Millisecond
	cfg.Faults.Link.Delay = sim.Const(time.Millisecond)
	cfg.Faults.Crashes = []faults.Crash{{Node: "s1", At: sim.Time(500 * time.Millisecond), Downtime: 2 * time.Second}}
	res, rep := audit(t, cfg)
	const cmd = "go test ./sim/world -run TestServerCrashKillsInflightHandlers"
	require.Len(t, res.Ledger, 1, cmd)
	assert.Greater(t, res.Ledger[0].At, sim.Time(2500*time.Millisecond), "the only charge comes after the restart; "+cmd)
	assert.True(t, res.History[0].TimedOut, cmd)
	var badGateway int
	for _, a := range res.History {
		if a.Status == api.StatusBadGateway {
			badGateway++
		}
	}
	assert.Positive(t, badGateway, cmd)
	assert.Equal(t, world.BelievedDone, res.Outcomes[0].Belief, cmd)
	assert.False(t, rep.Violated(""), cmd)
	require.Len(t, res.Faults, 1, cmd)
	assert.Equal(t, "crash s1@500ms+2s", res.Faults[0].String(), cmd)
}

// Goal: a client that crashes after the server charged but before the answer
// arrives resumes the operation; with its key persisted the server
// recognizes it, with a regenerated key the payment is made twice.
// Method: const latencies so the crash lands between charge and response.
func TestClientCrashKeyPolicy(t *testing.T) {
	for _, tc := range []struct {
		policy  world.KeyOnRestart
		effects int
	}{
		{world.KeyPersist, 1},
		{world.KeyRegenerate, 2},
	} {
		t.Run(string(tc.policy), func(t *testing.T) {
			cmd := "go test ./sim/world -run TestClientCrashKeyPolicy/" + string(tc.policy)
			cfg := single(models.LocalCache)
			cfg.Client.KeyOnRestart = tc.policy
			cfg.Faults.Link.Delay = sim.Const(50 * time.Millisecond)
			cfg.ServiceTime = sim.Const(10 * time.Millisecond)
			// Charged at 60ms, answer due at 110ms; the client dies at 80ms.
			cfg.Faults.ClientCrashes = []faults.Crash{{Node: "c1", At: sim.Time(80 * time.Millisecond), Downtime: 100 * time.Millisecond}}
			res, rep := audit(t, cfg)
			assert.Len(t, res.Ledger, tc.effects, cmd)
			require.Len(t, res.Outcomes, 1, cmd)
			assert.Equal(t, world.BelievedDone, res.Outcomes[0].Belief, cmd)
			assert.Len(t, res.Outcomes[0].Keys, tc.effects, cmd)
			require.NotEmpty(t, res.History, cmd)
			first := res.History[0]
			assert.True(t, first.Interrupted && first.TimedOut, "the attempt in flight at the crash is in the history, result unknown; %s", cmd)
			assert.Equal(t, sim.Time(80*time.Millisecond), first.Return, cmd)
			assert.Equal(t, tc.effects > 1, rep.Violated(check.Duplicate), cmd)
		})
	}
}

// Goal: two workers handed the same queue message submit the same operation
// with the same key at once; naive charges twice, local-cache on one server
// once. Method: workers-per-op 2, no faults.
func TestWorkersShareOperations(t *testing.T) {
	for _, tc := range []struct {
		strategy api.Strategy
		dup      bool
	}{
		{models.Naive, true},
		{models.LocalCache, false},
	} {
		t.Run(tc.strategy.Name, func(t *testing.T) {
			cmd := "go test ./sim/world -run TestWorkersShareOperations/" + tc.strategy.Name
			cfg := base(tc.strategy)
			cfg.Servers, cfg.Clients, cfg.OpsPerClient, cfg.WorkersPerOp = 1, 4, 10, 2
			res, rep := audit(t, cfg)
			assert.Equal(t, 20, rep.Ops, cmd)
			assert.Equal(t, 40, rep.Submissions, cmd)
			assert.Equal(t, tc.dup, rep.Violated(check.Duplicate), cmd)
			if !tc.dup {
				assert.Len(t, res.Ledger, 20, cmd)
			}
		})
	}
}

// Goal: reset after processing leaves the effect applied and the client
// with a timeout. Method: reset rate 1 for the first attempt only (by
// replay), one client.
func TestResetAfterProcessing(t *testing.T) {
	cfg := single(models.Naive)
	cfg.Faults.Replay = []faults.Fault{{Kind: faults.Reset, Msg: faults.Ref{Caller: "c1", Op: api.OpID{Queue: 1, Index: 1}, Attempt: 1}}}
	res, rep := audit(t, cfg)
	const cmd = "go test ./sim/world -run TestResetAfterProcessing"
	require.GreaterOrEqual(t, len(res.History), 2, cmd)
	assert.True(t, res.History[0].TimedOut, cmd)
	assert.Equal(t, cfg.Client.TimeoutPerAttempt, res.History[0].Return.Sub(res.History[0].Call), cmd)
	assert.Len(t, res.Ledger, 2, "the reset attempt charged, and so did the retry; "+cmd)
	assert.True(t, rep.Violated(check.Duplicate), cmd)
}

// Goal: a run that hits its virtual deadline says so and leaves operations
// unfinished. Method: a 2s deadline on the built-in world.
func TestDeadlineLeavesOperationsUnfinished(t *testing.T) {
	cfg := base(models.Naive)
	cfg.Deadline = 2 * time.Second
	res, rep := audit(t, cfg)
	const cmd = "go test ./sim/world -run TestDeadlineLeavesOperationsUnfinished"
	assert.Equal(t, sim.Deadline, res.Stop, cmd)
	assert.Equal(t, sim.Time(2*time.Second), res.End, cmd)
	assert.Positive(t, rep.Beliefs[world.Unfinished], cmd)
}

// Goal: invalid configurations are errors naming the setting, never panics.
func TestInvalidConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*world.Config)
		want string
	}{
		{"no-strategy", func(c *world.Config) { c.Strategy = api.Strategy{} }, "strategy: no strategy"},
		{"zero-servers", func(c *world.Config) { c.Servers = 0 }, "servers: 0 out of range [1, 1000]"},
		{"zero-clients", func(c *world.Config) { c.Clients = 0 }, "clients: 0 out of range [1, 10000]"},
		{"negative-rate", func(c *world.Config) { c.Faults.Link.DropRequestRate = -0.1 }, "drop-request: -0.1 is not a probability in [0, 1]"},
		{"rate-above-one", func(c *world.Config) { c.Faults.Link.DuplicateRate = 1.5 }, "duplicate: 1.5 is not a probability in [0, 1]"},
		{"zero-timeout", func(c *world.Config) { c.Client.TimeoutPerAttempt = 0 }, "timeout: 0s must be > 0"},
		{"workers-not-dividing", func(c *world.Config) { c.WorkersPerOp = 3 }, "workers-per-op: 3 must be >= 1 and divide clients (16)"},
		{"crash-unknown-server", func(c *world.Config) {
			c.Faults.Crashes = []faults.Crash{{Node: "s9", At: 1, Downtime: time.Second}}
		}, "crash: s9@1ns+1s: no server s9 (servers are s1..s3; kv restarts the store)"},
		{"partition-unknown-node", func(c *world.Config) {
			c.Faults.Partitions = []faults.Partition{{A: faults.NodeSet{"c99"}, B: faults.NodeSet{"servers"}, From: 0, To: 1}}
		}, "partition: c99|servers@0s..1ns: no node c99 (this run has c1..c16, s1..s3, db, kv, gateway, queue)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base(models.Naive)
			tc.edit(&cfg)
			_, err := world.Run(cfg)
			require.Error(t, err, "go test ./sim/world -run TestInvalidConfig/"+tc.name)
			var ce *world.ConfigError
			require.ErrorAs(t, err, &ce, "go test ./sim/world -run TestInvalidConfig/"+tc.name)
			assert.Equal(t, tc.want, ce.Error(), "go test ./sim/world -run TestInvalidConfig/"+tc.name)
		})
	}
}

// Goal: a zero backoff base means no backoff at all, not the cap.
// Method: base 0, cap 5s, a server that always answers 503.
func TestZeroBackoffBase(t *testing.T) {
	cfg := single(fixed(503))
	cfg.Client.BackoffBase, cfg.Client.BackoffCap = 0, 5*time.Second
	cfg.Faults.Link.Delay = sim.Const(time.Millisecond)
	cfg.ServiceTime = sim.Const(0)
	res, _ := audit(t, cfg)
	for i := 1; i < len(res.History); i++ {
		assert.Equal(t, res.History[i-1].Return, res.History[i].Call, "retry %d; go test ./sim/world -run TestZeroBackoffBase", i)
	}
}

// Goal: Result.Asked is the money the workload asks for, so that a run's
// gateway ledger can be read against it. Method: naive charging the
// gateway with no fault takes every payment once: the charges add up to
// Asked; with two workers per operation each operation is still asked once
// (the same operations, so the same total as one worker's world of half
// the clients); a local run asks the same, and moves nothing.
func TestAskedIsTheWorkloadsTotal(t *testing.T) {
	const rerun = "go test ./sim/world -run TestAskedIsTheWorkloadsTotal"
	cfg := base(models.Naive)
	cfg.Clients, cfg.OpsPerClient, cfg.Charge = 4, 10, true
	res, rep := audit(t, cfg)
	require.Equal(t, 40, rep.Beliefs[world.BelievedDone], rerun)
	var moved int64
	for _, r := range res.Ledger {
		if r.Source == world.SourceGateway {
			moved += r.Amount
		}
	}
	assert.Positive(t, res.Asked, rerun)
	assert.Equal(t, res.Asked, moved, rerun)

	local := cfg
	local.Charge = false
	resLocal, _ := audit(t, local)
	assert.Equal(t, res.Asked, resLocal.Asked, "the workload does not depend on the work; "+rerun)

	two := cfg
	two.Clients, two.WorkersPerOp = 8, 2
	resTwo, _ := audit(t, two)
	assert.Equal(t, res.Asked, resTwo.Asked, "two workers per operation ask once; "+rerun)
}
