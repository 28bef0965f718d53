package api_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/db/sql"
)

// Goal: a response stored as text replays byte for byte: Text then
// ParseResponse gives back the same response, headers and body included
// (a body may hold blank lines), and malformed text is refused with a
// reason. Method: round trips of a table of responses, then bad texts.
func TestResponseText(t *testing.T) {
	for _, r := range []api.Response{
		{Status: 201, Resource: "pay_17", Location: "/payments/pay_17", Body: `{"id":"pay_17"}`},
		{Status: 409},
		{Status: 429, RetryAfter: 1500 * time.Millisecond, Body: "busy"},
		{Status: 200, ETag: `"v3"`, Body: "line one\n\nline three\n"},
		{Status: 500, Body: "\n"},
	} {
		t.Run(fmt.Sprint(r.Status), func(t *testing.T) {
			back, err := api.ParseResponse(r.Text())
			require.NoError(t, err, testcmd.Rerun(t, "./sim/api"))
			assert.Equal(t, r, back, testcmd.Rerun(t, "./sim/api"))
		})
	}
	for _, bad := range []struct{ text, why string }{
		{"201", "no blank line"},
		{"abc\n\n", "bad status line"},
		{"99\n\n", "bad status line"},
		{"201\nResource pay\n\n", "bad header line"},
		{"201\nX-Other: 1\n\n", "unknown header"},
		{"429\nRetry-After: soon\n\n", "bad Retry-After"},
	} {
		t.Run("bad/"+bad.why, func(t *testing.T) {
			_, err := api.ParseResponse(bad.text)
			assert.ErrorContains(t, err, bad.why, testcmd.Rerun(t, "./sim/api"))
		})
	}
}

// Goal: a payload's fingerprint depends on every field and on nothing else,
// and field boundaries matter ("ab"+"c" differs from "a"+"bc").
func TestFingerprint(t *testing.T) {
	rerun := testcmd.Rerun(t, "./sim/api")
	p := api.Payload{Amount: 100, Currency: "usd", Description: "order 7"}
	assert.Equal(t, p.Fingerprint(), p.Fingerprint(), rerun)
	assert.Len(t, p.Fingerprint(), 16, rerun)
	for _, q := range []api.Payload{
		{Amount: 101, Currency: "usd", Description: "order 7"},
		{Amount: 100, Currency: "eur", Description: "order 7"},
		{Amount: 100, Currency: "usd", Description: "order 8"},
		{Amount: 100, Currency: "usdo", Description: "rder 7"},
	} {
		assert.NotEqual(t, p.Fingerprint(), q.Fingerprint(), "%+v; %s", q, rerun)
	}
}

// Goal: SQLState names a database error's code, and any service's
// connection failure as 08006, so a strategy tests one thing for "the
// outcome is unknown". A timeout is a connection failure.
func TestSQLState(t *testing.T) {
	rerun := testcmd.Rerun(t, "./sim/api")
	assert.Equal(t, "23505", api.SQLState(fmt.Errorf("insert: %w", &sql.Error{Code: "23505"})), rerun)
	assert.Equal(t, "08006", api.SQLState(api.ErrConnection), rerun)
	assert.Equal(t, "08006", api.SQLState(api.ErrTimeout), rerun)
	assert.True(t, errors.Is(api.ErrTimeout, api.ErrConnection), rerun)
	assert.Equal(t, "", api.SQLState(errors.New("other")), rerun)
	assert.Equal(t, "", api.SQLState(nil), rerun)
}
