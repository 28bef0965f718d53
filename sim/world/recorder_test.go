package world_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/db/sql"
	"github.com/idemsim/idemsim/sim/network"
	"github.com/idemsim/idemsim/sim/world"
)

// Goal: a trace recorded outside the simulator (a live run) reads as a
// simulated run's: its timeline is in the order of its moments whatever
// the order it was recorded in, each line is worded as the simulated
// world words it, and its events name the world's nodes. Method: a
// Recorder takes one attempt's story out of order (the ledger row last,
// as a live run reads it at the end), is attached to a Result, and the
// Result's timeline and events are compared with the expected lines.
func TestRecorderWritesTheSimulatedTimeline(t *testing.T) {
	rerun := testcmd.Rerun(t, "./sim/world")
	cfg := world.Defaults()
	cfg.Strategy = models.Naive
	cfg.Clients, cfg.Servers, cfg.OpsPerClient = 1, 1, 1
	r := world.NewRecorder(cfg)
	op := api.OpID{Queue: 1, Index: 1}
	ref := faults.Ref{Caller: "c1", Op: op, Attempt: 1}
	call := ref
	call.Service, call.Call = api.ServiceDB, 1
	ms := func(n int) sim.Time { return sim.Time(time.Duration(n) * time.Millisecond) }
	r.Attempt(ms(0), "c1", "s1", op, 1, "k-000000000001", api.Create)
	r.Message(ms(0), network.TraceSend, "c1", "s1", ref, false, 5*time.Millisecond)
	r.Message(ms(5), network.TraceDeliver, "c1", "s1", ref, false, 0)
	r.Handle(ms(5), "s1", "c1", op, 1, "k-000000000001", api.Create)
	r.SQL(ms(6), "s1", call, "insert into payments (k) values ($1)", api.Result{Affected: 1}, nil)
	call.Call = 2
	r.SQL(ms(7), "s1", call, "select id from payments", api.Result{Cols: []string{"id"}, Rows: [][]api.Value{{sql.IntValue(4)}}}, nil)
	call.Call = 3
	r.SQL(ms(8), "s1", call, "commit", api.Result{}, api.ErrConnection)
	kvCall := ref
	kvCall.Service, kvCall.Call = api.ServiceKV, 1
	require.True(t, r.KV(ms(8), "s1", kvCall, "SET", "idem:k", true, false), rerun)
	require.False(t, r.KV(ms(8), "s1", kvCall, "HSET", "idem:k", true, false), "a command the simulated store lacks; %s", rerun)
	gwCall := ref
	gwCall.Service, gwCall.Call = api.ServiceGateway, 1
	require.True(t, r.GatewayAnswered(ms(8), "s1", gwCall, "replayed", 200, "ch_1"), rerun)
	r.QueueSent(ms(8), "s1", op, "m1")
	r.Answer(ms(9), "s1", "c1", op, 1, 201, "pay_4")
	r.Message(ms(9), network.TraceDrop, "s1", "c1", ref, true, 0)
	r.Timeout(ms(1000), "c1", "s1", op, 1)
	r.Conclude(ms(1000), "c1", op, world.Exhausted, 0)
	r.LedgerRow(ms(6), "payments", 4, op, false)
	res := &world.Result{Config: cfg}
	r.Attach(res)

	var b strings.Builder
	require.NoError(t, res.WriteTrace(&b, nil), rerun)
	want := []string{
		"   0.000000s  c1 create o1.1/a1 key=k-000000000001 via balancer to s1",
		"   0.000000s  c1>s1 request c1/o1.1/a1 sent, latency 5ms",
		"   0.005000s  c1>s1 request c1/o1.1/a1 delivered",
		"   0.005000s  s1 handles create o1.1/a1 key=k-000000000001 from c1",
		"   0.006000s  db c1/o1.1/a1/db1 on s1: insert into payments (k) values ($1) => ok 1",
		"   0.006000s  db LEDGER payments row 4 commits for o1.1",
		"   0.007000s  db c1/o1.1/a1/db2 on s1: select id from payments => 1 row (4)",
		"   0.008000s  db c1/o1.1/a1/db3 on s1: commit => error 08006",
		"   0.008000s  kv c1/o1.1/a1/kv1 from s1: SET idem:k => OK",
		"   0.008000s  gateway c1/o1.1/a1/gateway1 from s1: charge => replayed ch_1 (200)",
		"   0.008000s  queue stores message m1 from s1 (o1.1)",
		"   0.009000s  s1 answers 201 resource=pay_4 to c1 o1.1/a1",
		"   0.009000s  s1>c1 response c1/o1.1/a1 DROPPED",
		"   1.000000s  c1 timeout on o1.1/a1",
		"   1.000000s  c1 concludes o1.1: " + world.Exhausted.String(),
	}
	assert.Equal(t, strings.Join(want, "\n")+"\n", b.String(), rerun)
	assert.Equal(t, []string{"c1", "s1", "db", "kv", "gateway", "queue"}, res.Nodes(), rerun)
	evs := res.Events(&op)
	require.Len(t, evs, len(want), rerun)
	assert.Equal(t, world.EventDropped, evs[12].Kind, rerun)
	assert.Equal(t, "s1", evs[12].From, rerun)
	assert.NotZero(t, res.TraceHash, rerun)
}
