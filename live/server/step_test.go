package server_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/livetest"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/live/server"
	"github.com/idemsim/idemsim/sim/api"
)

// Goal: a crash or pause anchored at a handler's step fires there and
// only there: a crash after the handler's INSERT (its second database
// call, after BEGIN) leaves the request unanswered and the row rolled
// back; a pause at the same step holds the handler, which then commits
// and answers; neither fires for another request. Method: the test
// strategy's insert handler (BEGIN, INSERT, COMMIT) in a server.Process
// with a StepFaults armed for request c1/o1.1/a1 after 2 calls; a request
// of another operation first, which must run untouched, then the armed
// one; the faults the process reports are compared.
func TestStepFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("live: starts PostgreSQL and Redis")
	}
	pg, rd := livetest.StartPostgres(t), livetest.StartRedis(t)
	req, err := faults.ParseRef("c1/o1.1/a1")
	require.NoError(t, err, testcmd.Rerun(t, "./live/server"))
	for _, tc := range []struct {
		name string
		kind faults.Kind
		rows []string // k1's rows after the armed request
	}{
		{"crash", faults.CrashFault, []string{}},
		{"pause", faults.PauseFault, []string{doInsert}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			steps := server.NewStepFaults([]faults.StepFault{{Kind: tc.kind, Node: "s1", Request: req, After: 2, Downtime: 200 * time.Millisecond}})
			r := services{pg: pg, redis: rd, steps: steps}.start(t, "step_"+tc.name, newHooks(false), nil)
			got, err := r.post(2, "k2", doInsert)
			require.NoError(t, err, r.rerun)
			assert.Equal(t, api.StatusCreated, got.Status, r.rerun)
			assert.Empty(t, r.firedKinds(), "a fault fired for another request; "+r.rerun)

			got, err = r.post(1, "k1", doInsert)
			if tc.kind == faults.CrashFault {
				assert.Error(t, err, "the crashed request was answered %v; %s", got, r.rerun)
				r.awaitBoot(2)
			} else {
				require.NoError(t, err, r.rerun)
				assert.Equal(t, api.StatusCreated, got.Status, r.rerun)
			}
			assert.Equal(t, []faults.Kind{tc.kind}, r.firedKinds(), r.rerun)
			assert.Equal(t, tc.rows, r.rows("k1"), r.rerun)
			assert.Equal(t, []string{doInsert}, r.rows("k2"), r.rerun)
		})
	}
}
