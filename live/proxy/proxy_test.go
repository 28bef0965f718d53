package proxy_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/live/proxy"
	"github.com/idemsim/idemsim/live/wire"
	"github.com/idemsim/idemsim/sim"
)

func rerun(t testing.TB) string { return testcmd.Rerun(t, "./live/proxy") }

// clientTimeout is how long a test client waits for an answer: a lost
// message costs a test this long.
const clientTimeout = 300 * time.Millisecond

// seen is what reached one upstream.
type seen struct {
	Ref     string // its Idemsim-Op-Ref
	RawRef  bool   // whether Idemsim-Ref reached it
	Key     string
	Body    string
	Forward string // a header the client set, which must pass through
}

// counter is an upstream that records every request it handles and answers
// 201 with the reference it was given.
type counter struct {
	name string
	srv  *httptest.Server
	mu   sync.Mutex
	got  []seen
}

func newCounter(t *testing.T, name string) *counter {
	c := &counter{name: name}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.got = append(c.got, seen{Ref: r.Header.Get(proxy.OpRefHeader), RawRef: r.Header.Get(proxy.RefHeader) != "",
			Key: r.Header.Get("Idempotency-Key"), Body: string(b), Forward: r.Header.Get("X-Test")})
		c.mu.Unlock()
		w.Header().Set("X-Upstream", name)
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, "done "+r.Header.Get(proxy.OpRefHeader))
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *counter) refs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, s := range c.got {
		out = append(out, s.Ref)
	}
	return out
}

// start serves a proxy over the upstreams on loopback; the proxy is closed
// (waiting for its copies) before the upstreams are.
func start(t *testing.T, plan proxy.Plan, ups ...string) (*proxy.Proxy, string) {
	require.NoError(t, plan.Check(), rerun(t))
	p := proxy.New(ups, plan)
	srv := httptest.NewServer(p)
	t.Cleanup(func() {
		srv.Close()
		p.Close()
	})
	return p, srv.URL
}

// result is what a client made of one request.
type result struct {
	status int
	body   string
	server string
	err    error
}

func post(c *http.Client, url, ref, key string) result {
	req, err := http.NewRequest(http.MethodPost, url+"/payments?x=1", strings.NewReader(`{"amount":100}`))
	if err != nil {
		return result{err: err}
	}
	if ref != "" {
		req.Header.Set(proxy.RefHeader, ref)
	}
	req.Header.Set("Idempotency-Key", key)
	req.Header.Set("X-Test", "kept")
	resp, err := c.Do(req)
	if err != nil {
		return result{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, body: string(b), server: resp.Header.Get(proxy.ServerHeader), err: err}
}

func timedOut(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func identities(fs []faults.Fault) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Identity())
	}
	slices.Sort(out)
	return out
}

func mustFault(t *testing.T, line string) faults.Fault {
	f, err := faults.ParseFault(line)
	require.NoError(t, err, rerun(t))
	return f
}

// TestEachFaultDoesWhatItSays replays one fault of each kind on one request
// and checks what the upstream handled, what the client got, and what the
// proxy logged. Method: a table of fault lines; each row runs its own proxy
// in front of a counting httptest server, sends the request c1/o1.1/a1 with
// a client that gives up after clientTimeout, closes the proxy (which waits
// for copies) and compares.
func TestEachFaultDoesWhatItSays(t *testing.T) {
	const ref = "c1/o1.1/a1"
	cases := []struct {
		name     string
		fault    string // "" for none
		upstream []string
		answered bool // the client gets the 201
	}{
		{name: "none", upstream: []string{ref}, answered: true},
		{name: "drop-request", fault: "drop-request " + ref, upstream: nil},
		{name: "drop-response", fault: "drop-response " + ref, upstream: []string{ref}},
		{name: "reset", fault: "reset " + ref, upstream: []string{ref}},
		{name: "duplicate-request", fault: "duplicate-request " + ref + " extra=20ms", upstream: []string{ref, ref + "/copy"}, answered: true},
		{name: "duplicate-response", fault: "duplicate-response " + ref, upstream: []string{ref}, answered: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			up := newCounter(t, "s1")
			plan := proxy.Plan{Replay: []faults.Fault{}}
			if tc.fault != "" {
				plan.Replay = append(plan.Replay, mustFault(t, tc.fault))
			}
			p, url := start(t, plan, up.srv.URL)
			r := post(wire.NewClient(clientTimeout), url, ref, "k1")
			p.Wait()
			assert.Equal(t, tc.upstream, up.refs(), "requests the upstream handled; %s", rerun(t))
			if tc.answered {
				require.NoError(t, r.err, rerun(t))
				assert.Equal(t, http.StatusCreated, r.status, rerun(t))
				assert.Equal(t, "done "+ref, r.body, rerun(t))
				assert.Equal(t, "s1", r.server, rerun(t))
			} else {
				// The client hears nothing and gives up at its timeout,
				// as a simulated client does: not a refusal, not a reset.
				require.Error(t, r.err, rerun(t))
				assert.True(t, timedOut(r.err), "want the client's timeout, got %v; %s", r.err, rerun(t))
			}
			assert.Equal(t, identities(plan.Replay), identities(p.Fired()), "faults fired; %s", rerun(t))
			for _, f := range p.Fired() {
				back, err := faults.ParseFault(f.String())
				require.NoError(t, err, "fired fault %q must parse back; %s", f, rerun(t))
				assert.Equal(t, f, back, rerun(t))
			}
		})
	}
}

// TestHeaders checks that the client's reference reaches the server only as
// Idemsim-Op-Ref, that other headers, the body, the path and the query pass
// through, and that a request without a valid client reference is refused
// with a 400 that says what is accepted. Method: a counting upstream behind
// a fault-free proxy.
func TestHeaders(t *testing.T) {
	up := newCounter(t, "s1")
	var hit *http.Request
	var mu sync.Mutex
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hit = r
		mu.Unlock()
	}))
	defer echo.Close()
	_, url := start(t, proxy.Plan{}, up.srv.URL)
	c := wire.NewClient(5 * time.Second)

	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader("x"))
	require.NoError(t, err, rerun(t))
	req.Header.Set(proxy.RefHeader, "c2/o2.1/a3")
	req.Header.Set(proxy.OpRefHeader, "c9/o9.9/a9") // a forged one is replaced
	resp, err := c.Do(req)
	require.NoError(t, err, rerun(t))
	resp.Body.Close()
	r := post(c, url, "c2/o2.1/a4", "k7")
	require.NoError(t, r.err, rerun(t))
	assert.Equal(t, []seen{
		{Ref: "c2/o2.1/a3", Body: "x"},
		{Ref: "c2/o2.1/a4", Key: "k7", Body: `{"amount":100}`, Forward: "kept"},
	}, up.got, rerun(t))

	_, url2 := start(t, proxy.Plan{}, echo.URL)
	r = post(c, url2, "c1/o1.1/a1", "k")
	require.NoError(t, r.err, rerun(t))
	require.NotNil(t, hit, rerun(t))
	assert.Equal(t, "/payments", hit.URL.Path, rerun(t))
	assert.Equal(t, "x=1", hit.URL.RawQuery, rerun(t))

	for _, bad := range []struct{ ref, why string }{
		{"", "no Idemsim-Ref header"},
		{"c1/o1.1", "bad message"},
		{"c1/o1.1/a1/copy", "not a client's attempt"},
		{"c1/o1.1/a1/db2", "not a client's attempt"},
		{"s1/consumer/queue3", "not a client's attempt"},
	} {
		t.Run("refuses "+bad.ref, func(t *testing.T) {
			r := post(c, url, bad.ref, "k")
			require.NoError(t, r.err, rerun(t))
			assert.Equal(t, http.StatusBadRequest, r.status, rerun(t))
			assert.Contains(t, r.body, bad.why, rerun(t))
			assert.Equal(t, 1, strings.Count(strings.TrimSpace(r.body), "\n")+1, "one line; %s", rerun(t))
		})
	}
	assert.Len(t, up.got, 2, "refused requests reach no server; %s", rerun(t))
}

// TestBalancer checks the simulated balancer's policies: round-robin hands
// requests to s1, s2, s3 in turn and answers 502 for a server that is down
// (connection refused), whose turn still passes; random picks by the
// reference, the same on two proxies with one seed. Method: three upstreams,
// one of them closed, and requests sent one after another.
func TestBalancer(t *testing.T) {
	a, b := newCounter(t, "s1"), newCounter(t, "s2")
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	ups := []string{a.srv.URL, b.srv.URL, downURL}
	c := wire.NewClient(5 * time.Second)

	t.Run("round-robin", func(t *testing.T) {
		_, url := start(t, proxy.Plan{}, ups...)
		var got []string
		for i := 1; i <= 6; i++ {
			r := post(c, url, "c1/o1."+strconv.Itoa(i)+"/a1", "k")
			require.NoError(t, r.err, rerun(t))
			got = append(got, r.server+" "+strconv.Itoa(r.status))
			if r.status == http.StatusBadGateway {
				assert.Contains(t, r.body, "upstream s3 is down", rerun(t))
			}
		}
		assert.Equal(t, []string{"s1 201", "s2 201", "s3 502", "s1 201", "s2 201", "s3 502"}, got, rerun(t))
	})
	t.Run("random", func(t *testing.T) {
		picks := func(seed uint64) []string {
			_, url := start(t, proxy.Plan{Seed: seed, Balancer: proxy.Random}, ups...)
			var out []string
			for i := 1; i <= 12; i++ {
				r := post(c, url, "c2/o2."+strconv.Itoa(i)+"/a1", "k")
				require.NoError(t, r.err, rerun(t))
				out = append(out, r.server)
			}
			return out
		}
		first := picks(7)
		assert.Equal(t, first, picks(7), "same seed, same picks; %s", rerun(t))
		assert.NotEqual(t, first, picks(8), "another seed, other picks; %s", rerun(t))
	})
	t.Run("not loopback", func(t *testing.T) {
		_, url := start(t, proxy.Plan{}, "http://192.0.2.1:80")
		r := post(c, url, "c1/o1.1/a1", "k")
		require.NoError(t, r.err, rerun(t))
		assert.Equal(t, http.StatusBadGateway, r.status, rerun(t))
		assert.Contains(t, r.body, "not on loopback", rerun(t))
	})
}

// TestHashDecisionsRepeat checks that the rate decisions depend on the seed
// and the references only: two proxies with one seed fire the same faults
// for the same requests, whatever order the requests arrive in, and a
// third with another seed fires others. Method: 40 requests sent at once
// through each proxy with every message fault at rate 0.3, and the fired
// faults compared by identity.
func TestHashDecisionsRepeat(t *testing.T) {
	run := func(seed uint64) []string {
		up := newCounter(t, "s1")
		plan := proxy.Plan{Seed: seed, Link: faults.Link{DropRequestRate: 0.3, DropResponseRate: 0.3, DuplicateRate: 0.3, ResetRate: 0.3}}
		p, url := start(t, plan, up.srv.URL)
		c := wire.NewClient(clientTimeout)
		var wg sync.WaitGroup
		for i := 1; i <= 40; i++ {
			wg.Go(func() { post(c, url, "c"+strconv.Itoa(i%4+1)+"/o1."+strconv.Itoa(i)+"/a1", "k") })
		}
		wg.Wait()
		p.Wait()
		return identities(p.Fired())
	}
	first := run(1)
	kinds := map[string]int{}
	for _, id := range first {
		kinds[strings.Fields(id)[0]]++
	}
	for _, k := range []string{"drop-request", "drop-response", "duplicate-request", "duplicate-response", "reset"} {
		assert.Positive(t, kinds[k], "at rate 0.3 over 40 requests some %s fires; %s", k, rerun(t))
	}
	assert.Equal(t, first, run(1), "same seed; %s", rerun(t))
	assert.NotEqual(t, first, run(2), "another seed; %s", rerun(t))
}

// TestReplayFiresExactlyItsFaults checks that a replay list overrides the
// rates: exactly its proxy faults fire, each once, and its other faults
// (a crash, a database fault) are left to others. Method: every rate at 1
// and a list naming three of ten requests; the fired list must match the
// list's proxy faults and leave none of them unfired.
func TestReplayFiresExactlyItsFaults(t *testing.T) {
	up := newCounter(t, "s1")
	list := []faults.Fault{
		mustFault(t, "drop-request c1/o1.2/a1 at=1s"),
		mustFault(t, "duplicate-request c2/o2.5/a1 at=2s extra=5ms"),
		mustFault(t, "drop-response c1/o1.7/a2 at=3s"),
		mustFault(t, "drop-response c2/o2.5/a1/copy at=3s"),
		mustFault(t, "crash s1@4s+1s"),
		mustFault(t, "db-lost-commit-ack c1/o1.3/a1/db2 at=5s"),
	}
	plan := proxy.Plan{Replay: list, Link: faults.Link{DropRequestRate: 1, DropResponseRate: 1, DuplicateRate: 1, ResetRate: 1}}
	p, url := start(t, plan, up.srv.URL)
	c := wire.NewClient(clientTimeout)
	refs := []string{"c1/o1.1/a1", "c1/o1.2/a1", "c1/o1.3/a1", "c1/o1.7/a1", "c1/o1.7/a2", "c2/o2.1/a1", "c2/o2.5/a1", "c2/o2.6/a1", "c3/o3.1/a1", "c3/o3.2/a1"}
	var wg sync.WaitGroup
	for _, ref := range refs {
		wg.Go(func() { post(c, url, ref, "k") })
	}
	wg.Wait()
	p.Wait()
	fired := p.Fired()
	assert.Equal(t, identities(list[:4]), identities(fired), rerun(t))
	assert.Empty(t, faults.Unfired(list[:4], fired), rerun(t))
	for _, f := range fired {
		if f.Kind == faults.DuplicateRequest {
			assert.Equal(t, 5*time.Millisecond, f.Extra, "a replayed duplicate keeps its lag; %s", rerun(t))
		}
	}
	got := up.refs()
	slices.Sort(got)
	want := []string{"c1/o1.1/a1", "c1/o1.3/a1", "c1/o1.7/a1", "c1/o1.7/a2", "c2/o2.1/a1", "c2/o2.5/a1", "c2/o2.5/a1/copy", "c2/o2.6/a1", "c3/o3.1/a1", "c3/o3.2/a1"}
	assert.Equal(t, want, got, rerun(t))
}

// TestFiredInOrder checks that Fired lists faults in the order they fired,
// with At measured from the proxy's start. Method: three dropped requests
// sent one after another.
func TestFiredInOrder(t *testing.T) {
	up := newCounter(t, "s1")
	plan := proxy.Plan{Link: faults.Link{DropRequestRate: 1}}
	p, url := start(t, plan, up.srv.URL)
	c := wire.NewClient(50 * time.Millisecond)
	for i := 1; i <= 3; i++ {
		post(c, url, "c1/o1."+strconv.Itoa(i)+"/a1", "k")
	}
	fired := p.Fired()
	require.Len(t, fired, 3, rerun(t))
	for i, f := range fired {
		assert.Equal(t, "drop-request c1/o1."+strconv.Itoa(i+1)+"/a1", f.Identity(), rerun(t))
		if i > 0 {
			assert.GreaterOrEqual(t, f.At, fired[i-1].At, rerun(t))
		}
		assert.Positive(t, f.At, rerun(t))
	}
}

// TestDelay checks that the latency law holds each message for its draw:
// with a constant law, a request's round trip takes at least the request's
// and the response's hold. Method: a 30ms constant delay; the elapsed time
// is a lower bound the proxy guarantees, not a speed.
func TestDelay(t *testing.T) {
	up := newCounter(t, "s1")
	_, url := start(t, proxy.Plan{Link: faults.Link{Delay: sim.Const(30 * time.Millisecond)}}, up.srv.URL)
	c := wire.NewClient(5 * time.Second)
	began := time.Now()
	r := post(c, url, "c1/o1.1/a1", "k")
	require.NoError(t, r.err, rerun(t))
	assert.GreaterOrEqual(t, time.Since(began), 60*time.Millisecond, rerun(t))
}

// TestPlanCheck checks that a bad plan is refused with a one-line error
// that names the field and what is accepted. Method: a table of plans.
func TestPlanCheck(t *testing.T) {
	cases := []struct {
		name string
		plan proxy.Plan
		want string // "" for valid
	}{
		{"zero", proxy.Plan{}, ""},
		{"rates", proxy.Plan{Link: faults.Link{DropRequestRate: 1, ResetRate: 0.5}}, ""},
		{"rate over 1", proxy.Plan{Link: faults.Link{DuplicateRate: 1.5}}, "duplicate rate 1.5 (accepted: a probability in [0, 1])"},
		{"negative rate", proxy.Plan{Link: faults.Link{ResetRate: -0.1}}, "reset rate -0.1"},
		{"bad law", proxy.Plan{Link: faults.Link{Delay: sim.Dist{Kind: sim.DistExp}}}, "exp MEAN must be > 0"},
		{"balancer", proxy.Plan{Balancer: 9}, "accepted: round-robin, random"},
		{"hold", proxy.Plan{MaxHold: -time.Second}, "max hold -1s"},
		{"rule", proxy.Plan{Rules: []faults.LinkRule{{A: faults.NodeSet{"c1"}, B: faults.NodeSet{"s1"}, Assign: []faults.Assign{{Field: "reset", Rate: 2}}}}},
			"rule c1-s1:reset=2: reset rate 2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.plan.Check()
			if tc.want == "" {
				assert.NoError(t, err, rerun(t))
				return
			}
			require.Error(t, err, rerun(t))
			assert.Contains(t, err.Error(), tc.want, rerun(t))
			assert.NotContains(t, err.Error(), "\n", rerun(t))
		})
	}
}

// TestNoAnswerHolds checks the two ways a client is left without a
// response when no fault is to blame, and the bounds on a hold: an upstream
// that takes the request and breaks the connection (a crash) leaves the
// client to its timeout with no fault logged; a hold ends with a reset at
// MaxHold, or when the proxy closes. Method: an upstream that aborts its
// handler, and a drop-request at rate 1 under a client that would wait 30s.
func TestNoAnswerHolds(t *testing.T) {
	t.Run("upstream breaks the connection", func(t *testing.T) {
		var handled atomic.Int32
		crashing := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			handled.Add(1)
			panic(http.ErrAbortHandler)
		}))
		defer crashing.Close()
		p, url := start(t, proxy.Plan{}, crashing.URL)
		r := post(wire.NewClient(clientTimeout), url, "c1/o1.1/a1", "k")
		require.Error(t, r.err, rerun(t))
		assert.True(t, timedOut(r.err), "want the client's timeout, got %v; %s", r.err, rerun(t))
		assert.Equal(t, int32(1), handled.Load(), "not sent again; %s", rerun(t))
		assert.Empty(t, p.Fired(), rerun(t))
	})
	t.Run("max hold", func(t *testing.T) {
		up := newCounter(t, "s1")
		_, url := start(t, proxy.Plan{Link: faults.Link{DropRequestRate: 1}, MaxHold: 50 * time.Millisecond}, up.srv.URL)
		r := post(wire.NewClient(30*time.Second), url, "c1/o1.1/a1", "k")
		require.Error(t, r.err, rerun(t))
		assert.False(t, timedOut(r.err), "the proxy resets the connection at MaxHold; got %v; %s", r.err, rerun(t))
	})
	t.Run("close", func(t *testing.T) {
		up := newCounter(t, "s1")
		p, url := start(t, proxy.Plan{Link: faults.Link{DropRequestRate: 1}}, up.srv.URL)
		done := make(chan result, 1)
		go func() { done <- post(wire.NewClient(30*time.Second), url, "c1/o1.1/a1", "k") }()
		for i := 0; len(p.Fired()) == 0; i++ {
			require.Less(t, i, 3000, "the request never reached the proxy; %s", rerun(t))
			time.Sleep(10 * time.Millisecond)
		}
		p.Close()
		r := <-done
		require.Error(t, r.err, rerun(t))
		assert.False(t, timedOut(r.err), "Close resets held connections; got %v; %s", r.err, rerun(t))
		r = post(wire.NewClient(5*time.Second), url, "c1/o1.2/a1", "k")
		require.NoError(t, r.err, rerun(t))
		assert.Equal(t, http.StatusServiceUnavailable, r.status, "a closed proxy; %s", rerun(t))
	})
}
