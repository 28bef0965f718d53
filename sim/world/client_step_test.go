package world

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
)

// stepRerun is the command that reruns the calling test or subtest alone.
func stepRerun(t *testing.T) string { return testcmd.Rerun(t, "./sim/world") }

// answer is what came back for one attempt, and when, counted from the
// operation's first attempt.
type answer struct {
	r  *api.Response // nil: no answer (a timeout or a reset)
	at sim.Duration
}

// none is an attempt that got no answer.
var none = answer{}

// header sets one header of a response.
type header func(*api.Response)

func resource(id string) header        { return func(r *api.Response) { r.Resource = id } }
func location(url string) header       { return func(r *api.Response) { r.Location = url } }
func etag(v string) header             { return func(r *api.Response) { r.ETag = v } }
func retryAfter(d sim.Duration) header { return func(r *api.Response) { r.RetryAfter = d } }

// got is an answer with status and headers.
func got(status int, headers ...header) answer {
	r := &api.Response{Status: status}
	for _, h := range headers {
		h(r)
	}
	return answer{r: r}
}

// after is the same answer, coming elapsed after the first attempt.
func (a answer) after(elapsed sim.Duration) answer { a.at = elapsed; return a }

// walk feeds answers to the step from state s, one per attempt, and
// describes each exchange as a line: the request sent, the answer and how
// it was read, and the move. It checks the step's purity on the way (the
// same input gives the same output twice, and s is not changed) and that
// nothing is fed past a conclusion.
func walk(t *testing.T, cfg *ClientConfig, s opState, answers []answer) []string {
	var lines []string
	concluded := false
	for k, a := range answers {
		require.False(t, concluded, "answer %d fed after the operation concluded\n%s", k+1, stepRerun(t))
		sent := s
		next, m := s.next(cfg, a.r, a.at)
		again, m2 := s.next(cfg, a.r, a.at)
		require.Equal(t, sent, s, "next changed its receiver\n%s", stepRerun(t))
		require.Equal(t, next, again, "next gave two states for the same input\n%s", stepRerun(t))
		require.Equal(t, m, m2, "next gave two moves for the same input\n%s", stepRerun(t))
		if m.do == moveConclude && m.why == stopDecided {
			require.Same(t, a.r, m.from, "a conclusion an answer decided carries it\n%s", stepRerun(t))
		} else {
			require.Nil(t, m.from, "only a deciding answer is carried\n%s", stepRerun(t))
		}
		lines = append(lines, describe(sent, a.r, m))
		s, concluded = next, m.do == moveConclude
	}
	return lines
}

// describe renders one exchange, as the table's rows spell it:
// "create#2 @/status/k1 if-match v1: 500 retry -> new key, backoff(2), at least 1s".
func describe(sent opState, r *api.Response, m move) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s#%d", sent.kind, sent.n)
	if sent.location != "" {
		b.WriteString(" @" + sent.location)
	}
	if sent.ifMatch != "" {
		b.WriteString(" if-match " + sent.ifMatch)
	}
	if r == nil {
		b.WriteString(": none")
	} else {
		fmt.Fprintf(&b, ": %d %s", r.Status, m.heard)
	}
	b.WriteString(" -> ")
	if m.newKey {
		b.WriteString("new key, ")
	}
	switch m.do {
	case moveWait:
		if m.retry == 0 {
			fmt.Fprintf(&b, "wait %v", m.wait)
			break
		}
		fmt.Fprintf(&b, "backoff(%d)", m.retry)
		if m.wait > 0 {
			fmt.Fprintf(&b, ", at least %v", m.wait)
		}
	case moveConclude:
		b.WriteString(m.belief.String())
		switch m.why {
		case outOfBudget:
			b.WriteString(" (no attempts left)")
		case pastDeadline:
			b.WriteString(" (past deadline)")
		}
	default:
		fmt.Fprintf(&b, "move(%d)", m.do)
	}
	return b.String()
}

// Goal: the client's step follows each contract and each client policy,
// one answer at a time: what it reads in a status, what it sends next
// (create, poll, delete; status URL, If-Match), how long it waits (backoff
// with a Retry-After floor, or the poll interval), when it mints a new
// key, and why it stops (an answer, the attempt budget, the deadline).
// Method: table of contract or policy -> answers fed to next from the
// operation's first state, compared with the exchanges' descriptions (the
// run's defaults: 8 attempts, polls every 500ms); walk checks purity on
// the way.
func TestClientStep(t *testing.T) {
	cases := []struct {
		name    string
		policy  string // --policy's value, if any
		cfg     func(*ClientConfig)
		begin   opState
		answers []answer
		want    []string
	}{
		// Replay: a repeat gets the stored answer again.
		{
			name:    "replay/the first answer decides",
			begin:   beginCreate(false),
			answers: []answer{got(201, resource("pay_1"))},
			want:    []string{"create#1: 201 done -> done"},
		},
		{
			name:    "replay/a lost answer, then the stored 201 replayed",
			begin:   beginCreate(false),
			answers: []answer{none, got(201, resource("pay_1"))},
			want:    []string{"create#1: none -> backoff(1)", "create#2: 201 done -> done"},
		},
		{
			name:    "replay/a 5xx is retried under the same key, each backoff longer",
			begin:   beginCreate(false),
			answers: []answer{got(500), got(503), got(201)},
			want:    []string{"create#1: 500 retry -> backoff(1)", "create#2: 503 retry -> backoff(2)", "create#3: 201 done -> done"},
		},
		{
			name:    "replay/a 422 (the key with another payload) gives up",
			begin:   beginCreate(false),
			answers: []answer{got(422)},
			want:    []string{"create#1: 422 give-up -> failed"},
		},
		// 409 on a duplicate.
		{
			name:    "409/a finished duplicate reads as done",
			begin:   beginCreate(false),
			answers: []answer{got(409)},
			want:    []string{"create#1: 409 done -> done"},
		},
		{
			name:    "409/in flight with Retry-After: retry no sooner than it says",
			begin:   beginCreate(false),
			answers: []answer{got(409, retryAfter(2*time.Second)), got(201)},
			want:    []string{"create#1: 409 retry -> backoff(1), at least 2s", "create#2: 201 done -> done"},
		},
		{
			name:    "409/--retry-after ignore: the policy alone reads it",
			cfg:     func(c *ClientConfig) { c.IgnoreRetryAfter = true },
			begin:   beginCreate(false),
			answers: []answer{got(409, retryAfter(2*time.Second))},
			want:    []string{"create#1: 409 done -> done"},
		},
		{
			name:    "409/--policy 409=retry spends the budget",
			policy:  "409=retry",
			cfg:     func(c *ClientConfig) { c.Attempts = 3 },
			begin:   beginCreate(false),
			answers: []answer{got(409), got(409), got(409)},
			want:    []string{"create#1: 409 retry -> backoff(1)", "create#2: 409 retry -> backoff(2)", "create#3: 409 retry -> exhausted (no attempts left)"},
		},
		{
			name:    "409/a Retry-After floor counts once: a lost answer after it has none",
			begin:   beginCreate(false),
			answers: []answer{got(429, retryAfter(time.Second)), none, got(201)},
			want:    []string{"create#1: 429 retry -> backoff(1), at least 1s", "create#2: none -> backoff(2)", "create#3: 201 done -> done"},
		},
		// 202, then poll the status URL.
		{
			name:    "202/poll the status URL every poll interval until the outcome",
			begin:   beginCreate(false),
			answers: []answer{got(202, location("/status/k1"), retryAfter(time.Second)), got(202), none, got(200, resource("pay_1"))},
			want: []string{
				"create#1: 202 poll -> wait 500ms", // a Retry-After on a 2xx is no error: no floor
				"poll#2 @/status/k1: 202 poll -> wait 500ms",
				"poll#3 @/status/k1: none -> wait 500ms",
				"poll#4 @/status/k1: 200 done -> done",
			},
		},
		{
			name:    "202/a poll's 5xx creates again, at the URL it knows",
			begin:   beginCreate(false),
			answers: []answer{got(202, location("/status/k1")), got(500), got(201, location("/payments/pay_1"))},
			want:    []string{"create#1: 202 poll -> wait 500ms", "poll#2 @/status/k1: 500 retry -> backoff(2)", "create#3 @/status/k1: 201 done -> done"},
		},
		{
			name:    "202/a poll's 404 gives up",
			begin:   beginCreate(false),
			answers: []answer{got(202, location("/status/k1")), got(404)},
			want:    []string{"create#1: 202 poll -> wait 500ms", "poll#2 @/status/k1: 404 give-up -> failed"},
		},
		// ETag and 412: read the version, create under it, re-read after a 412.
		{
			name:    "412/read the version first, then create under it",
			begin:   beginCreate(true),
			answers: []answer{got(200, etag("v1")), got(201, resource("pay_1"))},
			want:    []string{"poll#1: 200 retry -> backoff(1)", "create#2 if-match v1: 201 done -> done"},
		},
		{
			name:    "412/the re-read shows this operation's effect: done",
			begin:   beginCreate(true),
			answers: []answer{got(200, etag("v1")), got(412), got(200, etag("v2"), resource("pay_1"))},
			want:    []string{"poll#1: 200 retry -> backoff(1)", "create#2 if-match v1: 412 reread -> backoff(2)", "poll#3 if-match v1: 200 done -> done"},
		},
		{
			name:    "412/the re-read does not show it: create under the new version",
			begin:   beginCreate(true),
			answers: []answer{got(200, etag("v1")), got(412), got(200, etag("v2")), got(201, resource("pay_1"))},
			want: []string{
				"poll#1: 200 retry -> backoff(1)",
				"create#2 if-match v1: 412 reread -> backoff(2)",
				"poll#3 if-match v1: 200 retry -> backoff(3)",
				"create#4 if-match v2: 201 done -> done",
			},
		},
		{
			name:    "412/--policy 412=reapply ignores the effect in the re-read (the double-apply bug)",
			policy:  "412=reapply",
			begin:   beginCreate(true),
			answers: []answer{got(200, etag("v1")), got(412), got(200, etag("v2"), resource("pay_1")), got(201, resource("pay_2"))},
			want: []string{
				"poll#1: 200 retry -> backoff(1)",
				"create#2 if-match v1: 412 reapply -> backoff(2)",
				"poll#3 if-match v1: 200 retry -> backoff(3)",
				"create#4 if-match v2: 201 done -> done",
			},
		},
		{
			name:    "412/a failed read reads again, with backoff rather than the poll interval",
			begin:   beginCreate(true),
			answers: []answer{got(503), none, got(200, etag("v1"))},
			want:    []string{"poll#1: 503 retry -> backoff(1)", "poll#2: none -> backoff(2)", "poll#3: 200 retry -> backoff(3)"},
		},
		{
			name:    "412/--key-after-5xx new keeps the key when the read fails",
			cfg:     func(c *ClientConfig) { c.NewKeyAfter5xx = true },
			begin:   beginCreate(true),
			answers: []answer{got(500)},
			want:    []string{"poll#1: 500 retry -> backoff(1)"},
		},
		// The client's policies.
		{
			name:    "policy/--key-after-5xx new mints a key after each 5xx",
			cfg:     func(c *ClientConfig) { c.NewKeyAfter5xx = true },
			begin:   beginCreate(false),
			answers: []answer{got(500), got(503, retryAfter(time.Second)), got(429), got(201)},
			want: []string{
				"create#1: 500 retry -> new key, backoff(1)",
				"create#2: 503 retry -> new key, backoff(2), at least 1s",
				"create#3: 429 retry -> backoff(3)",
				"create#4: 201 done -> done",
			},
		},
		{
			name:    "policy/--key-after-5xx new mints the key even with no attempt left",
			cfg:     func(c *ClientConfig) { c.NewKeyAfter5xx = true; c.Attempts = 1 },
			begin:   beginCreate(false),
			answers: []answer{got(500)},
			want:    []string{"create#1: 500 retry -> new key, exhausted (no attempts left)"},
		},
		{
			name:    "policy/--key-after-5xx keep (the default) never mints one",
			begin:   beginCreate(false),
			answers: []answer{got(500)},
			want:    []string{"create#1: 500 retry -> backoff(1)"},
		},
		{
			name:    "policy/--op-deadline stops before the wait once it has passed",
			cfg:     func(c *ClientConfig) { c.OpDeadline = 2 * time.Second },
			begin:   beginCreate(false),
			answers: []answer{none.after(time.Second), got(500).after(2 * time.Second)},
			want:    []string{"create#1: none -> backoff(1)", "create#2: 500 retry -> exhausted (past deadline)"},
		},
		{
			name:    "policy/--op-deadline does not overrule a deciding answer",
			cfg:     func(c *ClientConfig) { c.OpDeadline = 2 * time.Second },
			begin:   beginCreate(false),
			answers: []answer{got(201).after(time.Hour)},
			want:    []string{"create#1: 201 done -> done"},
		},
		{
			name:    "policy/--op-deadline 0 is no deadline",
			begin:   beginCreate(false),
			answers: []answer{none.after(1000 * time.Hour)},
			want:    []string{"create#1: none -> backoff(1)"},
		},
		{
			name:    "policy/--attempts 1: the budget is checked before the deadline",
			cfg:     func(c *ClientConfig) { c.Attempts = 1; c.OpDeadline = time.Second },
			begin:   beginCreate(false),
			answers: []answer{none.after(time.Hour)},
			want:    []string{"create#1: none -> exhausted (no attempts left)"},
		},
		{
			name:    "policy/--policy 5xx=give-up",
			policy:  "5xx=give-up",
			begin:   beginCreate(false),
			answers: []answer{got(502)},
			want:    []string{"create#1: 502 give-up -> failed"},
		},
		{
			name:    "policy/--policy 201=poll polls what the create said",
			policy:  "201=poll",
			begin:   beginCreate(false),
			answers: []answer{got(201, location("/payments/pay_1")), got(200, resource("pay_1"))},
			want:    []string{"create#1: 201 poll -> wait 500ms", "poll#2 @/payments/pay_1: 200 done -> done"},
		},
		{
			name:    "policy/--policy 2xx=reread reads the resource before believing it",
			policy:  "2xx=reread",
			begin:   beginCreate(false),
			answers: []answer{got(201, location("/payments/pay_1")), got(200, resource("pay_1"))},
			want:    []string{"create#1: 201 reread -> backoff(1)", "poll#2 @/payments/pay_1: 200 done -> done"},
		},
		// A delete: the same DELETE until a done or give-up reading.
		{
			name:    "delete/done",
			begin:   beginDelete("/payments/pay_1"),
			answers: []answer{got(200)},
			want:    []string{"delete#1 @/payments/pay_1: 200 done -> done"},
		},
		{
			name:    "delete/a second delete's 404 gives up, as the default policy reads it",
			begin:   beginDelete("/payments/pay_1"),
			answers: []answer{none, got(404)},
			want:    []string{"delete#1 @/payments/pay_1: none -> backoff(1)", "delete#2 @/payments/pay_1: 404 give-up -> failed"},
		},
		{
			name:    "delete/--policy 404=done believes a second delete's 404",
			policy:  "404=done",
			begin:   beginDelete("/payments/pay_1"),
			answers: []answer{got(404)},
			want:    []string{"delete#1 @/payments/pay_1: 404 done -> done"},
		},
		{
			name:    "delete/retry, poll and reread all send the same delete after backoff, under the same key",
			cfg:     func(c *ClientConfig) { c.NewKeyAfter5xx = true },
			begin:   beginDelete("/payments/pay_1"),
			answers: []answer{got(500, location("/elsewhere")), got(202, location("/status/k1")), got(412, etag("v2")), got(429, retryAfter(3*time.Second)), got(204)},
			want: []string{
				"delete#1 @/payments/pay_1: 500 retry -> backoff(1)",
				"delete#2 @/payments/pay_1: 202 poll -> backoff(2)",
				"delete#3 @/payments/pay_1: 412 reread -> backoff(3)",
				"delete#4 @/payments/pay_1: 429 retry -> backoff(4), at least 3s",
				"delete#5 @/payments/pay_1: 204 done -> done",
			},
		},
		{
			name:    "delete/without a resource to name, and out of attempts",
			cfg:     func(c *ClientConfig) { c.Attempts = 2 },
			begin:   beginDelete(""),
			answers: []answer{none, none},
			want:    []string{"delete#1: none -> backoff(1)", "delete#2: none -> exhausted (no attempts left)"},
		},
		{
			name:    "delete/--op-deadline",
			cfg:     func(c *ClientConfig) { c.OpDeadline = time.Second },
			begin:   beginDelete("/payments/pay_1"),
			answers: []answer{got(503).after(time.Second)},
			want:    []string{"delete#1 @/payments/pay_1: 503 retry -> exhausted (past deadline)"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := Defaults().Client
			if c.cfg != nil {
				c.cfg(&cfg)
			}
			if c.policy != "" {
				require.NoError(t, cfg.Policy.Override(c.policy), stepRerun(t))
			}
			got := walk(t, &cfg, c.begin, c.answers)
			assert.Equal(t, c.want, got, "exchanges\n%s", stepRerun(t))
		})
	}
}

// Goal: a client back from a crash resumes the operation it had sent an
// attempt of (no think time), under a new key only when the key lived in
// memory (--key-on-restart regenerate); an operation it had not started
// starts afresh, under the key it has.
// Method: table of (attempted, --key-on-restart) -> (resuming, new key).
func TestClientRestart(t *testing.T) {
	cases := []struct {
		policy            KeyOnRestart
		attempted         bool
		resuming, wantKey bool
	}{
		{KeyPersist, false, false, false},
		{KeyPersist, true, true, false},
		{KeyRegenerate, false, false, false},
		{KeyRegenerate, true, true, true},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/attempted=%v", c.policy, c.attempted), func(t *testing.T) {
			cfg := Defaults().Client
			cfg.KeyOnRestart = c.policy
			resuming, newKey := restart(&cfg, c.attempted)
			assert.Equal(t, c.resuming, resuming, "resuming\n%s", stepRerun(t))
			assert.Equal(t, c.wantKey, newKey, "new key\n%s", stepRerun(t))
		})
	}
}

// Goal: the backoff the step asks for is full jitter under base·2^(retry-1)
// and the cap, with no overflow at large retries or bases, and none at all
// with a zero base or cap.
// Method: table of (base, cap, retry, draw) -> wait.
func TestBackoff(t *testing.T) {
	cases := []struct {
		name        string
		base, limit time.Duration
		retry       int
		q           float64
		want        time.Duration
	}{
		{"first", 100 * time.Millisecond, 5 * time.Second, 1, 0.5, 50 * time.Millisecond},
		{"doubles", 100 * time.Millisecond, 5 * time.Second, 4, 0.5, 400 * time.Millisecond},
		{"capped", 100 * time.Millisecond, 5 * time.Second, 7, 0.5, 2500 * time.Millisecond},
		{"draw 0", 100 * time.Millisecond, 5 * time.Second, 3, 0, 0},
		{"shift past 62", 100 * time.Millisecond, 5 * time.Second, 100, 0.5, 2500 * time.Millisecond},
		{"overflow", time.Hour, 100000 * time.Hour, 40, 0.5, 50000 * time.Hour},
		{"zero base", 0, 5 * time.Second, 5, 0.9, 0},
		{"zero cap", 100 * time.Millisecond, 0, 1, 0.9, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := ClientConfig{BackoffBase: c.base, BackoffCap: c.limit}
			assert.Equal(t, c.want, backoff(&cfg, c.retry, c.q), "backoff(base %v, cap %v, retry %d, q %v)\n%s", c.base, c.limit, c.retry, c.q, stepRerun(t))
		})
	}
}
