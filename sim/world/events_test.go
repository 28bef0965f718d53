package world_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// lostFirstResponse is the smallest duplicate: naive, one client, one
// operation, and the first attempt's response dropped, so the retry
// inserts a second row.
func lostFirstResponse(t *testing.T) world.Config {
	cfg := single(models.Naive)
	cfg.Client.Attempts = 8
	f, err := faults.ParseFault("drop-response c1/o1.1/a1")
	require.NoError(t, err)
	cfg.Faults.Replay = []faults.Fault{f}
	cfg.KeepTrace = true
	return cfg
}

// Goal: the events of a run are the lines of its printed trace, one for
// one, so a picture drawn from them says what the text says. Method: for a
// small scenario and for stormy worlds (every fault kind on, every service
// called), whole and filtered by operation, each event's time and Text
// make exactly the corresponding line of WriteTrace.
func TestEventsMatchTraceLines(t *testing.T) {
	op := api.OpID{Queue: 1, Index: 1}
	storm := stormy(everything, 3)
	storm.KeepTrace = true
	for _, tc := range []struct {
		name string
		cfg  world.Config
		op   *api.OpID
	}{
		{"lost-response", lostFirstResponse(t), nil},
		{"lost-response/o1.1", lostFirstResponse(t), &op},
		{"stormy", storm, nil},
		{"stormy/o1.1", storm, &op},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./sim/world")
			res, err := world.Run(tc.cfg)
			require.NoError(t, err, rerun)
			var text bytes.Buffer
			require.NoError(t, res.WriteTrace(&text, tc.op), rerun)
			lines := strings.Split(strings.TrimSuffix(text.String(), "\n"), "\n")
			events := res.Events(tc.op)
			require.Len(t, events, len(lines), "one event per trace line; %s", rerun)
			for i, ev := range events {
				at := ev.At.String()
				want := strings.Repeat(" ", max(0, 12-len(at))) + at + "  " + ev.Text
				if !assert.Equal(t, lines[i], want, "event %d (%s); %s", i, ev.Kind, rerun) {
					return
				}
				assert.NotEmpty(t, ev.Label, "event %d (%s) has no label; %s", i, ev.Kind, rerun)
				assert.NotContains(t, ev.Kind.String(), "event(", "event %d: record kind without an event kind; %s", i, rerun)
			}
		})
	}
}

// Goal: an event carries what a picture needs without reading its text:
// who sent what to whom, which message, which ledger row. Method: the
// lost-response scenario's events, field by field where it matters.
func TestEventsOfALostResponse(t *testing.T) {
	rerun := testcmd.Rerun(t, "./sim/world")
	res, err := world.Run(lostFirstResponse(t))
	require.NoError(t, err, rerun)
	assert.Equal(t, []string{"c1", "s1", "db", "kv", "gateway", "queue"}, res.Nodes(), rerun)
	events := res.Events(nil)
	var kinds []string
	for _, ev := range events {
		kinds = append(kinds, ev.Kind.String())
	}
	assert.Equal(t, []string{
		"attempt", "sent", "delivered", "handle", "sql", "ledger-row", "answer", "dropped",
		"timeout", "backoff",
		"attempt", "sent", "delivered", "handle", "sql", "ledger-row", "answer", "sent", "delivered", "response", "conclude",
	}, kinds, rerun)
	find := func(kind world.EventKind, n int) world.Event {
		for _, ev := range events {
			if ev.Kind == kind {
				if n--; n == 0 {
					return ev
				}
			}
		}
		require.Failf(t, "missing event", "%s #%d; %s", kind, n, rerun)
		return world.Event{}
	}
	o := api.OpID{Queue: 1, Index: 1}
	for _, tc := range []struct {
		name string
		got  world.Event
		want world.Event
	}{
		{"request", find(world.EventSent, 1), world.Event{Kind: world.EventSent, Node: "c1", From: "c1", To: "s1", Op: o, Attempt: 1,
			Message: "c1/o1.1/a1 request", Label: "create o1.1/a1"}},
		{"dropped-response", find(world.EventDropped, 1), world.Event{Kind: world.EventDropped, Node: "s1", From: "s1", To: "c1", Op: o, Attempt: 1,
			Message: "c1/o1.1/a1 response", Response: true, Label: "201"}},
		{"statement", find(world.EventSQL, 2), world.Event{Kind: world.EventSQL, Node: "db", From: "s1", To: "db", Op: o, Attempt: 2,
			Label: "insert payments → 1 row (2)"}},
		{"second-row", find(world.EventLedgerRow, 2), world.Event{Kind: world.EventLedgerRow, Node: "db", Op: o,
			Source: "payments", Row: "2", Label: "payments row 2 for o1.1"}},
		{"conclusion", find(world.EventConclude, 1), world.Event{Kind: world.EventConclude, Node: "c1", Op: o, Status: 201,
			Label: "concludes o1.1: done (201)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.got
			got.At, got.Text, got.Duration = 0, "", 0
			assert.Equal(t, tc.want, got, testcmd.Rerun(t, "./sim/world"))
		})
	}
	assert.Equal(t, find(world.EventSent, 1).Message, find(world.EventDelivered, 1).Message, "a departure and its arrival share the message; %s", rerun)
	assert.Positive(t, int64(find(world.EventSent, 1).Duration), "a sent message carries its latency; %s", rerun)
}

// Goal: without a kept trace there are no events (and no panic). Method: the
// scenario with KeepTrace off.
func TestEventsNeedAKeptTrace(t *testing.T) {
	cfg := lostFirstResponse(t)
	cfg.KeepTrace = false
	res, err := world.Run(cfg)
	require.NoError(t, err, testcmd.Rerun(t, "./sim/world"))
	assert.Empty(t, res.Events(nil), testcmd.Rerun(t, "./sim/world"))
}
