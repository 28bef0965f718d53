package db_test

import (
	"errors"
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
// (23505), a NULL primary key (23502), too few parameters (08P01).
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
