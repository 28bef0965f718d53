package db

import (
	"slices"

	"github.com/idemsim/idemsim/sim/db/sql"
)

// This file lays rows and index entries out in pages as PostgreSQL does,
// closely enough to say which heap page a version is on and which B-tree
// leaf page an index key is on: serializable's SIREAD locks are taken on
// pages (predicate.c), so two transactions that read and write different
// keys of one page conflict. Nothing else depends on the layout.
//
// Approximations, for the tables simulated (tens to a few thousand rows):
//   - Sizes are PostgreSQL's: a heap tuple is a 23-byte header (with its
//     null bitmap) aligned to 8, then each non-NULL value at its type's
//     alignment (a text of under 127 bytes has a 1-byte header and no
//     alignment), the whole aligned to 8, plus a 4-byte line pointer; an
//     index tuple is an 8-byte header (16 with a null bitmap) and the key
//     laid out the same way. A heap page holds 8,168 bytes of tuples and
//     line pointers; a B-tree leaf 8,152, less its high key.
//   - A new row goes on the table's last page, or a new one when it does
//     not fit (PostgreSQL may also fill space its free-space map knows of,
//     which only VACUUM records). An update stays on the old version's page
//     when it fits there and changes no indexed column (a HOT update: no
//     index entry is added), else it moves to the last page and every index
//     gets an entry for it, as PostgreSQL does.
//   - A page that has no room is pruned first: versions no snapshot can see
//     give their space back (PostgreSQL prunes a nearly full page when it
//     reads it; its line pointers and HOT redirects, a few bytes each, are
//     not kept here).
//   - A B-tree leaf that has no room first drops the entries whose every
//     version is dead to all (PostgreSQL's simple and bottom-up deletion),
//     then splits: the rightmost leaf keeps 90% of its bytes on the left
//     (the leaf fillfactor), any other splits in the middle, always between
//     two different keys. The new page is the next block number, and every
//     SIREAD lock on the old page is copied to it (PredicateLockPageSplit).
//     Pages are never merged or deleted (that takes VACUUM).
//   - An index that has never had an entry has no leaf: a scan of it locks
//     the whole index, as PostgreSQL's does when the B-tree has no root.

const (
	heapPageSpace = 8192 - 24      // a page less its header
	leafPageSpace = 8192 - 24 - 16 // less the B-tree's special space too
	lineSize      = 4              // a line pointer
	leafFill      = leafPageSpace * 90 / 100
)

func maxAlign(n int32) int32 { return (n + 7) &^ 7 }

func alignTo(n, a int32) int32 { return (n + a - 1) &^ (a - 1) }

// dataSize adds the bytes of vals (the values of columns of types typs) to
// a tuple whose data starts at offset off.
func dataSize(off int32, typs []sql.Type, vals []sql.Value) int32 {
	for i, v := range vals {
		if v.IsNull() {
			continue
		}
		switch typs[i] {
		case sql.Int:
			off = alignTo(off, 4) + 4
		case sql.BigInt, sql.Timestamptz:
			off = alignTo(off, 8) + 8
		case sql.Interval:
			off = alignTo(off, 8) + 16
		case sql.Bool:
			off++
		default:
			n := int32(len(v.Text))
			if v.Kind != sql.TextKind {
				n = int32(len(v.String()))
			}
			if n+1 <= 127 {
				off += 1 + n // a short varlena: no alignment
			} else {
				off = alignTo(off, 4) + 4 + n
			}
		}
	}
	return off
}

// heapTupleSize is the bytes a version with vals takes on its page.
func (t *table) heapTupleSize(vals []sql.Value) int32 {
	hoff := int32(23)
	for _, v := range vals {
		if v.IsNull() {
			hoff += int32(len(vals)+7) / 8
			break
		}
	}
	return maxAlign(dataSize(maxAlign(hoff), t.colTypes, vals)) + lineSize
}

// indexTupleSize is the bytes the entry for vals takes on ix's leaf.
func (ix *index) tupleSize(t *table, vals []sql.Value) int32 {
	var typs [8]sql.Type
	var kv [8]sql.Value
	n := 0
	for _, c := range ix.cols {
		if n == len(typs) {
			break
		}
		typs[n], kv[n] = t.cols[c].typ, vals[c]
		n++
	}
	return maxAlign(dataSize(8, typs[:n], kv[:n])) + lineSize
}

// heapPage is one page of a table's heap: the bytes its versions take,
// and the versions, to prune it.
type heapPage struct {
	used int32
	vers []*version
}

// place puts v, of size bytes, on a heap page: next to old (the version
// it replaces) when hot allows and there is room, else on the last page
// or a new one. It reports whether v stayed on old's page.
func (t *table) place(db *DB, v *version, old *version, hot bool) bool {
	v.size = t.heapTupleSize(v.vals)
	if hot && old != nil {
		if t.fits(db, old.page, v.size) {
			t.putOn(old.page, v)
			return true
		}
	}
	last := int32(len(t.heap) - 1)
	if last < 0 || !t.fits(db, last, v.size) {
		t.heap = append(t.heap, &heapPage{})
		last++
	}
	t.putOn(last, v)
	return false
}

func (t *table) putOn(p int32, v *version) {
	pg := t.heap[p]
	v.page = p
	pg.used += v.size
	pg.vers = append(pg.vers, v)
}

// fits reports whether size more bytes fit on page p, pruning it first if
// they do not.
func (t *table) fits(db *DB, p int32, size int32) bool {
	pg := t.heap[p]
	if pg.used+size <= heapPageSpace {
		return true
	}
	db.prunePage(pg)
	return pg.used+size <= heapPageSpace
}

// horizon is the newest commit every running transaction sees: a version
// deleted or replaced by a transaction committed at or before it is dead
// to every snapshot (PostgreSQL's xmin horizon).
func (db *DB) horizon() uint64 {
	h := db.seq
	for _, tx := range db.active {
		s := tx.stmtSeq
		if tx.snap != nil {
			s = tx.snap.seq
		}
		h = min(h, s)
	}
	if db.cfg.StandbyLag > 0 {
		h = min(h, db.standbySeq()) // what the standby still reads
	}
	return h
}

// deadToAll reports whether no snapshot can see v or conflict on it.
func deadToAll(v *version, horizon uint64) bool {
	return v.pruned || v.xmin.state == aborted ||
		v.xmax != nil && v.xmax.state == committed && v.xmax.commitSeq <= horizon
}

// prunePage drops the versions on pg that are dead to every snapshot, from
// their rows and from the page.
func (db *DB) prunePage(pg *heapPage) {
	h := db.horizon()
	kept := pg.vers[:0]
	for _, v := range pg.vers {
		if v.pruned {
			continue
		}
		if deadToAll(v, h) {
			v.row.versions = slices.DeleteFunc(v.row.versions, func(x *version) bool { return x == v })
			db.forget(v)
			continue
		}
		kept = append(kept, v)
	}
	clear(pg.vers[len(kept):])
	pg.vers = kept
}

// forget marks v pruned and gives its bytes back to its page.
func (db *DB) forget(v *version) {
	if v.pruned {
		return
	}
	v.pruned = true
	v.row.t.heap[v.page].used -= v.size
}

// btree is the leaf level of a unique index, in key order: enough to say
// on which leaf a key is or would go.
type btree struct {
	leaves []*leaf
	blocks int32 // block numbers handed out (0 is the metapage)
}

// leaf is one leaf page. low is the smallest key it may hold (the
// separator its split was given; nothing for the leftmost).
type leaf struct {
	block  int32
	low    ikey
	ents   []btEntry
	used   int32
	sorted bool
}

// btEntry is one index tuple: the key of a version that started a chain
// of versions the index points at.
type btEntry struct {
	k    ikey
	v    *version
	size int32
}

// find is the leaf a search for k lands on, or nil when the index has
// none: the last whose low key is at most k (a search for a separator
// goes right of it, as PostgreSQL's does for a truncated pivot).
func (b *btree) find(k ikey) *leaf {
	n := len(b.leaves)
	if n <= 1 {
		if n == 0 {
			return nil
		}
		return b.leaves[0]
	}
	i, _ := slices.BinarySearchFunc(b.leaves[1:], k, func(l *leaf, k ikey) int {
		if compareKeys(l.low, k) <= 0 {
			return -1
		}
		return 1
	})
	return b.leaves[i]
}

// leafFor is the leaf k goes to, making the first one for an empty index.
func (b *btree) leafFor(k ikey) *leaf {
	if l := b.find(k); l != nil {
		return l
	}
	b.blocks++
	l := &leaf{block: b.blocks, sorted: true}
	b.leaves = append(b.leaves, l)
	return l
}

func (l *leaf) sort() {
	if !l.sorted {
		slices.SortStableFunc(l.ents, func(a, b btEntry) int { return compareKeys(a.k, b.k) })
		l.sorted = true
	}
}

// insert adds the entry for v under k in ix, cleaning or splitting its
// leaf when it is full.
func (db *DB) btInsert(t *table, ixNo int, k ikey, v *version) {
	ix := t.indexes[ixNo]
	b := &ix.bt
	e := btEntry{k: k, v: v, size: ix.tupleSize(t, v.vals)}
	l := b.leafFor(k)
	if l.used+e.size > l.space(b) {
		db.cleanLeaf(l)
	}
	if l.used+e.size > l.space(b) {
		right := db.split(t, ixNo, l)
		if compareKeys(k, right.low) >= 0 {
			l = right
		}
	}
	if l.sorted && len(l.ents) > 0 && compareKeys(k, l.ents[len(l.ents)-1].k) < 0 {
		l.sorted = false
	}
	l.ents = append(l.ents, e)
	l.used += e.size
}

// space is the bytes l may hold: a leaf with a right sibling keeps a high
// key, about the size of an entry.
func (l *leaf) space(b *btree) int32 {
	if b.leaves[len(b.leaves)-1] == l || len(l.ents) == 0 {
		return leafPageSpace
	}
	return leafPageSpace - l.ents[0].size
}

// cleanLeaf drops the entries of l whose versions are dead to every
// snapshot, keeping an entry while its row still has a live version with
// its key (a HOT chain it heads may go on past the version it names).
func (db *DB) cleanLeaf(l *leaf) {
	h := db.horizon()
	kept := l.ents[:0]
	for _, e := range l.ents {
		if deadToAll(e.v, h) && !liveWithKey(e, h) {
			l.used -= e.size
			continue
		}
		kept = append(kept, e)
	}
	clear(l.ents[len(kept):])
	l.ents = kept
}

// liveWithKey reports whether e's row has a version after e's that is not
// dead to all and that no later entry heads: one reached through e's
// chain of HOT updates.
func liveWithKey(e btEntry, h uint64) bool {
	vs := e.v.row.versions
	i := slices.Index(vs, e.v)
	if i < 0 {
		return false
	}
	for _, v := range vs[i+1:] {
		if !v.hot {
			return false
		}
		if !deadToAll(v, h) {
			return true
		}
	}
	return false
}

// split moves the upper part of l's entries to a new leaf right of it and
// returns that leaf; the SIREAD locks on l are copied to it.
func (db *DB) split(t *table, ixNo int, l *leaf) *leaf {
	b := &t.indexes[ixNo].bt
	l.sort()
	target := l.used / 2
	if b.leaves[len(b.leaves)-1] == l {
		target = leafFill
	}
	at, sum := 0, int32(0)
	for at < len(l.ents)-1 && sum+l.ents[at].size <= target {
		sum += l.ents[at].size
		at++
	}
	// Between two different keys: a search for a key must find all of its
	// entries on one leaf.
	lo, hi := at, at
	for lo > 0 && l.ents[lo-1].k == l.ents[lo].k {
		lo--
	}
	for hi < len(l.ents) && hi > 0 && l.ents[hi-1].k == l.ents[hi].k {
		hi++
	}
	switch {
	case lo > 0 && (hi >= len(l.ents) || at-lo <= hi-at):
		at = lo
	case hi < len(l.ents):
		at = hi
	default:
		at = max(lo, 1) // one key fills the page: split among its entries
	}
	b.blocks++
	r := &leaf{block: b.blocks, low: l.ents[at].k, sorted: true}
	r.ents = append(r.ents, l.ents[at:]...)
	for _, e := range r.ents {
		r.used += e.size
	}
	clear(l.ents[at:])
	l.ents = l.ents[:at]
	l.used -= r.used
	i := slices.Index(b.leaves, l)
	b.leaves = slices.Insert(b.leaves, i+1, r)
	db.ssi.pageSplit(t, ixNo, l.block, r.block)
	return r
}

// keysInOrder are the distinct keys of ix, in index order (descending if
// desc), as a full index scan meets them; with each, the leaf it is on.
func (ix *index) keysInOrder(desc bool, fn func(k ikey, l *leaf) bool) {
	for i := range ix.bt.leaves {
		l := ix.bt.leaves[i]
		if desc {
			l = ix.bt.leaves[len(ix.bt.leaves)-1-i]
		}
		l.sort()
		for j := range l.ents {
			e := l.ents[j]
			if desc {
				e = l.ents[len(l.ents)-1-j]
			}
			if j > 0 {
				prev := l.ents[j-1]
				if desc {
					prev = l.ents[len(l.ents)-j]
				}
				if prev.k == e.k {
					continue
				}
			}
			if !fn(e.k, l) {
				return
			}
		}
	}
}
