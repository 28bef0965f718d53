package kv_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/kv"
)

// BenchmarkSetGet: one SET with a 5ms TTL and one GET per iteration over
// 10,000 keys, the clock advancing 1µs per iteration: each key is rewritten
// every 10ms, so half of them have expired and are reclaimed in between.
// The configurations add what costs: eviction under a limit that holds
// about half the keys, and a replica whose pending window holds 1ms of
// writes.
func BenchmarkSetGet(b *testing.B) {
	keys := make([]string, 10_000)
	for i := range keys {
		keys[i] = "idempotency-key-" + strconv.Itoa(i)
	}
	value := `{"status":201,"body":"payment created"}`
	half := int64(len(keys)/2) * (int64(len(keys[0])+len(value)) + kv.KeyOverheadBytes)
	for _, c := range []struct {
		name string
		cfg  kv.Config
	}{
		{"unlimited", kv.Config{}},
		{"allkeys-lru", kv.Config{MaxMemory: half, Policy: kv.AllKeysLRU}},
		{"volatile-ttl", kv.Config{MaxMemory: half, Policy: kv.VolatileTTL}},
		{"replica lag 1ms", kv.Config{ReplicaLag: time.Millisecond}},
	} {
		b.Run(c.name, func(b *testing.B) {
			s, err := kv.New(c.cfg)
			if err != nil {
				b.Fatal(err)
			}
			var now sim.Time
			i := 0
			for b.Loop() {
				now = now.Add(time.Microsecond)
				if _, err := s.Set(now, keys[i%len(keys)], value, kv.SetOptions{TTL: 5 * time.Millisecond}); err != nil {
					b.Fatal(err)
				}
				s.Get(now, keys[(i*7)%len(keys)])
				i++
			}
			b.ReportMetric(float64(2*i)/b.Elapsed().Seconds(), "ops/s")
		})
	}
}
