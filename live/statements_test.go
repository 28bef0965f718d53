package live_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/livetest"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/live"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// Goal: a live run with world.Config.LogStatements logs the strategy's
// statements as the simulated run of the same world logs them: the same
// actors, call numbers, texts, answers and lock waits, where nothing
// depends on timing; and logs nothing unless asked. Method: one client
// with two operations whose first response is lost, so that the retry
// meets what the first attempt committed (unique-409: 23505 and the
// replay's read; select-for-update: the key's row done), simulated then
// live; the live log must hold the simulated one's entries exactly.
func TestLiveLogsStatements(t *testing.T) {
	if testing.Short() {
		t.Skip("live: starts PostgreSQL and Redis")
	}
	pg := livetest.StartPostgres(t)
	rd := livetest.StartRedis(t)
	drop, err := faults.ParseFault("drop-response c1/o1.1/a1")
	require.NoError(t, err)
	for _, c := range []struct {
		strategy string
		replay   []faults.Fault
		log      bool
	}{
		{"unique-409", []faults.Fault{drop}, true},
		{"select-for-update", []faults.Fault{drop}, true},
		{"select-for-update", nil, false},
	} {
		name := c.strategy
		if !c.log {
			name += " unlogged"
		}
		t.Run(name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./live")
			s, err := models.Lookup(c.strategy)
			require.NoError(t, err, rerun)
			cfg := world.Defaults()
			cfg.Strategy = s
			cfg.Clients, cfg.OpsPerClient, cfg.Servers = 1, 2, 1
			cfg.Client.Think = sim.Const(10 * time.Millisecond)
			cfg.Faults.Replay = c.replay
			cfg.LogStatements = c.log
			simulated, err := world.Run(cfg)
			require.NoError(t, err, rerun)
			res, err := live.Run(context.Background(), live.Config{World: cfg, PostgresDSN: pg.DatabaseDSN("postgres"), RedisAddr: rd.Addr(), Limit: time.Minute})
			require.NoError(t, err, rerun)
			require.Equal(t, live.StopDone, res.Stop, rerun)
			if !c.log {
				assert.Empty(t, res.Statements, rerun)
				return
			}
			require.NotEmpty(t, simulated.Statements, rerun)
			// The simulated log is in the order the answers came, the live
			// one by actor and call.
			assert.ElementsMatch(t, simulated.Statements, res.Statements, rerun)
		})
	}
}

// blocking is a test strategy of two racing requests: the first to claim
// the role takes a lock with hold in a transaction; the other runs wait in
// a transaction at level, which meets that lock. So that the wait does
// not depend on when each request arrives, they hand over through two
// tables: the holder says it holds the lock (ho_locked), the waiter says it
// is about to wait (ho_arrived), and the holder keeps the lock 50 ms more.
func blocking(setup []string, hold, wait string, level api.Level) api.Strategy {
	return api.Strategy{
		Name: "blocking", Contract: api.ContractNone,
		Schema: append([]string{"create table roles (id int primary key)", "create table ho_locked (id int)", "create table ho_arrived (id int)"}, setup...),
		Boot: func(api.Settings) api.Server {
			return api.Server{Create: func(env api.Env, _ api.Request) api.Response {
				db := env.DB()
				res, err := db.Exec("insert into roles values (1) on conflict do nothing returning id")
				holder := err == nil && len(res.Rows) == 1
				// until polls query every 5 ms until it counts a row, for
				// at most 10 s.
				until := func(query string) {
					for range 2000 {
						if res, err := db.Exec(query); err == nil && len(res.Rows) == 1 && res.Rows[0][0].Int > 0 {
							return
						}
						env.Sleep(5 * time.Millisecond)
					}
				}
				if !holder {
					until("select count(*) from ho_locked")
					_, _ = db.Exec("insert into ho_arrived values (1)")
				}
				tx, err := db.Begin(level)
				if err != nil {
					return api.Response{Status: 500}
				}
				if holder {
					_, _ = tx.Exec(hold)
					_, _ = db.Exec("insert into ho_locked values (1)")
					until("select count(*) from ho_arrived")
					env.Sleep(50 * time.Millisecond)
				} else {
					_, _ = tx.Exec(wait)
				}
				_ = tx.Commit()
				return api.Response{Status: api.StatusCreated}
			}}
		},
	}
}

// Goal: statements that block on a lock another actor holds get the same
// answer, and wait alike, on PostgreSQL as in the simulation: a row lock
// waited for, refused under NOWAIT, skipped under SKIP LOCKED; a key
// inserted but not committed waited for, then 23505 or nothing under ON
// CONFLICT DO NOTHING; a row updated concurrently at repeatable read
// waited for, then 40001. Method: two clients submit one operation at
// once to one server running the blocking test strategy, in a simulated
// world and live, both logging statements; the holder's and the waiter's
// transactions must be the same on both sides (the role claims race
// within a millisecond and may wait on either side, and the hand-over's
// polls repeat as often as timing makes them, so neither is compared).
func TestBlockingConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("live: starts PostgreSQL and Redis")
	}
	pg := livetest.StartPostgres(t)
	rd := livetest.StartRedis(t)
	table := []string{"create table k (key text primary key, v int)", "insert into k values ('a', 1)"}
	for _, c := range []struct {
		name       string
		hold, wait string
		level      api.Level
		waiter     string // the waiter's statement's result
		waited     bool
	}{
		{"row lock", "select v from k where key = 'a' for update", "select v from k where key = 'a' for update", api.ReadCommitted, "ok 1", true},
		{"nowait", "select v from k where key = 'a' for update", "select v from k where key = 'a' for update nowait", api.ReadCommitted, "55P03", false},
		{"skip locked", "select v from k where key = 'a' for update", "select v from k for update skip locked", api.ReadCommitted, "ok 0", false},
		{"uncommitted key", "insert into k values ('b', 1)", "insert into k values ('b', 2)", api.ReadCommitted, api.CodeUniqueViolation, true},
		{"uncommitted key on conflict", "insert into k values ('b', 1)", "insert into k values ('b', 2) on conflict (key) do nothing", api.ReadCommitted, "ok 0", true},
		{"concurrent update at repeatable read", "update k set v = v + 1 where key = 'a'", "update k set v = v + 1 where key = 'a'", api.RepeatableRead, api.CodeSerializationFailure, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./live")
			cfg := world.Defaults()
			cfg.Strategy = blocking(table, c.hold, c.wait, c.level)
			cfg.Servers, cfg.Clients, cfg.OpsPerClient, cfg.WorkersPerOp = 1, 2, 1, 2
			cfg.Client.Think = sim.Const(0)
			cfg.LogStatements = true
			simulated, err := world.Run(cfg)
			require.NoError(t, err, rerun)
			res, err := live.Run(context.Background(), live.Config{World: cfg, PostgresDSN: pg.DatabaseDSN("postgres"), RedisAddr: rd.Addr(), Limit: time.Minute})
			require.NoError(t, err, rerun)
			sim, lv := byRole(simulated.Statements), byRole(res.Statements)
			assert.Equal(t, sim, lv, "statements by role, simulated then live; %s", rerun)
			want := c.wait + ": " + c.waiter
			if c.waited {
				want += " (waited)"
			}
			assert.Contains(t, sim["waiter"], want, "the simulated waiter; %s", rerun)
		})
	}
}

// byRole is a blocking run's statements after each actor's role claim,
// but for the hand-over's, as "text: result", with "(waited)" after those
// that waited, under "holder" and "waiter".
func byRole(log []world.Statement) map[string][]string {
	role := map[string]string{}
	for _, st := range log {
		if st.Call == 1 {
			role[st.Actor] = map[bool]string{true: "holder", false: "waiter"}[st.Count == 1]
		}
	}
	out := map[string][]string{}
	for _, st := range log {
		if st.Call == 1 || strings.Contains(st.Text, " ho_") {
			continue
		}
		line := st.Text + ": " + st.Result()
		if st.Waited {
			line += " (waited)"
		}
		out[role[st.Actor]] = append(out[role[st.Actor]], line)
	}
	return out
}
