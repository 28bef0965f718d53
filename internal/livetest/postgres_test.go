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

// Goal: StartPostgres gives a server that answers on its DSN with the
// settings the live adapter relies on, and removes its directory when the
// test ends. Method: start one in a subtest, query its settings, then check
// after the subtest that the directory is gone.
func TestStartPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	rerun := testcmd.Rerun(t, "./internal/livetest")
	var dir string
	t.Run("server", func(t *testing.T) {
		start := time.Now()
		pg := livetest.StartPostgres(t)
		t.Logf("PostgreSQL up in %v on port %d", time.Since(start).Round(time.Millisecond), pg.Port)
		dir = pg.Dir
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, pg.DSN)
		require.NoError(t, err, rerun)
		defer conn.Close(ctx)
		for _, c := range []struct{ setting, want string }{
			{"server_version_num", ""},
			{"fsync", "off"},
			{"listen_addresses", "127.0.0.1"},
			{"client_connection_check_interval", "1s"},
			{"TimeZone", "UTC"},
		} {
			var got string
			require.NoError(t, conn.QueryRow(ctx, "select current_setting($1)", c.setting).Scan(&got), rerun)
			if c.want == "" {
				assert.Regexp(t, `^15\d{4}$`, got, "PostgreSQL 15; "+rerun)
			} else {
				assert.Equal(t, c.want, got, c.setting+"; "+rerun)
			}
		}
		_, err = os.Stat(filepath.Join(dir, ".s.PGSQL."+strconv.Itoa(pg.Port)))
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
