package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/idemsim/idemsim/live/wire"
	"github.com/idemsim/idemsim/sim/api"
)

// Client reaches a gateway Server over HTTP. One Client serves many
// callers at once; For gives each its api.Gateway.
type Client struct {
	base string
	http *http.Client
}

// DefaultClientTimeout is a Client's timeout when NewClient is given none.
const DefaultClientTimeout = 10 * time.Second

// maxReply bounds the answer the client reads.
const maxReply = 1 << 20

// NewClient returns a client of the gateway at baseURL ("http://HOST:PORT")
// whose calls each give up after timeout (DefaultClientTimeout if it is
// not positive). It never uses a proxy.
func NewClient(baseURL string, timeout time.Duration) *Client {
	if timeout <= 0 {
		timeout = DefaultClientTimeout
	}
	// wire's transport never sends a call twice by itself (Go's would
	// re-send a lookup or a keyed charge on a broken keep-alive
	// connection, golang/go#19943), and dials only loopback.
	return &Client{base: strings.TrimSuffix(baseURL, "/"), http: &http.Client{
		Transport: wire.NewTransport(),
		Timeout:   timeout,
		// The gateway never redirects; following one would re-send a call.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// CloseIdleConnections closes the client's idle connections.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

// For returns the api.Gateway of one caller: every call it makes carries
// tag (the business operation, "" for none) and ref (the call's message
// reference, which the server's injector is asked about) in the
// Idemsim-Tag and Idemsim-Ref headers. The strategy using it sees neither.
// Make one per call when the injector must tell calls apart.
func (c *Client) For(tag, ref string) api.Gateway { return &caller{c: c, tag: tag, ref: ref} }

type caller struct {
	c        *Client
	tag, ref string
}

var _ api.Gateway = (*caller)(nil)

// Charge implements api.Gateway. A charge answered is a result, whatever
// its status (500 included, as the simulated gateway's fault answers);
// ErrTimeout and ErrConnection are charges whose answer never came.
func (g *caller) Charge(req api.ChargeRequest) (api.ChargeResult, error) {
	if err := checkHeader(HeaderKey, req.IdempotencyKey); err != nil {
		return api.ChargeResult{}, err
	}
	body, _ := json.Marshal(chargeRequest{Amount: req.Amount, Currency: req.Currency, Description: req.Description, Customer: req.Customer})
	status, reply, err := g.do(http.MethodPost, chargesPath, body, req.IdempotencyKey)
	if err != nil {
		return api.ChargeResult{}, err
	}
	var r chargeReply
	if err := json.Unmarshal(reply, &r); err != nil || r.Outcome == "" {
		return api.ChargeResult{}, unreadable("charge", status, reply)
	}
	return api.ChargeResult{Status: status, ChargeID: r.ID, Outcome: r.Outcome}, nil
}

// LookupByKey implements api.Gateway.
func (g *caller) LookupByKey(key string) (api.ChargeStatus, error) {
	return g.lookup(chargesPath + "?" + url.Values{keyParam: {key}}.Encode())
}

// LookupByID implements api.Gateway.
func (g *caller) LookupByID(id string) (api.ChargeStatus, error) {
	if _, ok := parseID(id); !ok {
		// Every charge's id is canonical, so this one names none; and as
		// a path segment it might not even reach the gateway ("..").
		return api.ChargeStatus{}, nil
	}
	return g.lookup(chargesPath + "/" + id)
}

func (g *caller) lookup(path string) (api.ChargeStatus, error) {
	status, reply, err := g.do(http.MethodGet, path, nil, "")
	if err != nil {
		return api.ChargeStatus{}, err
	}
	var r lookupReply
	if (status != http.StatusOK && status != http.StatusNotFound) || json.Unmarshal(reply, &r) != nil || r.Found != (status == http.StatusOK) {
		return api.ChargeStatus{}, unreadable("lookup", status, reply)
	}
	return api.ChargeStatus{Found: r.Found, ChargeID: r.ID, State: r.State, Refunded: r.Refunded}, nil
}

// Refund implements api.Gateway, as Stripe's POST /v1/refunds. A refusal
// wraps sim/gateway's ErrUnknownCharge, ErrNotCharged or
// ErrAlreadyRefunded, with the simulated gateway's message.
func (g *caller) Refund(id string) error {
	body, _ := json.Marshal(refundRequest{Charge: id})
	status, reply, err := g.do(http.MethodPost, refundsPath, body, "")
	if err != nil {
		return err
	}
	if status == http.StatusOK {
		return nil
	}
	var r errorReply
	if json.Unmarshal(reply, &r) == nil {
		for _, e := range refundErrors {
			if e.code == r.Code && e.status == status {
				return &remoteError{msg: r.Message, err: e.err}
			}
		}
	}
	return unreadable("refund", status, reply)
}

// do makes one HTTP request and reads its answer. The client's transport
// (wire.NewTransport) sends it once; what it did is unknown if its
// connection fails.
func (g *caller) do(method, path string, body []byte, key string) (int, []byte, error) {
	req, err := http.NewRequest(method, g.c.base+path, nil)
	if err != nil {
		return 0, nil, fmt.Errorf("gateway: %s %s: %w", method, path, err)
	}
	if len(body) > 0 {
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	}
	if len(body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set(HeaderKey, key)
	}
	if err := checkHeader(HeaderTag, g.tag); err != nil {
		return 0, nil, err
	}
	if err := checkHeader(HeaderRef, g.ref); err != nil {
		return 0, nil, err
	}
	req.Header.Set(HeaderTag, g.tag)
	req.Header.Set(HeaderRef, g.ref)
	resp, err := g.c.http.Do(req)
	if err != nil {
		return 0, nil, callErr(err)
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	if err != nil {
		return 0, nil, callErr(err)
	}
	return resp.StatusCode, reply, nil
}

// callErr maps a failed call as the simulated world does: no answer within
// the timeout is api.ErrTimeout, a connection refused or broken
// api.ErrConnection.
func callErr(err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%w (gateway: %v)", api.ErrTimeout, err)
	}
	return fmt.Errorf("%w (gateway: %v)", api.ErrConnection, err)
}

// checkHeader refuses a value HTTP cannot carry in a header unchanged (a
// control character, or blanks at either end that a server trims).
func checkHeader(name, value string) error {
	if strings.TrimSpace(value) != value || strings.ContainsFunc(value, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("gateway: %s %q cannot travel in an HTTP header: want no control characters and no blanks at either end", name, value)
	}
	return nil
}

func unreadable(what string, status int, reply []byte) error {
	if len(reply) > 200 {
		reply = reply[:200]
	}
	// The caller cannot tell what happened: as a broken connection.
	return fmt.Errorf("%w (gateway: %s answered %d %q)", api.ErrConnection, what, status, reply)
}
