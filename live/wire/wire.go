// Package wire carries the world's requests and responses (sim/api) over
// real HTTP, both ways: a live client writes an api.Request as an HTTP
// request, a live server reads it back, answers with an api.Response
// written as an HTTP response, and the client reads that. What a strategy
// sees is exactly what it sees in the simulation; what only the harness
// may know (which operation a message belongs to) travels in headers the
// proxy and the server keep from the strategy.
//
// The mapping:
//
//	create  POST /payments               {"amount":1234,"currency":"usd","description":"payment"}
//	poll    GET <location or /payments>   (any path a Location named)
//	delete  DELETE <location or /payments>
//
// with Idempotency-Key, If-Match and "Authorization: Bearer <client>"
// when the request has them. A response carries Location, ETag,
// Retry-After (whole seconds, rounded up, as HTTP has it, and the exact
// duration in Idemsim-Retry-After), the resource's id in Idemsim-Resource,
// and the strategy's body as it is.
package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/idemsim/idemsim/sim/api"
)

// Headers of the wire format that a real API would not have.
const (
	// HeaderRef is the message's reference (faults.Ref, "c3/o3.7/a2") as
	// the client sends it to the proxy, which strips it.
	HeaderRef = "Idemsim-Ref"
	// HeaderOpRef is the reference as the proxy hands it to the server,
	// which numbers the handler's service calls by it and attributes
	// effects to its operation; the strategy never sees it.
	HeaderOpRef = "Idemsim-Op-Ref"
	// HeaderResource is the id of the resource a response speaks of.
	HeaderResource = "Idemsim-Resource"
	// HeaderRetryAfter is Retry-After to the nanosecond.
	HeaderRetryAfter = "Idemsim-Retry-After"
)

// Collection is the path of the payments collection.
const Collection = "/payments"

// MaxBody bounds a request's or response's body: larger is refused.
const MaxBody = 1 << 20

type payload struct {
	Amount      int64  `json:"amount"`
	Currency    string `json:"currency"`
	Description string `json:"description,omitempty"`
}

// NewRequest is r as an HTTP request to base (e.g. "http://127.0.0.1:8080").
// A create's body has no GetBody, so that Go's transport never sends it a
// second time by itself (it would on a broken keep-alive connection for a
// request with an Idempotency-Key header, golang/go#19943).
func NewRequest(base string, r api.Request) (*http.Request, error) {
	path := Collection
	if r.Location != "" && r.Kind != api.Create {
		path = r.Location
	}
	var (
		method string
		body   io.Reader
	)
	// A poll or a delete carries the operation's payload too, as the
	// simulated client's requests do: a strategy may compare a poll's
	// parameters with the stored request's.
	if r.Kind == api.Create || r.Payload != (api.Payload{}) {
		b, err := json.Marshal(payload{Amount: r.Payload.Amount, Currency: r.Payload.Currency, Description: r.Payload.Description})
		if err != nil {
			return nil, err
		}
		body = io.NopCloser(bytes.NewReader(b)) // not a *bytes.Reader: no GetBody
	}
	switch r.Kind {
	case api.Create:
		method = http.MethodPost
	case api.Poll:
		method = http.MethodGet
	case api.Delete:
		method = http.MethodDelete
	default:
		return nil, fmt.Errorf("wire: request kind %v (accepted: create, poll, delete)", r.Kind)
	}
	req, err := http.NewRequest(method, base+path, body)
	if err != nil {
		return nil, fmt.Errorf("wire: %w", err)
	}
	req.GetBody = nil
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	set := func(name, value string) {
		if value != "" {
			req.Header.Set(name, value)
		}
	}
	set("Idempotency-Key", r.Key)
	set("If-Match", r.IfMatch)
	if r.Client != "" {
		req.Header.Set("Authorization", "Bearer "+r.Client)
	}
	return req, nil
}

// ReadRequest is the api.Request an HTTP request carries, as a server
// hosting a strategy hands it to the handler. The fingerprint is the
// payload's, computed here as a server computes it from the body.
func ReadRequest(hr *http.Request) (api.Request, error) {
	var r api.Request
	// A poll or a delete goes wherever a Location pointed (a resource, a
	// status URL); a create goes to the collection.
	path := hr.URL.Path
	if hr.Method == http.MethodPost && path != Collection {
		return r, fmt.Errorf("wire: POST to %q (accepted: POST %s)", path, Collection)
	}
	if path != Collection {
		r.Location = path
	}
	b, err := io.ReadAll(io.LimitReader(hr.Body, MaxBody+1))
	if err != nil {
		return r, fmt.Errorf("wire: reading the body: %w", err)
	}
	if len(b) > MaxBody {
		return r, fmt.Errorf("wire: body over %d bytes", MaxBody)
	}
	if len(b) > 0 || hr.Method == http.MethodPost {
		var p payload
		if err := json.Unmarshal(b, &p); err != nil {
			return r, fmt.Errorf("wire: body: %v (want JSON {\"amount\": cents, \"currency\": \"usd\", \"description\": text})", err)
		}
		r.Payload = api.Payload{Amount: p.Amount, Currency: p.Currency, Description: p.Description}
		r.Fingerprint = r.Payload.Fingerprint()
	}
	switch hr.Method {
	case http.MethodPost:
		r.Kind = api.Create
	case http.MethodGet:
		r.Kind = api.Poll
	case http.MethodDelete:
		r.Kind = api.Delete
	default:
		return r, fmt.Errorf("wire: method %s (accepted: POST, GET, DELETE)", hr.Method)
	}
	r.Key = hr.Header.Get("Idempotency-Key")
	r.IfMatch = hr.Header.Get("If-Match")
	r.Client, _ = strings.CutPrefix(hr.Header.Get("Authorization"), "Bearer ")
	return r, nil
}

// WriteResponse writes r.
func WriteResponse(w http.ResponseWriter, r api.Response) {
	h := w.Header()
	set := func(name, value string) {
		if value != "" {
			h.Set(name, value)
		}
	}
	set("Location", r.Location)
	set("ETag", r.ETag)
	set(HeaderResource, r.Resource)
	if r.RetryAfter > 0 {
		h.Set("Retry-After", strconv.FormatInt(int64((r.RetryAfter+time.Second-1)/time.Second), 10))
		h.Set(HeaderRetryAfter, r.RetryAfter.String())
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(r.Body)))
	w.WriteHeader(r.Status)
	io.WriteString(w, r.Body)
}

// ReadResponse is the api.Response an HTTP response carries; it reads and
// closes the body. Retry-After in seconds is read when the exact header is
// absent (a server that is not ours).
func ReadResponse(hr *http.Response) (api.Response, error) {
	defer hr.Body.Close()
	b, err := io.ReadAll(io.LimitReader(hr.Body, MaxBody+1))
	if err != nil {
		return api.Response{}, fmt.Errorf("wire: reading the response: %w", err)
	}
	if len(b) > MaxBody {
		return api.Response{}, fmt.Errorf("wire: response body over %d bytes", MaxBody)
	}
	r := api.Response{
		Status:   hr.StatusCode,
		Location: hr.Header.Get("Location"),
		ETag:     hr.Header.Get("ETag"),
		Resource: hr.Header.Get(HeaderResource),
		Body:     string(b),
	}
	if v := hr.Header.Get(HeaderRetryAfter); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			r.RetryAfter = d
		}
	} else if v := hr.Header.Get("Retry-After"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			r.RetryAfter = time.Duration(n) * time.Second
		}
	}
	return r, nil
}
