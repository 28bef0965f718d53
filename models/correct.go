package models

import (
	"slices"

	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// CorrectAt lists, per strategy, the levels at which it must show no
// duplicate, no lost operation and no orphan charge (but for orphansAt)
// under any fault mix, with its default switches and the clients' default
// reading of statuses (409 read as done). "*" is every level. A strategy not listed is known to be wrong,
// and the chaos (TestStrategiesUnderChaos) and idemsim explore --matrix must
// catch it. The reasons are in each strategy's file. It lives outside the
// tests so that the explorer's matrix reads the same table.
var CorrectAt = map[string][]string{
	"txn-check-insert":          {"serializable", "serializable-2pl"},
	"txn-check-insert-no-retry": {"serializable", "serializable-2pl"},
	"unique-409":                {"*"},
	"select-for-update":         {"*"},
	// With the key forwarded to an idempotent gateway, the unique index on
	// the key catches the local duplicate and the gateway the foreign one:
	// the thread's point about this variant needs a gateway that does not
	// deduplicate (its scenarios).
	"for-update-missing-row": {"*"},
	// NOWAIT's 409 for a locked key carries Retry-After, and clients
	// honour it: they come back rather than stop.
	"select-for-update-nowait": {"*"},
	// The version check decides, and the client re-reads after a 412.
	"etag-412": {"*"},
	// stripe-replay, ietf-draft and atomic-phases answer 409 with
	// Retry-After to a key in flight, as their sources do, for the client
	// to come back; a client that reads it as done loses operations
	// (TestReplayStrategiesLoseWhen409IsDone).
	"stripe-replay": {"*"},
	"ietf-draft":    {"*"},
	"atomic-phases": {"*"},
	// The waiter blocks on the key's uncommitted index entry and replays
	// once the first commits; the work and the key commit together, and a
	// charge repeated after a rollback meets the gateway's deduplication
	// through the forwarded key.
	"block-until-done": {"*"},
	// The outbox commits the key, the intent and the job together, and the
	// job's completion with the payment; a job run twice charges twice only
	// without the forwarded key.
	"async-202": {"*"},
	"client-id": {"*"},
	// Both checkouts are kept single by the gateway here: the chaos's
	// gateway deduplicates forwarded keys, and forwarding is the default.
	// TestGatewayThenPersist shows the duplicates without it.
	"gateway-then-persist": {"*"},
	"persist-then-gateway": {"*"},
}

// StuckIsCaught lists the wrong strategies whose failure the oracle calls
// stuck rather than lost: the dual write loses the job of a crash between
// the commit and the send, but nothing ever says done for it, so its
// client polls 202 until its budget runs out (TestAsync202DualWrite).
var StuckIsCaught = map[string]bool{"async-202-dual-write": true}

// IsCorrectAt reports whether CorrectAt lists the strategy named name at
// level.
func IsCorrectAt(name string, level api.Level) bool {
	want := CorrectAt[name]
	return slices.Contains(want, "*") || slices.Contains(want, level.Slug())
}

// LevelsOf are the levels a strategy is tried at: its own, or the default
// when the level does not matter to it.
func LevelsOf(s api.Strategy) []api.Level {
	if s.Levels == nil {
		return []api.Level{world.Defaults().DB.Isolation}
	}
	return s.Levels
}
