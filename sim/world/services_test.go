package world_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/probes"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/gateway"
	"github.com/idemsim/idemsim/sim/world"
)

// quiet is one client with one operation on one server, constant latencies
// and no think time: a world whose timeline a test can reason about.
func quiet(s api.Strategy) world.Config {
	cfg := single(s)
	cfg.Faults.Link.Delay = sim.Const(5 * time.Millisecond)
	cfg.Faults.ServiceLink.Delay = sim.Const(time.Millisecond)
	cfg.ServiceTime = sim.Const(time.Millisecond)
	return cfg
}

func fault(t *testing.T, line string) faults.Fault {
	t.Helper()
	f, err := faults.ParseFault(line)
	require.NoError(t, err, testcmd.Rerun(t, "./sim/world"))
	return f
}

func traceOf(t *testing.T, cfg world.Config) (*world.Result, check.Report, string) {
	t.Helper()
	cfg.KeepTrace = true
	res, rep := audit(t, cfg)
	var b bytes.Buffer
	require.NoError(t, res.WriteTrace(&b, nil))
	return res, rep, b.String()
}

// Goal: each database fault does what PostgreSQL's clients see: a commit
// whose acknowledgement is lost is applied while the caller sees a
// connection error; a connection dropped inside a transaction rolls it back.
// Method: probe-db (look the key up and insert in one transaction) with the
// fault on the first attempt's commit (db4) or insert (db3); the retry
// replays or inserts, and either way one row is committed.
func TestDatabaseFaults(t *testing.T) {
	for _, tc := range []struct {
		name, fault   string
		firstCommits  bool
		secondAnswers int
	}{
		{"lost-commit-ack", "db-lost-commit-ack c1/o1.1/a1/db4", true, api.StatusOK},
		{"drop-connection", "db-drop-connection c1/o1.1/a1/db3", false, api.StatusCreated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./sim/world")
			cfg := quiet(probes.DB)
			cfg.Faults.Replay = []faults.Fault{fault(t, tc.fault)}
			res, rep, trace := traceOf(t, cfg)
			require.Len(t, res.History, 2, rerun)
			assert.Equal(t, api.StatusServiceUnavailable, res.History[0].Status, "the first attempt saw a connection error; %s", rerun)
			assert.Equal(t, tc.secondAnswers, res.History[1].Status, rerun)
			assert.Len(t, res.Ledger, 1, rerun)
			assert.False(t, rep.Violated(""), rerun)
			assert.Empty(t, res.Unfired, rerun)
			if tc.firstCommits {
				assert.Less(t, res.Ledger[0].At, res.History[0].Return, "the row committed during the first attempt; %s", rerun)
			} else {
				assert.Greater(t, res.Ledger[0].At, res.History[0].Return, "the first attempt's insert rolled back; %s", rerun)
				assert.Contains(t, trace, "DB-DROP-CONNECTION on c1/o1.1/a1/db3", rerun)
			}
		})
	}
}

// holdRow inserts a row with a unique key in a transaction and holds it open
// for a second before committing: its lock is what the next tests watch.
var holdRow = api.Strategy{
	Name: "hold-row", Rule: "insert under a unique key, hold the transaction a second, commit", Position: "test only",
	Contract: api.ContractNone,
	Schema:   []string{"create table payments (idempotency_key text primary key, amount bigint)"},
	Ledger:   []string{"payments"},
	Boot: func(api.Settings) api.Server {
		return api.Server{Create: func(env api.Env, req api.Request) api.Response {
			tx, err := env.DB().Begin(api.DefaultLevel)
			if err != nil {
				return api.Response{Status: api.StatusServiceUnavailable}
			}
			if _, err := tx.Exec("insert into payments (idempotency_key, amount) values ($1, $2)", api.Text(req.Key), api.Int(req.Payload.Amount)); err != nil {
				return api.Response{Status: api.StatusConflict}
			}
			env.Sleep(time.Second)
			if err := tx.Commit(); err != nil {
				return api.Response{Status: api.StatusServiceUnavailable}
			}
			return api.Response{Status: api.StatusCreated}
		}}
	},
}

// Goal: a server that crashes with a transaction open has it rolled back:
// its connection closes, the database's backend rolls back, and the key it
// had inserted does not block the retry. Method: hold-row, the server
// crashing in the middle of the held transaction; the retry after the
// restart inserts the same key and commits.
func TestCrashRollsBackOpenTransactions(t *testing.T) {
	rerun := testcmd.Rerun(t, "./sim/world")
	cfg := quiet(holdRow)
	cfg.Client.TimeoutPerAttempt = 3 * time.Second
	cfg.Faults.Crashes = []faults.Crash{{Node: "s1", At: sim.Time(500 * time.Millisecond), Downtime: 100 * time.Millisecond}}
	res, rep := audit(t, cfg)
	require.Len(t, res.Ledger, 1, rerun)
	assert.Greater(t, res.Ledger[0].At, sim.Time(time.Second), "the row committed is the retry's; %s", rerun)
	assert.Equal(t, world.BelievedDone, res.Outcomes[0].Belief, rerun)
	assert.False(t, rep.Violated(""), rerun)
	assert.Equal(t, uint64(1), res.DB.Aborts, "the crashed transaction aborted; %s", rerun)
}

// Goal: a pause freezes a process with its transaction and locks held,
// while the database and other processes run on; when it thaws, it carries
// on where it stopped. Method: hold-row on two servers, two workers
// submitting the same key; s1 takes the row's key first and pauses for 3s
// inside its transaction: s2's insert waits on the uncommitted key until s1
// thaws and commits, then fails with a unique violation (409).
func TestPauseHoldsLocks(t *testing.T) {
	rerun := testcmd.Rerun(t, "./sim/world")
	cfg := quiet(holdRow)
	cfg.Servers, cfg.Clients, cfg.WorkersPerOp = 2, 2, 2
	cfg.Client.TimeoutPerAttempt = 10 * time.Second
	cfg.Faults.Pauses = []faults.Crash{{Node: "s1", At: sim.Time(100 * time.Millisecond), Downtime: 3 * time.Second}}
	res, _, trace := traceOf(t, cfg)
	require.Len(t, res.Ledger, 1, rerun)
	assert.Greater(t, res.Ledger[0].At, sim.Time(3100*time.Millisecond), "s1 commits after it thaws; %s", rerun)
	assert.Contains(t, trace, "s1 PAUSES for 3s", rerun)
	statuses := map[string]int{}
	for _, a := range res.History {
		statuses[a.Server] = a.Status
	}
	assert.Equal(t, map[string]int{"s1": api.StatusCreated, "s2": api.StatusConflict}, statuses, rerun)
}

// Goal: a server's pool bounds its connections: a handler that finds them
// all busy waits, visibly, for one to come back. Method: pool of 1, two
// clients whose requests reach one server together; the second handler
// waits for the first's transaction (a second) to end.
func TestPoolWaitsForAConnection(t *testing.T) {
	rerun := testcmd.Rerun(t, "./sim/world")
	cfg := quiet(holdRow)
	cfg.Clients = 2
	cfg.DB.PoolSize = 1
	cfg.Client.TimeoutPerAttempt = 10 * time.Second
	res, rep, trace := traceOf(t, cfg)
	assert.Contains(t, trace, "waits for a database connection: all 1 of its pool are busy", rerun)
	assert.Len(t, res.Ledger, 2, rerun)
	assert.False(t, rep.Violated(""), rerun)
	last := res.Ledger[1].At
	assert.Greater(t, last, sim.Time(2*time.Second), "the second transaction ran after the first released the connection; %s", rerun)
}

// clockProbe answers with the server's clock in its body.
var clockProbe = api.Strategy{
	Name: "clock", Rule: "answer with the server's clock", Position: "test only", Contract: api.ContractNone,
	Boot: func(api.Settings) api.Server {
		return api.Server{Create: func(env api.Env, req api.Request) api.Response {
			return api.Response{Status: api.StatusCreated, Resource: strconv.FormatInt(int64(env.Now()), 10)}
		}}
	},
}

// Goal: a server reads its own clock: offset and drift apply to what the
// strategy sees, not to virtual time. Method: one request handled at true
// time 6ms on a server whose clock is 3s ahead and 1% fast.
func TestClockSkewAndDrift(t *testing.T) {
	rerun := testcmd.Rerun(t, "./sim/world")
	cfg := quiet(clockProbe)
	cfg.Clocks = []world.Clock{{Node: "s1", Offset: 3 * time.Second, Drift: 1.01}}
	res, _ := audit(t, cfg)
	require.Len(t, res.History, 1, rerun)
	shown, err := strconv.ParseInt(res.History[0].Resource, 10, 64)
	require.NoError(t, err, rerun)
	handled := int64(6 * time.Millisecond)
	assert.Equal(t, int64(3*time.Second)+int64(float64(handled)*1.01), shown, rerun)
}

// Goal: the gateway's three modes decide whether a retry after a lost
// answer charges again, and money moves whatever the answer. Method:
// probe-gateway with the first charge's answer lost (gateway-timeout) or a
// 500; count the charges and the client's conclusion.
func TestGatewayModes(t *testing.T) {
	for _, tc := range []struct {
		mode, fault string
		charges     int
		violation   check.Kind
	}{
		{"idempotent", "gateway-timeout", 1, ""},
		{"none", "gateway-timeout", 2, check.Duplicate},
		{"window:30s", "gateway-timeout", 1, check.WrongAnswer}, // the retry is refused as a duplicate
		{"window:30s", "gateway-500", 1, check.WrongAnswer},
		{"idempotent", "gateway-500", 1, ""},
	} {
		t.Run(tc.mode+"/"+tc.fault, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./sim/world")
			cfg := quiet(probes.Gateway)
			m, window, err := gateway.ParseMode(tc.mode)
			require.NoError(t, err, rerun)
			cfg.Services.Gateway.Mode, cfg.Services.Gateway.Window = m, window
			cfg.Services.GatewayTime = sim.Const(100 * time.Millisecond)
			cfg.Services.GatewayTimeout = 300 * time.Millisecond
			cfg.Faults.Replay = []faults.Fault{fault(t, tc.fault+" c1/o1.1/a1/gateway1")}
			res, rep := audit(t, cfg)
			assert.Len(t, res.Ledger, tc.charges, rerun)
			for _, r := range res.Ledger {
				assert.Equal(t, world.SourceGateway, r.Source, rerun)
				assert.Equal(t, api.OpID{Queue: 1, Index: 1}, r.Op, rerun)
			}
			if tc.violation == "" {
				assert.False(t, rep.Violated(""), "%v; %s", rep.Violations, rerun)
			} else {
				assert.True(t, rep.Violated(tc.violation), "%v; %s", rep.Violations, rerun)
			}
		})
	}
}

// Goal: the store forgets: a restart with persistence off loses every key,
// a failover loses the writes of the replica's lag, and a failover with no
// lag loses nothing. Method: probe-kv with the first answer lost, so the
// retry depends on the key the store remembered.
func TestStoreForgets(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*world.Config)
		dup  bool
	}{
		{"nothing-happens", func(*world.Config) {}, false},
		{"restart", func(c *world.Config) {
			c.Faults.Crashes = []faults.Crash{{Node: "kv", At: sim.Time(500 * time.Millisecond), Downtime: 100 * time.Millisecond}}
		}, true},
		{"failover-lagging", func(c *world.Config) {
			c.Services.KV.ReplicaLag = time.Second
			c.Faults.Failovers = []sim.Time{sim.Time(100 * time.Millisecond)}
		}, true},
		{"failover-in-sync", func(c *world.Config) {
			c.Faults.Failovers = []sim.Time{sim.Time(100 * time.Millisecond)}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./sim/world")
			cfg := quiet(probes.KV)
			cfg.Faults.Replay = []faults.Fault{fault(t, "drop-response c1/o1.1/a1")}
			tc.edit(&cfg)
			_, rep := audit(t, cfg)
			assert.Equal(t, tc.dup, rep.Violated(check.Duplicate), rerun)
		})
	}
}

// Goal: at-least-once delivery: a worker that dies between its effect and
// its acknowledgement gets the message again after the visibility timeout;
// the effect is attributed to the operation that sent the message, and the
// run stops once the clients are done and the settle time has passed.
// Method: probe-queue with the crash point after-effect armed for its first
// and for its second occurrence.
func TestQueueRedelivery(t *testing.T) {
	for _, tc := range []struct {
		point string
		rows  int
	}{
		{"s1:after-effect+100ms", 2},
		{"s1:after-effect#2+100ms", 1},
	} {
		t.Run(tc.point, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./sim/world")
			cfg := quiet(probes.Queue)
			cp, err := faults.ParseCrashPoint(tc.point)
			require.NoError(t, err, rerun)
			cfg.Faults.CrashPoints = []faults.CrashPoint{cp}
			cfg.Services.Queue.VisibilityTimeout = 2 * time.Second
			cfg.Settle = 3 * time.Second
			res, _ := audit(t, cfg)
			assert.Len(t, res.Ledger, tc.rows, rerun)
			for _, r := range res.Ledger {
				assert.Equal(t, api.OpID{Queue: 1, Index: 1}, r.Op, "the worker's effect belongs to the operation whose message it handled; %s", rerun)
			}
			assert.Equal(t, sim.Stopped, res.Stop, rerun)
			assert.Equal(t, res.Outcomes[0].End.Add(3*time.Second), res.End, "the run stops the settle time after the last client; %s", rerun)
			if tc.rows == 1 {
				assert.Empty(t, res.Faults, "the second occurrence is never reached; %s", rerun)
			}
		})
	}
}

// Goal: a message lost between a server and a service breaks the
// connection at once instead of leaving the caller waiting: the handler
// sees an error it can answer. Method: probe-db with the first database
// request dropped on the link.
func TestServiceLinkLossBreaksTheConnection(t *testing.T) {
	rerun := testcmd.Rerun(t, "./sim/world")
	cfg := quiet(probes.DB)
	cfg.Faults.Replay = []faults.Fault{fault(t, "drop-request c1/o1.1/a1/db1")}
	res, rep, trace := traceOf(t, cfg)
	require.NotEmpty(t, res.History, rerun)
	assert.Equal(t, api.StatusServiceUnavailable, res.History[0].Status, rerun)
	assert.Less(t, res.History[0].Return, sim.Time(100*time.Millisecond), "no timeout was waited for; %s", rerun)
	assert.Contains(t, trace, "s1>db request c1/o1.1/a1/db1 DROPPED", rerun)
	assert.Contains(t, trace, "lost: the connection broke", rerun)
	assert.Len(t, res.Ledger, 1, rerun)
	assert.False(t, rep.Violated(""), rerun)
}

// Goal: every run is bounded: faults that fire without end (a crash every
// nanosecond) stop at the event limit instead of running forever.
// Method: --crash-every 1ns and --client-crash-every 1us on the built-in
// world with a small limit.
func TestRunsAreBounded(t *testing.T) {
	rerun := testcmd.Rerun(t, "./sim/world")
	cfg := base(models.Naive)
	cfg.Faults.CrashEvery = time.Nanosecond
	cfg.Faults.ClientCrashEvery = time.Microsecond
	cfg.MaxEvents = 200_000
	res, err := world.Run(cfg)
	require.NoError(t, err, rerun)
	assert.Equal(t, sim.EventLimit, res.Stop, rerun)
	assert.Equal(t, uint64(200_000), res.Kernel.Events, rerun)
	def := base(models.Naive)
	assert.Equal(t, uint64(1_000_000+world.DefaultEventsPerOp*800), def.EventLimit(), "the default limit grows with the workload; %s", rerun)
}

// Goal: a world of 10,000 clients runs within its memory budget: links are
// stored per rule, not as a nodes x nodes table. Method: 10,000 clients
// with one operation each and a link rule naming one of them.
func TestManyClients(t *testing.T) {
	rerun := testcmd.Rerun(t, "./sim/world")
	cfg := base(models.Naive)
	cfg.Clients, cfg.OpsPerClient = world.MaxClients, 1
	r, err := faults.ParseLinkRule("c17-servers:drop-request=1")
	require.NoError(t, err, rerun)
	cfg.Faults.Links = []faults.LinkRule{r}
	res, rep := audit(t, cfg)
	assert.Equal(t, world.MaxClients, rep.Ops, rerun)
	for _, f := range res.Faults {
		assert.True(t, strings.HasPrefix(f.Msg.String(), "c17/"), "only c17's link drops; %s", rerun)
	}
	assert.NotEmpty(t, res.Faults, rerun)
}
