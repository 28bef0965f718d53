package db

import (
	"cmp"
	"math"
	"slices"
	"strconv"

	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/db/sql"
)

// exec is one data statement running in a transaction.
type exec struct {
	db   *DB
	s    *Session
	p    *sim.Proc
	tx   *txn
	t    *table
	pl   *plan
	snap snapshot
	args []sql.Value
	// setAtScan computes an UPDATE's new values as each row is found.
	setAtScan bool
	// rangeLeaves are the leaves a range scan reads (rangeKeys).
	rangeLeaves []int32
	// sorted is set when an ORDER BY ... LIMIT that could read the index
	// in order sorts a table scan instead, as costs decide (orderedWins).
	sorted bool
	// retRows are the RETURNING expressions' rows computed so far
	// (returnRow).
	retRows [][]sql.Value
}

func (s *Session) run(p *sim.Proc, tx *txn, st sql.Stmt, args []sql.Value) (*Result, *sql.Error) {
	db := s.db
	var name string
	switch st := st.(type) {
	case *sql.CreateTable:
		if err := db.createTable(st); err != nil {
			return nil, err
		}
		return &Result{Tag: "CREATE TABLE"}, nil
	case *sql.DropTable:
		if err := db.dropTable(st); err != nil {
			return nil, err
		}
		return &Result{Tag: "DROP TABLE"}, nil
	case *sql.Select:
		name = st.Table
	case *sql.Insert:
		name = st.Table
	case *sql.Update:
		name = st.Table
	case *sql.Delete:
		name = st.Table
	default:
		return nil, &sql.Error{Code: sql.CodeFeatureNotSupported, Msg: "statement not supported"}
	}
	pl, t, err := db.planFor(st, name)
	if err != nil {
		return nil, err
	}
	tx.cmd++
	x := exec{db: db, s: s, p: p, tx: tx, t: t, pl: pl, snap: tx.statementSnapshot(), args: args}
	switch st.(type) {
	case *sql.Select:
		return x.selectRows()
	case *sql.Insert:
		return x.insert()
	case *sql.Update:
		return x.update()
	}
	return x.delete()
}

// candidate is a row a scan found and the version of it the statement
// read.
type candidate struct {
	r    *row
	v    *version
	vals []sql.Value // UPDATE: the new values, computed from v
}

// lookupKeys evaluates the index keys an index scan looks up: every
// combination of the values pinned for each column, without NULLs (an
// equality never finds one), in index order and without duplicates, as
// PostgreSQL's index scan over an IN list returns them.
func (x *exec) lookupKeys(a *access) ([]ikey, *sql.Error) {
	ix := a.ix
	keys := x.s.keys[:0]
	defer func() { x.s.keys = keys[:0] }()
	if a.ordered {
		ix.keysInOrder(a.desc, func(k ikey, _ *leaf) bool {
			keys = append(keys, k)
			return true
		})
		return keys, nil
	}
	if a.rng {
		return x.rangeKeys(a, keys)
	}
	if len(ix.cols) == 1 && len(a.keys[0]) == 1 {
		v, err := x.eval(a.keys[0][0], nil, nil)
		if err != nil || v.IsNull() {
			return nil, err
		}
		keys = append(keys, ikey{a: sql.IntervalKey(v)})
		return keys, nil
	}
	vals := make([]sql.Value, len(x.t.cols))
	var walk func(i int) *sql.Error
	walk = func(i int) *sql.Error {
		if i == len(ix.cols) {
			if k, ok := ix.key(vals); ok {
				keys = append(keys, k)
			}
			return nil
		}
		for _, e := range a.keys[i] {
			v, err := x.eval(e, nil, nil)
			if err != nil {
				return err
			}
			if v.IsNull() {
				continue
			}
			vals[ix.cols[i]] = v
			if err := walk(i + 1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(0); err != nil {
		return nil, err
	}
	slices.SortFunc(keys, compareKeys)
	return slices.CompactFunc(keys, func(a, b ikey) bool { return a == b }), nil
}

// ixNo is ix's place among the table's indexes.
func (x *exec) ixNo(ix *index) int {
	for i, y := range x.t.indexes {
		if y == ix {
			return i
		}
	}
	return -1
}

// checkRead flags the rw-conflict out of a serializable reader for a
// version it examined (HeapCheckForSerializableConflictOut).
func (x *exec) checkRead(v *version) *sql.Error {
	if w := x.writerOf(v); w != nil || x.tx.sx.doomed {
		return x.db.ssi.conflictOut(x.tx.sx, w)
	}
	return nil
}

// writerOf is the transaction whose write the reader's view of v depends
// on, per the tuple's state: an inserter in progress, or the deleter of a
// visible tuple, or the inserter of an invisible one.
func (x *exec) writerOf(v *version) *txn {
	tx := x.tx
	var w *txn
	visible := tx.visible(v, x.snap)
	switch {
	case v.xmin.state == aborted:
		return nil
	case v.xmin != tx && v.xmin.state == active:
		w = v.xmin
	case deletedBy(v, nil) == nil:
		if visible {
			return nil
		}
		w = v.xmin
	case visible:
		w = v.xmax
	default:
		w = v.xmin
	}
	if w == tx {
		return nil
	}
	return w
}

// readVersion is the version of r this statement reads, by level.
func (x *exec) readVersion(r *row) *version {
	switch x.tx.level {
	case sql.DirtyReads:
		return dirtyVersion(r)
	case sql.Serializable2PL:
		// Locks keep writers out of what is read: read the current state.
		return x.tx.visibleVersion(r, snapshot{seq: x.db.seq})
	}
	return x.tx.visibleVersion(r, x.snap)
}

// lock2PL takes strict two-phase locking's predicate locks for a scan:
// shared (or exclusive, for writes) locks on the keys looked up, or on the
// whole table.
func (x *exec) lock2PL(ix *index, keys []ikey, write bool) *sql.Error {
	if x.tx.level != sql.Serializable2PL {
		return nil
	}
	lm := &x.db.locks
	table := lm.entry(resource{kind: resTable, table: x.t})
	if ix == nil {
		mode := modeS
		if write {
			mode = modeX
		}
		_, err := lm.acquire(x.p, x.tx, table, mode, sql.Block, false)
		return err
	}
	intent, mode := modeIS, modeS
	if write {
		intent, mode = modeIX, modeX
	}
	if _, err := lm.acquire(x.p, x.tx, table, intent, sql.Block, false); err != nil {
		return err
	}
	n := x.ixNo(ix)
	for _, k := range keys {
		e := lm.entry(resource{kind: resKey, table: x.t, ix: n, key: k})
		if _, err := lm.acquire(x.p, x.tx, e, mode, sql.Block, false); err != nil {
			return err
		}
	}
	return nil
}

// scan returns the rows the statement's WHERE selects, with the version of
// each it reads, in the order its plan meets them: key order for an index
// scan (forward or backward), heap order for a table scan or a bitmap
// scan. write is set for the statements that will lock the rows
// exclusively (two-phase locking locks them as it reads).
//
// With limit >= 0 it stops once it has limit rows, as a scan under
// PostgreSQL's Limit does, and with lock set it locks each row it keeps
// before it counts it (LockRows, lockOne): the rows after the last one
// returned are never checked or locked, and an index scan in key order
// never reads them, nor, by pages, the leaves past the last one it read.
// A table scan or a bitmap scan reads every version first, as PostgreSQL
// reads a heap page whole (the tables simulated take a page or few).
func (x *exec) scan(write bool, limit int64, lock lockMode) ([]candidate, *sql.Error) {
	pl := x.pl
	if pl.never {
		return nil, nil
	}
	// The conjuncts that read no column decide for every row at once,
	// before the scan takes any lock (PostgreSQL's one-time filter).
	for _, g := range pl.gating {
		if ok, err := x.matches(g, nil, nil); err != nil || !ok {
			return nil, err
		}
	}
	var keys []ikey
	ix := pl.access.ix
	if pl.access.rng && !pl.rangeWins() || x.sorted {
		ix = nil // the table scan costs less
	}
	if ix != nil {
		var err *sql.Error
		if keys, err = x.lookupKeys(&pl.access); err != nil {
			return nil, err
		}
	}
	lockIx := ix
	if pl.access.ordered || pl.access.rng {
		lockIx = nil // keys cannot lock the gaps of a range: lock the table
	}
	if err := x.lock2PL(lockIx, keys, write); err != nil {
		return nil, err
	}
	x.predicateLocks(ix, keys)
	out := x.s.cands[:0]
	defer func() { x.s.cands = out[:0] }()
	// take offers a row found to the result; it reports when to stop.
	take := func(c candidate) (bool, *sql.Error) {
		ok, err := x.keep(&c)
		if err != nil || !ok {
			return false, err
		}
		if lock != 0 {
			if c, ok, err = x.lockOne(c, lock, pl.wait); err != nil || !ok {
				return false, err
			}
		}
		out = append(out, c)
		return limit >= 0 && int64(len(out)) >= limit, nil
	}
	if ix == nil || pl.access.bitmap {
		// A table scan meets the versions it reads in heap order, and a
		// bitmap scan fetches the rows its index entries point at in heap
		// order; either checks WHERE (and, for UPDATE, computes SET) in
		// that order, as PostgreSQL's does: which row fails first decides
		// the error.
		var found []candidate
		if ix == nil {
			for _, r := range x.t.rows {
				v, err := x.read(r, nil, nil, write)
				if err != nil {
					return nil, err
				}
				if v != nil {
					found = append(found, candidate{r: r, v: v})
				}
			}
			slices.SortFunc(found, byPos)
		} else {
			for i := range keys {
				for _, r := range ix.rows(keys[i]) {
					v, err := x.read(r, ix, &keys[i], write)
					if err != nil {
						return nil, err
					}
					if v != nil {
						x.tupleLock(v)
						found = append(found, candidate{r: r, v: v})
					}
				}
			}
			heapOrder(found)
		}
		for _, c := range found {
			if done, err := take(c); err != nil || done {
				return out, err
			}
		}
		return out, nil
	}
	// An index scan in key order reads a row, and by pages the leaf its key
	// is on, only when it reaches it.
	leaves := pl.access.ordered && x.tx.sx != nil && x.pages() && len(ix.bt.leaves) > 0
	for i := range keys {
		for _, r := range ix.rows(keys[i]) {
			if leaves {
				x.leafLock(ix, keys[i])
			}
			v, err := x.read(r, ix, &keys[i], write)
			if err != nil {
				return nil, err
			}
			if v == nil {
				continue
			}
			x.tupleLock(v)
			if done, err := take(candidate{r: r, v: v}); err != nil || done {
				return out, err
			}
		}
	}
	if leaves {
		// A scan that ran out of rows read every leaf.
		x.allLeaves(ix)
	}
	return out, nil
}

func byPos(a, b candidate) int { return cmp.Compare(a.v.pos, b.v.pos) }

// keep checks the WHERE on a row found, and for an UPDATE computes its new
// values at once, as PostgreSQL's executor does row by row.
func (x *exec) keep(c *candidate) (bool, *sql.Error) {
	ok, err := x.all(x.pl.filter, c.v.vals)
	if err != nil || !ok {
		return false, err
	}
	if x.setAtScan {
		if c.vals, err = x.setValues(c.v.vals, nil); err != nil {
			return false, err
		}
	}
	return true, nil
}

// read is the version of r the statement reads, or nil; an index scan
// reads only a version carrying the key it looked up. It checks the reads
// of a serializable transaction, and takes two-phase locking's row lock.
func (x *exec) read(r *row, ix *index, key *ikey, write bool) (*version, *sql.Error) {
	tx := x.tx
	if tx.sx != nil {
		for _, v := range r.versions {
			if key != nil {
				if k, ok := ix.key(v.vals); !ok || k != *key {
					continue
				}
			}
			if err := x.checkRead(v); err != nil {
				return nil, err
			}
		}
	}
	if tx.level == sql.Serializable2PL && (write || key != nil) {
		mode := modeS
		if write {
			mode = modeX
		}
		lm := &x.db.locks
		ok, err := lm.acquire(x.p, tx, lm.rowEntry(r), mode, x.pl.wait, false)
		if err != nil || !ok {
			return nil, err // !ok: SKIP LOCKED leaves the row out
		}
	}
	v := x.readVersion(r)
	if v == nil {
		return nil, nil
	}
	if key != nil {
		if k, ok := ix.key(v.vals); !ok || k != *key {
			return nil, nil
		}
	}
	return v, nil
}

// order sorts the rows found by ORDER BY; without one, a table scan's rows
// go in heap order (the order of the versions read), which decides what
// LIMIT keeps and the order rows are locked in.
func (x *exec) order(cands []candidate, keys []orderKey) {
	if len(keys) == 0 {
		return // a table scan found them in heap order, an index scan in key order
	}
	slices.SortStableFunc(cands, func(a, b candidate) int {
		for _, k := range keys {
			va, vb := a.v.vals[k.col], b.v.vals[k.col]
			var c int
			switch {
			case va.IsNull() && vb.IsNull():
			case va.IsNull():
				c = 1
				if k.nullsFirst {
					c = -1
				}
			case vb.IsNull():
				c = -1
				if k.nullsFirst {
					c = 1
				}
			default:
				c = sql.CompareSQL(va, vb)
				if k.desc {
					c = -c
				}
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
}

// limit is the LIMIT's value, -1 for none.
func (x *exec) limit() (int64, *sql.Error) {
	if x.pl.limit == nil {
		return -1, nil
	}
	v, err := x.eval(x.pl.limit, nil, nil)
	switch {
	case err != nil:
		return 0, err
	case v.IsNull():
		return -1, nil
	case v.Int < 0:
		return 0, &sql.Error{Code: sql.CodeInvalidLimit, Msg: "LIMIT must not be negative"}
	}
	return v.Int, nil
}

// lockRows locks the rows found, in order, until limit of them are locked
// (-1: all), as PostgreSQL's LockRows node does under its Limit. mode is
// the lock each row takes. A row another transaction changed after the
// snapshot is re-read at its newest version and re-checked at read
// committed (EvalPlanQual), and is a serialization failure at repeatable
// read and serializable (first updater wins). A row found deleted is
// skipped and its lock let go at once — PostgreSQL holds no lock on a
// deleted row — so that a crowd of waiters behind a deleted row all go on
// together; a row whose newest version no longer matches keeps its lock,
// as in PostgreSQL. Under SKIP LOCKED a row locked in a conflicting mode is
// left out; under NOWAIT it fails the statement with 55P03.
func (x *exec) lockRows(cands []candidate, mode func(candidate) lockMode, wait sql.WaitPolicy, limit int64) ([]candidate, *sql.Error) {
	out := cands[:0] // in place: each row is looked at before its slot is overwritten
	for _, c := range cands {
		if limit >= 0 && int64(len(out)) >= limit {
			break
		}
		c, ok, err := x.lockOne(c, mode(c), wait)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, c)
		}
	}
	return out, nil
}

// lockOne locks one row found, as lockRows describes, and reports the row
// (its version re-read if it changed) or false when it drops out.
func (x *exec) lockOne(c candidate, m lockMode, wait sql.WaitPolicy) (candidate, bool, *sql.Error) {
	tx := x.tx
	lm := &x.db.locks
	if tx.level == sql.Serializable2PL {
		return c, true, nil // locked exclusively by the scan, and read in its current state
	}
	if up := c.v.xmax; tx.usesTxnSnapshot() && up != nil && up != tx && up.state == committed &&
		(m != modeKS || x.keyUpdated(c.v)) {
		// The version read was replaced or deleted by a transaction that
		// committed after the snapshot: PostgreSQL's heap_update,
		// heap_delete and heap_lock_tuple see it updated (TM_Updated,
		// TM_Deleted) and, since waiting could do no good, fail at once,
		// without looking at who holds the newest version or at NOWAIT and
		// SKIP LOCKED — unless a FOR KEY SHARE may pass an update that left
		// the key alone (see below).
		return c, false, x.concurrentUpdate()
	}
	if w := c.v.xmin; w != tx && w.state == active {
		// Only dirty reads find a version another transaction is still
		// writing: its writer is taken to hold the row until it ends.
		ok, err := lm.waitForEndPolicy(x.p, tx, w, wait)
		if err != nil || !ok {
			return c, false, err // !ok: SKIP LOCKED
		}
	}
	e := lm.rowEntry(c.r)
	had := e.holderOf(tx) != nil
	if m == modeKS && lockedAhead(e, c.v, tx) {
		// PostgreSQL lets a FOR KEY SHARE lock past a non-key update in
		// progress, then follows the row to its newer versions to lock
		// them too, and there it waits for the updater to end, whatever
		// NOWAIT or SKIP LOCKED says, outside the row's queue.
		if err := lm.waitForEnd(x.p, tx, c.v.xmax); err != nil {
			return c, false, err
		}
		// While it waited, the row's lock may have been released by all
		// and forgotten (detachIfIdle): take the row's lock as it is now,
		// not the forgotten entry, which no other transaction would see.
		e = lm.rowEntry(c.r)
	}
	ok, err := lm.acquire(x.p, tx, e, m, wait, true)
	if err != nil || !ok {
		return c, false, err // !ok: SKIP LOCKED
	}
	noteExclusive(e, tx, c.r)
	l := tx.current(c.r)
	deleted := l == nil || l.xmax != nil && l.xmax != tx && l.xmax.state == committed
	if l == c.v && !deleted {
		return c, true, nil
	}
	if m == modeKS && !deleted && !x.keyUpdated(c.v) {
		// A key share survives an update that left the key alone, even
		// one committed after the snapshot: PostgreSQL locks the version
		// read (and its successors) and returns it.
		return c, true, nil
	}
	if tx.usesTxnSnapshot() {
		return c, false, x.concurrentUpdate()
	}
	if deleted {
		if !had {
			lm.release(tx, e)
		}
		return c, false, nil
	}
	match, err := x.all(x.pl.quals, l.vals)
	if err != nil || !match {
		return c, false, err
	}
	return candidate{r: c.r, v: l}, true, nil
}

// concurrentUpdate counts and returns the serialization failure of a
// snapshot level's write or lock that meets a row changed since its
// snapshot (first updater wins).
func (x *exec) concurrentUpdate() *sql.Error {
	x.db.stats.SerializationFailures++
	return &sql.Error{Code: sql.CodeSerializationFailure, Msg: "could not serialize access due to concurrent update"}
}

// keyUpdated reports whether the update that superseded v changed a key
// column (PostgreSQL's HEAP_KEYS_UPDATED), or v was deleted.
func (x *exec) keyUpdated(v *version) bool {
	vs := v.row.versions
	for i, w := range vs {
		if w != v {
			continue
		}
		for _, next := range vs[i+1:] {
			if next.xmin != v.xmax {
				continue
			}
			for c, col := range x.t.cols {
				if col.key && !next.vals[c].Equal(v.vals[c]) {
					return true
				}
			}
			return false
		}
	}
	return true
}

// noteExclusive records, when tx has just taken e FOR UPDATE, the version
// of r that lock fell on: PostgreSQL locks versions, not rows, and which
// version matters to a later FOR KEY SHARE (see lockedAhead).
func noteExclusive(e *lockEntry, tx *txn, r *row) {
	if h := e.holderOf(tx); h != nil && h.modes&modeX.bit() != 0 && h.xOn == nil {
		h.xOn = tx.current(r)
	}
}

// lockedAhead reports whether a FOR KEY SHARE request for the version v
// meets a FOR UPDATE lock only on a newer version: one taken, after it
// updated v without changing its key, by the transaction updating v.
func lockedAhead(e *lockEntry, v *version, tx *txn) bool {
	up := v.xmax
	if up == nil || up == tx || up.state != active {
		return false
	}
	ahead := false
	for _, h := range e.holders {
		if h.tx == tx || h.modes&modeX.bit() == 0 {
			continue
		}
		if h.tx != up || h.xOn == nil || h.xOn.pos <= v.pos {
			return false
		}
		ahead = true
	}
	return ahead
}

// resultRows is a Result with room for one row of up to eight values, so
// that a point query allocates its result at once.
type resultRows struct {
	Result
	row  [1][]sql.Value
	tag  [1]int64
	vals [8]sql.Value
}

// project builds the rows of a SELECT or RETURNING from versions.
func project(pr *projection, versions []*version) *Result {
	return projectN(pr, len(versions), func(i int) *version { return versions[i] })
}

// projectRows builds the rows of a SELECT from the candidates found.
func projectRows(pr *projection, cands []candidate) *Result {
	return projectN(pr, len(cands), func(i int) *version { return cands[i].v })
}

// projectN builds the rows of n versions, the i-th given by at(i).
func projectN(pr *projection, count int, at func(int) *version) *Result {
	if count == 0 && !pr.count {
		return &Result{HasRows: true, Cols: pr.names}
	}
	rb := &resultRows{}
	res := &rb.Result
	res.HasRows = true
	res.Cols = pr.names
	if pr.count {
		rb.row[0] = []sql.Value{sql.IntValue(int64(count))}
		res.Rows = rb.row[:]
		return res
	}
	if count == 0 {
		return res
	}
	n := len(pr.cols)
	var vals []sql.Value
	if count == 1 && n <= len(rb.vals) {
		vals = rb.vals[:n]
	} else {
		vals = make([]sql.Value, n*count)
	}
	if count == 1 {
		res.Rows, res.Tags = rb.row[:], rb.tag[:]
	} else {
		res.Rows, res.Tags = make([][]sql.Value, count), make([]int64, count)
	}
	for i := 0; i < count; i++ {
		v := at(i)
		row := vals[i*n : (i+1)*n : (i+1)*n]
		for j, c := range pr.cols {
			row[j] = v.vals[c]
		}
		res.Rows[i] = row
		res.Tags[i] = v.tag
	}
	return res
}

func (x *exec) selectRows() (*Result, *sql.Error) {
	pl := x.pl
	// PostgreSQL's Limit computes its count before it asks for a row, and
	// asks for none when it is 0.
	limit, err := x.limit()
	if err != nil {
		return nil, err
	}
	x.sorted = pl.access.ordered && limit != 0 && !pl.orderedWins(limit)
	var cands []candidate
	switch {
	case limit == 0:
	case limit > 0 && pl.stream && !x.sorted && x.tx.level != sql.Serializable2PL:
		// No sort to make: the scan stops at the limit.
		cands, err = x.scan(false, limit, pl.lock)
	default:
		if cands, err = x.scan(pl.lock == modeX || pl.lock == modeNKU, -1, 0); err != nil {
			return nil, err
		}
		if pl.lock != 0 || pl.order != nil || limit >= 0 {
			x.order(cands, pl.order)
		}
		if pl.lock != 0 {
			mode := pl.lock
			cands, err = x.lockRows(cands, func(candidate) lockMode { return mode }, pl.wait, limit)
		} else if limit >= 0 && int64(len(cands)) > limit {
			cands = cands[:limit]
		}
	}
	if err != nil {
		return nil, err
	}
	res := projectRows(&pl.proj, cands)
	res.Tag = "SELECT"
	return res, nil
}

func (x *exec) conflictIn(keys []sireadKey) *sql.Error {
	if x.tx.sx == nil {
		return nil
	}
	err := x.db.ssi.conflictIn(x.tx.sx, keys)
	if err != nil {
		x.db.stats.SerializationFailures++
	}
	return err
}

// liveKey finds a live version of a row other than self whose key in ix is
// k, waiting for the transactions that insert or delete one to end, as a
// unique index insertion does. It returns nil if there is none.
func (x *exec) liveKey(ix *index, k ikey, self *row) (*version, *sql.Error) {
restart:
	for _, r := range ix.rows(k) {
		if r == self {
			continue
		}
		for i := len(r.versions) - 1; i >= 0; i-- {
			cand := r.versions[i]
			if ck, ok := ix.key(cand.vals); !ok || ck != k {
				continue
			}
			switch {
			case cand.xmin.state == aborted:
				continue
			case cand.xmin != x.tx && cand.xmin.state == active:
				if err := x.db.locks.waitForEnd(x.p, x.tx, cand.xmin); err != nil {
					return nil, err
				}
				goto restart
			}
			d := deletedBy(cand, nil)
			switch {
			case d == nil:
				return cand, nil
			case d == x.tx || d.state == committed:
				continue
			}
			if err := x.db.locks.waitForEnd(x.p, x.tx, d); err != nil {
				return nil, err
			}
			goto restart
		}
	}
	return nil, nil
}

func (x *exec) uniqueViolation(ix *index, k ikey) *sql.Error {
	if err := x.conflictIn(x.indexTargets(x.ixNo(ix), k)); err != nil {
		return err
	}
	x.db.stats.UniqueViolations++
	return &sql.Error{Code: sql.CodeUniqueViolation, Msg: "duplicate key value violates unique constraint \"" + ix.name + "\""}
}

// nextval takes the next value of c's sequence, whether or not the
// transaction commits.
func (t *table) nextval(c int) (sql.Value, *sql.Error) {
	s := t.cols[c].seq
	if s.last >= s.max {
		return sql.Value{}, &sql.Error{Code: "2200H", Msg: "nextval: reached maximum value of sequence \"" + t.name + "_" + t.cols[c].name + "_seq\" (" + strconv.FormatInt(s.max, 10) + ")"}
	}
	s.last++
	return sql.IntValue(s.last), nil
}

// defaultValue is column c's value when an INSERT gives none.
func (x *exec) defaultValue(c int) (sql.Value, *sql.Error) {
	col := &x.t.cols[c]
	switch {
	case col.seq != nil:
		return x.t.nextval(c)
	case col.def != nil:
		return *col.def, nil
	case col.defNow && col.typ == sql.Text:
		return sql.TextValue(x.tx.start.String()), nil
	case col.defNow:
		return x.tx.start, nil
	}
	return sql.Value{}, nil
}

func (x *exec) insert() (*Result, *sql.Error) {
	pl, t := x.pl, x.t
	// Room on the stack for the common case: a table of up to 16 columns,
	// a statement of one row.
	var posBuf [16]int
	var outBuf [1]*version
	posOf := posBuf[:min(len(t.cols), len(posBuf))]
	if len(t.cols) > len(posBuf) {
		posOf = make([]int, len(t.cols))
	}
	for i := range posOf {
		posOf[i] = -1
	}
	for i, c := range pl.target {
		posOf[c] = i
	}
	out := outBuf[:0] // inserted, and updated by ON CONFLICT DO UPDATE
	for _, row := range pl.rows {
		// The row's values in column order, as PostgreSQL's target list:
		// a default's sequence is advanced in its column's turn.
		vals, r := newRowVals(len(t.cols))
		for c := range t.cols {
			var v sql.Value
			var err *sql.Error
			if i := posOf[c]; i >= 0 && i < len(row) && row[i] != nil {
				v, err = x.eval(row[i], nil, nil)
			} else {
				v, err = x.defaultValue(c)
			}
			if err != nil {
				return nil, err
			}
			vals[c] = v
		}
		v, err := x.insertRow(vals, r)
		if err != nil {
			return nil, err
		}
		if v != nil {
			out = append(out, v)
			if err := x.returnRow(v); err != nil {
				return nil, err
			}
		}
	}
	return x.written("INSERT", out)
}

// returnRow computes the RETURNING expressions of a row just written, as
// PostgreSQL does row by row: an error there (an overflow) fails the
// statement before it writes the next row. A RETURNING of plain columns
// cannot fail and is built at the end, by written.
func (x *exec) returnRow(v *version) *sql.Error {
	pr := x.pl.ret
	if pr == nil || pr.exprs == nil {
		return nil
	}
	row := make([]sql.Value, len(pr.exprs))
	for j, e := range pr.exprs {
		var err *sql.Error
		if row[j], err = x.eval(e, v.vals, nil); err != nil {
			return err
		}
	}
	x.retRows = append(x.retRows, row)
	return nil
}

// written is the result of an INSERT, UPDATE or DELETE that wrote out: its
// tag and count, and its RETURNING rows if it has a RETURNING list.
func (x *exec) written(tag string, out []*version) (*Result, *sql.Error) {
	pr := x.pl.ret
	var res *Result
	switch {
	case pr == nil:
		return &Result{Tag: tag, Affected: len(out)}, nil
	case pr.exprs == nil && tag == "INSERT":
		res = returning(pr, out)
	case pr.exprs == nil:
		res = project(pr, out)
	default:
		res = &Result{HasRows: true, Cols: pr.names, Rows: x.retRows, Tags: make([]int64, len(out))}
		for i, v := range out {
			res.Tags[i] = v.tag
		}
	}
	res.Tag, res.Affected = tag, len(out)
	return res, nil
}

// returning builds an insert's RETURNING rows as project does, but in the
// common case, one row of one value (the new row's id), in a result sized
// for it: 176 bytes rather than the 400 of project's, which has room for a
// row of eight.
func returning(pr *projection, out []*version) *Result {
	if len(out) != 1 || pr.count || len(pr.cols) != 1 {
		return project(pr, out)
	}
	rb := &struct {
		Result
		row [1][]sql.Value
		tag [1]int64
		val [1]sql.Value
	}{}
	v := out[0]
	rb.val[0] = v.vals[pr.cols[0]]
	rb.row[0] = rb.val[:]
	rb.tag[0] = v.tag
	rb.Result = Result{HasRows: true, Cols: pr.names, Rows: rb.row[:], Tags: rb.tag[:]}
	return &rb.Result
}

// rowAnd is a row and the values of its first version, allocated
// together; A is an array of values.
type rowAnd[A any] struct {
	r row
	v A
}

// newRowVals allocates the values of a row to insert together with the row
// that will hold them, one allocation instead of two, for a table of up to
// eight columns; for a wider one the row is nil, and insertRow allocates
// it. The row is used only if the insert goes ahead.
func newRowVals(n int) ([]sql.Value, *row) {
	switch n {
	case 1:
		b := new(rowAnd[[1]sql.Value])
		return b.v[:], &b.r
	case 2:
		b := new(rowAnd[[2]sql.Value])
		return b.v[:], &b.r
	case 3:
		b := new(rowAnd[[3]sql.Value])
		return b.v[:], &b.r
	case 4:
		b := new(rowAnd[[4]sql.Value])
		return b.v[:], &b.r
	case 5:
		b := new(rowAnd[[5]sql.Value])
		return b.v[:], &b.r
	case 6:
		b := new(rowAnd[[6]sql.Value])
		return b.v[:], &b.r
	case 7:
		b := new(rowAnd[[7]sql.Value])
		return b.v[:], &b.r
	case 8:
		b := new(rowAnd[[8]sql.Value])
		return b.v[:], &b.r
	}
	return make([]sql.Value, n), nil
}

// insertRow inserts one row, or resolves its conflict as ON CONFLICT says;
// it returns the version written (inserted or updated), or nil when the
// row was skipped. r is the zero row to fill, or nil.
func (x *exec) insertRow(vals []sql.Value, r *row) (*version, *sql.Error) {
	pl, t, tx := x.pl, x.t, x.tx
	if err := t.check(vals); err != nil {
		return nil, err
	}
	if tx.level == sql.Serializable2PL {
		for _, ix := range t.indexes {
			if k, ok := ix.key(vals); ok {
				if err := x.lock2PL(ix, []ikey{k}, true); err != nil {
					return nil, err
				}
			}
		}
		if len(t.indexes) == 0 {
			lm := &x.db.locks
			if _, err := lm.acquire(x.p, tx, lm.entry(resource{kind: resTable, table: t}), modeIX, sql.Block, false); err != nil {
				return nil, err
			}
		}
	}
speculate:
	for {
		if pl.onConfl {
			// The speculative pre-check: wait for inserters in progress,
			// then resolve a committed conflict.
			for _, ix := range pl.arbiters {
				k, ok := ix.key(vals)
				if !ok {
					continue
				}
				live, err := x.liveKey(ix, k, nil)
				if err != nil {
					return nil, err
				}
				if live == nil {
					continue
				}
				if !pl.doUpdate {
					if tx.usesTxnSnapshot() && live.xmin != tx && !x.snap.sees(live.xmin) {
						return nil, x.concurrentUpdate()
					}
					if err := x.readConflicting(ix, k, live); err != nil {
						return nil, err
					}
					return nil, nil
				}
				v, again, err := x.conflictUpdate(ix, k, live, vals)
				if err != nil || !again {
					return v, err
				}
				continue speculate
			}
		}
		if err := x.conflictIn(x.writeTargets(nil, nil)); err != nil {
			return nil, err
		}
		for i, ix := range t.indexes {
			k, ok := ix.key(vals)
			if !ok {
				continue
			}
			live, err := x.liveKey(ix, k, nil)
			if err != nil {
				return nil, err
			}
			if live != nil {
				if pl.onConfl && slices.Contains(pl.arbiters, ix) {
					// A conflict that appeared while waiting on another
					// index: PostgreSQL's speculative insertion starts over.
					continue speculate
				}
				return nil, x.uniqueViolation(ix, k)
			}
			if err := x.conflictIn(x.indexTargets(i, k)); err != nil {
				return nil, err
			}
		}
		break
	}
	t.nextRow++
	if r == nil {
		r = new(row)
	}
	r.t, r.id = t, t.nextRow
	t.rows = append(t.rows, r)
	v := t.addVersion(r, vals, tx)
	tx.inserted = append(tx.inserted, v)
	tx.wrote = true
	return v, nil
}

// conflictUpdate is ON CONFLICT DO UPDATE on the version live, found
// conflicting on key k of ix (PostgreSQL's ExecOnConflictUpdate): lock the
// row, and if it changed
// since it was found, start over at read committed (again) or fail at
// repeatable read and serializable; at those levels a row the snapshot
// cannot see is a serialization failure too. A row this statement itself
// wrote is 21000. If the WHERE holds, update the row from SET, where
// excluded.c is the proposed row's value.
func (x *exec) conflictUpdate(ix *index, k ikey, live *version, excl []sql.Value) (v *version, again bool, err *sql.Error) {
	pl, tx := x.pl, x.tx
	lm := &x.db.locks
	if live.xmin == tx && live.cmin == tx.cmd {
		return nil, false, &sql.Error{Code: sql.CodeCardinalityViolation, Msg: "ON CONFLICT DO UPDATE command cannot affect row a second time"}
	}
	r := live.row
	mode := modeNKU
	if pl.keySet {
		mode = modeX
	}
	e := lm.rowEntry(r)
	had := e.holderOf(tx) != nil
	if _, err := lm.acquire(x.p, tx, e, mode, sql.Block, tx.level != sql.Serializable2PL); err != nil {
		return nil, false, err
	}
	noteExclusive(e, tx, r)
	l := tx.current(r)
	deleted := l == nil || l.xmax != nil && l.xmax != tx && l.xmax.state == committed
	if l != live || deleted {
		if tx.usesTxnSnapshot() {
			return nil, false, x.concurrentUpdate()
		}
		if !had {
			lm.release(tx, r.lock) // PostgreSQL's lock attempt failed: no lock is left
		}
		return nil, true, nil
	}
	if tx.usesTxnSnapshot() && l.xmin != tx && !x.snap.sees(l.xmin) {
		return nil, false, x.concurrentUpdate()
	}
	if err := x.readConflicting(ix, k, l); err != nil {
		return nil, false, err
	}
	ok, err := x.matches(pl.conflWher, l.vals, excl)
	if err != nil || !ok {
		return nil, false, err // the row stays locked
	}
	vals, err := x.setValues(l.vals, excl)
	if err != nil {
		return nil, false, err
	}
	v, err = x.applyUpdate(l, vals)
	return v, false, err
}

// setValues are a row's new values under the plan's SET.
func (x *exec) setValues(old, excl []sql.Value) ([]sql.Value, *sql.Error) {
	vals := append([]sql.Value(nil), old...)
	for _, s := range x.pl.sets {
		v, err := x.eval(s.e, old, excl)
		if err != nil {
			return nil, err
		}
		vals[s.col] = v
	}
	return vals, nil
}

// applyUpdate writes vals as the new version of old's row, which the
// transaction has locked, after the checks PostgreSQL makes.
func (x *exec) applyUpdate(old *version, vals []sql.Value) (*version, *sql.Error) {
	t, tx := x.t, x.tx
	if err := t.check(vals); err != nil {
		return nil, err
	}
	if err := x.conflictIn(x.writeTargets(old, vals)); err != nil {
		return nil, err
	}
	for _, ix := range t.indexes {
		k, ok := ix.key(vals)
		if !ok {
			continue
		}
		if ok, k0 := keyOf(ix, old.vals); ok && k0 == k {
			continue
		}
		if tx.level == sql.Serializable2PL {
			if err := x.lock2PL(ix, []ikey{k}, true); err != nil {
				return nil, err
			}
		}
		live, err := x.liveKey(ix, k, old.row)
		if err != nil {
			return nil, err
		}
		if live != nil {
			return nil, x.uniqueViolation(ix, k)
		}
	}
	old.xmax = tx
	tx.superseded = append(tx.superseded, old)
	v := t.addVersion(old.row, vals, tx)
	tx.wrote = true
	return v, nil
}

func keyOf(ix *index, vals []sql.Value) (bool, ikey) {
	k, ok := ix.key(vals)
	return ok, k
}

// updateMode is the row lock an UPDATE of c takes: FOR UPDATE when it
// changes a key column's value, FOR NO KEY UPDATE otherwise, as
// PostgreSQL's heap_update decides.
func (x *exec) updateMode(c candidate) lockMode {
	if !x.pl.keySet {
		return modeNKU
	}
	vals := c.vals
	for i, col := range x.t.cols {
		if col.key && !vals[i].Equal(c.v.vals[i]) {
			return modeX
		}
	}
	return modeNKU
}

func (x *exec) update() (*Result, *sql.Error) {
	x.setAtScan = true
	cands, err := x.scan(true, -1, 0)
	if err != nil {
		return nil, err
	}
	x.order(cands, nil)
	locked, err := x.lockRows(cands, x.updateMode, sql.Block, -1)
	if err != nil {
		return nil, err
	}
	written := make([]*version, 0, len(locked))
	for _, c := range locked {
		vals := c.vals
		if vals == nil { // re-read after a concurrent update: SET again
			if vals, err = x.setValues(c.v.vals, nil); err != nil {
				return nil, err
			}
		}
		nv, err := x.applyUpdate(c.v, vals)
		if err != nil {
			return nil, err
		}
		written = append(written, nv)
		if err := x.returnRow(nv); err != nil {
			return nil, err
		}
	}
	return x.written("UPDATE", written)
}

func (x *exec) delete() (*Result, *sql.Error) {
	cands, err := x.scan(true, -1, 0)
	if err != nil {
		return nil, err
	}
	x.order(cands, nil)
	locked, err := x.lockRows(cands, func(candidate) lockMode { return modeX }, sql.Block, -1)
	if err != nil {
		return nil, err
	}
	deleted := make([]*version, 0, len(locked))
	for _, c := range locked {
		v := c.v
		if err := x.conflictIn(x.writeTargets(v, nil)); err != nil {
			return nil, err
		}
		v.xmax = x.tx
		x.tx.superseded = append(x.tx.superseded, v)
		x.tx.wrote = true
		deleted = append(deleted, v)
		if err := x.returnRow(v); err != nil {
			return nil, err
		}
		if x.db.cfg.OnDeleteCommitted != nil {
			x.tx.deleted = append(x.tx.deleted, deletion{v, x.tx.session.tag})
		}
	}
	return x.written("DELETE", deleted)
}

// check enforces NOT NULL and the range of 32-bit int columns on a row about
// to be written.
func (t *table) check(vals []sql.Value) *sql.Error {
	for i, c := range t.cols {
		v := vals[i]
		switch {
		case v.IsNull() && c.notNull:
			return &sql.Error{Code: sql.CodeNotNullViolation, Msg: "null value in column \"" + c.name + "\" of relation \"" + t.name + "\" violates not-null constraint"}
		case c.typ == sql.Int && v.Kind == sql.IntKind && (v.Int < math.MinInt32 || v.Int > math.MaxInt32):
			return &sql.Error{Code: sql.CodeNumericOutOfRange, Msg: "integer out of range"}
		}
	}
	return nil
}
