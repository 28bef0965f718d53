package pgdb_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/livetest"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/live/pgdb"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// callsScenario makes every kind of database call a handler makes, with
// the outcomes that change how calls are numbered: a failed transaction,
// a rollback, a transaction used after its end. Its last statements show
// which payments committed.
var callsScenario = scenario{name: "calls", setup: []string{paymentsUniqueDDL}, body: func(r *recorder, d api.DB) {
	tx := r.begin("begin 1", d, api.DefaultLevel)
	r.exec("pay k1", tx, pay, k1, api.Int(100), api.Text("usd"))
	r.exec("count in tx", tx, "select count(*) from payments")
	r.end("commit 1", tx.Commit())
	r.exec("count after commit", d, "select count(*) from payments where idempotency_key = $1", k1)
	tx = r.begin("begin 2", d, api.DefaultLevel)
	r.exec("pay k1 again", tx, pay, k1, api.Int(100), api.Text("usd"))
	r.exec("read in tx 2", tx, "select idempotency_key from payments order by id")
	r.end("commit 2", tx.Commit())
	tx = r.begin("begin 3", d, api.Serializable)
	r.exec("pay k2", tx, pay, k2, api.Int(5), api.Text("eur"))
	r.end("rollback 3", tx.Rollback())
	r.exec("after the end", tx, "select 1")
	r.exec("payments", d, "select idempotency_key from payments order by id")
}}

// Goal: a session numbers its calls as the simulated world does and its
// two faults hit the same calls with the same effect: a dropped
// connection rolls the transaction back for real, a lost commit
// acknowledgement leaves it committed for real, and later calls on the
// broken transaction are answered at once without being counted. Method:
// callsScenario runs once per database call number k and fault kind, in a
// one-request world replaying that fault at the handler's k-th database
// call, and live in a session whose Injector answers that fault at call k;
// every statement's outcome must be equal, the fault must fire in both or
// in neither, and a live fault must fire exactly when the Injector was
// asked for it at call k. The run without faults fixes how many calls
// there are.
func TestSessionCallsAndFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	rerun := testcmd.Rerun(t, "./live/pgdb")
	pg := livetest.StartPostgres(t)
	d, _ := openDB(t, pg, "calls", 2, rerun, paymentsUniqueDDL)

	// runLive runs the scenario on an emptied table and says at which
	// calls the Injector was asked, and with which query.
	runLive := func(t *testing.T, kind pgdb.Fault, at int) ([]outcome, map[int]string, int) {
		_, err := d.Exec("truncate payments restart identity")
		require.NoError(t, err, rerun)
		asked := map[int]string{}
		sess := d.Session("o1.1", func(call int, query string) pgdb.Fault {
			asked[call] = query
			if call == at {
				return kind
			}
			return pgdb.NoFault
		})
		var r recorder
		callsScenario.body(&r, sess)
		s := sess.(*pgdb.Session)
		s.Finish()
		return r.out, asked, s.Calls()
	}

	clean, asked, calls := runLive(t, pgdb.NoFault, 0)
	simulated, _ := runSimulated(t, callsScenario, rerun, nil)
	require.Equal(t, outcomesText(simulated), outcomesText(clean), "without faults; "+rerun)
	assert.Equal(t, 13, calls, "calls of the scenario without faults; "+rerun)
	assert.Equal(t, map[int]string{2: pay, 3: "select count(*) from payments", 4: "commit", 7: pay, 8: "select idempotency_key from payments order by id", 11: pay},
		asked, "the calls the Injector is asked about: statements of open transactions, and the COMMIT that committed; "+rerun)

	for _, c := range []struct {
		kind  faults.Kind
		fault pgdb.Fault
	}{{faults.DBDropConnection, pgdb.DropConnection}, {faults.DBLostCommitAck, pgdb.LostCommitAck}} {
		for k := 1; k <= calls; k++ {
			t.Run(fmt.Sprintf("%s-at-db%d", c.kind, k), func(t *testing.T) {
				rerun := testcmd.Rerun(t, "./live/pgdb")
				ref, err := faults.ParseRef(fmt.Sprintf("c1/o1.1/a1/db%d", k))
				require.NoError(t, err, rerun)
				simulated, res := runSimulated(t, callsScenario, rerun, func(cfg *world.Config) {
					cfg.Faults.Replay = []faults.Fault{{Kind: c.kind, Msg: ref}}
				})
				live, asked, _ := runLive(t, c.fault, k)
				assert.Equal(t, outcomesText(simulated), outcomesText(live), rerun)
				simFired := len(res.Unfired) == 0
				q, ok := asked[k]
				liveFired := ok && (c.fault == pgdb.LostCommitAck) == (q == "commit")
				assert.Equal(t, simFired, liveFired, "the fault fired (simulated, then live); %s", rerun)
				switch {
				case c.fault == pgdb.DropConnection && k == 2:
					// The insert never ran: nothing committed, and the
					// second transaction's insert of the same key went
					// through, so no lock of the dropped one remained.
					assert.Equal(t, "count after commit: cols [count] rows (0) affected 0 state \"\"", live[4].String(), rerun)
					assert.Equal(t, "", live[6].State, "pay k1 again; "+rerun)
				case c.fault == pgdb.LostCommitAck && k == 4:
					assert.Equal(t, "08006", live[3].State, "commit 1 lost its answer; "+rerun)
					assert.Equal(t, "count after commit: cols [count] rows (1) affected 0 state \"\"", live[4].String(), "the commit applied; "+rerun)
				}
			})
		}
	}
}

func outcomesText(out []outcome) []string {
	var s []string
	for _, o := range out {
		s = append(s, o.String())
	}
	return s
}

// Goal: the effect triggers record exactly the committed inserts and
// deletes of a ledger table, each with the tag of the session that made
// it: a rolled-back insert leaves nothing, a delete is recorded as one, a
// worker's SetTag changes the tag of its next statement even inside a
// transaction, and a connection a tagged session used carries no tag into
// the DB's own untagged calls. Method: one connection in the pool, so
// that every session reuses it; the effects are read back in order.
func TestEffects(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	rerun := testcmd.Rerun(t, "./live/pgdb")
	pg := livetest.StartPostgres(t)
	d, dsn := openDB(t, pg, "effects", 1, rerun, paymentsUniqueDDL, jobsDDL)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := pgdb.InstallEffects(ctx, dsn, []string{"payments"})
	require.NoError(t, err, rerun)
	require.NoError(t, pgdb.InstallEffects(ctx, dsn, []string{"payments"}), "installing twice; "+rerun)

	must := func(_ api.Result, err error) { require.NoError(t, err, rerun) }
	handler := d.Session("o1.1", nil)
	must(handler.Exec(pay, k1, api.Int(1), api.Text("usd")))
	must(handler.Exec(addJob, k2, api.Text("c2"), api.Int(2), api.Text("usd"), api.Text("job"))) // not a ledger table
	tx, err := handler.Begin(api.DefaultLevel)
	require.NoError(t, err, rerun)
	must(tx.Exec(pay, k2, api.Int(2), api.Text("usd")))
	require.NoError(t, tx.Rollback(), rerun)

	must(d.Exec(pay, api.Text("k3"), api.Int(3), api.Text("usd"))) // untagged, on the connection the session tagged

	worker := d.Session("", nil)
	tx, err = worker.Begin(api.DefaultLevel)
	require.NoError(t, err, rerun)
	must(tx.Exec(pay, api.Text("k4"), api.Int(4), api.Text("usd")))
	worker.(*pgdb.Session).SetTag("o2.1")
	must(tx.Exec(pay, k2, api.Int(2), api.Text("usd")))
	must(tx.Exec("delete from payments where idempotency_key = $1", k1))
	require.NoError(t, tx.Commit(), rerun)

	// A statement that fails after a tag change leaves nothing either.
	worker.(*pgdb.Session).SetTag("o3.1")
	_, err = worker.Exec(pay, k2, api.Int(2), api.Text("usd"))
	require.Equal(t, "23505", api.SQLState(err), rerun)

	effects, err := pgdb.ReadEffects(ctx, dsn)
	require.NoError(t, err, rerun)
	type row struct {
		Source, RowID, Tag string
		Deleted            bool
	}
	var got []row
	for i, e := range effects {
		got = append(got, row{e.Source, e.RowID, e.Tag, e.Deleted})
		assert.False(t, e.At.IsZero(), rerun)
		if i > 0 {
			assert.Greater(t, e.Seq, effects[i-1].Seq, rerun)
		}
	}
	// Payment ids: 1 k1, 2 the rolled-back k2, 3 k3, 4 k4, 5 k2.
	assert.Equal(t, []row{
		{"payments", "1", "o1.1", false},
		{"payments", "3", "", false},
		{"payments", "4", "", false},
		{"payments", "5", "o2.1", false},
		{"payments", "1", "o2.1", true},
	}, got, rerun)

	err = pgdb.InstallEffects(ctx, dsn, []string{"refunds"})
	require.Error(t, err, rerun)
	assert.Contains(t, err.Error(), `ledger table "refunds" does not exist`, rerun)
}

// Goal: every strategy's schema runs on PostgreSQL 15 and its ledger
// tables accept the effect triggers. Method: one table test over
// models.All(), each on a database of its own: the Schema statements
// through pgdb, then InstallEffects on the Ledger tables, then one row
// inserted and deleted in each ledger table by its first column alone
// where that is all it needs.
func TestStrategiesAcceptEffects(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	pg := livetest.StartPostgres(t)
	for i, s := range models.All() {
		t.Run(s.Name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./live/pgdb")
			_, dsn := openDB(t, pg, fmt.Sprintf("s%d", i), 1, rerun, s.Schema...)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			require.NotEmpty(t, s.Ledger, rerun)
			require.NoError(t, pgdb.InstallEffects(ctx, dsn, s.Ledger), rerun)
			effects, err := pgdb.ReadEffects(ctx, dsn)
			require.NoError(t, err, rerun)
			assert.Empty(t, effects, "no effect before any request; "+rerun)
		})
	}
}

// Goal: Kill is a crash: a call waiting on a lock and a transaction held
// open both fail with api.ErrConnection at once, PostgreSQL rolls back
// what they had open, Kill returns without waiting for them, and every
// later call fails with api.ErrConnection. Method: a pool of three; one
// session holds an uncommitted insert, another's transaction waits on its
// key in a goroutine; after Kill, an independent connection inserts the same key,
// which succeeds only once both backends have rolled back.
func TestKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	rerun := testcmd.Rerun(t, "./live/pgdb")
	pg := livetest.StartPostgres(t)
	d, dsn := openDB(t, pg, "kill", 3, rerun, paymentsUniqueDDL)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	holder := d.Session("o1.1", nil)
	tx, err := holder.Begin(api.DefaultLevel)
	require.NoError(t, err, rerun)
	_, err = tx.Exec(pay, k1, api.Int(1), api.Text("usd"))
	require.NoError(t, err, rerun)

	// The waiter's insert is in a transaction too: an autocommit
	// statement already sent may commit once the lock is free, crash or
	// not, in PostgreSQL as in the simulated database.
	waiter, err := d.Session("o2.1", nil).Begin(api.DefaultLevel)
	require.NoError(t, err, rerun)
	waiterErr := make(chan error, 1)
	go func() {
		_, err := waiter.Exec(pay, k1, api.Int(1), api.Text("usd"))
		waiterErr <- err
	}()
	admin, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err, rerun)
	defer admin.Close(context.Background())
	// The waiter is blocked once PostgreSQL shows a backend waiting on a
	// lock; polled, since nothing tells us when the goroutine got there.
	for waiting := 0; waiting == 0; {
		require.NoError(t, admin.QueryRow(ctx, "select count(*) from pg_stat_activity where wait_event_type = 'Lock'").Scan(&waiting), rerun)
		if waiting == 0 {
			select {
			case err := <-waiterErr:
				require.Fail(t, "the waiter ended before the kill", "%v; %s", err, rerun)
			case <-time.After(10 * time.Millisecond):
			}
		}
	}

	d.Kill()
	err = <-waiterErr
	assert.True(t, errors.Is(err, api.ErrConnection), "the waiting call; %v; %s", err, rerun)
	assert.Equal(t, api.CodeConnectionFailure, api.SQLState(err), rerun)
	_, err = tx.Exec("select 1")
	assert.True(t, errors.Is(err, api.ErrConnection), "the open transaction; %v; %s", err, rerun)
	err = tx.Commit()
	assert.True(t, errors.Is(err, api.ErrConnection), "its commit; %v; %s", err, rerun)
	_, err = d.Exec("select 1")
	assert.True(t, errors.Is(err, api.ErrConnection), "a call after Kill; %v; %s", err, rerun)
	_, err = d.Session("o3.1", nil).Begin(api.DefaultLevel)
	assert.True(t, errors.Is(err, api.ErrConnection), "a Begin after Kill; %v; %s", err, rerun)

	// Within the context's bound: PostgreSQL must notice both closed
	// sockets and roll back before this insert can take the key.
	tag, err := admin.Exec(ctx, "insert into payments (idempotency_key, amount, currency) values ('k1', 1, 'usd')")
	require.NoError(t, err, rerun)
	assert.Equal(t, int64(1), tag.RowsAffected(), rerun)
	var n int
	require.NoError(t, admin.QueryRow(ctx, "select count(*) from payments").Scan(&n), rerun)
	assert.Equal(t, 1, n, "only the admin's row: neither killed insert committed; "+rerun)
}

// Goal: the two faults really break the connection, not just the answer:
// after a drop the server has ended the backend and rolled back the
// transaction's insert (its key is free at once), and after a lost commit
// acknowledgement the backend is gone too while the row is committed.
// Method: a session whose statements read their backend's pid; right
// after the fault, before the session touches the transaction again, an
// independent connection waits (bounded by the context) for that pid to
// leave pg_stat_activity, then looks for the row and, after a drop,
// inserts the same key under a lock timeout, which a backend still
// holding the key would make fail with 55P03.
func TestFaultsBreakTheConnection(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	pg := livetest.StartPostgres(t)
	for _, c := range []struct {
		name      string
		fault     pgdb.Fault
		at        int    // Begin 1, pid 2, insert 3, select 4, Commit 5
		committed bool   // the insert is in the table afterwards
		last      string // the SQLSTATE of the call hit
	}{
		{"drop", pgdb.DropConnection, 4, false, "08006"},
		{"lost-commit-ack", pgdb.LostCommitAck, 5, true, "08006"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./live/pgdb")
			d, dsn := openDB(t, pg, "real-"+c.name, 1, rerun, paymentsUniqueDDL)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			admin, err := pgx.Connect(ctx, dsn)
			require.NoError(t, err, rerun)
			defer admin.Close(context.Background())
			_, err = admin.Exec(ctx, "set lock_timeout = '3s'")
			require.NoError(t, err, rerun)

			sess := d.Session("o1.1", func(call int, _ string) pgdb.Fault {
				if call == c.at {
					return c.fault
				}
				return pgdb.NoFault
			})
			tx, err := sess.Begin(api.DefaultLevel)
			require.NoError(t, err, rerun)
			res, err := tx.Exec("select pg_backend_pid()")
			require.NoError(t, err, rerun)
			pid := res.Rows[0][0].Int
			_, err = tx.Exec(pay, k1, api.Int(1), api.Text("usd"))
			require.NoError(t, err, rerun)
			// gone waits for the backend to end (polled: the server ends it
			// when it reads the closed socket, which nothing announces)
			// and checks the key.
			gone := func() {
				for alive := 1; alive > 0; {
					require.NoError(t, admin.QueryRow(ctx, "select count(*) from pg_stat_activity where pid = $1", pid).Scan(&alive), rerun)
					if alive > 0 {
						time.Sleep(10 * time.Millisecond)
					}
				}
				var n int
				require.NoError(t, admin.QueryRow(ctx, "select count(*) from payments where idempotency_key = 'k1'").Scan(&n), rerun)
				if c.committed {
					assert.Equal(t, 1, n, "the COMMIT applied; "+rerun)
				} else {
					assert.Equal(t, 0, n, "the transaction rolled back; "+rerun)
					_, err = admin.Exec(ctx, "insert into payments (idempotency_key, amount, currency) values ('k1', 1, 'usd')")
					assert.NoError(t, err, "the key is free; "+rerun)
				}
			}
			_, err = tx.Exec("select 1")
			if c.at == 4 {
				assert.Equal(t, c.last, api.SQLState(err), rerun)
				assert.True(t, errors.Is(err, api.ErrConnection), rerun)
				// Before anything else touches the transaction.
				gone()
			}
			err = tx.Commit()
			assert.Equal(t, c.last, api.SQLState(err), "the commit; "+rerun)
			assert.Equal(t, c.at, sess.(*pgdb.Session).Calls(), "calls on the broken transaction are not counted; "+rerun)
			if c.at == 5 {
				gone()
			}
			// The pool replaced the broken connection.
			_, err = d.Exec("select 1")
			assert.NoError(t, err, rerun)
		})
	}
}

// openDB creates database name on pg, runs setup on it and opens a pool of
// pool connections to it (closed when t ends, unless killed first).
func openDB(t *testing.T, pg *livetest.Postgres, name string, pool int, rerun string, setup ...string) (*pgdb.DB, string) {
	dsn := pg.CreateDatabase(t, name)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := pgdb.Open(ctx, pgdb.Config{DSN: dsn, PoolSize: pool, CallTimeout: 10 * time.Second})
	require.NoError(t, err, rerun)
	t.Cleanup(d.Close)
	for _, q := range setup {
		_, err := d.Exec(q)
		require.NoError(t, err, q+"; "+rerun)
	}
	return d, dsn
}
