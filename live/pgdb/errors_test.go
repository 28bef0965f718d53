package pgdb_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/livetest"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/live/pgdb"
	"github.com/idemsim/idemsim/sim/api"
)

// Goal: Open refuses a configuration PostgreSQL cannot serve, with an
// error naming the setting and what is accepted. Method: a table of bad
// configurations; none reaches a server.
func TestOpenRefuses(t *testing.T) {
	rerun := testcmd.Rerun(t, "./live/pgdb")
	for _, c := range []struct {
		name string
		cfg  pgdb.Config
		want string
	}{
		{"no-pool", pgdb.Config{DSN: "host=127.0.0.1", PoolSize: 0}, "pool size 0: want at least 1"},
		{"simulated-level", pgdb.Config{DSN: "host=127.0.0.1", PoolSize: 1, Isolation: api.Serializable2PL}, "exists only in the simulation"},
		{"bad-dsn", pgdb.Config{DSN: "port=notaport", PoolSize: 1}, "pgdb: DSN"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := pgdb.Open(context.Background(), c.cfg)
			require.Error(t, err, rerun)
			assert.Contains(t, err.Error(), c.want, rerun)
		})
	}
}

// Goal: the failures the simulation injects look the same live: a broken
// connection is api.ErrConnection with SQLSTATE 08006, a statement past
// the call timeout api.ErrTimeout, a transaction used after its end 25P01,
// and Begin's default level is the configured one. Method: one throwaway
// server; the connection is broken by pg_terminate_backend from another
// session, the timeout by a row lock held by another transaction.
func TestFailures(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	rerun := testcmd.Rerun(t, "./live/pgdb")
	pg := livetest.StartPostgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := pgdb.Open(ctx, pgdb.Config{DSN: pg.DSN, PoolSize: 3, Isolation: api.Serializable, CallTimeout: 300 * time.Millisecond})
	require.NoError(t, err, rerun)
	defer d.Close()
	_, err = d.Exec(accountsDDL)
	require.NoError(t, err, rerun)
	_, err = d.Exec("insert into accounts (id, version) values (1, 0)")
	require.NoError(t, err, rerun)

	t.Run("default-level", func(t *testing.T) {
		tx, err := d.Begin(api.DefaultLevel)
		require.NoError(t, err, rerun)
		res, err := tx.Exec("select current_setting('transaction_isolation')")
		require.NoError(t, err, rerun)
		assert.Equal(t, [][]api.Value{{api.Text("serializable")}}, res.Rows, rerun)
		require.NoError(t, tx.Rollback(), rerun)
		_, err = tx.Exec("select version from accounts")
		assert.Equal(t, "25P01", api.SQLState(err), "a statement after the end; "+rerun)
		assert.Equal(t, "25P01", api.SQLState(tx.Rollback()), "a second end; "+rerun)
	})
	t.Run("connection-broken", func(t *testing.T) {
		tx, err := d.Begin(api.ReadCommitted)
		require.NoError(t, err, rerun)
		res, err := tx.Exec("select pg_backend_pid()")
		require.NoError(t, err, rerun)
		pid := res.Rows[0][0].Int
		_, err = d.Exec(fmt.Sprintf("select pg_terminate_backend(%d)", pid))
		require.NoError(t, err, rerun)
		_, err = tx.Exec("update accounts set version = version + 1 where id = 1")
		require.Error(t, err, rerun)
		assert.True(t, errors.Is(err, api.ErrConnection), "%v; %s", err, rerun)
		assert.Equal(t, api.CodeConnectionFailure, api.SQLState(err), "%v; %s", err, rerun)
		// The pool drops the dead connection: the next call gets a new one.
		_ = tx.Rollback()
		_, err = d.Exec("select version from accounts where id = 1")
		assert.NoError(t, err, rerun)
	})
	t.Run("timeout", func(t *testing.T) {
		holder, err := d.Begin(api.ReadCommitted)
		require.NoError(t, err, rerun)
		_, err = holder.Exec("select version from accounts where id = 1 for update")
		require.NoError(t, err, rerun)
		_, err = d.Exec("update accounts set version = version + 1 where id = 1")
		require.Error(t, err, rerun)
		assert.True(t, errors.Is(err, api.ErrTimeout), "%v; %s", err, rerun)
		assert.True(t, errors.Is(err, api.ErrConnection), "%v; %s", err, rerun)
		require.NoError(t, holder.Commit(), rerun)
		// Whether the abandoned update applied is not known, as for a
		// timeout in the simulation: the server runs it once the lock is
		// free unless it has noticed the closed connection first. The
		// pool is usable either way.
		_, err = d.Exec("select version from accounts where id = 1")
		assert.NoError(t, err, rerun)
	})
}
