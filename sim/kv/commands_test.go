package kv_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/kv"
)

// Goal: New accepts every valid Config and rejects each out-of-range field
// with one line naming it and what it accepts.
// Method: table of configs and the words each error must contain.
func TestNewValidatesConfig(t *testing.T) {
	cases := []struct {
		name    string
		cfg     kv.Config
		wantErr []string // empty: valid
	}{
		{name: "zero value", cfg: kv.Config{}},
		{name: "all set", cfg: kv.Config{MaxMemory: 1 << 20, Policy: kv.VolatileTTL, ReplicaLag: time.Second}},
		{name: "negative MaxMemory", cfg: kv.Config{MaxMemory: -1}, wantErr: []string{"MaxMemory", "-1", "0 (unlimited) or more bytes"}},
		{name: "negative ReplicaLag", cfg: kv.Config{ReplicaLag: -time.Millisecond}, wantErr: []string{"ReplicaLag", "-1ms", "0 or more"}},
		{name: "unknown policy", cfg: kv.Config{Policy: 9}, wantErr: []string{"Policy", "EvictionPolicy(9)", "noeviction, allkeys-lru, volatile-ttl"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := kv.New(c.cfg)
			if len(c.wantErr) == 0 {
				require.NoError(t, err, rerun(t))
				assert.Equal(t, c.cfg, s.Config(), rerun(t))
				return
			}
			require.Error(t, err, rerun(t))
			assert.NotContains(t, err.Error(), "\n", "one line\n%s", rerun(t))
			for _, w := range c.wantErr {
				assert.Contains(t, err.Error(), w, rerun(t))
			}
		})
	}
}

// Goal: policies print as Redis names them and parse back; anything else is
// refused with the accepted names.
func TestParsePolicy(t *testing.T) {
	for _, p := range []kv.EvictionPolicy{kv.NoEviction, kv.AllKeysLRU, kv.VolatileTTL} {
		t.Run(p.String(), func(t *testing.T) {
			got, err := kv.ParsePolicy(p.String())
			require.NoError(t, err, rerun(t))
			assert.Equal(t, p, got, rerun(t))
		})
	}
	for _, bad := range []string{"", "lru", "allkeys-lfu", "NOEVICTION"} {
		t.Run("reject "+bad, func(t *testing.T) {
			_, err := kv.ParsePolicy(bad)
			require.Error(t, err, rerun(t))
			assert.Contains(t, err.Error(), "accepted: noeviction, allkeys-lru, volatile-ttl", rerun(t))
			assert.Contains(t, err.Error(), "accepted: "+kv.PolicyNames, rerun(t))
		})
	}
	assert.Equal(t, "noeviction", kv.EvictionPolicy(0).String(), "the zero policy is Redis's default\n%s", rerun(t))
}

// Goal: every command answers as Redis does, alone and in the NX, XX, PX
// and KEEPTTL combinations.
// Method: one script per behaviour, each reply checked (see runScript).
func TestCommands(t *testing.T) {
	runScriptCases(t, []scriptCase{
		{name: "GET", script: `
			0s GET k -> (nil)
			0s SET k v -> OK
			0s GET k -> "v"
			0s SET e "" -> OK
			0s GET e -> ""`},
		{name: "SET overwrites", script: `
			0s SET k a -> OK
			1s SET k b -> OK
			1s GET k -> "b"
			1s STATS -> keys=1 used=52 evicted=0 expired=0 lost=0`},
		{name: "SET NX", script: `
			0s SET k a NX -> OK
			0s SET k b NX -> (nil)
			0s GET k -> "a"`},
		{name: "SET XX", script: `
			0s SET k a XX -> (nil)
			0s GET k -> (nil)
			0s SET k a -> OK
			0s SET k b XX -> OK
			0s GET k -> "b"`},
		{name: "SET NX XX is a syntax error", script: `
			0s SET k a NX XX -> (error) ERR syntax error
			0s GET k -> (nil)`},
		{name: "SET KEEPTTL with PX is a syntax error", script: `
			0s SET k a PX 1s KEEPTTL -> (error) ERR syntax error
			0s GET k -> (nil)`},
		{name: "SET negative PX", script: `
			0s SET k a PX -1ms -> (error) ERR invalid expire time in 'set' command`},
		{name: "SET PX sets and replaces the TTL", script: `
			0s SET k a PX 10ms -> OK
			4ms PTTL k -> 6ms
			4ms SET k b PX 1s -> OK
			5ms PTTL k -> 999ms`},
		{name: "plain SET clears the TTL", script: `
			0s SET k a PX 10ms -> OK
			1ms SET k b -> OK
			1ms PTTL k -> -1
			1h GET k -> "b"`},
		{name: "SET KEEPTTL keeps the TTL", script: `
			0s SET k a PX 10ms -> OK
			4ms SET k b KEEPTTL -> OK
			4ms PTTL k -> 6ms
			9ms GET k -> "b"
			10ms GET k -> (nil)`},
		{name: "SET KEEPTTL on a key without TTL or a new key", script: `
			0s SET k a -> OK
			0s SET k b KEEPTTL -> OK
			0s PTTL k -> -1
			0s SET n x KEEPTTL -> OK
			0s PTTL n -> -1`},
		{name: "SET XX KEEPTTL", script: `
			0s SET k a XX KEEPTTL -> (nil)
			0s SET k a PX 10ms -> OK
			2ms SET k b XX KEEPTTL -> OK
			2ms PTTL k -> 8ms
			2ms GET k -> "b"`},
		{name: "SET NX PX on an expired key", script: `
			0s SET k a PX 10ms -> OK
			9ms SET k b NX PX 10ms -> (nil)
			10ms SET k b NX PX 10ms -> OK
			10ms GET k -> "b"
			10ms PTTL k -> 10ms`},
		{name: "SET XX PX on an expired key", script: `
			0s SET k a PX 10ms -> OK
			10ms SET k b XX PX 10ms -> (nil)
			10ms GET k -> (nil)`},
		{name: "DEL", script: `
			0s SET a 1 -> OK
			0s SET b 2 -> OK
			0s SET c 3 PX 1ms -> OK
			0s DEL a a missing -> 1
			1ms DEL b c -> 1
			1ms DUMP -> (empty)
			1ms STATS -> keys=0 used=0 evicted=0 expired=1 lost=0`},
		{name: "PEXPIRE", script: `
			0s PEXPIRE k 1s -> 0
			0s SET k a -> OK
			0s PEXPIRE k 10ms -> 1
			0s PTTL k -> 10ms
			5ms PEXPIRE k 10ms -> 1
			14ms GET k -> "a"
			15ms GET k -> (nil)
			15ms PEXPIRE k 1s -> 0`},
		{name: "PEXPIRE with TTL <= 0 deletes", script: `
			0s SET a 1 -> OK
			0s SET b 2 -> OK
			0s PEXPIRE a 0s -> 1
			0s PEXPIRE b -1ms -> 1
			0s DUMP -> (empty)
			0s STATS -> keys=0 used=0 evicted=0 expired=0 lost=0`},
		{name: "PTTL", script: `
			0s PTTL k -> -2
			0s SET k a -> OK
			0s PTTL k -> -1
			0s SET t a PX 3s -> OK
			1s PTTL t -> 2s
			3s PTTL t -> -2`},
		{name: "expiry exactly at the boundary", script: `
			1s SET k a PX 10ms -> OK
			1.009999999s PTTL k -> 1ns
			1.009999999s GET k -> "a"
			1.009999999s DUMP -> k=a/1ns
			1.01s GET k -> (nil)
			1.01s PTTL k -> -2
			1.01s STATS -> keys=0 used=0 evicted=0 expired=1 lost=0`},
		{name: "a clock that steps back sees the TTL from its reading", script: `
			20ms SET k a PX 10ms -> OK
			25ms PTTL k -> 5ms
			15ms PTTL k -> 15ms
			30ms GET k -> (nil)
			15ms GET k -> (nil)     # reclaimed is gone for good`},
		{name: "an expired key is reclaimed by any command", script: `
			0s SET k a PX 1ms -> OK
			0s STATS -> keys=1 used=52 evicted=0 expired=0 lost=0
			5ms STATS -> keys=1 used=52 evicted=0 expired=0 lost=0  # Stats is not a command
			5ms DUMP -> (empty)                                      # Dump hides it
			5ms GET other -> (nil)
			5ms STATS -> keys=0 used=0 evicted=0 expired=1 lost=0`},
		{name: "INCR", script: `
			0s INCR n -> 1
			0s INCR n -> 2
			0s SET m 41 -> OK
			0s INCR m -> 42
			0s SET z 0 -> OK
			0s INCR z -> 1
			0s SET neg -5 -> OK
			0s INCR neg -> -4
			0s SET low -9223372036854775808 -> OK
			0s INCR low -> -9223372036854775807
			0s GET low -> "-9223372036854775807"`},
		{name: "INCR keeps the TTL", script: `
			0s SET n 7 PX 10ms -> OK
			4ms INCR n -> 8
			4ms PTTL n -> 6ms
			10ms INCR n -> 1
			10ms PTTL n -> -1`},
		{name: "INCR on values that are not integers", script: `
			0s SET a abc -> OK
			0s INCR a -> (error) ERR value is not an integer or out of range
			0s SET b "" -> OK
			0s INCR b -> (error) ERR value is not an integer or out of range
			0s SET c +1 -> OK
			0s INCR c -> (error) ERR value is not an integer or out of range
			0s SET d 01 -> OK
			0s INCR d -> (error) ERR value is not an integer or out of range
			0s SET e "\x201" -> OK   # " 1"
			0s INCR e -> (error) ERR value is not an integer or out of range
			0s SET f -0 -> OK
			0s INCR f -> (error) ERR value is not an integer or out of range
			0s SET g 1.5 -> OK
			0s INCR g -> (error) ERR value is not an integer or out of range
			0s SET h 9223372036854775808 -> OK
			0s INCR h -> (error) ERR value is not an integer or out of range
			0s SET i - -> OK
			0s INCR i -> (error) ERR value is not an integer or out of range
			0s GET a -> "abc"`},
		{name: "INCR overflow", script: `
			0s SET n 9223372036854775806 -> OK
			0s INCR n -> 9223372036854775807
			0s INCR n -> (error) ERR increment or decrement would overflow
			0s GET n -> "9223372036854775807"`},
		{name: "CompareAndDelete", script: `
			0s CAD lock me -> 0
			0s SET lock me PX 10ms -> OK
			1ms CAD lock you -> 0
			1ms GET lock -> "me"
			1ms CAD lock me -> 1
			1ms GET lock -> (nil)
			1ms CAD lock me -> 0`},
		{name: "CompareAndDelete on an expired value", script: `
			0s SET lock me PX 10ms -> OK
			10ms CAD lock me -> 0
			10ms SET lock you NX PX 10ms -> OK
			11ms CAD lock me -> 0
			11ms GET lock -> "you"`},
		{name: "memory is key plus value plus overhead", script: `
			0s SET key value -> OK
			0s SET k2 "" PX 1s -> OK
			0s STATS -> keys=2 used=110 evicted=0 expired=0 lost=0
			0s SET key v -> OK
			0s STATS -> keys=2 used=106 evicted=0 expired=0 lost=0`},
	})
}

// Goal: the error values match with errors.Is and carry Redis's text.
func TestErrorsAreSentinels(t *testing.T) {
	s := newStore(t, kv.Config{MaxMemory: 60})
	_, err := s.Set(0, "k", "v", kv.SetOptions{NX: true, XX: true})
	assert.ErrorIs(t, err, kv.ErrSyntax, rerun(t))
	_, err = s.Set(0, "k", "v", kv.SetOptions{TTL: -time.Second})
	assert.ErrorIs(t, err, kv.ErrInvalidExpireTime, rerun(t))
	_, err = s.Set(0, "k", "this value does not fit", kv.SetOptions{})
	assert.ErrorIs(t, err, kv.ErrOOM, rerun(t))
	assert.Equal(t, "OOM command not allowed when used memory > 'maxmemory'.", err.Error(), rerun(t))
	_, err = s.Set(0, "k", "x", kv.SetOptions{})
	require.NoError(t, err, rerun(t))
	_, err = s.Incr(0, "k")
	assert.ErrorIs(t, err, kv.ErrNotInteger, rerun(t))
	assert.False(t, errors.Is(err, kv.ErrOverflow), rerun(t))
}

// Goal: every command call counts in Stats.Commands, failed ones too;
// Failover, Restart, Stats and Dump are not commands.
func TestCommandsAreCounted(t *testing.T) {
	s := newStore(t, kv.Config{})
	var now sim.Time
	s.Get(now, "k")
	_, _ = s.Set(now, "k", "1", kv.SetOptions{})
	_, _ = s.Set(now, "k", "1", kv.SetOptions{NX: true, XX: true})
	s.Del(now, "a", "b")
	s.Expire(now, "k", time.Second)
	s.TTL(now, "k")
	_, _ = s.Incr(now, "k")
	s.CompareAndDelete(now, "k", "2")
	s.Failover(now)
	s.Restart()
	s.Dump(now)
	assert.Equal(t, uint64(8), s.Stats().Commands, rerun(t))
}

// Goal: a TTL so long that the expiry time would pass the end of virtual
// time never expires, rather than wrapping into the past.
func TestHugeTTLSaturates(t *testing.T) {
	s := newStore(t, kv.Config{})
	now := sim.Time(time.Hour)
	ok, err := s.Set(now, "k", "v", kv.SetOptions{TTL: sim.Duration(1<<63 - 1)})
	require.NoError(t, err, rerun(t))
	require.True(t, ok, rerun(t))
	_, found := s.Get(now+1, "k")
	assert.True(t, found, rerun(t))
	assert.True(t, s.Expire(now, "k", sim.Duration(1<<63-1)), rerun(t))
	assert.Equal(t, sim.Duration(1<<63-1)-sim.Duration(now), s.TTL(now, "k"), rerun(t))
}
