package gateway_test

import (
	"context"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/livetest"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/live/gateway"
)

func rerun(t testing.TB) string { return testcmd.Rerun(t, "./live/gateway") }

// waitLimit bounds every wait of the tests for something to happen.
const waitLimit = 10 * time.Second

// fakeClock is a gateway clock the test moves: with it, the live gateway
// sees the same times as the simulated one, and processing ends when the
// test says.
type fakeClock struct {
	mu       sync.Mutex
	now      time.Time
	sleepers []sleeper
}

type sleeper struct {
	until time.Time
	wake  chan struct{}
}

// clockBase is the fake clock's start, on a whole second so that stored
// times (to the microsecond) are exact.
var clockBase = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func newFakeClock() *fakeClock { return &fakeClock{now: clockBase} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) {
	c.mu.Lock()
	s := sleeper{until: c.now.Add(d), wake: make(chan struct{})}
	c.sleepers = append(c.sleepers, s)
	c.mu.Unlock()
	select {
	case <-s.wake:
	case <-ctx.Done():
	}
}

// Advance moves the clock by d and wakes the sleepers whose time came.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.sleepers[:0]
	for _, s := range c.sleepers {
		if s.until.After(c.now) {
			kept = append(kept, s)
		} else {
			close(s.wake)
		}
	}
	c.sleepers = kept
}

// Sleepers is the number of sleeps not yet woken.
func (c *fakeClock) Sleepers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.sleepers)
}

// eventually waits (bounded by waitLimit) until cond holds, and says
// whether it did.
func eventually(cond func() bool) bool {
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
	return true
}

// postgres is a throwaway PostgreSQL for one test, and a connection to its
// postgres database that makes a fresh database per gateway.
type postgres struct {
	pg    *livetest.Postgres
	admin *pgx.Conn
	n     int
}

func startPostgres(t testing.TB) *postgres {
	pg := livetest.StartPostgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	admin, err := pgx.Connect(ctx, pg.DSN)
	require.NoError(t, err, rerun(t))
	t.Cleanup(func() { admin.Close(context.Background()) })
	return &postgres{pg: pg, admin: admin}
}

// database creates a new empty database and returns its DSN.
func (p *postgres) database(t testing.TB) string {
	p.n++
	name := "gw" + strconv.Itoa(p.n)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	_, err := p.admin.Exec(ctx, "create database "+name)
	require.NoError(t, err, rerun(t))
	return p.pg.DatabaseDSN(name)
}

// serve runs a gateway on dsn behind a real HTTP server on loopback; both
// stop when the test ends (the HTTP server first, so no request is cut).
func serve(t testing.TB, dsn string, cfg gateway.Config, inject gateway.Injector, opts ...gateway.Option) (*gateway.Server, string) {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	srv, err := gateway.NewServer(ctx, dsn, cfg, inject, opts...)
	require.NoError(t, err, rerun(t))
	t.Cleanup(srv.Close)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return srv, ts.URL
}

// charges lists the gateway's ledger.
func charges(t testing.TB, srv *gateway.Server) []gateway.Charge {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	out, err := srv.Charges(ctx)
	require.NoError(t, err, rerun(t))
	return out
}

// Goal: run every test that needs PostgreSQL against one throwaway
// server, each on databases of its own (starting a server costs about a
// second). Method: the tests are subtests; each says its own goal.
func TestLive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	pg := startPostgres(t)
	t.Run("Conformance", func(t *testing.T) { testConformance(t, pg) })
	t.Run("ConcurrentCharges", func(t *testing.T) { testConcurrentCharges(t, pg) })
	t.Run("FaultsLeaveTheCharge", func(t *testing.T) { testFaultsLeaveTheCharge(t, pg) })
	t.Run("RestartKeepsTheLedger", func(t *testing.T) { testRestartKeepsTheLedger(t, pg) })
	t.Run("BadRequests", func(t *testing.T) { testBadRequests(t, pg) })
}
