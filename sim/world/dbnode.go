package world

import (
	"errors"
	"slices"
	"strconv"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/db"
	"github.com/idemsim/idemsim/sim/db/sql"
	"github.com/idemsim/idemsim/sim/network"
)

// dbNode is the database server: one sim/db instance, reached over the
// network by each server's pooled connections. Each connection has a
// backend actor on this node, as PostgreSQL has a backend process per
// connection: a statement that waits for a lock parks the backend, not the
// caller's stack, and a client that goes away leaves its backend to finish
// the statement and roll back.
type dbNode struct {
	w      *World
	id     network.NodeID
	db     *db.DB
	ledger map[string]bool // the strategy's ledger tables
	opened int
	// committedRows wait for the statement that committed them to be
	// traced, so the timeline reads statement, then effect.
	committedRows []Row
	// kept counts the rows of the strategy's other tables (its keys, its
	// jobs) that are in place: committed inserts less committed deletes.
	kept int
}

func newDBNode(w *World) *dbNode {
	n := &dbNode{w: w, ledger: make(map[string]bool)}
	for _, t := range w.cfg.Strategy.Ledger {
		n.ledger[t] = true
	}
	c := &w.cfg.DB
	cfg := db.DefaultConfig()
	cfg.StatementLatency = c.StatementLatency
	cfg.StatementTimeout = c.StatementTimeout
	cfg.LockTimeout = c.LockTimeout
	cfg.DeadlockTimeout = c.DeadlockTimeout
	cfg.StandbyLag = c.ReplicaLag
	cfg.SSILocks = c.SSILocks
	cfg.LatencyStream, cfg.FaultStream = sim.StreamDB, sim.StreamDBFaults
	// The run's level decides what READ UNCOMMITTED and SERIALIZABLE mean
	// on this engine, and is what a transaction asking for the default gets.
	switch c.Isolation {
	case sql.DirtyReads:
		cfg.ReadUncommitted = sql.DirtyReads
	case sql.Serializable2PL:
		cfg.Serializable = sql.Serializable2PL
	}
	cfg.OnInsertCommitted = n.committed
	cfg.OnDeleteCommitted = n.deleted
	clock := w.clock("db")
	cfg.Clock = func() sim.Time { return clock.read(w.k.Now()) }
	n.db = db.New(w.k, cfg)
	n.id = w.net.AddService(api.ServiceDB, n.deliver)
	return n
}

// setup creates the strategy's schema on its own session, before any server
// starts. A statement of the schema that fails is a broken strategy.
func (n *dbNode) setup(p *sim.Proc) {
	s := n.db.Connect()
	for _, ddl := range n.w.cfg.Strategy.Schema {
		if _, err := s.Exec(p, ddl); err != nil {
			panic("strategy " + n.w.cfg.Strategy.Name + ": schema statement " + strconv.Quote(ddl) + ": " + err.Error())
		}
	}
	for _, t := range n.w.cfg.Strategy.Ledger {
		if _, err := s.Exec(p, "select count(*) from "+t); err != nil {
			panic("strategy " + n.w.cfg.Strategy.Name + ": ledger table " + t + ": " + err.Error())
		}
	}
}

// committed adds a committed row of a ledger table to the ledger.
func (n *dbNode) committed(table string, tag, rowID int64) {
	if !n.ledger[table] {
		n.kept++
		return
	}
	w := n.w
	row := Row{Source: table, ID: strconv.FormatInt(rowID, 10), Op: tagOp(tag), At: w.k.Now()}
	w.ledger.add(row)
	n.committedRows = append(n.committedRows, row)
}

// deleted adds a committed deletion of a ledger table's row to the ledger.
func (n *dbNode) deleted(table string, tag, rowID int64) {
	if !n.ledger[table] {
		n.kept--
		return
	}
	w := n.w
	row := Row{Source: table, ID: strconv.FormatInt(rowID, 10), Op: tagOp(tag), At: w.k.Now(), Deleted: true}
	w.ledger.add(row)
	n.committedRows = append(n.committedRows, row)
}

// traceCommitted records the ledger rows the last statement committed.
func (n *dbNode) traceCommitted() {
	w := n.w
	for _, row := range n.committedRows {
		id, _ := strconv.ParseInt(row.ID, 10, 64)
		w.add(ledgerEffect{DB: n.id, Op: row.Op, Table: w.intern(row.Source), Row: id, Deleted: row.Deleted}.record())
	}
	n.committedRows = n.committedRows[:0]
}

// level is the SQL that asks for l: the run's level for DefaultLevel, and
// the PostgreSQL spelling of the levels only this engine has.
func (n *dbNode) level(l api.Level) string {
	if l == api.DefaultLevel {
		l = n.w.cfg.DB.Isolation
	}
	switch l {
	case sql.DirtyReads:
		l = sql.ReadUncommitted
	case sql.Serializable2PL:
		l = sql.Serializable
	}
	return "begin transaction isolation level " + l.String()
}

// connect opens a connection for server s.
func (n *dbNode) connect(s *server) *dbConn {
	// A server's event opens a session in the database's engine directly.
	n.w.k.Touch(dbProcess)
	n.opened++
	c := &dbConn{n: n, owner: s, sess: n.db.Connect()}
	c.proc = n.w.k.Spawn("db/"+s.name+"."+strconv.Itoa(n.opened), c.run)
	return c
}

// dbProcess is the database's memory as a resource (sim.Kernel.Touch):
// its node and its backends' process.
var dbProcess = sim.ProcessResource(api.ServiceDB.String())

// stmtKind says what a statement does to the transaction block.
type stmtKind uint8

const (
	stmtData stmtKind = iota
	stmtBegin
	stmtCommit
	stmtRollback
	stmtReplica // a read on the replica
)

// dbStmt is one statement on its way to the database.
type dbStmt struct {
	c    *dbConn
	kind stmtKind
	text string
	args []api.Value
	tag  int64
}

// dbReply is the database's answer.
type dbReply struct {
	res *db.Result
	err error
	// waited: the statement waited for a lock (Config.LogStatements).
	waited bool
}

// deliver hands a statement to its connection's backend.
func (n *dbNode) deliver(m *network.Msg) {
	n.w.checkHeld()
	st := m.Payload.(*dbStmt)
	c := st.c
	if c.closed {
		n.w.net.Reply(m, &dbReply{err: connectionLost("the connection is closed")})
		n.w.net.Release(m)
		return
	}
	c.inbox = m
	if !c.running {
		n.w.k.Wake(c.proc)
	}
}

// dbConn is one connection: a session and its backend actor.
type dbConn struct {
	n       *dbNode
	owner   *server
	sess    *db.Session
	proc    *sim.Proc
	inbox   *network.Msg
	running bool // the backend is running a statement
	closed  bool // the client side went away: roll back and end
	broken  bool // the client saw the connection fail: discard it
}

func (c *dbConn) run(p *sim.Proc) {
	w := c.n.w
	plan := &w.cfg.Faults
	for {
		for c.inbox == nil && !c.closed {
			p.Wait()
		}
		if c.inbox == nil {
			c.rollback(p)
			return
		}
		m := c.inbox
		c.inbox = nil
		st := m.Payload.(*dbStmt)
		if st.kind == stmtData && c.sess.InTransaction() {
			if _, hit := w.net.Decide(faults.DBDropConnection, m.Ref, plan.DBDropConnectionRate, sim.StreamDBFaults); hit {
				c.fault(m, faults.DBDropConnection)
				c.closed = true
				c.rollback(p)
				w.net.Reply(m, &dbReply{err: connectionLost("the connection dropped; the transaction was rolled back")})
				w.net.Release(m)
				return
			}
		}
		c.running = true
		waits := c.sess.Waits()
		c.sess.SetTag(st.tag)
		var res *db.Result
		var err error
		if st.kind == stmtReplica {
			res, err = c.sess.ExecStandby(p, st.text, st.args...)
		} else {
			res, err = c.sess.Exec(p, st.text, st.args...)
		}
		c.running = false
		c.trace(m, st, res, err)
		c.n.traceCommitted()
		if st.kind == stmtCommit && err == nil && !res.RolledBack {
			if _, hit := w.net.Decide(faults.DBLostCommitAck, m.Ref, plan.DBLostCommitAckRate, sim.StreamDBFaults); hit {
				c.fault(m, faults.DBLostCommitAck)
				c.closed = true
				w.net.Reply(m, &dbReply{err: connectionLost("the connection was lost after COMMIT was sent")})
				w.net.Release(m)
				return
			}
		}
		if c.closed {
			c.rollback(p)
			return
		}
		w.net.Reply(m, &dbReply{res: res, err: err, waited: c.sess.Waits() != waits})
		w.net.Release(m) // the backend keeps nothing of m once it has answered
	}
}

// rollback ends an open transaction, as a backend does when its client has
// gone.
func (c *dbConn) rollback(p *sim.Proc) {
	if c.sess.InTransaction() {
		c.sess.Exec(p, "rollback")
	}
}

// close is the client side going away.
func (c *dbConn) close() {
	if c.closed {
		return
	}
	// The backend reads closed when its statement ends: the server's
	// event reaches into the database's process.
	c.n.w.k.TouchProc(c.proc)
	c.closed = true
	if !c.running && c.inbox == nil {
		c.n.w.k.Wake(c.proc)
	}
}

// call names a statement m sent on c, for its record.
func (c *dbConn) call(m *network.Msg) serviceCall {
	return serviceCall{Service: c.n.id, Caller: c.owner.id, Call: c.n.w.net.ID(m)}
}

// fault records a database fault hitting the call m.
func (c *dbConn) fault(m *network.Msg, kind faults.Kind) {
	w := c.n.w
	w.add(dbFaulted{serviceCall: c.call(m), Fault: kind}.record())
}

// trace records a statement and its outcome.
func (c *dbConn) trace(m *network.Msg, st *dbStmt, res *db.Result, err error) {
	w := c.n.w
	text := st.text
	if st.kind == stmtReplica {
		text = "[replica] " + text
	}
	e := sqlRan{serviceCall: c.call(m), Text: w.intern(text)}
	if err != nil {
		w.sqlOutcome(&e, err, nil, false)
	} else {
		w.sqlOutcome(&e, nil, res, res.Tag == "INSERT" || res.Tag == "UPDATE" || res.Tag == "DELETE")
	}
	w.add(e.record())
}

// sqlOutcome sets e's result from a statement's error or result (changed:
// the statement inserted, updated or deleted rows, whose count its result
// then words).
func (w *World) sqlOutcome(e *sqlRan, err error, res *db.Result, changed bool) {
	switch {
	case err != nil:
		e.Result, e.Code = sqlError, w.intern(api.SQLState(err))
	case res.RolledBack:
		e.Result = sqlRolledBack
	case res.HasRows && len(res.Rows) == 1 && len(res.Rows[0]) == 1 && res.Rows[0][0].Kind == sql.IntKind && res.Rows[0][0].Int >= 0 && res.Rows[0][0].Int < 1<<27:
		e.Result, e.Count = sqlScalar, res.Rows[0][0].Int // a count, an id: worth printing
	case res.HasRows:
		e.Result, e.Count = sqlRows, int64(len(res.Rows))
	case changed:
		e.Result, e.Count = sqlAffected, int64(res.Affected)
	}
}

func connectionLost(msg string) error {
	return &sql.Error{Code: sql.CodeConnectionFailure, Msg: msg}
}

var errTxDone = &sql.Error{Code: "25P01", Msg: "the transaction has already been committed or rolled back"}

// pool is one server process's connections to the database.
type pool struct {
	s       *server
	size    int
	idle    []*dbConn
	all     []*dbConn
	waiters sim.Cond
}

// acquire takes an idle connection, opens one if the pool is not full, or
// waits for one.
func (pl *pool) acquire(e *env) *dbConn {
	w := pl.s.w
	waited := false
	for {
		if n := len(pl.idle); n > 0 {
			c := pl.idle[n-1]
			pl.idle = pl.idle[:n-1]
			return c
		}
		if len(pl.all) < pl.size {
			c := w.db.connect(pl.s)
			pl.all = append(pl.all, c)
			return c
		}
		if !waited {
			waited = true
			w.add(poolWait{Server: pl.s.id, Op: e.ref.Op, Attempt: e.ref.Attempt, Size: pl.size}.record())
		}
		pl.waiters.Wait(e.p)
	}
}

// release gives a connection back; a broken one is discarded.
func (pl *pool) release(c *dbConn) {
	if c.broken || c.closed {
		c.close()
		pl.all = slices.DeleteFunc(pl.all, func(x *dbConn) bool { return x == c })
	} else {
		pl.idle = append(pl.idle, c)
	}
	pl.waiters.Signal(pl.s.w.k)
}

// closeAll closes every connection of a crashed process.
func (pl *pool) closeAll() {
	for _, c := range pl.all {
		c.close()
	}
	pl.all, pl.idle = nil, nil
}

// envDB is the DB capability of an env.
type envDB env

func (d *envDB) env() *env { return (*env)(d) }

// Begin implements api.DB.
func (d *envDB) Begin(level api.Level) (api.Tx, error) {
	e := d.env()
	e.p.Alive()
	c := e.s.pool.acquire(e)
	if _, err := e.exec(c, stmtBegin, e.s.w.db.level(level), nil); err != nil {
		e.s.pool.release(c)
		return nil, err
	}
	tx := &dbTx{e: e, c: c}
	e.txs = append(e.txs, tx)
	return tx, nil
}

// Exec implements api.DB: one statement in its own transaction.
func (d *envDB) Exec(query string, args ...api.Value) (api.Result, error) {
	return d.env().autocommit(stmtData, query, args)
}

// autocommit runs one statement on a pooled connection outside any
// transaction block.
func (e *env) autocommit(kind stmtKind, query string, args []api.Value) (api.Result, error) {
	e.p.Alive()
	c := e.s.pool.acquire(e)
	res, err := e.exec(c, kind, query, args)
	e.s.pool.release(c)
	return result(res), err
}

// envReplica is the Replica capability of an env: the same pool of
// connections, each statement run on the database's lagging standby.
type envReplica env

// Begin implements api.DB: the replica takes single statements.
func (d *envReplica) Begin(api.Level) (api.Tx, error) {
	return nil, &sql.Error{Code: sql.CodeReadOnlyTransaction, Msg: "the replica runs single read-only statements, not transactions"}
}

// Exec implements api.DB: one read on the replica.
func (d *envReplica) Exec(query string, args ...api.Value) (api.Result, error) {
	return (*env)(d).autocommit(stmtReplica, query, args)
}

// exec sends one statement over c and waits for its answer.
func (e *env) exec(c *dbConn, kind stmtKind, text string, args []api.Value) (*db.Result, error) {
	if c.broken {
		return nil, connectionLost("the connection is broken")
	}
	st := &dbStmt{c: c, kind: kind, text: text, args: args, tag: e.tag}
	resp, out := e.call(api.ServiceDB, e.s.w.db.id, st, 0)
	if out != network.Answered {
		c.broken = true
		c.close()
		err := connectionLost("a message to the database was lost; the connection is broken")
		e.logStatement(kind, e.calls[api.ServiceDB], text, &dbReply{err: err})
		return nil, err
	}
	r := resp.(*dbReply)
	e.logStatement(kind, e.calls[api.ServiceDB], text, r)
	if r.err != nil {
		var se *sql.Error
		if errors.As(r.err, &se) && se.Code == sql.CodeConnectionFailure {
			c.broken = true
			c.close()
		}
		return nil, r.err
	}
	e.adoptTags(r.res.Tags)
	return r.res, nil
}

func result(r *db.Result) api.Result {
	if r == nil {
		return api.Result{}
	}
	return api.Result{Cols: r.Cols, Rows: r.Rows, Affected: r.Affected}
}

// dbTx is an open transaction on one pooled connection.
type dbTx struct {
	e    *env
	c    *dbConn
	done bool
}

// Exec implements api.Tx.
func (t *dbTx) Exec(query string, args ...api.Value) (api.Result, error) {
	if t.done {
		return api.Result{}, errTxDone
	}
	res, err := t.e.exec(t.c, stmtData, query, args)
	return result(res), err
}

// Commit implements api.Tx. A transaction that had already failed is
// rolled back by COMMIT, as in PostgreSQL; the caller is told so.
func (t *dbTx) Commit() error {
	if t.done {
		return errTxDone
	}
	res, err := t.e.exec(t.c, stmtCommit, "commit", nil)
	t.end()
	if err == nil && res.RolledBack {
		return &sql.Error{Code: sql.CodeInFailedTransaction, Msg: "COMMIT rolled back: the transaction had failed"}
	}
	return err
}

// Rollback implements api.Tx.
func (t *dbTx) Rollback() error {
	if t.done {
		return errTxDone
	}
	_, err := t.e.exec(t.c, stmtRollback, "rollback", nil)
	t.end()
	return err
}

func (t *dbTx) end() {
	t.done = true
	e := t.e
	e.txs = slices.DeleteFunc(e.txs, func(x *dbTx) bool { return x == t })
	e.s.pool.release(t.c)
}
