package gateway_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/gateway"
)

// rerun is the command that reruns exactly the failing (sub)test; every
// failure message carries it.
func rerun(t testing.TB) string { return testcmd.Rerun(t, "./sim/gateway") }

// at is a clock reading d after the start of a run.
func at(d time.Duration) sim.Time { return sim.Time(d) }

func newGateway(t testing.TB, cfg gateway.Config) *gateway.Gateway {
	t.Helper()
	g, err := gateway.New(cfg)
	require.NoError(t, err, rerun(t))
	return g
}

// order is the request every situation repeats.
var order = gateway.ChargeRequest{AmountCents: 1000, Currency: "usd", Description: "order 1", Customer: "cus_1", IdempotencyKey: "key-1"}

// request is one request of a situation: begun at begin, then completed at
// end, or abandoned (declined) at end if decline is set, when accepted.
type request struct {
	req        gateway.ChargeRequest
	begin, end time.Duration
	decline    bool
}

// play runs the requests — Begins in the order given, each accepted one
// finished at its end time, events at equal times in the order listed — and
// returns each request's final answer.
func play(g *gateway.Gateway, requests []request) []gateway.Outcome {
	type event struct {
		at      time.Duration
		request int
		begin   bool
	}
	var events []event
	for i, r := range requests {
		events = append(events, event{r.begin, i, true}, event{r.end, i, false})
	}
	// Insertion sort keeps listed order among equal times.
	for i := 1; i < len(events); i++ {
		for j := i; j > 0 && events[j].at < events[j-1].at; j-- {
			events[j], events[j-1] = events[j-1], events[j]
		}
	}
	answers := make([]gateway.Outcome, len(requests))
	tickets := make([]gateway.Ticket, len(requests))
	accepted := make([]bool, len(requests))
	for _, e := range events {
		r := requests[e.request]
		switch {
		case e.begin:
			tickets[e.request], answers[e.request], accepted[e.request] = g.Begin(at(e.at), r.req, int64(e.request+1))
		case !accepted[e.request]:
		case r.decline:
			answers[e.request] = g.Abandon(at(e.at), tickets[e.request])
		default:
			answers[e.request] = g.Complete(at(e.at), tickets[e.request])
		}
	}
	return answers
}

// Goal: each mode answers the six situations that matter as its real
// counterpart does. Method: two requests per situation; the answers' kinds,
// the charge every rejection or replay refers to (always the first), and
// how many charges moved money.
func TestModesInSituations(t *testing.T) {
	otherAmount := order
	otherAmount.AmountCents = 2000
	noKey := order
	noKey.IdempotencyKey = ""
	situations := []struct {
		name     string
		requests []request
	}{
		{"repeat-after-completion", []request{{order, 0, time.Second, false}, {order, 2 * time.Second, 3 * time.Second, false}}},
		{"repeat-in-flight", []request{{order, 0, 2 * time.Second, false}, {order, time.Second, 3 * time.Second, false}}},
		{"repeat-other-parameters", []request{{order, 0, time.Second, false}, {otherAmount, 2 * time.Second, 3 * time.Second, false}}},
		{"repeat-after-window-and-retention", []request{{order, 0, time.Second, false}, {order, 25 * time.Hour, 25*time.Hour + time.Second, false}}},
		{"no-key", []request{{noKey, 0, time.Second, false}, {noKey, 2 * time.Second, 3 * time.Second, false}}},
		{"declined-then-retry", []request{{order, 0, time.Second, true}, {order, 2 * time.Second, 3 * time.Second, false}}},
	}
	c, r, p, m, d, x := gateway.Charged, gateway.Replayed, gateway.InProgress, gateway.KeyMismatch, gateway.DuplicateRejected, gateway.Declined
	type want struct {
		kinds   [2]gateway.Kind
		charges int
	}
	modes := []struct {
		flag string
		want [6]want // by situation
	}{
		{"idempotent", [6]want{{[2]gateway.Kind{c, r}, 1}, {[2]gateway.Kind{c, p}, 1}, {[2]gateway.Kind{c, m}, 1}, {[2]gateway.Kind{c, c}, 2}, {[2]gateway.Kind{c, c}, 2}, {[2]gateway.Kind{x, c}, 1}}},
		{"window:30s", [6]want{{[2]gateway.Kind{c, d}, 1}, {[2]gateway.Kind{c, d}, 1}, {[2]gateway.Kind{c, c}, 2}, {[2]gateway.Kind{c, c}, 2}, {[2]gateway.Kind{c, d}, 1}, {[2]gateway.Kind{x, c}, 1}}},
		{"none", [6]want{{[2]gateway.Kind{c, c}, 2}, {[2]gateway.Kind{c, c}, 2}, {[2]gateway.Kind{c, c}, 2}, {[2]gateway.Kind{c, c}, 2}, {[2]gateway.Kind{c, c}, 2}, {[2]gateway.Kind{x, c}, 1}}},
	}
	for _, mode := range modes {
		for i, situation := range situations {
			t.Run(mode.flag+"/"+situation.name, func(t *testing.T) {
				cfg := gateway.DefaultConfig()
				var err error
				cfg.Mode, cfg.Window, err = gateway.ParseMode(mode.flag)
				require.NoError(t, err, rerun(t))
				g := newGateway(t, cfg)
				answers := play(g, situation.requests)
				want := mode.want[i]
				assert.Equal(t, want.kinds[:], []gateway.Kind{answers[0].Kind, answers[1].Kind}, rerun(t))
				assert.Len(t, g.Ledger(), want.charges, rerun(t))
				assert.Equal(t, "ch_1", answers[0].Charge.ID, rerun(t))
				if k := answers[1].Kind; k != gateway.Charged {
					assert.Equal(t, "ch_1", answers[1].Charge.ID, "a replay or rejection refers to the first charge; "+rerun(t))
				}
				assert.Zero(t, g.InFlight(), rerun(t))
			})
		}
	}
}

// Goal: the window and the retention are half-open — a repeat exactly
// Window (KeyRetention) after the first began is new — and a key is never
// forgotten while its charge processes. Method: two requests at each edge.
func TestWindowAndRetentionBoundaries(t *testing.T) {
	for _, tc := range []struct {
		name      string
		cfg       gateway.Config
		second    time.Duration // when the repeat begins
		completed bool          // whether the first has completed by then
		want      gateway.Kind
	}{
		{"retention-just-before", gateway.Config{Mode: gateway.Idempotent, KeyRetention: 24 * time.Hour}, 24*time.Hour - 1, true, gateway.Replayed},
		{"retention-at", gateway.Config{Mode: gateway.Idempotent, KeyRetention: 24 * time.Hour}, 24 * time.Hour, true, gateway.Charged},
		{"retention-forever", gateway.Config{Mode: gateway.Idempotent}, 1000 * time.Hour, true, gateway.Replayed},
		{"retention-in-flight", gateway.Config{Mode: gateway.Idempotent, KeyRetention: time.Hour}, 25 * time.Hour, false, gateway.InProgress},
		{"window-just-before", gateway.Config{Mode: gateway.DuplicateWindow, Window: 30 * time.Second}, 30*time.Second - 1, true, gateway.DuplicateRejected},
		{"window-at", gateway.Config{Mode: gateway.DuplicateWindow, Window: 30 * time.Second}, 30 * time.Second, true, gateway.Charged},
		{"window-default", gateway.Config{Mode: gateway.DuplicateWindow}, 29 * time.Second, true, gateway.DuplicateRejected},
		{"window-in-flight-past-window", gateway.Config{Mode: gateway.DuplicateWindow, Window: time.Second}, time.Hour, false, gateway.Charged},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGateway(t, tc.cfg)
			first, _, ok := g.Begin(0, order, 1)
			require.True(t, ok, rerun(t))
			if tc.completed {
				g.Complete(at(time.Millisecond), first)
			}
			ticket, answer, ok := g.Begin(at(tc.second), order, 2)
			if ok {
				answer = g.Complete(at(tc.second+time.Millisecond), ticket)
			}
			assert.Equal(t, tc.want, answer.Kind, rerun(t))
		})
	}
}

// Goal: a replay is the original charge, moves no money and counts as a
// replay. Method: charge, replay, compare with the ledger and the stats.
func TestReplayIsTheOriginal(t *testing.T) {
	g := newGateway(t, gateway.DefaultConfig())
	ticket, _, ok := g.Begin(at(time.Second), order, 7)
	require.True(t, ok, rerun(t))
	assert.Equal(t, "ch_1", ticket.ChargeID(), rerun(t))
	charged := g.Complete(at(2*time.Second), ticket)
	_, replay, ok := g.Begin(at(3*time.Second), order, 8)
	require.False(t, ok, rerun(t))
	assert.Equal(t, gateway.Replayed, replay.Kind, rerun(t))
	assert.Equal(t, charged.Charge, replay.Charge, rerun(t))
	assert.Equal(t, []gateway.Charge{{
		ID: "ch_1", AmountCents: 1000, Currency: "usd", Description: "order 1", Customer: "cus_1",
		IdempotencyKey: "key-1", Tag: 7, Began: at(time.Second), Completed: at(2 * time.Second),
	}}, g.Ledger(), rerun(t))
	assert.Equal(t, gateway.Stats{Requests: 2, Charged: 1, Replayed: 1, ChargedCents: 1000}, g.Stats(), rerun(t))
}

// Goal: in Idempotent mode other parameters under a known key are a
// mismatch even while the first request runs, and every parameter counts.
// In DuplicateWindow mode the key plays no part. Method: one first request,
// one variant each.
func TestParametersAndKeys(t *testing.T) {
	variants := map[string]func(*gateway.ChargeRequest){
		"amount":      func(r *gateway.ChargeRequest) { r.AmountCents++ },
		"currency":    func(r *gateway.ChargeRequest) { r.Currency = "eur" },
		"description": func(r *gateway.ChargeRequest) { r.Description = "order 2" },
		"customer":    func(r *gateway.ChargeRequest) { r.Customer = "cus_2" },
		"key":         func(r *gateway.ChargeRequest) { r.IdempotencyKey = "key-2" },
		"same":        func(r *gateway.ChargeRequest) {},
	}
	for _, tc := range []struct {
		mode     gateway.Mode
		variant  string
		complete bool
		want     gateway.Kind
	}{
		{gateway.Idempotent, "amount", false, gateway.KeyMismatch},
		{gateway.Idempotent, "currency", true, gateway.KeyMismatch},
		{gateway.Idempotent, "description", true, gateway.KeyMismatch},
		{gateway.Idempotent, "customer", true, gateway.KeyMismatch},
		{gateway.Idempotent, "key", true, gateway.Charged},
		{gateway.Idempotent, "same", false, gateway.InProgress},
		{gateway.DuplicateWindow, "key", true, gateway.DuplicateRejected},
		{gateway.DuplicateWindow, "amount", false, gateway.Charged},
		{gateway.DuplicateWindow, "currency", true, gateway.Charged},
		{gateway.DuplicateWindow, "description", true, gateway.Charged},
		{gateway.DuplicateWindow, "customer", true, gateway.Charged},
	} {
		completion := "in-flight"
		if tc.complete {
			completion = "completed"
		}
		t.Run(tc.mode.String()+"/"+tc.variant+"/"+completion, func(t *testing.T) {
			g := newGateway(t, gateway.Config{Mode: tc.mode, KeyRetention: time.Hour})
			first, _, ok := g.Begin(0, order, 1)
			require.True(t, ok, rerun(t))
			if tc.complete {
				g.Complete(at(time.Second), first)
			}
			req := order
			variants[tc.variant](&req)
			ticket, answer, ok := g.Begin(at(2*time.Second), req, 2)
			if ok {
				answer = g.Complete(at(3*time.Second), ticket)
			}
			assert.Equal(t, tc.want, answer.Kind, rerun(t))
		})
	}
}

// Goal: refunds move money back once, and every refusal names the charge.
// Method: one charge completed, one processing, one declined; refund each,
// and unknown IDs.
func TestRefunds(t *testing.T) {
	g := newGateway(t, gateway.Config{Mode: gateway.None})
	done, _, _ := g.Begin(0, order, 1)
	processing, _, _ := g.Begin(0, order, 2)
	declined, _, _ := g.Begin(0, order, 3)
	g.Complete(at(time.Second), done)
	g.Abandon(at(time.Second), declined)
	require.Equal(t, []string{"ch_1", "ch_2", "ch_3"}, []string{done.ChargeID(), processing.ChargeID(), declined.ChargeID()}, rerun(t))

	for _, tc := range []struct {
		id      string
		wantErr error
	}{
		{"ch_1", nil},
		{"ch_1", gateway.ErrAlreadyRefunded},
		{"ch_2", gateway.ErrNotCharged},
		{"ch_3", gateway.ErrNotCharged},
		{"ch_4", gateway.ErrUnknownCharge},
		{"ch_0", gateway.ErrUnknownCharge},
		{"ch_01", gateway.ErrUnknownCharge},
		{"1", gateway.ErrUnknownCharge},
		{"", gateway.ErrUnknownCharge},
	} {
		err := g.Refund(at(5*time.Second), tc.id)
		if tc.wantErr == nil {
			assert.NoError(t, err, "refund %q; %s", tc.id, rerun(t))
			continue
		}
		assert.ErrorIs(t, err, tc.wantErr, "refund %q; %s", tc.id, rerun(t))
		if err != nil {
			assert.Contains(t, err.Error(), tc.id, "the error names the charge; %s", rerun(t))
		}
	}
	ledger := g.Ledger()
	require.Len(t, ledger, 1, rerun(t))
	assert.True(t, ledger[0].Refunded, rerun(t))
	assert.Equal(t, at(5*time.Second), ledger[0].RefundedAt, rerun(t))
	stats := g.Stats()
	assert.Equal(t, int64(1), stats.Refunds, rerun(t))
	assert.Equal(t, int64(1000), stats.RefundedCents, rerun(t))
	assert.Equal(t, int64(1000), stats.ChargedCents, "refunds are not deducted from money charged; "+rerun(t))
}

// Goal: reconciliation sees a charge through its life, by key in every mode
// and past the key's retention, and by ID. Method: follow one key through
// processing, decline, retry and completion.
func TestLookups(t *testing.T) {
	for _, mode := range []gateway.Mode{gateway.Idempotent, gateway.DuplicateWindow, gateway.None} {
		t.Run(mode.String(), func(t *testing.T) {
			g := newGateway(t, gateway.Config{Mode: mode, KeyRetention: time.Minute, Window: time.Second})
			look := func(now time.Duration) (string, gateway.Status) {
				c, s := g.LookupByKey(at(now), order.IdempotencyKey)
				return c.ID, s
			}
			id, status := look(0)
			assert.Equal(t, "", id, rerun(t))
			assert.Equal(t, gateway.StatusNone, status, rerun(t))

			first, _, _ := g.Begin(0, order, 1)
			id, status = look(0)
			assert.Equal(t, "ch_1", id, rerun(t))
			assert.Equal(t, gateway.StatusProcessing, status, rerun(t))

			g.Abandon(at(time.Second), first)
			id, status = look(time.Second)
			assert.Equal(t, "ch_1", id, rerun(t))
			assert.Equal(t, gateway.StatusFailed, status, rerun(t))

			retry, _, ok := g.Begin(at(2*time.Second), order, 1)
			require.True(t, ok, rerun(t))
			g.Complete(at(3*time.Second), retry)
			id, status = look(time.Hour)
			assert.Equal(t, "ch_2", id, "the charge that moved money wins over the declined one; "+rerun(t))
			assert.Equal(t, gateway.StatusSucceeded, status, rerun(t))

			c, status := g.LookupByID(at(time.Hour), "ch_1")
			assert.Equal(t, gateway.StatusFailed, status, rerun(t))
			assert.Equal(t, at(time.Second), c.Completed, "a declined charge's Completed is when it was declined; "+rerun(t))
			c, status = g.LookupByID(at(time.Hour), "ch_2")
			assert.Equal(t, gateway.StatusSucceeded, status, rerun(t))
			assert.Equal(t, order.AmountCents, c.AmountCents, rerun(t))
			_, status = g.LookupByID(at(time.Hour), "ch_3")
			assert.Equal(t, gateway.StatusNone, status, rerun(t))
			_, status = g.LookupByKey(at(time.Hour), "")
			assert.Equal(t, gateway.StatusNone, status, "the empty key is no key; "+rerun(t))
		})
	}
}

// Goal: the ledger lists charges that moved money in the order they began,
// not the order they completed, with the world's tags. Method: three
// charges completed in reverse, the middle one declined.
func TestLedgerOrder(t *testing.T) {
	g := newGateway(t, gateway.Config{Mode: gateway.None})
	var tickets []gateway.Ticket
	for i := range 4 {
		req := order
		req.AmountCents = int64(100 * (i + 1))
		ticket, _, ok := g.Begin(at(time.Duration(i)*time.Second), req, int64(10+i))
		require.True(t, ok, rerun(t))
		tickets = append(tickets, ticket)
	}
	g.Complete(at(10*time.Second), tickets[3])
	g.Complete(at(11*time.Second), tickets[0])
	g.Abandon(at(12*time.Second), tickets[1])
	assert.Equal(t, 1, g.InFlight(), rerun(t))
	var ids []string
	var tags []int64
	for _, c := range g.Ledger() {
		ids = append(ids, c.ID)
		tags = append(tags, c.Tag)
	}
	assert.Equal(t, []string{"ch_1", "ch_4"}, ids, rerun(t))
	assert.Equal(t, []int64{10, 13}, tags, rerun(t))
	g.Complete(at(13*time.Second), tickets[2])
	assert.Len(t, g.Ledger(), 3, rerun(t))
	assert.Equal(t, "ch_3", g.Ledger()[1].ID, rerun(t))
}

// Goal: ParseMode reads the documented forms, String and ModeFlag print
// them back, and a bad value's error names it and lists the forms.
func TestParseMode(t *testing.T) {
	for _, tc := range []struct {
		flag   string
		mode   gateway.Mode
		window time.Duration
	}{
		{"idempotent", gateway.Idempotent, 0},
		{"none", gateway.None, 0},
		{"window", gateway.DuplicateWindow, 30 * time.Second},
		{"window:30s", gateway.DuplicateWindow, 30 * time.Second},
		{"window:1m30s", gateway.DuplicateWindow, 90 * time.Second},
		{"window:250ms", gateway.DuplicateWindow, 250 * time.Millisecond},
		{"window:1ns", gateway.DuplicateWindow, 1},
		{"window:2h", gateway.DuplicateWindow, 2 * time.Hour},
	} {
		t.Run(tc.flag, func(t *testing.T) {
			mode, window, err := gateway.ParseMode(tc.flag)
			require.NoError(t, err, rerun(t))
			assert.Equal(t, tc.mode, mode, rerun(t))
			assert.Equal(t, tc.window, window, rerun(t))

			again, _, err := gateway.ParseMode(mode.String())
			require.NoError(t, err, rerun(t))
			assert.Equal(t, mode, again, "ParseMode(Mode.String()) round-trips; "+rerun(t))

			cfg := gateway.Config{Mode: mode, Window: window}
			again, againWindow, err := gateway.ParseMode(cfg.ModeFlag())
			require.NoError(t, err, rerun(t))
			assert.Equal(t, mode, again, rerun(t))
			assert.Equal(t, window, againWindow, "ParseMode(Config.ModeFlag()) keeps the window; "+rerun(t))
		})
	}
	for _, bad := range []string{"", "Idempotent", "stripe", "window:", "window:0s", "window:-1s", "window:30", "window:soon", "window=30s", " none"} {
		t.Run("bad/"+bad, func(t *testing.T) {
			_, _, err := gateway.ParseMode(bad)
			require.Error(t, err, rerun(t))
			msg := err.Error()
			assert.Contains(t, msg, fmt.Sprintf("%q", bad), "names the value; "+rerun(t))
			for _, form := range []string{`"idempotent"`, `"window:DURATION"`, `"none"`} {
				assert.Contains(t, msg, form, "lists the forms; "+rerun(t))
			}
			assert.NotContains(t, msg, "\n", "one line; "+rerun(t))
		})
	}
	assert.Equal(t, "Mode(9)", gateway.Mode(9).String(), rerun(t))
}

// Goal: New refuses out-of-range fields with a one-line error naming the
// field, and fills the default window.
func TestNewValidates(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   gateway.Config
		field string
	}{
		{"mode", gateway.Config{Mode: 3}, "Mode"},
		{"window", gateway.Config{Mode: gateway.DuplicateWindow, Window: -time.Second}, "Window"},
		{"retention", gateway.Config{KeyRetention: -1}, "KeyRetention"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := gateway.New(tc.cfg)
			require.Error(t, err, rerun(t))
			assert.Contains(t, err.Error(), tc.field, rerun(t))
			assert.NotContains(t, err.Error(), "\n", rerun(t))
		})
	}
	g := newGateway(t, gateway.Config{Mode: gateway.DuplicateWindow})
	assert.Equal(t, gateway.DefaultWindow, g.Config().Window, rerun(t))
}

// Goal: every kind has its documented wire status and name.
func TestHTTPStatus(t *testing.T) {
	for _, tc := range []struct {
		kind   gateway.Kind
		status int
		name   string
	}{
		{gateway.Charged, 200, "charged"},
		{gateway.Replayed, 200, "replayed"},
		{gateway.InProgress, 409, "in-progress"},
		{gateway.KeyMismatch, 400, "key-mismatch"},
		{gateway.DuplicateRejected, 422, "duplicate-rejected"},
		{gateway.Declined, 402, "declined"},
		{0, 0, "Kind(0)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.status, tc.kind.HTTPStatus(), rerun(t))
			assert.Equal(t, tc.status, gateway.Outcome{Kind: tc.kind}.HTTPStatus(), rerun(t))
			assert.Equal(t, tc.name, tc.kind.String(), rerun(t))
		})
	}
}

// Goal: finishing a ticket that is not in flight is a caller bug and
// panics, naming the charge.
func TestTicketMisuse(t *testing.T) {
	g := newGateway(t, gateway.DefaultConfig())
	ticket, _, _ := g.Begin(0, order, 1)
	g.Complete(at(time.Second), ticket)
	assert.PanicsWithValue(t, "gateway: Complete of ticket ch_1: charge is succeeded, not processing", func() { g.Complete(at(2*time.Second), ticket) }, rerun(t))
	assert.PanicsWithValue(t, "gateway: Abandon of ticket ch_1: charge is succeeded, not processing", func() { g.Abandon(at(2*time.Second), ticket) }, rerun(t))
	assert.PanicsWithValue(t, `gateway: Complete of ticket "ch_0": no such charge`, func() { g.Complete(0, gateway.Ticket{}) }, rerun(t))
	assert.NoError(t, g.Refund(0, "ch_1"), "a refund after the misuse still works; "+rerun(t))
}
