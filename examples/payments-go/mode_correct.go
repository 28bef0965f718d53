package main

import "context"

// Mode correct. The rule: the key's row and the payment are written in one
// transaction, and the key table's primary key decides which request does
// the work.
//
// The first request inserts the key's row and, in the same transaction,
// does the work, inserts the payment and stores its answer in the row, then
// commits. A request that arrives meanwhile with the same key runs into the
// uncommitted row: PostgreSQL makes its insert wait until the first
// transaction ends. If that transaction committed, the waiter finds the
// finished row and replays its answer (or answers 422 when its body differs:
// the key was reused for another payment); if it rolled back (an error, or
// the process died and its connection with it), the waiter's insert goes
// through and it makes the payment itself. Nothing is ever committed half
// done, so no key can be left stuck, and no two requests can both pay.
func correct() mode { return inOneTransaction(true) }

// inOneTransaction is the correct mode, with the request body compared to
// the first request's or not (mode_no_payload_check.go).
func inOneTransaction(checkPayload bool) mode {
	return func(ctx context.Context, s *service, req request) (response, error) {
		tx, err := s.db.Begin(ctx)
		if err != nil {
			return response{}, err
		}
		defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
		claimed, err := claimKey(ctx, tx, req)
		if err != nil {
			return response{}, err
		}
		if !claimed {
			return answerStored(ctx, tx, req, checkPayload)
		}
		if err := s.work(ctx); err != nil {
			return response{}, err
		}
		return payAndCommit(ctx, tx, req)
	}
}
