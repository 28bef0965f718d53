package db

import (
	"strconv"

	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/db/sql"
)

// Result is what a statement returns.
type Result struct {
	Tag        string   // BEGIN, COMMIT, ROLLBACK, SET, SELECT, INSERT, UPDATE, DELETE, CREATE TABLE, DROP TABLE
	HasRows    bool     // SELECT or RETURNING: Cols and Rows hold the result
	Cols       []string // shared by every result of the statement: do not modify
	Rows       [][]sql.Value
	Affected   int  // rows inserted, updated or deleted
	RolledBack bool // a COMMIT that rolled back a failed transaction
	// Tags holds, per row of Rows, the tag of the session that wrote the
	// version read (see Session.SetTag); nil for count(*). The world reads it
	// to attribute later effects to an operation; it is not SQL.
	Tags []int64
}

// Session is one connection. Its statements must be run by one actor at a
// time; a statement that waits parks that actor.
type Session struct {
	db       *DB
	tx       *txn     // the open transaction block, or nil
	deadline sim.Time // statement timeout of the running statement, 0 if none
	tag      int64    // carried by every version this session writes
	standby  bool     // the running statement reads the hot standby
	waits    uint64   // lock waits so far (Waits)
	// Buffers the running statement reuses, so that a point query
	// allocates no scratch: its arguments (copied, so that the caller's
	// slice stays its own), the keys it looks up, the rows it finds.
	args    []sql.Value
	keys    []ikey
	cands   []candidate
	targets []sireadKey
}

// SetTag sets the tag carried by the row versions the session's next
// statements write. It is not visible to SQL: the world uses it to attribute
// committed rows to the business operation on whose behalf they were
// written.
func (s *Session) SetTag(tag int64) { s.tag = tag }

// Connect opens a session.
func (db *DB) Connect() *Session { return &Session{db: db} }

// Waits is how many times the session's statements have waited for a
// lock so far: a caller compares it before and after a statement to learn
// whether that statement blocked. It is counted per session, not read
// from Stats, since other sessions wait at the same virtual moments.
func (s *Session) Waits() uint64 { return s.waits }

// InTransaction reports whether a transaction block is open (possibly
// failed).
func (s *Session) InTransaction() bool { return s.tx != nil }

// ExecStandby runs one read-only statement on the database's hot standby
// (Config.StandbyLag): a SELECT without a locking clause, outside any
// transaction block, that sees the commits made by StandbyLag ago. Any
// other statement fails with 25006, as on a PostgreSQL standby.
func (s *Session) ExecStandby(p *sim.Proc, text string, args ...sql.Value) (*Result, error) {
	s.standby = true
	defer func() { s.standby = false }()
	return s.Exec(p, text, args...)
}

// Exec runs one statement on actor p, with args for $1..$n. Errors are
// *sql.Error with PostgreSQL's SQLSTATE.
func (s *Session) Exec(p *sim.Proc, text string, args ...sql.Value) (*Result, error) {
	res, err := s.exec(p, text, args)
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (s *Session) exec(p *sim.Proc, text string, args []sql.Value) (*Result, *sql.Error) {
	p.Alive()
	db := s.db
	db.stats.Statements++
	st, perr := db.cache.Parse(text)
	if perr != nil {
		e, ok := perr.(*sql.Error)
		if !ok {
			e = &sql.Error{Code: sql.CodeSyntaxError, Msg: perr.Error()}
		}
		s.fail()
		return nil, e
	}
	if n := sql.Params(st); n > len(args) {
		s.fail()
		return nil, &sql.Error{Code: sql.CodeProtocolViolation, Msg: "bind message supplies " + strconv.Itoa(len(args)) + " parameters, but prepared statement requires " + strconv.Itoa(n)}
	}
	if s.standby {
		if err := readOnly(st, s.tx != nil); err != nil {
			return nil, err
		}
	}
	s.args = append(s.args[:0], args...)
	if d := db.cfg.StatementLatency.Sample(db.ch, db.cfg.LatencyStream); d > 0 {
		p.Sleep(d)
	}
	s.deadline = 0
	if db.cfg.StatementTimeout > 0 {
		s.deadline = db.k.Now().Add(db.cfg.StatementTimeout)
	}
	switch st := st.(type) {
	case *sql.Begin:
		if s.tx != nil {
			if s.tx.state == aborted {
				return nil, inFailedTransaction()
			}
			return &Result{Tag: "BEGIN"}, nil // WARNING: there is already a transaction in progress
		}
		level := db.level(st.Level)
		if level == 0 {
			level = db.cfg.DefaultLevel
		}
		s.tx = db.begin(s, level, false)
		return &Result{Tag: "BEGIN"}, nil
	case *sql.SetTransaction:
		switch {
		case s.tx == nil:
			return &Result{Tag: "SET"}, nil // WARNING: only inside a transaction block; no effect
		case s.tx.state == aborted:
			return nil, inFailedTransaction()
		case s.tx.started:
			s.fail()
			return nil, &sql.Error{Code: sql.CodeActiveTransaction, Msg: "SET TRANSACTION ISOLATION LEVEL must be called before any query"}
		}
		s.tx.level = db.level(st.Level)
		return &Result{Tag: "SET"}, nil
	case *sql.Commit:
		tx := s.tx
		s.tx = nil
		switch {
		case tx == nil:
			return &Result{Tag: "COMMIT"}, nil // WARNING: there is no transaction in progress
		case tx.state == aborted:
			return &Result{Tag: "ROLLBACK", RolledBack: true}, nil
		}
		if err := s.commit(tx); err != nil {
			return nil, err
		}
		return &Result{Tag: "COMMIT"}, nil
	case *sql.Rollback:
		tx := s.tx
		s.tx = nil
		if tx != nil && tx.state == active {
			tx.end(false)
		}
		return &Result{Tag: "ROLLBACK"}, nil
	}
	if s.tx != nil && s.tx.state == aborted {
		return nil, inFailedTransaction()
	}
	if s.tx != nil && db.cfg.DropConnectionRate > 0 && db.ch.Flip(db.cfg.FaultStream, db.cfg.DropConnectionRate) {
		tx := s.tx
		s.tx = nil
		tx.end(false)
		return nil, connectionFailure("connection dropped; the transaction was rolled back")
	}
	tx := s.tx
	if tx == nil {
		tx = db.begin(s, db.cfg.DefaultLevel, true)
	}
	res, err := s.run(p, tx, st, s.args)
	switch {
	case tx.implicit && err != nil:
		tx.end(false)
	case tx.implicit:
		if err := s.commit(tx); err != nil {
			return nil, err
		}
	case err != nil:
		s.fail()
	}
	return res, err
}

// readOnly refuses what a hot standby cannot run: anything but a SELECT
// without a locking clause, and anything inside a transaction block (the
// standby here takes single statements).
func readOnly(st sql.Stmt, inBlock bool) *sql.Error {
	if sel, ok := st.(*sql.Select); ok && sel.Lock == 0 && !inBlock {
		return nil
	}
	what := "this statement"
	switch st := st.(type) {
	case *sql.Select:
		what = "SELECT " + st.Lock.String()
		if inBlock {
			what = "a statement in a transaction block"
		}
	case *sql.Insert:
		what = "INSERT"
	case *sql.Update:
		what = "UPDATE"
	case *sql.Delete:
		what = "DELETE"
	}
	return &sql.Error{Code: sql.CodeReadOnlyTransaction, Msg: "cannot execute " + what + " in a read-only transaction"}
}

// fail aborts the open transaction block after an error: its locks are
// released at once, and only ROLLBACK (or COMMIT, which rolls back) ends it.
func (s *Session) fail() {
	if s.tx != nil && s.tx.state == active {
		s.tx.failed = true
		s.tx.end(false)
	}
}

// commit ends tx, whose COMMIT has been sent (or whose statement ran in
// autocommit).
func (s *Session) commit(tx *txn) *sql.Error {
	db := s.db
	if tx.sx != nil {
		if err := db.ssi.preCommit(tx.sx); err != nil {
			db.stats.SerializationFailures++
			tx.end(false)
			return err
		}
	}
	tx.end(true)
	if !tx.implicit && db.cfg.LostCommitAckRate > 0 && db.ch.Flip(db.cfg.FaultStream, db.cfg.LostCommitAckRate) {
		return connectionFailure("connection lost after COMMIT was sent; the transaction committed")
	}
	return nil
}

// waitDeadline is when the current wait must give up, and the error it gives
// up with: the sooner of the lock timeout (from now) and the statement
// timeout. Zero means never.
func (s *Session) waitDeadline() (sim.Time, *sql.Error) {
	db := s.db
	var at sim.Time
	var err *sql.Error
	if db.cfg.LockTimeout > 0 {
		at = db.k.Now().Add(db.cfg.LockTimeout)
		err = &sql.Error{Code: sql.CodeLockNotAvailable, Msg: "canceling statement due to lock timeout"}
	}
	if s.deadline != 0 && (at == 0 || s.deadline < at) {
		at = s.deadline
		err = &sql.Error{Code: sql.CodeQueryCanceled, Msg: "canceling statement due to statement timeout"}
	}
	return at, err
}

func inFailedTransaction() *sql.Error {
	return &sql.Error{Code: sql.CodeInFailedTransaction, Msg: "current transaction is aborted, commands ignored until end of transaction block"}
}

func connectionFailure(msg string) *sql.Error {
	return &sql.Error{Code: sql.CodeConnectionFailure, Msg: msg}
}
