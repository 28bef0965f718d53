package live_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/live"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// smallWorld is a quick world of clients x ops on one server, with short
// timeouts and think times, so that a live run takes a few seconds.
func smallWorld(t *testing.T, strategy string, clients, ops int) world.Config {
	s, err := models.Lookup(strategy)
	require.NoError(t, err, testcmd.Rerun(t, "./live"))
	cfg := world.Defaults()
	cfg.Strategy = s
	cfg.Seed = 7
	cfg.Servers, cfg.Clients, cfg.OpsPerClient = 1, clients, ops
	cfg.Client.Think = sim.Const(5 * time.Millisecond)
	cfg.Client.TimeoutPerAttempt = 300 * time.Millisecond
	cfg.Client.BackoffBase, cfg.Client.BackoffCap = 20*time.Millisecond, 100*time.Millisecond
	cfg.Faults.Link.Delay = sim.Const(time.Millisecond)
	cfg.ServiceTime = sim.Const(time.Millisecond)
	cfg.Client.PollInterval = 50 * time.Millisecond
	cfg.Settle = 200 * time.Millisecond
	return cfg
}

// kinds is the set of violation kinds an audit found.
func kinds(rep check.Report) []check.Kind {
	var out []check.Kind
	for _, k := range check.Kinds {
		if rep.Counts[k] > 0 {
			out = append(out, k)
		}
	}
	return out
}

// Goal: checked from outside (--target), our own servers hosting a
// strategy get the verdict the simulator gives that strategy under the
// same faults, for a sample of the strategies and fault kinds that
// `make sim-vs-live-hosted` runs in full (results/sim-vs-live-hosted):
// naive pays twice with lost responses or two workers racing on each key
// and unique-409 holds under both; a check-then-insert in a transaction
// pays twice under racing workers while select-for-update holds; async-202
// holds under duplicated messages (its polls carry the payload, as our
// clients' do); client-id holds with lost responses (its payment's id is
// the key); content-hash pays twice under racing workers (the two workers
// are two clients, named in Authorization; it records no key, so the
// effects are inferred from the answers); check-then-insert loses the
// second payment under a reused key; select-for-update holds across two
// crashes of its server (Hosted.Restart; the first always fires). Method: live.Host serves the
// strategy on a throwaway PostgreSQL and Redis (no faults of its own); a
// run with Hosted.Target sees it only through HTTP (the payment's id from
// the answer's Idemsim-Resource header) and counts effects with an SQL
// query on its payments table; the same world runs in the simulator; the
// sets of violation kinds must be equal.
func TestTargetAgreesWithSimulation(t *testing.T) {
	s := startServices(t)
	const byKey = "select count(*) from payments where idempotency_key = $1"
	for _, tc := range []struct {
		name, strategy string
		workers        int
		dropResponse   float64
		duplicate      float64
		reuseKey       float64
		crash          bool
		effects        string
		violates       bool
	}{
		{"naive-lost-responses", "naive", 1, 0.3, 0, 0, false, byKey, true},
		{"unique-409-lost-responses", "unique-409", 1, 0.3, 0, 0, false, byKey, false},
		{"naive-racing-workers", "naive", 2, 0, 0, 0, false, byKey, true},
		{"unique-409-racing-workers", "unique-409", 2, 0, 0, 0, false, byKey, false},
		{"txn-check-insert-racing-workers", "txn-check-insert", 2, 0, 0, 0, false, byKey, true},
		{"select-for-update-racing-workers", "select-for-update", 2, 0, 0, 0, false, byKey, false},
		{"async-202-duplicates", "async-202", 1, 0, 0.3, 0, false, byKey, false},
		{"client-id-lost-responses", "client-id", 1, 0.3, 0, 0, false, "select count(*) from payments where id = $1", false},
		{"content-hash-racing-workers", "content-hash", 2, 0, 0, 0, false, "", true},
		{"check-then-insert-reused-key", "check-then-insert", 1, 0, 0, 0.5, false, byKey, true},
		{"select-for-update-crashes", "select-for-update", 1, 0, 0, 0, true, byKey, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./live")
			cfg := smallWorld(t, tc.strategy, 4, 5)
			cfg.WorkersPerOp = tc.workers
			cfg.Faults.Link.DropResponseRate = tc.dropResponse
			cfg.Faults.Link.DuplicateRate = tc.duplicate
			cfg.Client.ReuseKeyRate = tc.reuseKey
			if tc.crash {
				cfg.Faults.Crashes = []faults.Crash{
					{Node: "s1", At: sim.Time(30 * time.Millisecond), Downtime: 100 * time.Millisecond},
					{Node: "s1", At: sim.Time(250 * time.Millisecond), Downtime: 100 * time.Millisecond},
				}
			}
			simRes, err := world.Run(cfg)
			require.NoError(t, err, rerun)
			want := kinds(check.Audit(simRes))
			require.Equal(t, tc.violates, len(want) > 0, "the simulated verdict is the premise: %v; %s", want, rerun)

			ctx := context.Background()
			hosted, err := live.Host(ctx, live.Config{World: cfg, PostgresDSN: s.pg.DatabaseDSN("postgres"), RedisAddr: s.rd.Addr()})
			require.NoError(t, err, rerun)
			defer hosted.Close()
			tcfg := cfg
			tcfg.Strategy = live.TargetStrategy(cfg.Strategy, cfg.Strategy.Contract, hosted.URL)
			target := hosted.Target(tc.effects, "")
			require.NoError(t, target.CheckWorld(&tcfg), rerun)
			res, err := live.Run(ctx, live.Config{World: tcfg, Limit: time.Minute, Target: &target})
			require.NoError(t, err, rerun)
			require.Equal(t, live.StopDone, res.Stop, rerun)
			assert.Equal(t, want, kinds(check.Audit(res.Result)), "the target's verdict against the simulator's; %s", rerun)
			injected := tc.dropResponse > 0 || tc.duplicate > 0 || tc.crash
			assert.Equal(t, injected, len(res.Faults) > 0, "the faults asked for fired, and no other; %s", rerun)
			if tc.crash {
				crashes := 0
				for _, f := range res.Faults {
					if f.Kind == faults.CrashFault && f.Crash.Node == "s1" {
						crashes++
					}
				}
				// The second, at 250 ms, only when the clients are still at work.
				assert.Positive(t, crashes, "the hosted server's first crash fired; %s", rerun)
			}
		})
	}
}

// standIn is a small payments service as the examples' contract has it,
// in memory: correct, or replaying the stored answer for any body under a
// key (no-payload-check); accept: it answers 202 with the payment's URL
// in Location, where a GET finds it (202-then-poll).
type standIn struct {
	compare bool
	accept  bool
	mu      sync.Mutex
	n       int
	answers map[string]storedAnswer
	rows    map[string][]map[string]any
}

type storedAnswer struct {
	status                      int
	location, body, fingerprint string
}

func (s *standIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := strings.CutPrefix(r.URL.Path, "/payments/"); ok && r.Method == http.MethodGet {
		for _, rows := range s.rows {
			for _, row := range rows {
				if row["id"] == id {
					json.NewEncoder(w).Encode(row)
					return
				}
			}
		}
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if r.Method == http.MethodGet {
		rows := s.rows[r.URL.Query().Get("idempotency_key")]
		if rows == nil {
			rows = []map[string]any{}
		}
		json.NewEncoder(w).Encode(rows)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	var p struct {
		Amount   int64  `json:"amount"`
		Currency string `json:"currency"`
	}
	if key == "" || json.NewDecoder(r.Body).Decode(&p) != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	fp := fmt.Sprint(p.Amount, p.Currency)
	if a, ok := s.answers[key]; ok {
		if s.compare && a.fingerprint != fp {
			w.WriteHeader(http.StatusUnprocessableEntity)
			fmt.Fprint(w, `{"error": "key reused with another payload"}`)
			return
		}
		if a.location != "" {
			w.Header().Set("Location", a.location)
		}
		w.WriteHeader(a.status)
		fmt.Fprint(w, a.body)
		return
	}
	s.n++
	row := map[string]any{"id": fmt.Sprintf("pay_%d", s.n), "amount": p.Amount, "currency": p.Currency, "status": "succeeded"}
	b, _ := json.Marshal(row)
	a := storedAnswer{status: http.StatusCreated, body: string(b), fingerprint: fp}
	if s.accept {
		a.status, a.location, a.body = http.StatusAccepted, "/payments/"+row["id"].(string), "{}"
		w.Header().Set("Location", a.location)
	}
	s.answers[key] = a
	s.rows[key] = append(s.rows[key], row)
	w.WriteHeader(a.status)
	fmt.Fprint(w, a.body)
}

// Goal: the checker holds a service of the examples' contract to it
// through HTTP alone: a correct one passes, one that never compares the
// payload under a reused key is caught (the second payment is lost),
// without an effects query the run still judges the history, and a
// service that answers 202 is polled at its Location. Method: an
// in-memory stand-in service on loopback, clients that reuse a key with
// another payload half of the time, effects counted by --effects-url on
// the service's list of payments per key (or not at all); the audit's
// kinds must be the expected ones, and porcupine must find an illegal
// partition exactly when the audit finds a violation.
func TestTargetStandIn(t *testing.T) {
	if testing.Short() {
		t.Skip("live: runs clients for a few seconds")
	}
	for _, tc := range []struct {
		name            string
		compare, accept bool
		effects         bool
		want            []check.Kind
	}{
		{"correct", true, false, true, nil},
		{"no-payload-check", false, false, true, []check.Kind{check.Lost}},
		{"correct-no-effects", true, false, false, nil},
		{"correct-202-then-poll", true, true, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./live")
			svc := httptest.NewServer(&standIn{compare: tc.compare, accept: tc.accept, answers: map[string]storedAnswer{}, rows: map[string][]map[string]any{}})
			defer svc.Close()
			cfg := smallWorld(t, "naive", 3, 6)
			cfg.Client.ReuseKeyRate = 0.5
			target := &live.Target{URL: svc.URL}
			if tc.effects {
				target.EffectsURL = svc.URL + "/payments?idempotency_key={key}"
			}
			contract := api.ContractReplay
			if tc.accept {
				contract = api.ContractPoll202
			}
			cfg.Strategy = live.TargetStrategy(cfg.Strategy, contract, svc.URL)
			res, err := live.Run(context.Background(), live.Config{World: cfg, Limit: time.Minute, Target: target})
			require.NoError(t, err, rerun)
			require.Equal(t, live.StopDone, res.Stop, rerun)
			rep := check.Audit(res.Result)
			assert.Equal(t, tc.want, kinds(rep), "%s", rerun)
			lin, err := check.Linearize(res.Result, check.DefaultTimeout)
			require.NoError(t, err, rerun)
			assert.Equal(t, len(tc.want) > 0, lin.Counts[check.Illegal] > 0, "porcupine agrees with the audit: %s; %s", lin.Summary(), rerun)
			failed := rep.Beliefs[world.BelievedFailed]
			assert.Equal(t, tc.compare, failed > 0, "a reused key with another payload gets 422 from the correct service only; %s", rerun)
			var ids []string
			for _, a := range res.History {
				if a.Status == http.StatusCreated || a.Status == http.StatusOK {
					require.True(t, strings.HasPrefix(a.Resource, "pay_"), "the id is read from the JSON answer: %q; %s", a.Resource, rerun)
					ids = append(ids, a.Resource)
				}
			}
			sort.Strings(ids)
			assert.NotEmpty(t, ids, rerun)
		})
	}
}

// Goal: a crash of a target runs the restart command at its moment, with
// the downtime in its environment, and the fault list has the crash.
// Method: a stand-in service and a restart command that writes
// IDEMSIM_DOWNTIME_MS to a file (it kills nothing: the stand-in lives in
// the test); one crash of s1 at 20ms for 300ms, well before the clients finish.
func TestTargetRestartCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("live: runs clients for a second")
	}
	rerun := testcmd.Rerun(t, "./live")
	svc := httptest.NewServer(&standIn{compare: true, answers: map[string]storedAnswer{}, rows: map[string][]map[string]any{}})
	defer svc.Close()
	out := filepath.Join(t.TempDir(), "downtime")
	cfg := smallWorld(t, "naive", 2, 10)
	cfg.Strategy = live.TargetStrategy(cfg.Strategy, api.ContractReplay, svc.URL)
	cfg.Faults.Crashes = []faults.Crash{{Node: "s1", At: sim.Time(20 * time.Millisecond), Downtime: 300 * time.Millisecond}}
	res, err := live.Run(context.Background(), live.Config{World: cfg, Limit: time.Minute, Target: &live.Target{
		URL: svc.URL, RestartCmd: `printf '%s' "$IDEMSIM_DOWNTIME_MS" > ` + out}})
	require.NoError(t, err, rerun)
	got, err := os.ReadFile(out)
	require.NoError(t, err, "the restart command ran; %s", rerun)
	assert.Equal(t, "300", string(got), rerun)
	var crashes []string
	for _, f := range res.Faults {
		if f.Kind == faults.CrashFault {
			crashes = append(crashes, f.Crash.Node)
		}
	}
	assert.Equal(t, []string{"s1"}, crashes, rerun)
}

// recorder remembers each request's method, Authorization header and
// body, then hands it to the stand-in.
type recorder struct {
	next http.Handler
	mu   sync.Mutex
	seen []string
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.seen = append(rc.seen, r.Method+" "+r.Header.Get("Authorization")+" "+string(b))
	rc.mu.Unlock()
	r.Body = io.NopCloser(bytes.NewReader(b))
	rc.next.ServeHTTP(w, r)
}

// Goal: a header value's {client} names the sending client, and
// PollBody sends the create's body with each poll, as Hosted.Target
// needs for our servers (and nothing else changes: without PollBody a
// poll has no body). Method: a stand-in that answers 202 with a Location,
// behind a recorder; two clients of two operations each, with and without
// PollBody; every request must carry "Bearer c1" or "Bearer c2", and each
// GET a JSON body with the amount exactly when PollBody is set.
func TestTargetClientHeaderAndPollBody(t *testing.T) {
	if testing.Short() {
		t.Skip("live: runs clients for a second")
	}
	for _, pollBody := range []bool{false, true} {
		t.Run(fmt.Sprintf("poll-body-%v", pollBody), func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./live")
			rec := &recorder{next: &standIn{compare: true, accept: true, answers: map[string]storedAnswer{}, rows: map[string][]map[string]any{}}}
			svc := httptest.NewServer(rec)
			defer svc.Close()
			cfg := smallWorld(t, "naive", 2, 2)
			cfg.Strategy = live.TargetStrategy(cfg.Strategy, api.ContractPoll202, svc.URL)
			target := live.Target{URL: svc.URL, Headers: []string{"Authorization: Bearer {client}"}, PollBody: pollBody}
			res, err := live.Run(context.Background(), live.Config{World: cfg, Limit: time.Minute, Target: &target})
			require.NoError(t, err, rerun)
			require.Equal(t, live.StopDone, res.Stop, rerun)
			rec.mu.Lock()
			defer rec.mu.Unlock()
			polls := 0
			for _, s := range rec.seen {
				method, rest, _ := strings.Cut(s, " ")
				assert.Regexp(t, `^Bearer c[12]\b`, rest, "the client named in the header: %q; %s", s, rerun)
				if method == http.MethodGet {
					polls++
					assert.Equal(t, pollBody, strings.Contains(rest, `"amount"`), "a poll's body: %q; %s", s, rerun)
				}
			}
			assert.Positive(t, polls, "the 202s were polled; %s", rerun)
		})
	}
}
