package live_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim/world"
)

// Goal: faults on the links between servers and services happen live at
// the call the simulated world would fault, with its verdict, and the
// list a live run logs replays in the simulator. Method: one client's
// operations on one server; (a) one named fault per case (a lost
// gateway answer, a reset database answer, a lost store request, a lost
// queue answer), simulated and live, must fire in both and give the same
// violations; (b) random rates on the link to the database (--link), live,
// must fire each kind, and the simulator replaying the live run's fault
// list must fire every fault in it and give the live verdict.
func TestLiveServiceLinkFaults(t *testing.T) {
	sv := startServices(t)
	for _, tc := range []struct {
		strategy string
		charge   bool
		fault    string
	}{
		{"naive", true, "drop-response c1/o1.1/a1/gateway1"},
		{"unique-409", false, "reset c1/o1.1/a1/db3"},
		{"redis-lock", false, "drop-request c1/o1.1/a1/kv1"},
		{"async-202-dual-write", false, "drop-response c1/o1.1/a1/queue1"},
	} {
		t.Run(tc.fault, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./live")
			cfg := oneOp(t, tc.strategy)
			cfg.Charge = tc.charge
			f, err := faults.ParseFault(tc.fault)
			require.NoError(t, err, rerun)
			cfg.Faults.Replay = []faults.Fault{f}
			simulated, err := world.Run(cfg)
			require.NoError(t, err, rerun)
			require.Empty(t, simulated.Unfired, "the simulated fault fired; %s", rerun)
			res := sv.run(t, cfg)
			assert.Empty(t, res.Unfired, "the live fault fired; %s", rerun)
			assert.Equal(t, verdict(simulated), verdict(res.Result), "the verdicts, simulated then live; %s", rerun)
		})
	}

	t.Run("random rates replay in the simulator", func(t *testing.T) {
		rerun := testcmd.Rerun(t, "./live")
		cfg := oneOp(t, "unique-409")
		cfg.OpsPerClient = 6
		rule, err := faults.ParseLinkRule("servers-db:drop-request=0.15;drop-response=0.15;reset=0.15")
		require.NoError(t, err, rerun)
		cfg.Faults.Links = []faults.LinkRule{rule}
		res := sv.run(t, cfg)
		fired := map[faults.Kind]int{}
		for _, f := range res.Faults {
			fired[f.Kind]++
		}
		for _, k := range []faults.Kind{faults.DropRequest, faults.DropResponse, faults.Reset} {
			assert.Positive(t, fired[k], "%s never fired (fired: %v); %s", k, fired, rerun)
		}
		cfg.Faults.Replay = res.Faults
		replayed, err := world.Run(cfg)
		require.NoError(t, err, rerun)
		assert.Empty(t, replayed.Unfired, "live faults the simulator's replay did not fire; %s", rerun)
		assert.Equal(t, verdict(res.Result), verdict(replayed), "the verdicts, live then replayed; %s", rerun)
	})
}
