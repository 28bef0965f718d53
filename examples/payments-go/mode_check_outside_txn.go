package main

import (
	"context"
	"fmt"
)

// Mode check-outside-txn, a mistake. The rule it follows: look the key up;
// if it is unknown, do the work, then record the payment and the key, each
// in a statement of its own.
//
// This is the first version most people write: it reads like the
// definition of an idempotency key, and it passes every test that sends one
// request at a time, retries included. What goes wrong: the check and the
// write are not one atomic step. Two requests with the same key that
// arrive together (a client that retried while its first attempt was
// still running, two workers handed the same job) both find no key, both
// do the work, and two payments are made; the key's second insert is
// simply ignored. A transaction around the three statements would not
// help at PostgreSQL's default isolation level either: the lookup finds
// nothing to lock.
func checkOutsideTxn() mode {
	return func(ctx context.Context, s *service, req request) (response, error) {
		k, found, err := lookupKey(ctx, s.db, req.key)
		if err != nil {
			return response{}, err
		}
		if found {
			return k.answer(req, true), nil
		}
		resp, err := s.workThenPay(ctx, s.db, req)
		if err != nil {
			return response{}, err
		}
		if _, err := s.db.Exec(ctx,
			`insert into idempotency_keys (key, fingerprint, status, response_code, response_body)
			 values ($1, $2, 'done', $3, $4) on conflict (key) do nothing`,
			req.key, req.fingerprint, resp.code, string(resp.body)); err != nil {
			return response{}, fmt.Errorf("storing the key: %w", err)
		}
		return resp, nil
	}
}
