package models

import (
	"strconv"

	"github.com/idemsim/idemsim/sim/api"
)

// ETag412 applies a payment only if the client's If-Match names the
// account's current version, and answers 412 otherwise; the client reads
// the account to learn whether its payment is in it.
//
// Position: optimistic concurrency instead of keys, the alternative the
// thread's REST side brings up (HTTP's conditional requests, RFC 9110): a
// retry of a request that succeeded carries a version that is no longer
// current, so it cannot apply twice. The catch the thread points at is on
// the client: a 412 does not say what happened, so the client must read
// the resource again and look for its own change. A client that gives up
// on 412 is wrong when the first try worked; one that re-reads and
// re-applies without looking pays twice. Every payment moves the one
// account's version, so concurrent payments contend and retry.
var ETag412 = api.Strategy{
	Name:     "etag-412",
	Rule:     "apply a payment only if If-Match names the account's current version, else answer 412; a read returns the version and whether the payment is there",
	Position: "optimistic concurrency in place of keys (HTTP conditional requests): a stale version gets 412, and the client must re-read to learn whether its change happened",
	Contract: api.Contract412,
	Levels:   api.AllLevels(),
	Schema: []string{paymentsDDL,
		"create table accounts (id int primary key, version bigint not null)",
		"insert into accounts (id, version) values (1, 0)"},
	Ledger:      []string{paymentsTable},
	CrashPoints: []string{pointAfterCharge},
	Switches:    []api.Switch{api.SwitchDownstream},
	Defaults:    api.Switches{Forward: true},
	Boot: func(st api.Settings) api.Server {
		return api.Server{
			Create: func(env api.Env, req api.Request) api.Response {
				tx, err := env.DB().Begin(api.DefaultLevel)
				if err != nil {
					return failed()
				}
				version, err := accountVersion(tx, forUpdate)
				switch {
				case err != nil:
					return dbFailure(err)
				case req.IfMatch != version:
					return api.Response{Status: api.StatusPreconditionFailed, ETag: version}
				}
				resp, err := pay(env, tx, req, st)
				if err != nil || resp.Status != api.StatusCreated {
					return failedOr(resp, err)
				}
				if _, err := tx.Exec("update accounts set version = version + 1 where id = 1"); err != nil {
					return failed()
				}
				if err := tx.Commit(); err != nil {
					return failed()
				}
				n, _ := strconv.ParseInt(version, 10, 64)
				resp.ETag = strconv.FormatInt(n+1, 10)
				return resp
			},
			// The read: the account's version, and the payment recorded
			// under the client's reference (its key), if any.
			Poll: func(env api.Env, req api.Request) api.Response {
				tx, err := env.DB().Begin(api.DefaultLevel)
				if err != nil {
					return failed()
				}
				version, err := accountVersion(tx, noLock)
				if err != nil {
					return failed()
				}
				res, err := tx.Exec("select id from payments where idempotency_key = $1", api.Text(req.Key))
				if err != nil || tx.Commit() != nil {
					return failed()
				}
				resp := api.Response{Status: api.StatusOK, ETag: version}
				if len(res.Rows) > 0 {
					resp.Resource = "pay_" + strconv.FormatInt(res.Rows[0][0].Int, 10)
				}
				return resp
			},
		}
	},
}

// accountVersion reads the account's version as an ETag.
func accountVersion(x execer, l lock) (string, error) {
	res, err := x.Exec("select version from accounts where id = 1" + string(l))
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(res.Rows[0][0].Int, 10), nil
}

// failedOr is the response a failed payment gets: the gateway's answer if
// it gave one, else 500.
func failedOr(resp api.Response, err error) api.Response {
	if err != nil {
		return failed()
	}
	return resp
}
