package db

import (
	"slices"

	"github.com/idemsim/idemsim/sim/db/sql"
)

// This file is serializable snapshot isolation as PostgreSQL implements it
// (src/backend/storage/lmgr/predicate.c): SIREAD locks record what each
// serializable transaction read; a read of a version written by a
// concurrent transaction, or a write over a concurrent transaction's SIREAD
// lock, is a rw-antidependency reader →rw writer; a transaction is
// cancelled with 40001 when it would complete a dangerous structure
// T0 →rw T1 →rw T2 in which T2 commits first, at the statement or commit
// where PostgreSQL cancels it. Lock granularity is Config.SSILocks: by
// default PostgreSQL's (an index scan locks the leaf pages it reads and the
// heap tuples it fetches, a table scan the table; see predicate.go), or,
// with SSIKeys, the keys an index lookup looks up.

// sxact is a serializable transaction's conflict state (SERIALIZABLEXACT).
type sxact struct {
	tx *txn
	// in: readers R with R →rw tx (R read what tx wrote); out: writers W with
	// tx →rw W.
	in, out []*sxact
	doomed  bool
	// prepared is set when the transaction starts to commit (PostgreSQL's
	// SXACT_FLAG_PREPARED, set in PreCommit and kept once committed).
	prepared                  bool
	prepareSeq, commitSeq     uint64
	lastCommitBeforeSnapshot  uint64
	readOnly                  bool // committed without writing
	conflictOut               bool // committed with a conflict out to a committed transaction
	earliestOutConflictCommit uint64
	locks                     []sireadKey
	held                      map[sireadKey]bool
	// children counts, per relation and page, the locks this transaction
	// took under it (PostgreSQL's LOCALPREDICATELOCK.childLocks), which
	// decide when finer locks are promoted to it.
	children map[sireadKey]int32
}

// sireadKey is what a SIREAD lock covers: a relation (a table's heap, ix
// -1, or one of its indexes, ix its place among them), a page of it, a
// heap tuple (one version), or, at SSIKeys granularity, one key of an
// index.
type sireadKey struct {
	table *table
	ix    int
	kind  targetKind
	page  int32
	tuple *version
	key   ikey
}

// targetKind is a SIREAD lock's granularity.
type targetKind uint8

const (
	onRelation targetKind = iota
	onPage
	onTuple
	onKey
)

type ssiState struct {
	seq    uint64 // PostgreSQL's LastSxactCommitSeqNo: prepares and commits
	locks  map[sireadKey][]*sxact
	active int      // serializable transactions not yet ended
	ended  []*sxact // committed ones whose locks may still matter
}

func (s *ssiState) begin(tx *txn) {
	tx.sx = &sxact{tx: tx, lastCommitBeforeSnapshot: s.seq, held: make(map[sireadKey]bool)}
	s.active++
}

// The promotion thresholds of PostgreSQL's defaults: a transaction that
// holds more than maxPredLocksPerPage tuple locks on one page takes the
// page instead, and one with more than maxPredLocksPerRelation locks under
// one relation takes the relation (max_pred_locks_per_page = 2;
// max_pred_locks_per_relation = -2, which means
// max_pred_locks_per_transaction / 2 - 1 = 64 / 2 - 1).
const (
	maxPredLocksPerPage     = 2
	maxPredLocksPerRelation = 64/2 - 1
)

// parent is the next coarser target of k: a tuple's heap page, a page's
// relation.
func parent(k sireadKey) (sireadKey, bool) {
	switch k.kind {
	case onTuple:
		return sireadKey{table: k.table, ix: k.ix, kind: onPage, page: k.page}, true
	case onPage:
		return sireadKey{table: k.table, ix: k.ix, kind: onRelation}, true
	}
	return sireadKey{}, false
}

// covers reports whether a lock on k covers one on c.
func covers(k, c sireadKey) bool {
	if k.table != c.table || k.ix != c.ix || c.kind == onKey || k.kind == onKey {
		return false
	}
	switch k.kind {
	case onRelation:
		return c.kind != onRelation
	case onPage:
		return c.kind == onTuple && c.page == k.page
	}
	return false
}

// acquire is PredicateLockAcquire: take a SIREAD lock on k unless x holds
// it or a coarser lock covering it; count it under its parents, and when
// a parent has more children than its threshold, take the coarsest such
// parent instead; a new page or relation lock replaces the finer locks it
// covers.
func (s *ssiState) acquire(x *sxact, k sireadKey) {
	if x.held[k] {
		return
	}
	for p, ok := parent(k); ok; p, ok = parent(p) {
		if x.held[p] {
			return
		}
	}
	s.lock(x, k)
	if x.children == nil {
		x.children = make(map[sireadKey]int32)
	}
	var promote sireadKey
	promoted := false
	for p, ok := parent(k); ok; p, ok = parent(p) {
		x.children[p]++
		limit := int32(maxPredLocksPerRelation)
		if p.kind == onPage {
			limit = maxPredLocksPerPage
		}
		if x.children[p] > limit {
			promote, promoted = p, true
		}
	}
	if promoted {
		s.acquire(x, promote)
		return
	}
	if k.kind != onTuple {
		s.dropChildren(x, k)
	}
}

// dropChildren releases x's locks that k covers (DeleteChildTargetLocks),
// uncounting each from its parents.
func (s *ssiState) dropChildren(x *sxact, k sireadKey) {
	s.release(x, func(c sireadKey) bool { return covers(k, c) })
}

// release lets go of x's locks that drop selects, uncounting each from its
// parents (DecrementParentLocks).
func (s *ssiState) release(x *sxact, drop func(sireadKey) bool) {
	kept := x.locks[:0]
	for _, c := range x.locks {
		if !drop(c) {
			kept = append(kept, c)
			continue
		}
		delete(x.held, c)
		s.unlist(x, c)
		for p, ok := parent(c); ok; p, ok = parent(p) {
			if n := x.children[p] - 1; n > 0 {
				x.children[p] = n
			} else {
				delete(x.children, p)
			}
		}
	}
	clear(x.locks[len(kept):])
	x.locks = kept
}

// unlist removes x from the holders of k.
func (s *ssiState) unlist(x *sxact, k sireadKey) {
	holders := remove(s.locks[k], x)
	if len(holders) == 0 {
		delete(s.locks, k)
	} else {
		s.locks[k] = holders
	}
}

// pageSplit is PredicateLockPageSplit: every SIREAD lock on the index page
// that split is copied to the new page right of it, so that an insert
// there still conflicts with the readers of the range it came from.
func (s *ssiState) pageSplit(t *table, ixNo int, from, to int32) {
	holders := s.locks[sireadKey{table: t, ix: ixNo, kind: onPage, page: from}]
	if len(holders) == 0 {
		return
	}
	k := sireadKey{table: t, ix: ixNo, kind: onPage, page: to}
	for _, x := range slices.Clone(holders) {
		if x.held != nil {
			s.lock(x, k)
		}
	}
}

func (x *sxact) committed() bool { return x.tx.state == committed }

func serializationFailure(msg string) *sql.Error {
	return &sql.Error{Code: sql.CodeSerializationFailure, Msg: "could not serialize access due to read/write dependencies among transactions (" + msg + ")"}
}

// lock takes a SIREAD lock for x.
func (s *ssiState) lock(x *sxact, k sireadKey) {
	if x.held[k] {
		return
	}
	x.held[k] = true
	x.locks = append(x.locks, k)
	s.locks[k] = append(s.locks[k], x)
}

func hasConflict(reader, writer *sxact) bool {
	for _, w := range reader.out {
		if w == writer {
			return true
		}
	}
	return false
}

// concurrent reports whether writer's effects are invisible to the reader's
// snapshot (PostgreSQL's XidIsConcurrent).
func concurrent(reader *txn, writer *txn) bool {
	return !reader.snap.sees(writer)
}

// conflictOut is CheckForSerializableConflictOut: reader read (or skipped as
// invisible) a version whose creator or deleter writer is concurrent. A
// doomed reader fails at any version it reads, whoever wrote it (nil: no
// one concurrent), as PostgreSQL checks before looking at the writer.
func (s *ssiState) conflictOut(reader *sxact, writer *txn) *sql.Error {
	if reader.doomed {
		return serializationFailure("canceled on identification as a pivot, during conflict out checking")
	}
	if writer == nil {
		return nil
	}
	w := writer.sx
	if w == nil || w == reader || w.doomed || writer.state == aborted {
		return nil
	}
	if !concurrent(reader.tx, writer) || hasConflict(reader, w) {
		return nil
	}
	return s.flag(reader, w, reader)
}

// conflictIn is CheckForSerializableConflictIn: writer writes where
// concurrent serializable transactions hold SIREAD locks.
func (s *ssiState) conflictIn(writer *sxact, keys []sireadKey) *sql.Error {
	if writer.doomed {
		return serializationFailure("canceled on identification as a pivot, during conflict in checking")
	}
	for _, k := range keys {
		for _, r := range s.locks[k] {
			if r == writer || r.doomed || r.tx.state == aborted || hasConflict(r, writer) {
				continue
			}
			// A reader that committed before the writer's snapshot cannot
			// conflict: the writer already sees it.
			if r.committed() && writer.tx.snap.sees(r.tx) {
				continue
			}
			if err := s.flag(r, writer, writer); err != nil {
				return err
			}
		}
		if k.kind == onTuple && writer.held[k] {
			// A transaction that writes a tuple it read needs its SIREAD
			// lock on it no more: PostgreSQL's CheckTargetForConflictsIn
			// drops it, and the tuple no longer counts towards promoting
			// the transaction's locks to the page (checked against
			// PostgreSQL 15 by ssi-own-tuple-write).
			s.release(writer, func(c sireadKey) bool { return c == k })
		}
	}
	return nil
}

// flag records reader →rw writer after checking that it does not complete a
// dangerous structure (FlagRWConflict and
// OnConflict_CheckForSerializationFailure). me is the transaction running
// the check, the reader or the writer.
func (s *ssiState) flag(reader, writer, me *sxact) *sql.Error {
	failure := false
	// R →rw W →rw T2 with W already committed and a conflict out of W to a
	// transaction that committed before it.
	if writer.committed() && writer.conflictOut {
		failure = true
	}
	// W is a pivot with an out-conflict to T2 that prepared first.
	if !failure {
		for _, t2 := range writer.out {
			if t2.prepared &&
				(!reader.committed() || t2.prepareSeq <= reader.commitSeq) &&
				(!writer.committed() || t2.prepareSeq <= writer.commitSeq) &&
				(!reader.readOnly || t2.prepareSeq <= reader.lastCommitBeforeSnapshot) {
				failure = true
				break
			}
		}
	}
	// R is a pivot: T0 →rw R →rw W with W prepared.
	if !failure && writer.prepared && !reader.readOnly {
		for _, t0 := range reader.in {
			if !t0.doomed &&
				(!t0.committed() || t0.commitSeq >= writer.prepareSeq) &&
				(!t0.readOnly || t0.lastCommitBeforeSnapshot >= writer.prepareSeq) {
				failure = true
				break
			}
		}
	}
	if failure {
		switch {
		case me == writer:
			return serializationFailure("canceled on identification as a pivot, during write")
		case writer.prepared:
			return serializationFailure("canceled on conflict out to pivot, during read")
		}
		writer.doomed = true
	}
	reader.out = append(reader.out, writer)
	writer.in = append(writer.in, reader)
	return nil
}

// preCommit is PreCommit_CheckForSerializationFailure: a doomed transaction
// fails; a pivot T_far →rw T_near →rw me, with me committing first, dooms
// T_near (or fails me if T_near already prepared).
func (s *ssiState) preCommit(me *sxact) *sql.Error {
	if me.doomed {
		return serializationFailure("canceled on identification as a pivot, during commit attempt")
	}
	for _, near := range me.in {
		if near.committed() || near.doomed {
			continue
		}
		for _, far := range near.in {
			if far == me || (!far.committed() && !far.readOnly && !far.doomed) {
				if near.prepared {
					return serializationFailure("canceled on commit attempt with conflict in from prepared pivot")
				}
				near.doomed = true
				break
			}
		}
	}
	s.seq++
	me.prepareSeq = s.seq
	me.prepared = true
	return nil
}

// end is ReleasePredicateLocks: on commit the transaction keeps its SIREAD
// locks for as long as a concurrent serializable transaction may run; its
// conflicts to and from committed transactions are summarized in flags. On
// abort it vanishes from the graph.
func (s *ssiState) end(me *sxact, commit bool) {
	s.active--
	if commit {
		s.seq++
		me.commitSeq = s.seq
		if !me.tx.wrote {
			me.readOnly = true
		}
		var kept []*sxact
		for _, w := range me.out {
			if w.committed() && !me.readOnly {
				if !me.conflictOut || w.prepareSeq < me.earliestOutConflictCommit {
					me.earliestOutConflictCommit = w.prepareSeq
				}
				me.conflictOut = true
			}
			if w.committed() {
				w.in = remove(w.in, me)
				continue
			}
			kept = append(kept, w)
		}
		me.out = kept
		kept = nil
		for _, r := range me.in {
			if r.committed() || r.readOnly {
				r.out = remove(r.out, me)
				continue
			}
			kept = append(kept, r)
		}
		me.in = kept
		s.ended = append(s.ended, me)
	} else {
		for _, w := range me.out {
			w.in = remove(w.in, me)
		}
		for _, r := range me.in {
			r.out = remove(r.out, me)
		}
		me.in, me.out = nil, nil
		s.dropLocks(me)
	}
	if s.active == 0 {
		// No serializable transaction is running: every later one sees all
		// of these as committed before its snapshot, so none can conflict.
		for _, x := range s.ended {
			s.dropLocks(x)
			x.in, x.out = nil, nil
		}
		s.ended = nil
	}
}

func (s *ssiState) dropLocks(x *sxact) {
	for _, k := range x.locks {
		s.unlist(x, k)
	}
	x.locks = nil
	x.held = nil
	x.children = nil
}

func remove(list []*sxact, x *sxact) []*sxact {
	for i, y := range list {
		if y == x {
			return append(list[:i:i], list[i+1:]...)
		}
	}
	return list
}
