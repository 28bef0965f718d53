package faults_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/faults"
)

// Goal: a step fault fires on its server, in the handler of its request
// (a duplicate's copy is another request), at its call count and nowhere
// else, and says where in words. Method: Fires on a table of handlers'
// steps; String on a fault after a call, at a handler's start, and with
// the next call known.
func TestStepFault(t *testing.T) {
	req, err := faults.ParseRef("c1/o1.1/a1")
	require.NoError(t, err, rerun(t))
	last, err := faults.ParseRef("c1/o1.1/a1/db1")
	require.NoError(t, err, rerun(t))
	next, err := faults.ParseRef("c1/o1.1/a1/kv1")
	require.NoError(t, err, rerun(t))
	copyReq := req
	copyReq.Copy = true
	f := faults.StepFault{Kind: faults.CrashFault, Node: "s1", Request: req, After: 1, Downtime: 3 * time.Second, Last: last}
	for _, tc := range []struct {
		name    string
		server  string
		request faults.Ref
		calls   int
		want    bool
	}{
		{"its step", "s1", req, 1, true},
		{"before it", "s1", req, 0, false},
		{"after it", "s1", req, 2, false},
		{"another server", "s2", req, 1, false},
		{"the request's copy", "s1", copyReq, 1, false},
		{"one of its calls is not a request", "s1", last, 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, f.Fires(tc.server, tc.request, tc.calls), rerun(t))
		})
	}
	assert.Equal(t, "crash s1+3s after c1/o1.1/a1/db1", f.String(), rerun(t))
	start := faults.StepFault{Kind: faults.PauseFault, Node: "s2", Request: req, Downtime: time.Second, Next: next}
	assert.Equal(t, "pause s2+1s as c1/o1.1/a1 starts, before its kv1", start.String(), rerun(t))
}
