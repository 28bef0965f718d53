package db

import (
	"github.com/idemsim/idemsim/sim/db/sql"
)

// This file is serializable snapshot isolation as PostgreSQL implements it
// (src/backend/storage/lmgr/predicate.c): SIREAD locks record what each
// serializable transaction read; a read of a version written by a
// concurrent transaction, or a write over a concurrent transaction's SIREAD
// lock, is a rw-antidependency reader →rw writer; a transaction is
// cancelled with 40001 when it would complete a dangerous structure
// T0 →rw T1 →rw T2 in which T2 commits first, at the statement or commit
// where PostgreSQL cancels it. Lock granularity follows PostgreSQL's for
// the plans it picks here: a lookup of keys of a unique index locks those
// keys (the B-tree entries), any other scan locks the whole table.

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
}

// sireadKey is what a SIREAD lock covers: a whole table (ix -1) or one key
// of a unique index (ix its place among the table's indexes).
type sireadKey struct {
	table *table
	ix    int
	key   ikey
}

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
// invisible) a version whose creator or deleter writer is concurrent.
func (s *ssiState) conflictOut(reader *sxact, writer *txn) *sql.Error {
	if reader.doomed {
		return serializationFailure("canceled on identification as a pivot, during conflict out checking")
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
		holders := remove(s.locks[k], x)
		if len(holders) == 0 {
			delete(s.locks, k)
		} else {
			s.locks[k] = holders
		}
	}
	x.locks = nil
	x.held = nil
}

func remove(list []*sxact, x *sxact) []*sxact {
	for i, y := range list {
		if y == x {
			return append(list[:i:i], list[i+1:]...)
		}
	}
	return list
}
