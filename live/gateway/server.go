// Package gateway is the payment gateway of live mode: a small HTTP
// service that answers as the simulated gateway (sim/gateway) does, with
// its ledger in PostgreSQL, and api.Gateway (sim/api/services.go) as an
// HTTP client of it, so that a strategy's Env().Gateway() reaches a real
// service across real HTTP.
//
// The Server keeps its charges in tables of its own (prefixed gw_) in the
// database it is given, so that they survive a restart of the gateway's
// process, and lets the database serialize concurrent requests: every
// charge begins in a transaction that locks the one counter row charge ids
// are drawn from, so two requests with one key are decided one after the
// other, and charge ids ("ch_1", "ch_2", ...) have no gaps, as in the
// simulation.
//
// A charge begins (it is "processing": a repeat of its key gets 409),
// lasts the processing time (0 by default), then completes and the money
// has moved. Only then is the fault injector asked about it: a Timeout
// holds the answer back until the client gives up, a 500 answers 500;
// either way the charge stays in the ledger, as a real processor's would.
package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	simgw "github.com/idemsim/idemsim/sim/gateway"
)

// Config is how the gateway treats repeated requests: sim/gateway's, with
// its mode, duplicate window and key retention (the live runner scales the
// last two).
type Config = simgw.Config

// Fault is what the injector does to a charge's answer.
type Fault uint8

// The faults, as faults.GatewayTimeout and faults.Gateway500 are in the
// simulation.
const (
	// NoFault answers normally.
	NoFault Fault = iota
	// Timeout: the charge went through, but its answer never comes. The
	// server holds the request until the client gives up (closes the
	// connection), the hold limit passes or the Server closes, then closes
	// the connection without answering.
	Timeout
	// Error500: the charge went through and the answer is 500.
	Error500
)

// Injector decides the fault of the charge whose call carries ref (the
// Idemsim-Ref header). It is asked once per charge that goes through,
// after it completed, never for a replay, a rejection, a lookup or a
// refund: the simulation decides its gateway faults at the same moment.
// It may be called from several goroutines at once.
type Injector func(ref string) Fault

// Clock is the gateway's time: when a charge begins, completes or is
// refunded, which decides key retention and the duplicate window, and how
// long processing lasts. The default is the real clock; a test gives one
// it moves itself.
type Clock interface {
	Now() time.Time
	// Sleep returns once d has passed on the clock, or when ctx is done.
	Sleep(ctx context.Context, d time.Duration)
}

// Option changes a Server's defaults.
type Option func(*options)

type options struct {
	processing time.Duration
	holdLimit  time.Duration
	clock      Clock
	poolSize   int
}

// WithProcessing sets how long a charge stays processing between its
// begin and its completion (0, the default, completes it at once, in a
// transaction of its own after the begin's).
func WithProcessing(d time.Duration) Option { return func(o *options) { o.processing = d } }

// WithHoldLimit bounds how long a Timeout fault holds a request whose
// client does not give up (DefaultHoldLimit by default).
func WithHoldLimit(d time.Duration) Option { return func(o *options) { o.holdLimit = d } }

// WithClock replaces the real clock.
func WithClock(c Clock) Option { return func(o *options) { o.clock = c } }

// WithPoolSize sets the number of database connections (DefaultPoolSize by
// default); a request waits for a free one.
func WithPoolSize(n int) Option { return func(o *options) { o.poolSize = n } }

// Defaults of the options.
const (
	DefaultHoldLimit = 2 * time.Minute
	DefaultPoolSize  = 16
	// dbTimeout bounds each request's work on the database.
	dbTimeout = 30 * time.Second
	// maxBody bounds a request body the server reads.
	maxBody = 64 << 10
)

// Server is the gateway as an http.Handler. Close it when done.
type Server struct {
	cfg    Config
	inject Injector
	opts   options
	pool   *pgxpool.Pool
	mux    *http.ServeMux

	// life is done once Close began: held requests are let go and
	// processing ends early.
	life context.Context
	stop context.CancelFunc

	mu       sync.Mutex
	closed   bool
	inFlight sync.WaitGroup
}

// NewServer connects to the database at dsn, creates the gateway's tables
// if they are missing, completes any charge a previous process left
// processing (a processor finishes what it began), and returns the
// gateway. cfg is checked as sim/gateway checks it; inject may be nil (no
// faults).
func NewServer(ctx context.Context, dsn string, cfg Config, inject Injector, opts ...Option) (*Server, error) {
	checked, err := simgw.New(cfg)
	if err != nil {
		return nil, err
	}
	o := options{holdLimit: DefaultHoldLimit, clock: realClock{}, poolSize: DefaultPoolSize}
	for _, opt := range opts {
		opt(&o)
	}
	switch {
	case o.processing < 0:
		return nil, fmt.Errorf("gateway: processing time %v out of range: want >= 0", o.processing)
	case o.holdLimit <= 0:
		return nil, fmt.Errorf("gateway: hold limit %v out of range: want > 0", o.holdLimit)
	case o.poolSize < 1:
		return nil, fmt.Errorf("gateway: pool size %d out of range: want at least 1 connection", o.poolSize)
	case o.clock == nil:
		return nil, errors.New("gateway: clock is nil: want a Clock, or no WithClock for the real one")
	}
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("gateway: DSN: %w", err)
	}
	pc.MaxConns = int32(o.poolSize)
	pc.MinConns = 0
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	s := &Server{cfg: checked.Config(), inject: inject, opts: o, pool: pool}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	s.life, s.stop = context.WithCancel(context.Background())
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST "+chargesPath, s.charge)
	s.mux.HandleFunc("GET "+chargesPath, s.lookupByKey)
	s.mux.HandleFunc("GET "+chargesPath+"/{id}", s.lookupByID)
	s.mux.HandleFunc("POST "+refundsPath, s.refund)
	return s, nil
}

// schema is the gateway's ledger. A charge's mode is the mode it was
// begun in: only charges begun in idempotent mode answer for their key,
// only those begun in window mode count for the window, as the simulated
// gateway registers them. refunded_at is null until a refund.
var schema = []string{
	`create table if not exists gw_counter (id int primary key check (id = 1), charges bigint not null)`,
	`insert into gw_counter (id, charges) values (1, 0) on conflict (id) do nothing`,
	`create table if not exists gw_charges (
		number bigint primary key,
		mode text not null,
		amount bigint not null,
		currency text not null,
		description text not null,
		customer text not null,
		idem_key text not null,
		tag text not null,
		ref text not null,
		status text not null check (status in ('processing', 'succeeded', 'failed')),
		began timestamptz not null,
		completed timestamptz,
		refunded_at timestamptz)`,
	`create index if not exists gw_charges_key on gw_charges (idem_key, number) where idem_key <> ''`,
	`create index if not exists gw_charges_window on gw_charges (amount, currency, customer, description, number) where mode = 'window'`,
}

// migrateLock is the advisory lock two gateways starting on one database
// take, since CREATE ... IF NOT EXISTS can still race with itself.
const migrateLock = 0x67775f6c6467 // "gw_ldg"

func (s *Server) migrate(ctx context.Context) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("gateway: connecting: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "select pg_advisory_xact_lock($1)", int64(migrateLock)); err != nil {
		return fmt.Errorf("gateway: creating the ledger: %w", err)
	}
	for _, q := range schema {
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("gateway: creating the ledger: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, "update gw_charges set status = 'succeeded', completed = $1 where status = 'processing'",
		s.now()); err != nil {
		return fmt.Errorf("gateway: completing the charges left processing: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("gateway: creating the ledger: %w", err)
	}
	return nil
}

// Close lets held requests go, ends processing early (those charges
// complete at once), waits for the requests in flight and closes the
// database connections. Requests after Close are answered 503.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	s.stop()
	s.inFlight.Wait()
	s.pool.Close()
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		writeJSON(w, http.StatusServiceUnavailable, errorReply{Code: "closed", Message: "gateway: closed"})
		return
	}
	s.inFlight.Add(1)
	s.mu.Unlock()
	defer s.inFlight.Done()
	s.mux.ServeHTTP(w, r)
}

// work is the context of a request's database work: the gateway finishes
// what it received whether or not its caller is still there, as the
// simulated one does, within dbTimeout.
func (s *Server) work() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), dbTimeout)
}

// charge serves POST /v1/charges.
func (s *Server) charge(w http.ResponseWriter, r *http.Request) {
	var req chargeRequest
	if err := readJSON(w, r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, chargeReply{Outcome: outcomeInvalid,
			Error: "gateway: charge body: " + err.Error() + `; want {"amount":CENTS,"currency":…,"description":…,"customer":…}`})
		return
	}
	ctx, cancel := s.work()
	defer cancel()
	number, kind, err := s.begin(ctx, req, r.Header.Get(HeaderKey), r.Header.Get(HeaderTag), r.Header.Get(HeaderRef))
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, chargeReply{Outcome: outcomeError, Error: err.Error()})
		return
	}
	if kind != 0 {
		writeJSON(w, kind.HTTPStatus(), chargeReply{ID: chargeID(number), Outcome: kind.String()})
		return
	}
	if s.opts.processing > 0 {
		s.opts.clock.Sleep(s.life, s.opts.processing)
	}
	if err := s.complete(ctx, number); err != nil {
		writeJSON(w, http.StatusInternalServerError, chargeReply{Outcome: outcomeError, Error: err.Error()})
		return
	}
	fault := NoFault
	if s.inject != nil {
		fault = s.inject(r.Header.Get(HeaderRef))
	}
	switch fault {
	case Timeout:
		s.hold(w, r)
	case Error500:
		writeJSON(w, http.StatusInternalServerError, chargeReply{Outcome: outcomeError})
	default:
		writeJSON(w, simgw.Charged.HTTPStatus(), chargeReply{ID: chargeID(number), Outcome: simgw.Charged.String()})
	}
}

// hold keeps the request unanswered until its client leaves, the hold
// limit passes or the server closes, then drops the connection without a
// word.
func (s *Server) hold(w http.ResponseWriter, r *http.Request) {
	// net/http notices a client that left (and ends r.Context()) only once
	// the request's body has been read to its end; the JSON decoder may
	// have stopped short of it.
	io.Copy(io.Discard, r.Body)
	limit := time.NewTimer(s.opts.holdLimit)
	defer limit.Stop()
	select {
	case <-r.Context().Done():
	case <-limit.C:
	case <-s.life.Done():
	}
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	// Not an HTTP/1 connection we can take over: net/http's own way to
	// end a response without one.
	panic(http.ErrAbortHandler)
}

// begin decides a charge request in one transaction holding the counter
// row's lock. It returns the new charge's number and kind 0 when the
// charge begins, or the kind of the immediate answer and the number of the
// earlier charge it is about.
func (s *Server) begin(ctx context.Context, req chargeRequest, key, tag, ref string) (int64, simgw.Kind, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("gateway: begin: %w", err)
	}
	defer tx.Rollback(ctx)
	var last int64
	if err := tx.QueryRow(ctx, "select charges from gw_counter where id = 1 for update").Scan(&last); err != nil {
		return 0, 0, fmt.Errorf("gateway: begin: %w", err)
	}
	// Read under the lock, so that charges begin in the order of their
	// numbers.
	now := s.now()
	switch s.cfg.Mode {
	case simgw.Idempotent:
		if key == "" {
			break
		}
		var e earlier
		err := tx.QueryRow(ctx, `select number, amount, currency, description, customer, status, began from gw_charges
			where idem_key = $1 and mode = 'idempotent' and status <> 'failed' order by number desc limit 1`, key).
			Scan(&e.number, &e.req.Amount, &e.req.Currency, &e.req.Description, &e.req.Customer, &e.status, &e.began)
		if errors.Is(err, pgx.ErrNoRows) {
			break
		}
		if err != nil {
			return 0, 0, fmt.Errorf("gateway: begin: %w", err)
		}
		processing := e.status == simgw.StatusProcessing.String()
		if !processing && s.cfg.KeyRetention > 0 && now.Sub(e.began) >= s.cfg.KeyRetention {
			break // forgotten: the request is new
		}
		switch {
		case e.req != req:
			return e.number, simgw.KeyMismatch, nil
		case processing:
			return e.number, simgw.InProgress, nil
		default:
			return e.number, simgw.Replayed, nil
		}
	case simgw.DuplicateWindow:
		var number int64
		var began time.Time
		err := tx.QueryRow(ctx, `select number, began from gw_charges where mode = 'window' and amount = $1 and currency = $2
			and customer = $3 and description = $4 and status <> 'failed' order by number desc limit 1`,
			req.Amount, req.Currency, req.Customer, req.Description).Scan(&number, &began)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return 0, 0, fmt.Errorf("gateway: begin: %w", err)
		}
		if err == nil && now.Sub(began) < s.cfg.Window {
			return number, simgw.DuplicateRejected, nil
		}
	}
	number := last + 1
	if _, err := tx.Exec(ctx, `insert into gw_charges (number, mode, amount, currency, description, customer, idem_key, tag, ref, status, began)
		values ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'processing', $10)`,
		number, s.cfg.Mode.String(), req.Amount, req.Currency, req.Description, req.Customer, key, tag, ref, now); err != nil {
		return 0, 0, fmt.Errorf("gateway: begin: %w", err)
	}
	if _, err := tx.Exec(ctx, "update gw_counter set charges = $1 where id = 1", number); err != nil {
		return 0, 0, fmt.Errorf("gateway: begin: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, 0, fmt.Errorf("gateway: begin: %w", err)
	}
	return number, 0, nil
}

// earlier is the charge a key answers with.
type earlier struct {
	number int64
	req    chargeRequest
	status string
	began  time.Time
}

// complete ends a charge's processing: the money has moved.
func (s *Server) complete(ctx context.Context, number int64) error {
	_, err := s.pool.Exec(ctx, "update gw_charges set status = 'succeeded', completed = $2 where number = $1 and status = 'processing'",
		number, s.now())
	if err != nil {
		return fmt.Errorf("gateway: completing %s: %w", chargeID(number), err)
	}
	return nil
}

// lookupByKey serves GET /v1/charges?idempotency_key=KEY: as
// sim/gateway's LookupByKey, the first charge with the key that did not
// fail, else the latest that did, in every mode and whatever the key
// retention.
func (s *Server) lookupByKey(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if _, ok := q[keyParam]; !ok {
		writeJSON(w, http.StatusBadRequest, errorReply{Code: "invalid-request",
			Message: "gateway: lookup without " + keyParam + "; want GET " + chargesPath + "?" + keyParam + "=KEY"})
		return
	}
	key := q.Get(keyParam)
	if key == "" {
		writeJSON(w, http.StatusNotFound, lookupReply{})
		return
	}
	s.lookup(w, `where idem_key = $1
		order by status = 'failed', case when status = 'failed' then -number else number end limit 1`, key)
}

// lookupByID serves GET /v1/charges/{id}.
func (s *Server) lookupByID(w http.ResponseWriter, r *http.Request) {
	number, ok := parseID(r.PathValue("id"))
	if !ok {
		writeJSON(w, http.StatusNotFound, lookupReply{})
		return
	}
	s.lookup(w, "where number = $1", number)
}

func (s *Server) lookup(w http.ResponseWriter, where string, arg any) {
	ctx, cancel := s.work()
	defer cancel()
	var number int64
	var status string
	var refundedAt *time.Time
	err := s.pool.QueryRow(ctx, "select number, status, refunded_at from gw_charges "+where, arg).Scan(&number, &status, &refundedAt)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		writeJSON(w, http.StatusNotFound, lookupReply{})
	case err != nil:
		writeJSON(w, http.StatusInternalServerError, errorReply{Code: outcomeError, Message: "gateway: lookup: " + err.Error()})
	default:
		writeJSON(w, http.StatusOK, lookupReply{Found: true, ID: chargeID(number), State: status, Refunded: refundedAt != nil})
	}
}

// refund serves POST /v1/refunds, with sim/gateway's errors and
// messages; the charge's row lock makes two refunds of it one refund and
// one error.
func (s *Server) refund(w http.ResponseWriter, r *http.Request) {
	var req refundRequest
	if err := readJSON(w, r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, errorReply{Code: outcomeInvalid,
			Message: "gateway: refund body: " + err.Error() + `; want {"charge":ID}`})
		return
	}
	id := req.Charge
	ctx, cancel := s.work()
	defer cancel()
	code, msg, err := s.refundCharge(ctx, id)
	switch {
	case err != nil:
		writeJSON(w, http.StatusInternalServerError, errorReply{Code: outcomeError, Message: err.Error()})
	case code != "":
		for _, e := range refundErrors {
			if e.code == code {
				writeJSON(w, e.status, errorReply{Code: code, Message: msg})
				return
			}
		}
	default:
		writeJSON(w, http.StatusOK, struct{}{})
	}
}

// refundCharge refunds charge id; a refusal is returned as its wire code
// and message, a failure of the database as err.
func (s *Server) refundCharge(ctx context.Context, id string) (code, msg string, err error) {
	unknown := fmt.Sprintf("gateway: refund %q: %v", id, simgw.ErrUnknownCharge)
	number, ok := parseID(id)
	if !ok {
		return "unknown-charge", unknown, nil
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return "", "", fmt.Errorf("gateway: refund: %w", err)
	}
	defer tx.Rollback(ctx)
	var status string
	var refundedAt *time.Time
	err = tx.QueryRow(ctx, "select status, refunded_at from gw_charges where number = $1 for update", number).Scan(&status, &refundedAt)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return "unknown-charge", unknown, nil
	case err != nil:
		return "", "", fmt.Errorf("gateway: refund: %w", err)
	case status != simgw.StatusSucceeded.String():
		return "not-charged", fmt.Sprintf("gateway: refund %s (%s): %v", id, status, simgw.ErrNotCharged), nil
	case refundedAt != nil:
		return "already-refunded", fmt.Sprintf("gateway: refund %s: %v at %s", id, simgw.ErrAlreadyRefunded,
			refundedAt.UTC().Format(time.RFC3339Nano)), nil
	}
	if _, err := tx.Exec(ctx, "update gw_charges set refunded_at = $2 where number = $1", number, s.now()); err != nil {
		return "", "", fmt.Errorf("gateway: refund: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return "", "", fmt.Errorf("gateway: refund: %w", err)
	}
	return "", "", nil
}

// Charge is one charge of the ledger, as Charges lists it.
type Charge struct {
	ID             string // "ch_1", "ch_2", ... in order of begin
	Tag            string // the Idemsim-Tag of the call that began it
	Ref            string // the Idemsim-Ref of that call
	AmountCents    int64
	Currency       string
	Description    string
	Customer       string
	IdempotencyKey string       // "" when the call forwarded none
	State          simgw.Status // StatusProcessing or StatusSucceeded: money moved
	Began          time.Time
	Completed      time.Time // zero while processing
	Refunded       bool
	RefundedAt     time.Time // zero unless Refunded
}

// Charges lists every charge in the order of its id, processing ones
// included; the money moved for those whose State is StatusSucceeded, and
// went back for those Refunded.
func (s *Server) Charges(ctx context.Context) ([]Charge, error) {
	rows, err := s.pool.Query(ctx, `select number, tag, ref, amount, currency, description, customer, idem_key, status,
		began, completed, refunded_at from gw_charges order by number`)
	if err != nil {
		return nil, fmt.Errorf("gateway: listing charges: %w", err)
	}
	defer rows.Close()
	var out []Charge
	for rows.Next() {
		var c Charge
		var number int64
		var status string
		var completed, refundedAt *time.Time
		if err := rows.Scan(&number, &c.Tag, &c.Ref, &c.AmountCents, &c.Currency, &c.Description, &c.Customer,
			&c.IdempotencyKey, &status, &c.Began, &completed, &refundedAt); err != nil {
			return nil, fmt.Errorf("gateway: listing charges: %w", err)
		}
		c.ID = chargeID(number)
		c.State = parseStatus(status)
		if completed != nil {
			c.Completed = *completed
		}
		if refundedAt != nil {
			c.Refunded, c.RefundedAt = true, *refundedAt
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("gateway: listing charges: %w", err)
	}
	return out, nil
}

func parseStatus(s string) simgw.Status {
	for _, st := range []simgw.Status{simgw.StatusProcessing, simgw.StatusSucceeded, simgw.StatusFailed} {
		if st.String() == s {
			return st
		}
	}
	return simgw.StatusNone
}

// readJSON reads a request's body into v, refusing fields v lacks.
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	// Only the package's reply types come here, and they always marshal.
	body, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

// now is the clock's reading to the microsecond, as PostgreSQL keeps a
// timestamp, so that an age computed from a stored time is exact.
func (s *Server) now() time.Time { return s.opts.clock.Now().Truncate(time.Microsecond) }

// realClock is the wall clock.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
