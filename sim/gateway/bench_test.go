package gateway_test

import (
	"strconv"
	"testing"

	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/gateway"
)

// BenchmarkRequests: per iteration, a new keyed charge begun and completed,
// then a retry of it — a replay, a duplicate rejection or a second charge
// depending on the mode — and a lookup by key. Reports requests per second
// (the two Begins; the lookup is counted in the time, not as a request). A
// fresh gateway every 10,000 iterations keeps the ledger the size of a long
// run, so the figure is not the cost of growing one ledger without end.
func BenchmarkRequests(b *testing.B) {
	for _, flag := range []string{"idempotent", "window:30s", "none"} {
		b.Run(flag, func(b *testing.B) {
			cfg := gateway.DefaultConfig()
			var err error
			if cfg.Mode, cfg.Window, err = gateway.ParseMode(flag); err != nil {
				b.Fatal(err)
			}
			var g *gateway.Gateway
			req := gateway.ChargeRequest{AmountCents: 1000, Currency: "usd", Description: "order", Customer: "cus_1"}
			var now sim.Time
			i := 0
			for b.Loop() {
				if i%10000 == 0 {
					if g, err = gateway.New(cfg); err != nil {
						b.Fatal(err)
					}
				}
				i++
				now += sim.Time(sim.Duration(1e6)) // 1ms: the window still covers the retry
				req.IdempotencyKey = "key-" + strconv.Itoa(i)
				req.AmountCents = int64(i) // distinct fingerprints, so the window is about the retry only
				if ticket, _, ok := g.Begin(now, req, int64(i)); ok {
					g.Complete(now, ticket)
				}
				if ticket, _, ok := g.Begin(now, req, int64(i)); ok {
					g.Complete(now, ticket)
				}
				g.LookupByKey(now, req.IdempotencyKey)
			}
			b.ReportMetric(float64(2*i)/b.Elapsed().Seconds(), "requests/s")
		})
	}
}
