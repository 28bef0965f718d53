package models_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// oneKeyCase is one scripted run of a strategy on a single operation: the
// world's shape, the faults, and the verdict expected.
type oneKeyCase struct {
	name             string
	servers, workers int      // workers: clients submitting the operation at once, with one key
	switches         []string // NAME=VALUE
	charge           bool     // --work charge, the gateway taking 200ms
	faults           []string // fault lines replayed exactly (--fault)
	crashAt          string   // --crash-at
	crash, pause     string   // --crash, --pause
	policy           string   // --policy
	level            api.Level
	dup, lost, stuck bool
	// status, when set, must be the status of some attempt (a 429, a 409).
	status int
}

// runOneKey runs c for s in a world of constant latencies (5ms to the
// servers, 1ms to the services, 1ms of service time) where the clients
// submit at once, and checks the verdict; it returns the run.
func runOneKey(t *testing.T, s api.Strategy, c oneKeyCase) *world.Result {
	t.Helper()
	rerun := testcmd.Rerun(t, "./models")
	cfg := world.Defaults()
	cfg.Strategy = s
	cfg.Servers, cfg.Clients, cfg.OpsPerClient, cfg.WorkersPerOp = max(c.servers, 1), max(c.workers, 1), 1, max(c.workers, 1)
	cfg.Client.Think = sim.Const(0)
	cfg.Client.Attempts = 30
	cfg.Faults.Link.Delay = sim.Const(5 * time.Millisecond)
	cfg.Faults.ServiceLink.Delay = sim.Const(time.Millisecond)
	cfg.ServiceTime = sim.Const(time.Millisecond)
	cfg.Switches = c.switches
	if c.level != 0 {
		cfg.DB.Isolation = c.level
	}
	if c.charge {
		cfg.Charge = true
		cfg.Services.GatewayTime = sim.Const(200 * time.Millisecond)
	}
	if c.policy != "" {
		require.NoError(t, cfg.Client.Policy.Override(c.policy), rerun)
	}
	cfg.Faults.Replay = []faults.Fault{} // exactly the faults listed: none at random
	for _, line := range c.faults {
		f, err := faults.ParseFault(line)
		require.NoError(t, err, rerun)
		cfg.Faults.Replay = append(cfg.Faults.Replay, f)
	}
	if c.crashAt != "" {
		cp, err := faults.ParseCrashPoint(c.crashAt)
		require.NoError(t, err, rerun)
		cfg.Faults.CrashPoints = []faults.CrashPoint{cp}
	}
	if c.crash != "" {
		cr, err := faults.ParseCrash(c.crash)
		require.NoError(t, err, rerun)
		cfg.Faults.Crashes = []faults.Crash{cr}
	}
	if c.pause != "" {
		p, err := faults.ParsePause(c.pause)
		require.NoError(t, err, rerun)
		cfg.Faults.Pauses = []faults.Crash{p}
	}
	res, err := world.Run(cfg)
	require.NoError(t, err, rerun)
	rep := check.Audit(res)
	assert.Equal(t, c.dup, rep.Violated(check.Duplicate), "duplicate; violations %v; %s", rep.Violations, rerun)
	assert.Equal(t, c.lost, rep.Violated(check.Lost), "lost; violations %v; %s", rep.Violations, rerun)
	assert.Equal(t, c.stuck, rep.Violated(check.Stuck), "stuck; violations %v; %s", rep.Violations, rerun)
	if c.status != 0 {
		var statuses []int
		for _, a := range res.History {
			statuses = append(statuses, a.Status)
		}
		assert.Contains(t, statuses, c.status, "statuses of the attempts; %s", rerun)
	}
	return res
}

// Goal: redis-presence replays from the store, and is wrong in each way the
// store's GET-then-SET allows: two requests at once both miss, a store
// restart forgets the key, a crash before the SET stores nothing.
// Method: one operation; the first response dropped (the retry comes after
// the client's 1s timeout), with a store restart at 500ms or a crash at
// before-store; or two clients submitting it at once.
func TestRedisPresence(t *testing.T) {
	lostResponse := []string{"drop-response c1/o1.1/a1"}
	for _, c := range []oneKeyCase{
		{name: "a retry is replayed", faults: lostResponse},
		{name: "two at once both miss", workers: 2, dup: true},
		{name: "the store restarts before the retry", faults: lostResponse, crash: "kv@500ms+100ms", dup: true},
		{name: "a crash before the SET", crashAt: "s1:before-store+100ms", dup: true},
	} {
		t.Run(c.name, func(t *testing.T) { runOneKey(t, models.RedisPresence, c) })
	}
}

// Goal: redis-lock closes the race (the loser gets 429 and then the
// replay), and is wrong where its lease or its store fail it: a store
// restart, a crash before the result is stored once the lease ends, a holder
// paused past its lease; without a lease, a lock never released leaves the
// key stuck.
// Method: as TestRedisPresence; for the stuck key, the first attempt's
// payment insert (db1) and unlock (kv3) are lost, so it pays nothing and
// holds the lock; for the pause, two servers, the gateway taking 200ms, the
// lock holder s1 paused at 100ms for 3s.
func TestRedisLock(t *testing.T) {
	lostResponse := []string{"drop-response c1/o1.1/a1"}
	failedAndLocked := []string{"drop-request c1/o1.1/a1/db1", "drop-request c1/o1.1/a1/kv3"}
	for _, c := range []oneKeyCase{
		{name: "two at once: 429, then the replay", workers: 2, status: api.StatusTooManyRequests},
		{name: "the store restarts before the retry", faults: lostResponse, crash: "kv@500ms+100ms", dup: true},
		{name: "a crash before the SET, the lease ends", switches: []string{"lease=1s"}, crashAt: "s1:before-store+100ms", dup: true},
		{name: "a lock never released, with a lease", switches: []string{"lease=1s"}, faults: failedAndLocked},
		{name: "a lock never released, no lease", switches: []string{"lease=none"}, faults: failedAndLocked, stuck: true},
		{name: "a pause within the lease", servers: 2, workers: 2, charge: true, pause: "s1@100ms+3s"},
		{name: "a pause past the lease", servers: 2, workers: 2, charge: true, pause: "s1@100ms+3s", switches: []string{"lease=1s"}, dup: true},
	} {
		t.Run(c.name, func(t *testing.T) { runOneKey(t, models.RedisLock, c) })
	}
}

// Goal: early-409 answers a duplicate 409 while the first runs, which is
// right when the first succeeds; a crash after the claim loses the
// operation when the retry comes within the lease (or there is none), since
// its 409 reads as done; read as retry instead, the dead claim leaves the
// key stuck without a lease, and a lease lets a retry take it over.
// Method: two clients at once; one client with the crash point after-claim
// (its retry comes after its 1s timeout), clients reading 409 as done or
// (--policy 409=retry) as retry.
func TestEarly409(t *testing.T) {
	crash := "s1:after-claim+100ms"
	for _, c := range []oneKeyCase{
		{name: "two at once: 409 while the first runs", workers: 2, status: api.StatusConflict},
		{name: "a crash after the claim", crashAt: crash, lost: true},
		{name: "a crash after the claim, the retry within the lease", crashAt: crash, switches: []string{"lease=10s"}, lost: true},
		{name: "a crash after the claim, the retry after the lease", crashAt: crash, switches: []string{"lease=500ms"}},
		{name: "409 read as retry, no lease", crashAt: crash, policy: "409=retry", stuck: true},
		{name: "409 read as retry, with a lease", crashAt: crash, policy: "409=retry", switches: []string{"lease=1s"}},
	} {
		t.Run(c.name, func(t *testing.T) { runOneKey(t, models.Early409, c) })
	}
}

// Goal: block-until-done makes a second request wait for the first and
// replay it, at every level; a crash after the charge rolls the key back
// and the retry's forwarded key meets the gateway's own deduplication.
// Method: two clients at once on two servers (both must end with the same
// payment); one client with the crash point after-charge.
func TestBlockUntilDone(t *testing.T) {
	for _, level := range api.AllLevels() {
		t.Run(level.Slug(), func(t *testing.T) {
			for _, c := range []oneKeyCase{
				{name: "two at once: wait, then replay", servers: 2, workers: 2, charge: true},
				{name: "a crash after the charge", charge: true, crashAt: "s1:after-charge+100ms"},
			} {
				c.level = level
				t.Run(c.name, func(t *testing.T) {
					res := runOneKey(t, models.BlockUntilDone, c)
					if c.workers == 2 {
						resources := map[string]bool{}
						for _, a := range res.History {
							if a.Status == api.StatusCreated {
								resources[a.Resource] = true
							}
						}
						assert.Len(t, resources, 1, "both clients are answered with the one payment; %s", testcmd.Rerun(t, "./models"))
					}
				})
			}
		})
	}
}

// Goal: block-until-done-local's in-process lock serializes two requests on
// one server and not on two.
// Method: two clients at once, on one server and on two.
func TestBlockUntilDoneLocal(t *testing.T) {
	for _, c := range []oneKeyCase{
		{name: "one server: wait, then replay", servers: 1, workers: 2},
		{name: "two servers: both run", servers: 2, workers: 2, dup: true},
	} {
		t.Run(c.name, func(t *testing.T) { runOneKey(t, models.BlockUntilDoneLocal, c) })
	}
}
