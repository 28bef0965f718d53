package db

import (
	"cmp"
	"slices"

	"github.com/idemsim/idemsim/sim/db/sql"
)

// The SIREAD locks a statement takes and the ones its writes conflict
// with, at the granularity Config.SSILocks names. At SSIPages they follow
// PostgreSQL 15's callers of predicate.c:
//
//   - a table scan locks the heap relation (heap_beginscan);
//   - an index scan locks each leaf page it reads — for a key, the leaf
//     where the key is or would be (_bt_first, _bt_readnextpage) — or the
//     whole index if it has no leaf yet; and each heap tuple whose visible
//     version it fetches, unless this transaction wrote it
//     (heap_hot_search_buffer's PredicateLockTID);
//   - an insert checks the heap relation (heap_insert), then, per index,
//     the leaf the key goes to and the index (_bt_doinsert, and
//     _bt_check_unique before it reports a duplicate);
//   - an update or delete checks the old version's tuple, its heap page and
//     the relation (heap_update, heap_delete); an update that is not HOT
//     also checks, per index, the leaf its new entry goes to.
//
// At SSIKeys a lookup locks the keys it looks up and a write checks the
// keys of the rows it writes and the table.

func (x *exec) pages() bool { return x.db.cfg.SSILocks == SSIPages }

// predicateLocks takes the SIREAD locks of a scan before it reads: the
// table's for a table scan; for an index scan the keys looked up, or, by
// pages, the leaves they are on (an ordered scan of the whole index locks
// each leaf as it reaches it: see scan, leafLock).
func (x *exec) predicateLocks(ix *index, keys []ikey) {
	sx := x.tx.sx
	if sx == nil {
		return
	}
	ssi := &x.db.ssi
	if !x.pages() {
		if ix == nil || x.pl.access.ordered || x.pl.access.rng {
			// An ordered scan of the whole index locks the table: the keys
			// it read say nothing of the gaps between them.
			ssi.lock(sx, sireadKey{table: x.t, ix: -1})
			return
		}
		n := x.ixNo(ix)
		for _, k := range keys {
			ssi.lock(sx, sireadKey{table: x.t, ix: n, kind: onKey, key: k})
		}
		return
	}
	if ix == nil {
		ssi.acquire(sx, sireadKey{table: x.t, ix: -1})
		return
	}
	n := x.ixNo(ix)
	if len(ix.bt.leaves) == 0 {
		ssi.acquire(sx, sireadKey{table: x.t, ix: n})
		return
	}
	if x.pl.access.ordered {
		return
	}
	if x.pl.access.rng {
		for _, b := range x.rangeLeaves {
			ssi.acquire(sx, sireadKey{table: x.t, ix: n, kind: onPage, page: b})
		}
		return
	}
	for _, k := range keys {
		ssi.acquire(sx, sireadKey{table: x.t, ix: n, kind: onPage, page: ix.bt.find(k).block})
	}
}

// tupleLock takes the SIREAD lock on a version an index scan fetched.
func (x *exec) tupleLock(v *version) {
	sx := x.tx.sx
	if sx == nil || !x.pages() || v.xmin == x.tx {
		return
	}
	x.db.ssi.acquire(sx, sireadKey{table: x.t, ix: -1, kind: onTuple, page: v.page, tuple: v})
}

// readConflicting records that resolving an ON CONFLICT read the
// conflicting version live (key k of ix): PostgreSQL checks the read as
// any other of a serializable transaction (so a doomed one fails here) and
// takes a SIREAD lock on it, for DO NOTHING and DO UPDATE alike (checked
// against PostgreSQL 15 by ssi-on-conflict-read and ssi-upsert-read: a
// concurrent delete of that row is then a rw-conflict). By pages it is a
// lock on the version found; by keys, on its key.
func (x *exec) readConflicting(ix *index, k ikey, live *version) *sql.Error {
	if x.tx.sx == nil {
		return nil
	}
	if err := x.checkRead(live); err != nil {
		return err
	}
	if x.pages() {
		x.tupleLock(live)
		return nil
	}
	x.db.ssi.lock(x.tx.sx, sireadKey{table: x.t, ix: x.ixNo(ix), kind: onKey, key: k})
	return nil
}

// writeTargets are the SIREAD locks a write conflicts with, in the order
// it checks them: for an insert (old nil) the table's; for an update or
// delete of old, by pages, old's tuple, its heap page and the table, then
// the leaf and index of each entry a non-HOT update adds, finest first as
// CheckForSerializableConflictIn goes (the order decides which pivot a
// later commit dooms first, checked against PostgreSQL 15 by
// ssi-conflict-order); by keys, the table's, then the keys of old and of
// the new values vals (nil for a delete).
func (x *exec) writeTargets(old *version, vals []sql.Value) []sireadKey {
	if x.tx.sx == nil {
		return nil
	}
	keys := x.s.targets[:0]
	defer func() { x.s.targets = keys[:0] }()
	if old == nil || !x.pages() {
		keys = append(keys, sireadKey{table: x.t, ix: -1})
	}
	if old == nil {
		return keys
	}
	if !x.pages() {
		for _, vs := range [2][]sql.Value{old.vals, vals} {
			if vs == nil {
				continue
			}
			for i, ix := range x.t.indexes {
				if k, ok := ix.key(vs); ok {
					keys = append(keys, sireadKey{table: x.t, ix: i, kind: onKey, key: k})
				}
			}
		}
		return keys
	}
	keys = append(keys,
		sireadKey{table: x.t, ix: -1, kind: onTuple, page: old.page, tuple: old},
		sireadKey{table: x.t, ix: -1, kind: onPage, page: old.page},
		sireadKey{table: x.t, ix: -1})
	if vals != nil && !x.hotUpdate(old, vals) {
		for i, ix := range x.t.indexes {
			if k, ok := ix.key(vals); ok {
				keys = append(keys, x.indexTargets(i, k)...)
			}
		}
	}
	return keys
}

// hotUpdate reports whether updating old to vals will be a HOT update:
// no indexed column changes and the new version fits on old's page.
func (x *exec) hotUpdate(old *version, vals []sql.Value) bool {
	t := x.t
	return !t.indexedChange(old.vals, vals) && t.fits(x.db, old.page, t.heapTupleSize(vals))
}

// indexTargets are the SIREAD locks an insertion of key k into the i-th
// index conflicts with: the key itself, or by pages the leaf it goes to,
// then the index.
func (x *exec) indexTargets(i int, k ikey) []sireadKey {
	if x.tx.sx == nil {
		return nil
	}
	if !x.pages() {
		return []sireadKey{{table: x.t, ix: i, kind: onKey, key: k}}
	}
	var out []sireadKey
	if l := x.t.indexes[i].bt.find(k); l != nil {
		out = append(out, sireadKey{table: x.t, ix: i, kind: onPage, page: l.block})
	}
	return append(out, sireadKey{table: x.t, ix: i})
}

// heapOrder sorts the rows a bitmap heap scan found in the order it
// fetches them: by the heap position of the tuple each index entry points
// at (the head of the row's chain of versions with that key).
func heapOrder(cands []candidate) {
	slices.SortStableFunc(cands, func(a, b candidate) int {
		ra, rb := chainHead(a.v), chainHead(b.v)
		if c := cmp.Compare(ra.page, rb.page); c != 0 {
			return c
		}
		return cmp.Compare(ra.pos, rb.pos)
	})
}

// chainHead is the version an index entry for v points at: v, or the
// version before it whose HOT update began v's chain.
func chainHead(v *version) *version {
	vs := v.row.versions
	i := slices.Index(vs, v)
	for i > 0 && vs[i].hot {
		i--
	}
	if i < 0 {
		return v
	}
	return vs[i]
}

// leafLock takes, for an index scan reading keys in order, the SIREAD
// lock on the leaf where k is (_bt_readpage's PredicateLockPage).
func (x *exec) leafLock(ix *index, k ikey) {
	x.db.ssi.acquire(x.tx.sx, sireadKey{table: x.t, ix: x.ixNo(ix), kind: onPage, page: ix.bt.find(k).block})
}

// allLeaves takes the SIREAD locks of an ordered index scan that ran out of
// rows: it read every leaf, in its order.
func (x *exec) allLeaves(ix *index) {
	n := x.ixNo(ix)
	for i := range ix.bt.leaves {
		l := ix.bt.leaves[i]
		if x.pl.access.desc {
			l = ix.bt.leaves[len(ix.bt.leaves)-1-i]
		}
		x.db.ssi.acquire(x.tx.sx, sireadKey{table: x.t, ix: n, kind: onPage, page: l.block})
	}
}

// rangeKeys appends to keys the distinct keys of a's range, in index
// order, and records in x.rangeLeaves the leaves a B-tree scan of it
// reads: from the leaf where its lower bound is (or the first) to the
// one where it meets a key past its upper bound, or whose right
// sibling's low key is past it. A NULL bound selects nothing and reads
// nothing.
func (x *exec) rangeKeys(a *access, keys []ikey) ([]ikey, *sql.Error) {
	x.rangeLeaves = x.rangeLeaves[:0]
	var lo, hi sql.Value
	var err *sql.Error
	if a.lo != nil {
		if lo, err = x.eval(a.lo, nil, nil); err != nil || lo.IsNull() {
			return nil, err
		}
		lo = sql.IntervalKey(lo)
	}
	if a.hi != nil {
		if hi, err = x.eval(a.hi, nil, nil); err != nil || hi.IsNull() {
			return nil, err
		}
		hi = sql.IntervalKey(hi)
	}
	below := func(k ikey) bool {
		c := sql.Compare(k.a, lo)
		return a.lo != nil && (c < 0 || c == 0 && !a.loIncl)
	}
	past := func(k ikey) bool {
		c := sql.Compare(k.a, hi)
		return a.hi != nil && (c > 0 || c == 0 && !a.hiIncl)
	}
	b := &a.ix.bt
	if len(b.leaves) == 0 {
		return keys, nil
	}
	i := 0
	if a.lo != nil {
		i = slices.Index(b.leaves, b.find(ikey{a: lo}))
	}
	for ; i < len(b.leaves); i++ {
		l := b.leaves[i]
		x.rangeLeaves = append(x.rangeLeaves, l.block)
		l.sort()
		stop := false
		for j, e := range l.ents {
			if below(e.k) {
				continue
			}
			if past(e.k) {
				stop = true
				break
			}
			if j == 0 || l.ents[j-1].k != e.k {
				keys = append(keys, e.k)
			}
		}
		if stop || i+1 < len(b.leaves) && past(b.leaves[i+1].low) {
			break
		}
	}
	return keys, nil
}
