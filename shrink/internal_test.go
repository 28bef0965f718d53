package shrink

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim/api"
)

// Goal: ddmin finds a 1-minimal subset. Method: predicates that need
// some items; the result holds them and nothing else.
func TestDDMin(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
		need []int
		want []int
	}{
		{"one-of-many", 50, []int{37}, []int{37}},
		{"two-far-apart", 40, []int{3, 38}, []int{3, 38}},
		{"three-adjacent", 9, []int{4, 5, 6}, []int{4, 5, 6}},
		{"none-needed", 8, nil, nil},
		{"all-needed", 4, []int{1, 2, 3, 4}, []int{1, 2, 3, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			got := ddmin(seq(tc.n), func(kept []int) bool {
				calls++
				for _, x := range tc.need {
					if !slices.Contains(kept, x) {
						return false
					}
				}
				return true
			})
			assert.Equal(t, tc.want, got, testcmd.Rerun(t, "./shrink"))
			assert.Less(t, calls, 4*tc.n+4, "calls; "+testcmd.Rerun(t, "./shrink"))
		})
	}
}

// Goal: a layout renames what it keeps the way a run of its size names
// it, and drops faults on what it removes. Method: 4 queues x 2 workers,
// 5 ops, 3 servers; keep queues 2 and 4, slot 2, ops 3 and 5, 1 server.
func TestLayoutRenames(t *testing.T) {
	l := layout{workers: 2, queues: []int{2, 4}, slots: []int{2}, ops: []int{3, 5}, servers: 1}
	msg := func(f faults.Fault) faults.Fault { return f }
	ref := func(caller string, q, i int32) faults.Ref {
		return faults.Ref{Caller: caller, Op: api.OpID{Queue: q, Index: i}, Attempt: 1}
	}
	for _, tc := range []struct {
		name string
		in   faults.Fault
		want string // "" when dropped
	}{
		{"kept-client-and-op", msg(faults.Fault{Kind: faults.DropResponse, Msg: ref("c8", 4, 5)}), "drop-response c2/o2.2/a1 at=0s"},
		{"removed-slot", msg(faults.Fault{Kind: faults.DropResponse, Msg: ref("c7", 4, 5)}), ""},
		{"removed-queue", msg(faults.Fault{Kind: faults.DropResponse, Msg: ref("c2", 1, 5)}), ""},
		{"removed-op", msg(faults.Fault{Kind: faults.DropResponse, Msg: ref("c4", 2, 4)}), ""},
		{"service-call", msg(faults.Fault{Kind: faults.DBLostCommitAck, Msg: faults.Ref{Caller: "c4", Op: api.OpID{Queue: 2, Index: 3}, Attempt: 2, Service: api.ServiceDB, Call: 4}}), "db-lost-commit-ack c1/o1.1/a2/db4 at=0s"},
		{"kept-server-crash", faults.Fault{Kind: faults.CrashFault, Crash: faults.Crash{Node: "s1", Downtime: 1}}, "crash s1@0s+1ns"},
		{"removed-server-crash", faults.Fault{Kind: faults.CrashFault, Crash: faults.Crash{Node: "s3", Downtime: 1}}, ""},
		{"store-restart", faults.Fault{Kind: faults.CrashFault, Crash: faults.Crash{Node: "kv", Downtime: 1}}, "crash kv@0s+1ns"},
		{"client-crash", faults.Fault{Kind: faults.ClientCrashFault, Crash: faults.Crash{Node: "c4", Downtime: 1}}, "client-crash c1@0s+1ns"},
		{"partition-half-removed", faults.Fault{Kind: faults.PartitionFault, Partition: faults.Partition{A: faults.NodeSet{"c1", "c4"}, B: faults.NodeSet{"s1", "s2"}, To: 1}}, "partition c1|s1@0s..1ns"},
		{"partition-all-removed", faults.Fault{Kind: faults.PartitionFault, Partition: faults.Partition{A: faults.NodeSet{"c1"}, B: faults.NodeSet{"clients"}, To: 1}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := l.fault(tc.in)
			if tc.want == "" {
				assert.False(t, ok, "dropped: %s; %s", got, testcmd.Rerun(t, "./shrink"))
				return
			}
			assert.True(t, ok, testcmd.Rerun(t, "./shrink"))
			assert.Equal(t, tc.want, got.String(), testcmd.Rerun(t, "./shrink"))
		})
	}
	l.fold = true
	got, ok := l.fault(faults.Fault{Kind: faults.CrashFault, Crash: faults.Crash{Node: "s3", Downtime: 1}})
	assert.True(t, ok, testcmd.Rerun(t, "./shrink"))
	assert.Equal(t, "s1", got.Crash.Node, "folded onto a kept server; "+testcmd.Rerun(t, "./shrink"))
}

// Goal: a rotated layout renames every server and what names one (a
// timed fault, a crash point, a background worker's call), and leaves
// clients and services alone. Method: 3 servers rotated by one.
func TestLayoutRotates(t *testing.T) {
	rerun := testcmd.Rerun(t, "./shrink")
	l := layout{workers: 1, queues: seq(2), slots: seq(1), ops: seq(1), servers: 3, rotate: 1}
	for _, tc := range []struct{ in, want string }{
		{"pause s1@1s+2s", "pause s2@1s+2s"},
		{"crash s3@1s+2s", "crash s1@1s+2s"},
		{"crash-at s2:after-charge#1+1s at=0s", "crash-at s3:after-charge#1+1s at=0s"},
		{"drop-request s3/consumer/queue2 at=0s", "drop-request s1/consumer/queue2 at=0s"},
		{"drop-response c2/o2.1/a1 at=0s", "drop-response c2/o2.1/a1 at=0s"},
		{"crash kv@1s+1s", "crash kv@1s+1s"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			f, err := faults.ParseFault(tc.in)
			require.NoError(t, err, rerun)
			got, ok := l.fault(f)
			assert.True(t, ok, rerun)
			assert.Equal(t, tc.want, got.String(), rerun)
		})
	}
}

// Goal: the attempt moves name the faults a run without the first
// attempts' faults needs: collapsing an attempt drops its faults (on the
// request, its copy and its service calls) and renumbers the later
// attempts of the same client and operation only; moving a fault to the
// first attempt skips one that would make a fault the list holds.
// Method: a list as a chaos world leaves it, and the candidates as text.
func TestAttemptMoves(t *testing.T) {
	rerun := testcmd.Rerun(t, "./shrink")
	var list []faults.Fault
	for _, line := range []string{
		"drop-request c1/o1.1/a1 at=0s",
		"drop-request c1/o1.1/a2 at=0.3s",
		"db-drop-connection c1/o1.1/a2/db1 at=0.3s",
		"duplicate-request c1/o1.1/a3 at=0.7s extra=6ms",
		"drop-response c2/o2.1/a2 at=0.4s",
		"crash s1@1s+1s",
	} {
		f, err := faults.ParseFault(line)
		require.NoError(t, err, rerun)
		list = append(list, f)
	}
	text := func(lists [][]faults.Fault) [][]string {
		var out [][]string
		for _, l := range lists {
			var lines []string
			for _, f := range l {
				lines = append(lines, f.Identity())
			}
			out = append(out, lines)
		}
		return out
	}
	assert.Equal(t, [][]string{
		{"drop-request c1/o1.1/a1", "db-drop-connection c1/o1.1/a1/db1", "duplicate-request c1/o1.1/a2", "drop-response c2/o2.1/a2", "crash s1@1s+1s"},
		{"drop-request c1/o1.1/a1", "duplicate-request c1/o1.1/a2", "drop-response c2/o2.1/a2", "crash s1@1s+1s"},
		{"drop-request c1/o1.1/a1", "drop-request c1/o1.1/a2", "db-drop-connection c1/o1.1/a2/db1", "drop-response c2/o2.1/a2", "crash s1@1s+1s"},
		{"drop-request c1/o1.1/a1", "drop-request c1/o1.1/a2", "db-drop-connection c1/o1.1/a2/db1", "duplicate-request c1/o1.1/a3", "crash s1@1s+1s"},
	}, text(collapses(list)), "collapses; "+rerun)
	assert.Equal(t, [][]string{
		{"drop-request c1/o1.1/a1", "drop-request c1/o1.1/a2", "db-drop-connection c1/o1.1/a1/db1", "duplicate-request c1/o1.1/a3", "drop-response c2/o2.1/a2", "crash s1@1s+1s"},
		{"drop-request c1/o1.1/a1", "drop-request c1/o1.1/a2", "db-drop-connection c1/o1.1/a2/db1", "duplicate-request c1/o1.1/a1", "drop-response c2/o2.1/a2", "crash s1@1s+1s"},
		{"drop-request c1/o1.1/a1", "drop-request c1/o1.1/a2", "db-drop-connection c1/o1.1/a2/db1", "duplicate-request c1/o1.1/a3", "drop-response c2/o2.1/a1", "crash s1@1s+1s"},
	}, text(earlier(list)), "moves to the first attempt; "+rerun)
}
