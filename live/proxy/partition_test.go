package proxy_test

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/live/proxy"
	"github.com/idemsim/idemsim/live/wire"
	"github.com/idemsim/idemsim/sim"
)

// Goal: a partition between a client and a server cuts their messages as
// the simulated network does, on the run's clock: a request sent during it
// never reaches the server, a response sent during it never reaches the
// client (who hears nothing and times out), other pairs and other moments
// pass, and no fault is logged per message. Method: one counting upstream
// behind a proxy whose clock the test sets; for the response, the clock
// moves into the partition while the upstream handles the request.
func TestPartitionCutsMessages(t *testing.T) {
	const ref = "c1/o1.1/a1"
	hour := sim.Time(time.Hour)
	for _, tc := range []struct {
		name      string
		partition string
		clock     sim.Time // the clock when the request arrives
		moveTo    sim.Time // the clock the upstream sets as it handles it (0: unmoved)
		reached   bool     // the upstream handled the request
		answered  bool
	}{
		{"request cut", "c1|s1@0s..1h", 0, 0, false, false},
		{"group cut", "clients|servers@0s..1h", 0, 0, false, false},
		{"another client", "c2|s1@0s..1h", 0, 0, true, true},
		{"another service", "servers|db@0s..1h", 0, 0, true, true},
		{"healed", "c1|s1@0s..1h", hour, 0, true, true},
		{"response cut", "c1|s1@5ms..1h", 0, sim.Time(10 * time.Millisecond), true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			part, err := faults.ParsePartition(tc.partition)
			require.NoError(t, err, rerun(t))
			var clock atomic.Int64
			clock.Store(int64(tc.clock))
			up := newCounter(t, "s1")
			inner := up.srv.Config.Handler
			up.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.moveTo > 0 {
					clock.Store(int64(tc.moveTo))
				}
				inner.ServeHTTP(w, r)
			})
			p, url := start(t, proxy.Plan{Partitions: []faults.Partition{part}, Clock: func() sim.Time { return sim.Time(clock.Load()) }}, up.srv.URL)
			r := post(wire.NewClient(clientTimeout), url, ref, "k1")
			p.Wait()
			assert.Equal(t, tc.reached, len(up.refs()) == 1, "the upstream handled it: %v; %s", up.refs(), rerun(t))
			if tc.answered {
				require.NoError(t, r.err, rerun(t))
				assert.Equal(t, http.StatusCreated, r.status, rerun(t))
			} else {
				require.Error(t, r.err, rerun(t))
				assert.True(t, timedOut(r.err), "want the client's timeout, got %v; %s", r.err, rerun(t))
			}
			assert.Empty(t, p.Fired(), rerun(t))
		})
	}
}

// Goal: the world's --link rules give each client-server pair its own
// link, as the simulated network resolves it: a rule naming one client
// and one server changes that pair only, and a later rule overrides an
// earlier one. Method: two upstreams behind a proxy whose rules drop
// every request from c1 to s1 (and, in a later rule, none from c1 to s2
// that a first rule on all servers dropped); each client sends one
// request to each upstream in turn.
func TestLinkRulesPerPair(t *testing.T) {
	var rules []faults.LinkRule
	for _, s := range []string{"c1-s1:drop-request=1", "c1-servers:drop-response=1", "c1-s2:drop-response=0"} {
		r, err := faults.ParseLinkRule(s)
		require.NoError(t, err, rerun(t))
		rules = append(rules, r)
	}
	s1, s2 := newCounter(t, "s1"), newCounter(t, "s2")
	p, url := start(t, proxy.Plan{Rules: rules}, s1.srv.URL, s2.srv.URL)
	client := wire.NewClient(clientTimeout)
	// Round robin: c1's first request goes to s1, its second to s2; then
	// c2's to s1 and s2.
	got := []result{post(client, url, "c1/o1.1/a1", "k1"), post(client, url, "c1/o1.1/a2", "k1"),
		post(client, url, "c2/o2.1/a1", "k2"), post(client, url, "c2/o2.1/a2", "k2")}
	p.Wait()
	assert.True(t, timedOut(got[0].err), "c1 to s1 is dropped: %v; %s", got[0].err, rerun(t))
	for i, r := range got[1:] {
		require.NoError(t, r.err, "request %d; %s", i+2, rerun(t))
		assert.Equal(t, http.StatusCreated, r.status, rerun(t))
	}
	assert.Equal(t, []string{"c2/o2.1/a1"}, s1.refs(), rerun(t))
	assert.Equal(t, []string{"c1/o1.1/a2", "c2/o2.1/a2"}, s2.refs(), rerun(t))
	var kinds []string
	for _, f := range p.Fired() {
		kinds = append(kinds, f.String())
	}
	assert.Equal(t, []string{"drop-request c1/o1.1/a1"}, identities(p.Fired()), "%v; %s", kinds, rerun(t))
}
