package gateway

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/idemsim/idemsim/sim"
)

// Config is how a gateway treats repeated requests.
type Config struct {
	Mode Mode
	// Window is DuplicateWindow's span: a charge identical to one that began
	// less than Window ago is rejected. 0 means DefaultWindow.
	Window sim.Duration
	// KeyRetention is how long Idempotent mode remembers a key, counted from
	// the Begin of the first request with it; a request after that is new.
	// 0 keeps keys forever. A key whose charge is still processing is never
	// forgotten: the processor is holding it.
	KeyRetention sim.Duration
}

// DefaultConfig is Stripe's behaviour: idempotency keys kept for 24 hours.
func DefaultConfig() Config {
	return Config{Mode: Idempotent, Window: DefaultWindow, KeyRetention: DefaultKeyRetention}
}

// ChargeRequest is what a server sends to create a charge.
type ChargeRequest struct {
	AmountCents int64
	Currency    string
	Description string
	Customer    string
	// IdempotencyKey is "" when the caller forwards none.
	IdempotencyKey string
}

// Charge is one charge the gateway accepted for processing.
type Charge struct {
	ID             string // "ch_1", "ch_2", ... in order of Begin
	AmountCents    int64
	Currency       string
	Description    string
	Customer       string
	IdempotencyKey string
	// Tag is the world's attribution of the charge to a business operation;
	// the gateway stores it and never looks at it.
	Tag int64
	// Began is when the request was accepted; Completed when processing
	// ended — money moved then, unless the charge was declined (Abandon).
	// Completed is 0 while the charge is processing.
	Began, Completed sim.Time
	Refunded         bool
	RefundedAt       sim.Time
}

// Kind is what became of one request.
type Kind uint8

// The kinds of outcome. The zero Kind is no outcome, so a forgotten
// assignment shows.
const (
	// Charged: the charge completed and money moved.
	Charged Kind = iota + 1
	// Replayed: Idempotent mode recognised the key and returned the
	// original charge; no new money moved.
	Replayed
	// InProgress: Idempotent mode saw the key of a request still
	// processing.
	InProgress
	// KeyMismatch: Idempotent mode saw a known key with other parameters.
	KeyMismatch
	// DuplicateRejected: DuplicateWindow mode saw an identical charge that
	// began less than Window ago.
	DuplicateRejected
	// Declined: the charge failed at the processor (Abandon) without moving
	// money.
	Declined
)

var kindNames = [...]string{"", "charged", "replayed", "in-progress", "key-mismatch", "duplicate-rejected", "declined"}

func (k Kind) String() string {
	if int(k) > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// HTTPStatus is the status the gateway answers over the wire for k:
//
//	Charged, Replayed  200 — Stripe answers a replay exactly as the original
//	                         (only its Idempotent-Replayed header differs)
//	InProgress         409 — Stripe's answer while the key's first request runs
//	KeyMismatch        400 — Stripe's idempotency_error
//	DuplicateRejected  422 — a validation failure: retrying later may succeed
//	Declined           402 — Stripe's card_error
//
// The zero Kind has status 0.
func (k Kind) HTTPStatus() int {
	switch k {
	case Charged, Replayed:
		return 200
	case InProgress:
		return 409
	case KeyMismatch:
		return 400
	case DuplicateRejected:
		return 422
	case Declined:
		return 402
	}
	return 0
}

// Outcome is the gateway's answer to one request. Charge is the charge the
// answer is about: the new or replayed charge, or the earlier charge a
// rejected request collided with (what of it goes over the wire is the
// world's choice).
type Outcome struct {
	Kind   Kind
	Charge Charge
}

// HTTPStatus is o.Kind.HTTPStatus().
func (o Outcome) HTTPStatus() int { return o.Kind.HTTPStatus() }

// Status is where a charge stands, as a reconciling lookup reports it.
type Status uint8

// The statuses.
const (
	StatusNone       Status = iota // no such charge
	StatusProcessing               // begun, not yet completed
	StatusSucceeded                // completed: money moved (a refund is Charge.Refunded)
	StatusFailed                   // declined: no money moved
)

var statusNames = [...]string{"none", "processing", "succeeded", "failed"}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "Status(" + strconv.Itoa(int(s)) + ")"
}

// Ticket is a charge in flight, between Begin and Complete or Abandon.
type Ticket struct {
	number int // the charge's number (ch_N); 0 is no ticket
}

// ChargeID is the ID of the ticket's charge.
func (t Ticket) ChargeID() string { return chargeID(t.number) }

// Stats counts requests and money by fate.
type Stats struct {
	Requests           int64 // every Begin
	Charged            int64 // charges completed
	Replayed           int64
	Conflicts          int64 // InProgress answers
	KeyMismatches      int64
	DuplicatesRejected int64
	Declined           int64
	Refunds            int64
	ChargedCents       int64 // money moved to the merchant, refunds not deducted
	RefundedCents      int64 // money moved back
}

// The errors of Refund, wrapped with the charge's ID.
var (
	ErrUnknownCharge   = errors.New("no such charge")
	ErrNotCharged      = errors.New("charge has not moved money")
	ErrAlreadyRefunded = errors.New("charge already refunded")
)

// fingerprint is what DuplicateWindow compares: Braintree's "same amount,
// same payment method" with the customer standing for the payment method.
type fingerprint struct {
	amountCents                     int64
	currency, customer, description string
}

// record is a charge with where it stands.
type record struct {
	charge Charge
	status Status
}

// Gateway is one payment processor. Its methods take the gateway node's
// clock reading; nothing else advances its state.
type Gateway struct {
	cfg     Config
	charges []record // charge ch_N is charges[N-1]
	// keys maps an idempotency key to the number of the charge it answers
	// with (Idempotent mode): the latest charge with that key that was not
	// declined, expired or not.
	keys map[string]int
	// recent maps a fingerprint to the number of the latest charge with it
	// that was not declined (DuplicateWindow mode).
	recent map[fingerprint]int
	// byKey lists the numbers of the charges carrying each key, for
	// LookupByKey in every mode.
	byKey    map[string][]int
	inFlight int
	stats    Stats
}

// New returns a gateway with an empty ledger, or an error naming the first
// Config field out of range.
func New(cfg Config) (*Gateway, error) {
	if cfg.Mode > None {
		return nil, fmt.Errorf("gateway: Mode %d unknown: want Idempotent, DuplicateWindow or None", uint8(cfg.Mode))
	}
	if cfg.Window < 0 {
		return nil, fmt.Errorf("gateway: Window %v out of range: want > 0 (0 means %v)", cfg.Window, DefaultWindow)
	}
	if cfg.Window == 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.KeyRetention < 0 {
		return nil, fmt.Errorf("gateway: KeyRetention %v out of range: want >= 0 (0 keeps keys forever)", cfg.KeyRetention)
	}
	return &Gateway{
		cfg:    cfg,
		keys:   map[string]int{},
		recent: map[fingerprint]int{},
		byKey:  map[string][]int{},
	}, nil
}

// Config returns the gateway's configuration with defaults filled in.
func (g *Gateway) Config() Config { return g.cfg }

// Begin registers a request at now. If the gateway accepts it, Begin returns
// its ticket and true: the charge is in flight (it counts for the conflict
// and window rules) until Complete or Abandon. Otherwise Begin returns the
// immediate answer and false.
//
// In Idempotent mode a known key with other parameters is a KeyMismatch even
// while its first request is processing: the request is wrong whatever the
// timing, so the answer does not depend on it.
func (g *Gateway) Begin(now sim.Time, req ChargeRequest, tag int64) (Ticket, Outcome, bool) {
	g.stats.Requests++
	key := req.IdempotencyKey
	switch g.cfg.Mode {
	case Idempotent:
		if key == "" {
			break
		}
		number, ok := g.keys[key]
		if !ok {
			break
		}
		earlier := &g.charges[number-1]
		if earlier.status != StatusProcessing && g.cfg.KeyRetention > 0 && now.Sub(earlier.charge.Began) >= g.cfg.KeyRetention {
			delete(g.keys, key) // forgotten: the request is new
			break
		}
		switch {
		case !sameParameters(earlier.charge, req):
			g.stats.KeyMismatches++
			return Ticket{}, Outcome{KeyMismatch, earlier.charge}, false
		case earlier.status == StatusProcessing:
			g.stats.Conflicts++
			return Ticket{}, Outcome{InProgress, earlier.charge}, false
		default:
			g.stats.Replayed++
			return Ticket{}, Outcome{Replayed, earlier.charge}, false
		}
	case DuplicateWindow:
		if number, ok := g.recent[fingerprintOf(req)]; ok {
			earlier := &g.charges[number-1]
			if now.Sub(earlier.charge.Began) < g.cfg.Window {
				g.stats.DuplicatesRejected++
				return Ticket{}, Outcome{DuplicateRejected, earlier.charge}, false
			}
		}
	}

	number := len(g.charges) + 1
	g.charges = append(g.charges, record{
		charge: Charge{
			ID:             chargeID(number),
			AmountCents:    req.AmountCents,
			Currency:       req.Currency,
			Description:    req.Description,
			Customer:       req.Customer,
			IdempotencyKey: key,
			Tag:            tag,
			Began:          now,
		},
		status: StatusProcessing,
	})
	switch g.cfg.Mode {
	case Idempotent:
		if key != "" {
			g.keys[key] = number
		}
	case DuplicateWindow:
		g.recent[fingerprintOf(req)] = number
	}
	if key != "" {
		g.byKey[key] = append(g.byKey[key], number)
	}
	g.inFlight++
	return Ticket{number}, Outcome{}, true
}

// Complete finishes the ticket's charge at now: it enters the ledger and
// money moves. Completing a ticket that is not in flight is a bug in the
// caller and panics.
func (g *Gateway) Complete(now sim.Time, t Ticket) Outcome {
	r := g.inFlightRecord("Complete", t)
	r.status = StatusSucceeded
	r.charge.Completed = now
	g.inFlight--
	g.stats.Charged++
	g.stats.ChargedCents += r.charge.AmountCents
	return Outcome{Charged, r.charge}
}

// Abandon ends the ticket's charge at now without moving money — a card the
// processor declines — and frees its key and fingerprint, so a retry is a
// new charge. Abandoning a ticket that is not in flight panics.
func (g *Gateway) Abandon(now sim.Time, t Ticket) Outcome {
	r := g.inFlightRecord("Abandon", t)
	r.status = StatusFailed
	r.charge.Completed = now
	g.inFlight--
	g.stats.Declined++
	if key := r.charge.IdempotencyKey; key != "" && g.keys[key] == t.number {
		delete(g.keys, key)
	}
	c := r.charge
	fp := fingerprint{c.AmountCents, c.Currency, c.Customer, c.Description}
	if g.recent[fp] == t.number {
		delete(g.recent, fp)
	}
	return Outcome{Declined, r.charge}
}

func (g *Gateway) inFlightRecord(method string, t Ticket) *record {
	if t.number < 1 || t.number > len(g.charges) {
		panic(fmt.Sprintf("gateway: %s of ticket %q: no such charge", method, t.ChargeID()))
	}
	r := &g.charges[t.number-1]
	if r.status != StatusProcessing {
		panic(fmt.Sprintf("gateway: %s of ticket %s: charge is %s, not processing", method, r.charge.ID, r.status))
	}
	return r
}

// LookupByKey is reconciliation by key — Stripe's search on metadata — in
// every mode and regardless of KeyRetention, since the ledger forgets
// nothing: the first charge with key that is processing or succeeded, else
// the latest declined one, else StatusNone.
func (g *Gateway) LookupByKey(now sim.Time, key string) (Charge, Status) {
	numbers := g.byKey[key]
	if key == "" || len(numbers) == 0 {
		return Charge{}, StatusNone
	}
	for _, number := range numbers {
		if r := g.charges[number-1]; r.status != StatusFailed {
			return r.charge, r.status
		}
	}
	r := g.charges[numbers[len(numbers)-1]-1]
	return r.charge, r.status
}

// LookupByID returns the charge with id and where it stands, or StatusNone.
func (g *Gateway) LookupByID(now sim.Time, id string) (Charge, Status) {
	number, ok := g.parseID(id)
	if !ok {
		return Charge{}, StatusNone
	}
	r := g.charges[number-1]
	return r.charge, r.status
}

// Refund moves the money of charge id back at now. An unknown id, a charge
// that has not moved money (processing or declined) and a second refund are
// errors naming the charge.
func (g *Gateway) Refund(now sim.Time, id string) error {
	number, ok := g.parseID(id)
	if !ok {
		return fmt.Errorf("gateway: refund %q: %w", id, ErrUnknownCharge)
	}
	r := &g.charges[number-1]
	switch {
	case r.status != StatusSucceeded:
		return fmt.Errorf("gateway: refund %s (%s): %w", id, r.status, ErrNotCharged)
	case r.charge.Refunded:
		return fmt.Errorf("gateway: refund %s: %w at %v", id, ErrAlreadyRefunded, r.charge.RefundedAt)
	}
	r.charge.Refunded = true
	r.charge.RefundedAt = now
	g.stats.Refunds++
	g.stats.RefundedCents += r.charge.AmountCents
	return nil
}

// Ledger lists every charge that moved money, in charge order (of Begin, not
// of completion), refunds marked.
func (g *Gateway) Ledger() []Charge {
	var ledger []Charge
	for _, r := range g.charges {
		if r.status == StatusSucceeded {
			ledger = append(ledger, r.charge)
		}
	}
	return ledger
}

// InFlight is the number of charges begun and neither completed nor
// abandoned.
func (g *Gateway) InFlight() int { return g.inFlight }

// Stats returns the counters so far.
func (g *Gateway) Stats() Stats { return g.stats }

func (g *Gateway) parseID(id string) (int, bool) {
	digits, ok := strings.CutPrefix(id, "ch_")
	if !ok {
		return 0, false
	}
	number, err := strconv.Atoi(digits)
	if err != nil || number < 1 || number > len(g.charges) || chargeID(number) != id {
		return 0, false // chargeID rejects "ch_01" and "ch_+1"
	}
	return number, true
}

func chargeID(number int) string { return "ch_" + strconv.Itoa(number) }

func sameParameters(c Charge, req ChargeRequest) bool {
	return c.AmountCents == req.AmountCents && c.Currency == req.Currency &&
		c.Description == req.Description && c.Customer == req.Customer
}

func fingerprintOf(req ChargeRequest) fingerprint {
	return fingerprint{req.AmountCents, req.Currency, req.Customer, req.Description}
}
