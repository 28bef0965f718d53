package pgdb_test

import (
	"context"
	"testing"
	"time"

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
// session takes the lock in an open transaction and ends it 60 ms later
// from another goroutine, far longer than the watch's poll interval; the
// session under test then runs each statement and reports Waited, with the
// SQLSTATE it got. Without a holder, or under NOWAIT, nothing waits.
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
					time.Sleep(60 * time.Millisecond)
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
