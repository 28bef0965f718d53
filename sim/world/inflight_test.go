package world_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/world"
)

// Goal: a run its deadline stops counts every attempt its clients sent,
// as its timeline shows them: the history holds each attempt the outcomes
// count, an attempt still waiting for its answer as unanswered (TimedOut,
// returning at the deadline), and cutting a run changes nothing else (the
// run stopped at a deadline after its end is the whole run, entry for
// entry). Method: stormy worlds of every strategy stopped at several
// deadlines, and whole; count attempts per client and operation both
// ways.
func TestDeadlineCountsAttemptsInFlight(t *testing.T) {
	for _, s := range strategies() {
		t.Run(s.Name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./sim/world")
			for seed := uint64(0); seed < 3; seed++ {
				whole, err := world.Run(stormy(s, seed))
				require.NoError(t, err, rerun)
				for _, d := range []time.Duration{50 * time.Millisecond, 230 * time.Millisecond, 700 * time.Millisecond, 1500 * time.Millisecond, time.Duration(whole.End) + time.Second} {
					cfg := stormy(s, seed)
					cfg.Deadline = d
					res, err := world.Run(cfg)
					require.NoError(t, err, rerun)
					where := fmt.Sprintf("seed %d, deadline %v; %s", seed, d, rerun)
					type clientOp struct {
						client string
						op     string
					}
					counted := map[clientOp]int{}
					for _, o := range res.Outcomes {
						counted[clientOp{o.Client, o.Op.String()}] += o.Attempts
					}
					inHistory := map[clientOp]int{}
					for _, a := range res.History {
						inHistory[clientOp{a.Client, a.Op.String()}]++
						assert.LessOrEqual(t, a.Call, a.Return, where)
						assert.LessOrEqual(t, a.Return, res.End, where)
						if !a.TimedOut {
							assert.NotZero(t, a.Status, "an answered attempt has its status; %s", where)
						}
					}
					for k, n := range counted {
						if n > 0 {
							assert.Equal(t, n, inHistory[k], "attempts of %v in the history; %s", k, where)
						}
					}
					assert.Len(t, inHistory, countNonZero(counted), where)
					if res.Stop != sim.Deadline {
						assert.Equal(t, whole.TraceHash, res.TraceHash, where)
						assert.Equal(t, whole.History, res.History, where)
					}
				}
			}
		})
	}
}

func countNonZero[K comparable](m map[K]int) int {
	n := 0
	for _, v := range m {
		if v > 0 {
			n++
		}
	}
	return n
}

// Goal: the case that showed it: a retry sent and answered by its server
// before the deadline, the answer still on its way, is in the history as
// the second attempt, unanswered, and the first, which timed out, keeps
// its own return. Method: check-then-insert with a crash between the
// payment and the key (the retry pays again), stopped 0.5ms after the
// retry's answer leaves the server.
func TestDeadlineKeepsTheRetryInFlight(t *testing.T) {
	rerun := testcmd.Rerun(t, "./sim/world")
	cfg := world.Defaults()
	cfg.Strategy = models.CheckThenInsert
	cfg.Clients, cfg.OpsPerClient, cfg.Servers = 1, 1, 1
	cfg.Client.Think = sim.Const(0)
	cfg.Client.TimeoutPerAttempt = 300 * time.Millisecond
	cfg.Faults.Link.Delay = sim.Const(5 * time.Millisecond)
	fault, err := faults.ParseFault("crash-at s1:before-record#1+100ms")
	require.NoError(t, err, rerun)
	cfg.Faults.Replay = []faults.Fault{fault}
	whole, err := world.Run(cfg)
	require.NoError(t, err, rerun)
	require.Len(t, whole.History, 2, "the first attempt times out, the retry is answered; %s", rerun)
	require.False(t, whole.History[1].TimedOut, rerun)
	cfg.Deadline = whole.History[1].Return.Sub(0) - 4*time.Millisecond
	res, err := world.Run(cfg)
	require.NoError(t, err, rerun)
	require.Len(t, res.History, 2, "the retry in flight counts; %s", rerun)
	assert.Equal(t, whole.History[0], res.History[0], rerun)
	retry := res.History[1]
	assert.True(t, retry.TimedOut, "no answer read: unanswered; %s", rerun)
	assert.Equal(t, whole.History[1].Call, retry.Call, rerun)
	assert.Equal(t, res.End, retry.Return, "it returns when the run stops; %s", rerun)
	assert.Equal(t, 2, res.Outcomes[0].Attempts, rerun)
	assert.Equal(t, world.Unfinished, res.Outcomes[0].Belief, rerun)
}
