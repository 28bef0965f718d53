package db_test

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/db"
	"github.com/idemsim/idemsim/sim/db/sql"
)

// world runs body on actor p against a fresh database with cfg, with the
// Hermitage table (1,10), (2,20), and returns when the kernel quiesces.
func world(t *testing.T, cfg db.Config, body func(k *sim.Kernel, d *db.DB, p *sim.Proc)) {
	t.Helper()
	k := sim.New(sim.NewSeeded(1))
	d := db.New(k, cfg)
	k.Spawn("test", func(p *sim.Proc) {
		s := d.Connect()
		for _, q := range []string{"create table test (id int primary key, value int)", "insert into test (id, value) values (1, 10), (2, 20)"} {
			_, err := s.Exec(p, q)
			require.NoError(t, err)
		}
		body(k, d, p)
	})
	k.Run(sim.Time(time.Hour))
	k.Close()
}

func code(err error) string {
	var e *sql.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func query(t *testing.T, p *sim.Proc, s *db.Session, q string) *db.Result {
	t.Helper()
	res, err := s.Exec(p, q)
	require.NoError(t, err, q)
	return res
}

// Goal: a commit whose acknowledgement is lost is applied although the
// caller sees a connection error — the database fault behind "did my
// payment go through?". Method: rate 1, then read the row from another
// session.
func TestLostCommitAck(t *testing.T) {
	cfg := db.DefaultConfig()
	cfg.LostCommitAckRate = 1
	world(t, cfg, func(k *sim.Kernel, d *db.DB, p *sim.Proc) {
		s := d.Connect()
		query(t, p, s, "begin")
		query(t, p, s, "update test set value = 11 where id = 1")
		_, err := s.Exec(p, "commit")
		assert.Equal(t, sql.CodeConnectionFailure, code(err), "go test ./sim/db -run TestLostCommitAck")
		assert.False(t, s.InTransaction())
		res := query(t, p, d.Connect(), "select value from test where id = 1")
		assert.Equal(t, int64(11), res.Rows[0][0].Int, "the commit was applied; go test ./sim/db -run TestLostCommitAck")
	})
}

// Goal: a connection dropped in the middle of a transaction rolls it back
// and releases its locks. Method: rate 1 from the second statement on; a
// second session can then update the row without waiting.
func TestDroppedConnectionRollsBack(t *testing.T) {
	cfg := db.DefaultConfig()
	world(t, cfg, func(k *sim.Kernel, d *db.DB, p *sim.Proc) {
		s := d.Connect()
		query(t, p, s, "begin")
		query(t, p, s, "update test set value = 11 where id = 1")
		d.SetDropConnectionRate(1)
		_, err := s.Exec(p, "update test set value = 12 where id = 2")
		assert.Equal(t, sql.CodeConnectionFailure, code(err), "go test ./sim/db -run TestDroppedConnectionRollsBack")
		d.SetDropConnectionRate(0)
		assert.False(t, s.InTransaction())
		start := k.Now()
		query(t, p, d.Connect(), "update test set value = 13 where id = 1")
		assert.Equal(t, start, k.Now(), "no wait: the dropped transaction's lock is gone")
		res := query(t, p, s, "select * from test where id = 1")
		assert.Equal(t, int64(13), res.Rows[0][1].Int)
	})
}

// Goal: statement latency is virtual time spent before each statement runs.
// Method: const latency 3ms, three statements.
func TestStatementLatency(t *testing.T) {
	cfg := db.DefaultConfig()
	cfg.StatementLatency = sim.Const(3 * time.Millisecond)
	world(t, cfg, func(k *sim.Kernel, d *db.DB, p *sim.Proc) {
		s := d.Connect()
		start := k.Now()
		query(t, p, s, "begin")
		query(t, p, s, "select * from test")
		query(t, p, s, "commit")
		assert.Equal(t, 9*time.Millisecond, k.Now().Sub(start), "go test ./sim/db -run TestStatementLatency")
	})
}

// Goal: lock and statement timeouts end a wait with PostgreSQL's codes
// (55P03, 57014) after the configured virtual time, and NOWAIT fails at
// once. Method: t1 holds row 1; t2 tries to update it.
func TestLockWaitLimits(t *testing.T) {
	for _, tc := range []struct {
		name    string
		edit    func(*db.Config)
		stmt    string
		code    string
		elapsed time.Duration
	}{
		{"lock-timeout", func(c *db.Config) { c.LockTimeout = 50 * time.Millisecond }, "update test set value = 12 where id = 1", sql.CodeLockNotAvailable, 50 * time.Millisecond},
		{"statement-timeout", func(c *db.Config) { c.StatementTimeout = 70 * time.Millisecond }, "update test set value = 12 where id = 1", sql.CodeQueryCanceled, 70 * time.Millisecond},
		{"nowait", func(c *db.Config) {}, "select * from test where id = 1 for update nowait", sql.CodeLockNotAvailable, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := db.DefaultConfig()
			tc.edit(&cfg)
			world(t, cfg, func(k *sim.Kernel, d *db.DB, p *sim.Proc) {
				t1, t2 := d.Connect(), d.Connect()
				query(t, p, t1, "begin")
				query(t, p, t1, "update test set value = 11 where id = 1")
				query(t, p, t2, "begin")
				start := k.Now()
				_, err := t2.Exec(p, tc.stmt)
				assert.Equal(t, tc.code, code(err), "go test ./sim/db -run TestLockWaitLimits/"+tc.name)
				assert.Equal(t, tc.elapsed, k.Now().Sub(start), "go test ./sim/db -run TestLockWaitLimits/"+tc.name)
				_, err = t2.Exec(p, "select * from test")
				assert.Equal(t, sql.CodeInFailedTransaction, code(err))
				res := query(t, p, t2, "commit")
				assert.True(t, res.RolledBack)
				query(t, p, t1, "commit")
			})
		})
	}
}

// Goal: waiters for a row are served first come, first served (PostgreSQL's
// tuple lock queue). Method: three sessions queue behind t1's lock; the
// order in which they get it is the order in which they asked.
func TestRowLockFIFO(t *testing.T) {
	world(t, db.DefaultConfig(), func(k *sim.Kernel, d *db.DB, p *sim.Proc) {
		holder := d.Connect()
		query(t, p, holder, "begin")
		query(t, p, holder, "select * from test where id = 1 for update")
		var order []int
		for i := 1; i <= 3; i++ {
			n := i
			k.Spawn("waiter", func(q *sim.Proc) {
				q.Sleep(time.Duration(n) * time.Millisecond)
				s := d.Connect()
				query(t, q, s, "begin")
				query(t, q, s, "select * from test where id = 1 for update")
				order = append(order, n)
				q.Sleep(time.Millisecond)
				query(t, q, s, "commit")
			})
		}
		p.Sleep(10 * time.Millisecond)
		query(t, p, holder, "commit")
		p.Sleep(10 * time.Millisecond)
		assert.Equal(t, []int{1, 2, 3}, order, "go test ./sim/db -run TestRowLockFIFO")
	})
}

// Goal: bad statements get PostgreSQL's SQLSTATE, never a panic: syntax
// (42601), unknown table (42P01) and column (42703), a text that is not an
// integer (22P02), text compared with an integer (42883), a duplicate key
// (23505, counted in Stats.UniqueViolations, by an insert or an update), a
// NULL primary key (23502), too few parameters (08P01).
func TestErrors(t *testing.T) {
	world(t, db.DefaultConfig(), func(k *sim.Kernel, d *db.DB, p *sim.Proc) {
		s := d.Connect()
		query(t, p, s, "create table keys (key text primary key, n int)")
		for _, tc := range []struct{ q, code string }{
			{"selec * from test", sql.CodeSyntaxError},
			{"select * from nope", sql.CodeUndefinedTable},
			{"select nope from test", sql.CodeUndefinedColumn},
			{"select * from test where nope = 1", sql.CodeUndefinedColumn},
			{"insert into test (id, value) values ('x', 1)", sql.CodeInvalidText},
			{"select * from keys where key = 5", "42883"},
			{"insert into test (id, value) values (1, 1)", sql.CodeUniqueViolation},
			{"insert into test (id, value) values (null, 1)", sql.CodeNotNullViolation},
			{"select * from test where id = $1", "08P01"},
			{"create table test (id int)", sql.CodeDuplicateTable},
			{"drop table nope", sql.CodeUndefinedTable},
		} {
			_, err := s.Exec(p, tc.q)
			assert.Equal(t, tc.code, code(err), "%s; go test ./sim/db -run TestErrors", tc.q)
		}
		_, err := s.Exec(p, "update test set id = 1 where id = 2")
		assert.Equal(t, sql.CodeUniqueViolation, code(err), "go test ./sim/db -run TestErrors")
		assert.Equal(t, uint64(2), d.Stats().UniqueViolations, "each 23505 is counted once; go test ./sim/db -run TestErrors")
		query(t, p, s, "drop table if exists nope")
		res, err := s.Exec(p, "select * from test where id = $1", sql.IntValue(2))
		require.NoError(t, err)
		assert.Equal(t, [][]sql.Value{{sql.IntValue(2), sql.IntValue(20)}}, res.Rows)
	})
}

// Goal: column types and constraints behave as PostgreSQL's: int is 32-bit
// (22003 beyond), bigint is 64-bit, NOT NULL refuses NULL (23502).
func TestColumnTypesAndNotNull(t *testing.T) {
	world(t, db.DefaultConfig(), func(k *sim.Kernel, d *db.DB, p *sim.Proc) {
		s := d.Connect()
		query(t, p, s, "create table n (a int, b bigint, c text not null)")
		for _, tc := range []struct{ q, code string }{
			{"insert into n (a, b, c) values (2147483648, 1, 'x')", sql.CodeNumericOutOfRange},
			{"insert into n (a, b, c) values (1, 1, null)", sql.CodeNotNullViolation},
			{"insert into n (a, b) values (1, 1)", sql.CodeNotNullViolation},
		} {
			_, err := s.Exec(p, tc.q)
			assert.Equal(t, tc.code, code(err), "%s; go test ./sim/db -run TestColumnTypesAndNotNull", tc.q)
		}
		query(t, p, s, "insert into n (a, b, c) values (2147483647, 9223372036854775807, 'x')")
		_, err := s.Exec(p, "update n set a = a + 1")
		assert.Equal(t, sql.CodeNumericOutOfRange, code(err))
		_, err = s.Exec(p, "update n set a = 0, b = b + 1")
		assert.Equal(t, sql.CodeNumericOutOfRange, code(err), "bigint overflow")
		_, err = s.Exec(p, "update n set c = null")
		assert.Equal(t, sql.CodeNotNullViolation, code(err))
	})
}

// Goal: the world can attribute committed rows to the operation that wrote
// them without the SQL seeing it. Method: two sessions with different tags
// insert; one commits, one rolls back; the hook reports only the committed
// row, with its tag, and a later SELECT returns the tag of each version read.
func TestTagsAndCommittedInserts(t *testing.T) {
	const rerun = "go test ./sim/db -run TestTagsAndCommittedInserts"
	type insert struct {
		table string
		tag   int64
	}
	var got []insert
	cfg := db.DefaultConfig()
	cfg.OnInsertCommitted = func(table string, tag int64, _ int64) { got = append(got, insert{table, tag}) }
	world(t, cfg, func(k *sim.Kernel, d *db.DB, p *sim.Proc) {
		got = nil // the fixture's own rows
		a, b := d.Connect(), d.Connect()
		a.SetTag(7)
		b.SetTag(8)
		query(t, p, a, "begin")
		query(t, p, a, "insert into test (id, value) values (3, 30)")
		query(t, p, b, "begin")
		query(t, p, b, "insert into test (id, value) values (4, 40)")
		query(t, p, b, "rollback")
		assert.Empty(t, got, rerun)
		query(t, p, a, "commit")
		assert.Equal(t, []insert{{"test", 7}}, got, rerun)
		res := query(t, p, b, "select * from test where id = 3")
		assert.Equal(t, []int64{7}, res.Tags, rerun)
		b.SetTag(9)
		query(t, p, b, "update test set value = 31 where id = 3")
		res = query(t, p, a, "select id from test where id = 3")
		assert.Equal(t, []int64{9}, res.Tags, "an update writes a version with the updater's tag; "+rerun)
		assert.Len(t, got, 1, "an update is not an insert; "+rerun)
	})
}

// Goal: now() reads the database server's own clock — Config.Clock, which
// may be skewed, else the kernel's — with virtual time 0 standing for
// 2026-01-01 00:00:00+00, and stays the transaction's start time for the
// whole transaction; outside a block each statement is its own
// transaction. Method: a clock 90 s ahead of the kernel; insert now() at
// virtual 0 inside a block, sleep, insert again in the same block, then
// once more in autocommit.
func TestNowIsTransactionStartOnTheServerClock(t *testing.T) {
	const rerun = "go test ./sim/db -run TestNowIsTransactionStartOnTheServerClock"
	cfg := db.DefaultConfig()
	k := sim.New(sim.NewSeeded(1))
	cfg.Clock = func() sim.Time { return k.Now().Add(90 * time.Second) }
	d := db.New(k, cfg)
	k.Spawn("test", func(p *sim.Proc) {
		s := d.Connect()
		query(t, p, s, "create table events (id int primary key, at timestamptz default now())")
		query(t, p, s, "begin")
		query(t, p, s, "insert into events (id) values (1)")
		p.Sleep(1500 * time.Millisecond)
		query(t, p, s, "insert into events (id, at) values (2, now())")
		query(t, p, s, "commit")
		query(t, p, s, "insert into events (id) values (3)")
		res := query(t, p, s, "select at from events order by id")
		var got []string
		for _, r := range res.Rows {
			got = append(got, r[0].String())
		}
		assert.Equal(t, []string{"2026-01-01 00:01:30+00", "2026-01-01 00:01:30+00", "2026-01-01 00:01:31.5+00"}, got, rerun)
	})
	k.Run(sim.Time(time.Hour))
	k.Close()
	assert.Equal(t, "2026-01-01 00:00:00+00", db.Timestamp(0).String(), rerun)
	assert.Equal(t, "2025-12-31 23:59:59.999999+00", db.Timestamp(-1).String(), "a clock behind 0 truncates down; "+rerun)
}

// Goal: Result.Tags holds one tag per returned row, in the order of Rows,
// also for RETURNING on UPDATE (the new version's writer) and DELETE (the
// deleted version's), for ON CONFLICT DO UPDATE, and for ORDER BY ...
// LIMIT. Method: three sessions with tags write rows; read them back in
// both orders.
func TestTagsFollowRows(t *testing.T) {
	const rerun = "go test ./sim/db -run TestTagsFollowRows"
	world(t, db.DefaultConfig(), func(k *sim.Kernel, d *db.DB, p *sim.Proc) {
		a, b, c := d.Connect(), d.Connect(), d.Connect()
		a.SetTag(1)
		b.SetTag(2)
		c.SetTag(3)
		query(t, p, a, "insert into test (id, value) values (3, 30)")
		res := query(t, p, b, "update test set value = value + 1 where id in (1, 3) returning id")
		assert.Equal(t, []int64{2, 2}, res.Tags, rerun)
		res = query(t, p, c, "select id from test order by id desc")
		assert.Equal(t, [][]sql.Value{{sql.IntValue(3)}, {sql.IntValue(2)}, {sql.IntValue(1)}}, res.Rows, rerun)
		assert.Equal(t, []int64{2, 0, 2}, res.Tags, "row 2 was written by the fixture, untagged; "+rerun)
		res = query(t, p, c, "insert into test values (2, 0) on conflict (id) do update set value = excluded.value returning *")
		assert.Equal(t, []int64{3}, res.Tags, rerun)
		res = query(t, p, a, "select * from test order by value limit 2")
		assert.Equal(t, [][]sql.Value{{sql.IntValue(2), sql.IntValue(0)}, {sql.IntValue(1), sql.IntValue(11)}}, res.Rows, rerun)
		assert.Equal(t, []int64{3, 2}, res.Tags, rerun)
		res = query(t, p, a, "delete from test where id = 3 returning value")
		assert.Equal(t, []int64{2}, res.Tags, "the deleted version's writer; "+rerun)
	})
}

// Goal: parameters take the type of where they stand, as PostgreSQL types
// a parameter: text is read as an integer, boolean, timestamptz or
// interval (22P02, 22007 ... when it is not one), an integer assigned to a
// text column becomes its text, and a value of another kind compared with
// a column is 42883. Method: table of statements with arguments.
func TestParameterTypes(t *testing.T) {
	world(t, db.DefaultConfig(), func(k *sim.Kernel, d *db.DB, p *sim.Proc) {
		s := d.Connect()
		query(t, p, s, "create table jobs (id int primary key, name text, done boolean, at timestamptz, ttl interval)")
		ts := db.Timestamp(sim.Time(5 * time.Second))
		for _, tc := range []struct {
			q    string
			args []sql.Value
			code string
		}{
			{"insert into jobs values ($1, $2, $3, $4, $5)", []sql.Value{sql.TextValue("1"), sql.IntValue(7), sql.TextValue("yes"), ts, sql.TextValue("90 seconds")}, ""},
			{"insert into jobs values ($1, 'x', $2, $3, null)", []sql.Value{sql.IntValue(2), sql.BoolValue(false), sql.TextValue("2026-01-01 00:00:05+00")}, ""},
			{"select * from jobs where id = $1", []sql.Value{sql.TextValue("one")}, sql.CodeInvalidText},
			{"select * from jobs where id = $1", []sql.Value{sql.IntValue(1 << 40)}, sql.CodeNumericOutOfRange},
			{"select * from jobs where name = $1", []sql.Value{sql.IntValue(7)}, sql.CodeUndefinedFunction},
			{"select * from jobs where at = $1", []sql.Value{sql.TextValue("yesterday")}, sql.CodeFeatureNotSupported},
			{"select * from jobs where ttl > $1", []sql.Value{sql.TextValue("1 second 1 second")}, sql.CodeInvalidDatetimeFormat},
			{"update jobs set done = $1 where id = 1", []sql.Value{sql.IntValue(1)}, sql.CodeDatatypeMismatch},
		} {
			_, err := s.Exec(p, tc.q, tc.args...)
			assert.Equal(t, tc.code, code(err), "%s %v: %v; go test ./sim/db -run TestParameterTypes", tc.q, tc.args, err)
		}
		res := query(t, p, s, "select name from jobs where done and at = timestamptz '2026-01-01 00:00:05+00' and ttl = interval '1 minute 30 seconds'")
		assert.Equal(t, [][]sql.Value{{sql.TextValue("7")}}, res.Rows, "go test ./sim/db -run TestParameterTypes")
		res, err := s.Exec(p, "select id from jobs where at = $1 and not done", ts)
		require.NoError(t, err)
		assert.Equal(t, [][]sql.Value{{sql.IntValue(2)}}, res.Rows, "go test ./sim/db -run TestParameterTypes")
	})
}

// Goal: an explicit value for a serial column never advances its sequence,
// so the sequence later hands out values that collide with explicit ones
// only if they meet. Method: insert 2147483647 explicitly, then let the
// sequence number four rows.
func TestSerialExplicitValues(t *testing.T) {
	world(t, db.DefaultConfig(), func(k *sim.Kernel, d *db.DB, p *sim.Proc) {
		s := d.Connect()
		query(t, p, s, "create table a (id serial primary key, v int)")
		query(t, p, s, "insert into a (id, v) values (2147483647, 0)")
		res := query(t, p, s, "insert into a (v) values (1) returning id")
		assert.Equal(t, int64(1), res.Rows[0][0].Int, "an explicit value does not advance the sequence; go test ./sim/db -run TestSerialExplicitValues")
		for i := 0; i < 3; i++ {
			query(t, p, s, "insert into a (v) values (2)")
		}
		res = query(t, p, s, "select id from a order by id")
		assert.Equal(t, [][]sql.Value{{sql.IntValue(1)}, {sql.IntValue(2)}, {sql.IntValue(3)}, {sql.IntValue(4)}, {sql.IntValue(2147483647)}}, res.Rows,
			"go test ./sim/db -run TestSerialExplicitValues")
	})
}

// Goal: at dirty-reads, where a session sees rows another transaction is
// still inserting, such a row counts as locked by its inserter: SKIP
// LOCKED leaves it out, NOWAIT fails with 55P03, and a plain FOR UPDATE
// waits for the inserter and then finds the row (commit) or nothing
// (rollback). Method: t1 inserts row 3 and holds its transaction open.
func TestDirtyReadsLockRowsInProgress(t *testing.T) {
	const rerun = "go test ./sim/db -run TestDirtyReadsLockRowsInProgress"
	cfg := db.DefaultConfig()
	cfg.ReadUncommitted = sql.DirtyReads
	for _, commit := range []bool{true, false} {
		world(t, cfg, func(k *sim.Kernel, d *db.DB, p *sim.Proc) {
			t1, t2 := d.Connect(), d.Connect()
			query(t, p, t1, "begin")
			query(t, p, t1, "insert into test (id, value) values (3, 30)")
			query(t, p, t2, "begin isolation level read uncommitted")
			res := query(t, p, t2, "select id from test order by id for update skip locked")
			assert.Equal(t, [][]sql.Value{{sql.IntValue(1)}, {sql.IntValue(2)}}, res.Rows, rerun)
			_, err := t2.Exec(p, "select * from test where id = 3 for update nowait")
			assert.Equal(t, sql.CodeLockNotAvailable, code(err), rerun)
			query(t, p, t2, "rollback")
			end := "rollback"
			if commit {
				end = "commit"
			}
			k.Spawn("t1", func(q *sim.Proc) {
				q.Sleep(time.Second)
				query(t, q, t1, end)
			})
			query(t, p, t2, "begin isolation level read uncommitted")
			start := k.Now()
			res = query(t, p, t2, "select id from test where id = 3 for update")
			query(t, p, t2, "commit")
			assert.Equal(t, time.Second, k.Now().Sub(start), "waited for the inserter; "+rerun)
			if commit {
				assert.Len(t, res.Rows, 1, rerun)
			} else {
				assert.Empty(t, res.Rows, rerun)
			}
		})
	}
}

// Goal: ORDER BY ... LIMIT on a nullable unique column returns the rows
// whose value is NULL where PostgreSQL puts them (last ascending, first
// descending), although the simulation's indexes leave NULL keys out: such
// a query is not answered by an ordered scan of the index. LIMIT 0 returns
// nothing. Method: three rows, one with a NULL key, both directions.
func TestOrderedLimitOnNullableColumn(t *testing.T) {
	world(t, db.DefaultConfig(), func(k *sim.Kernel, d *db.DB, p *sim.Proc) {
		s := d.Connect()
		query(t, p, s, "create table t (id int primary key, k int unique)")
		query(t, p, s, "insert into t values (1, 2), (2, null), (3, 1)")
		ids := func(q string) []int64 {
			var out []int64
			for _, r := range query(t, p, s, q).Rows {
				out = append(out, r[0].Int)
			}
			return out
		}
		assert.Equal(t, []int64{3, 1, 2}, ids("select id from t order by k limit 5"))
		assert.Equal(t, []int64{2, 1}, ids("select id from t order by k desc limit 2"))
		assert.Equal(t, []int64{3, 2}, ids("select id from t order by id desc limit 2"))
		assert.Empty(t, ids("select id from t order by id limit 0"))
	})
}

// Goal: a committed DELETE is reported once per row with the deleting
// session's tag, an UPDATE and a rolled-back DELETE are not. Method: tag
// two sessions; one deletes and rolls back, one updates, one deletes and
// commits; only the last is reported.
func TestCommittedDeletes(t *testing.T) {
	const rerun = "go test ./sim/db -run TestCommittedDeletes"
	type deletion struct {
		table string
		tag   int64
		row   int64
	}
	var got []deletion
	cfg := db.DefaultConfig()
	cfg.OnDeleteCommitted = func(table string, tag int64, row int64) { got = append(got, deletion{table, tag, row}) }
	world(t, cfg, func(k *sim.Kernel, d *db.DB, p *sim.Proc) {
		a, b := d.Connect(), d.Connect()
		a.SetTag(7)
		b.SetTag(8)
		query(t, p, a, "begin")
		query(t, p, a, "delete from test where id = 1")
		query(t, p, a, "rollback")
		query(t, p, b, "update test set value = 11 where id = 1")
		assert.Empty(t, got, "a rolled-back delete and an update are not deletions; "+rerun)
		query(t, p, a, "begin")
		res := query(t, p, a, "delete from test where id = 1")
		require.Equal(t, 1, res.Affected, rerun)
		assert.Empty(t, got, "not before the commit; "+rerun)
		query(t, p, a, "commit")
		require.Len(t, got, 1, rerun)
		assert.Equal(t, deletion{"test", 7, got[0].row}, got[0], rerun)
		res = query(t, p, b, "delete from test where id = 1")
		assert.Equal(t, 0, res.Affected, "the second delete finds nothing; "+rerun)
		assert.Len(t, got, 1, rerun)
	})
}

// Goal: a hot standby reads the primary as it was StandbyLag ago, keeps
// seeing an old version however many times the row is updated since (the
// primary does not prune what the standby still reads), and refuses
// writes and locks with 25006. Method: one row updated every 10ms for a
// second, read on the standby with a 500ms lag.
func TestStandbyLags(t *testing.T) {
	const rerun = "go test ./sim/db -run TestStandbyLags"
	cfg := db.DefaultConfig()
	cfg.StandbyLag = 500 * time.Millisecond
	world(t, cfg, func(k *sim.Kernel, d *db.DB, p *sim.Proc) {
		s, r := d.Connect(), d.Connect()
		standby := func() int64 {
			res, err := r.ExecStandby(p, "select value from test where id = 1")
			require.NoError(t, err, rerun)
			require.Len(t, res.Rows, 1, rerun)
			return res.Rows[0][0].Int
		}
		res, err := r.ExecStandby(p, "select value from test where id = 1")
		require.NoError(t, err, rerun)
		assert.Empty(t, res.Rows, "the fixture's rows committed less than the lag ago; "+rerun)
		p.Sleep(600 * time.Millisecond) // the fixture's rows are replayed now
		assert.Equal(t, int64(10), standby(), rerun)
		for i := 1; i <= 100; i++ {
			query(t, p, s, "update test set value = "+strconv.Itoa(10+i)+" where id = 1")
			p.Sleep(10 * time.Millisecond)
		}
		// 100 updates over a second: the standby is 50 of them behind.
		assert.Equal(t, int64(10+100-49), standby(), "as of 500ms ago; "+rerun)
		res = query(t, p, s, "select value from test where id = 1")
		assert.Equal(t, int64(110), res.Rows[0][0].Int, "the primary is current; "+rerun)
		for _, q := range []string{"insert into test (id, value) values (9, 9)", "update test set value = 0", "delete from test", "select * from test for update", "begin"} {
			_, err := r.ExecStandby(p, q)
			assert.Equal(t, "25006", code(err), "%s: %v; %s", q, err, rerun)
		}
	})
}

// Goal: a RETURNING list of an INSERT, UPDATE or DELETE yields *, T.*
// (T the table or the INSERT's alias), expressions and aliases, with
// PostgreSQL's output names (a column's own, the alias, or "?column?"),
// and refuses what PostgreSQL refuses there: a name the alias hides and
// excluded (42P01), an untyped parameter (42P18); an overflow in it fails
// the statement (22003) as soon as the row is written, before the next row
// (whose duplicate key would be 23505). Method: table of statements on one session, each
// with the columns and rows or the SQLSTATE it must give.
func TestReturningLists(t *testing.T) {
	const rerun = "go test ./sim/db -run TestReturningLists"
	i, txt := sql.IntValue, sql.TextValue
	world(t, db.DefaultConfig(), func(k *sim.Kernel, d *db.DB, p *sim.Proc) {
		s := d.Connect()
		query(t, p, s, "create table jobs (id int primary key, name text, runs int)")
		for _, tc := range []struct {
			q    string
			args []sql.Value
			cols []string
			rows [][]sql.Value
			code string
		}{
			{q: "insert into jobs as j values (1, 'a', 1) returning j.*, id + 1 as next, 'x', runs r",
				cols: []string{"id", "name", "runs", "next", "?column?", "r"}, rows: [][]sql.Value{{i(1), txt("a"), i(1), i(2), txt("x"), i(1)}}},
			{q: "insert into jobs as j values (1, 'a', 1) on conflict (id) do update set runs = j.runs + excluded.runs where j.runs < $1 returning jobs.id",
				args: []sql.Value{i(5)}, code: sql.CodeUndefinedTable},
			{q: "insert into jobs as j values (1, 'a', 1) on conflict (id) do update set runs = j.runs + excluded.runs where j.runs < $1 returning runs + $1",
				args: []sql.Value{i(5)}, cols: []string{"?column?"}, rows: [][]sql.Value{{i(7)}}},
			{q: "insert into jobs values (1, 'a', 1) on conflict (id) do update set runs = 0 returning excluded.runs", code: sql.CodeUndefinedTable},
			{q: "insert into jobs values (2, 'b', 1) returning $1", args: []sql.Value{i(1)}, code: "42P18"},
			{q: "insert into jobs values (3, 'c', 2147483647) returning runs + 1", code: sql.CodeNumericOutOfRange},
			{q: "insert into jobs values (3, 'c', 2147483647), (3, 'c', 1) returning runs + 1", code: sql.CodeNumericOutOfRange},
			{q: "delete from jobs where id = 9 returning 2147483647 + 1", code: sql.CodeNumericOutOfRange},
			{q: "update jobs set runs = runs + 1 where id = 1 returning *, jobs.name = 'a' as same",
				cols: []string{"id", "name", "runs", "same"}, rows: [][]sql.Value{{i(1), txt("a"), i(3), sql.BoolValue(true)}}},
			{q: "delete from jobs where id = 1 returning id, name", cols: []string{"id", "name"}, rows: [][]sql.Value{{i(1), txt("a")}}},
		} {
			res, err := s.Exec(p, tc.q, tc.args...)
			if tc.code != "" {
				assert.Equal(t, tc.code, code(err), "%s: %v; %s", tc.q, err, rerun)
				continue
			}
			if !assert.NoError(t, err, "%s; %s", tc.q, rerun) {
				continue
			}
			assert.Equal(t, tc.cols, res.Cols, "%s; %s", tc.q, rerun)
			assert.Equal(t, tc.rows, res.Rows, "%s; %s", tc.q, rerun)
		}
	})
}
