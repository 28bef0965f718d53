package livetest_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/livetest"
	"github.com/idemsim/idemsim/internal/testcmd"
)

// Goal: StartPostgres's wrapper ties a live/instance server to the test:
// its DSN and DatabaseDSN answer, its socket is in Dir, and the test's end
// stops it and removes Dir (live/instance's tests check the server's
// settings). Method: start one in a subtest, create a database through it,
// then check after the subtest that the directory is gone.
func TestStartPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	rerun := testcmd.Rerun(t, "./internal/livetest")
	var dir string
	t.Run("server", func(t *testing.T) {
		pg := livetest.StartPostgres(t)
		dir = pg.Dir
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, dsn := range []string{pg.DSN, pg.CreateDatabase(t, "other")} {
			conn, err := pgx.Connect(ctx, dsn)
			require.NoError(t, err, rerun)
			var port int
			require.NoError(t, conn.QueryRow(ctx, "select current_setting('port')::int").Scan(&port), rerun)
			assert.Equal(t, pg.Port, port, rerun)
			conn.Close(ctx)
		}
		_, err := os.Stat(filepath.Join(dir, ".s.PGSQL."+strconv.Itoa(pg.Port)))
		assert.NoError(t, err, "the unix socket is in the temporary directory; "+rerun)
	})
	if dir != "" {
		_, err := os.Stat(dir)
		assert.True(t, os.IsNotExist(err), "the directory is removed after the test; "+rerun)
	}
}

// Goal: Need lets a test through when the binary exists and skips it,
// naming make live-deps, when not (CI unset). Method: run Need in
// subtests on an existing file and on a missing one.
func TestNeed(t *testing.T) {
	rerun := testcmd.Rerun(t, "./internal/livetest")
	t.Setenv("CI", "")
	for _, c := range []struct {
		name    string
		path    string
		skipped bool
	}{
		{"present", os.Args[0], false},
		{"missing", filepath.Join(t.TempDir(), "no-such-server"), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var inner *testing.T
			ok := t.Run("need", func(t *testing.T) {
				inner = t
				livetest.Need(t, "a server", c.path)
			})
			assert.True(t, ok, rerun)
			assert.Equal(t, c.skipped, inner.Skipped(), rerun)
		})
	}
}

// Goal: StartRedis's wrapper ties the server to the test: Kill and Restart
// reach it, and the test's end stops it. Method: start one in a subtest,
// Kill and Restart it, then check after the subtest that its port no
// longer answers.
func TestStartRedis(t *testing.T) {
	rerun := testcmd.Rerun(t, "./internal/livetest")
	var addr string
	t.Run("server", func(t *testing.T) {
		r := livetest.StartRedis(t)
		addr = r.Addr()
		r.Kill()
		_, err := net.DialTimeout("tcp", addr, time.Second)
		assert.Error(t, err, "down after Kill; "+rerun)
		r.Restart()
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		require.NoError(t, err, "up after Restart; "+rerun)
		conn.Close()
	})
	if addr != "" {
		_, err := net.DialTimeout("tcp", addr, time.Second)
		assert.Error(t, err, "stopped after the test; "+rerun)
	}
}
