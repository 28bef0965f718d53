package instance

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// RedisServer is where Debian's redis-server package puts the server, which
// make live-deps installs.
const RedisServer = "/usr/bin/redis-server"

// redisStartTimeout bounds how long StartRedis and Restart wait for PING to
// be answered: a server that needs longer is broken, not slow.
const redisStartTimeout = 10 * time.Second

// Redis is a throwaway redis-server on a loopback port, with persistence
// off, run as a child of this process. It is not safe for concurrent use.
type Redis struct {
	bin    string
	dir    string
	port   int
	cmd    *exec.Cmd
	exited chan struct{} // closed once cmd has been waited for
}

// StartRedis starts an empty redis-server on a free port of 127.0.0.1,
// with its log in dir/redis.log. The context bounds the start only; the
// server runs until Stop (or Kill).
func StartRedis(ctx context.Context, dir string) (*Redis, error) {
	if err := present(RedisServer); err != nil {
		return nil, fmt.Errorf("instance: redis-server not found (%v): run make live-deps (as root) to install it", err)
	}
	r := &Redis{bin: RedisServer, dir: dir}
	// A free port found by listening on :0 can be taken by someone else
	// before redis-server binds it; a few tries make that race harmless.
	var err error
	for range 3 {
		if r.port, err = freePort(); err != nil {
			break
		}
		if err = r.start(ctx); err == nil {
			return r, nil
		}
	}
	return nil, fmt.Errorf("instance: cannot start redis-server: %w", err)
}

// Addr is the server's host:port.
func (r *Redis) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(r.port)) }

// Pid is the server process's id, 0 while it is down.
func (r *Redis) Pid() int {
	if r.cmd == nil {
		return 0
	}
	return r.cmd.Process.Pid
}

// Restart kills the server if it runs and starts it again, empty, on the
// same port: the store restart fault, with every key lost since nothing is
// persisted. After Kill it ends the downtime.
func (r *Redis) Restart() error {
	r.Kill()
	if err := r.start(context.Background()); err != nil {
		return fmt.Errorf("instance: cannot restart redis-server on port %d: %w", r.port, err)
	}
	return nil
}

// Kill stops the server and leaves it down, its keys lost, until Restart:
// the downtime of a store restart, when every command fails to connect.
func (r *Redis) Kill() {
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Kill() // an error means it had already exited
	<-r.exited
	r.cmd = nil
}

// Stop stops the server for good. Nothing is persisted, so nothing needs a
// gentler end than Kill.
func (r *Redis) Stop() error {
	r.Kill()
	return nil
}

// start runs redis-server on r.port and waits until it answers PING.
func (r *Redis) start(ctx context.Context) error {
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
		case <-ctx.Done():
			r.Kill()
			return fmt.Errorf("redis-server on %s: %w", r.Addr(), ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			r.Kill()
			return fmt.Errorf("no answer to PING on %s within %v; its log ends: %s", r.Addr(), redisStartTimeout, logTail(logFile))
		}
	}
}

// Ping sends PING over a fresh connection and checks for PONG.
func (r *Redis) Ping() error { return ping(r.Addr()) }

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
