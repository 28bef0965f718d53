package models

import (
	"strconv"
	"time"

	"github.com/idemsim/idemsim/sim/api"
)

// Helpers for the strategies that keep idempotency keys in the store
// (env.KV()) instead of a database table. A key's stored response lives at
// "idem:KEY", with the retention window as its TTL (none when retention is
// forever); retention with :reject also writes a tombstone "gone:KEY"
// without a TTL, so that a late key finds it once the response has expired.
// A lock on a key lives at "lock:KEY".

func resultKey(key string) string { return "idem:" + key }
func tombKey(key string) string   { return "gone:" + key }
func lockKey(key string) string   { return "lock:" + key }

// loadResult reads the stored answer to key: the response to replay, or the
// tombstone's refusal; found is false when the store holds neither.
func loadResult(kv api.KV, key string, st api.Settings) (resp api.Response, found bool, err error) {
	text, ok, err := kv.Get(resultKey(key))
	if err != nil {
		return resp, false, err
	}
	if ok {
		resp, err = api.ParseResponse(text)
		return resp, err == nil, err
	}
	if st.Retention > 0 && st.RejectExpired {
		if _, ok, err := kv.Get(tombKey(key)); err != nil || ok {
			return expired(), ok, err
		}
	}
	return resp, false, nil
}

// storeResult writes resp as key's answer, with the retention window as its
// TTL, and the tombstone first when retention rejects late keys.
func storeResult(kv api.KV, key string, resp api.Response, st api.Settings) error {
	if st.Retention > 0 && st.RejectExpired {
		if _, err := kv.Set(tombKey(key), "1", api.SetOptions{}); err != nil {
			return err
		}
	}
	_, err := kv.Set(resultKey(key), resp.Text(), api.SetOptions{TTL: st.Retention})
	return err
}

// tokens hands out lock tokens unique to this process's server: its name
// and a counter. A restarted process counts from 1 again; its old locks
// belong to requests that died with it, so no live request holds those.
type tokens struct {
	server string
	n      int
}

func (t *tokens) next() string {
	t.n++
	return t.server + "-" + strconv.Itoa(t.n)
}

// locked is 429 with Retry-After: another request holds the key's lock,
// try again shortly.
func locked() api.Response {
	return api.Response{Status: api.StatusTooManyRequests, RetryAfter: time.Second, Body: "a request with this key is in progress"}
}

// Crash points of the store strategies.
const (
	pointBeforeStore  = "before-store"  // the work is done, its response not yet stored
	pointBeforeUnlock = "before-unlock" // the response is stored, the lock still held
)

// replayOrPay replays the response stored under the key, or does the work
// and stores its response: all redis-presence does, and what redis-lock's
// holder does under its lock. A lost SET leaves the key unknown: a retry
// pays again.
func replayOrPay(env api.Env, kv api.KV, req api.Request, st api.Settings) api.Response {
	if resp, found, err := loadResult(kv, req.Key, st); err != nil {
		return unavailable("the store could not be read")
	} else if found {
		return resp
	}
	resp, err := pay(env, env.DB(), req, st)
	if err != nil {
		return failed()
	}
	if keep(resp, st) {
		env.Crash(pointBeforeStore)
		_ = storeResult(kv, req.Key, resp, st)
	}
	return resp
}
