package gateway_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/live/gateway"
	"github.com/idemsim/idemsim/sim/api"
)

// call is one api.Gateway call, with the answer a well-behaved server
// gives it.
type call struct {
	name  string
	reply string
	do    func(api.Gateway) error
}

var calls = []call{
	{"charge with a key", `{"id":"ch_1","outcome":"charged"}`, func(g api.Gateway) error {
		_, err := g.Charge(api.ChargeRequest{Amount: 100, Currency: "usd", IdempotencyKey: "k1"})
		return err
	}},
	{"charge without a key", `{"id":"ch_1","outcome":"charged"}`, func(g api.Gateway) error {
		_, err := g.Charge(api.ChargeRequest{Amount: 100, Currency: "usd"})
		return err
	}},
	{"lookup by key", `{"found":true,"id":"ch_1","state":"succeeded"}`, func(g api.Gateway) error {
		_, err := g.LookupByKey("k1")
		return err
	}},
	{"lookup by id", `{"found":true,"id":"ch_1","state":"succeeded"}`, func(g api.Gateway) error {
		_, err := g.LookupByID("ch_1")
		return err
	}},
	{"refund", `{}`, func(g api.Gateway) error { return g.Refund("ch_1") }},
}

// closingServer answers the first request it gets and, from the second
// on, reads the request and closes its connection without a word, as a
// server that closes a kept-alive connection while a request is on its
// way. It counts the requests that reach it, and the connections.
func closingServer(t *testing.T, reply string) (ts *httptest.Server, attempts, conns *atomic.Int32) {
	attempts, conns = new(atomic.Int32), new(atomic.Int32)
	ts = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if attempts.Add(1) == 1 {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, reply)
			return
		}
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	ts.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			conns.Add(1)
		}
	}
	ts.Start()
	t.Cleanup(ts.Close)
	return ts, attempts, conns
}

// Goal: every call reaches the gateway once, even when the kept-alive
// connection it goes out on is closed under it: Go's transport silently
// sends again a GET, or any request with an Idempotency-Key, whose body
// it can rewind (golang/go#19943), and a charge sent twice is two
// attempts the history never saw. Method: for each kind of call, a server
// answers the first request and closes the connection of the next one
// unanswered; the call is made twice through one Client, and the second
// must fail with api.ErrConnection after one request reached the server.
// A plain http.Client posting a charge with an Idempotency-Key is the
// control: against the same server it sends the second charge twice.
func TestNoSilentResend(t *testing.T) {
	t.Run("control", func(t *testing.T) {
		ts, attempts, conns := closingServer(t, `{}`)
		client := &http.Client{Transport: &http.Transport{}}
		for range 2 {
			req, err := http.NewRequest(http.MethodPost, ts.URL+"/v1/charges", bytes.NewReader([]byte(`{"amount":100}`)))
			require.NoError(t, err, rerun(t))
			req.Header.Set("Idempotency-Key", "k1")
			if resp, err := client.Do(req); err == nil {
				io.Copy(io.Discard, resp.Body) // read to the end, so the connection is kept
				resp.Body.Close()
			}
		}
		assert.Equal(t, int32(3), attempts.Load(), "Go's transport sends the closed request again; %s", rerun(t))
		assert.Equal(t, int32(2), conns.Load(), "connections: the kept one, then the resend's; %s", rerun(t))
	})
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			ts, attempts, conns := closingServer(t, c.reply)
			g := gateway.NewClient(ts.URL, 5*time.Second).For("o1.1", "c1/o1.1/a1/gateway1")
			require.NoError(t, c.do(g), "the first call, answered; %s", rerun(t))
			err := c.do(g)
			assert.ErrorIs(t, err, api.ErrConnection, rerun(t))
			assert.NotErrorIs(t, err, api.ErrTimeout, rerun(t))
			assert.Equal(t, int32(2), attempts.Load(), "requests that reached the server for two calls; %s", rerun(t))
			assert.Equal(t, int32(1), conns.Load(), "connections: the second call went out on the first's; %s", rerun(t))
		})
	}
}

// Goal: a failed call reaches the strategy as the simulated world reports
// it: no answer within the timeout is api.ErrTimeout, a refused
// connection or an answer the protocol does not have api.ErrConnection
// (the caller cannot know what happened), and a value HTTP cannot carry
// is refused before anything is sent. Method: each kind of call against a
// closed port, a server that never answers (client timeout 200ms) and a
// server answering nonsense; a charge with an unsendable key.
func TestCallErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err, rerun(t))
	closedURL := "http://" + l.Addr().String()
	l.Close()
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read to the end: only then does net/http watch the connection
		// and end the context when the client leaves.
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(waitLimit):
		}
	}))
	defer silent.Close()
	nonsense := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, "nonsense")
	}))
	defer nonsense.Close()
	servers := []struct {
		name    string
		url     string
		timeout bool
	}{
		{"refused", closedURL, false},
		{"no answer", silent.URL, true},
		{"nonsense", nonsense.URL, false},
	}
	for _, s := range servers {
		for _, c := range calls {
			t.Run(s.name+"/"+c.name, func(t *testing.T) {
				err := c.do(gateway.NewClient(s.url, 200*time.Millisecond).For("", ""))
				assert.ErrorIs(t, err, api.ErrConnection, rerun(t))
				assert.Equal(t, s.timeout, errors.Is(err, api.ErrTimeout), "a timeout: %v; %s", err, rerun(t))
			})
		}
	}
	t.Run("unsendable key", func(t *testing.T) {
		ts, attempts, _ := closingServer(t, `{}`)
		for _, key := range []string{"a\nb", " k", "k\t", "\x7f"} {
			_, err := gateway.NewClient(ts.URL, time.Second).For("", "").Charge(api.ChargeRequest{Amount: 1, IdempotencyKey: key})
			require.Error(t, err, "key %q; %s", key, rerun(t))
			assert.NotErrorIs(t, err, api.ErrConnection, "key %q; %s", key, rerun(t))
			assert.Contains(t, err.Error(), "cannot travel in an HTTP header", rerun(t))
		}
		assert.Zero(t, attempts.Load(), "requests sent; %s", rerun(t))
	})
}
