package db

import (
	"github.com/idemsim/idemsim/sim/db/sql"
)

type txnState uint8

const (
	active txnState = iota
	committed
	aborted
)

// snapshot sees exactly the transactions committed among the first seq
// commits (and the reader's own changes).
type snapshot struct {
	seq uint64
}

// txn is one transaction.
type txn struct {
	db        *DB
	xid       uint64
	level     sql.Level
	state     txnState
	commitSeq uint64
	session   *Session
	implicit  bool      // a single statement outside a transaction block
	failed    bool      // an error inside the block: only ROLLBACK is accepted
	snap      *snapshot // the transaction's snapshot (repeatable read, serializable)
	start     sql.Value // now(): the server's clock when the transaction began
	cmd       uint32    // statements run so far: the command id of the running one
	held      []*holder // the locks it holds, in the order taken (nil where released)
	heldHoles int
	xidLock   *lockEntry // the lock on its id, made when someone waits for it
	waiting   *waiter
	visit     uint64 // the last deadlock check that visited it
	wrote     bool
	sx        *sxact // serializable transactions only
	started   bool   // a statement has run (the level can no longer change)
	stmtSeq   uint64 // the running statement's snapshot, at read committed
	activeIdx int    // its place in db.active
	// superseded are the versions whose xmax this transaction set, to clear
	// if it aborts.
	superseded []*version
	// inserted are the rows this transaction created, reported to
	// Config.OnInsertCommitted if it commits.
	inserted []*version
	// deleted are the rows this transaction's DELETEs removed, with the tag
	// its session carried then, reported to Config.OnDeleteCommitted.
	deleted []deletion
}

// deletion is a row a DELETE removed, and the tag of the session that did.
type deletion struct {
	v   *version
	tag int64
}

func (db *DB) begin(s *Session, level sql.Level, implicit bool) *txn {
	db.nextXID++
	db.running++
	// Every transaction holds its own id exclusively until it ends; the
	// lock is made when someone waits for it (lockManager.waitForEnd).
	tx := &txn{db: db, xid: db.nextXID, level: level, session: s, implicit: implicit, start: Timestamp(db.now()), stmtSeq: db.seq, activeIdx: len(db.active)}
	db.active = append(db.active, tx)
	return tx
}

// usesTxnSnapshot reports whether the level reads from one snapshot for the
// whole transaction (PostgreSQL's IsolationUsesXactSnapshot).
func (tx *txn) usesTxnSnapshot() bool {
	return tx.level == sql.RepeatableRead || tx.level == sql.Serializable
}

// statementSnapshot returns the snapshot a statement reads from: the
// transaction's, taken at its first statement, for repeatable read and
// serializable; a fresh one per statement otherwise.
func (tx *txn) statementSnapshot() snapshot {
	tx.started = true
	if tx.session.standby {
		tx.stmtSeq = tx.db.standbySeq()
		return snapshot{seq: tx.stmtSeq}
	}
	if !tx.usesTxnSnapshot() {
		tx.stmtSeq = tx.db.seq
		return snapshot{seq: tx.db.seq}
	}
	if tx.snap == nil {
		tx.snap = &snapshot{seq: tx.db.seq}
		if tx.level == sql.Serializable {
			tx.db.ssi.begin(tx)
		}
	}
	return *tx.snap
}

// sees reports whether the snapshot sees other's effects.
func (s snapshot) sees(other *txn) bool {
	return other.state == committed && other.commitSeq <= s.seq
}

// visible reports whether version v is visible to tx reading with snap.
func (tx *txn) visible(v *version, snap snapshot) bool {
	if v.xmin != tx && !snap.sees(v.xmin) {
		return false
	}
	d := v.xmax
	switch {
	case d == nil:
		return true
	case d == tx:
		return false
	}
	return !snap.sees(d)
}

// visibleVersion is the version of r that tx sees with snap, or nil.
func (tx *txn) visibleVersion(r *row, snap snapshot) *version {
	for i := len(r.versions) - 1; i >= 0; i-- {
		if v := r.versions[i]; tx.visible(v, snap) {
			return v
		}
	}
	return nil
}

// dirtyVersion is the newest version of r not created by an aborted
// transaction, if it is not deleted by one that is not aborted: what a
// really-uncommitted read sees.
func dirtyVersion(r *row) *version {
	v := latest(r)
	if v == nil || v.xmax != nil && v.xmax.state != aborted {
		return nil
	}
	return v
}

// latest is the newest version of r whose creator did not abort.
func latest(r *row) *version {
	for i := len(r.versions) - 1; i >= 0; i-- {
		if v := r.versions[i]; v.xmin.state != aborted {
			return v
		}
	}
	return nil
}

// current is the newest version of r that is committed or tx's own: what a
// row lock taken by tx finds (a version another transaction is still
// writing is left aside, as a FOR KEY SHARE lock may coexist with it).
func (tx *txn) current(r *row) *version {
	for i := len(r.versions) - 1; i >= 0; i-- {
		if v := r.versions[i]; v.xmin == tx || v.xmin.state == committed {
			return v
		}
	}
	return nil
}

// deletedBy reports the transaction, other than tx, that deleted or
// superseded v and did not abort, or nil.
func deletedBy(v *version, tx *txn) *txn {
	if d := v.xmax; d != nil && d != tx && d.state != aborted {
		return d
	}
	return nil
}

// end commits or aborts tx: its changes become visible (or void), its locks
// are released and its waiters woken.
func (tx *txn) end(commit bool) {
	db := tx.db
	db.running--
	last := db.active[len(db.active)-1]
	last.activeIdx = tx.activeIdx
	db.active[tx.activeIdx] = last
	db.active[len(db.active)-1] = nil
	db.active = db.active[:len(db.active)-1]
	if commit {
		db.seq++
		tx.commitSeq = db.seq
		if db.cfg.StandbyLag > 0 {
			now := db.k.Now()
			if n := len(db.commits); n > 0 && db.commits[n-1].at == now {
				db.commits[n-1].seq = db.seq
			} else {
				db.commits = append(db.commits, commitMark{now, db.seq})
			}
		}
		tx.state = committed
		db.stats.Commits++
		if hook := db.cfg.OnInsertCommitted; hook != nil {
			for _, v := range tx.inserted {
				hook(v.row.t.name, v.tag, v.row.id)
			}
		}
		if hook := db.cfg.OnDeleteCommitted; hook != nil {
			for _, d := range tx.deleted {
				hook(d.v.row.t.name, d.tag, d.v.row.id)
			}
		}
	} else {
		tx.state = aborted
		db.stats.Aborts++
		// Versions it superseded are live again.
		tx.undo()
	}
	if tx.sx != nil {
		db.ssi.end(tx.sx, commit)
	}
	db.locks.releaseAll(tx)
}

// undo clears the xmax this aborted transaction set on the versions it
// deleted or superseded; its own versions stay, dead, as in a heap.
func (tx *txn) undo() {
	for _, v := range tx.superseded {
		if v.xmax == tx {
			v.xmax = nil
		}
	}
	tx.superseded = nil
}
