package main

import (
	"context"
	"sync"
)

// Mode memory-only, a mistake. The rule it follows: keep each key and its
// answer in a map in the process's memory; look the key up before the
// work and store the answer after it.
//
// People write it because it needs no table and no migration, it is fast,
// and with one process that never restarts every sequential retry is
// answered right. What goes wrong: the map is checked before the work and
// filled after it, so two requests with the same key that arrive together
// both miss it and both pay; and the map lives and dies with the process,
// so a retry that arrives after a restart (or at another replica behind a
// load balancer) finds nothing and pays again.
func memoryOnly() mode {
	var (
		mu   sync.Mutex
		keys = map[string]storedKey{}
	)
	return func(ctx context.Context, s *service, req request) (response, error) {
		mu.Lock()
		k, found := keys[req.key]
		mu.Unlock()
		if found {
			return k.answer(req, true), nil
		}
		resp, err := s.workThenPay(ctx, s.db, req)
		if err != nil {
			return response{}, err
		}
		mu.Lock()
		keys[req.key] = storedKey{fingerprint: req.fingerprint, done: true, resp: resp}
		mu.Unlock()
		return resp, nil
	}
}
