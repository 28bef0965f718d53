package kv_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/kv"
)

// Goal: with persistence off a restart loses every key, on the replica too,
// while the run's counters keep counting.
func TestRestart(t *testing.T) {
	runScriptCases(t, []scriptCase{
		{name: "loses everything", cfg: kv.Config{ReplicaLag: 10 * time.Millisecond}, script: `
			0s SET a 1 -> OK
			0s SET b 2 PX 1ms -> OK
			1ms INCR n -> 1
			1ms STATS -> keys=2 used=104 evicted=0 expired=1 lost=0
			1ms RESTART -> OK
			1ms DUMP -> (empty)
			1ms STATS -> keys=0 used=0 evicted=0 expired=1 lost=0
			1s FAILOVER -> lost 0
			1s DUMP -> (empty)
			1s SET a 3 -> OK
			1s GET a -> "3"`},
		{name: "then evicts as before", cfg: kv.Config{MaxMemory: threeKeys, Policy: kv.AllKeysLRU}, script: `
			0s SET a 1 -> OK
			0s SET b 2 -> OK
			0s RESTART -> OK
			0s SET c 3 -> OK
			0s SET d 4 -> OK
			0s SET e 5 -> OK
			0s SET f 6 -> OK
			0s DUMP -> d=4 e=5 f=6`},
	})
}

// Goal: a failover promotes exactly the writes made at or before
// now-ReplicaLag and loses the later ones (counted per write command);
// with lag 0 it loses nothing; the promoted node reclaims keys that
// expired, keeps the others' TTLs, and keeps working with a fresh replica.
func TestFailover(t *testing.T) {
	lag0 := kv.Config{}
	lag := kv.Config{ReplicaLag: 10 * time.Millisecond}
	runScriptCases(t, []scriptCase{
		{name: "lag 0 loses nothing", cfg: lag0, script: `
			0s SET a 1 -> OK
			1ms SET b 2 PX 1s -> OK
			2ms INCR a -> 2
			2ms DEL missing -> 0
			2ms FAILOVER -> lost 0
			2ms DUMP -> a=2 b=2/999ms
			2ms STATS -> keys=2 used=104 evicted=0 expired=0 lost=0`},
		{name: "lag 0 after deletes", cfg: lag0, script: `
			0s SET a 1 -> OK
			0s SET b 2 -> OK
			0s DEL a -> 1
			0s PEXPIRE b 0s -> 1
			0s SET c 3 -> OK
			0s CAD c 3 -> 1
			0s FAILOVER -> lost 0
			0s DUMP -> (empty)`},
		{name: "lag keeps writes before the window and loses those inside", cfg: lag, script: `
			0s SET a 1 -> OK
			5ms SET b 2 -> OK
			10ms SET a 10 -> OK           # exactly now-lag: kept
			11ms SET c 3 -> OK            # inside the window: lost
			15ms DEL b -> 1               # lost: b comes back
			20ms INCR a -> 11             # lost
			20ms FAILOVER -> lost 3
			20ms DUMP -> a=10 b=2
			20ms STATS -> keys=2 used=105 evicted=0 expired=0 lost=3`},
		{name: "a multi-key delete is one lost write", cfg: lag, script: `
			0s SET a 1 -> OK
			0s SET b 2 -> OK
			0s SET c 3 -> OK
			5ms DEL a b c -> 3
			12ms FAILOVER -> lost 1
			12ms DUMP -> a=1 b=2 c=3`},
		{name: "commands that write nothing are not lost", cfg: lag, script: `
			0s SET a 1 -> OK
			1ms SET a 2 NX -> (nil)
			1ms DEL z -> 0
			1ms PEXPIRE z 1s -> 0
			1ms CAD a 9 -> 0
			1ms INCR x -> 1
			1ms FAILOVER -> lost 2`},
		{name: "the promoted node reclaims expired keys and keeps TTLs", cfg: lag, script: `
			0s SET short 1 PX 15ms -> OK
			0s SET long 2 PX 1s -> OK
			0s SET plain 3 -> OK
			20ms FAILOVER -> lost 0
			20ms DUMP -> long=2/980ms plain=3
			20ms STATS -> keys=2 used=111 evicted=0 expired=1 lost=0
			1s GET long -> (nil)
			1s STATS -> keys=1 used=56 evicted=0 expired=2 lost=0`},
		{name: "a lost PEXPIRE, SET PX and SET", cfg: lag, script: `
			0s SET a 1 PX 100ms -> OK
			0s SET b 2 -> OK
			0s SET c 3 PX 1s -> OK
			15ms PEXPIRE a 1h -> 1        # lost: a keeps its 100ms TTL
			15ms SET b 2 PX 1ms -> OK     # lost: b keeps no TTL
			15ms SET c 4 -> OK            # lost: c keeps 3 and its TTL
			20ms FAILOVER -> lost 3
			20ms DUMP -> a=1/80ms b=2 c=3/980ms
			100ms GET a -> (nil)
			1s GET c -> (nil)
			1s GET b -> "2"`},
		{name: "an expiry reclaimed by the primary in the window is not a lost write", cfg: lag, script: `
			0s SET a 1 PX 5ms -> OK
			12ms GET a -> (nil)
			12ms STATS -> keys=0 used=0 evicted=0 expired=1 lost=0
			12ms FAILOVER -> lost 0
			12ms DUMP -> (empty)
			12ms STATS -> keys=0 used=0 evicted=0 expired=1 lost=0`},
		{name: "keeps working with a fresh replica", cfg: lag, script: `
			0s SET a 1 -> OK
			5ms SET a 2 -> OK
			12ms FAILOVER -> lost 1
			12ms GET a -> "1"
			13ms SET b 1 -> OK
			25ms SET c 1 -> OK
			25ms FAILOVER -> lost 1
			25ms DUMP -> a=1 b=1
			25ms FAILOVER -> lost 0
			25ms DUMP -> a=1 b=1
			25ms STATS -> keys=2 used=104 evicted=0 expired=0 lost=2`},
		{name: "a clock that steps back keeps the write order", cfg: kv.Config{ReplicaLag: 3 * time.Millisecond}, script: `
			0s SET a 1 -> OK
			10ms SET a 2 -> OK
			5ms SET b 1 -> OK       # the node's clock stepped back
			9ms FAILOVER -> lost 2  # b's write came after a's, which is inside the window
			9ms DUMP -> a=1`},
		{name: "evictions reach the replica", cfg: kv.Config{MaxMemory: threeKeys, Policy: kv.AllKeysLRU}, script: `
			0s SET a 1 -> OK
			0s SET b 2 -> OK
			0s SET c 3 -> OK
			0s SET d 4 -> OK
			0s FAILOVER -> lost 0
			0s DUMP -> b=2 c=3 d=4
			0s STATS -> keys=3 used=156 evicted=1 expired=0 lost=0`},
		{name: "a lost write takes its evictions with it", cfg: kv.Config{MaxMemory: threeKeys, Policy: kv.AllKeysLRU, ReplicaLag: 10 * time.Millisecond}, script: `
			0s SET a 1 -> OK
			0s SET b 2 -> OK
			0s SET c 3 -> OK
			5ms SET d 4 -> OK
			12ms FAILOVER -> lost 1
			12ms DUMP -> a=1 b=2 c=3`},
		{name: "the promoted LRU order is write order, not read order", cfg: kv.Config{MaxMemory: threeKeys, Policy: kv.AllKeysLRU}, script: `
			0s SET a 1 -> OK
			0s SET b 2 -> OK
			0s SET c 3 -> OK
			0s GET a -> "1"        # the replica never sees reads
			0s FAILOVER -> lost 0
			0s SET d 4 -> OK
			0s DUMP -> b=2 c=3 d=4
			0s SET b 5 -> OK       # a write does reach it
			0s FAILOVER -> lost 0
			0s SET e 5 -> OK
			0s DUMP -> b=5 d=4 e=5`},
	})
}

// Goal: the pending window stays bounded by the lag: a long run of writes
// with a short lag still fails over losing only the writes in the window.
func TestFailoverLongRun(t *testing.T) {
	const lag = 10 * time.Millisecond
	s := newStore(t, kv.Config{ReplicaLag: lag})
	var now sim.Time
	for i := range 100_000 {
		now = sim.Time(i) * sim.Time(time.Millisecond/10) // 10 writes per ms
		_, err := s.Incr(now, "n")
		if err != nil {
			t.Fatalf("INCR at %s: %v\n%s", now, err, rerun(t))
		}
	}
	// Writes at now-9.9ms .. now are lost: 100 of them.
	assert.Equal(t, 100, s.Failover(now), rerun(t))
	v, _ := s.Get(now, "n")
	assert.Equal(t, "99900", v, rerun(t))
}
