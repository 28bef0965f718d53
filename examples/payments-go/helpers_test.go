package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The tests need a PostgreSQL. IDEMSIM_TEST_DSN names one to use (each test
// works in a schema of its own there, dropped at its end); without it the
// tests start a throwaway PostgreSQL 15 of their own from the programs in
// PG_BIN (default /usr/lib/postgresql/15/bin, where Debian's postgresql-15
// puts them), once for the whole run. Without either they skip, loudly,
// unless CI=true, where they fail.

// serviceEnv, when set, makes the test binary run the service instead of
// the tests, so the process tests can start, kill and restart a real
// process without building one.
const serviceEnv = "PAYMENTS_TEST_RUN_SERVICE"

func TestMain(m *testing.M) {
	if os.Getenv(serviceEnv) == "1" {
		main()
		return
	}
	code := m.Run()
	server.stop()
	os.Exit(code)
}

// rerun is the command that runs exactly the calling test again, for
// failure messages.
func rerun(t testing.TB) string {
	parts := strings.Split(t.Name(), "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return "reproduce: (cd examples/payments-go && go test -count=1 -run '" + strings.Join(parts, "/") + "')"
}

// waitLimit bounds initdb and pg_ctl, and any wait of a test for something
// that must happen: a wait that runs out is a failure, never a measure.
const waitLimit = 30 * time.Second

// throwaway is the PostgreSQL the tests started, if they did.
type throwaway struct {
	once sync.Once
	dsn  string
	err  error
	dir  string
	root bool
	bin  string
}

var server throwaway

// testDSN returns the DSN of a new, empty schema for t, on IDEMSIM_TEST_DSN
// or on the throwaway server, and drops the schema when t ends.
func testDSN(t *testing.T) string {
	t.Helper()
	base := os.Getenv("IDEMSIM_TEST_DSN")
	if base == "" {
		base = server.start(t)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "payments_test_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connecting to the test database: %v; %s", err, rerun(t))
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "create schema "+schema); err != nil {
		t.Fatalf("creating schema %s: %v; %s", schema, err, rerun(t))
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			return // the server is gone: nothing to drop
		}
		defer conn.Close(context.Background())
		_, _ = conn.Exec(ctx, "drop schema "+schema+" cascade")
	})
	return withSearchPath(base, schema)
}

// withSearchPath adds search_path to a DSN in either of PostgreSQL's forms,
// so that the service's unqualified tables land in the test's schema.
func withSearchPath(dsn, schema string) string {
	if strings.Contains(dsn, "://") {
		u, err := url.Parse(dsn)
		if err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return dsn + " search_path=" + schema
}

// start starts the throwaway server on the first call and returns its DSN;
// it skips t (fails it under CI=true) when PostgreSQL is not installed.
func (s *throwaway) start(t *testing.T) string {
	t.Helper()
	s.bin = os.Getenv("PG_BIN")
	if s.bin == "" {
		s.bin = "/usr/lib/postgresql/15/bin"
	}
	for _, prog := range []string{"initdb", "pg_ctl", "postgres"} {
		if _, err := os.Stat(filepath.Join(s.bin, prog)); errors.Is(err, fs.ErrNotExist) {
			msg := fmt.Sprintf("TESTS NOT RUN: PostgreSQL's %s is not in %s; install PostgreSQL 15 (from the repository root: make live-deps), set PG_BIN to its programs' directory, or set IDEMSIM_TEST_DSN to a database to use", prog, s.bin)
			if os.Getenv("CI") == "true" {
				t.Fatal(msg + " — CI=true requires these tests to run")
			}
			t.Skip(msg)
		}
	}
	s.once.Do(func() { s.dsn, s.err = s.boot() })
	if s.err != nil {
		t.Fatalf("starting a throwaway PostgreSQL: %v; %s", s.err, rerun(t))
	}
	return s.dsn
}

func (s *throwaway) boot() (string, error) {
	// Not t.TempDir: its parent is private to our user, and a server that
	// runs as postgres (when we are root) could not reach it.
	dir, err := os.MkdirTemp("", "payments-go-pg-")
	if err != nil {
		return "", err
	}
	s.dir = dir
	if os.Geteuid() == 0 { // initdb refuses root: the cluster is postgres's
		s.root = true
		u, err := user.Lookup("postgres")
		if err != nil {
			return "", fmt.Errorf("running as root, the server must run as user postgres: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return "", err
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := s.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync"); err != nil {
		return "", fmt.Errorf("initdb: %v\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return "", err
	}
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c synchronous_commit=off -c full_page_writes=off", port, dir)
	if out, err := s.run("pg_ctl", "-D", data, "-l", filepath.Join(dir, "server.log"), "-w", "-t", "30", "-o", opts, "start"); err != nil {
		return "", fmt.Errorf("pg_ctl start: %v\n%s", err, out)
	}
	return fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=postgres sslmode=disable", port), nil
}

// stop stops the throwaway server, if one was started, and removes it.
func (s *throwaway) stop() {
	if s.dir == "" {
		return
	}
	if s.dsn != "" {
		_, _ = s.run("pg_ctl", "-D", filepath.Join(s.dir, "data"), "-m", "immediate", "-w", "stop")
	}
	_ = os.RemoveAll(s.dir)
}

// run runs one of PostgreSQL's programs, as postgres when we are root.
func (s *throwaway) run(prog string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	path := filepath.Join(s.bin, prog)
	cmd := exec.CommandContext(ctx, path, args...)
	if s.root {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	}
	// pg_ctl start leaves the server holding our pipes: do not wait on
	// them once pg_ctl itself has exited.
	cmd.WaitDelay = time.Second
	return cmd.CombinedOutput()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
