package live_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim/world"
)

// Goal: a partition cuts live the messages the simulated network cuts,
// and the run gets the simulator's verdict: between the clients and the
// servers (in the proxy), and between a server and the database, the
// gateway, the store and the queue (in the server's adapters). Method: one client's
// one operation, simulated and then live on one throwaway PostgreSQL and
// Redis, with a partition from the start that lasts past the first
// attempt's calls (300 ms: a loaded machine may take tens of milliseconds
// to reach them) and ends before the retry; the live run must log the
// partition once at its start, answer (or not) the first attempt as the
// simulated run does (a 500 when the handler's service call fails, a
// timeout when the request is cut), and end with the same belief and
// violations. Later attempts are not compared one by one: their backoff
// draws come from another stream live.
func TestLivePartitions(t *testing.T) {
	sv := startServices(t)
	for _, tc := range []struct {
		strategy  string
		charge    bool
		partition string
		attempts  int // 0: the default
	}{
		{"select-for-update", false, "servers|db@0s..300ms", 0},
		{"unique-409", false, "clients|servers@0s..500ms", 0},
		// The key stays claimed after the failed charge, and every
		// attempt gets 409 until the budget is spent: keep it short.
		{"stripe-replay", true, "servers|gateway@0s..300ms", 3},
		{"redis-lock", false, "s1|kv@0s..300ms", 0},
		// The first attempt's send to the queue fails (500); the retry
		// finds the key recorded and is told to poll, and the job it
		// never queued leaves the operation stuck, as in the simulation.
		{"async-202-dual-write", false, "servers|queue@0s..300ms", 3},
	} {
		t.Run(tc.partition, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./live")
			part, err := faults.ParsePartition(tc.partition)
			require.NoError(t, err, rerun)
			cfg := oneOp(t, tc.strategy)
			cfg.Charge = tc.charge
			if tc.attempts > 0 {
				cfg.Client.Attempts = tc.attempts
			}
			cfg.Faults.Partitions = []faults.Partition{part}
			simulated, err := world.Run(cfg)
			require.NoError(t, err, rerun)
			require.NotEmpty(t, simulated.History, rerun)

			res := sv.run(t, cfg)
			var logged []faults.Fault
			for _, f := range res.Faults {
				if f.Kind == faults.PartitionFault {
					logged = append(logged, f)
				}
			}
			require.Len(t, logged, 1, "%v; %s", res.Faults, rerun)
			assert.Equal(t, part, logged[0].Partition, rerun)
			assert.Equal(t, part.From, logged[0].At, rerun)

			require.NotEmpty(t, res.History, rerun)
			want, got := simulated.History[0], res.History[0]
			assert.Equal(t, want.TimedOut, got.TimedOut, "first attempt: simulated %+v, live %+v; %s", want, got, rerun)
			assert.Equal(t, want.Status, got.Status, "first attempt: simulated %+v, live %+v; %s", want, got, rerun)
			require.Len(t, res.Outcomes, 1, rerun)
			assert.Equal(t, simulated.Outcomes[0].Belief, res.Outcomes[0].Belief, rerun)
			assert.Equal(t, verdict(simulated), verdict(res.Result), "the verdicts, simulated then live; %s", rerun)
		})
	}
}
