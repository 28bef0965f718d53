package instance_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/livetest"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/live/instance"
)

// Goal: StartPostgres gives a PostgreSQL 15 server with the settings the
// live adapters rely on, CreateDatabase a database reachable at
// DatabaseDSN, and Stop ends the server. Method: start one in a directory
// of the test's, query its settings and a new database, stop it and check
// that its port no longer answers; the start time is logged.
func TestPostgresLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	rerun := testcmd.Rerun(t, "./live/instance")
	for _, prog := range instance.PostgresPrograms {
		livetest.Need(t, "PostgreSQL 15", filepath.Join(instance.PostgresBin, prog))
	}
	// Not t.TempDir: its parent is private to our user, and a server run
	// as postgres could not reach it.
	dir, err := os.MkdirTemp("", "idemsim-instance-test-")
	require.NoError(t, err, rerun)
	defer os.RemoveAll(dir)
	start := time.Now()
	pg, err := instance.StartPostgres(context.Background(), dir)
	require.NoError(t, err, rerun)
	t.Logf("PostgreSQL up in %v on port %d", time.Since(start).Round(time.Millisecond), pg.Port())
	stopped := false
	defer func() {
		if !stopped {
			_ = pg.Stop()
		}
	}()
	assert.Equal(t, dir, pg.Dir(), rerun)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pg.DSN())
	require.NoError(t, err, rerun)
	for _, c := range []struct{ setting, want string }{
		{"fsync", "off"},
		{"listen_addresses", "127.0.0.1"},
		{"client_connection_check_interval", "1s"},
		{"TimeZone", "UTC"},
		{"IntervalStyle", "postgres"},
	} {
		var got string
		require.NoError(t, conn.QueryRow(ctx, "select current_setting($1)", c.setting).Scan(&got), rerun)
		assert.Equal(t, c.want, got, c.setting+"; "+rerun)
	}
	var version string
	require.NoError(t, conn.QueryRow(ctx, "select current_setting('server_version_num')").Scan(&version), rerun)
	assert.Regexp(t, `^15\d{4}$`, version, "PostgreSQL 15; "+rerun)
	conn.Close(ctx)

	require.NoError(t, pg.CreateDatabase("run-1"), rerun)
	other, err := pgx.Connect(ctx, pg.DatabaseDSN("run-1"))
	require.NoError(t, err, rerun)
	var name string
	require.NoError(t, other.QueryRow(ctx, "select current_database()").Scan(&name), rerun)
	assert.Equal(t, "run-1", name, rerun)
	other.Close(ctx)
	err = pg.CreateDatabase("run-1")
	require.Error(t, err, rerun)
	assert.Contains(t, err.Error(), `creating database "run-1"`, rerun)

	require.NoError(t, pg.Stop(), rerun)
	stopped = true
	_, err = pgx.Connect(ctx, pg.DSN())
	assert.Error(t, err, "nothing answers after Stop; "+rerun)
}
