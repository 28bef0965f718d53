package db

import (
	"strconv"
	"strings"
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

// show prints a compiled expression for the tests: constants as SQL
// prints them, columns by name, operators in parentheses.
func show(t *table, n *cexpr) string {
	switch n.op {
	case sql.OpConst:
		if n.val.Kind == sql.TextKind {
			return "'" + n.val.Text + "'"
		}
		return n.val.String()
	case sql.OpColumn:
		return t.cols[n.col].name
	case sql.OpParam:
		return "$" + strconv.Itoa(n.param+1)
	case sql.OpNow:
		return "now()"
	case opCastInt:
		return "int(" + show(t, n.args[0]) + ")"
	case opCastText:
		return "text(" + show(t, n.args[0]) + ")"
	}
	var parts []string
	for _, a := range n.args {
		parts = append(parts, show(t, a))
	}
	switch n.op {
	case sql.OpNot, sql.OpNeg:
		return "(" + n.op.String() + " " + parts[0] + ")"
	case sql.OpIsNull, sql.OpIsNotNull:
		return "(" + parts[0] + " " + n.op.String() + ")"
	case sql.OpIn, sql.OpNotIn:
		return "(" + parts[0] + " " + n.op.String() + " (" + strings.Join(parts[1:], ", ") + "))"
	}
	return "(" + strings.Join(parts, " "+n.op.String()+" ") + ")"
}

// Goal: a WHERE is simplified as PostgreSQL's planner simplifies it before
// running anything — constants computed, strict operators over a NULL
// constant NULL, AND and OR flattened and decided by constants, NOT pushed
// down, NULL read as false in WHERE's AND and OR, conditions common to
// every arm of an OR pulled out, x in (y) made x = y — and split into a
// one-time filter, index conditions and a filter ordered by cost. What it
// simplifies away is never evaluated; what it computes fails the statement
// even with no rows. Method: compile WHERE clauses against a table and
// print the parts.
func TestWhereFolding(t *testing.T) {
	for _, tc := range []struct {
		where, want string
	}{
		{"a = 1 + 2", "filter (a = 3)"},
		{"a + null > b", "never"},
		{"not (a = 1 or b >= 2)", "filter (a <> 1) (b < 2)"},
		{"not (a in (1, 2, 3))", "filter (a NOT IN (1, 2, 3))"},
		{"not not (a is null)", "filter (a IS NULL)"},
		{"a in (5)", "filter (a = 5)"},
		{"a not in (5, b)", "filter (a <> 5) (a <> b)"},
		{"a in (1, 2, b)", "filter ((a IN (1, 2)) OR (a = b))"},
		{"(a = 1 and b = 2) or (a = 1 and c = 3)", "filter (a = 1) ((b = 2) OR (c = 3))"},
		{"(a = 1 and b = 2) or a = 1", "filter (a = 1)"},
		{"a = 1 or null", "filter (a = 1)"},
		{"a = 1 and (b = 2 and c = 3)", "filter (a = 1) (b = 2) (c = 3)"},
		{"true or a % 0 = 1", "all"},
		{"false and a % 0 = 1", "never"},
		{"a + b + c > 0 and a = 1", "filter (a = 1) (((a + b) + c) > 0)"},
		{"b in (1, 2, 3) and c = 1", "filter (c = 1) (b IN (1, 2, 3))"},
		{"id = 7 and a > 0", "index (id = 7) filter (a > 0)"},
		{"id in (1, 2) and 2 > 1 and $1 = 5", "gating ($1 = 5) index (id IN (1, 2))"},
		{"now() > timestamptz '2026-01-01 00:00:00+00' and id = $1", "gating (now() > 2026-01-01 00:00:00+00) index (id = $1)"},
	} {
		t.Run(tc.where, func(t *testing.T) {
			runDB(t, func(k *sim.Kernel, d *DB, p *sim.Proc) {
				s := d.Connect()
				mustExec(t, p, s, "create table t (id int primary key, a int, b bigint, c int)")
				st, err := d.cache.Parse("select * from t where " + tc.where)
				require.NoError(t, err, rerun(t))
				pl, _, perr := d.planFor(st, "t")
				require.Nil(t, perr, rerun(t))
				tb := pl.t
				var got []string
				if pl.never {
					got = append(got, "never")
				}
				if len(pl.gating) > 0 {
					got = append(got, "gating")
					for _, g := range pl.gating {
						got = append(got, show(tb, g))
					}
				}
				if pl.access.ix != nil {
					got = append(got, "index")
					for _, q := range pl.access.pins {
						got = append(got, show(tb, q))
					}
				}
				if len(pl.filter) > 0 {
					got = append(got, "filter")
					for _, f := range pl.filter {
						got = append(got, show(tb, f))
					}
				}
				if got == nil {
					got = []string{"all"}
				}
				assert.Equal(t, tc.want, strings.Join(got, " "), rerun(t))
			})
		})
	}
}

// Goal: what PostgreSQL's planner computes from constants fails the
// statement even when no row would be read, and what it simplifies away is
// never evaluated. Method: an empty table; statements whose constants
// overflow, and whose failing parts a constant decides away.
func TestConstantErrors(t *testing.T) {
	runDB(t, func(k *sim.Kernel, d *DB, p *sim.Proc) {
		s := d.Connect()
		mustExec(t, p, s, "create table t (id int primary key, a int)")
		for _, tc := range []struct{ q, code string }{
			{"select * from t where a = 2147483647 + 1", sql.CodeNumericOutOfRange},
			{"update t set a = 5000000000 where id = 1", sql.CodeNumericOutOfRange},
			{"select * from t where a % 0 = 1 and false", ""},
			{"select * from t where a = 1 or 1 % 0 = 1", sql.CodeDivisionByZero},
			{"select * from t where true or 1 % 0 = 1", ""},
			{"select * from t where a + null = 2147483647 + 1", sql.CodeNumericOutOfRange},
			{"select * from t where (a + 1) + null > 0", ""},
		} {
			_, err := s.Exec(p, tc.q)
			var e *sql.Error
			code := ""
			if err != nil {
				require.ErrorAs(t, err, &e)
				code = e.Code
			}
			assert.Equal(t, tc.code, code, "%s: %v\n%s", tc.q, err, rerun(t))
		}
	})
}
