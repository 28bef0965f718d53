package db

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/db/sql"
)

// Goal: tuples take the bytes PostgreSQL 15 gives them. Method: rows whose
// sizes were read on PostgreSQL 15 with pageinspect (heap_page_items'
// lp_len, bt_page_items' itemlen), plus alignment and a line pointer.
func TestTupleSizes(t *testing.T) {
	runDB(t, func(k *sim.Kernel, d *DB, p *sim.Proc) {
		s := d.Connect()
		mustExec(t, p, s, "create table keys (key text primary key, status text not null, recovery_point text, response_code int, locked_at bigint, version int)")
		mustExec(t, p, s, "create table kv (k int primary key, v int)")
		keys, kv := d.tables["keys"], d.tables["kv"]
		txt, i := sql.TextValue, sql.IntValue
		for _, tc := range []struct {
			name      string
			t         *table
			vals      []sql.Value
			heap, idx int32 // PostgreSQL's lp_len and itemlen
		}{
			{"started key", keys, []sql.Value{txt("k1"), txt("started"), txt("created"), {}, i(100), i(1)}, 60, 16},
			{"done key", keys, []sql.Value{txt("k2"), txt("done"), txt("finished"), i(201), {}, i(2)}, 52, 16},
			{"int pair", kv, []sql.Value{i(1), i(0)}, 32, 16},
		} {
			assert.Equal(t, maxAlign(tc.heap)+lineSize, tc.t.heapTupleSize(tc.vals), "%s: heap tuple; %s", tc.name, rerun(t))
			assert.Equal(t, tc.idx+lineSize, tc.t.indexes[0].tupleSize(tc.t, tc.vals), "%s: index tuple; %s", tc.name, rerun(t))
		}
	})
}

// Goal: a leaf splits where PostgreSQL 15's did: 600 int keys inserted in
// ascending order leave two leaves, the right one starting at 733 (the
// high key bt_page_items showed), and a reader's lock on the old leaf is
// copied to the new one. Method: lock the only leaf, insert the keys, look
// at the leaves and the lock table.
func TestLeafSplit(t *testing.T) {
	runDB(t, func(k *sim.Kernel, d *DB, p *sim.Proc) {
		s := d.Connect()
		mustExec(t, p, s, "create table kv (k int primary key, v int)")
		mustExec(t, p, s, "insert into kv values (1, 0)")
		reader := d.Connect()
		mustExec(t, p, reader, "begin transaction isolation level serializable")
		mustExec(t, p, reader, "select * from kv where k = 1")
		var vals []string
		for k := 3; k < 1200; k += 2 {
			vals = append(vals, "("+strconv.Itoa(k)+", 0)")
		}
		mustExec(t, p, s, "insert into kv values "+strings.Join(vals, ", "))
		tbl := d.tables["kv"]
		leaves := tbl.indexes[0].bt.leaves
		require.Len(t, leaves, 2, rerun(t))
		assert.Equal(t, sql.IntValue(733), leaves[1].low.a, "the right leaf's first key; %s", rerun(t))
		for _, l := range leaves {
			held := d.ssi.locks[sireadKey{table: tbl, ix: 0, kind: onPage, page: l.block}]
			assert.Len(t, held, 1, "leaf %d: the reader's lock; %s", l.block, rerun(t))
		}
	})
}

// Goal: PostgreSQL's promotion thresholds: a third tuple lock on one heap
// page becomes a page lock (max_pred_locks_per_page = 2), and a 32nd lock
// under one relation a relation lock (64 / 2 - 1 = 31 allowed). Method:
// acquire tuple locks and page locks directly and look at what is held.
func TestLockPromotion(t *testing.T) {
	runDB(t, func(k *sim.Kernel, d *DB, p *sim.Proc) {
		tbl := &table{name: "t"}
		tuple := func(page int32) sireadKey {
			return sireadKey{table: tbl, ix: -1, kind: onTuple, page: page, tuple: &version{page: page}}
		}
		pageKey := func(page int32) sireadKey { return sireadKey{table: tbl, ix: -1, kind: onPage, page: page} }
		rel := sireadKey{table: tbl, ix: -1}
		for _, tc := range []struct {
			name     string
			take     []sireadKey
			held     []sireadKey
			heldLen  int
			released []sireadKey
		}{
			{"two tuples stay", []sireadKey{tuple(0), tuple(0)}, nil, 2, []sireadKey{pageKey(0), rel}},
			{"three tuples make a page", []sireadKey{tuple(0), tuple(0), tuple(0)}, []sireadKey{pageKey(0)}, 1, []sireadKey{rel}},
			{"a fourth is covered", []sireadKey{tuple(0), tuple(0), tuple(0), tuple(0)}, []sireadKey{pageKey(0)}, 1, nil},
			{"31 pages stay", pages(pageKey, 31), nil, 31, []sireadKey{rel}},
			{"32 pages make a relation", pages(pageKey, 32), []sireadKey{rel}, 1, nil},
		} {
			s := &ssiState{locks: make(map[sireadKey][]*sxact)}
			x := &sxact{held: make(map[sireadKey]bool)}
			for _, k := range tc.take {
				s.acquire(x, k)
			}
			for _, k := range tc.held {
				assert.True(t, x.held[k], "%s: %v held; %s", tc.name, k.kind, rerun(t))
			}
			for _, k := range tc.released {
				assert.False(t, x.held[k], "%s: %v not held; %s", tc.name, k.kind, rerun(t))
			}
			assert.Len(t, x.locks, tc.heldLen, "%s: locks held; %s", tc.name, rerun(t))
			assert.Len(t, s.locks, tc.heldLen, "%s: the lock table; %s", tc.name, rerun(t))
		}
	})
}

func pages(key func(int32) sireadKey, n int) []sireadKey {
	out := make([]sireadKey, n)
	for i := range out {
		out[i] = key(int32(i))
	}
	return out
}

// Goal: an update that changes no indexed column and fits on its page is a
// HOT update (no index entry), one that changes a key is not, and a page
// that fills up is pruned of versions no one can see before a version
// moves off it. Method: update one row many times alone, then change its
// key; count index entries and heap pages.
func TestHOTUpdates(t *testing.T) {
	runDB(t, func(k *sim.Kernel, d *DB, p *sim.Proc) {
		s := d.Connect()
		mustExec(t, p, s, "create table kv (k int primary key, v int)")
		mustExec(t, p, s, "insert into kv values (1, 0)")
		for range 1000 {
			mustExec(t, p, s, "update kv set v = v + 1 where k = 1")
		}
		tbl := d.tables["kv"]
		entries := func() int { return len(tbl.indexes[0].bt.leaves[0].ents) }
		assert.Equal(t, 1, entries(), "HOT updates add no index entry; %s", rerun(t))
		assert.Len(t, tbl.heap, 1, "pruning keeps the row on its page; %s", rerun(t))
		mustExec(t, p, s, "update kv set k = 2 where k = 1")
		assert.Equal(t, 2, entries(), "a key change adds an entry; %s", rerun(t))
	})
}
