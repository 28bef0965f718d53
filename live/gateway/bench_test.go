package gateway_test

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/live/gateway"
	"github.com/idemsim/idemsim/sim/api"
	simgw "github.com/idemsim/idemsim/sim/gateway"
)

// benchCalls numbers the benchmark's calls across its rounds, so that a key is
// never reused by a later round.
var benchCalls atomic.Int64

// BenchmarkCharges measures charges per second through the live gateway:
// 8 callers at once (b.SetParallelism over GOMAXPROCS), every key charged
// once and replayed once, over loopback HTTP into a
// throwaway PostgreSQL 15 (fsync off). Run with
// go test -run '^$' -bench Charges ./live/gateway
func BenchmarkCharges(b *testing.B) {
	pg := startPostgres(b)
	_, url := serve(b, pg.database(b), simgw.DefaultConfig(), nil)
	client := gateway.NewClient(url, waitLimit)
	b.SetParallelism(max(1, 8/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := benchCalls.Add(1)
			key := fmt.Sprintf("k%d", i/2) // every key twice: a charge, then a replay
			res, err := client.For("", "").Charge(api.ChargeRequest{Amount: 100, Currency: "usd", IdempotencyKey: key})
			require.NoError(b, err)
			// 409 when the key's two calls ran at once.
			require.Contains(b, []int{200, 409}, res.Status)
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
}
