package db

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/db/sql"
)

func rerun(t *testing.T) string { return testcmd.Rerun(t, "./sim/db") }

// runDB runs body on one actor over a fresh database and returns when the
// kernel quiesces.
func runDB(t *testing.T, body func(k *sim.Kernel, d *DB, p *sim.Proc)) {
	t.Helper()
	k := sim.New(sim.NewSeeded(1))
	d := New(k, DefaultConfig())
	k.Spawn("test", func(p *sim.Proc) { body(k, d, p) })
	k.Run(sim.Time(time.Hour))
	k.Close()
}

func mustExec(t *testing.T, p *sim.Proc, s *Session, q string, args ...sql.Value) *Result {
	t.Helper()
	res, err := s.Exec(p, q, args...)
	require.NoError(t, err, "%s\n%s", q, rerun(t))
	return res
}

// Goal: a statement is compiled once per parsed statement and table — the
// same plan for every run of its text — and again after its table is
// dropped and created anew. Method: run a query twice and compare the plan
// pointers; drop and recreate the table and run it again.
func TestPlanCache(t *testing.T) {
	runDB(t, func(k *sim.Kernel, d *DB, p *sim.Proc) {
		s := d.Connect()
		const q = "select * from t where id = $1"
		mustExec(t, p, s, "create table t (id int primary key)")
		mustExec(t, p, s, q, sql.IntValue(1))
		st, err := d.cache.Parse(q)
		require.NoError(t, err)
		first := d.plans[st]
		require.NotNil(t, first, rerun(t))
		mustExec(t, p, s, q, sql.IntValue(2))
		assert.Same(t, first, d.plans[st], "the second run compiled again; %s", rerun(t))
		mustExec(t, p, s, "drop table t")
		mustExec(t, p, s, "create table t (id int primary key)")
		mustExec(t, p, s, q, sql.IntValue(1))
		assert.NotSame(t, first, d.plans[st], "a plan of a dropped table was reused; %s", rerun(t))
	})
}

// Goal: a sequence stops at its column type's maximum with PostgreSQL's
// 2200H, for serial (int) and identity columns alike. Method: move each
// sequence to one below its maximum, then take two values.
func TestSequenceMaximum(t *testing.T) {
	for _, tc := range []struct{ name, create string }{
		{"serial", "create table t (id serial, v int)"},
		{"bigserial", "create table t (id bigserial, v int)"},
		{"identity", "create table t (id int generated always as identity, v int)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runDB(t, func(k *sim.Kernel, d *DB, p *sim.Proc) {
				s := d.Connect()
				mustExec(t, p, s, tc.create)
				seq := d.tables["t"].cols[0].seq
				seq.last = seq.max - 1
				res := mustExec(t, p, s, "insert into t (v) values (1) returning id")
				assert.Equal(t, seq.max, res.Rows[0][0].Int, rerun(t))
				_, err := s.Exec(p, "insert into t (v) values (2)")
				var e *sql.Error
				require.ErrorAs(t, err, &e, rerun(t))
				assert.Equal(t, "2200H", e.Code, rerun(t))
			})
		})
	}
}

// Goal: the lock manager grants in queue order and stops its walk at a
// request that blocks every later one, and the deadlock check finds a
// cycle through any mix of holders and queued requests — and only a real
// one. Method: transactions and locks built by hand; closesCycle asked
// directly.
func TestDeadlockCheck(t *testing.T) {
	runDB(t, func(k *sim.Kernel, d *DB, p *sim.Proc) {
		m := &d.locks
		newTx := func() *txn { return d.begin(d.Connect(), sql.ReadCommitted, false) }
		entry := func() *lockEntry { return &lockEntry{res: resource{kind: resTable}} }
		wait := func(tx *txn, e *lockEntry, mode lockMode) {
			w := &waiter{tx: tx, mode: mode}
			e.enqueue(w, false)
			tx.waiting = w
		}
		// A holds a; B holds b; 100 transactions queue on a, then B.
		a, b := entry(), entry()
		A, B := newTx(), newTx()
		a.grant(A, modeX, nil)
		b.grant(B, modeX, nil)
		var crowd []*txn
		for i := 0; i < 100; i++ {
			c := newTx()
			wait(c, a, modeX)
			crowd = append(crowd, c)
		}
		wait(B, a, modeX)
		late := newTx()
		wait(late, a, modeX)
		assert.False(t, m.closesCycle(B), "B waits for A, who waits for nobody; %s", rerun(t))
		assert.False(t, m.closesCycle(crowd[50]), rerun(t))
		// A now waits for b, which B holds: B -> crowd -> A -> B.
		wait(A, b, modeS)
		assert.True(t, m.closesCycle(B), rerun(t))
		assert.True(t, m.closesCycle(A), rerun(t))
		assert.True(t, m.closesCycle(crowd[0]), "the crowd queued ahead of B is in the cycle; %s", rerun(t))
		assert.False(t, m.closesCycle(late), "nobody waits for a request queued behind B; %s", rerun(t))
		// Share requests do not wait for one another: S holders and an S
		// waiter form no cycle.
		c, e := entry(), entry()
		X, Y := newTx(), newTx()
		c.grant(X, modeS, nil)
		e.grant(Y, modeS, nil)
		wait(X, e, modeS)
		wait(Y, c, modeKS)
		assert.False(t, m.closesCycle(X), "share locks are compatible; %s", rerun(t))
		// Row-lock modes: each of two transactions holds FOR SHARE on a row
		// and asks for FOR NO KEY UPDATE (or FOR UPDATE) on the other's.
		f, g := entry(), entry()
		U, V := newTx(), newTx()
		f.grant(U, modeS, nil)
		g.grant(V, modeS, nil)
		wait(U, g, modeNKU)
		assert.False(t, m.closesCycle(U), "V waits for nobody yet; %s", rerun(t))
		wait(V, f, modeX)
		assert.True(t, m.closesCycle(U), "U waits for V's share lock and V for U's; %s", rerun(t))
		assert.True(t, m.closesCycle(V), rerun(t))
	})
}
