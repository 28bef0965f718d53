package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Goal: a wrong command line or environment stops the service before it
// touches anything, with exit status 2 and one line on stderr that names
// what was wrong and what is accepted; -help prints the flags and exits 0.
// Method: run the command in the test's process (no database is needed),
// one case per mistake.
func TestCommandLine(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		env  map[string]string
		code int
		want string // in stderr (in stdout for -help)
	}{
		{"unknown mode", []string{"--dsn", "host=x", "--mode", "fast"}, nil, 2,
			`unknown mode "fast": accepted modes are correct, check-outside-txn, 409-in-progress, memory-only, no-payload-check`},
		{"unknown mode from MODE", []string{"--dsn", "host=x"}, map[string]string{"MODE": "fast"}, 2, `unknown mode "fast"`},
		{"no database", nil, nil, 2, "no database: give --dsn or DATABASE_URL"},
		{"bad WORK_DELAY", []string{"--dsn", "host=x"}, map[string]string{"WORK_DELAY": "soon"}, 2, `WORK_DELAY="soon" is not a duration`},
		{"negative delay", []string{"--dsn", "host=x", "--work-delay", "-1s"}, nil, 2, "--work-delay -1s is negative"},
		{"unknown flag", []string{"--port", "80"}, nil, 2, "flag provided but not defined: -port"},
		{"argument", []string{"--dsn", "host=x", "serve"}, nil, 2, `unexpected argument "serve"`},
		{"bad dsn", []string{"--dsn", "postgres://%zz"}, nil, 2, "--dsn is not a PostgreSQL connection string"},
		{"help", []string{"-help"}, nil, 0, "-work-delay duration"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			getenv := func(k string) string { return c.env[k] }
			code := run(context.Background(), c.args, getenv, &stdout, &stderr)
			assert.Equal(t, c.code, code, "stderr: %s; %s", stderr.String(), rerun(t))
			if c.code == 0 {
				assert.Contains(t, stdout.String(), c.want, rerun(t))
				return
			}
			assert.Contains(t, stderr.String(), c.want, rerun(t))
			assert.Equal(t, 1, strings.Count(stderr.String(), "\n"), "one line: %q; %s", stderr.String(), rerun(t))
			assert.Empty(t, stdout.String(), "nothing on stdout; "+rerun(t))
		})
	}
}

// process is the service running as a process of its own: the test binary
// started again with serviceEnv set (TestMain then runs main).
type process struct {
	t      *testing.T
	cmd    *exec.Cmd
	url    string
	stderr string      // the file its stderr goes to
	lines  chan string // its first line on stdout
	exited chan struct{}
}

// startProcess starts the service with args and the environment variables
// env, and waits for its "listening on" line.
func startProcess(t *testing.T, env []string, args ...string) *process {
	t.Helper()
	p := launch(t, env, args...)
	p.ready()
	return p
}

// launch starts the service with args and the environment variables env;
// ready then waits for its "listening on" line.
func launch(t *testing.T, env []string, args ...string) *process {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "stderr-")
	require.NoError(t, err, rerun(t))
	defer f.Close()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), serviceEnv+"=1"), env...)
	cmd.Stderr = f
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err, rerun(t))
	require.NoError(t, cmd.Start(), rerun(t))
	p := &process{t: t, cmd: cmd, stderr: f.Name(), lines: make(chan string, 1), exited: make(chan struct{})}
	go func() {
		r := bufio.NewReader(stdout)
		line, _ := r.ReadString('\n')
		p.lines <- line
		// Wait closes stdout: read it to the end first.
		_, _ = r.WriteTo(io.Discard)
		_ = cmd.Wait() // the exit status is in cmd.ProcessState
		close(p.exited)
	}()
	t.Cleanup(p.kill)
	return p
}

func (p *process) ready() {
	t := p.t
	t.Helper()
	select {
	case line := <-p.lines:
		m := regexp.MustCompile(`^listening on (127\.0\.0\.1:\d+)\n$`).FindStringSubmatch(line)
		require.NotNil(t, m, "first line %q; stderr: %s; %s", line, p.log(), rerun(t))
		p.url = "http://" + m[1]
	case <-time.After(waitLimit):
		t.Fatalf("no listening line; stderr: %s; %s", p.log(), rerun(t))
	}
}

func (p *process) log() string {
	b, _ := os.ReadFile(p.stderr)
	return string(b)
}

// stop sends SIGTERM and returns the exit status.
func (p *process) stop() int {
	p.t.Helper()
	require.NoError(p.t, p.cmd.Process.Signal(syscall.SIGTERM), rerun(p.t))
	return p.wait()
}

// kill sends SIGKILL, as a crash, and waits for the process to be gone.
func (p *process) kill() {
	_ = p.cmd.Process.Kill() // an error means it has exited already
	<-p.exited
}

func (p *process) wait() int {
	p.t.Helper()
	select {
	case <-p.exited:
	case <-time.After(waitLimit):
		p.t.Fatalf("the service did not exit; stderr: %s; %s", p.log(), rerun(p.t))
	}
	return p.cmd.ProcessState.ExitCode()
}

func (p *process) post(key, body string) (int, string) {
	p.t.Helper()
	req, err := http.NewRequest(http.MethodPost, p.url+"/payments", strings.NewReader(body))
	require.NoError(p.t, err, rerun(p.t))
	req.Header.Set("Idempotency-Key", key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(p.t, err, rerun(p.t))
	defer resp.Body.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(resp.Body)
	require.NoError(p.t, err, rerun(p.t))
	return resp.StatusCode, b.String()
}

// countPayments counts key's payment rows as --effects-sql would.
func countPayments(t *testing.T, dsn, key string) int {
	t.Helper()
	return queryInt(t, dsn, "select count(*) from payments where idempotency_key = $1", key)
}

func queryInt(t *testing.T, dsn, sql string, args ...any) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err, rerun(t))
	defer conn.Close(context.Background())
	var n int
	require.NoError(t, conn.QueryRow(ctx, sql, args...).Scan(&n), rerun(t))
	return n
}

// Goal: the service as a process keeps the contract a checker relies on:
// it takes its settings from LISTEN, DATABASE_URL, MODE and WORK_DELAY as
// well as from flags, prints "listening on 127.0.0.1:PORT" when ready,
// exits 0 on SIGTERM, creates its tables only when absent (two processes
// starting at once on an empty schema both come up) and, in memory-only,
// forgets its keys when restarted: the retry after a restart pays again.
// Method: start the test binary as the service, on a schema of its own.
func TestProcess(t *testing.T) {
	dsn := testDSN(t)
	a := launch(t, []string{"LISTEN=127.0.0.1:0", "DATABASE_URL=" + dsn, "MODE=memory-only", "WORK_DELAY=1ms"})
	b := launch(t, nil, "--listen", "127.0.0.1:0", "--dsn", dsn, "--mode", "correct", "--work-delay", "1ms")
	a.ready()
	b.ready()
	assert.Equal(t, 0, b.stop(), "exit status after SIGTERM; stderr: %s; %s", b.log(), rerun(t))

	code, first := a.post("k", body1000)
	require.Equal(t, http.StatusCreated, code, "%s; %s", first, rerun(t))
	code, again := a.post("k", body1000)
	assert.Equal(t, http.StatusCreated, code, rerun(t))
	assert.Equal(t, first, again, "replayed from memory; "+rerun(t))
	assert.Equal(t, 0, a.stop(), "exit status after SIGTERM; stderr: %s; %s", a.log(), rerun(t))

	a = startProcess(t, nil, "--listen", "127.0.0.1:0", "--dsn", dsn, "--mode", "memory-only", "--work-delay", "1ms")
	code, after := a.post("k", body1000)
	require.Equal(t, http.StatusCreated, code, "%s; %s", after, rerun(t))
	var p1, p2 payment
	require.NoError(t, json.Unmarshal([]byte(first), &p1), rerun(t))
	require.NoError(t, json.Unmarshal([]byte(after), &p2), rerun(t))
	assert.NotEqual(t, p1.ID, p2.ID, "memory-only forgot the key in the restart and paid again; "+rerun(t))
	assert.Equal(t, 2, countPayments(t, dsn, "k"), rerun(t))
	assert.Equal(t, 0, a.stop(), rerun(t))
}

// Goal: when the process dies in the middle of a payment's work, correct
// leaves nothing behind (its transaction rolls back) so the retry after a
// restart pays once, while 409-in-progress leaves the key committed as in
// progress, so every retry gets 409 and the payment is never made.
// Method: start the service with an hour of work, send a payment, wait
// until it is inside its work (correct: its transaction is open after the
// key's insert; 409-in-progress: the key's row is committed in progress),
// SIGKILL the process, start it again and retry twice.
func TestCrashDuringTheWork(t *testing.T) {
	for _, c := range []struct {
		mode     string
		inWork   string // counts 1 once the request is inside its work
		retry    int
		payments int
	}{
		{"correct", `select count(*) from pg_stat_activity where datname = current_database()
			and state = 'idle in transaction' and query like 'insert into idempotency_keys%'`, http.StatusCreated, 1},
		{"409-in-progress", `select count(*) from idempotency_keys where status = 'in_progress'`, http.StatusConflict, 0},
	} {
		t.Run(c.mode, func(t *testing.T) {
			dsn := testDSN(t)
			p := startProcess(t, nil, "--listen", "127.0.0.1:0", "--dsn", dsn, "--mode", c.mode, "--work-delay", "1h")
			sent := make(chan error, 1)
			go func() {
				req, _ := http.NewRequest(http.MethodPost, p.url+"/payments", strings.NewReader(body1000))
				req.Header.Set("Idempotency-Key", "crash")
				resp, err := http.DefaultClient.Do(req)
				if err == nil {
					resp.Body.Close()
					err = fmt.Errorf("answered %d before the crash", resp.StatusCode)
				}
				sent <- err
			}()
			deadline := time.Now().Add(waitLimit)
			for queryInt(t, dsn, c.inWork) == 0 {
				require.True(t, time.Now().Before(deadline), "the request never reached its work; stderr: %s; %s", p.log(), rerun(t))
				time.Sleep(10 * time.Millisecond)
			}
			p.kill()
			assert.Error(t, <-sent, "the client saw the connection drop; "+rerun(t))

			p = startProcess(t, nil, "--listen", "127.0.0.1:0", "--dsn", dsn, "--mode", c.mode, "--work-delay", "1ms")
			for i := 1; i <= 2; i++ {
				code, body := p.post("crash", body1000)
				assert.Equal(t, c.retry, code, "retry %d after the restart: %s; %s", i, body, rerun(t))
			}
			assert.Equal(t, c.payments, countPayments(t, dsn, "crash"), rerun(t))
			assert.Equal(t, 0, p.stop(), rerun(t))
		})
	}
}

// Goal: a service that cannot reach its database says so and exits 1
// rather than listening. Method: point it at a loopback port where nothing
// listens.
func TestNoDatabase(t *testing.T) {
	port, err := freePort()
	require.NoError(t, err, rerun(t))
	var stdout, stderr bytes.Buffer
	dsn := fmt.Sprintf("host=127.0.0.1 port=%d user=postgres connect_timeout=5", port)
	code := run(context.Background(), []string{"--listen", "127.0.0.1:0", "--dsn", dsn}, func(string) string { return "" }, &stdout, &stderr)
	assert.Equal(t, 1, code, rerun(t))
	assert.Contains(t, stderr.String(), "creating the tables", rerun(t))
	assert.Empty(t, stdout.String(), "never listened; "+rerun(t))
}

// Goal: the tests' schemas reach the service through its DSN in either of
// PostgreSQL's two forms. Method: a table of DSNs and what search_path
// turns them into.
func TestWithSearchPath(t *testing.T) {
	for _, c := range []struct{ dsn, want string }{
		{"host=127.0.0.1 port=5432", "host=127.0.0.1 port=5432 search_path=s1"},
		{"postgres://u@127.0.0.1:5432/db", "postgres://u@127.0.0.1:5432/db?search_path=s1"},
		{"postgres://u@127.0.0.1/db?sslmode=disable", "postgres://u@127.0.0.1/db?search_path=s1&sslmode=disable"},
	} {
		t.Run(c.dsn, func(t *testing.T) {
			assert.Equal(t, c.want, withSearchPath(c.dsn, "s1"), rerun(t))
		})
	}
}
