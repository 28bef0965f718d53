package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// A mode is one way of creating a payment under an idempotency key: the
// correct one or one of the common mistakes, each in its own mode_*.go
// file. It gets a request that has passed validation and returns the
// answer to send, or an error, which the client sees as a 500.
type mode func(ctx context.Context, s *service, req request) (response, error)

// modes are the accepted values of --mode, in the order the usage message
// lists them. build runs once per process start, so a mode's memory (the
// memory-only map) lives as long as the process.
var modes = []struct {
	name  string
	build func() mode
}{
	{"correct", correct},
	{"check-outside-txn", checkOutsideTxn},
	{"409-in-progress", inProgress409},
	{"memory-only", memoryOnly},
	{"no-payload-check", noPayloadCheck},
}

func modeNames() []string {
	names := make([]string, len(modes))
	for i, m := range modes {
		names[i] = m.name
	}
	return names
}

// buildMode returns the named mode, or false when there is none.
func buildMode(name string) (mode, bool) {
	for _, m := range modes {
		if m.name == name {
			return m.build(), true
		}
	}
	return nil, false
}

// service is the payments API on one database, in one mode.
type service struct {
	db     *pgxpool.Pool
	create mode
	// work stands for what a real payment does while its request is open
	// (call a card network, say): a sleep of --work-delay, long enough
	// that requests sent together overlap. Tests replace it to hold a
	// request at that point.
	work func(ctx context.Context) error
	log  *log.Logger
}

func newService(db *pgxpool.Pool, create mode, workDelay time.Duration, logger *log.Logger) *service {
	return &service{db: db, create: create, work: sleepFor(workDelay), log: logger}
}

func sleepFor(d time.Duration) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// request is a validated POST /payments.
type request struct {
	key         string
	amount      int64
	currency    string
	fingerprint string // of the whole body, so that any changed field counts
}

// response is an answer as it is sent, and as it is stored for a replay.
type response struct {
	code int
	body []byte
}

// payment is a payment as the API shows it.
type payment struct {
	ID       string `json:"id"`
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	Status   string `json:"status"`
}

const (
	maxBody = 64 << 10
	maxKey  = 255
)

func (s *service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/payments" {
		s.send(w, errorResponse(http.StatusNotFound, "no such resource: the API has /payments only"))
		return
	}
	switch r.Method {
	case http.MethodPost:
		s.send(w, s.post(r))
	case http.MethodGet:
		s.send(w, s.list(r))
	default:
		w.Header().Set("Allow", "GET, POST")
		s.send(w, errorResponse(http.StatusMethodNotAllowed, "method "+r.Method+" not allowed: use POST or GET"))
	}
}

func (s *service) send(w http.ResponseWriter, resp response) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(resp.code)
	_, _ = w.Write(resp.body) // a client that went away is not our error
}

// post answers POST /payments: it validates the request, then lets the
// mode decide.
func (s *service) post(r *http.Request) response {
	req, bad := parseRequest(r)
	if bad != nil {
		return *bad
	}
	resp, err := s.create(r.Context(), s, req)
	if err != nil {
		s.log.Printf("POST /payments key %q: %v", req.key, err)
		return errorResponse(http.StatusInternalServerError, "internal error")
	}
	return resp
}

// parseRequest checks the key and the body. The body must be a JSON object
// with a positive integer amount (in cents) and a currency; other fields
// are allowed and count in the fingerprint.
func parseRequest(r *http.Request) (request, *response) {
	bad := func(msg string) (request, *response) {
		resp := errorResponse(http.StatusBadRequest, msg)
		return request{}, &resp
	}
	key := r.Header.Get("Idempotency-Key")
	switch {
	case key == "":
		return bad("missing Idempotency-Key header")
	case len(key) > maxKey:
		return bad(fmt.Sprintf("Idempotency-Key is longer than %d bytes", maxKey))
	}
	raw, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		return bad(fmt.Sprintf("unreadable body (at most %d bytes): %v", maxBody, err))
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keep amounts exact, and as written, for the fingerprint
	var body map[string]any
	if err := dec.Decode(&body); err != nil || body == nil || dec.More() {
		return bad(`body must be one JSON object such as {"amount": 1000, "currency": "usd"}`)
	}
	num, ok := body["amount"].(json.Number)
	if !ok {
		return bad("amount must be a number of cents")
	}
	amount, err := num.Int64()
	if err != nil || amount <= 0 {
		return bad("amount must be a positive whole number of cents, not " + num.String())
	}
	currency, ok := body["currency"].(string)
	if !ok || currency == "" {
		return bad(`currency must be a non-empty string such as "usd"`)
	}
	// Marshalling the decoded object again sorts its keys at every level,
	// so the same request written in another order or spacing has the
	// same fingerprint.
	canonical, err := json.Marshal(body)
	if err != nil {
		return bad("body cannot be re-encoded: " + err.Error())
	}
	sum := sha256.Sum256(canonical)
	return request{key: key, amount: amount, currency: currency, fingerprint: hex.EncodeToString(sum[:])}, nil
}

// list answers GET /payments?idempotency_key=K with every payment made
// under K, oldest first: how many there are is what a checker counts.
func (s *service) list(r *http.Request) response {
	key := r.URL.Query().Get("idempotency_key")
	if key == "" {
		return errorResponse(http.StatusBadRequest, "missing idempotency_key query parameter")
	}
	rows, err := s.db.Query(r.Context(),
		`select id, amount, currency from payments where idempotency_key = $1 order by created_at, id`, key)
	if err != nil {
		s.log.Printf("GET /payments key %q: %v", key, err)
		return errorResponse(http.StatusInternalServerError, "internal error")
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (payment, error) {
		p := payment{Status: "succeeded"}
		return p, row.Scan(&p.ID, &p.Amount, &p.Currency)
	})
	if err != nil {
		s.log.Printf("GET /payments key %q: %v", key, err)
		return errorResponse(http.StatusInternalServerError, "internal error")
	}
	if list == nil {
		list = []payment{} // [] rather than null
	}
	return jsonResponse(http.StatusOK, list)
}

func jsonResponse(code int, v any) response {
	body, err := json.Marshal(v)
	if err != nil {
		panic(err) // only our own types are marshalled here
	}
	return response{code: code, body: body}
}

func errorResponse(code int, msg string) response {
	return jsonResponse(code, map[string]string{"error": msg})
}

// querier is what the helpers below need: a pool, or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// makePayment is the business effect: it writes the payment's row and
// returns the 201 that announces it.
func makePayment(ctx context.Context, q querier, req request) (response, error) {
	id, err := newPaymentID()
	if err != nil {
		return response{}, err
	}
	if _, err := q.Exec(ctx,
		`insert into payments (id, idempotency_key, amount, currency) values ($1, $2, $3, $4)`,
		id, req.key, req.amount, req.currency); err != nil {
		return response{}, fmt.Errorf("inserting the payment: %w", err)
	}
	return jsonResponse(http.StatusCreated, payment{ID: id, Amount: req.amount, Currency: req.currency, Status: "succeeded"}), nil
}

// workThenPay does the payment's work, then writes its row through q: the
// two steps of every mode, here for the modes that run them outside a
// transaction.
func (s *service) workThenPay(ctx context.Context, q querier, req request) (response, error) {
	if err := s.work(ctx); err != nil {
		return response{}, err
	}
	return makePayment(ctx, q, req)
}

func newPaymentID() (string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("a payment id: %w", err)
	}
	return "pay_" + hex.EncodeToString(b[:]), nil
}

// storedKey is a key as the key table (or the memory-only map) holds it.
type storedKey struct {
	fingerprint string
	done        bool // false: the first request has not finished
	resp        response
}

// answer is the reply to a request whose key is already stored: 422 when
// the body differs from the first request's (unless checkPayload is off,
// the no-payload-check mistake), 409 while the first request is still
// running, and otherwise the first answer again, byte for byte.
func (k storedKey) answer(req request, checkPayload bool) response {
	switch {
	case checkPayload && k.fingerprint != req.fingerprint:
		return errorResponse(http.StatusUnprocessableEntity, "this Idempotency-Key was used with a different request body")
	case !k.done:
		return errorResponse(http.StatusConflict, "a request with this Idempotency-Key is in progress; retry later")
	}
	return k.resp
}

// lookupKey reads key's row from the key table.
func lookupKey(ctx context.Context, q querier, key string) (storedKey, bool, error) {
	var (
		k      storedKey
		status string
		code   *int32
		body   *string
	)
	err := q.QueryRow(ctx,
		`select fingerprint, status, response_code, response_body from idempotency_keys where key = $1`, key).
		Scan(&k.fingerprint, &status, &code, &body)
	if errors.Is(err, pgx.ErrNoRows) {
		return storedKey{}, false, nil
	}
	if err != nil {
		return storedKey{}, false, fmt.Errorf("reading the key: %w", err)
	}
	k.done = status == "done"
	if k.done && code != nil && body != nil {
		k.resp = response{code: int(*code), body: []byte(*body)}
	}
	return k, true, nil
}

// claimKey inserts key's row as in progress, unless the key has one: then
// it inserts nothing and says so. While another transaction's row for the
// key is uncommitted, PostgreSQL makes the insert wait for that
// transaction to end.
func claimKey(ctx context.Context, q querier, req request) (bool, error) {
	tag, err := q.Exec(ctx,
		`insert into idempotency_keys (key, fingerprint, status) values ($1, $2, 'in_progress') on conflict (key) do nothing`,
		req.key, req.fingerprint)
	if err != nil {
		return false, fmt.Errorf("claiming the key: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// answerStored answers a request whose key claimKey found taken, from the
// key's row.
func answerStored(ctx context.Context, q querier, req request, checkPayload bool) (response, error) {
	k, found, err := lookupKey(ctx, q, req.key)
	if err != nil {
		return response{}, err
	}
	if !found {
		return response{}, fmt.Errorf("key %q conflicted but has no row", req.key)
	}
	return k.answer(req, checkPayload), nil
}

// payAndCommit makes the payment, stores its answer in the key's row and
// commits tx: the payment and its key are committed together or not at
// all.
func payAndCommit(ctx context.Context, tx pgx.Tx, req request) (response, error) {
	resp, err := makePayment(ctx, tx, req)
	if err != nil {
		return response{}, err
	}
	if err := finishKey(ctx, tx, req.key, resp); err != nil {
		return response{}, err
	}
	if err := tx.Commit(ctx); err != nil {
		return response{}, fmt.Errorf("committing: %w", err)
	}
	return resp, nil
}

// finishKey stores the answer in key's row and marks it done.
func finishKey(ctx context.Context, q querier, key string, resp response) error {
	if _, err := q.Exec(ctx,
		`update idempotency_keys set status = 'done', response_code = $2, response_body = $3 where key = $1`,
		key, resp.code, string(resp.body)); err != nil {
		return fmt.Errorf("storing the answer: %w", err)
	}
	return nil
}
