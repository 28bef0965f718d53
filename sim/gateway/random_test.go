package gateway_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/gateway"
)

// model is the reference: the gateway's rules as a scan over every charge,
// with no index to keep in step.
type model struct {
	cfg     gateway.Config
	charges []gateway.Charge
	status  []gateway.Status
	stats   gateway.Stats
}

func (m *model) begin(now sim.Time, req gateway.ChargeRequest, tag int64) (gateway.Outcome, bool) {
	m.stats.Requests++
	// The latest charge not declined that the request collides with.
	latest := -1
	for i, c := range m.charges {
		if m.status[i] == gateway.StatusFailed {
			continue
		}
		switch m.cfg.Mode {
		case gateway.Idempotent:
			live := m.status[i] == gateway.StatusProcessing || m.cfg.KeyRetention == 0 || now.Sub(c.Began) < m.cfg.KeyRetention
			if req.IdempotencyKey != "" && c.IdempotencyKey == req.IdempotencyKey && live {
				latest = i
			}
		case gateway.DuplicateWindow:
			same := c.AmountCents == req.AmountCents && c.Currency == req.Currency && c.Customer == req.Customer && c.Description == req.Description
			if same && now.Sub(c.Began) < m.cfg.Window {
				latest = i
			}
		}
	}
	if latest >= 0 {
		c := m.charges[latest]
		kind := gateway.DuplicateRejected
		if m.cfg.Mode == gateway.Idempotent {
			switch {
			case c.AmountCents != req.AmountCents || c.Currency != req.Currency || c.Customer != req.Customer || c.Description != req.Description:
				kind = gateway.KeyMismatch
				m.stats.KeyMismatches++
			case m.status[latest] == gateway.StatusProcessing:
				kind = gateway.InProgress
				m.stats.Conflicts++
			default:
				kind = gateway.Replayed
				m.stats.Replayed++
			}
		} else {
			m.stats.DuplicatesRejected++
		}
		return gateway.Outcome{Kind: kind, Charge: c}, false
	}
	m.charges = append(m.charges, gateway.Charge{
		ID: fmt.Sprintf("ch_%d", len(m.charges)+1), AmountCents: req.AmountCents, Currency: req.Currency,
		Description: req.Description, Customer: req.Customer, IdempotencyKey: req.IdempotencyKey, Tag: tag, Began: now,
	})
	m.status = append(m.status, gateway.StatusProcessing)
	return gateway.Outcome{}, true
}

func (m *model) finish(now sim.Time, i int, decline bool) gateway.Outcome {
	m.charges[i].Completed = now
	if decline {
		m.status[i] = gateway.StatusFailed
		m.stats.Declined++
		return gateway.Outcome{Kind: gateway.Declined, Charge: m.charges[i]}
	}
	m.status[i] = gateway.StatusSucceeded
	m.stats.Charged++
	m.stats.ChargedCents += m.charges[i].AmountCents
	return gateway.Outcome{Kind: gateway.Charged, Charge: m.charges[i]}
}

func (m *model) refund(now sim.Time, id string) bool {
	for i, c := range m.charges {
		if c.ID == id && m.status[i] == gateway.StatusSucceeded && !c.Refunded {
			m.charges[i].Refunded, m.charges[i].RefundedAt = true, now
			m.stats.Refunds++
			m.stats.RefundedCents += c.AmountCents
			return true
		}
	}
	return false
}

func (m *model) lookupByKey(key string) (string, gateway.Status) {
	failed := -1
	for i, c := range m.charges {
		if key == "" || c.IdempotencyKey != key {
			continue
		}
		if m.status[i] != gateway.StatusFailed {
			return c.ID, m.status[i]
		}
		failed = i
	}
	if failed < 0 {
		return "", gateway.StatusNone
	}
	return m.charges[failed].ID, gateway.StatusFailed
}

func (m *model) ledger() []gateway.Charge {
	var out []gateway.Charge
	for i, c := range m.charges {
		if m.status[i] == gateway.StatusSucceeded {
			out = append(out, c)
		}
	}
	return out
}

// Goal: the gateway's indexes give the answers of the plain rules in every
// mode, over long random histories with overlapping requests, declines,
// refunds and clock jumps across the window and the retention. Method: the
// same random operations on the gateway and on model, compared after every
// step; the ledger and the stats at the end.
func TestAgainstModel(t *testing.T) {
	configs := []gateway.Config{
		{Mode: gateway.Idempotent, KeyRetention: 2 * time.Minute},
		{Mode: gateway.Idempotent},
		{Mode: gateway.DuplicateWindow, Window: 30 * time.Second},
		{Mode: gateway.None},
	}
	steps := []time.Duration{0, 1, time.Second, 10 * time.Second, 30 * time.Second, 45 * time.Second, 2 * time.Minute}
	keys := []string{"", "k1", "k2", "k3"}
	for _, cfg := range configs {
		for seed := uint64(1); seed <= 25; seed++ {
			t.Run(fmt.Sprintf("%s/retention=%v/seed=%d", cfg.ModeFlag(), cfg.KeyRetention, seed), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(seed, 0))
				g := newGateway(t, cfg)
				ref := &model{cfg: g.Config()}
				var tickets []gateway.Ticket
				var now sim.Time
				for step := range 400 {
					where := fmt.Sprintf("step %d at %v; %s", step, now, rerun(t))
					switch op := rng.IntN(10); {
					case op < 4:
						req := gateway.ChargeRequest{
							AmountCents: int64(100 * (1 + rng.IntN(2))), Currency: "usd", Description: "order",
							Customer: fmt.Sprintf("cus_%d", rng.IntN(2)), IdempotencyKey: keys[rng.IntN(len(keys))],
						}
						ticket, got, ok := g.Begin(now, req, int64(step))
						want, wantOK := ref.begin(now, req, int64(step))
						require.Equal(t, wantOK, ok, where)
						if ok {
							tickets = append(tickets, ticket)
							assert.Equal(t, ref.charges[len(ref.charges)-1].ID, ticket.ChargeID(), where)
						} else {
							assert.Equal(t, want, got, where)
						}
					case op < 7 && len(tickets) > 0:
						i := rng.IntN(len(tickets))
						ticket := tickets[i]
						tickets = append(tickets[:i], tickets[i+1:]...)
						var number int
						_, err := fmt.Sscanf(ticket.ChargeID(), "ch_%d", &number)
						require.NoError(t, err, where)
						decline := rng.IntN(4) == 0
						want := ref.finish(now, number-1, decline)
						got := g.Complete
						if decline {
							got = g.Abandon
						}
						assert.Equal(t, want, got(now, ticket), where)
					case op < 8 && len(ref.charges) > 0:
						id := fmt.Sprintf("ch_%d", 1+rng.IntN(len(ref.charges)+1))
						err := g.Refund(now, id)
						assert.Equal(t, ref.refund(now, id), err == nil, "refund %s: %v; %s", id, err, where)
					case op < 9:
						key := keys[rng.IntN(len(keys))]
						c, status := g.LookupByKey(now, key)
						wantID, wantStatus := ref.lookupByKey(key)
						assert.Equal(t, wantID, c.ID, "lookup %q; %s", key, where)
						assert.Equal(t, wantStatus, status, "lookup %q; %s", key, where)
					default:
						now = now.Add(steps[rng.IntN(len(steps))])
					}
					assert.Equal(t, len(tickets), g.InFlight(), where)
				}
				assert.Equal(t, ref.ledger(), g.Ledger(), rerun(t))
				assert.Equal(t, ref.stats, g.Stats(), rerun(t))
			})
		}
	}
}
