package models

import (
	"time"

	"github.com/idemsim/idemsim/sim/api"
)

// Async202 records the key, the payment's intent and a job in one
// transaction and answers 202 with a status URL; a background worker drains
// the jobs table with SELECT ... FOR UPDATE SKIP LOCKED, pays, and marks the
// job and the key done in the payment's own transaction, and the client polls
// until the stored outcome replaces the 202.
//
// Position: the thread's asynchronous camp, which says a payment is not an
// atomic request at all: the request should only write a pending record and
// hand the work on, then answer at once and let the client learn the outcome
// by polling. The queue here is the database itself (a transactional outbox,
// or job drain), so the key, the intent and the job commit together or not
// at all, and the job's completion commits with the payment row. The worker
// runs a job at least once — a crash after the charge leaves the job pending
// and it runs again — so a repeated charge is kept single only by forwarding
// the key to a gateway that honours it (downstream=no-forward shows the
// duplicate). With a retention window, a create later than it starts a new
// job and pays again.
var Async202 = async202("async-202", true)

// Async202DualWrite is Async202 with a broker instead of the outbox: the job
// goes to the queue after the database commit, and the queue's worker
// receives it, pays, and acknowledges.
//
// Position: the same asynchronous answer written as a dual write, which the
// catalogue lists as the way this design loses work: a crash (or a failed
// send) between the commit and the send leaves a key that says pending and
// a job nobody will run, and no sweeper looks for it. The client polls,
// reads 202 every time, and ends exhausted: the oracle names it stuck, not
// lost, since no response ever claimed the payment was made. Redelivery (a
// worker crash before its ack, a visibility timeout shorter than the work)
// does not pay twice: the worker locks the key's row and skips a key
// already finished.
var Async202DualWrite = async202("async-202-dual-write", false)

// Crash points of the asynchronous strategies: between the commit and the
// send of the dual write, and between the worker's commit and its ack.
const (
	pointBeforeSend = "before-send"
	pointBeforeAck  = "before-ack"
)

// jobsDDL holds each pending key's intent (what the worker needs to pay);
// a job's row is deleted in the transaction that pays it, as an outbox is
// drained.
const jobsDDL = "create table jobs (id bigserial primary key, key text unique not null, client text not null, amount bigint not null, " +
	"currency text not null, description text not null)"

// jobPoll is how long an idle or failing worker first waits before it
// looks again, doubling up to maxIdle while it finds nothing to do;
// jobRetry is how long a queued job that failed stays hidden, and
// jobReceive how long a receive waits for a message.
const (
	jobPoll    = 10 * time.Millisecond
	maxIdle    = 2 * time.Second
	jobRetry   = 100 * time.Millisecond
	jobReceive = time.Second
)

func async202(name string, outbox bool) api.Strategy {
	s := api.Strategy{
		Name: name,
		Rule: "write the key, the pending payment and its job in one transaction, answer 202 with a status URL; a worker draining the jobs " +
			"table FOR UPDATE SKIP LOCKED pays and finishes the key in one transaction; polls answer the stored outcome",
		Position: "the thread's asynchronous camp: the request only records a pending payment and its job (an outbox in the " +
			"same transaction) and answers 202, a worker runs the job at least once, the client polls for the outcome",
		Contract:    api.ContractPoll202,
		Levels:      api.AllLevels(),
		Switches:    []api.Switch{api.SwitchRetention, api.SwitchFailures, api.SwitchDownstream},
		Defaults:    api.Switches{Forward: true},
		Schema:      []string{paymentsDDL, keysDDL, jobsDDL},
		Ledger:      []string{paymentsTable},
		CrashPoints: []string{pointAfterCharge},
	}
	if !outbox {
		s.Rule = "in one transaction record the key and the intent, answer 202 with a status URL, and after the commit send the job " +
			"to the queue; the queue's worker pays unless the key is finished, then acks; polls answer the stored outcome"
		s.Position = "the asynchronous answer with the job sent to a broker after the commit: a dual write, so a crash between " +
			"the two leaves a pending key whose job is never run"
		s.CrashPoints = []string{pointAfterCharge, pointBeforeSend, pointBeforeAck}
	}
	s.Boot = func(st api.Settings) api.Server {
		worker := api.Worker{Name: "outbox", Run: func(env api.Env) {
			idle := jobPoll
			for {
				if runNextJob(env, st) {
					idle = jobPoll
					continue
				}
				env.Sleep(idle)
				idle = min(2*idle, maxIdle)
			}
		}}
		if !outbox {
			worker = api.Worker{Name: "consumer", Run: func(env api.Env) { consumeJobs(env, st) }}
		}
		return api.Server{
			Create: func(env api.Env, req api.Request) api.Response {
				return acceptJob(env, req, outbox)
			},
			Poll: func(env api.Env, req api.Request) api.Response {
				return jobStatus(env.DB(), req)
			},
			Workers: append(reaperWorkers(st), worker),
		}
	}
	return s
}

// acceptJob claims the key and records the intent in one transaction, then
// (without the outbox) sends the job; a key already there gets its status.
func acceptJob(env api.Env, req api.Request, outbox bool) api.Response {
	tx, claimed, fail := claimInTxn(env, req)
	switch {
	case fail.Status != 0:
		return fail
	case !claimed:
		return jobStatus(env.DB(), req)
	}
	if _, err := tx.Exec("insert into jobs (key, client, amount, currency, description) values ($1, $2, $3, $4, $5)",
		api.Text(req.Key), api.Text(req.Client), api.Int(req.Payload.Amount), api.Text(req.Payload.Currency), api.Text(req.Payload.Description)); err != nil {
		return failed()
	}
	if err := tx.Commit(); err != nil {
		return failed() // perhaps committed: the retry finds the key and polls
	}
	if !outbox {
		env.Crash(pointBeforeSend)
		if _, err := env.Queue().Send(req.Key); err != nil {
			return failed() // perhaps sent; if not, the job is lost: the retry finds the key pending
		}
	}
	return accepted(req.Key)
}

// accepted is 202 with the status URL to poll.
func accepted(key string) api.Response {
	return api.Response{Status: api.StatusAccepted, Location: "/payment-status/" + key, Body: "the payment is pending"}
}

// jobStatus answers a poll, or a create whose key exists: the stored
// outcome once the job is done, 202 while it is pending.
func jobStatus(db execer, req api.Request) api.Response {
	row, ok, err := lookupKey(db, req.Key, noLock)
	switch {
	case err != nil:
		return failed()
	case !ok:
		return api.Response{Status: api.StatusNotFound, Body: "no payment with this key"}
	case row.fingerprint != req.Fingerprint:
		return api.Response{Status: api.StatusUnprocessableEntity, Body: "this key was used with another payload"}
	case row.state == stateStarted:
		return accepted(req.Key)
	}
	return answerFor(row)
}

// runNextJob runs the oldest pending job no other worker holds; it reports
// whether it finished one.
func runNextJob(env api.Env, st api.Settings) bool {
	// A look without a transaction first: an idle worker costs one
	// statement per look.
	if res, err := env.DB().Exec("select id from jobs limit 1"); err != nil || len(res.Rows) == 0 {
		return false
	}
	tx, err := env.DB().Begin(api.DefaultLevel)
	if err != nil {
		return false
	}
	defer func() { _ = tx.Rollback() }() // after a commit, a no-op
	res, err := tx.Exec("select key, client, amount, currency, description from jobs order by id limit 1 for update skip locked")
	if err != nil || len(res.Rows) == 0 {
		return false
	}
	return performJob(env, tx, jobRequest(res.Rows[0]), st)
}

// consumeJobs is the queue's worker: it runs each job it receives unless
// the key is finished, then acknowledges it; a job that failed is hidden
// for jobRetry and delivered again.
func consumeJobs(env api.Env, st api.Settings) {
	q := env.Queue()
	for {
		msg, ok, err := q.Receive(jobReceive)
		if err != nil {
			env.Sleep(jobPoll)
		}
		if !ok {
			continue
		}
		if !runJob(env, st, msg.Body) {
			_ = q.ChangeVisibility(msg.Receipt, jobRetry)
			continue
		}
		env.Crash(pointBeforeAck)
		_ = q.Ack(msg.Receipt) // a stale receipt: the redelivery finds the key finished
	}
}

// runJob runs key's job under the key row's lock, unless it is finished;
// it reports whether the job needs nothing more.
func runJob(env api.Env, st api.Settings, key string) bool {
	tx, err := env.DB().Begin(api.DefaultLevel)
	if err != nil {
		return false
	}
	defer func() { _ = tx.Rollback() }()
	row, ok, err := lookupKey(tx, key, forUpdate)
	if err != nil {
		return false
	}
	if !ok || row.state != stateStarted {
		return true // done by an earlier delivery (or reaped after it)
	}
	res, err := tx.Exec("select key, client, amount, currency, description from jobs where key = $1", api.Text(key))
	if err != nil || len(res.Rows) == 0 {
		return false
	}
	return performJob(env, tx, jobRequest(res.Rows[0]), st)
}

// jobRequest is the create a job row stands for.
func jobRequest(r []api.Value) api.Request {
	p := api.Payload{Amount: r[2].Int, Currency: r[3].Text, Description: r[4].Text}
	return api.Request{Kind: api.Create, Key: r[0].Text, Client: r[1].Text, Payload: p, Fingerprint: p.Fingerprint()}
}

// performJob pays in tx and, when the outcome is kept, finishes the key
// with it, deletes the job and commits; a failure that is not kept
// leaves the job pending (the caller rolls back) so that it runs again.
func performJob(env api.Env, tx api.Tx, req api.Request, st api.Settings) bool {
	resp, err := pay(env, tx, req, st)
	if err != nil || !keep(resp, st) {
		return false
	}
	if finishKey(tx, req.Key, resp) != nil {
		return false
	}
	if _, err := tx.Exec("delete from jobs where key = $1", api.Text(req.Key)); err != nil {
		return false
	}
	return tx.Commit() == nil
}
