package wire

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// NewClient returns the HTTP client of a live client: every request it is
// given goes out exactly once, or fails, within timeout (0: no limit); a
// redirect is returned as the response rather than followed, since
// following it would be an attempt the history never sees. It dials only
// loopback addresses.
func NewClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Transport: NewTransport(),
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// NewTransport returns a keep-alive HTTP/1.1 transport to loopback
// addresses that never sends a request a second time by itself.
//
// Go's transport re-sends a request on a fresh connection when a reused
// keep-alive connection breaks before the first byte of the response, if it
// deems the request replayable: a GET, HEAD, OPTIONS or TRACE, or any
// request with an Idempotency-Key or X-Idempotency-Key header — which is
// every request of ours — provided its body is absent or can be produced
// again (golang/go#19943). The server may well have received the first
// copy, and a second attempt the client never made would be missing from
// the history. This transport hands each request over with a body that
// cannot be produced again, which the transport never replays; a request
// it failed to write at all it still sends again, safely.
func NewTransport() http.RoundTripper {
	return NoResend(LoopbackTransport())
}

// LoopbackTransport is the keep-alive transport under NewTransport, for a
// caller that sets its own options and wraps it with NoResend.
func LoopbackTransport() *http.Transport {
	return &http.Transport{
		DialContext:           dialLoopback,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       30 * time.Second,
		ExpectContinueTimeout: 0,
	}
}

// NoResend wraps t so that it never sends a request a second time by
// itself (see NewTransport).
func NoResend(t *http.Transport) http.RoundTripper { return noResend{t} }

// noResend makes every request unreplayable in the eyes of the transport
// (net/http's Request.isReplayable): a body other than nil or NoBody, and no
// GetBody to produce it again.
type noResend struct{ t *http.Transport }

func (n noResend) RoundTrip(r *http.Request) (*http.Response, error) {
	once := new(http.Request)
	*once = *r // a RoundTripper must not change the caller's request
	once.GetBody = nil
	if once.Body == nil || once.Body == http.NoBody {
		// An empty body of its own: the transport probes it for a
		// method that usually has none (so a GET goes out without one)
		// and sends it chunked otherwise, which every HTTP/1.1 server
		// reads as empty.
		once.Body, once.ContentLength = emptyBody{}, 0
	}
	return n.t.RoundTrip(once)
}

// emptyBody is an empty request body that is not http.NoBody.
type emptyBody struct{}

func (emptyBody) Read([]byte) (int, error) { return 0, io.EOF }
func (emptyBody) Close() error             { return nil }

// DialError marks a failure to connect: the request reached no server.
type DialError struct{ err error }

func (e *DialError) Error() string { return e.err.Error() }
func (e *DialError) Unwrap() error { return e.err }

var dialer = &net.Dialer{Timeout: 5 * time.Second}

// dialLoopback dials addr if it is on loopback: live mode talks to nothing
// else.
func dialLoopback(ctx context.Context, network, addr string) (net.Conn, error) {
	if err := CheckLoopback(addr); err != nil {
		return nil, &DialError{err}
	}
	c, err := dialer.DialContext(ctx, network, addr)
	if err != nil {
		return nil, &DialError{err}
	}
	return c, nil
}

// DialAny dials addr wherever it is, marking a failure as dialLoopback
// does; only a target the user allowed off loopback (--allow-remote) is
// dialed with it.
func DialAny(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := dialer.DialContext(ctx, network, addr)
	if err != nil {
		return nil, &DialError{err}
	}
	return c, nil
}

// CheckLoopback accepts HOST:PORT with HOST localhost or a loopback IP.
func CheckLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("bad address %q: %v (accepted: HOST:PORT on loopback)", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("address %q is not on loopback (accepted: 127.0.0.1, ::1 or localhost)", addr)
	}
	return nil
}
