package main

import "context"

// Mode 409-in-progress, a mistake. The rule it follows: commit the key as
// "in progress" first, do the work, then store the answer; a request that
// finds its key in progress gets 409 Conflict.
//
// People write it because it keeps transactions short (no transaction is
// open while the work runs) and because a 409 while the first request runs
// is what several public APIs answer. Racing requests are handled: only one
// inserts the key. What goes wrong is a request that never finishes: if the
// process dies (a deploy, a crash, an out-of-memory kill) after the key is
// committed and before the answer is stored, the key stays in progress for
// ever. Every retry of the client gets 409, the payment is never made, and
// nothing in the service will ever clear the key: the operation is stuck,
// and a client that reads 409 as "someone else did it" believes it was
// paid. The same happens when the request is cancelled during the work.
func inProgress409() mode {
	return func(ctx context.Context, s *service, req request) (response, error) {
		claimed, err := claimKey(ctx, s.db, req)
		if err != nil {
			return response{}, err
		}
		if !claimed {
			return answerStored(ctx, s.db, req, true)
		}
		if err := s.work(ctx); err != nil {
			return response{}, err
		}
		tx, err := s.db.Begin(ctx)
		if err != nil {
			return response{}, err
		}
		defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
		return payAndCommit(ctx, tx, req)
	}
}
