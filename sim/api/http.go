package api

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/idemsim/idemsim/sim"
)

// Kind says what a request asks for.
type Kind uint8

// The kinds of request.
const (
	Create Kind = iota // POST: perform the business operation
	Poll               // GET: report the outcome of the operation with this key (or at Location)
	Delete             // DELETE: undo or remove the resource
)

var kindNames = [...]string{"create", "poll", "delete"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Payload is what a create asks for: enough that "the same key with a
// different payload" can be expressed and detected.
type Payload struct {
	Amount      int64 // cents
	Currency    string
	Description string
}

// Fingerprint is a short digest of the payload, as servers that compare a
// retry's parameters with the first request's store it (FNV-1a, 64 bits,
// in hex).
func (p Payload) Fingerprint() string {
	h := uint64(0xcbf29ce484222325)
	mix := func(b []byte) {
		for _, c := range b {
			h ^= uint64(c)
			h *= 0x100000001b3
		}
		h ^= 0xff // field separator
		h *= 0x100000001b3
	}
	var amount [20]byte
	mix(strconv.AppendInt(amount[:0], p.Amount, 10))
	mix([]byte(p.Currency))
	mix([]byte(p.Description))
	const hex = "0123456789abcdef"
	var b [16]byte
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = hex[h&15]
		h >>= 4
	}
	return string(b[:])
}

// Request is one attempt as the server sees it: POST /payments with an
// Idempotency-Key header and a payload, a status poll, or a delete. It does
// not say which business operation it belongs to: only the world knows.
type Request struct {
	Kind        Kind
	Key         string // the Idempotency-Key header; "" when the client sent none
	Payload     Payload
	Fingerprint string // the payload's fingerprint, as the client computed it
	IfMatch     string // the If-Match header, "" if absent
	Location    string // for a poll or delete: the resource or status URL it targets, if known
	Client      string // the client's identity (an API key), for keys scoped per client
}

// Response is what a strategy answers: a status, the headers the thread's
// positions use, and a body. Text and ParseResponse turn it into bytes and
// back, so a strategy can store it in a database row or the store and replay
// it byte for byte.
type Response struct {
	Status     int
	Resource   string       // the id of the resource the response speaks of ("pay_17"), "" if none
	Location   string       // Location header: the resource or a status URL
	RetryAfter sim.Duration // Retry-After header, 0 if absent
	ETag       string       // ETag header, "" if absent
	Body       string
}

// HTTP statuses the strategies and clients use.
const (
	StatusOK                  = 200
	StatusCreated             = 201
	StatusAccepted            = 202
	StatusNoContent           = 204
	StatusSeeOther            = 303
	StatusBadRequest          = 400
	StatusPaymentRequired     = 402
	StatusNotFound            = 404
	StatusConflict            = 409
	StatusGone                = 410
	StatusPreconditionFailed  = 412
	StatusUnprocessableEntity = 422
	StatusLocked              = 423
	StatusTooManyRequests     = 429
	StatusInternalServerError = 500
	StatusBadGateway          = 502
	StatusServiceUnavailable  = 503
	StatusGatewayTimeout      = 504
)

// Text is the response as stored and replayed: the status line, one line
// per header present, a blank line, then the body.
//
//	201
//	Resource: pay_17
//	Location: /payments/pay_17
//
//	{"id":"pay_17"}
func (r Response) Text() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(r.Status))
	b.WriteByte('\n')
	header := func(name, value string) {
		if value != "" {
			b.WriteString(name)
			b.WriteString(": ")
			b.WriteString(value)
			b.WriteByte('\n')
		}
	}
	header("Resource", r.Resource)
	header("Location", r.Location)
	if r.RetryAfter > 0 {
		header("Retry-After", r.RetryAfter.String())
	}
	header("ETag", r.ETag)
	b.WriteByte('\n')
	b.WriteString(r.Body)
	return b.String()
}

// ParseResponse reads what Text wrote.
func ParseResponse(s string) (Response, error) {
	var r Response
	head, body, ok := strings.Cut(s, "\n\n")
	if !ok {
		return r, fmt.Errorf("api: response %q: no blank line after the headers", abbreviate(s))
	}
	lines := strings.Split(head, "\n")
	status, err := strconv.Atoi(lines[0])
	if err != nil || status < 100 || status > 599 {
		return r, fmt.Errorf("api: response %q: bad status line %q (want a code in [100, 599])", abbreviate(s), lines[0])
	}
	r.Status, r.Body = status, body
	for _, line := range lines[1:] {
		name, value, ok := strings.Cut(line, ": ")
		if !ok || value == "" {
			return r, fmt.Errorf("api: response %q: bad header line %q (want Name: value)", abbreviate(s), line)
		}
		switch name {
		case "Resource":
			r.Resource = value
		case "Location":
			r.Location = value
		case "Retry-After":
			d, err := time.ParseDuration(value)
			if err != nil || d <= 0 {
				return r, fmt.Errorf("api: response %q: bad Retry-After %q (want a duration > 0)", abbreviate(s), value)
			}
			r.RetryAfter = d
		case "ETag":
			r.ETag = value
		default:
			return r, fmt.Errorf("api: response %q: unknown header %q (accepted: Resource, Location, Retry-After, ETag)", abbreviate(s), name)
		}
	}
	return r, nil
}

func abbreviate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
