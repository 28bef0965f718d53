package models_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// Goal: a key past its retention window under retention=DURATION:reject is
// refused with 409 by every strategy that takes the retention switch (the
// status sim/api/switches.go documents and claims/scenarios/12-retention-window.txt
// shows), which the default client policy reads as done; under :accept the
// late retry runs as a new request. Method: one client, its first response
// lost, a retry two hours later over a one-hour window (the reaper sweeps
// every six minutes), for each registered strategy with the switch.
func TestExpiredKeyAnswers409(t *testing.T) {
	for _, name := range models.Names() {
		s, err := models.Lookup(name)
		require.NoError(t, err)
		if !slices.Contains(s.Switches, api.SwitchRetention) {
			continue
		}
		for _, tc := range []struct {
			mode   string
			second []int // the late retry's status: any of these
		}{
			{mode: "reject", second: []int{api.StatusConflict}},
			{mode: "accept", second: []int{api.StatusCreated, api.StatusAccepted}},
		} {
			t.Run(name+"/"+tc.mode, func(t *testing.T) {
				rerun := testcmd.Rerun(t, "./models")
				cfg := lateRetry(t, s, 2*time.Hour)
				cfg.Switches = []string{"retention=1h:" + tc.mode}
				res, err := world.Run(cfg)
				require.NoError(t, err, rerun)
				require.GreaterOrEqual(t, len(res.History), 2, "attempts; %s", rerun)
				assert.True(t, res.History[0].TimedOut, "the first response is lost; %s", rerun)
				assert.Contains(t, tc.second, res.History[1].Status, "the late retry's status; %s", rerun)
				assert.Equal(t, world.BelievedDone, res.Outcomes[0].Belief, "c1's conclusion; %s", rerun)
			})
		}
	}
}
