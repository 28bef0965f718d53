package kv_test

import (
	"testing"

	"github.com/idemsim/idemsim/sim/kv"
)

// Every key in these scripts is one letter with a one-letter value: 52
// bytes, so a 156-byte node holds exactly three.
const threeKeys = 3 * (1 + 1 + kv.KeyOverheadBytes)

// Goal: under noeviction a write that would pass MaxMemory fails with
// Redis's OOM error and changes nothing, while writes that fit (exactly at
// the limit, overwrites that do not grow, deletes) still work.
func TestNoEviction(t *testing.T) {
	cfg := kv.Config{MaxMemory: threeKeys, Policy: kv.NoEviction}
	runScriptCases(t, []scriptCase{
		{name: "full", cfg: cfg, script: `
			0s SET a 1 -> OK
			0s SET b 2 -> OK
			0s SET c 3 -> OK
			0s STATS -> keys=3 used=156 evicted=0 expired=0 lost=0
			0s SET d 4 -> (error) OOM command not allowed when used memory > 'maxmemory'.
			0s SET a 11 -> (error) OOM command not allowed when used memory > 'maxmemory'.
			0s SET a 9 -> OK
			0s INCR a -> (error) OOM command not allowed when used memory > 'maxmemory'.
			0s INCR b -> 3
			0s GET a -> "9"
			0s PEXPIRE a 1s -> 1
			0s DEL c -> 1
			0s SET d 4 -> OK
			0s DUMP -> a=9/1s b=3 d=4
			0s STATS -> keys=3 used=156 evicted=0 expired=0 lost=0`},
		{name: "NX that would not write is not OOM", cfg: cfg, script: `
			0s SET a 1 -> OK
			0s SET b 2 -> OK
			0s SET c 3 -> OK
			0s SET a long-value NX -> (nil)`},
		{name: "expired keys free memory before the check", cfg: cfg, script: `
			0s SET a 1 PX 10ms -> OK
			0s SET b 2 -> OK
			0s SET c 3 -> OK
			9ms SET d 4 -> (error) OOM command not allowed when used memory > 'maxmemory'.
			10ms SET d 4 -> OK
			10ms STATS -> keys=3 used=156 evicted=0 expired=1 lost=0`},
	})
}

// Goal: allkeys-lru evicts exactly the least recently used keys, where
// GET, SET, INCR, PEXPIRE and a compare-and-delete's read touch a key and
// PTTL does not; it never evicts the key being written; a value larger
// than the whole limit fails without evicting anything.
func TestAllKeysLRU(t *testing.T) {
	cfg := kv.Config{MaxMemory: threeKeys, Policy: kv.AllKeysLRU}
	runScriptCases(t, []scriptCase{
		{name: "oldest write goes first", cfg: cfg, script: `
			0s SET a 1 -> OK
			0s SET b 2 -> OK
			0s SET c 3 -> OK
			0s SET d 4 -> OK
			0s DUMP -> b=2 c=3 d=4
			0s STATS -> keys=3 used=156 evicted=1 expired=0 lost=0`},
		{name: "a read touches", cfg: cfg, script: `
			0s SET a 1 -> OK
			0s SET b 2 -> OK
			0s SET c 3 -> OK
			0s GET a -> "1"
			0s SET d 4 -> OK
			0s DUMP -> a=1 c=3 d=4`},
		{name: "writes touch", cfg: cfg, script: `
			0s SET a 1 -> OK
			0s SET b 2 -> OK
			0s SET c 3 -> OK
			0s INCR a -> 2
			0s PEXPIRE b 1h -> 1
			0s SET d 4 -> OK
			0s DUMP -> a=2 b=2/1h0m0s d=4`},
		{name: "compare-and-delete's read touches", cfg: cfg, script: `
			0s SET a 1 -> OK
			0s SET b 2 -> OK
			0s SET c 3 -> OK
			0s CAD a other -> 0
			0s SET d 4 -> OK
			0s DUMP -> a=1 c=3 d=4`},
		{name: "PTTL and a miss do not touch", cfg: cfg, script: `
			0s SET a 1 -> OK
			0s SET b 2 -> OK
			0s SET c 3 -> OK
			0s PTTL a -> -1
			0s GET z -> (nil)
			0s SET d 4 -> OK
			0s DUMP -> b=2 c=3 d=4`},
		{name: "a big write evicts several in order", cfg: cfg, script: `
			0s SET a 1 -> OK
			0s SET b 2 -> OK
			0s SET c 3 -> OK
			0s GET a -> "1"
			0s SET d 0123456789012345678901234567890123456789012345678 -> OK   # 100 bytes
			0s DUMP -> a=1 d=0123456789012345678901234567890123456789012345678
			0s STATS -> keys=2 used=152 evicted=2 expired=0 lost=0`},
		{name: "the written key is not its own victim", cfg: cfg, script: `
			0s SET a 1 -> OK
			0s SET b 2 -> OK
			0s SET c 3 -> OK
			0s SET a 1234 -> OK                       # a is oldest, but b goes
			0s DUMP -> a=1234 c=3
			0s SET a 012345678901234567890123456789012345678901234567890123456789 -> OK   # 111 bytes: c goes
			0s DUMP -> a=012345678901234567890123456789012345678901234567890123456789
			0s SET a 012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789 -> (error) OOM command not allowed when used memory > 'maxmemory'.`},
		{name: "a value larger than the limit evicts nothing", cfg: cfg, script: `
			0s SET a 1 -> OK
			0s SET b 2 -> OK
			0s SET big 0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789 -> (error) OOM command not allowed when used memory > 'maxmemory'.
			0s DUMP -> a=1 b=2
			0s STATS -> keys=2 used=104 evicted=0 expired=0 lost=0`},
		{name: "an expired key is reclaimed, not evicted", cfg: cfg, script: `
			0s SET a 1 -> OK
			0s SET b 2 PX 5ms -> OK
			0s SET c 3 -> OK
			5ms SET d 4 -> OK
			5ms DUMP -> a=1 c=3 d=4
			5ms STATS -> keys=3 used=156 evicted=0 expired=1 lost=0`},
	})
}

// Goal: volatile-ttl evicts keys with a TTL, shortest remaining first and
// ties by key, never a key without TTL; when the keys with a TTL cannot
// free enough the write fails with OOM and evicts nothing.
func TestVolatileTTL(t *testing.T) {
	cfg := kv.Config{MaxMemory: threeKeys, Policy: kv.VolatileTTL}
	runScriptCases(t, []scriptCase{
		{name: "shortest TTL first", cfg: cfg, script: `
			0s SET a 1 PX 5s -> OK
			0s SET b 2 PX 3s -> OK
			0s SET c 3 -> OK
			1s SET d 4 -> OK
			1s DUMP -> a=1/4s c=3 d=4
			1s SET e 5 -> OK
			1s DUMP -> c=3 d=4 e=5
			1s STATS -> keys=3 used=156 evicted=2 expired=0 lost=0`},
		{name: "ties by key", cfg: cfg, script: `
			0s SET c 1 PX 5s -> OK
			0s SET a 2 PX 5s -> OK
			0s SET b 3 PX 5s -> OK
			0s SET d 4 -> OK
			0s DUMP -> b=3/5s c=1/5s d=4
			0s SET e 5 -> OK
			0s DUMP -> c=1/5s d=4 e=5`},
		// The next soonest is either child of the heap's top; one case each.
		{name: "the written key expires first: the next soonest goes", cfg: cfg, script: `
			0s SET t 1 PX 1s -> OK
			0s SET x 2 PX 5s -> OK
			0s SET y 3 PX 2s -> OK
			0s SET t 1234 KEEPTTL -> OK
			0s DUMP -> t=1234/1s x=2/5s`},
		{name: "the written key expires first: the next soonest goes, inserted earlier", cfg: cfg, script: `
			0s SET t 1 PX 1s -> OK
			0s SET y 3 PX 2s -> OK
			0s SET x 2 PX 5s -> OK
			0s SET t 1234 KEEPTTL -> OK
			0s DUMP -> t=1234/1s x=2/5s`},
		{name: "reads do not matter", cfg: cfg, script: `
			0s SET a 1 PX 3s -> OK
			0s SET b 2 PX 5s -> OK
			0s SET c 3 PX 4s -> OK
			0s GET b -> "2"
			0s SET d 4 -> OK
			0s DUMP -> b=2/5s c=3/4s d=4`},
		{name: "no key with a TTL is noeviction", cfg: cfg, script: `
			0s SET a 1 -> OK
			0s SET b 2 -> OK
			0s SET c 3 -> OK
			0s SET d 4 PX 1s -> (error) OOM command not allowed when used memory > 'maxmemory'.
			0s DUMP -> a=1 b=2 c=3`},
		{name: "too few volatile bytes evicts nothing", cfg: cfg, script: `
			0s SET a 1 PX 1s -> OK
			0s SET b 2 -> OK
			0s SET c 3 -> OK
			0s SET d 0123456789012345678901234567890123456789012345678 -> (error) OOM command not allowed when used memory > 'maxmemory'.
			0s DUMP -> a=1/1s b=2 c=3
			0s STATS -> keys=3 used=156 evicted=0 expired=0 lost=0`},
		{name: "the written key is not its own victim", cfg: cfg, script: `
			0s SET a 1 PX 1s -> OK
			0s SET b 2 PX 2s -> OK
			0s SET c 3 -> OK
			0s SET a 1234 KEEPTTL -> OK                # a expires first, but b goes
			0s DUMP -> a=1234/1s c=3
			0s DEL a -> 1
			0s PEXPIRE c 1h -> 1
			0s SET b 2 -> OK
			0s SET c 012345678901234567890123456789012345678901234567890123456789 KEEPTTL -> (error) OOM command not allowed when used memory > 'maxmemory'.   # c is the only key with a TTL
			0s DUMP -> b=2 c=3/1h0m0s
`},
	})
}
