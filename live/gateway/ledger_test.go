package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/crash"
	"github.com/idemsim/idemsim/live/gateway"
	"github.com/idemsim/idemsim/sim/api"
	simgw "github.com/idemsim/idemsim/sim/gateway"
)

// Goal: the database, not the process, serializes the gateway: concurrent
// charges with one key make exactly one charge, and concurrent charges
// without one get ids with no gap. Method: 8 goroutines released at once
// charge through one Client (the real clock; with no processing time and
// with 20ms, which makes 409s likely), and the ledger is read back.
func testConcurrentCharges(t *testing.T, pg *postgres) {
	const workers = 8
	cases := []struct {
		name       string
		cfg        simgw.Config
		key        string
		processing time.Duration
		charges    int
	}{
		{"one key, idempotent", simgw.DefaultConfig(), "k1", 0, 1},
		{"one key, idempotent, 20ms processing", simgw.DefaultConfig(), "k1", 20 * time.Millisecond, 1},
		{"one key, mode none", simgw.Config{Mode: simgw.None}, "k1", 0, workers},
		{"no key, idempotent", simgw.DefaultConfig(), "", 0, workers},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, url := serve(t, pg.database(t), c.cfg, nil, gateway.WithProcessing(c.processing))
			client := gateway.NewClient(url, waitLimit)
			answers := make([]string, workers)
			panics := make([]*crash.Panic, workers)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					panics[w] = crash.Catch(func() {
						<-start
						answers[w] = chargeAnswer(client.For(fmt.Sprintf("o%d", w), fmt.Sprintf("c%d/o1.1/a1/gateway1", w)).
							Charge(api.ChargeRequest{Amount: 100, Currency: "usd", IdempotencyKey: c.key}))
					})
				}()
			}
			close(start)
			wg.Wait()
			for _, p := range panics {
				if p != nil {
					panic(p)
				}
			}
			ledger := charges(t, srv)
			require.Len(t, ledger, c.charges, "charges made; answers %q; %s", answers, rerun(t))
			charged := 0
			for i, ch := range ledger {
				assert.Equal(t, fmt.Sprintf("ch_%d", i+1), ch.ID, rerun(t))
				assert.Equal(t, simgw.StatusSucceeded, ch.State, rerun(t))
			}
			for _, a := range answers {
				if strings.HasPrefix(a, "200 charged ") {
					charged++
					continue
				}
				assert.Contains(t, []string{"200 replayed ch_1", "409 in-progress ch_1"}, a, rerun(t))
			}
			assert.Equal(t, c.charges, charged, "answers %q; %s", answers, rerun(t))
		})
	}
}

// Goal: an injected fault changes only the answer: the charge stays in
// the ledger with the tag and reference of its call, a Timeout is held
// until the client gives up (ErrTimeout), or until the hold limit or the
// server's Close lets it go (the connection drops: ErrConnection), and a
// repeat of the key is a replay. Method: charges through the real clock
// with an injector keyed by the call's reference; the ledger is read
// after each.
func testFaultsLeaveTheCharge(t *testing.T, pg *postgres) {
	held := make(chan struct{}, 1)
	inject := func(ref string) gateway.Fault {
		switch {
		case strings.HasSuffix(ref, "/timeout"):
			select {
			case held <- struct{}{}:
			default:
			}
			return gateway.Timeout
		case strings.HasSuffix(ref, "/500"):
			return gateway.Error500
		}
		return gateway.NoFault
	}
	cases := []struct {
		name      string
		ref       string
		timeout   time.Duration // the client's
		holdLimit time.Duration
		close     bool // close the server while the request is held
		want      string
	}{
		{"timeout: the client gives up", "c1/o1.1/a1/timeout", 300 * time.Millisecond, time.Minute, false, "timeout"},
		{"timeout: the hold limit passes", "c1/o1.1/a1/timeout", waitLimit, 100 * time.Millisecond, false, "connection"},
		{"timeout: the server closes", "c1/o1.1/a1/timeout", waitLimit, time.Minute, true, "connection"},
		{"500", "c1/o1.1/a1/500", waitLimit, time.Minute, false, "500 error"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, url := serve(t, pg.database(t), simgw.DefaultConfig(), inject, gateway.WithHoldLimit(c.holdLimit))
			g := gateway.NewClient(url, c.timeout).For("o1.1", c.ref)
			select {
			case <-held: // an earlier case's
			default:
			}
			closed := make(chan *crash.Panic, 1)
			if c.close {
				go func() {
					closed <- crash.Catch(func() {
						// Once the request is held, Close must let it go.
						<-held
						srv.Close()
					})
				}()
			}
			assert.Equal(t, c.want, chargeAnswer(g.Charge(api.ChargeRequest{Amount: 100, Currency: "usd", IdempotencyKey: "k1"})), rerun(t))
			if c.close {
				if p := <-closed; p != nil {
					panic(p)
				}
				return // the ledger is closed with the server
			}
			if strings.HasSuffix(c.ref, "/timeout") {
				// The client may have given up before the charge completed
				// on a loaded machine: read the ledger once it has.
				select {
				case <-held:
				case <-time.After(waitLimit):
					t.Fatalf("the gateway did not complete the charge within %v; %s", waitLimit, rerun(t))
				}
			}
			ledger := charges(t, srv)
			require.Len(t, ledger, 1, rerun(t))
			assert.Equal(t, "ch_1", ledger[0].ID, rerun(t))
			assert.Equal(t, simgw.StatusSucceeded, ledger[0].State, rerun(t))
			assert.Equal(t, "o1.1", ledger[0].Tag, rerun(t))
			assert.Equal(t, c.ref, ledger[0].Ref, rerun(t))
			assert.Equal(t, "k1", ledger[0].IdempotencyKey, rerun(t))
			assert.Equal(t, int64(100), ledger[0].AmountCents, rerun(t))
			retry := gateway.NewClient(url, waitLimit).For("o1.1", "c1/o1.1/a2/gateway1")
			assert.Equal(t, "200 replayed ch_1", chargeAnswer(retry.Charge(api.ChargeRequest{Amount: 100, Currency: "usd", IdempotencyKey: "k1"})), rerun(t))
		})
	}
}

// Goal: the ledger outlives the gateway's process: a new Server on the
// same database keeps every charge and key, goes on numbering, and
// completes a charge the old process left processing (a processor
// finishes what it began). Method: charges through one Server, which is
// closed; one charge is set back to processing in the database, as a
// process killed mid-charge leaves it; a second Server is started on the
// database and read and charged through.
func testRestartKeepsTheLedger(t *testing.T, pg *postgres) {
	dsn := pg.database(t)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	first, url := serve(t, dsn, simgw.DefaultConfig(), nil)
	g := gateway.NewClient(url, waitLimit).For("o1.1", "")
	assert.Equal(t, "200 charged ch_1", chargeAnswer(g.Charge(api.ChargeRequest{Amount: 100, IdempotencyKey: "k1"})), rerun(t))
	assert.Equal(t, "200 charged ch_2", chargeAnswer(g.Charge(api.ChargeRequest{Amount: 200, IdempotencyKey: "k2"})), rerun(t))
	require.NoError(t, g.Refund("ch_1"), rerun(t))
	first.Close()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err, rerun(t))
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, "update gw_charges set status = 'processing', completed = null where number = 2")
	require.NoError(t, err, rerun(t))

	second, url := serve(t, dsn, simgw.DefaultConfig(), nil)
	ledger := charges(t, second)
	require.Len(t, ledger, 2, rerun(t))
	assert.True(t, ledger[0].Refunded, "ch_1 refunded; %s", rerun(t))
	assert.Equal(t, simgw.StatusSucceeded, ledger[1].State, "ch_2 completed by the new process; %s", rerun(t))
	assert.False(t, ledger[1].Completed.IsZero(), rerun(t))
	g = gateway.NewClient(url, waitLimit).For("o1.1", "")
	assert.Equal(t, "200 replayed ch_1", chargeAnswer(g.Charge(api.ChargeRequest{Amount: 100, IdempotencyKey: "k1"})), rerun(t))
	assert.Equal(t, "200 replayed ch_2", chargeAnswer(g.Charge(api.ChargeRequest{Amount: 200, IdempotencyKey: "k2"})), rerun(t))
	assert.Equal(t, "200 charged ch_3", chargeAnswer(g.Charge(api.ChargeRequest{Amount: 300})), rerun(t))
}

// Goal: the gateway refuses what it cannot read with a 400 naming what was
// wrong and what it accepts, answers 503 once closed (which the client
// reports as ErrConnection), and never panics. Method: raw HTTP requests
// to a Server, then a call after its Close.
func testBadRequests(t *testing.T, pg *postgres) {
	srv, url := serve(t, pg.database(t), simgw.DefaultConfig(), nil)
	cases := []struct {
		method, path, body string
		status             int
		says               string
	}{
		{"POST", "/v1/charges", "not json", 400, `want {"amount":CENTS`},
		{"POST", "/v1/charges", `{"amount":1,"card":"4242"}`, 400, `unknown field "card"`},
		{"POST", "/v1/charges", `{"amount":"ten"}`, 400, "cannot unmarshal"},
		{"GET", "/v1/charges", "", 400, "want GET /v1/charges?idempotency_key=KEY"},
		{"POST", "/v1/refunds", `{"id":"ch_1"}`, 400, `want {"charge":ID}`},
		{"DELETE", "/v1/charges/ch_1", "", 405, ""},
		{"GET", "/v2/charges", "", 404, ""},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path+" "+c.body, func(t *testing.T) {
			req, err := http.NewRequest(c.method, url+c.path, strings.NewReader(c.body))
			require.NoError(t, err, rerun(t))
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err, rerun(t))
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err, rerun(t))
			assert.Equal(t, c.status, resp.StatusCode, "%s; %s", body, rerun(t))
			var reply map[string]string // the gateway's answers are flat JSON objects
			if json.Unmarshal(body, &reply) == nil {
				assert.Contains(t, reply["error"]+" "+reply["message"], c.says, rerun(t))
			} else {
				assert.Contains(t, string(body), c.says, rerun(t))
			}
			assert.NotContains(t, strings.TrimSpace(string(body)), "\n", "a one-line answer; %s", rerun(t))
		})
	}
	t.Run("closed", func(t *testing.T) {
		srv.Close()
		_, err := gateway.NewClient(url, waitLimit).For("", "").Charge(api.ChargeRequest{Amount: 1})
		assert.ErrorIs(t, err, api.ErrConnection, rerun(t))
		assert.Contains(t, err.Error(), "503", rerun(t))
	})
}

// Goal: NewServer refuses a configuration out of range with one line
// naming the setting and what it accepts, before it connects anywhere.
// Method: each bad setting, with a DSN of a port nothing listens on.
func TestNewServerRefuses(t *testing.T) {
	const dsn = "host=127.0.0.1 port=1 user=postgres dbname=postgres sslmode=disable connect_timeout=2"
	cases := []struct {
		name string
		cfg  simgw.Config
		opts []gateway.Option
		says string
	}{
		{"mode", simgw.Config{Mode: 9}, nil, "Mode 9 unknown"},
		{"window", simgw.Config{Mode: simgw.DuplicateWindow, Window: -time.Second}, nil, "Window -1s out of range"},
		{"retention", simgw.Config{KeyRetention: -time.Second}, nil, "KeyRetention -1s out of range"},
		{"processing", simgw.DefaultConfig(), []gateway.Option{gateway.WithProcessing(-time.Second)}, "processing time -1s out of range: want >= 0"},
		{"hold limit", simgw.DefaultConfig(), []gateway.Option{gateway.WithHoldLimit(0)}, "hold limit 0s out of range: want > 0"},
		{"pool", simgw.DefaultConfig(), []gateway.Option{gateway.WithPoolSize(0)}, "pool size 0 out of range"},
		{"clock", simgw.DefaultConfig(), []gateway.Option{gateway.WithClock(nil)}, "clock is nil"},
		{"dsn", simgw.DefaultConfig(), nil, "gateway: connecting"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
			defer cancel()
			_, err := gateway.NewServer(ctx, dsn, c.cfg, nil, c.opts...)
			require.Error(t, err, rerun(t))
			assert.Contains(t, err.Error(), c.says, rerun(t))
			assert.NotContains(t, err.Error(), "\n", rerun(t))
		})
	}
}
