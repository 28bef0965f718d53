package server_test

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/livetest"
	"github.com/idemsim/idemsim/live/server"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// Goal: what the run says of one server beyond its crashes reaches its
// strategy: (a) a skewed, drifting clock is what Env.Now reads, while the
// faults it logs keep the run's time; (b) a database call whose request
// the link loses never runs and fails, and one whose answer it loses ran
// (a COMMIT committed) and fails; either way the handler hears only after
// the wait the link asked for, and each call is asked about by the
// reference the simulation gives it. Method: the test strategy in a
// server.Process whose Skewed or ServiceLink the test sets; the clock
// read is bounded by the skewed readings of the run's clock before and
// after the request, and the wait by the run's clock around it (orders,
// not durations).
func TestSkewAndServiceLink(t *testing.T) {
	if testing.Short() {
		t.Skip("live: starts PostgreSQL and Redis")
	}
	sv := services{pg: livetest.StartPostgres(t), redis: livetest.StartRedis(t)}

	t.Run("skewed clock", func(t *testing.T) {
		skew := world.Clock{Node: "s1", Offset: 3 * time.Second, Drift: 1.01}
		var clock func() sim.Time
		r := sv.startWith(t, "skew", newHooks(false), nil, func(c *server.Config) {
			clock, c.Skewed = c.Clock, skew.Read
		})
		before := clock()
		got, err := r.post(1, "k1", doNow)
		require.NoError(t, err, r.rerun)
		after := clock()
		shown, err := strconv.ParseInt(got.Body, 10, 64)
		require.NoError(t, err, r.rerun)
		assert.GreaterOrEqual(t, shown, int64(skew.Read(before)), r.rerun)
		assert.LessOrEqual(t, shown, int64(skew.Read(after)), r.rerun)
		require.True(t, r.proc.Crash(100*time.Millisecond), r.rerun)
		r.mu.Lock()
		crashed := r.fired[0].At
		r.mu.Unlock()
		assert.LessOrEqual(t, crashed, clock(), "a fault's moment is on the run's clock; %s", r.rerun)
	})

	const wait = 50 * time.Millisecond
	for _, tc := range []struct {
		name     string
		db       string
		call     string // the lost call: Begin is db1, the insert db2, COMMIT db3
		answered bool
		status   int
		rows     []string
	}{
		{"insert lost on its way", "link_request", "c1/o1.1/a1/db2", false, api.StatusConflict, []string{}},
		{"commit's answer lost", "link_answer", "c1/o1.1/a1/db3", true, api.StatusServiceUnavailable, []string{doInsert}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var asked []string
			var clock func() sim.Time
			r := sv.startWith(t, tc.db, newHooks(false), nil, func(c *server.Config) {
				clock = c.Clock
				c.ServiceLink = func(srv string, ref faults.Ref, answered bool) (bool, time.Duration) {
					mu.Lock()
					defer mu.Unlock()
					asked = append(asked, srv+" "+ref.String()+" "+strconv.FormatBool(answered))
					return ref.String() == tc.call && answered == tc.answered, wait
				}
			})
			before := clock()
			got, err := r.post(1, "k1", doInsert)
			require.NoError(t, err, r.rerun)
			assert.GreaterOrEqual(t, clock(), before.Add(wait), "the handler heard before the wait; %s", r.rerun)
			assert.Equal(t, tc.status, got.Status, "%s; %s", got.Body, r.rerun)
			assert.Contains(t, got.Body, "08006", r.rerun)
			assert.Equal(t, tc.rows, r.rows("k1"), r.rerun)
			mu.Lock()
			defer mu.Unlock()
			assert.Contains(t, asked, "s1 "+tc.call+" "+strconv.FormatBool(tc.answered), r.rerun)
			assert.Equal(t, "s1 c1/o1.1/a1/db1 false", asked[0], r.rerun)
		})
	}
}
