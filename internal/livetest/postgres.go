package livetest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// PostgresBin is where Debian's postgresql-15 package puts the server's
// programs.
const PostgresBin = "/usr/lib/postgresql/15/bin"

// startupLimit bounds initdb and the server's start together: a throwaway
// cluster with fsync off is up in a second or two on this machine.
const startupLimit = 20 * time.Second

// Postgres is a throwaway PostgreSQL 15 server, stopped and removed when
// the test that started it ends.
type Postgres struct {
	Dir  string // holds the data directory, the log and the unix socket
	Port int
	DSN  string // the postgres database, as superuser postgres, over TCP on loopback
}

// StartPostgres starts a PostgreSQL 15 server of its own on a free
// loopback port in a new temporary directory, and registers its stop with
// t.Cleanup. Without the server's programs it skips (or fails under
// CI=true, see Need).
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	for _, prog := range []string{"postgres", "initdb", "pg_ctl"} {
		Need(t, "PostgreSQL 15", filepath.Join(PostgresBin, prog))
	}
	root := os.Geteuid() == 0
	// Not t.TempDir: its parent is private to our user, and a server we
	// run as postgres could not reach it.
	dir, err := os.MkdirTemp("", "idemsim-live-pg-")
	if err != nil {
		t.Fatalf("livetest: temporary directory for PostgreSQL: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if root {
		// initdb refuses to run as root: the cluster belongs to postgres.
		if err := chownToPostgres(dir); err != nil {
			t.Fatalf("livetest: %v", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), startupLimit)
	defer cancel()
	data := filepath.Join(dir, "data")
	if out, err := asPostgres(ctx, root, "initdb", "-D", data, "-U", "postgres", "--auth=trust",
		"-E", "UTF8", "--locale=C.UTF-8", "--no-sync"); err != nil {
		t.Fatalf("livetest: initdb in %s: %v\n%s", dir, err, out)
	}
	port, err := freePort()
	if err != nil {
		t.Fatalf("livetest: a free loopback port for PostgreSQL: %v", err)
	}
	// fsync off: a throwaway cluster need not survive a power cut. The
	// connection check lets the server notice a client that went away
	// while a statement of its waits, as in a crash. The styles are those
	// in which the simulated database prints values (sql.Value.String).
	opts := strings.Join([]string{
		"-c listen_addresses=127.0.0.1", "-p " + strconv.Itoa(port), "-k " + dir,
		"-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off",
		"-c client_connection_check_interval=1s", "-c deadlock_timeout=200ms",
		"-c TimeZone=UTC", "-c DateStyle=ISO", "-c IntervalStyle=postgres",
	}, " ")
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			stopCtx, cancel := context.WithTimeout(context.Background(), startupLimit)
			defer cancel()
			asPostgres(stopCtx, root, "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
		}
	})
	secs := strconv.Itoa(int(startupLimit / time.Second))
	if out, err := asPostgres(ctx, root, "pg_ctl", "-D", data, "-l", filepath.Join(dir, "server.log"),
		"-w", "-t", secs, "-o", opts, "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		stopped = true
		t.Fatalf("livetest: starting PostgreSQL on port %d: %v\n%s\n%s", port, err, out, log)
	}
	return &Postgres{Dir: dir, Port: port,
		DSN: fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=postgres sslmode=disable", port)}
}

// DatabaseDSN is the DSN of database name on the same server.
func (p *Postgres) DatabaseDSN(name string) string {
	return fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=%s sslmode=disable", p.Port, name)
}

// asPostgres runs one of the server's programs, as the postgres user when
// we are root.
func asPostgres(ctx context.Context, root bool, prog string, args ...string) ([]byte, error) {
	path := filepath.Join(PostgresBin, prog)
	var cmd *exec.Cmd
	if root {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, path, args...)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// pg_ctl start leaves the server running with our pipes as its
	// output unless told otherwise (-l): do not wait on them past exit.
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	return out.Bytes(), err
}

func chownToPostgres(dir string) error {
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("running as root, the server must run as user postgres, which is missing: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return fmt.Errorf("giving %s to postgres: %w", dir, err)
	}
	return nil
}

// freePort asks the kernel for a free loopback port. Another process may
// take it before the server binds it; the start then fails and says so.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
