// Package instance starts and stops throwaway PostgreSQL 15 and Redis
// servers on loopback ports, each in a directory the caller owns: for
// `idemsim live`, which has no test to tie them to, and (through
// internal/livetest) for the live tests. Nothing here listens anywhere but
// 127.0.0.1. make live-deps installs the servers (docs/live.md).
package instance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresBin is where Debian's postgresql-15 package puts the server's
// programs.
const PostgresBin = "/usr/lib/postgresql/15/bin"

// PostgresPrograms are the programs StartPostgres runs, in PostgresBin.
var PostgresPrograms = []string{"postgres", "initdb", "pg_ctl"}

// StartupLimit bounds initdb and the server's start together, and a
// server's stop: a throwaway cluster with fsync off is up in about a
// second on the 2-core development machine.
const StartupLimit = 20 * time.Second

// Postgres is a running throwaway PostgreSQL 15 server. Stop it when done;
// its directory is the caller's to remove.
type Postgres struct {
	dir  string
	port int
	root bool // the server runs as the postgres user
}

// StartPostgres creates a cluster in dir/data (dir must exist and be
// empty of a previous cluster) and starts its server on a free port of
// 127.0.0.1, with its log in dir/server.log and its unix socket in dir.
// When we run as root the cluster and the server belong to the postgres
// user, since initdb refuses root, and dir is given to that user.
func StartPostgres(ctx context.Context, dir string) (*Postgres, error) {
	for _, prog := range PostgresPrograms {
		if err := present(filepath.Join(PostgresBin, prog)); err != nil {
			return nil, fmt.Errorf("instance: PostgreSQL 15's %s not found (%v): run make live-deps (as root) to install it", prog, err)
		}
	}
	root := os.Geteuid() == 0
	if root {
		if err := chownToPostgres(dir); err != nil {
			return nil, fmt.Errorf("instance: %w", err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, StartupLimit)
	defer cancel()
	p := &Postgres{dir: dir, root: root}
	data := p.data()
	if out, err := p.run(ctx, "initdb", "-D", data, "-U", "postgres", "--auth=trust",
		"-E", "UTF8", "--locale=C.UTF-8", "--no-sync"); err != nil {
		return nil, fmt.Errorf("instance: initdb in %s: %v\n%s", dir, err, out)
	}
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("instance: a free loopback port for PostgreSQL: %w", err)
	}
	p.port = port
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
	logFile := filepath.Join(dir, "server.log")
	secs := strconv.Itoa(int(StartupLimit / time.Second))
	if out, err := p.run(ctx, "pg_ctl", "-D", data, "-l", logFile, "-w", "-t", secs, "-o", opts, "start"); err != nil {
		// A server that did start (it lost the port race late, say) must
		// not outlive the error.
		_ = p.Stop()
		log, _ := os.ReadFile(logFile)
		return nil, fmt.Errorf("instance: starting PostgreSQL on port %d: %v\n%s\n%s", port, err, out, log)
	}
	return p, nil
}

// Dir is the directory the server lives in.
func (p *Postgres) Dir() string { return p.dir }

// Port is the server's TCP port on 127.0.0.1.
func (p *Postgres) Port() int { return p.port }

// DSN is the postgres database, as superuser postgres, over TCP on
// loopback.
func (p *Postgres) DSN() string { return p.DatabaseDSN("postgres") }

// DatabaseDSN is the DSN of database name on the same server.
func (p *Postgres) DatabaseDSN(name string) string {
	return fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=%s sslmode=disable", p.port, name)
}

// CreateDatabase creates an empty database called name, for a run or a
// test of its own.
func (p *Postgres) CreateDatabase(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), StartupLimit)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.DSN())
	if err != nil {
		return fmt.Errorf("instance: connecting to PostgreSQL on port %d: %w", p.port, err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "create database "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("instance: creating database %q: %w", name, err)
	}
	return nil
}

// Stop stops the server at once (pg_ctl -m immediate: a throwaway cluster
// needs no checkpoint) and waits until it is gone.
func (p *Postgres) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), StartupLimit)
	defer cancel()
	if out, err := p.run(ctx, "pg_ctl", "-D", p.data(), "-m", "immediate", "-w", "stop"); err != nil {
		return fmt.Errorf("instance: stopping PostgreSQL on port %d: %v\n%s", p.port, err, out)
	}
	return nil
}

func (p *Postgres) data() string { return filepath.Join(p.dir, "data") }

// run runs one of the server's programs, as the postgres user when we are
// root.
func (p *Postgres) run(ctx context.Context, prog string, args ...string) ([]byte, error) {
	path := filepath.Join(PostgresBin, prog)
	var cmd *exec.Cmd
	if p.root {
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
		return fmt.Errorf("running as root, the server must run as user postgres, which is missing (run make live-deps): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return fmt.Errorf("giving %s to postgres: %w", dir, err)
	}
	return nil
}

// present says why the program at path cannot be run, or nil.
func present(path string) error {
	_, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s is missing", path)
	}
	return err
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
