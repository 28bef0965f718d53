package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testService is the service in one mode on a schema of its own, served by
// an httptest server.
type testService struct {
	t   *testing.T
	url string
	db  *pgxpool.Pool
	svc *service
}

// startService starts the service in mode on a fresh schema. The pool is
// larger than the service's default so that ten racing requests each get a
// connection at once and meet in the database, not in the pool.
func startService(t *testing.T, modeName string) *testService {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(testDSN(t))
	require.NoError(t, err, rerun(t))
	cfg.MaxConns = 16
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	db, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err, rerun(t))
	t.Cleanup(db.Close)
	require.NoError(t, createSchema(ctx, db), rerun(t))
	create, ok := buildMode(modeName)
	require.True(t, ok, "mode %s; %s", modeName, rerun(t))
	svc := newService(db, create, 0, log.New(testWriter{t}, "payments: ", 0))
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	return &testService{t: t, url: srv.URL, db: db, svc: svc}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// post sends POST /payments with key (none when empty) and body, and
// returns the status and the body of the answer.
func (s *testService) post(key, body string) (int, string) {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.url+"/payments", strings.NewReader(body))
	require.NoError(s.t, err, rerun(s.t))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	return s.do(req)
}

func (s *testService) do(req *http.Request) (int, string) {
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err, rerun(s.t))
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err, rerun(s.t))
	return resp.StatusCode, string(b)
}

// payments lists the payments made under key, through the API as a checker
// counts them.
func (s *testService) payments(key string) []payment {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.url+"/payments?idempotency_key="+key, nil)
	require.NoError(s.t, err, rerun(s.t))
	code, body := s.do(req)
	require.Equal(s.t, http.StatusOK, code, "GET /payments: %s; %s", body, rerun(s.t))
	var list []payment
	require.NoError(s.t, json.Unmarshal([]byte(body), &list), "GET /payments answered %s; %s", body, rerun(s.t))
	return list
}

// count is the number of payment rows under key, read in SQL as the
// checker's --effects-sql would.
func (s *testService) count(key string) int {
	s.t.Helper()
	var n int
	require.NoError(s.t, s.db.QueryRow(context.Background(),
		"select count(*) from payments where idempotency_key = $1", key).Scan(&n), rerun(s.t))
	return n
}

const body1000 = `{"amount": 1000, "currency": "usd"}`

// Goal: every mode keeps the contract when requests come one at a time: a
// first request pays (201 and the payment), its retry gets the same status
// and the same bytes and pays nothing more, a request without a key or with
// a malformed body gets 400, the list endpoint answers; and a key reused
// with another amount gets 422 — except in no-payload-check, whose mistake
// is to replay the first payment's answer (201, amount 1000) for it while
// the second payment is never made. Method: one service per mode on a
// schema of its own; the requests in order; payments counted through GET
// /payments and in SQL.
func TestEachModeOneRequestAtATime(t *testing.T) {
	for _, c := range []struct {
		mode      string
		reuseCode int // the answer to the key reused with amount 2000
	}{
		{"correct", http.StatusUnprocessableEntity},
		{"check-outside-txn", http.StatusUnprocessableEntity},
		{"409-in-progress", http.StatusUnprocessableEntity},
		{"memory-only", http.StatusUnprocessableEntity},
		{"no-payload-check", http.StatusCreated},
	} {
		t.Run(c.mode, func(t *testing.T) {
			s := startService(t, c.mode)

			code, first := s.post("k1", body1000)
			require.Equal(t, http.StatusCreated, code, "first request: %s; %s", first, rerun(t))
			var p payment
			require.NoError(t, json.Unmarshal([]byte(first), &p), rerun(t))
			assert.Regexp(t, `^pay_[0-9a-f]{24}$`, p.ID, rerun(t))
			assert.Equal(t, payment{ID: p.ID, Amount: 1000, Currency: "usd", Status: "succeeded"}, p, rerun(t))

			// The same request written another way has the same fingerprint.
			code, again := s.post("k1", `{ "currency":"usd",  "amount":1000 }`)
			assert.Equal(t, http.StatusCreated, code, "retry; "+rerun(t))
			assert.Equal(t, first, again, "a retry replays the first answer byte for byte; "+rerun(t))

			code, reused := s.post("k1", `{"amount": 2000, "currency": "usd"}`)
			assert.Equal(t, c.reuseCode, code, "key reused with another amount: %s; %s", reused, rerun(t))
			if c.reuseCode == http.StatusCreated {
				assert.Equal(t, first, reused, "no-payload-check replays the first payment for the second; "+rerun(t))
			} else {
				assert.Contains(t, reused, `"error"`, rerun(t))
			}
			assert.Equal(t, []payment{p}, s.payments("k1"), "one payment under k1, whatever was asked; "+rerun(t))
			assert.Equal(t, 1, s.count("k1"), rerun(t))

			code, _ = s.post("k2", `{"amount": 2000, "currency": "usd", "note": "another key"}`)
			assert.Equal(t, http.StatusCreated, code, "another key pays again; "+rerun(t))
			assert.Equal(t, 1, s.count("k2"), rerun(t))
			assert.Empty(t, s.payments("nobody"), rerun(t))
		})
	}
}

// Goal: requests the contract refuses get a one-line JSON error with 400 (or
// 404, 405) and make no payment, in any mode. Method: one service in the
// correct mode (validation comes before the mode's code, so one suffices)
// and a table of bad requests; nothing may be written to payments.
func TestBadRequests(t *testing.T) {
	s := startService(t, "correct")
	long := strings.Repeat("k", maxKey+1)
	for _, c := range []struct {
		name, method, path, key, body string
		code                          int
		msg                           string
	}{
		{"no key", "POST", "/payments", "", body1000, 400, "missing Idempotency-Key"},
		{"key too long", "POST", "/payments", long, body1000, 400, "longer than 255"},
		{"not JSON", "POST", "/payments", "b1", "amount=1000", 400, "one JSON object"},
		{"two objects", "POST", "/payments", "b1", body1000 + body1000, 400, "one JSON object"},
		{"a list", "POST", "/payments", "b1", "[1000]", 400, "one JSON object"},
		{"null", "POST", "/payments", "b1", "null", 400, "one JSON object"},
		{"no amount", "POST", "/payments", "b1", `{"currency": "usd"}`, 400, "amount must be a number"},
		{"amount as text", "POST", "/payments", "b1", `{"amount": "1000", "currency": "usd"}`, 400, "amount must be a number"},
		{"fractional amount", "POST", "/payments", "b1", `{"amount": 10.5, "currency": "usd"}`, 400, "positive whole number"},
		{"zero amount", "POST", "/payments", "b1", `{"amount": 0, "currency": "usd"}`, 400, "positive whole number"},
		{"no currency", "POST", "/payments", "b1", `{"amount": 1000}`, 400, "currency must be"},
		{"body too large", "POST", "/payments", "b1", `{"amount": 1000, "currency": "usd", "pad": "` + strings.Repeat("x", maxBody) + `"}`, 400, "unreadable body"},
		{"list without key", "GET", "/payments", "", "", 400, "missing idempotency_key"},
		{"other path", "POST", "/refunds", "b1", body1000, 404, "no such resource"},
		{"other method", "DELETE", "/payments", "b1", "", 405, "not allowed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, s.url+c.path, strings.NewReader(c.body))
			require.NoError(t, err, rerun(t))
			if c.key != "" {
				req.Header.Set("Idempotency-Key", c.key)
			}
			code, body := s.do(req)
			assert.Equal(t, c.code, code, "answer %s; %s", body, rerun(t))
			var e map[string]string
			require.NoError(t, json.Unmarshal([]byte(body), &e), "a JSON error: %s; %s", body, rerun(t))
			assert.Contains(t, e["error"], c.msg, rerun(t))
			assert.NotContains(t, e["error"], "\n", "one line; "+rerun(t))
		})
	}
	var n int
	require.NoError(t, s.db.QueryRow(context.Background(), "select count(*) from payments").Scan(&n), rerun(t))
	assert.Zero(t, n, "no bad request made a payment; "+rerun(t))
}

// holdWork replaces the service's work with a gate: each request that
// reaches the work announces itself on the returned channel, then waits
// until release is closed.
func holdWork(s *testService) (arrived <-chan struct{}, release func()) {
	in := make(chan struct{}, 64)
	gate := make(chan struct{})
	s.svc.work = func(ctx context.Context) error {
		in <- struct{}{}
		select {
		case <-gate:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	var once sync.Once
	return in, func() { once.Do(func() { close(gate) }) }
}

// await waits for n requests to reach the work, failing t if they do not
// within waitLimit (a guard against a hang, not a measure of speed).
func await(t *testing.T, arrived <-chan struct{}, n int) {
	t.Helper()
	deadline := time.After(waitLimit)
	for i := 0; i < n; i++ {
		select {
		case <-arrived:
		case <-deadline:
			t.Fatalf("only %d of %d requests reached the payment's work; %s", i, n, rerun(t))
		}
	}
}

// waitersOnKey is how many sessions of this database are waiting for a
// lock while inserting into idempotency_keys: requests blocked behind the
// uncommitted key row of another.
func waitersOnKey(t *testing.T, db *pgxpool.Pool) int {
	var n int
	require.NoError(t, db.QueryRow(context.Background(),
		`select count(*) from pg_stat_activity
		 where datname = current_database() and wait_event_type = 'Lock' and query like 'insert into idempotency_keys%'`).Scan(&n), rerun(t))
	return n
}

// answer is one racing request's result.
type answer struct {
	code int
	body string
}

// race sends n requests with key and body at once and returns their
// answers once all have come back.
func race(s *testService, n int, key, body string) []answer {
	answers := make([]answer, n)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Go(func() {
			req, err := http.NewRequest(http.MethodPost, s.url+"/payments", strings.NewReader(body))
			if err != nil {
				answers[i] = answer{body: err.Error()}
				return
			}
			req.Header.Set("Idempotency-Key", key)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				answers[i] = answer{body: err.Error()}
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			answers[i] = answer{code: resp.StatusCode, body: string(b)}
		})
	}
	wg.Wait()
	return answers
}

const racers = 10

// Goal: with ten requests under one key at once, correct and
// no-payload-check make one payment and give all ten the same 201, the
// other nine having waited on the first one's key row; check-outside-txn
// and memory-only make ten payments, one per request. Method: the work is
// a gate that the test opens. For the transactional modes the first
// request is held in its work until the nine others are seen waiting on a
// lock in pg_stat_activity; for the two mistakes the gate opens only once
// all ten requests are in their work, which proves each one missed the
// key: the outcome does not depend on timing.
func TestTenRacingRequests(t *testing.T) {
	for _, c := range []struct {
		mode     string
		payments int
	}{
		{"correct", 1},
		{"no-payload-check", 1},
		{"check-outside-txn", racers},
		{"memory-only", racers},
	} {
		t.Run(c.mode, func(t *testing.T) {
			s := startService(t, c.mode)
			arrived, release := holdWork(s)
			defer release()
			done := make(chan []answer, 1)
			go func() { done <- race(s, racers, "race", body1000) }()
			if c.payments == 1 {
				await(t, arrived, 1)
				deadline := time.Now().Add(waitLimit)
				for waitersOnKey(t, s.db) < racers-1 {
					require.True(t, time.Now().Before(deadline), "the nine other requests never waited on the key; %s", rerun(t))
					time.Sleep(5 * time.Millisecond)
				}
			} else {
				await(t, arrived, racers)
			}
			release()
			answers := <-done

			ids := map[string]bool{}
			for i, a := range answers {
				require.Equal(t, http.StatusCreated, a.code, "request %d: %s; %s", i, a.body, rerun(t))
				var p payment
				require.NoError(t, json.Unmarshal([]byte(a.body), &p), rerun(t))
				ids[p.ID] = true
			}
			assert.Len(t, ids, c.payments, "payment ids the ten clients were told; "+rerun(t))
			assert.Equal(t, c.payments, s.count("race"), "payment rows; "+rerun(t))
			assert.Len(t, s.payments("race"), c.payments, "payments listed; "+rerun(t))
		})
	}
}

// Goal: in 409-in-progress, a request whose key's first request is still
// running gets 409 (in correct it would wait and replay), and once the
// first finishes a retry replays its 201; one payment in all. Method: hold
// the first request in its work, send nine more one after the other (each
// must come back 409 while the first is held), then release it and retry.
func TestInProgressGets409(t *testing.T) {
	s := startService(t, "409-in-progress")
	arrived, release := holdWork(s)
	defer release()
	first := make(chan answer, 1)
	go func() {
		code, body := s.post("busy", body1000)
		first <- answer{code, body}
	}()
	await(t, arrived, 1)
	for i := 0; i < racers-1; i++ {
		code, body := s.post("busy", body1000)
		assert.Equal(t, http.StatusConflict, code, "request %d while the first runs: %s; %s", i+2, body, rerun(t))
	}
	code, body := s.post("busy", `{"amount": 5, "currency": "usd"}`)
	assert.Equal(t, http.StatusUnprocessableEntity, code, "another body is refused before the 409: %s; %s", body, rerun(t))
	release()
	a := <-first
	require.Equal(t, http.StatusCreated, a.code, "the first request: %s; %s", a.body, rerun(t))
	code, body = s.post("busy", body1000)
	assert.Equal(t, http.StatusCreated, code, rerun(t))
	assert.Equal(t, a.body, body, "the retry after it replays it; "+rerun(t))
	assert.Equal(t, 1, s.count("busy"), rerun(t))
}

// Goal: the fingerprint ignores key order and spacing at every level but
// not values or extra fields. Method: a table of pairs of bodies, parsed
// as a request would be.
func TestFingerprint(t *testing.T) {
	for _, c := range []struct {
		name string
		a, b string
		same bool
	}{
		{"order and spaces", `{"amount":1,"currency":"usd","m":{"x":1,"y":2}}`, `{ "m": {"y":2, "x":1}, "currency":"usd", "amount":1 }`, true},
		{"amount", `{"amount":1,"currency":"usd"}`, `{"amount":2,"currency":"usd"}`, false},
		{"extra field", `{"amount":1,"currency":"usd"}`, `{"amount":1,"currency":"usd","note":"x"}`, false},
		{"large amounts stay exact", `{"amount":9007199254740993,"currency":"usd"}`, `{"amount":9007199254740992,"currency":"usd"}`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			fp := func(body string) string {
				r := httptest.NewRequest(http.MethodPost, "/payments", strings.NewReader(body))
				r.Header.Set("Idempotency-Key", "k")
				req, bad := parseRequest(r)
				require.Nil(t, bad, "%s; %s", body, rerun(t))
				return req.fingerprint
			}
			assert.Equal(t, c.same, fp(c.a) == fp(c.b), fmt.Sprintf("%s vs %s; %s", c.a, c.b, rerun(t)))
		})
	}
}
