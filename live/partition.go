package live

import (
	"context"
	"slices"
	"time"

	"github.com/idemsim/idemsim/faults"
)

// Partitions, live: between clients and servers the proxy cuts the
// messages (proxy.Plan.Partitions); between a server and a service the
// server's adapters do (live/server/link.go), asking serviceLink
// (servicelink.go). Each partition is logged once, as it begins, as the
// simulated network logs it.

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
