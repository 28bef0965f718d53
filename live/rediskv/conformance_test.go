package rediskv_test

import (
	"errors"
	"fmt"
	"iter"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/livetest"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/live/rediskv"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/kv"
)

func rerun(t *testing.T) string { return testcmd.Rerun(t, "./live/rediskv") }

// simKV is the simulated store behind api.KV, as the world serves it to a
// handler (sim/world/services.go) minus the network: its clock is moved by
// the test's waits instead of running.
type simKV struct {
	s   *kv.Store
	now sim.Time
}

func newSimKV(t *testing.T) *simKV {
	s, err := kv.New(kv.Config{})
	require.NoError(t, err, rerun(t))
	return &simKV{s: s, now: sim.Time(time.Hour)} // any start; not 0, to catch a TTL read as a moment
}

func (k *simKV) Get(key string) (string, bool, error) {
	v, ok := k.s.Get(k.now, key)
	return v, ok, nil
}

func (k *simKV) Set(key, value string, opt api.SetOptions) (bool, error) {
	return k.s.Set(k.now, key, value, kv.SetOptions{NX: opt.NX, XX: opt.XX, TTL: opt.TTL, KeepTTL: opt.KeepTTL})
}

func (k *simKV) Del(keys ...string) (int, error) { return k.s.Del(k.now, keys...), nil }

func (k *simKV) Expire(key string, ttl sim.Duration) (bool, error) {
	return k.s.Expire(k.now, key, ttl), nil
}

func (k *simKV) TTL(key string) (sim.Duration, error) { return k.s.TTL(k.now, key), nil }

func (k *simKV) Incr(key string) (int64, error) { return k.s.Incr(k.now, key) }

func (k *simKV) CompareAndDelete(key, value string) (bool, error) {
	return k.s.CompareAndDelete(k.now, key, value), nil
}

// step is one command of a sequence, or a wait, or a store restart. do
// returns the answer as text (errors by their message, which Redis and
// sim/kv word alike) and, for a TTL, the remaining time, which real time
// makes only approximately equal.
type step struct {
	name    string
	wait    time.Duration
	restart bool
	do      func(api.KV) (answer string, ttl sim.Duration)
}

func answer(v any, err error) (string, sim.Duration) {
	if err != nil {
		return fmt.Sprintf("error %q", err.Error()), 0
	}
	return fmt.Sprint(v), 0
}

func get(key string) step {
	return step{name: "GET " + key, do: func(k api.KV) (string, sim.Duration) {
		v, ok, err := k.Get(key)
		return answer(fmt.Sprintf("%q %v", v, ok), err)
	}}
}

func set(key, value string, opt api.SetOptions) step {
	return step{name: fmt.Sprintf("SET %s %s %+v", key, value, opt), do: func(k api.KV) (string, sim.Duration) {
		return answer(k.Set(key, value, opt))
	}}
}

func del(keys ...string) step {
	return step{name: fmt.Sprint("DEL ", keys), do: func(k api.KV) (string, sim.Duration) {
		return answer(k.Del(keys...))
	}}
}

func expire(key string, ttl time.Duration) step {
	return step{name: fmt.Sprintf("PEXPIRE %s %v", key, ttl), do: func(k api.KV) (string, sim.Duration) {
		return answer(k.Expire(key, ttl))
	}}
}

// ttl answers NoKey, NoExpiry or "live"; the remaining time is compared
// separately.
func ttl(key string) step {
	return step{name: "PTTL " + key, do: func(k api.KV) (string, sim.Duration) {
		d, err := k.TTL(key)
		switch {
		case err != nil:
			return answer(nil, err)
		case d == api.NoKey:
			return "NoKey", 0
		case d == api.NoExpiry:
			return "NoExpiry", 0
		case d > 0:
			return "live", d
		}
		return fmt.Sprintf("impossible TTL %v", d), 0
	}}
}

func incr(key string) step {
	return step{name: "INCR " + key, do: func(k api.KV) (string, sim.Duration) {
		return answer(k.Incr(key))
	}}
}

func cad(key, value string) step {
	return step{name: fmt.Sprintf("CAD %s %s", key, value), do: func(k api.KV) (string, sim.Duration) {
		return answer(k.CompareAndDelete(key, value))
	}}
}

func wait(d time.Duration) step         { return step{name: "wait " + d.String(), wait: d} }
func restartStore() step                { return step{name: "restart", restart: true} }
func px(d time.Duration) api.SetOptions { return api.SetOptions{TTL: d} }

// TTLs and waits are real time on the live side. A short TTL is waited out
// by a wait more than twice as long; a long TTL outlives the whole case by
// far, so that a loaded machine cannot turn an answer around.
const (
	short   = 30 * time.Millisecond
	outwait = 80 * time.Millisecond
	long    = 20 * time.Second
)

// Goal: the live adapter answers every command as the simulated store
// does, errors included, so a strategy sees the same store in both worlds.
// Method: each case is a command sequence run on a fresh redis-server
// through rediskv and on a fresh sim/kv store through the same api.KV
// calls; the answers must be equal step by step, waits are slept live and
// added to the simulated clock, a restart is the process killed and started
// again live and Store.Restart simulated. A remaining TTL must lie between
// the simulated one less the real time the case has taken and the
// simulated one plus the millisecond Redis rounds to.
func TestConformsToSimulatedStore(t *testing.T) {
	cases := []struct {
		name  string
		steps []step
	}{
		{"get set del", []step{
			get("a"), set("a", "1", api.SetOptions{}), get("a"),
			set("a", "2", api.SetOptions{NX: true}), get("a"),
			set("a", "3", api.SetOptions{XX: true}), get("a"),
			set("b", "1", api.SetOptions{XX: true}), get("b"),
			set("b", "1", api.SetOptions{NX: true}), get("b"),
			del("a", "b", "missing"), del(), get("a"), del("a"),
			set("empty", "", api.SetOptions{}), get("empty"),
		}},
		{"option errors", []step{
			set("a", "1", api.SetOptions{NX: true, XX: true}),
			set("a", "1", api.SetOptions{KeepTTL: true, TTL: long}),
			set("a", "1", api.SetOptions{TTL: -time.Millisecond}),
			get("a"),
		}},
		{"incr", []step{
			incr("n"), incr("n"), get("n"), ttl("n"),
			set("s", "abc", api.SetOptions{}), incr("s"),
			set("lead", "01", api.SetOptions{}), incr("lead"),
			set("plus", "+1", api.SetOptions{}), incr("plus"),
			set("neg", "-5", api.SetOptions{}), incr("neg"),
			set("max", "9223372036854775807", api.SetOptions{}), incr("max"), get("max"),
			set("t", "5", px(long)), incr("t"), ttl("t"),
		}},
		{"ttl and expire", []step{
			ttl("a"), set("a", "1", api.SetOptions{}), ttl("a"),
			set("a", "1", px(long)), ttl("a"),
			expire("missing", long), ttl("missing"),
			expire("a", 2*long), ttl("a"),
			expire("a", 0), get("a"), ttl("a"),
			set("b", "1", api.SetOptions{}), expire("b", -time.Second), get("b"),
			set("c", "1", px(long)), set("c", "2", api.SetOptions{}), ttl("c"),
		}},
		{"expiry", []step{
			set("a", "1", px(short)), set("b", "1", px(long)),
			set("c", "1", api.SetOptions{}), expire("c", short),
			set("sub", "1", px(500*time.Microsecond)),
			get("a"), ttl("b"),
			wait(outwait),
			get("a"), ttl("a"), get("b"), get("c"), get("sub"), ttl("sub"),
			set("a", "2", api.SetOptions{NX: true}), get("a"), ttl("a"),
			set("d", "1", px(short)), wait(outwait),
			set("d", "2", api.SetOptions{XX: true}), get("d"), incr("d"), ttl("d"),
		}},
		{"keepttl", []step{
			set("a", "1", px(short)), set("a", "2", api.SetOptions{KeepTTL: true}), get("a"),
			set("b", "1", px(short)), set("b", "2", api.SetOptions{}), ttl("b"),
			set("c", "1", api.SetOptions{KeepTTL: true}), ttl("c"),
			set("d", "1", px(long)), set("d", "2", api.SetOptions{KeepTTL: true, XX: true}), ttl("d"),
			wait(outwait),
			get("a"), ttl("a"), get("b"), ttl("b"), get("c"), get("d"),
		}},
		{"compare and delete", []step{
			cad("lock", "me"),
			set("lock", "me", px(long)), cad("lock", "you"), get("lock"),
			cad("lock", "me"), get("lock"), cad("lock", "me"),
			set("lock", "", api.SetOptions{}), cad("lock", ""), get("lock"),
			set("short", "me", px(short)), wait(outwait), cad("short", "me"),
		}},
		{"restart loses every key", []step{
			set("a", "1", api.SetOptions{}), set("b", "2", px(long)), incr("n"),
			set("lock", "me", api.SetOptions{}), cad("lock", "other"),
			restartStore(),
			get("a"), ttl("b"), get("n"), incr("n"),
			// The script cache went with the process: EVALSHA misses and
			// the adapter must fall back to EVAL.
			cad("lock", "me"), set("lock", "me", api.SetOptions{}), cad("lock", "me"), get("lock"),
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := livetest.StartRedis(t)
			live := rediskv.New(srv.Addr(), rediskv.Options{PoolSize: 1})
			t.Cleanup(func() { _ = live.Close() })
			simulated := newSimKV(t)
			start := time.Now()
			for i, s := range c.steps {
				where := fmt.Sprintf("step %d (%s)", i, s.name)
				switch {
				case s.wait > 0:
					time.Sleep(s.wait)
					simulated.now = simulated.now.Add(s.wait)
					continue
				case s.restart:
					srv.Restart()
					simulated.s.Restart()
					reconnect(t, live)
					continue
				}
				want, wantTTL := s.do(simulated)
				got, gotTTL := s.do(live)
				require.Equal(t, want, got, "%s: live answer differs from the simulated store\n%s", where, rerun(t))
				if wantTTL > 0 {
					elapsed := time.Since(start)
					assert.LessOrEqual(t, gotTTL, wantTTL+time.Millisecond, "%s: live TTL longer than simulated\n%s", where, rerun(t))
					assert.GreaterOrEqual(t, gotTTL, wantTTL-elapsed-time.Millisecond, "%s: live TTL shorter than simulated by more than the %v the case took\n%s", where, elapsed, rerun(t))
				}
			}
		})
	}
}

// reconnect waits out the connection a restart broke. go-redis checks a
// pooled connection before reusing it and dials again, so usually nothing
// fails; should the check miss, the command fails once with
// api.ErrConnection, as a strategy would see it. The simulated store,
// restarted without downtime, has nothing to wait out.
func reconnect(t *testing.T, live *rediskv.Store) {
	t.Helper()
	for range 3 {
		_, _, err := live.Get("reconnect")
		if err == nil {
			return
		}
		require.ErrorIs(t, err, api.ErrConnection, "after a restart only connection errors are expected\n%s", rerun(t))
	}
	t.Fatalf("the store still fails three commands after its restart\n%s", rerun(t))
}

// Goal: the commands strategies race on are atomic on the real server as
// they are in the simulated one: one SET NX wins, one CompareAndDelete
// deletes, INCRs never lose a count.
// Method: rounds of concurrent clients (one connection each) on one live
// server; the simulated store runs the same calls one after another, which
// is one of the interleavings the live server may choose. The number of
// winners and the final state must agree.
func TestRacesAgree(t *testing.T) {
	const clients, rounds = 8, 10
	srv := livetest.StartRedis(t)
	live := rediskv.New(srv.Addr(), rediskv.Options{PoolSize: clients})
	t.Cleanup(func() { _ = live.Close() })
	simulated := newSimKV(t)

	// race runs call for clients 0..n-1 on the simulated store one after
	// another, then on the live one all at once, and counts who won on each.
	race := func(n int, call func(k api.KV, i int) bool) (simWins, liveWins int) {
		for i := range n {
			if call(simulated, i) {
				simWins++
			}
		}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				won := call(live, i)
				mu.Lock()
				defer mu.Unlock()
				if won {
					liveWins++
				}
			})
		}
		wg.Wait()
		return simWins, liveWins
	}
	for r := range rounds {
		key := "lock" + strconv.Itoa(r)
		t.Run("round "+strconv.Itoa(r), func(t *testing.T) {
			simWins, liveWins := race(clients, func(k api.KV, i int) bool {
				ok, err := k.Set(key, "owner"+strconv.Itoa(i), api.SetOptions{NX: true, TTL: long})
				assert.NoError(t, err, rerun(t))
				return ok
			})
			assert.Equal(t, 1, simWins, "simulated SET NX winners\n%s", rerun(t))
			assert.Equal(t, simWins, liveWins, "live SET NX winners\n%s", rerun(t))

			// Every client releases with the winner's value of its store.
			owners := map[api.KV]string{}
			for _, k := range []api.KV{simulated, live} {
				v, ok, err := k.Get(key)
				require.NoError(t, err, rerun(t))
				require.True(t, ok, "the winner's key is there\n%s", rerun(t))
				owners[k] = v
			}
			simWins, liveWins = race(clients, func(k api.KV, i int) bool {
				ok, err := k.CompareAndDelete(key, owners[k])
				assert.NoError(t, err, rerun(t))
				return ok
			})
			assert.Equal(t, 1, simWins, "simulated CompareAndDelete winners\n%s", rerun(t))
			assert.Equal(t, simWins, liveWins, "live CompareAndDelete winners\n%s", rerun(t))

			counter := "n" + strconv.Itoa(r)
			seen := make([]bool, clients+1)
			var mu sync.Mutex
			race(clients, func(k api.KV, i int) bool {
				n, err := k.Incr(counter)
				assert.NoError(t, err, rerun(t))
				if k == api.KV(live) && n >= 1 && n <= clients {
					mu.Lock()
					seen[n] = true
					mu.Unlock()
				}
				return false
			})
			for n := 1; n <= clients; n++ {
				assert.True(t, seen[n], "live INCR answered %d to no client: a count was lost or doubled\n%s", n, rerun(t))
			}
		})
	}
}

// Goal: a store that is down or silent reaches the strategy as the
// simulation reports it, once per call: api.ErrConnection when nothing
// listens or the process died, api.ErrTimeout when the answer does not
// come in time. Runs without redis-server.
// Method: point the adapter at a port nobody listens on, and at a listener
// that accepts and never answers, with a short read timeout.
func TestDownStoreErrors(t *testing.T) {
	closed, err := netListen()
	require.NoError(t, err, rerun(t))
	deadAddr := closed.Addr().String()
	require.NoError(t, closed.Close(), rerun(t))

	silent, err := netListen()
	require.NoError(t, err, rerun(t))
	t.Cleanup(func() { _ = silent.Close() })
	go acceptAndHold(silent)

	cases := []struct {
		name        string
		addr        string
		wantTimeout bool
	}{
		{"nothing listens", deadAddr, false},
		{"never answers", silent.Addr().String(), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := rediskv.New(c.addr, rediskv.Options{DialTimeout: time.Second, ReadTimeout: 50 * time.Millisecond, WriteTimeout: 50 * time.Millisecond})
			t.Cleanup(func() { _ = s.Close() })
			for name, call := range kvCalls(s) {
				err := call()
				require.Error(t, err, "%s\n%s", name, rerun(t))
				assert.ErrorIs(t, err, api.ErrConnection, "%s: %v\n%s", name, err, rerun(t))
				assert.Equal(t, c.wantTimeout, errors.Is(err, api.ErrTimeout), "%s is a timeout: %v\n%s", name, err, rerun(t))
			}
		})
	}
}

// Goal: while the store is down between a kill and its restart, every
// command fails once with api.ErrConnection (not a timeout, and not
// retried inside go-redis); after the restart the store answers, empty.
// go-redis stops dialing after as many failed dials in a row as its pool
// has connections and probes again once a second: with a pool larger than
// the failures the store answers at once, with a smaller one the outage
// outlasts the restart by up to that second, still as api.ErrConnection.
// Method: a live server is killed under the adapter's connection, each
// command is called, the server restarted; INCR, retried on a connection
// error for at most 3 s, must count from 1.
func TestDownDuringRestart(t *testing.T) {
	cases := []struct {
		name      string
		poolSize  int
		answersAt bool // the first command after the restart succeeds
	}{
		{"pool larger than the failures", 16, true},
		{"pool of one", 1, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := livetest.StartRedis(t)
			live := rediskv.New(srv.Addr(), rediskv.Options{PoolSize: c.poolSize})
			t.Cleanup(func() { _ = live.Close() })
			_, err := live.Set("a", "1", api.SetOptions{})
			require.NoError(t, err, rerun(t))
			srv.Kill()
			for name, call := range kvCalls(live) {
				err := call()
				require.Error(t, err, "%s while the store is down\n%s", name, rerun(t))
				assert.ErrorIs(t, err, api.ErrConnection, "%s: %v\n%s", name, err, rerun(t))
				assert.NotErrorIs(t, err, api.ErrTimeout, "%s: %v\n%s", name, err, rerun(t))
			}
			srv.Restart()
			restarted := time.Now()
			failures := 0
			n, err := live.Incr("a")
			for err != nil && time.Since(restarted) < 3*time.Second {
				require.ErrorIs(t, err, api.ErrConnection, rerun(t))
				failures++
				time.Sleep(20 * time.Millisecond)
				n, err = live.Incr("a")
			}
			require.NoError(t, err, "the store still fails 3 s after its restart\n%s", rerun(t))
			t.Logf("answered %v after the restart, %d failed INCRs", time.Since(restarted).Round(time.Millisecond), failures)
			if c.answersAt {
				assert.Zero(t, failures, "INCRs failed after the restart\n%s", rerun(t))
			}
			assert.Equal(t, int64(1), n, "the key went with the restart, and no failed INCR ran\n%s", rerun(t))
		})
	}
}

// kvCalls calls each of the store's commands once, in a fixed order.
func kvCalls(s api.KV) iter.Seq2[string, func() error] {
	calls := []struct {
		name string
		call func() error
	}{
		{"GET", func() error { _, _, err := s.Get("k"); return err }},
		{"SET", func() error { _, err := s.Set("k", "v", api.SetOptions{NX: true}); return err }},
		{"DEL", func() error { _, err := s.Del("k"); return err }},
		{"PEXPIRE", func() error { _, err := s.Expire("k", time.Second); return err }},
		{"PTTL", func() error { _, err := s.TTL("k"); return err }},
		{"INCR", func() error { _, err := s.Incr("k"); return err }},
		{"CAD", func() error { _, err := s.CompareAndDelete("k", "v"); return err }},
	}
	return func(yield func(string, func() error) bool) {
		for _, c := range calls {
			if !yield(c.name, c.call) {
				return
			}
		}
	}
}

func netListen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

// acceptAndHold accepts connections and never answers them, until l closes.
func acceptAndHold(l net.Listener) {
	var held []net.Conn
	defer func() {
		for _, c := range held {
			_ = c.Close()
		}
	}()
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		held = append(held, c)
	}
}
