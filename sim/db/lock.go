package db

import (
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/db/sql"
)

// lockMode is a mode of a heavyweight lock.
type lockMode uint8

// The lock modes: intention modes on tables for two-phase locking; shared
// and exclusive on tables, keys, rows and transaction ids; and PostgreSQL's
// two row-lock modes between them. On a row, modeKS is FOR KEY SHARE, modeS
// FOR SHARE, modeNKU FOR NO KEY UPDATE and modeX FOR UPDATE.
const (
	modeIS lockMode = iota + 1
	modeIX
	modeS
	modeX
	modeKS
	modeNKU
	numModes
)

// modeSet is a set of modes, one bit per mode.
type modeSet uint8

func (m lockMode) bit() modeSet { return 1 << m }

const allModes = modeSet(1<<numModes - 2)

// conflictSet[m] are the modes a request in mode m conflicts with: for
// rows, PostgreSQL's table of row-level lock conflicts (KEY SHARE conflicts
// only with UPDATE; SHARE with NO KEY UPDATE and UPDATE; NO KEY UPDATE with
// SHARE, itself and UPDATE; UPDATE with all); for tables, the intention
// modes' table. The relation is symmetric.
var conflictSet = [numModes]modeSet{
	modeIS:  modeX.bit(),
	modeIX:  modeS.bit() | modeX.bit(),
	modeS:   modeIX.bit() | modeNKU.bit() | modeX.bit(),
	modeX:   allModes,
	modeKS:  modeX.bit(),
	modeNKU: modeS.bit() | modeNKU.bit() | modeX.bit(),
}

// implied[m] are the requests a holder of m need not make again.
var implied = [numModes]modeSet{
	modeIS:  modeIS.bit(),
	modeIX:  modeIX.bit() | modeIS.bit(),
	modeS:   modeS.bit() | modeIS.bit() | modeKS.bit(),
	modeX:   allModes,
	modeKS:  modeKS.bit(),
	modeNKU: modeNKU.bit() | modeKS.bit(),
}

// rowMode is the row-lock mode of a locking clause.
func rowMode(s sql.LockStrength) lockMode {
	switch s {
	case sql.ForKeyShare:
		return modeKS
	case sql.ForShare:
		return modeS
	case sql.ForNoKeyUpdate:
		return modeNKU
	}
	return modeX
}

// resKind is what a lock protects.
type resKind uint8

const (
	resXID   resKind = iota + 1 // a transaction: held X by it until it ends; waiting for it = S
	resRow                      // a row (all its versions): UPDATE, DELETE, SELECT ... FOR ...
	resTable                    // a table, for two-phase locking's predicate locks
	resKey                      // a key of a unique index, for two-phase locking's predicate locks
)

// resource names a lockable thing. Table and key locks are found through
// the lock manager's map; a row's and a transaction's lock hang off the row
// and the transaction, so that the common locks cost no map operation.
type resource struct {
	kind  resKind
	table *table
	ix    int
	key   ikey
	row   *row // resRow
	tx    *txn // resXID
}

// holder is one transaction's grant on one lock: the set of modes it holds.
type holder struct {
	tx    *txn
	e     *lockEntry
	modes modeSet
	idx   int      // in e.holders
	txIdx int      // in tx.held
	xOn   *version // a row lock held FOR UPDATE: the version it was taken on
}

func (h *holder) covers(m lockMode) bool {
	for x := modeIS; x < numModes; x++ {
		if h.modes&x.bit() != 0 && implied[x]&m.bit() != 0 {
			return true
		}
	}
	return false
}

// waiter is one request queued on a lock.
type waiter struct {
	tx         *txn
	mode       lockMode
	proc       *sim.Proc
	entry      *lockEntry
	granted    bool
	err        *sql.Error // set when the wait ends in an error (deadlock victim)
	prev, next *waiter
	seq        int64 // its place in the queue: smaller is nearer the head
}

// lockEntry is one lock: who holds it in which modes, and who waits, first
// come first served. Counts per mode make the checks for a request cost
// the same however many hold or wait.
type lockEntry struct {
	res              resource
	holders          []*holder
	held             [numModes]int32 // holders holding each mode
	head, tail       *waiter
	waiting          [numModes]int32 // queued requests per mode
	headSeq, tailSeq int64

	// Scratch of the deadlock check whose epoch this is: the request modes
	// whose conflicting holders were followed (and whether the check's
	// target was among them), and, per request mode, the waiter before
	// which every conflicting waiter was followed.
	epoch        uint64
	heldDone     modeSet
	heldByTarget modeSet
	queueDone    [numModes]*waiter
}

// lockManager grants heavyweight locks and finds deadlocks the way
// PostgreSQL does: a waiter checks for a cycle once, deadlockTimeout after
// it started waiting, and if its own wait closes one it is the victim.
type lockManager struct {
	db      *DB
	entries map[resource]*lockEntry // table and key locks of two-phase locking
	epoch   uint64                  // deadlock checks so far
}

// entry is the lock of a table or key resource.
func (m *lockManager) entry(res resource) *lockEntry {
	e := m.entries[res]
	if e == nil {
		e = &lockEntry{res: res}
		m.entries[res] = e
	}
	return e
}

// rowEntry is r's row lock.
func (m *lockManager) rowEntry(r *row) *lockEntry {
	if r.lock == nil {
		r.lock = &lockEntry{res: resource{kind: resRow, row: r}}
	}
	return r.lock
}

// detachIfIdle forgets a lock nobody holds or waits for.
func (m *lockManager) detachIfIdle(e *lockEntry) {
	if len(e.holders) > 0 || e.head != nil {
		return
	}
	switch e.res.kind {
	case resRow:
		if e.res.row.lock == e {
			e.res.row.lock = nil
		}
	case resXID:
		if e.res.tx.xidLock == e {
			e.res.tx.xidLock = nil
		}
	default:
		if m.entries[e.res] == e {
			delete(m.entries, e.res)
		}
	}
}

// holderOf is tx's grant on e, or nil; it looks through the shorter of the
// two lists.
func (e *lockEntry) holderOf(tx *txn) *holder {
	if len(tx.held)-tx.heldHoles < len(e.holders) {
		for _, h := range tx.held {
			if h != nil && h.e == e {
				return h
			}
		}
		return nil
	}
	for _, h := range e.holders {
		if h.tx == tx {
			return h
		}
	}
	return nil
}

// conflictsWithHolders reports whether a request in mode conflicts with a
// mode someone other than own holds.
func (e *lockEntry) conflictsWithHolders(mode lockMode, own *holder) bool {
	c := conflictSet[mode]
	for x := modeIS; x < numModes; x++ {
		if c&x.bit() == 0 || e.held[x] == 0 {
			continue
		}
		n := e.held[x]
		if own != nil && own.modes&x.bit() != 0 {
			n--
		}
		if n > 0 {
			return true
		}
	}
	return false
}

// queuedConflict reports whether a queued request conflicts with mode.
func (e *lockEntry) queuedConflict(mode lockMode) bool {
	c := conflictSet[mode]
	for x := modeIS; x < numModes; x++ {
		if c&x.bit() != 0 && e.waiting[x] > 0 {
			return true
		}
	}
	return false
}

func (e *lockEntry) grant(tx *txn, mode lockMode, own *holder) {
	if own == nil {
		own = &holder{tx: tx, e: e, idx: len(e.holders), txIdx: len(tx.held)}
		e.holders = append(e.holders, own)
		tx.held = append(tx.held, own)
	}
	if own.modes&mode.bit() == 0 {
		own.modes |= mode.bit()
		e.held[mode]++
	}
}

// drop removes h from its lock's holders and its transaction's list.
func (e *lockEntry) drop(h *holder) {
	last := e.holders[len(e.holders)-1]
	e.holders[h.idx] = last
	last.idx = h.idx
	e.holders[len(e.holders)-1] = nil
	e.holders = e.holders[:len(e.holders)-1]
	for x := modeIS; x < numModes; x++ {
		if h.modes&x.bit() != 0 {
			e.held[x]--
		}
	}
}

func (e *lockEntry) enqueue(w *waiter, first bool) {
	w.entry = e
	e.waiting[w.mode]++
	if e.head == nil {
		e.head, e.tail = w, w
		e.headSeq, e.tailSeq = 0, 0
		return
	}
	if first {
		e.headSeq--
		w.seq = e.headSeq
		w.next = e.head
		e.head.prev = w
		e.head = w
		return
	}
	e.tailSeq++
	w.seq = e.tailSeq
	w.prev = e.tail
	e.tail.next = w
	e.tail = w
}

func (e *lockEntry) unlink(w *waiter) {
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		e.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		e.tail = w.prev
	}
	w.prev, w.next = nil, nil
	e.waiting[w.mode]--
}

// acquire takes e in mode for tx, parking p while it must wait, and reports
// whether it got the lock. A request that conflicts with no holder is
// granted at once if jump is set — as PostgreSQL grants a row lock that
// conflicts with none of the row's current lockers, whoever queues — and
// otherwise only if no queued request conflicts with it (an upgrade of a
// lock tx holds goes first). When the lock is not free, wait says what to
// do: sql.Block waits; sql.NoWait fails at once with 55P03; sql.SkipLocked
// returns false at once.
func (m *lockManager) acquire(p *sim.Proc, tx *txn, e *lockEntry, mode lockMode, wait sql.WaitPolicy, jump bool) (bool, *sql.Error) {
	own := e.holderOf(tx)
	if own != nil && own.covers(mode) {
		return true, nil
	}
	if !e.conflictsWithHolders(mode, own) && (jump || own != nil || !e.queuedConflict(mode)) {
		e.grant(tx, mode, own)
		return true, nil
	}
	switch wait {
	case sql.NoWait:
		m.detachIfIdle(e)
		return false, lockNotAvailable()
	case sql.SkipLocked:
		m.detachIfIdle(e)
		return false, nil
	}
	w := &waiter{tx: tx, mode: mode, proc: p}
	e.enqueue(w, own != nil)
	tx.waiting = w
	defer func() { tx.waiting = nil }()
	db := m.db
	db.stats.Waits++
	tx.session.waits++
	db.k.After(db.cfg.DeadlockTimeout, sim.Func(func() { m.checkDeadlock(w) }))
	deadline, timeoutErr := tx.session.waitDeadline()
	for !w.granted && w.err == nil {
		if deadline == 0 {
			p.Wait()
			continue
		}
		if db.k.Now() >= deadline {
			m.dequeue(w)
			return false, timeoutErr
		}
		p.WaitFor(deadline.Sub(db.k.Now()))
	}
	if w.err != nil {
		return false, w.err
	}
	return true, nil
}

// dequeue removes a waiter that gives up, and lets the ones behind it in.
func (m *lockManager) dequeue(w *waiter) {
	e := w.entry
	e.unlink(w)
	m.wakeWaiters(e)
}

// releaseAll drops every lock tx holds (at its end) and grants waiters, lock
// by lock in the order tx took them.
func (m *lockManager) releaseAll(tx *txn) {
	held := tx.held
	tx.held, tx.heldHoles = nil, 0
	for _, h := range held {
		if h == nil {
			continue
		}
		h.e.drop(h)
		m.wakeWaiters(h.e)
	}
}

// release drops tx's lock on e, as a wait for a transaction does once
// granted, or a row lock on a row found deleted.
func (m *lockManager) release(tx *txn, e *lockEntry) {
	h := e.holderOf(tx)
	if h == nil {
		return
	}
	e.drop(h)
	tx.held[h.txIdx] = nil
	tx.heldHoles++
	if tx.heldHoles > 16 && tx.heldHoles*2 > len(tx.held) {
		kept := tx.held[:0]
		for _, x := range tx.held {
			if x != nil {
				x.txIdx = len(kept)
				kept = append(kept, x)
			}
		}
		clear(tx.held[len(kept):])
		tx.held, tx.heldHoles = kept, 0
	}
	m.wakeWaiters(e)
}

// blocksAll reports whether requests queued in the modes of mask keep every
// later request waiting.
func blocksAll(mask modeSet) bool {
	for x := modeIS; x < numModes; x++ {
		if conflictSet[x]&mask == 0 {
			return false
		}
	}
	return true
}

// wakeWaiters grants, in queue order, every waiting request compatible with
// the holders and with the requests still queued ahead of it. The walk
// stops as soon as the requests left behind block every later one, so a
// long queue behind an exclusive request costs nothing.
func (m *lockManager) wakeWaiters(e *lockEntry) {
	var ahead modeSet
	for w := e.head; w != nil; {
		next := w.next
		own := e.holderOf(w.tx)
		if conflictSet[w.mode]&ahead == 0 && !e.conflictsWithHolders(w.mode, own) {
			e.unlink(w)
			e.grant(w.tx, w.mode, own)
			w.granted = true
			m.db.k.Wake(w.proc)
		} else {
			ahead |= w.mode.bit()
			if blocksAll(ahead) {
				break
			}
		}
		w = next
	}
	m.detachIfIdle(e)
}

// checkDeadlock runs deadlockTimeout after w started waiting: if w still
// waits and its wait closes a cycle of waits, w's transaction is the victim.
func (m *lockManager) checkDeadlock(w *waiter) {
	if w.granted || w.err != nil || w.tx.waiting != w {
		return
	}
	if !m.closesCycle(w.tx) {
		return
	}
	m.dequeue(w)
	w.err = deadlockDetected()
	m.db.stats.Deadlocks++
	m.db.k.Wake(w.proc)
}

// closesCycle reports whether target can reach itself along wait-for edges:
// a waiter waits for the holders whose modes conflict with its request and
// for the conflicting waiters queued ahead of it. It walks the graph once:
// each transaction is visited once, and each lock's holders and queue are
// followed once per request mode, however many waiters share them, so the
// check costs what the graph it explores costs — not the square of a long
// queue.
func (m *lockManager) closesCycle(target *txn) bool {
	m.epoch++
	ep := m.epoch
	target.visit = ep
	stack := []*txn{target}
	push := func(t *txn) {
		if t.visit != ep {
			t.visit = ep
			stack = append(stack, t)
		}
	}
	for len(stack) > 0 {
		tx := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		w := tx.waiting
		if w == nil || w.granted || w.err != nil {
			continue
		}
		e := w.entry
		if e.epoch != ep {
			e.epoch, e.heldDone, e.heldByTarget = ep, 0, 0
			e.queueDone = [numModes]*waiter{}
		}
		bit, conflicts := w.mode.bit(), conflictSet[w.mode]
		switch {
		case e.heldDone&bit == 0:
			e.heldDone |= bit
			for _, h := range e.holders {
				if h.modes&conflicts == 0 {
					continue
				}
				if h.tx == target {
					e.heldByTarget |= bit
					if tx != target {
						return true
					}
					continue
				}
				if h.tx != tx {
					push(h.tx)
				}
			}
		case e.heldByTarget&bit != 0 && tx != target:
			return true
		}
		start := e.queueDone[w.mode]
		if start == nil {
			start = e.head
		}
		for x := start; x != nil && x.seq < w.seq; x = x.next {
			if conflicts&x.mode.bit() == 0 {
				continue
			}
			if x.tx == target {
				return true // tx != target: target waits only once, at w's place or behind it
			}
			push(x.tx)
		}
		if d := e.queueDone[w.mode]; d == nil || d.seq < w.seq {
			e.queueDone[w.mode] = w
		}
	}
	return false
}

// waitForEnd parks p until other ends (commits or aborts), as PostgreSQL's
// XactLockTableWait does: a share lock on other's transaction id, released
// at once. The transaction-id lock is made only when someone waits for it.
func (m *lockManager) waitForEnd(p *sim.Proc, tx, other *txn) *sql.Error {
	_, err := m.waitForEndPolicy(p, tx, other, sql.Block)
	return err
}

// waitForEndPolicy is waitForEnd under a wait policy: it reports false
// (SKIP LOCKED) or fails with 55P03 (NOWAIT) when other is still running.
func (m *lockManager) waitForEndPolicy(p *sim.Proc, tx, other *txn, wait sql.WaitPolicy) (bool, *sql.Error) {
	if other.state != active {
		return true, nil
	}
	e := other.xidLock
	if e == nil {
		e = &lockEntry{res: resource{kind: resXID, tx: other}}
		other.xidLock = e
		e.grant(other, modeX, nil)
	}
	ok, err := m.acquire(p, tx, e, modeS, wait, false)
	if ok {
		m.release(tx, e)
	}
	return ok, err
}

func lockNotAvailable() *sql.Error {
	return &sql.Error{Code: sql.CodeLockNotAvailable, Msg: "could not obtain lock on row"}
}

func deadlockDetected() *sql.Error {
	return &sql.Error{Code: sql.CodeDeadlockDetected, Msg: "deadlock detected"}
}
