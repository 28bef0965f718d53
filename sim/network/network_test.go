package network_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/network"
)

// forever is a virtual deadline no test reaches: every run here ends
// quiescent, and Run reporting Deadline would mean a message loop.
const forever = sim.Time(1 << 62)

// z999 is the two-sided 99.9% quantile of the standard normal: a rate test
// with a fixed seed fails by chance for one seed in a thousand.
const z999 = 3.2905

// repro is the command that reruns exactly the failing (sub)test; every
// failure message carries it.
func repro(t *testing.T) string { return testcmd.Rerun(t, "./sim/network") + " -count=1 -v" }

// opID gives message i of a test its own operation, so that every fault
// record names one message. Index stays below 1<<15 (ParseOpID's bound and
// the trace's packing of an operation into 32 bits).
func opID(i int) api.OpID {
	return api.OpID{Queue: int32(i/30000 + 1), Index: int32(i%30000 + 1)}
}

// rig is one simulated network with the fault log and trace it writes to.
type rig struct {
	k   *sim.Kernel
	tr  *sim.Trace
	log *faults.Log
	net *network.Network
}

func newRig(seed uint64, plan faults.Plan) *rig {
	r := &rig{k: sim.New(sim.NewSeeded(seed)), tr: sim.NewTrace(false), log: &faults.Log{}}
	r.net = network.New(r.k, r.tr, r.log, plan)
	return r
}

// call is one call from src as attempt attempt of op; it reports whether
// the response arrived.
func (r *rig) call(p *sim.Proc, src, dst network.NodeID, op api.OpID, attempt int32, payload any, timeout sim.Duration) (any, bool) {
	resp, out := r.net.Call(p, src, dst, faults.Ref{Caller: r.net.Name(src), Op: op, Attempt: attempt}, payload, timeout)
	return resp, out == network.Answered
}

// echo is the plainest server: it answers every request at once.
func (r *rig) echo(m *network.Msg) { r.net.Reply(m, m.Payload) }

// run starts the network, runs the kernel until nothing is left to do and
// closes it.
func (r *rig) run(t *testing.T) {
	t.Helper()
	require.NoError(t, r.net.Start(), repro(t))
	stop := r.k.Run(forever)
	r.k.Close()
	require.Equal(t, sim.Quiescent, stop, "the run should end with no event left; %s", repro(t))
}

// callSequentially spawns one actor that makes n calls from src to dst, one
// after the other, call i being the first attempt of operation opID(i) with
// payload i. before runs just before each call, after with its outcome.
func (r *rig) callSequentially(src, dst network.NodeID, n int, timeout sim.Duration, before func(i int), after func(i int, ok bool)) {
	r.k.Spawn("caller", func(p *sim.Proc) {
		for i := range n {
			if before != nil {
				before(i)
			}
			_, ok := r.call(p, src, dst, opID(i), 1, i, timeout)
			if after != nil {
				after(i, ok)
			}
		}
	})
}

// assertRate checks that hits out of n trials is within the 99.9% normal
// interval of a binomial with probability p. For p of 0 or 1 the interval is
// a single point, so the check is exact.
func assertRate(t *testing.T, what string, hits, n int, p float64) {
	t.Helper()
	observed := float64(hits) / float64(n)
	halfWidth := z999 * math.Sqrt(p*(1-p)/float64(n))
	assert.InDelta(t, p, observed, halfWidth+1e-12,
		"%s: %d of %d (%.5f), want %.5f ± %.5f (99.9%% binomial interval); %s",
		what, hits, n, observed, p, halfWidth, repro(t))
}

// assertConserved checks the accounting identity of a finished run: every
// message put on the wire (sent, plus the network's copies) was delivered,
// dropped, cut by a partition or arrived late. Resets are never sent.
func assertConserved(t *testing.T, s network.Stats) {
	t.Helper()
	assert.Equal(t, s.Sent+s.Duplicated, s.Delivered+s.Dropped+s.Cut+s.Late,
		"sent+duplicated must equal delivered+dropped+cut+late once the run is quiescent (stats %+v); %s", s, repro(t))
}

// Goal: each direction's drop rate is the configured probability, and the
// fault log, the stats and the callers agree on how many messages were lost.
// Method: one client makes 100,000 sequential calls to an echo server with
// DropRequestRate (or DropResponseRate) p; the count of drop faults in the
// log must lie in p's 99.9% binomial interval, equal Stats.Dropped, equal the
// number of calls that timed out, name each message once, and leave the
// other direction untouched. p = 0 never drops and p = 1 always does.
func TestDropRates(t *testing.T) {
	const n = 100_000
	const timeout = 10 * time.Millisecond
	for _, dir := range []network.Dir{network.Request, network.Response} {
		t.Run(dir.String(), func(t *testing.T) {
			for _, p := range []float64{0, 0.01, 0.05, 0.2, 0.5, 1} {
				t.Run(fmt.Sprintf("p=%g", p), func(t *testing.T) {
					link := faults.Link{Delay: sim.Const(time.Millisecond)}
					kind, other := faults.DropRequest, faults.DropResponse
					if dir == network.Request {
						link.DropRequestRate = p
					} else {
						link.DropResponseRate = p
						kind, other = faults.DropResponse, faults.DropRequest
					}
					r := newRig(7, faults.Plan{Link: link})
					c1 := r.net.AddNode("c1", "clients", nil)
					served := 0
					s1 := r.net.AddNode("s1", "servers", func(m *network.Msg) {
						served++
						r.echo(m)
					})
					timedOut := 0
					r.callSequentially(c1, s1, n, timeout, nil, func(_ int, ok bool) {
						if !ok {
							timedOut++
						}
					})
					r.run(t)

					drops := r.log.Count(kind)
					stats := r.net.Stats()
					assertRate(t, kind.String()+" rate", drops, n, p)
					assert.Equal(t, drops, int(stats.Dropped), "drop faults in the log vs Stats.Dropped; %s", repro(t))
					assert.Equal(t, drops, timedOut, "every drop, and only a drop, makes a call time out; %s", repro(t))
					assert.Zero(t, r.log.Count(other), "no %s configured, none may fire; %s", other, repro(t))
					assert.Len(t, r.log.Faults(), drops, "only drops were configured; %s", repro(t))
					if dir == network.Request {
						assert.Equal(t, n-drops, served, "a dropped request never reaches the server; %s", repro(t))
					} else {
						assert.Equal(t, n, served, "a dropped response was processed first; %s", repro(t))
					}
					// Counted, not asserted one by one: 100,000 asserts cost
					// more than the simulation.
					seen := make(map[faults.Ref]bool, drops)
					var named, strangers []string
					for _, f := range r.log.Faults() {
						if seen[f.Msg] {
							named = append(named, f.String())
						}
						seen[f.Msg] = true
						if f.Msg.Caller != "c1" || f.Msg.Copy || f.Msg.Attempt != 1 {
							strangers = append(strangers, f.String())
						}
					}
					assert.Empty(t, named, "faults naming an already-named message (each message has one identity); %s", repro(t))
					assert.Empty(t, strangers, "faults naming a message that was never sent (c1, attempt 1, no copies); %s", repro(t))
					assert.Zero(t, stats.Late+stats.Cut+stats.Duplicated+stats.Reset, "stats %+v; %s", stats, repro(t))
					assertConserved(t, stats)
				})
			}
		})
	}
}

// Goal: DuplicateRate p copies each original request and response with
// probability p; the copy arrives after the original, exactly the fault's
// Extra later; a copy is never copied again.
// Method: one client makes 100,000 sequential calls to a server that counts
// every delivery and answers only originals (so every response copy is the
// network's duplicate). Rates of both fault kinds must lie in p's 99.9%
// interval and sum to Stats.Duplicated; the server must see each operation's
// original first and at most one copy, at the original's arrival + Extra; no
// fault may name a copy; every response copy must arrive after the caller
// got the original (Stats.Late). The delay law has a 1ms floor so that a
// copy is strictly later, never tied with its original.
func TestDuplicateRates(t *testing.T) {
	const n = 100_000
	const timeout = 50 * time.Millisecond
	for _, p := range []float64{0, 0.01, 0.05, 0.2, 0.5, 1} {
		t.Run(fmt.Sprintf("p=%g", p), func(t *testing.T) {
			plan := faults.Plan{Link: faults.Link{Delay: sim.Uniform(time.Millisecond, 5*time.Millisecond), DuplicateRate: p}}
			r := newRig(11, plan)
			c1 := r.net.AddNode("c1", "clients", nil)
			original := make([]sim.Time, n) // arrival of operation i's original at the server, 0 if none
			copyAt := make([]sim.Time, n)   // arrival of its copy
			var misordered, extraCopies, copies int
			s1 := r.net.AddNode("s1", "servers", func(m *network.Msg) {
				i := m.Payload.(int)
				switch {
				case !m.Ref.Copy && original[i] == 0 && copyAt[i] == 0:
					original[i] = r.k.Now()
					r.net.Reply(m, i)
				case m.Ref.Copy && original[i] == 0:
					misordered++
				case m.Ref.Copy && copyAt[i] == 0:
					copies++
					copyAt[i] = r.k.Now()
				default:
					extraCopies++
				}
			})
			answered := 0
			r.callSequentially(c1, s1, n, timeout, nil, func(_ int, ok bool) {
				if ok {
					answered++
				}
			})
			r.run(t)

			dupRequests := r.log.Count(faults.DuplicateRequest)
			dupResponses := r.log.Count(faults.DuplicateResponse)
			stats := r.net.Stats()
			assertRate(t, "duplicate-request rate", dupRequests, n, p)
			assertRate(t, "duplicate-response rate", dupResponses, n, p)
			assert.Equal(t, dupRequests+dupResponses, int(stats.Duplicated), "duplicate faults in the log vs Stats.Duplicated; %s", repro(t))
			assert.Zero(t, misordered, "a request copy reached the server before its original; %s", repro(t))
			assert.Zero(t, extraCopies, "an operation reached the server more than twice: a copy was copied; %s", repro(t))
			assert.Equal(t, dupRequests, copies, "request copies the server saw vs duplicate-request faults; %s", repro(t))
			assert.Equal(t, n, answered, "nothing was dropped, every call must be answered; %s", repro(t))
			assert.Equal(t, dupResponses, int(stats.Late), "each response copy must arrive after its original was taken, as a late response; %s", repro(t))

			var copied, outOfLaw, mistimed []string
			for _, f := range r.log.Faults() {
				if f.Msg.Copy {
					copied = append(copied, f.String())
				}
				if f.Extra < time.Millisecond || f.Extra > 5*time.Millisecond {
					outOfLaw = append(outOfLaw, f.String())
				}
				if f.Kind != faults.DuplicateRequest {
					continue
				}
				i := int(f.Msg.Op.Queue-1)*30000 + int(f.Msg.Op.Index-1)
				if gap := copyAt[i].Sub(original[i]); gap != f.Extra {
					mistimed = append(mistimed, fmt.Sprintf("%s: copy arrived %v after the original", f, gap))
				}
			}
			assert.Empty(t, copied, "faults naming a copy: a copy was duplicated again; %s", repro(t))
			assert.Empty(t, outOfLaw, "a copy's extra delay is drawn from the link's law, uniform 1ms..5ms; %s", repro(t))
			assert.Empty(t, mistimed, "a request copy must reach the server exactly Extra after its original; %s", repro(t))
			assertConserved(t, stats)
		})
	}
}

// Goal: a copy is never copied again, even when the server answers copies.
// Method: DuplicateRate 1 and a server that answers every delivery, 1,000
// sequential calls. Each request and each original response must be copied
// once, the answers to request copies (themselves copies) never: so the
// server sees every operation exactly twice, no fault names a copy, 3n
// responses travel for n calls, and all but the first of each call's are late.
func TestCopiesAreNotCopied(t *testing.T) {
	const n = 1000
	r := newRig(29, faults.Plan{Link: faults.Link{Delay: sim.Uniform(time.Millisecond, 5*time.Millisecond), DuplicateRate: 1}})
	c1 := r.net.AddNode("c1", "clients", nil)
	deliveries := map[int]int{}
	s1 := r.net.AddNode("s1", "servers", func(m *network.Msg) {
		deliveries[m.Payload.(int)]++
		r.echo(m)
	})
	r.callSequentially(c1, s1, n, time.Second, nil, nil)
	r.run(t)
	stats := r.net.Stats()
	var wrong []int
	for i := range n {
		if deliveries[i] != 2 {
			wrong = append(wrong, i)
		}
	}
	assert.Empty(t, wrong, "operations the server did not see exactly twice; %s", repro(t))
	var copied []string
	for _, f := range r.log.Faults() {
		if f.Msg.Copy {
			copied = append(copied, f.String())
		}
	}
	assert.Empty(t, copied, "faults naming a copy: a copy was duplicated again; %s", repro(t))
	assert.Equal(t, n, r.log.Count(faults.DuplicateRequest), "%s", repro(t))
	assert.Equal(t, n, r.log.Count(faults.DuplicateResponse), "%s", repro(t))
	assert.Equal(t, uint64(2*n), stats.Duplicated, "Stats.Duplicated; %s", repro(t))
	assert.Equal(t, uint64(3*n), stats.Sent, "n requests and 2n responses (to originals and to copies) are sent; %s", repro(t))
	assert.Equal(t, uint64(2*n), stats.Late, "of each call's 3 responses one is taken, 2 are late; %s", repro(t))
	assertConserved(t, stats)
}

// latencies returns the one-way latency of n requests sent over a link with
// the given delay law, measured at the server from the send instant.
func latencies(t *testing.T, delay sim.Dist, n int) []sim.Duration {
	r := newRig(3, faults.Plan{Link: faults.Link{Delay: delay}})
	c1 := r.net.AddNode("c1", "clients", nil)
	var sentAt sim.Time
	out := make([]sim.Duration, 0, n)
	s1 := r.net.AddNode("s1", "servers", func(m *network.Msg) {
		out = append(out, r.k.Now().Sub(sentAt))
		r.echo(m)
	})
	r.callSequentially(c1, s1, n, time.Hour, func(int) { sentAt = r.k.Now() }, nil)
	r.run(t)
	require.Len(t, out, n, "every request must arrive; %s", repro(t))
	return out
}

// Goal: a link's one-way latency follows its delay law.
// Method: measure 100,000 request latencies at the server for a const, a
// uniform and a lognormal law. By the DKW inequality the empirical CDF is
// within eps = sqrt(ln(2/0.001)/(2n)) of the true CDF everywhere with
// probability 0.999; check it at the law's 0.01, 0.1, 0.5, 0.9 and 0.99
// quantiles, and check the empirical median and p99 lie between the law's
// quantiles at q-eps and q+eps (the same bound read sideways). A const law
// must give exactly its constant every time.
func TestDelayDistribution(t *testing.T) {
	const n = 100_000
	eps := math.Sqrt(math.Log(2/0.001) / (2 * n))
	for _, law := range []sim.Dist{
		sim.Const(7 * time.Millisecond),
		sim.Uniform(2*time.Millisecond, 20*time.Millisecond),
		sim.LogNormal(10*time.Millisecond, 0.6),
	} {
		t.Run(law.String(), func(t *testing.T) {
			got := latencies(t, law, n)
			if law.Kind == sim.DistConst {
				for i, d := range got {
					if !assert.Equal(t, law.Min, d, "message %d; %s", i, repro(t)) {
						break
					}
				}
			}
			slices.Sort(got)
			for _, q := range []float64{0.01, 0.1, 0.5, 0.9, 0.99} {
				x := law.Quantile(q)
				below, _ := slices.BinarySearch(got, x+1) // samples <= x
				empirical := float64(below) / n
				want := q
				if law.Kind == sim.DistConst {
					want = 1 // every sample equals the constant
				}
				assert.InDelta(t, want, empirical, eps,
					"empirical CDF at the law's %g-quantile %v is %.5f, want %.5f ± %.5f (DKW, 99.9%%); %s", q, x, empirical, want, eps, repro(t))
			}
			for _, q := range []float64{0.5, 0.99} {
				empirical := got[int(math.Ceil(q*n))-1]
				lo, hi := law.Quantile(q-eps), law.Quantile(q+eps)
				assert.True(t, lo <= empirical && empirical <= hi,
					"empirical %g-quantile %v, want within [%v, %v] around the law's %v; %s", q, empirical, lo, hi, law.Quantile(q), repro(t))
			}
		})
	}
}

// Goal: the network reorders messages through latency jitter alone, and only
// through it.
// Method: 2,000 actors each send one request, 100µs apart; the server notes
// the arrival order. With a law much wider than the gap some message must
// overtake an earlier one; with a const law arrival order is send order.
func TestReordering(t *testing.T) {
	const n = 2000
	const gap = 100 * time.Microsecond
	for _, tc := range []struct {
		law     sim.Dist
		reorder bool
	}{
		{sim.Const(5 * time.Millisecond), false},
		{sim.Uniform(0, 10*time.Millisecond), true},
		{sim.LogNormal(5*time.Millisecond, 1), true},
	} {
		t.Run(tc.law.String(), func(t *testing.T) {
			r := newRig(5, faults.Plan{Link: faults.Link{Delay: tc.law}})
			c1 := r.net.AddNode("c1", "clients", nil)
			var arrivals []int
			s1 := r.net.AddNode("s1", "servers", func(m *network.Msg) {
				arrivals = append(arrivals, m.Payload.(int))
				r.echo(m)
			})
			for i := range n {
				r.k.Spawn(fmt.Sprintf("caller%d", i), func(p *sim.Proc) {
					p.Sleep(time.Duration(i) * gap)
					r.call(p, c1, s1, opID(i), 1, i, time.Second)
				})
			}
			r.run(t)
			require.Len(t, arrivals, n, "every request must arrive; %s", repro(t))
			overtaken := 0
			for j := 1; j < n; j++ {
				if arrivals[j] < arrivals[j-1] {
					overtaken++
				}
			}
			if tc.reorder {
				assert.Positive(t, overtaken, "a %v law over a %v send gap must reorder some messages; %s", tc.law, gap, repro(t))
			} else {
				assert.Zero(t, overtaken, "a const law must keep send order; %s", repro(t))
				assert.True(t, slices.IsSorted(arrivals), "arrival order %v...; %s", arrivals[:10], repro(t))
			}
		})
	}
}

// Goal: a partition cuts both directions for exactly its window [From, To),
// including messages already in flight when it begins, and nothing else.
// Method: clients c1, c2 and server s1 over a 100ms const link; a partition
// clients|servers from 1s to 2s. Ten calls, each a distinct case, cover a
// round trip before the window, a request and a response that would land in
// it, a response sent from inside it, requests sent inside it (one that
// would land after it), a send at To and round trips after it. Check which
// calls are answered, that the server sees no request and the clients no
// response inside the window, the Cut count, conservation, and that the log
// holds exactly one partition fault at 1s.
func TestPartition(t *testing.T) {
	ms := func(v int) sim.Time { return sim.Time(time.Duration(v) * time.Millisecond) }
	window := faults.Partition{A: faults.NodeSet{"clients"}, B: faults.NodeSet{"servers"}, From: ms(1000), To: ms(2000)}
	inWindow := func(at sim.Time) bool { return at >= window.From && at < window.To }

	t.Run("clients|servers", func(t *testing.T) {
		cases := []struct {
			name      string
			sendAt    sim.Time
			hold      sim.Duration // how long the server takes before replying
			answered  bool
			reachesS1 bool
		}{
			{"round-trip-before", ms(500), 0, true, true},
			{"request-lands-inside", ms(950), 0, false, false},
			{"response-lands-inside", ms(850), 0, false, true},
			{"response-sent-inside", ms(700), 400 * time.Millisecond, false, true},
			{"response-sent-after", ms(800), 1200 * time.Millisecond, true, true},
			{"request-sent-inside", ms(1500), 0, false, false},
			{"request-sent-inside-lands-after", ms(1950), 0, false, false},
			{"request-sent-just-before-to", ms(1999), 0, false, false},
			{"request-sent-at-to", ms(2000), 0, true, true},
			{"round-trip-after", ms(2500), 0, true, true},
		}
		const wantCut = 6
		plan := faults.Plan{Link: faults.Link{Delay: sim.Const(100 * time.Millisecond)}, Partitions: []faults.Partition{window}}
		r := newRig(1, plan)
		c1 := r.net.AddNode("c1", "clients", nil)
		c2 := r.net.AddNode("c2", "clients", nil)
		served := map[int]sim.Time{}
		s1 := r.net.AddNode("s1", "servers", func(m *network.Msg) {
			i := m.Payload.(int)
			served[i] = r.k.Now()
			if hold := cases[i].hold; hold > 0 {
				r.k.After(hold, sim.Func(func() { r.net.Reply(m, i) }))
				return
			}
			r.echo(m)
		})
		answeredAt := map[int]sim.Time{}
		for i, tc := range cases {
			src := []network.NodeID{c1, c2}[i%2]
			r.k.Spawn(tc.name, func(p *sim.Proc) {
				p.Sleep(tc.sendAt.Sub(0))
				if _, ok := r.call(p, src, s1, opID(i), 1, i, 3*time.Second); ok {
					answeredAt[i] = r.k.Now()
				}
			})
		}
		r.run(t)

		for i, tc := range cases {
			at, answered := answeredAt[i]
			assert.Equal(t, tc.answered, answered, "case %s: answered; %s", tc.name, repro(t))
			assert.False(t, answered && inWindow(at), "case %s: response delivered at %v inside the window; %s", tc.name, at, repro(t))
			at, reached := served[i]
			assert.Equal(t, tc.reachesS1, reached, "case %s: request reached s1; %s", tc.name, repro(t))
			assert.False(t, reached && inWindow(at), "case %s: request delivered at %v inside the window; %s", tc.name, at, repro(t))
			assert.False(t, reached && inWindow(tc.sendAt), "case %s: request sent at %v inside the window was delivered; %s", tc.name, tc.sendAt, repro(t))
		}
		stats := r.net.Stats()
		assert.Equal(t, wantCut, int(stats.Cut), "Stats.Cut (stats %+v); %s", stats, repro(t))
		assertConserved(t, stats)
		list := r.log.Faults()
		if assert.Len(t, list, 1, "the log must hold exactly the partition: %v; %s", list, repro(t)) {
			assert.Equal(t, faults.PartitionFault, list[0].Kind, "%s", repro(t))
			assert.Equal(t, window.From, list[0].At, "partition fault time; %s", repro(t))
			assert.Equal(t, window.String(), list[0].Partition.String(), "%s", repro(t))
		}
	})

	// A partition naming single nodes cuts only their link: at 1.5s, inside
	// s1|c1's window, c1<->s1 is cut but c2<->s1 and c1<->s2 still flow.
	t.Run("s1|c1", func(t *testing.T) {
		narrow := faults.Partition{A: faults.NodeSet{"s1"}, B: faults.NodeSet{"c1"}, From: window.From, To: window.To}
		plan := faults.Plan{Link: faults.Link{Delay: sim.Const(10 * time.Millisecond)}, Partitions: []faults.Partition{narrow}}
		r := newRig(1, plan)
		c1 := r.net.AddNode("c1", "clients", nil)
		c2 := r.net.AddNode("c2", "clients", nil)
		s1 := r.net.AddNode("s1", "servers", r.echo)
		s2 := r.net.AddNode("s2", "servers", r.echo)
		pairs := []struct {
			src, dst network.NodeID
			answered bool
		}{{c1, s1, false}, {c2, s1, true}, {c1, s2, true}, {c2, s2, true}}
		got := make([]bool, len(pairs))
		for i, pair := range pairs {
			r.k.Spawn(fmt.Sprintf("pair%d", i), func(p *sim.Proc) {
				p.Sleep(1500 * time.Millisecond)
				_, got[i] = r.call(p, pair.src, pair.dst, opID(i), 1, i, time.Second)
			})
		}
		r.run(t)
		for i, pair := range pairs {
			assert.Equal(t, pair.answered, got[i], "%s->%s answered at 1.5s; %s", r.net.Name(pair.src), r.net.Name(pair.dst), repro(t))
		}
		assert.Equal(t, 1, int(r.net.Stats().Cut), "only c1->s1's request is cut; %s", repro(t))
	})
}

// Goal: a reset after processing applies the request's effect but delivers
// no response, and the caller learns of it only by its timeout.
// Method: ResetRate 1 on a 10ms const link; a client makes 200 sequential
// calls with a 250ms timeout to a server that counts the effects it applies.
// Every call must return ok=false exactly 250ms after it began, every request
// must be applied, the log must hold one reset per request (at the server's
// reply instant, naming the caller's message), and no response may be sent,
// delivered or arrive late.
func TestResetAfterProcessing(t *testing.T) {
	const n = 200
	const timeout = 250 * time.Millisecond
	const delay = 10 * time.Millisecond
	r := newRig(9, faults.Plan{Link: faults.Link{Delay: sim.Const(delay), ResetRate: 1}})
	c1 := r.net.AddNode("c1", "clients", nil)
	applied := 0
	s1 := r.net.AddNode("s1", "servers", func(m *network.Msg) {
		applied++
		r.echo(m)
	})
	startedAt := make([]sim.Time, n)
	var wrongWait, answered int
	r.callSequentially(c1, s1, n, timeout,
		func(i int) { startedAt[i] = r.k.Now() },
		func(i int, ok bool) {
			if ok {
				answered++
			}
			if r.k.Now().Sub(startedAt[i]) != timeout {
				wrongWait++
			}
		})
	r.run(t)

	stats := r.net.Stats()
	assert.Equal(t, n, applied, "the server must apply every request before the reset; %s", repro(t))
	assert.Zero(t, answered, "a reset request must never be answered; %s", repro(t))
	assert.Zero(t, wrongWait, "calls that did not return exactly their timeout after they began; %s", repro(t))
	assert.Equal(t, n, r.log.Count(faults.Reset), "reset faults; %s", repro(t))
	assert.Len(t, r.log.Faults(), n, "only resets were configured; %s", repro(t))
	for i, f := range r.log.Faults() {
		want := faults.Ref{Caller: "c1", Op: opID(i), Attempt: 1}
		assert.Equal(t, want, f.Msg, "fault %d (%s); %s", i, f, repro(t))
		assert.Equal(t, startedAt[i].Add(delay), f.At, "fault %s must fire when the server replies; %s", f, repro(t))
	}
	assert.Equal(t, uint64(n), stats.Reset, "Stats.Reset; %s", repro(t))
	assert.Equal(t, uint64(n), stats.Sent, "only the requests are sent; %s", repro(t))
	assert.Equal(t, uint64(n), stats.Delivered, "only the requests are delivered; %s", repro(t))
	assert.Zero(t, stats.Late, "no response may arrive, even late; %s", repro(t))
	assertConserved(t, stats)
}

// chaos runs a small busy world under plan: three clients making 150
// operations each with up to three attempts against two servers, which
// answer after an exponential service time. Every choice the test makes
// draws from the kernel's chooser, so the run is a function of seed and plan.
type chaosResult struct {
	hash   uint64
	events uint64
	list   []faults.Fault
	faults []string // list, printed
	stats  network.Stats
}

func runChaos(t *testing.T, seed uint64, plan faults.Plan) chaosResult {
	t.Helper()
	r := newRig(seed, plan)
	ch := r.k.Chooser()
	var clients, servers []network.NodeID
	for i := 1; i <= 3; i++ {
		clients = append(clients, r.net.AddNode(fmt.Sprintf("c%d", i), "clients", nil))
	}
	for i := 1; i <= 2; i++ {
		servers = append(servers, r.net.AddNode(fmt.Sprintf("s%d", i), "servers", func(m *network.Msg) {
			r.k.Spawn("handler", func(p *sim.Proc) {
				p.Sleep(sim.Exp(time.Millisecond).Sample(ch, sim.StreamService))
				r.net.Reply(m, m.Payload)
			})
		}))
	}
	for c, src := range clients {
		r.k.Spawn(r.net.Name(src), func(p *sim.Proc) {
			for i := range 150 {
				op := opID(c*1000 + i)
				for attempt := int32(1); attempt <= 3; attempt++ {
					dst := servers[ch.Pick(sim.StreamWorkload, len(servers))]
					if _, ok := r.call(p, src, dst, op, attempt, i, 20*time.Millisecond); ok {
						break
					}
					p.Sleep(sim.Uniform(0, 5*time.Millisecond).Sample(ch, sim.StreamJitter))
				}
			}
		})
	}
	r.run(t)
	out := chaosResult{hash: r.tr.Hash(), events: r.tr.Len(), list: r.log.Faults(), stats: r.net.Stats()}
	for _, f := range r.log.Faults() {
		out.faults = append(out.faults, f.String())
	}
	return out
}

func chaosPlan() faults.Plan {
	return faults.Plan{
		Link: faults.Link{
			Delay:            sim.LogNormal(3*time.Millisecond, 0.8),
			DropRequestRate:  0.1,
			DropResponseRate: 0.1,
			DuplicateRate:    0.1,
			ResetRate:        0.05,
		},
		Partitions: []faults.Partition{{
			A: faults.NodeSet{"clients"}, B: faults.NodeSet{"s2"},
			From: sim.Time(300 * time.Millisecond), To: sim.Time(600 * time.Millisecond),
		}},
	}
}

// Goal: the same seed and plan give the same run; another seed gives another.
// Method: run the chaos world twice for each of eight seeds and compare trace
// hashes, trace lengths, fault lists and stats; then check the eight hashes
// are pairwise distinct, so equality is not vacuous.
func TestDeterminism(t *testing.T) {
	seen := map[uint64]uint64{}
	for seed := uint64(1); seed <= 8; seed++ {
		a := runChaos(t, seed, chaosPlan())
		b := runChaos(t, seed, chaosPlan())
		require.NotEmpty(t, a.faults, "seed %d: the chaos plan must fire faults; %s", seed, repro(t))
		assert.Equal(t, a.hash, b.hash, "seed %d: trace hash differs between two runs; %s", seed, repro(t))
		assert.Equal(t, a.events, b.events, "seed %d: trace length; %s", seed, repro(t))
		assert.Equal(t, a.faults, b.faults, "seed %d: fault list; %s", seed, repro(t))
		assert.Equal(t, a.stats, b.stats, "seed %d: stats; %s", seed, repro(t))
		if prev, dup := seen[a.hash]; dup {
			assert.Fail(t, "two seeds gave one trace", "seeds %d and %d share hash %#x; %s", prev, seed, a.hash, repro(t))
		}
		seen[a.hash] = seed
	}
}

// Goal: a recorded fault list replays a run exactly, with no random fault
// decision: the same messages are dropped, duplicated (with the same extra
// delay) and reset, and the trace is identical.
// Method: run the chaos world with random rates, collect its fault list,
// then rerun the same seed with every rate 0 and plan.Replay set to the list
// (as recorded, and after printing and parsing it back, as a saved file
// would be). Compare the fault lists line by line and the trace hashes. In
// the partition case the replayed plan lists no partition, so the recorded
// partition fault alone must recreate it.
func TestReplay(t *testing.T) {
	noPartition := chaosPlan()
	noPartition.Partitions = nil
	for _, tc := range []struct {
		name string
		plan faults.Plan
	}{
		{"messages", noPartition},
		{"messages-and-partition", chaosPlan()},
	} {
		t.Run(tc.name, func(t *testing.T) { replayCase(t, tc.plan) })
	}
}

// replayCase replays plan's chaos run from its fault list as recorded and
// from the list printed and parsed back.
func replayCase(t *testing.T, plan faults.Plan) {
	for _, parsed := range []bool{false, true} {
		name := "recorded"
		if parsed {
			name = "parsed"
		}
		t.Run(name, func(t *testing.T) {
			const seed = 42
			first := runChaos(t, seed, plan)
			kinds := map[string]bool{}
			for _, line := range first.faults {
				kinds[strings.Fields(line)[0]] = true
			}
			for _, k := range []faults.Kind{faults.DropRequest, faults.DropResponse, faults.DuplicateRequest, faults.DuplicateResponse, faults.Reset} {
				require.True(t, kinds[k.String()], "the first run must fire a %s fault to make the replay meaningful; %s", k, repro(t))
			}
			if len(plan.Partitions) > 0 {
				require.True(t, kinds[faults.PartitionFault.String()], "the first run must log its partition; %s", repro(t))
			}

			replay := faults.Plan{Link: faults.Link{Delay: plan.Link.Delay}}
			replay.Replay = first.list
			if parsed {
				replay.Replay = nil
				for _, line := range first.faults {
					f, err := faults.ParseFault(line)
					require.NoError(t, err, "fault line %q; %s", line, repro(t))
					replay.Replay = append(replay.Replay, f)
				}
			}
			again := runChaos(t, seed, replay)
			assert.Equal(t, first.faults, again.faults, "replayed fault list; %s", repro(t))
			assert.Equal(t, first.hash, again.hash, "replayed trace hash; %s", repro(t))
			assert.Equal(t, first.stats, again.stats, "replayed stats; %s", repro(t))
		})
	}
}

// Goal: a link rule changes exactly the links between its two node sets, in
// either direction, later rules overriding earlier ones; a rule naming a node
// the run lacks is a configuration error that names the node.
// Method: clients c1, c2 and servers s1, s2; each client calls each server 50
// times under the parsed rules. The calls on links with drop-request=1 must
// all time out with their requests unseen by the server, the others must all
// be answered; Link must agree in both directions, and a link the rules
// never name must keep the default. Then start networks whose rules or
// partitions name s9 or c3 and check the error.
func TestLinkRules(t *testing.T) {
	const perPair = 50
	type pair struct{ src, dst string }
	for _, tc := range []struct {
		name      string
		rules     []string
		lossy     []pair
		untouched pair // a link no rule names
	}{
		{"group-to-node", []string{"clients-s2:drop-request=1"}, []pair{{"c1", "s2"}, {"c2", "s2"}}, pair{"s1", "s2"}},
		{"node-to-group-reversed", []string{"s2-clients:drop-request=1"}, []pair{{"c1", "s2"}, {"c2", "s2"}}, pair{"s1", "s2"}},
		{"later-rule-wins", []string{"clients-s2:drop-request=1", "c1-s2:drop-request=0"}, []pair{{"c2", "s2"}}, pair{"s1", "s2"}},
		{"wildcard", []string{"*-s1:drop-request=1"}, []pair{{"c1", "s1"}, {"c2", "s1"}}, pair{"c1", "c2"}},
		{"node-to-node", []string{"c2-s1:drop-request=1;delay=const:3ms"}, []pair{{"c2", "s1"}}, pair{"s1", "s2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := faults.Plan{Link: faults.Link{Delay: sim.Const(time.Millisecond)}}
			for _, text := range tc.rules {
				rule, err := faults.ParseLinkRule(text)
				require.NoError(t, err, "rule %q; %s", text, repro(t))
				plan.Links = append(plan.Links, rule)
			}
			r := newRig(13, plan)
			ids := map[string]network.NodeID{}
			served := map[pair]int{}
			for _, name := range []string{"c1", "c2"} {
				ids[name] = r.net.AddNode(name, "clients", nil)
			}
			for _, name := range []string{"s1", "s2"} {
				ids[name] = r.net.AddNode(name, "servers", func(m *network.Msg) {
					served[pair{r.net.Name(m.Src), name}]++
					r.echo(m)
				})
			}
			answered := map[pair]int{}
			pairs := []pair{{"c1", "s1"}, {"c1", "s2"}, {"c2", "s1"}, {"c2", "s2"}}
			for j, pr := range pairs {
				r.k.Spawn(pr.src+">"+pr.dst, func(p *sim.Proc) {
					for i := range perPair {
						if _, ok := r.call(p, ids[pr.src], ids[pr.dst], opID(j*perPair+i), 1, i, 10*time.Millisecond); ok {
							answered[pr]++
						}
					}
				})
			}
			r.run(t)

			for _, pr := range pairs {
				lossy := slices.Contains(tc.lossy, pr)
				want := perPair
				if lossy {
					want = 0
				}
				assert.Equal(t, want, answered[pr], "%s->%s calls answered (lossy %v); %s", pr.src, pr.dst, lossy, repro(t))
				assert.Equal(t, want, served[pr], "%s->%s requests served (lossy %v); %s", pr.src, pr.dst, lossy, repro(t))
				a, b := ids[pr.src], ids[pr.dst]
				assert.Equal(t, r.net.Link(a, b), r.net.Link(b, a), "link %s-%s must be the same both ways; %s", pr.src, pr.dst, repro(t))
			}
			assert.Equal(t, perPair*len(tc.lossy), r.log.Count(faults.DropRequest), "drop-request faults; %s", repro(t))
			assert.Equal(t, plan.Link, r.net.Link(ids[tc.untouched.src], ids[tc.untouched.dst]), "no rule names the %s-%s link; %s", tc.untouched.src, tc.untouched.dst, repro(t))
		})
	}

	t.Run("unknown-node", func(t *testing.T) {
		for _, tc := range []struct {
			name    string
			rule    string
			part    string
			missing string
		}{
			{"rule-server", "clients-s9:drop-request=1", "", "s9"},
			{"rule-client", "c3-servers:reset=1", "", "c3"},
			{"partition-server", "", "clients|s1,s7@1s..2s", "s7"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var plan faults.Plan
				if tc.rule != "" {
					rule, err := faults.ParseLinkRule(tc.rule)
					require.NoError(t, err, "rule %q; %s", tc.rule, repro(t))
					plan.Links = []faults.LinkRule{rule}
				}
				if tc.part != "" {
					part, err := faults.ParsePartition(tc.part)
					require.NoError(t, err, "partition %q; %s", tc.part, repro(t))
					plan.Partitions = []faults.Partition{part}
				}
				r := newRig(1, plan)
				r.net.AddNode("c1", "clients", nil)
				r.net.AddNode("c2", "clients", nil)
				r.net.AddNode("s1", "servers", r.echo)
				r.net.AddNode("s2", "servers", r.echo)
				err := r.net.Start()
				r.k.Close()
				if assert.Error(t, err, "Start must reject a plan naming %s; %s", tc.missing, repro(t)) {
					assert.Contains(t, err.Error(), "no node "+tc.missing, "the error must name the missing node; %s", repro(t))
				}
			})
		}
	})
}

// Goal: a call whose response never comes returns ok=false at exactly its
// start plus its timeout, in virtual time, whatever the start and timeout.
// Method: on a 10ms const link, each case sleeps until its start and makes
// one call. With DropResponseRate 1 the server must still see the request
// (the response, not the request, is lost); with no fault but a timeout
// shorter than the round trip the response must arrive late and be counted
// so. A control case with a long timeout must be answered after exactly the
// round trip, so the clock under test is the one that answers.
func TestCallTimeout(t *testing.T) {
	const delay = 10 * time.Millisecond
	for _, tc := range []struct {
		name        string
		dropRate    float64
		start       sim.Duration
		timeout     sim.Duration
		wantOK      bool
		wantElapsed sim.Duration
		wantLate    uint64
	}{
		{"dropped-at-zero", 1, 0, 50 * time.Millisecond, false, 50 * time.Millisecond, 0},
		{"dropped-later", 1, 333 * time.Millisecond, 75 * time.Millisecond, false, 75 * time.Millisecond, 0},
		{"dropped-odd-timeout", 1, 1500 * time.Millisecond, 123456789, false, 123456789, 0},
		{"slower-than-timeout", 0, 200 * time.Millisecond, 15 * time.Millisecond, false, 15 * time.Millisecond, 1},
		{"answered-control", 0, 200 * time.Millisecond, time.Second, true, 2 * delay, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(17, faults.Plan{Link: faults.Link{Delay: sim.Const(delay), DropResponseRate: tc.dropRate}})
			c1 := r.net.AddNode("c1", "clients", nil)
			served := 0
			s1 := r.net.AddNode("s1", "servers", func(m *network.Msg) {
				served++
				r.echo(m)
			})
			var began, ended sim.Time
			var ok bool
			r.k.Spawn("caller", func(p *sim.Proc) {
				p.Sleep(tc.start)
				began = r.k.Now()
				_, ok = r.call(p, c1, s1, opID(0), 1, 0, tc.timeout)
				ended = r.k.Now()
			})
			r.run(t)
			assert.Equal(t, sim.Time(0).Add(tc.start), began, "the call must begin at its start; %s", repro(t))
			assert.Equal(t, tc.wantOK, ok, "call outcome; %s", repro(t))
			assert.Equal(t, tc.wantElapsed, ended.Sub(began), "the call must return exactly this long after it began; %s", repro(t))
			assert.Equal(t, 1, served, "the request must reach the server; %s", repro(t))
			assert.Equal(t, int(tc.dropRate), r.log.Count(faults.DropResponse), "drop-response faults; %s", repro(t))
			assert.Equal(t, tc.wantLate, r.net.Stats().Late, "late responses; %s", repro(t))
		})
	}
}

// Goal: a copy arrives after its original even on a zero-delay link (the
// plan's contract: "the copy arrives later").
// Method: on a const:0s link with DuplicateRate 1, 1,000 sequential calls;
// the server notes whether the first delivery of each operation is the
// original. A copy whose extra delay is drawn as 0 lands at the original's
// instant, where the kernel's schedule chooser may run it first.
func TestDuplicateOnZeroDelayLink(t *testing.T) {
	const n = 1000
	r := newRig(19, faults.Plan{Link: faults.Link{Delay: sim.Const(0), DuplicateRate: 1}})
	c1 := r.net.AddNode("c1", "clients", nil)
	firstWasCopy := map[int]bool{}
	s1 := r.net.AddNode("s1", "servers", func(m *network.Msg) {
		i := m.Payload.(int)
		if _, seen := firstWasCopy[i]; !seen {
			firstWasCopy[i] = m.Ref.Copy
		}
		if !m.Ref.Copy {
			r.echo(m)
		}
	})
	r.callSequentially(c1, s1, n, time.Second, nil, nil)
	r.run(t)
	require.Len(t, firstWasCopy, n, "every operation must reach the server; %s", repro(t))
	overtaken := 0
	for _, wasCopy := range firstWasCopy {
		if wasCopy {
			overtaken++
		}
	}
	assert.Zero(t, overtaken, "operations whose copy reached the server before the original, of %d; %s", n, repro(t))
	assert.Equal(t, r.log.Count(faults.DuplicateResponse), int(r.net.Stats().Late),
		"every response copy must arrive after its original, so late; %s", repro(t))
}

// Goal: when a response lands at the very instant its call times out, the
// caller and the network agree on its fate: either the call is answered and
// the response counted delivered, or the call times out and the response is
// counted late, never "delivered" to a caller that reports a timeout.
// Method: 1,000 sequential calls over a 50ms const link with a 100ms timeout,
// so every response is due exactly at its call's deadline and the kernel's
// schedule chooser orders the two events. Then answered + late must be n,
// and delivered must be n requests plus the answered responses.
func TestResponseAtDeadline(t *testing.T) {
	const n = 1000
	r := newRig(23, faults.Plan{Link: faults.Link{Delay: sim.Const(50 * time.Millisecond)}})
	c1 := r.net.AddNode("c1", "clients", nil)
	s1 := r.net.AddNode("s1", "servers", r.echo)
	answered := 0
	r.callSequentially(c1, s1, n, 100*time.Millisecond, nil, func(_ int, ok bool) {
		if ok {
			answered++
		}
	})
	r.run(t)
	stats := r.net.Stats()
	require.Positive(t, answered, "the tie must go both ways over %d calls for the test to mean anything; %s", n, repro(t))
	require.Less(t, answered, n, "the tie must go both ways over %d calls for the test to mean anything; %s", n, repro(t))
	assert.Equal(t, n, answered+int(stats.Late), "each response is either taken by its caller or late (answered %d, stats %+v); %s", answered, stats, repro(t))
	assert.Equal(t, n+answered, int(stats.Delivered), "delivered = requests + responses the callers took (answered %d, stats %+v); %s", answered, stats, repro(t))
	assertConserved(t, stats)
}

// Goal: a link between a server and a service behaves as a connection: a
// lost message breaks the call at the moment it would have arrived (the
// caller is told, it does not wait for a timeout), nothing is duplicated,
// and its draws come from the service's own streams, so service traffic
// never shifts the latencies between clients and servers.
// Method: (a) drop every service request and check the call's outcome and
// its time; (b) a duplicate rate of 1 on the service link copies nothing;
// (c) two runs with the same seed, one with service calls interleaved,
// give the client-server messages the same latencies.
func TestServiceLinks(t *testing.T) {
	t.Run("loss-breaks-the-call", func(t *testing.T) {
		plan := faults.Plan{Link: faults.Link{Delay: sim.Const(5 * time.Millisecond)},
			ServiceLink: faults.Link{Delay: sim.Const(time.Millisecond), DropRequestRate: 1}}
		r := newRig(1, plan)
		s1 := r.net.AddNode("s1", network.GroupServers, r.echo)
		db := r.net.AddService(api.ServiceDB, r.echo)
		var got network.Outcome
		var at sim.Time
		r.k.Spawn("handler", func(p *sim.Proc) {
			_, got = r.net.Call(p, s1, db, faults.Ref{Caller: "s1", Worker: "w", Service: api.ServiceDB, Call: 1}, nil, 0)
			at = r.k.Now()
		})
		r.run(t)
		assert.Equal(t, network.Broken, got, repro(t))
		assert.Equal(t, sim.Time(time.Millisecond), at, "the caller learns when the message would have arrived; %s", repro(t))
		require.Len(t, r.log.Faults(), 1, repro(t))
		assert.Equal(t, "drop-request s1/w/db1 at=0s", r.log.Faults()[0].String(), repro(t))
	})
	t.Run("no-duplicates", func(t *testing.T) {
		plan := faults.Plan{ServiceLink: faults.Link{Delay: sim.Const(time.Millisecond), DuplicateRate: 1}}
		r := newRig(1, plan)
		s1 := r.net.AddNode("s1", network.GroupServers, r.echo)
		delivered := 0
		db := r.net.AddService(api.ServiceDB, func(m *network.Msg) { delivered++; r.net.Reply(m, nil) })
		r.k.Spawn("handler", func(p *sim.Proc) {
			for i := int32(1); i <= 100; i++ {
				r.net.Call(p, s1, db, faults.Ref{Caller: "s1", Worker: "w", Service: api.ServiceDB, Call: i}, nil, 0)
			}
		})
		r.run(t)
		assert.Equal(t, 100, delivered, repro(t))
		assert.Zero(t, r.net.Stats().Duplicated, repro(t))
	})
	t.Run("streams-are-the-services-own", func(t *testing.T) {
		latencies := func(withService bool) []sim.Duration {
			plan := faults.Plan{Link: faults.Link{Delay: sim.LogNormal(5*time.Millisecond, 1), DropRequestRate: 0.2},
				ServiceLink: faults.Link{Delay: sim.LogNormal(time.Millisecond, 1), DropRequestRate: 0.2}}
			r := newRig(7, plan)
			c1 := r.net.AddNode("c1", network.GroupClients, nil)
			s1 := r.net.AddNode("s1", network.GroupServers, r.echo)
			db := r.net.AddService(api.ServiceDB, r.echo)
			var out []sim.Duration
			r.k.Spawn("client", func(p *sim.Proc) {
				for i := 0; i < 200; i++ {
					start := r.k.Now()
					if _, ok := r.call(p, c1, s1, opID(i), 1, nil, time.Second); ok {
						out = append(out, r.k.Now().Sub(start))
					} else {
						out = append(out, -1)
					}
					if withService {
						r.net.Call(p, s1, db, faults.Ref{Caller: "s1", Worker: "w", Service: api.ServiceDB, Call: int32(i + 1)}, nil, 0)
					}
				}
			})
			r.run(t)
			return out
		}
		assert.Equal(t, latencies(false), latencies(true), repro(t))
	})
}

// Goal: recycling calls and messages never lets one call see another's
// answer, however its messages are lost, copied, reset, late or cut.
// Method: 20 clients make 300 calls each, with short timeouts, to servers
// that answer each request after a random delay and then release it, and
// to a service node the same way, over links that drop, duplicate and
// reset; a partition cuts some messages in flight. Every answered call must
// get its own payload back (each call's is unique), the run must end
// quiescent with the accounting identity holding, and no message may be
// used after its call was recycled (the network panics if one is).
func TestRecycledCallsKeepTheirAnswers(t *testing.T) {
	link := faults.Link{Delay: sim.LogNormal(5*time.Millisecond, 1), DropRequestRate: 0.1, DropResponseRate: 0.1, DuplicateRate: 0.2, ResetRate: 0.05}
	plan := faults.Plan{Link: link, ServiceLink: link,
		Partitions: []faults.Partition{{A: faults.NodeSet{"s1"}, B: faults.NodeSet{"clients"}, From: sim.Time(200 * time.Millisecond), To: sim.Time(400 * time.Millisecond)}}}
	r := newRig(3, plan)
	slow := func(m *network.Msg) {
		d := sim.Uniform(0, 20*time.Millisecond).Sample(r.k.Chooser(), sim.StreamService)
		r.k.After(d, sim.Func(func() {
			r.net.Reply(m, m.Payload)
			r.net.Release(m)
		}))
	}
	var clients []network.NodeID
	for i := range 20 {
		clients = append(clients, r.net.AddNode(fmt.Sprintf("c%d", i+1), network.GroupClients, nil))
	}
	servers := []network.NodeID{r.net.AddNode("s1", network.GroupServers, slow), r.net.AddNode("s2", network.GroupServers, slow)}
	db := r.net.AddService(api.ServiceDB, slow)
	answered, wrong := 0, 0
	for ci, c := range clients {
		r.k.Spawn("client", func(p *sim.Proc) {
			for i := range 300 {
				want := ci*1000 + i
				var got any
				var out network.Outcome
				if i%3 == 2 {
					got, out = r.net.Call(p, servers[0], db, faults.Ref{Caller: r.net.Name(c), Op: opID(i), Attempt: 1, Service: api.ServiceDB, Call: int32(ci + 1)}, want, 25*time.Millisecond)
				} else {
					got, out = r.net.Call(p, c, servers[i%2], faults.Ref{Caller: r.net.Name(c), Op: opID(i), Attempt: 1}, want, 25*time.Millisecond)
				}
				if out == network.Answered {
					answered++
					if got != want {
						wrong++
					}
				}
			}
		})
	}
	r.run(t)
	assert.Zero(t, wrong, "calls answered with another call's payload; %s", repro(t))
	assert.Greater(t, answered, 1000, repro(t))
	s := r.net.Stats()
	assert.NotZero(t, s.Late, repro(t))
	assert.NotZero(t, s.Duplicated, repro(t))
	assert.NotZero(t, s.Cut, repro(t))
	assertConserved(t, s)
}
