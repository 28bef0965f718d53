package pgdb_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/livetest"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/live/pgdb"
	"github.com/idemsim/idemsim/sim/api"
)

// Goal: with a LockWatch, Session.Waited says whether the session's last
// statement waited for a lock another transaction held, for the waits the
// strategies meet (a row lock, a uniqueness check on an uncommitted key),
// and never says so of a statement that did not wait. Method: a holder
// session takes the lock in an open transaction and, from another
// goroutine, ends it once pg_stat_activity shows the waiter waiting and
// 100 ms more (far longer than the watch's poll interval; a fixed 60 ms
// from the holder's start was missed on a loaded machine, where the waiter
// began late), or 60 ms later where nothing must wait; the session under
// test then runs each statement and reports Waited, with the SQLSTATE it
// got. Without a holder, or under NOWAIT, nothing waits.
func TestLockWatch(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	rerun := testcmd.Rerun(t, "./live/pgdb")
	pg := livetest.StartPostgres(t)
	d, dsn := openDB(t, pg, "lockwatch", 4, rerun,
		"create table k (key text primary key, v int)", "insert into k values ('held', 1)")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	lw, err := pgdb.WatchLocks(ctx, dsn, 0)
	require.NoError(t, err, rerun)
	defer func() { assert.NoError(t, lw.Close(), "the watch's polls; %s", rerun) }()
	d.WatchLocks(lw)

	for _, c := range []struct {
		name   string
		hold   string // the holder's statement, "" for no holder
		stmt   string
		code   string
		waited bool
	}{
		{name: "no holder", stmt: "select v from k where key = 'held' for update", code: "", waited: false},
		{name: "row lock", hold: "update k set v = 2 where key = 'held'", stmt: "select v from k where key = 'held' for update", code: "", waited: true},
		{name: "uncommitted key", hold: "insert into k values ('new', 1)", stmt: "insert into k values ('new', 2)", code: api.CodeUniqueViolation, waited: true},
		{name: "nowait", hold: "update k set v = 3 where key = 'held'", stmt: "select v from k where key = 'held' for update nowait", code: "55P03", waited: false},
		{name: "plain read of a locked row", hold: "update k set v = 4 where key = 'held'", stmt: "select v from k where key = 'held'", code: "", waited: false},
	} {
		t.Run(c.name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./live/pgdb")
			done := make(chan error, 1)
			if c.hold != "" {
				holder := d.Session("holder", nil)
				tx, err := holder.Begin(api.DefaultLevel)
				require.NoError(t, err, rerun)
				_, err = tx.Exec(c.hold)
				require.NoError(t, err, rerun)
				assert.False(t, holder.(*pgdb.Session).Waited(), "the holder took a free lock; %s", rerun)
				go func() {
					if c.waited {
						// Held until PostgreSQL shows the waiter waiting,
						// then 100 ms more: the wait the watch must see
						// lasts that long however late the waiter came.
						if err := awaitLockWaiter(ctx, dsn); err != nil {
							tx.Rollback()
							done <- err
							return
						}
						time.Sleep(100 * time.Millisecond)
					} else {
						time.Sleep(60 * time.Millisecond)
					}
					done <- tx.Commit()
				}()
			} else {
				done <- nil
			}
			s := d.Session("waiter", nil)
			tx, err := s.Begin(api.DefaultLevel)
			require.NoError(t, err, rerun)
			_, err = tx.Exec(c.stmt)
			assert.Equal(t, c.code, api.SQLState(err), "%v; %s", err, rerun)
			assert.Equal(t, c.waited, s.(*pgdb.Session).Waited(), "waited; %s", rerun)
			require.NoError(t, <-done, rerun)
			require.NoError(t, tx.Rollback(), rerun)
			assert.False(t, s.(*pgdb.Session).Waited(), "the rollback waited for nothing; %s", rerun)
		})
	}
}

// awaitLockWaiter polls, on a connection of its own, until some backend
// of dsn's database waits on a lock, for at most 10 s.
func awaitLockWaiter(ctx context.Context, dsn string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	for range 2000 {
		var n int
		if err := conn.QueryRow(ctx, "select count(*) from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()").Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("no backend waited on a lock within 10 s")
}
