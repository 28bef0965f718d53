package db

import (
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/db/sql"
)

// lockMode is a mode of a heavyweight lock.
type lockMode uint8

// The lock modes: intention modes on tables for two-phase locking, shared
// and exclusive on rows, keys and transaction ids.
const (
	modeIS lockMode = iota + 1
	modeIX
	modeS
	modeX
)

// conflicts[a][b]: a request in mode a conflicts with a holder in mode b.
var conflicts = [5][5]bool{
	modeIS: {modeX: true},
	modeIX: {modeS: true, modeX: true},
	modeS:  {modeIX: true, modeX: true},
	modeX:  {modeIS: true, modeIX: true, modeS: true, modeX: true},
}

// stronger reports whether holding a already covers a request for b.
func covers(a, b lockMode) bool {
	switch a {
	case modeX:
		return true
	case modeS:
		return b == modeS || b == modeIS
	case modeIX:
		return b == modeIX || b == modeIS
	}
	return a == b
}

// resKind is what a lock protects.
type resKind uint8

const (
	resXID   resKind = iota + 1 // a transaction: held X by it until it ends; waiting for it = S
	resRow                      // a row (all its versions): row locks of UPDATE, DELETE, FOR UPDATE
	resTable                    // a table, for two-phase locking's predicate locks
	resKey                      // a value of a unique column, for two-phase locking's predicate locks
)

// resource names a lockable thing; it is a map key.
type resource struct {
	kind  resKind
	xid   uint64
	table *table
	row   *row
	col   int
	value sql.Value
}

type holder struct {
	tx   *txn
	mode lockMode
}

type waiter struct {
	tx      *txn
	mode    lockMode
	proc    *sim.Proc
	granted bool
	err     *sql.Error // set when the wait ends in an error (deadlock victim)
	entry   *lockEntry
}

type lockEntry struct {
	res     resource
	holders []holder
	waiters []*waiter // FIFO
}

// lockManager grants heavyweight locks in FIFO order and finds deadlocks
// the way PostgreSQL does: a waiter checks for a cycle once, deadlockTimeout
// after it started waiting, and if its own wait closes one it is the victim.
type lockManager struct {
	db      *DB
	entries map[resource]*lockEntry
}

func (m *lockManager) entry(res resource) *lockEntry {
	e := m.entries[res]
	if e == nil {
		e = &lockEntry{res: res}
		m.entries[res] = e
	}
	return e
}

// heldMode is the strongest mode tx holds on e, or 0.
func (e *lockEntry) heldMode(tx *txn) lockMode {
	for _, h := range e.holders {
		if h.tx == tx {
			return h.mode
		}
	}
	return 0
}

// compatible reports whether tx may take mode on e now, ignoring its own
// holdings.
func (e *lockEntry) compatible(tx *txn, mode lockMode) bool {
	for _, h := range e.holders {
		if h.tx != tx && conflicts[mode][h.mode] {
			return false
		}
	}
	return true
}

func (e *lockEntry) grant(tx *txn, mode lockMode) {
	for i := range e.holders {
		if e.holders[i].tx == tx {
			if !covers(e.holders[i].mode, mode) {
				e.holders[i].mode = upgrade(e.holders[i].mode, mode)
			}
			return
		}
	}
	e.holders = append(e.holders, holder{tx: tx, mode: mode})
	tx.held = append(tx.held, e)
}

func upgrade(a, b lockMode) lockMode {
	switch {
	case a == modeX || b == modeX:
		return modeX
	case a == modeS && b == modeIX || a == modeIX && b == modeS:
		return modeX // SIX, simplified to X
	case a == modeS || b == modeS:
		return modeS
	case a == modeIX || b == modeIX:
		return modeIX
	}
	return modeIS
}

// acquire takes res in mode for tx, parking p while it must wait. nowait
// fails at once with 55P03 instead of waiting.
func (m *lockManager) acquire(p *sim.Proc, tx *txn, res resource, mode lockMode, nowait bool) *sql.Error {
	e := m.entry(res)
	held := e.heldMode(tx)
	if held != 0 && covers(held, mode) {
		return nil
	}
	if held != 0 {
		mode = upgrade(held, mode) // what tx will hold once granted
	}
	// An upgrade goes before other waiters; a new request queues behind the
	// waiters it conflicts with.
	upgrading := held != 0
	if e.compatible(tx, mode) && (upgrading || !e.queuedConflict(len(e.waiters), mode)) {
		e.grant(tx, mode)
		return nil
	}
	if nowait {
		return lockNotAvailable()
	}
	w := &waiter{tx: tx, mode: mode, proc: p, entry: e}
	if upgrading {
		e.waiters = append([]*waiter{w}, e.waiters...)
	} else {
		e.waiters = append(e.waiters, w)
	}
	tx.waiting = w
	defer func() { tx.waiting = nil }()
	db := m.db
	db.stats.Waits++
	db.k.After(db.cfg.DeadlockTimeout, sim.Func(func() { m.checkDeadlock(w) }))
	deadline, timeoutErr := tx.session.waitDeadline()
	for !w.granted && w.err == nil {
		if deadline == 0 {
			p.Wait()
			continue
		}
		if db.k.Now() >= deadline {
			m.dequeue(w)
			return timeoutErr
		}
		p.WaitFor(deadline.Sub(db.k.Now()))
	}
	if w.err != nil {
		return w.err
	}
	return nil
}

// dequeue removes a waiter that gives up, and lets the ones behind it in.
func (m *lockManager) dequeue(w *waiter) {
	e := w.entry
	for i, x := range e.waiters {
		if x == w {
			e.waiters = append(e.waiters[:i], e.waiters[i+1:]...)
			break
		}
	}
	m.wakeWaiters(e)
}

// releaseAll drops every lock tx holds (at its end) and grants waiters.
func (m *lockManager) releaseAll(tx *txn) {
	held := tx.held
	tx.held = nil
	for _, e := range held {
		for i, h := range e.holders {
			if h.tx == tx {
				e.holders = append(e.holders[:i], e.holders[i+1:]...)
				break
			}
		}
		m.wakeWaiters(e)
	}
}

// release drops tx's lock on res, as a wait for a transaction does once
// granted.
func (m *lockManager) release(tx *txn, res resource) {
	e := m.entries[res]
	if e == nil {
		return
	}
	for i, h := range e.holders {
		if h.tx == tx {
			e.holders = append(e.holders[:i], e.holders[i+1:]...)
			break
		}
	}
	for i, x := range tx.held {
		if x == e {
			tx.held = append(tx.held[:i], tx.held[i+1:]...)
			break
		}
	}
	m.wakeWaiters(e)
}

// queuedConflict reports whether any of the first n waiters asks for a mode
// that conflicts with mode.
func (e *lockEntry) queuedConflict(n int, mode lockMode) bool {
	for _, w := range e.waiters[:n] {
		if conflicts[mode][w.mode] || conflicts[w.mode][mode] {
			return true
		}
	}
	return false
}

// wakeWaiters grants, in queue order, every waiting request compatible with
// the holders and with the requests queued ahead of it.
func (m *lockManager) wakeWaiters(e *lockEntry) {
	for i := 0; i < len(e.waiters); {
		w := e.waiters[i]
		if !e.compatible(w.tx, w.mode) || e.queuedConflict(i, w.mode) {
			i++
			continue
		}
		e.waiters = append(e.waiters[:i], e.waiters[i+1:]...)
		e.grant(w.tx, w.mode)
		w.granted = true
		m.db.k.Wake(w.proc)
		i = 0 // the request removed may have held back one queued earlier in the scan
	}
	if len(e.holders) == 0 && len(e.waiters) == 0 {
		delete(m.entries, e.res)
	}
}

// checkDeadlock runs deadlockTimeout after w started waiting: if w still
// waits and its wait closes a cycle of waits, w's transaction is the victim.
func (m *lockManager) checkDeadlock(w *waiter) {
	if w.granted || w.err != nil || w.tx.waiting != w {
		return
	}
	if !m.reaches(w.tx, w.tx, map[*txn]bool{}) {
		return
	}
	m.dequeue(w)
	w.err = deadlockDetected()
	m.db.stats.Deadlocks++
	m.db.k.Wake(w.proc)
}

// reaches reports whether target is reachable from tx along wait-for edges:
// a waiter waits for the holders that conflict with its request and for the
// conflicting waiters queued ahead of it.
func (m *lockManager) reaches(tx, target *txn, seen map[*txn]bool) bool {
	w := tx.waiting
	if w == nil || w.granted || w.err != nil {
		return false
	}
	next := func(other *txn) bool {
		if other == target {
			return true
		}
		if seen[other] {
			return false
		}
		seen[other] = true
		return m.reaches(other, target, seen)
	}
	e := w.entry
	for _, h := range e.holders {
		if h.tx != tx && conflicts[w.mode][h.mode] && next(h.tx) {
			return true
		}
	}
	for _, x := range e.waiters {
		if x == w {
			break
		}
		if x.tx != tx && (conflicts[w.mode][x.mode] || conflicts[x.mode][w.mode]) && next(x.tx) {
			return true
		}
	}
	return false
}

// waitForEnd parks p until other ends (commits or aborts), as PostgreSQL's
// XactLockTableWait does: a share lock on other's transaction id, released
// at once.
func (m *lockManager) waitForEnd(p *sim.Proc, tx, other *txn, nowait bool) *sql.Error {
	res := resource{kind: resXID, xid: other.xid}
	if err := m.acquire(p, tx, res, modeS, nowait); err != nil {
		return err
	}
	m.release(tx, res)
	return nil
}

func lockNotAvailable() *sql.Error {
	return &sql.Error{Code: sql.CodeLockNotAvailable, Msg: "could not obtain lock on row"}
}

func deadlockDetected() *sql.Error {
	return &sql.Error{Code: sql.CodeDeadlockDetected, Msg: "deadlock detected"}
}
