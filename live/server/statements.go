package server

import (
	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim/api"
)

// StatementCall is one database call an actor made, as Config.Statement
// is told of it.
type StatementCall struct {
	Actor faults.Ref // the handler or worker
	Call  int32      // the call's number among the actor's database calls
	Query string
	Res   api.Result
	Err   error
	// Waited: the database's lock watch saw the statement wait for a
	// lock (live/pgdb's LockWatch; false without one).
	Waited bool
}

// waiter is a session that can say whether its last call waited for a
// lock (live/pgdb's Session).
type waiter interface{ Waited() bool }

// dbCalls is the number of database calls the actor has made so far, in
// this life and, for a worker, in its earlier ones.
func (e *env) dbCalls() int32 {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.db == nil {
		return e.calls.add(api.ServiceDB, 0)
	}
	return e.dbBase + int32(e.db.Calls())
}

// logged runs one database call of query through guard and tells the
// process's Statement of it. A call that crashed the process never
// returns from guard, so only answers an actor saw are logged, as in the
// simulation.
func (e *env) logged(query string, call func() (api.Result, error)) (api.Result, error) {
	before := e.dbCalls()
	res, err := guard(e, call)
	e.logStatement(before, query, res, err)
	return res, err
}

// logStatement tells the process's Statement of the call the actor made
// since it had made before calls, if it made one: a call on a
// transaction already ended, or on a broken connection, sends nothing
// and is numbered by neither side.
func (e *env) logStatement(before int32, query string, res api.Result, err error) {
	sink := e.l.p.cfg.Statement
	if sink == nil {
		return
	}
	n := e.dbCalls()
	if n == before {
		return
	}
	e.mu.Lock()
	w, ok := e.db.(waiter)
	e.mu.Unlock()
	sink(StatementCall{Actor: e.ref, Call: n, Query: query, Res: res, Err: err, Waited: ok && w.Waited()})
}

// logFinish tells the process's Statement of the rollbacks Finish made
// on db, which had made before calls, for the transactions the actor
// left open: the simulated world logs them too, as its handler's env
// rolls them back when the handler returns. A life that crashed logs
// none, as a simulated actor that crashed never returns.
func (e *env) logFinish(db Session, before int) {
	sink := e.l.p.cfg.Statement
	if sink == nil || e.l.ctx.Err() != nil {
		return
	}
	for n := before + 1; n <= db.Calls(); n++ {
		sink(StatementCall{Actor: e.ref, Call: e.dbBase + int32(n), Query: "rollback"})
	}
}

// beginText is BEGIN at level as the simulated world spells it
// (sim/world/dbnode.go's level), the run's default level for
// api.DefaultLevel.
func beginText(e *env, level api.Level) string {
	if level == api.DefaultLevel {
		level = e.l.p.cfg.Isolation
	}
	return "begin transaction isolation level " + level.String()
}
