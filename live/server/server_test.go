package server_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/livetest"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/live/pgdb"
	"github.com/idemsim/idemsim/live/pgqueue"
	"github.com/idemsim/idemsim/live/rediskv"
	"github.com/idemsim/idemsim/live/server"
	"github.com/idemsim/idemsim/live/wire"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/queue"
)

// The test strategy's create handler does what the request's description
// says, so that one strategy serves every case.
const (
	doInsert = "insert" // insert the key's row and commit
	doHold   = "hold"   // insert the key's row, then sleep with the transaction open
	doCrash  = "crash"  // reach the crash point "mid"
	doNow    = "now"    // answer the process clock (Env.Now)
)

// hooks is what the test strategy tells the test: its boots, the rows it
// holds open, and whether it runs a worker.
type hooks struct {
	worker bool
	boots  atomic.Int32
	booted chan int32    // each boot's number, from 1
	held   chan struct{} // a doHold handler has inserted its row
}

func newHooks(worker bool) *hooks {
	return &hooks{worker: worker, booted: make(chan int32, 8), held: make(chan struct{}, 8)}
}

// strategy is a tiny strategy written for the test: rows in table pay,
// one per key; a counter of requests served in the process memory, which
// every answer's body carries ("served=N"); and optionally a worker that
// runs one transaction after another.
func (h *hooks) strategy() api.Strategy {
	return api.Strategy{
		Name:        "server-test",
		Contract:    api.ContractNone,
		Schema:      []string{"create table pay (key text primary key, note text not null)"},
		CrashPoints: []string{"mid"},
		Boot: func(api.Settings) api.Server {
			n := h.boots.Add(1)
			h.booted <- n
			served := 0 // process memory: a crash loses it
			s := api.Server{Create: func(env api.Env, req api.Request) api.Response {
				served++
				body := "served=" + strconv.Itoa(served)
				switch req.Payload.Description {
				case doInsert, doHold:
					tx, err := env.DB().Begin(api.DefaultLevel)
					if err != nil {
						return api.Response{Status: api.StatusServiceUnavailable, Body: err.Error()}
					}
					if _, err := tx.Exec("insert into pay (key, note) values ($1, $2)", api.Text(req.Key), api.Text(req.Payload.Description)); err != nil {
						return api.Response{Status: api.StatusConflict, Body: err.Error()}
					}
					if req.Payload.Description == doHold {
						h.held <- struct{}{}
						env.Sleep(time.Minute) // until the crash
					}
					if err := tx.Commit(); err != nil {
						return api.Response{Status: api.StatusServiceUnavailable, Body: err.Error()}
					}
				case doCrash:
					env.Crash("mid")
				case doNow:
					body = strconv.FormatInt(int64(env.Now()), 10)
				}
				return api.Response{Status: api.StatusCreated, Body: body}
			}}
			if h.worker {
				s.Workers = []api.Worker{{Name: "ticker", Run: func(env api.Env) {
					for {
						// Inside a transaction, so that the fault hook is
						// asked about the statement and the commit.
						if tx, err := env.DB().Begin(api.DefaultLevel); err == nil {
							_, _ = tx.Exec("select 1")
							_ = tx.Commit()
						}
						env.Sleep(20 * time.Millisecond)
					}
				}}}
			}
			return s
		},
	}
}

// rig is one server process on a database of its own.
type rig struct {
	t     *testing.T
	rerun string
	dsn   string
	proc  *server.Process
	addr  string
	h     *hooks

	mu     sync.Mutex
	fired  []faults.Fault
	dbRefs []faults.Ref // the worker's database calls the fault hook was asked about
	// handlerRefs are the handlers' database calls it was asked about.
	handlerRefs []faults.Ref
}

// services are the throwaway servers the tests share.
type services struct {
	pg    *livetest.Postgres
	redis *livetest.Redis
	steps *server.StepFaults // armed in every process started (nil: none)
}

// start boots a process of h's strategy on a new database name, with the
// crash points given (nil: none).
func (sv services) start(t *testing.T, name string, h *hooks, points *server.CrashPoints) *rig {
	return sv.startWith(t, name, h, points, nil)
}

// startWith is start with the process's configuration changed by adjust
// (nil: none) before it boots.
func (sv services) startWith(t *testing.T, name string, h *hooks, points *server.CrashPoints, adjust func(*server.Config)) *rig {
	rerun := testcmd.Rerun(t, "./live/server")
	dsn := sv.pg.CreateDatabase(t, name)
	s := h.strategy()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err, rerun)
	for _, stmt := range s.Schema {
		_, err := conn.Exec(ctx, stmt)
		require.NoError(t, err, rerun)
	}
	require.NoError(t, conn.Close(ctx), rerun)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err, rerun)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close(), rerun)
	r := &rig{t: t, rerun: rerun, dsn: dsn, addr: addr, h: h}
	epoch := time.Now()
	cfg := server.Config{
		Name:     "s1",
		Addr:     addr,
		Strategy: s,
		Clock:    func() sim.Time { return sim.Time(time.Since(epoch)) },
		Open:     func(ctx context.Context) (*server.Backends, error) { return sv.open(ctx, dsn) },
		Points:   points,
		Steps:    sv.steps,
		DBFault: func(ref faults.Ref, query string) server.DBFault {
			r.mu.Lock()
			if ref.Worker != "" {
				r.dbRefs = append(r.dbRefs, ref)
			} else {
				r.handlerRefs = append(r.handlerRefs, ref)
			}
			r.mu.Unlock()
			return server.NoDBFault
		},
		Fired: func(f faults.Fault) {
			r.mu.Lock()
			r.fired = append(r.fired, f)
			r.mu.Unlock()
		},
		Failed: func(err error) { t.Errorf("boot failed: %v; %s", err, rerun) },
	}
	if adjust != nil {
		adjust(&cfg)
	}
	r.proc, err = server.Start(cfg)
	require.NoError(t, err, rerun)
	t.Cleanup(func() { r.proc.Stop(5 * time.Second) })
	r.awaitBoot(1)
	return r
}

// open is one life's backends: pgdb sessions, the store, the queue, and a
// gateway that refuses every call (the test strategy never charges).
func (sv services) open(ctx context.Context, dsn string) (*server.Backends, error) {
	db, err := pgdb.Open(ctx, pgdb.Config{DSN: dsn, PoolSize: 4})
	if err != nil {
		return nil, err
	}
	q, err := pgqueue.Open(ctx, dsn, queue.DefaultConfig())
	if err != nil {
		db.Kill()
		return nil, err
	}
	kv := rediskv.New(sv.redis.Addr(), rediskv.Options{PoolSize: 16})
	return &server.Backends{
		DB:      server.Postgres(db),
		KV:      kv,
		Queue:   server.PostgresQueue(q),
		Gateway: func(tag, ref string) api.Gateway { return noGateway{} },
		Close:   func() { kv.Close() },
	}, nil
}

var errNoGateway = errors.New("the test has no gateway")

type noGateway struct{}

func (noGateway) Charge(api.ChargeRequest) (api.ChargeResult, error) {
	return api.ChargeResult{}, errNoGateway
}
func (noGateway) LookupByKey(string) (api.ChargeStatus, error) {
	return api.ChargeStatus{}, errNoGateway
}
func (noGateway) LookupByID(string) (api.ChargeStatus, error) {
	return api.ChargeStatus{}, errNoGateway
}
func (noGateway) Refund(string) error { return errNoGateway }

// awaitBoot waits for boot number n (a bound, not a measurement: a boot
// that never comes fails the test instead of hanging it).
func (r *rig) awaitBoot(n int32) {
	r.t.Helper()
	for {
		select {
		case got := <-r.h.booted:
			if got >= n {
				return
			}
		case <-time.After(20 * time.Second):
			require.FailNow(r.t, "boot "+strconv.Itoa(int(n))+" never came", r.rerun)
		}
	}
}

// post sends a create for op (ref "c1/o1.N/a1") with key and the
// handler's instruction, with the header the proxy would add. It returns
// the response, or the transport's error when none came.
func (r *rig) post(op int, key, do string) (*api.Response, error) {
	return r.postAs("c1/o1."+strconv.Itoa(op)+"/a1", key, do)
}

// postAs is post with the reference ref.
func (r *rig) postAs(ref, key, do string) (*api.Response, error) {
	r.t.Helper()
	hr, err := wire.NewRequest("http://"+r.addr, api.Request{Kind: api.Create, Key: key, Client: "c1",
		Payload: api.Payload{Amount: 100, Currency: "usd", Description: do}})
	require.NoError(r.t, err, r.rerun)
	hr.Header.Set(wire.HeaderOpRef, ref)
	resp, err := wire.NewClient(30 * time.Second).Do(hr)
	if err != nil {
		return nil, err
	}
	got, err := wire.ReadResponse(resp)
	if err != nil {
		return nil, err
	}
	return &got, nil
}

// rows is the committed rows of pay for key, by note.
func (r *rig) rows(key string) []string {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, r.dsn)
	require.NoError(r.t, err, r.rerun)
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "select note from pay where key = $1", key)
	require.NoError(r.t, err, r.rerun)
	notes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(r.t, err, r.rerun)
	return notes
}

func (r *rig) firedKinds() []faults.Kind {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []faults.Kind
	for _, f := range r.fired {
		out = append(out, f.Kind)
	}
	return out
}

// Goal: the server process behaves as a real process does under its
// faults: (a) a crash while a request is in flight leaves that request
// without any HTTP response, rolls back the transaction it had open,
// refuses connections during the downtime, and boots the strategy again
// with its memory empty; (b) a crash point armed for its second
// occurrence fires on the second request only and is reported; (c) a
// request sent during a pause is answered only after the pause ends; (d) a
// background worker numbers its database calls on from where its previous
// life stopped; (e) a request without the operation's reference header is
// refused with 400; (f) handlers sent at once take turns with the process
// memory between service calls, as simulated actors do: each of them
// counts itself in the strategy's counter and reads it in one turn, so
// their answers carry every count from 1 to N once (and the race
// detector, under make verify, sees no two at once). Method: a test strategy (one table, a handler told
// what to do by the request's description, an optional worker) in a
// server.Process on a throwaway PostgreSQL and Redis, each case on a
// database of its own; requests go straight to the process, with the
// header the proxy would set. Orders of events are asserted, never
// durations.
func TestProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("live: starts PostgreSQL and Redis")
	}
	sv := services{pg: livetest.StartPostgres(t), redis: livetest.StartRedis(t)}

	t.Run("crash with a request in flight", func(t *testing.T) {
		r := sv.start(t, "crash_in_flight", newHooks(false), nil)
		got, err := r.post(1, "k1", doInsert)
		require.NoError(t, err, r.rerun)
		assert.Equal(t, "served=1", got.Body, r.rerun)

		type answer struct {
			resp *api.Response
			err  error
		}
		done := make(chan answer, 1)
		go func() {
			resp, err := r.post(2, "k2", doHold)
			done <- answer{resp, err}
		}()
		<-r.h.held // the row of k2 is inserted, its transaction open
		// Down long enough to dial it while down, even on a loaded machine.
		require.True(t, r.proc.Crash(2*time.Second), r.rerun)
		a := <-done
		assert.Nil(t, a.resp, "a request in flight at the crash got a response; "+r.rerun)
		assert.Error(t, a.err, r.rerun)
		_, err = net.Dial("tcp", r.addr)
		assert.Error(t, err, "the process accepted a connection while down; "+r.rerun)
		assert.Equal(t, []faults.Kind{faults.CrashFault}, r.firedKinds(), r.rerun)

		r.awaitBoot(2)
		// k2's row was rolled back: the new life inserts it afresh (a
		// committed one would make this a 409, an open one would block).
		got, err = r.post(3, "k2", doInsert)
		require.NoError(t, err, r.rerun)
		assert.Equal(t, api.StatusCreated, got.Status, "%s; %s", got.Body, r.rerun)
		assert.Equal(t, "served=1", got.Body, "the process memory survived the crash; "+r.rerun)
		assert.Equal(t, []string{doInsert}, r.rows("k2"), r.rerun)
		assert.Equal(t, []string{doInsert}, r.rows("k1"), r.rerun)
		assert.Equal(t, int32(2), r.h.boots.Load(), r.rerun)
	})

	t.Run("crash point on its second occurrence", func(t *testing.T) {
		points := server.NewCrashPoints(1, []faults.CrashPoint{{Node: "s1", Point: "mid", Nth: 2, Downtime: 200 * time.Millisecond}}, false)
		r := sv.start(t, "crash_point", newHooks(false), points)
		got, err := r.post(1, "k1", doCrash)
		require.NoError(t, err, "the first occurrence crashed; "+r.rerun)
		assert.Equal(t, api.StatusCreated, got.Status, r.rerun)
		got, err = r.post(2, "k2", doCrash)
		assert.Error(t, err, "the second occurrence answered %v; %s", got, r.rerun)
		// The crash is recorded after the connections close and before
		// the restart is scheduled: once boot 2 has come, it is there.
		r.awaitBoot(2)
		r.mu.Lock()
		fired := append([]faults.Fault(nil), r.fired...)
		r.mu.Unlock()
		require.Len(t, fired, 1, r.rerun)
		assert.Equal(t, faults.CrashAtFault, fired[0].Kind, r.rerun)
		assert.Equal(t, faults.CrashPoint{Node: "s1", Point: "mid", Nth: 2, Downtime: 200 * time.Millisecond}, fired[0].Point, r.rerun)
		got, err = r.post(3, "k3", doCrash)
		require.NoError(t, err, "the third occurrence crashed; "+r.rerun)
		assert.Equal(t, api.StatusCreated, got.Status, r.rerun)
		assert.Len(t, r.firedKinds(), 1, r.rerun)
	})

	t.Run("pause holds a request until it ends", func(t *testing.T) {
		r := sv.start(t, "pause", newHooks(false), nil)
		const pause = 300 * time.Millisecond
		require.True(t, r.proc.Pause(pause), r.rerun)
		assert.False(t, r.proc.Pause(pause), "a second pause while paused; "+r.rerun)
		r.mu.Lock()
		require.Len(t, r.fired, 1, r.rerun)
		paused := r.fired[0]
		r.mu.Unlock()
		require.Equal(t, faults.PauseFault, paused.Kind, r.rerun)
		// Sent after the pause began (its fault is recorded before Pause
		// returns); the handler runs only once the pause's end has
		// released it, so the process clock it reads is at least the
		// pause's start plus its length.
		got, err := r.post(1, "k1", doNow)
		require.NoError(t, err, r.rerun)
		ran, err := strconv.ParseInt(got.Body, 10, 64)
		require.NoError(t, err, r.rerun)
		assert.GreaterOrEqual(t, ran, int64(paused.At)+int64(pause), "the handler ran during the pause; "+r.rerun)
	})

	t.Run("handlers take turns with the process memory", func(t *testing.T) {
		r := sv.start(t, "turns", newHooks(false), nil)
		const n = 16
		bodies := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := r.post(i+1, "k"+strconv.Itoa(i+1), doInsert)
				errs[i] = err
				if err == nil {
					bodies[i] = got.Body
				}
			}()
		}
		wg.Wait()
		var want []string
		for i := 0; i < n; i++ {
			require.NoError(t, errs[i], r.rerun)
			want = append(want, "served="+strconv.Itoa(i+1))
		}
		assert.ElementsMatch(t, want, bodies, "each handler counted itself and read the count in one turn; "+r.rerun)
	})

	t.Run("a worker numbers its calls across a restart", func(t *testing.T) {
		r := sv.start(t, "worker", newHooks(true), nil)
		calls := func() []int32 {
			r.mu.Lock()
			defer r.mu.Unlock()
			var out []int32
			for _, ref := range r.dbRefs {
				assert.Equal(t, "s1/ticker/db"+strconv.Itoa(int(ref.Call)), ref.String(), r.rerun)
				out = append(out, ref.Call)
			}
			return out
		}
		waitCalls := func(n int) {
			for i := 0; len(calls()) < n; i++ {
				require.Less(t, i, 1000, "the worker made no calls; "+r.rerun)
				time.Sleep(10 * time.Millisecond)
			}
		}
		waitCalls(4)
		require.True(t, r.proc.Crash(200*time.Millisecond), r.rerun)
		before := len(calls())
		r.awaitBoot(2)
		waitCalls(before + 4)
		all := calls()
		for i := 1; i < len(all); i++ {
			assert.Greater(t, all[i], all[i-1], "call %d of %v restarts the numbering; %s", i, all, r.rerun)
		}
	})

	t.Run("a duplicate's calls are the copy's", func(t *testing.T) {
		// The simulation numbers a copy's calls under its own reference
		// (c1/o1.1/a1/copy/db2), so a fault list names them apart.
		r := sv.start(t, "copy_refs", newHooks(false), nil)
		_, err := r.postAs("c1/o1.1/a1", "k1", doInsert)
		require.NoError(t, err, r.rerun)
		_, err = r.postAs("c1/o1.1/a1/copy", "k1", doInsert)
		require.NoError(t, err, r.rerun)
		r.mu.Lock()
		var refs []string
		for _, ref := range r.handlerRefs {
			refs = append(refs, ref.String())
		}
		r.mu.Unlock()
		assert.Equal(t, []string{"c1/o1.1/a1/db2", "c1/o1.1/a1/db3", "c1/o1.1/a1/copy/db2"}, refs, r.rerun)
	})

	t.Run("a request without its reference", func(t *testing.T) {
		r := sv.start(t, "bad_request", newHooks(false), nil)
		for _, tc := range []struct {
			name, ref string
		}{
			{"missing", ""},
			{"malformed", "c1/o1"},
			{"a worker's", "s1/ticker/db1"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				hr, err := wire.NewRequest("http://"+r.addr, api.Request{Kind: api.Create, Key: "k1",
					Payload: api.Payload{Amount: 100, Currency: "usd", Description: doInsert}})
				require.NoError(t, err, r.rerun)
				if tc.ref != "" {
					hr.Header.Set(wire.HeaderOpRef, tc.ref)
				}
				resp, err := wire.NewClient(30 * time.Second).Do(hr)
				require.NoError(t, err, r.rerun)
				resp.Body.Close()
				assert.Equal(t, http.StatusBadRequest, resp.StatusCode, r.rerun)
			})
		}
		assert.Empty(t, r.rows("k1"), "a refused request reached the handler; "+r.rerun)
	})
}
