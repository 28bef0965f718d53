package models_test

import (
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/experiments"
	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// tinyWorld is one server, one client (or two workers on one queue) and one
// payment charged at the gateway, with a settle long enough for a completer
// that waits 5 minutes.
func tinyWorld(s api.Strategy, workers int) world.Config {
	cfg := world.Defaults()
	cfg.Strategy, cfg.Charge = s, true
	cfg.Servers, cfg.Clients, cfg.OpsPerClient, cfg.WorkersPerOp = 1, workers, 1, workers
	cfg.Client.Think = sim.Const(0)
	cfg.Client.Attempts = 4
	cfg.Settle = 10 * time.Minute
	return cfg
}

// alterSecond wraps s so that the second request its server receives is
// changed by alter (process memory: the count restarts with the server),
// as a client that reuses its key for another intent, or drops it, would.
func alterSecond(s api.Strategy, alter func(*api.Request)) api.Strategy {
	boot := s.Boot
	s.Boot = func(st api.Settings) api.Server {
		srv := boot(st)
		create, n := srv.Create, 0
		srv.Create = func(env api.Env, req api.Request) api.Response {
			if n++; n == 2 {
				alter(&req)
			}
			return create(env, req)
		}
		return srv
	}
	return s
}

func faultLines(t *testing.T, lines ...string) []faults.Fault {
	var out []faults.Fault
	for _, l := range lines {
		f, err := faults.ParseFault(l)
		require.NoError(t, err, l)
		out = append(out, f)
	}
	return out
}

// replayOutcome is what one tiny run shows of a strategy: the verdicts, the
// statuses of the first client's attempts (0 for a timeout), its
// conclusion, and the payments rows and gateway charges in the ledger.
type replayOutcome struct {
	verdicts []check.Kind
	statuses []int
	belief   world.Belief
	payments int
	charges  int
}

// Goal: the situations that tell stripe-replay, ietf-draft and
// atomic-phases apart, each in a tiny scripted world, with the verdict the
// oracle gives: the refusal of a key reused with another payload (400, 422,
// 409) and of a missing key; a retry later than the retention window (24 h,
// 72 h, give or take the reaper's period) that charges again; a key in
// flight answered 409 while its first request fails with nothing done
// (stored and replayed, or resumed); a crash after the claim or after the
// charge (the key stuck in flight, or finished by the completer after 5
// minutes); a gateway 500 after the money moved (the 502 replayed until the
// client gives up, or the charge resumed with the forwarded key). Method:
// one client (two workers for the in-flight case) and one payment charged
// at the gateway, faults scripted with world.Config.Faults.Replay and named
// crash points, the default client policy (409 read as done), the
// strategies' default switches.
func TestReplayStrategiesApart(t *testing.T) {
	op := "o1.1"
	for _, sc := range []struct {
		name  string
		world func(t *testing.T, s api.Strategy) world.Config
		want  map[string]replayOutcome
	}{
		{
			// The first response is lost; the retry carries another amount
			// under the same key.
			name: "payload-mismatch",
			world: func(t *testing.T, s api.Strategy) world.Config {
				cfg := tinyWorld(alterSecond(s, func(r *api.Request) {
					r.Payload.Amount++
					r.Fingerprint = r.Payload.Fingerprint()
				}), 1)
				cfg.Faults.Replay = faultLines(t, "drop-response c1/"+op+"/a1")
				return cfg
			},
			want: map[string]replayOutcome{
				"stripe-replay": {verdicts: []check.Kind{check.WrongAnswer}, statuses: []int{0, 400}, belief: world.BelievedFailed, payments: 1, charges: 1},
				"ietf-draft":    {verdicts: []check.Kind{check.WrongAnswer}, statuses: []int{0, 422}, belief: world.BelievedFailed, payments: 1, charges: 1},
				"atomic-phases": {statuses: []int{0, 409}, belief: world.BelievedDone, payments: 1, charges: 1},
			},
		},
		{
			// The retry comes without the header: Stripe runs it with no
			// idempotency (a second payment), the draft and the reference
			// design require the key.
			name: "missing-key-on-retry",
			world: func(t *testing.T, s api.Strategy) world.Config {
				cfg := tinyWorld(alterSecond(s, func(r *api.Request) { r.Key = "" }), 1)
				cfg.Faults.Replay = faultLines(t, "drop-response c1/"+op+"/a1")
				return cfg
			},
			want: map[string]replayOutcome{
				"stripe-replay": {verdicts: []check.Kind{check.Duplicate}, statuses: []int{0, 201}, belief: world.BelievedDone, payments: 2, charges: 2},
				"ietf-draft":    {verdicts: []check.Kind{check.WrongAnswer}, statuses: []int{0, 400}, belief: world.BelievedFailed, payments: 1, charges: 1},
				"atomic-phases": {verdicts: []check.Kind{check.WrongAnswer}, statuses: []int{0, 400}, belief: world.BelievedFailed, payments: 1, charges: 1},
			},
		},
		{
			// The first response is lost and the client waits 27 h before
			// it retries: past Stripe's window (and the gateway's, 24 h),
			// within the reference design's 72 h. (A reaper sweeps every
			// tenth of its window, so a key lives up to 1.1 windows.)
			name:  "retry-after-27h",
			world: func(t *testing.T, s api.Strategy) world.Config { return lateRetry(t, s, 27*time.Hour) },
			want: map[string]replayOutcome{
				"stripe-replay": {verdicts: []check.Kind{check.Duplicate}, statuses: []int{0, 201}, belief: world.BelievedDone, payments: 2, charges: 2},
				"ietf-draft":    {verdicts: []check.Kind{check.Duplicate}, statuses: []int{0, 201}, belief: world.BelievedDone, payments: 2, charges: 2},
				"atomic-phases": {statuses: []int{0, 201}, belief: world.BelievedDone, payments: 1, charges: 1},
			},
		},
		{
			name:  "retry-after-80h",
			world: func(t *testing.T, s api.Strategy) world.Config { return lateRetry(t, s, 80*time.Hour) },
			want: map[string]replayOutcome{
				"atomic-phases": {verdicts: []check.Kind{check.Duplicate}, statuses: []int{0, 201}, belief: world.BelievedDone, payments: 2, charges: 2},
			},
		},
		{
			// Two workers send the key at once; the one that claims it loses
			// its call to the gateway (nothing charged). The other was told
			// 409 and stopped. Stripe's contract stores the 502 and replays
			// it; the reference design unlocks and the retry resumes.
			name: "in-flight-then-first-fails",
			world: func(t *testing.T, s api.Strategy) world.Config {
				cfg := tinyWorld(s, 2)
				cfg.Client.IgnoreRetryAfter = true // the other worker reads the 409 as done
				// Only the claimant calls the gateway: one of these fires.
				cfg.Faults.Replay = faultLines(t, "drop-request c1/"+op+"/a1/gateway1", "drop-request c2/"+op+"/a1/gateway1")
				return cfg
			},
			want: map[string]replayOutcome{
				"stripe-replay": {verdicts: []check.Kind{check.Lost, check.Stuck}, payments: 0, charges: 0},
				"ietf-draft":    {verdicts: []check.Kind{check.Lost, check.Stuck}, payments: 0, charges: 0},
				"atomic-phases": {payments: 1, charges: 1},
			},
		},
		{
			// The server dies right after committing the claim; the retry
			// finds the key in flight (409, read as done).
			name: "crash-after-claim",
			world: func(t *testing.T, s api.Strategy) world.Config {
				cfg := crashAt(s, "after-claim")
				cfg.Client.IgnoreRetryAfter = true // the retry reads the in-flight 409 as done
				return cfg
			},
			want: map[string]replayOutcome{
				"stripe-replay": {verdicts: []check.Kind{check.Lost}, statuses: []int{0, 409}, belief: world.BelievedDone, payments: 0, charges: 0},
				"ietf-draft":    {verdicts: []check.Kind{check.Lost}, statuses: []int{0, 409}, belief: world.BelievedDone, payments: 0, charges: 0},
				// The completer takes the key over after 5 minutes.
				"atomic-phases": {statuses: []int{0, 409}, belief: world.BelievedDone, payments: 1, charges: 1},
			},
		},
		{
			// The server dies between the charge and recording it.
			name:  "crash-after-charge",
			world: func(t *testing.T, s api.Strategy) world.Config { return crashAt(s, "after-charge") },
			want: map[string]replayOutcome{
				// The money moved; the payment is never recorded, and the
				// client, honouring Retry-After, retries the in-flight key
				// until its attempts run out.
				"stripe-replay": {statuses: []int{0, 409, 409, 409}, belief: world.Exhausted, payments: 0, charges: 1},
				"ietf-draft":    {statuses: []int{0, 409, 409, 409}, belief: world.Exhausted, payments: 0, charges: 1},
				// The completer charges again with the same key (the
				// gateway replays it) and records the payment, after the
				// client has given up.
				"atomic-phases": {statuses: []int{0, 409, 409, 409}, belief: world.Exhausted, payments: 1, charges: 1},
			},
		},
		{
			// The gateway charges and answers 500.
			name: "gateway-500-after-charging",
			world: func(t *testing.T, s api.Strategy) world.Config {
				cfg := tinyWorld(s, 1)
				cfg.Faults.Replay = faultLines(t, "gateway-500 c1/"+op+"/a1/gateway1")
				return cfg
			},
			want: map[string]replayOutcome{
				// The 502 is replayed until the client runs out of
				// attempts; the audit does not count it (it took effect),
				// but the client never learns the payment was made.
				"stripe-replay": {statuses: []int{502, 502, 502, 502}, belief: world.Exhausted, payments: 0, charges: 1},
				"ietf-draft":    {statuses: []int{502, 502, 502, 502}, belief: world.Exhausted, payments: 0, charges: 1},
				"atomic-phases": {statuses: []int{502, 201}, belief: world.BelievedDone, payments: 1, charges: 1},
			},
		},
	} {
		for _, name := range []string{"stripe-replay", "ietf-draft", "atomic-phases"} {
			want, ok := sc.want[name]
			if !ok {
				continue
			}
			t.Run(sc.name+"/"+name, func(t *testing.T) {
				rerun := testcmd.Rerun(t, "./models")
				s, err := models.Lookup(name)
				require.NoError(t, err, rerun)
				res, err := world.Run(sc.world(t, s))
				require.NoError(t, err, rerun)
				rep := check.Audit(res)
				for _, k := range check.Kinds {
					assert.Equal(t, slices.Contains(want.verdicts, k), rep.Counts[k] > 0, "verdict %s: %v; %s", k, rep.Violations, rerun)
				}
				var payments, charges int
				for _, row := range res.Ledger {
					switch row.Source {
					case world.SourceGateway:
						charges++
					default:
						payments++
					}
				}
				assert.Equal(t, want.payments, payments, "payments rows; %s", rerun)
				assert.Equal(t, want.charges, charges, "gateway charges; %s", rerun)
				if want.statuses != nil {
					var statuses []int
					for _, a := range res.History {
						if a.Client == "c1" {
							statuses = append(statuses, a.Status)
						}
					}
					assert.Equal(t, want.statuses, statuses, "c1's statuses (0: no answer); %s", rerun)
					assert.Equal(t, want.belief, res.Outcomes[0].Belief, "c1's conclusion; %s", rerun)
				}
			})
		}
	}
}

// lateRetry loses the first response and has the client retry only after
// wait.
func lateRetry(t *testing.T, s api.Strategy, wait time.Duration) world.Config {
	cfg := tinyWorld(s, 1)
	cfg.Faults.Replay = faultLines(t, "drop-response c1/o1.1/a1")
	cfg.Client.TimeoutPerAttempt = wait
	cfg.Deadline = wait + time.Hour
	return cfg
}

// crashAt crashes s1 the first time it reaches point, for 100 ms; the
// client's first attempt times out and its retry comes after the restart.
func crashAt(s api.Strategy, point string) world.Config {
	cfg := tinyWorld(s, 1)
	cfg.Faults.CrashPoints = []faults.CrashPoint{{Node: "s1", Point: point, Nth: 1, Downtime: 100 * time.Millisecond}}
	return cfg
}

// Goal: the three replay strategies are correct under random faults (the
// chaos test) because clients honour the Retry-After of their in-progress
// 409, as Stripe's client library retries it; a client that ignores it and
// reads the 409 as done loses operations, and the same fault mixes catch
// each. Method: experiments.Chaos with Retry-After ignored, at each
// strategy's first level, until a lost operation shows (at most
// IDEMSIM_CHAOS_SEEDS seeds).
func TestReplayStrategiesLoseWhen409IsDone(t *testing.T) {
	n := chaosSeeds(t)
	for _, name := range []string{"stripe-replay", "ietf-draft", "atomic-phases"} {
		s, err := models.Lookup(name)
		require.NoError(t, err)
		level := levelsOf(s)[0]
		t.Run(name+"/"+level.Slug(), func(t *testing.T) {
			t.Parallel()
			rerun := testcmd.Rerun(t, "./models")
			lost := uint64(0)
			for from := uint64(1); from <= n && lost == 0; from += chaosChunk {
				err := experiments.SweepConfigs(func(seed uint64) world.Config {
					cfg := experiments.Chaos(s, seed)
					cfg.DB.Isolation, cfg.Client.IgnoreRetryAfter = level, true
					return cfg
				}, from, min(chaosChunk, n-from+1), runtime.GOMAXPROCS(0), func(r experiments.SeedResult) {
					if lost == 0 && r.Counts[1] > 0 {
						lost = r.Seed
					}
				})
				require.NoError(t, err, rerun)
			}
			assert.NotZero(t, lost, "%s never lost an operation with 409 read as done over %d seeds; %s", name, n, rerun)
		})
	}
}
