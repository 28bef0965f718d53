package livetest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// RedisServer is where Debian's redis-server package puts the server, which
// make live-deps installs.
const RedisServer = "/usr/bin/redis-server"

// redisStartTimeout bounds how long StartRedis and Restart wait for PING to
// be answered: a server that needs longer is broken, not slow.
const redisStartTimeout = 10 * time.Second

// Redis is a throwaway redis-server on a loopback port, with persistence
// off, owned by one test.
type Redis struct {
	t      testing.TB
	bin    string
	dir    string
	port   int
	cmd    *exec.Cmd
	exited chan struct{} // closed once cmd has been waited for
}

// StartRedis starts an empty redis-server for t on a free loopback port and
// stops it when t ends. Without redis-server it skips t loudly (fails under
// CI=true).
func StartRedis(t testing.TB) *Redis {
	t.Helper()
	Need(t, "Redis", RedisServer)
	r := &Redis{t: t, bin: RedisServer, dir: t.TempDir()}
	t.Cleanup(r.stop)
	// A free port found by listening on :0 can be taken by someone else
	// before redis-server binds it; a few tries make that race harmless.
	var err error
	for range 3 {
		if r.port, err = freePort(); err != nil {
			break
		}
		if err = r.start(); err == nil {
			return r
		}
	}
	t.Fatalf("livetest: cannot start redis-server: %v", err)
	return nil
}

// Addr is the server's host:port.
func (r *Redis) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(r.port)) }

// Restart kills the server if it runs and starts it again, empty, on the
// same port: the store restart fault, with every key lost since nothing is
// persisted. After Kill it ends the downtime.
func (r *Redis) Restart() {
	r.t.Helper()
	r.stop()
	if err := r.start(); err != nil {
		r.t.Fatalf("livetest: cannot restart redis-server on port %d: %v", r.port, err)
	}
}

// Kill stops the server and leaves it down, its keys lost, until Restart:
// the downtime of a store restart, when every command fails to connect.
func (r *Redis) Kill() { r.stop() }

// start runs redis-server on r.port and waits until it answers PING.
func (r *Redis) start() error {
	logFile := filepath.Join(r.dir, "redis.log")
	cmd := exec.Command(r.bin,
		"--bind", "127.0.0.1", "--port", strconv.Itoa(r.port),
		"--save", "", "--appendonly", "no", "--dir", r.dir,
		"--daemonize", "no", "--logfile", logFile)
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait() // killed on purpose, or it failed and the log says why
		close(exited)
	}()
	r.cmd, r.exited = cmd, exited
	deadline := time.Now().Add(redisStartTimeout)
	for {
		if err := ping(r.Addr()); err == nil {
			return nil
		}
		select {
		case <-exited:
			r.cmd = nil
			return fmt.Errorf("redis-server exited at start; its log ends: %s", logTail(logFile))
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			r.stop()
			return fmt.Errorf("no answer to PING on %s within %v; its log ends: %s", r.Addr(), redisStartTimeout, logTail(logFile))
		}
	}
}

// stop kills the process this Redis started, by its pid, and waits for it.
func (r *Redis) stop() {
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Kill() // an error means it had already exited
	<-r.exited
	r.cmd = nil
}

// ping sends PING over a fresh connection and checks for PONG.
func ping(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(time.Second)); err != nil {
		return err
	}
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "+PONG" {
		return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
	}
	return nil
}

// logTail is the last few lines of a server's log, for an error message.
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.Join(lines, " | ")
}
