package wire_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/live/wire"
	"github.com/idemsim/idemsim/sim/api"
)

// Goal: what a client sends is what the server's handler reads, and what
// the handler answers is what the client reads, over real HTTP. Method: a
// table of request and response pairs through an httptest server that
// reads each request with ReadRequest and answers the paired response.
func TestRoundTrip(t *testing.T) {
	pay := api.Payload{Amount: 1234, Currency: "usd", Description: "order 7"}
	for _, tc := range []struct {
		name string
		req  api.Request
		resp api.Response
	}{
		{"create", api.Request{Kind: api.Create, Key: "k-1", Payload: pay, Fingerprint: pay.Fingerprint(), Client: "c3"},
			api.Response{Status: 201, Resource: "pay_1", Location: "/payments/pay_1", Body: `{"id":"pay_1"}`}},
		{"create without key", api.Request{Kind: api.Create, Payload: pay, Fingerprint: pay.Fingerprint()},
			api.Response{Status: 409, RetryAfter: 1500 * time.Millisecond, Body: "busy\n\nline"}},
		{"create if-match", api.Request{Kind: api.Create, Key: "k-2", IfMatch: `"v3"`, Payload: pay, Fingerprint: pay.Fingerprint(), Client: "c1"},
			api.Response{Status: 412, ETag: `"v4"`}},
		{"poll status", api.Request{Kind: api.Poll, Key: "k-1", Location: "/payment-status/k-1", Client: "c1", Payload: pay, Fingerprint: pay.Fingerprint()},
			api.Response{Status: 202, Location: "/payment-status/k-1"}},
		{"poll collection", api.Request{Kind: api.Poll, Key: "k-1"}, api.Response{Status: 404}},
		{"delete", api.Request{Kind: api.Delete, Key: "k-1", Location: "/payments/pay_1", Client: "c2"},
			api.Response{Status: 204}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./live/wire")
			var seen api.Request
			var readErr error
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
				seen, readErr = wire.ReadRequest(hr)
				wire.WriteResponse(w, tc.resp)
			}))
			defer srv.Close()
			hreq, err := wire.NewRequest(srv.URL, tc.req)
			require.NoError(t, err, rerun)
			hresp, err := srv.Client().Do(hreq)
			require.NoError(t, err, rerun)
			got, err := wire.ReadResponse(hresp)
			require.NoError(t, err, rerun)
			require.NoError(t, readErr, rerun)
			assert.Equal(t, tc.req, seen, rerun)
			assert.Equal(t, tc.resp, got, rerun)
			if tc.resp.RetryAfter > 0 {
				assert.Equal(t, "2", hresp.Header.Get("Retry-After"), "whole seconds, rounded up; %s", rerun)
			}
		})
	}
}

// Goal: a request the mapping does not know is refused with a reason.
// Method: bad paths, methods and bodies through ReadRequest.
func TestReadRequestRefuses(t *testing.T) {
	for _, tc := range []struct{ method, path, body, why string }{
		{"POST", "/other", "{}", "POST to"},
		{"PUT", "/payments", "{}", "method PUT"},
		{"POST", "/payments", "not json", "want JSON"},
		{"POST", "/payments", strings.Repeat(" ", wire.MaxBody+1), "body over"},
	} {
		t.Run(tc.why, func(t *testing.T) {
			hr := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
			_, err := wire.ReadRequest(hr)
			assert.ErrorContains(t, err, tc.why, testcmd.Rerun(t, "./live/wire"))
		})
	}
}

// Goal: a create's HTTP request cannot be re-sent by Go's transport on a
// broken keep-alive connection (golang/go#19943). Method: it has a body
// and no GetBody, which is what makes the transport refuse to replay it.
func TestCreateIsNotReplayable(t *testing.T) {
	hr, err := wire.NewRequest("http://127.0.0.1:1", api.Request{Kind: api.Create, Key: "k-1"})
	require.NoError(t, err, testcmd.Rerun(t, "./live/wire"))
	assert.NotNil(t, hr.Body, testcmd.Rerun(t, "./live/wire"))
	assert.Nil(t, hr.GetBody, testcmd.Rerun(t, "./live/wire"))
}
