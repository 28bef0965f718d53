package live

import (
	"context"
	"slices"
	"time"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/live/decide"
)

// Partitions, live: between clients and servers the proxy cuts the
// messages (proxy.Plan.Partitions); between a server and a service the
// server's adapters do (live/server/link.go), asking serviceLink. Each
// partition is logged once, as it begins, as the simulated network logs
// it.

// partitions are the world's partitions, listed and replayed (a replayed
// one the list also holds counts once, as in sim/network).
func (r *runner) partitions() []faults.Partition {
	p := &r.w.Faults
	parts := append([]faults.Partition{}, p.Partitions...)
	for _, f := range p.Replay {
		if f.Kind == faults.PartitionFault && !slices.ContainsFunc(parts, func(x faults.Partition) bool { return x.String() == f.Partition.String() }) {
			parts = append(parts, f.Partition)
		}
	}
	return parts
}

// schedulePartitions logs each partition at its beginning, if the run
// gets there.
func (r *runner) schedulePartitions(ctx context.Context) {
	for _, part := range r.partitions() {
		r.at(ctx, time.Duration(part.From), func() {
			r.record(faults.Fault{Kind: faults.PartitionFault, At: part.From, Partition: part})
		})
	}
}

// serviceLink decides the fate of the request or answer of the service
// call ref that server makes: lost when a partition separates the server
// and the service now. The caller hears of it after the service link's
// latency at the quantile hash(seed, ref, direction), the time the lost
// message would have taken.
func (r *runner) serviceLink(parts []faults.Partition) func(server string, ref faults.Ref, answered bool) (bool, time.Duration) {
	return func(server string, ref faults.Ref, answered bool) (bool, time.Duration) {
		now := r.now()
		svc := ref.Service.String()
		for _, part := range parts {
			if part.Cuts(server, svc, now) {
				return true, r.serviceDelay(ref, answered)
			}
		}
		return false, 0
	}
}

// serviceDelay is the service link's latency for ref's request or answer.
func (r *runner) serviceDelay(ref faults.Ref, answered bool) time.Duration {
	dir := "service-delay-request"
	if answered {
		dir = "service-delay-response"
	}
	u := min(decide.Uniform(r.w.Seed, ref.String(), dir), 0.999999)
	return time.Duration(r.w.Faults.ServiceLink.Delay.Quantile(u))
}
