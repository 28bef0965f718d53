package models

import (
	"time"

	"github.com/idemsim/idemsim/sim/api"
)

// The idempotency-key table most database strategies share: one row per
// key, claimed ("started") before the work or recorded after it, then
// "finished" with the response to replay; "expired" is a tombstone the
// reaper leaves when retention rejects late keys.
const (
	keysDDL = "create table idempotency_keys (key text primary key, fingerprint text not null, state text not null, " +
		"response text, locked_at timestamptz, created_at timestamptz not null default now())"
	// keysNoUniqueDDL is the key table without a constraint on the key,
	// for the strategies that check for a key instead of relying on one.
	keysNoUniqueDDL = "create table idempotency_keys (key text not null, fingerprint text not null, state text not null, " +
		"response text, locked_at timestamptz, created_at timestamptz not null default now())"

	stateStarted  = "started"
	stateFinished = "finished"
	stateExpired  = "expired"
)

// keyRow is a key's row as a lookup finds it.
type keyRow struct {
	fingerprint string
	state       string
	response    api.Response // when finished
}

// lock is how a lookup locks the row it finds.
type lock string

const (
	noLock          lock = ""
	forUpdate       lock = " for update"
	forUpdateNowait lock = " for update nowait"
)

// lookupKey reads key's row; ok is false when there is none.
func lookupKey(x execer, key string, l lock) (row keyRow, ok bool, err error) {
	res, err := x.Exec("select fingerprint, state, response from idempotency_keys where key = $1"+string(l), api.Text(key))
	if err != nil || len(res.Rows) == 0 {
		return row, false, err
	}
	r := res.Rows[0]
	row = keyRow{fingerprint: r[0].Text, state: r[1].Text}
	if row.state == stateFinished {
		if row.response, err = api.ParseResponse(r[2].Text); err != nil {
			return row, false, err
		}
	}
	return row, true, nil
}

// claimKey inserts key's row as started, unless a row exists; claimed says
// whether this request's insert made it.
func claimKey(x execer, req api.Request) (claimed bool, err error) {
	res, err := x.Exec("insert into idempotency_keys (key, fingerprint, state, locked_at) values ($1, $2, $3, now()) "+
		"on conflict (key) do nothing returning key", api.Text(req.Key), api.Text(req.Fingerprint), api.Text(stateStarted))
	return err == nil && len(res.Rows) == 1, err
}

// claimInTxn begins a transaction and claims the key in it; a racer's
// uncommitted claim makes it wait for the racer's end. It returns the open
// transaction when this request made the claim; claimed is false when the
// key was there already (the transaction is then over); a failure's
// response has a status.
func claimInTxn(env api.Env, req api.Request) (tx api.Tx, claimed bool, fail api.Response) {
	tx, err := env.DB().Begin(api.DefaultLevel)
	if err != nil {
		return nil, false, failed()
	}
	claimed, err = claimKey(tx, req)
	switch {
	case err != nil:
		return nil, false, dbFailure(err)
	case !claimed:
		_ = tx.Rollback()
		return nil, false, api.Response{}
	}
	return tx, true, api.Response{}
}

// takeOver claims a started key whose owner's lease ran out (by the
// database's clock), stamping it anew; it fails when another request took
// it over or finished it first.
func takeOver(x execer, key string, lease time.Duration) (bool, error) {
	res, err := x.Exec("update idempotency_keys set locked_at = now() where key = $1 and state = $2 and now() - locked_at > $3 returning key",
		api.Text(key), api.Text(stateStarted), api.Interval(lease))
	return err == nil && len(res.Rows) == 1, err
}

// finishKey stores the response a started key's request produced.
func finishKey(x execer, key string, resp api.Response) error {
	_, err := x.Exec("update idempotency_keys set state = $2, response = $3, locked_at = null where key = $1",
		api.Text(key), api.Text(stateFinished), api.Text(resp.Text()))
	return err
}

// releaseKey deletes a started key whose request failed, so that a retry
// runs again.
func releaseKey(x execer, key string) error {
	_, err := x.Exec("delete from idempotency_keys where key = $1 and state = $2", api.Text(key), api.Text(stateStarted))
	return err
}

// recordKey inserts key's row already finished with resp, for the
// strategies that record a key after the work rather than claim it before.
func recordKey(x execer, req api.Request, resp api.Response) error {
	_, err := x.Exec("insert into idempotency_keys (key, fingerprint, state, response) values ($1, $2, $3, $4)",
		api.Text(req.Key), api.Text(req.Fingerprint), api.Text(stateFinished), api.Text(resp.Text()))
	return err
}

// reaperWorkers is the background job that applies the retention switch:
// every tenth of the window it deletes the keys older than the window, or
// with RejectExpired turns them into tombstones. No retention, no reaper.
func reaperWorkers(st api.Settings) []api.Worker {
	if st.Retention == 0 {
		return nil
	}
	every := max(st.Retention/10, time.Millisecond)
	window := api.Interval(st.Retention)
	return []api.Worker{{Name: "reaper", Run: func(env api.Env) {
		for {
			env.Sleep(every)
			if st.RejectExpired {
				_, _ = env.DB().Exec("update idempotency_keys set state = $1, response = null where state = $2 and now() - created_at > $3",
					api.Text(stateExpired), api.Text(stateFinished), window)
			} else {
				_, _ = env.DB().Exec("delete from idempotency_keys where state = $1 and now() - created_at > $2", api.Text(stateFinished), window)
			}
		}
	}}}
}

// Responses the key strategies share.

// conflict is 409: the key was used before; resource names what it made.
func conflict(resource, why string) api.Response {
	r := api.Response{Status: api.StatusConflict, Resource: resource, Body: why}
	if resource != "" {
		r.Location = "/payments/" + resource
	}
	return r
}

// inProgress is 409 with Retry-After: the first request with the key is
// still running.
func inProgress() api.Response {
	return api.Response{Status: api.StatusConflict, RetryAfter: time.Second, Body: "a request with this key is in progress"}
}

// expired answers a key the reaper turned into a tombstone.
func expired() api.Response {
	return api.Response{Status: api.StatusConflict, Body: "this key has expired"}
}

// dbFailure is the answer to a statement that failed: a serialization
// failure or a deadlock rolled the transaction back with nothing done, so
// the client may come back (503, Retry-After); anything else is 500.
func dbFailure(err error) api.Response {
	switch api.SQLState(err) {
	case api.CodeSerializationFailure, api.CodeDeadlockDetected:
		return unavailable("serialization failure")
	}
	return failed()
}

// unavailable is 503 with Retry-After: try again, nothing happened.
func unavailable(why string) api.Response {
	return api.Response{Status: api.StatusServiceUnavailable, RetryAfter: time.Second, Body: why}
}
