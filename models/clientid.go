package models

import "github.com/idemsim/idemsim/sim/api"

// ClientID makes the key the payment's own id: a create is PUT
// /payments/{key}, an INSERT ... ON CONFLICT (id) DO NOTHING RETURNING id in
// the transaction that charges; a payment already there is answered 200
// with the same resource.
//
// Position: the thread's client-picks-the-id design, raised where it
// contrasts ids chosen by the client with ids chosen by the server: a
// create under an id the client chose is the same create however often it
// arrives, so the primary key is the whole mechanism (a critic there
// answers that this only moves the unique constraint to the client, which
// is the point). A second request waits on the first's uncommitted row and
// then finds it. The catalogue's objection is a delete: the id is then
// free, and a create that arrives late (a retry, or a copy still in the
// network) makes the payment again: claim 20's late-create-after-delete
// scenario (`--delete-after`). A DELETE that finds nothing is 404, so a
// retried delete whose 204 was lost is told 404. A key reused for another
// intent is answered 200 with the first payment, as nothing compares the
// payloads.
var ClientID = api.Strategy{
	Name: "client-id",
	Rule: "the key is the payment's id: insert it ON CONFLICT (id) DO NOTHING RETURNING id in the charge's transaction, and answer 200 with the same resource when it exists",
	Position: "the thread's client-chosen id: PUT to the id the client picked, so a repeat finds the same payment " +
		"(200) and the primary key does all the work; a late create after a delete makes it again",
	Contract:    api.ContractChosen,
	Levels:      api.AllLevels(),
	Switches:    []api.Switch{api.SwitchDownstream},
	Defaults:    api.Switches{Forward: true},
	Schema:      []string{chosenPaymentsDDL},
	Ledger:      []string{paymentsTable},
	CrashPoints: []string{pointAfterCharge},
	Boot: func(st api.Settings) api.Server {
		return api.Server{
			Create: func(env api.Env, req api.Request) api.Response {
				tx, err := env.DB().Begin(api.DefaultLevel)
				if err != nil {
					return failed()
				}
				res, err := tx.Exec("insert into payments (id, amount, currency) values ($1, $2, $3) on conflict (id) do nothing returning id",
					api.Text(req.Key), api.Int(req.Payload.Amount), api.Text(req.Payload.Currency))
				switch {
				case err != nil:
					return dbFailure(err)
				case len(res.Rows) == 0:
					_ = tx.Rollback()
					return chosen(api.StatusOK, req.Key)
				}
				if st.Charge {
					charge, resp := chargeCard(env, req, st.Forward)
					if charge == "" {
						return resp // rolled back: the id is free for the retry
					}
					env.Crash(pointAfterCharge)
					if _, err := tx.Exec("update payments set charge_id = $2 where id = $1", api.Text(req.Key), api.Text(charge)); err != nil {
						return failed()
					}
				}
				if err := tx.Commit(); err != nil {
					return failed()
				}
				return chosen(api.StatusCreated, req.Key)
			},
			Poll: func(env api.Env, req api.Request) api.Response {
				res, err := env.DB().Exec("select id from payments where id = $1", api.Text(req.Key))
				switch {
				case err != nil:
					return failed()
				case len(res.Rows) == 0:
					return api.Response{Status: api.StatusNotFound}
				}
				return chosen(api.StatusOK, req.Key)
			},
			Delete: func(env api.Env, req api.Request) api.Response {
				res, err := env.DB().Exec("delete from payments where id = $1", api.Text(req.Key))
				switch {
				case err != nil:
					return failed()
				case res.Affected == 0:
					return api.Response{Status: api.StatusNotFound}
				}
				return api.Response{Status: api.StatusNoContent}
			},
		}
	},
}

// chosenPaymentsDDL is the payments table keyed by the client's id.
const chosenPaymentsDDL = "create table payments (id text primary key, amount bigint not null, currency text not null, charge_id text)"

// chosen is the answer naming the payment at the client's id.
func chosen(status int, id string) api.Response {
	return api.Response{Status: status, Resource: id, Location: "/payments/" + id}
}
