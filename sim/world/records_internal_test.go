package world

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/gateway"
	"github.com/idemsim/idemsim/sim/network"
)

// Goal: every record kind has a typed event whose decoder is the inverse
// of its encoder, field by field, and no kind is left without one. Method:
// one event per kind with every field set to a value of its own (a
// service call's identity with a caller, a service, a call number, a
// copy); each encodes to its kind and decodes to itself, and the table
// covers every kind of both ranges.
func TestEveryRecordKindRoundTrips(t *testing.T) {
	op := api.OpID{Queue: 3, Index: 7}
	call := network.DecodeMsgID(sim.Record{C: op.Pack(), D: 2, E: 1 | 2 | int64(api.ServiceDB)<<2 | 4<<8 | 5<<32})
	worker := network.DecodeMsgID(sim.Record{C: 1, D: 0, E: int64(api.ServiceKV)<<2 | 1<<5 | 4<<8 | 9<<32})
	for _, tc := range []struct {
		kind uint16
		ev   traceEvent
	}{
		{network.TraceSend, messageEvent{network.MsgRecord{Fate: network.TraceSend, Src: 1, Dst: 2, ID: call, Delay: 5 * time.Millisecond}}},
		{network.TraceDeliver, messageEvent{network.MsgRecord{Fate: network.TraceDeliver, Src: 2, Dst: 1, ID: worker}}},
		{network.TraceDrop, messageEvent{network.MsgRecord{Fate: network.TraceDrop, Src: 1, Dst: 3, ID: call}}},
		{network.TraceDuplicate, messageEvent{network.MsgRecord{Fate: network.TraceDuplicate, Src: 1, Dst: 3, ID: call, Delay: time.Second}}},
		{network.TraceReset, messageEvent{network.MsgRecord{Fate: network.TraceReset, Src: 3, Dst: 1, ID: call}}},
		{network.TraceCut, messageEvent{network.MsgRecord{Fate: network.TraceCut, Src: 3, Dst: 1, ID: call}}},
		{network.TraceLate, messageEvent{network.MsgRecord{Fate: network.TraceLate, Src: 3, Dst: 1, ID: call}}},
		{network.TracePartitionStart, partitionEvent{network.PartitionRecord{Index: 2}}},
		{network.TracePartitionEnd, partitionEvent{network.PartitionRecord{Index: 2, Heals: true}}},
		{network.TraceBroken, messageEvent{network.MsgRecord{Fate: network.TraceBroken, Src: 1, Dst: 4, ID: worker}}},
		{TraceAttempt, attemptSent{Client: 1, Server: 2, request: request{Op: op, Attempt: 2, Key: 11, Kind: api.Create}}},
		{TraceResponse, responseRead{Client: 1, Server: 2, Op: op, Attempt: 2, Status: 409, Action: Retry}},
		{TraceTimeout, timedOut{Client: 1, Server: 2, Op: op, Attempt: 3}},
		{TraceBackoff, backedOff{Client: 1, Op: op, Wait: 250 * time.Millisecond}},
		{TraceConclude, concluded{Client: 1, Op: op, Belief: 2, Status: 201}},
		{TraceHandle, handled{Server: 2, From: 1, request: request{Op: op, Attempt: 2, Key: 11, Kind: api.Create}}},
		{TraceRespond, answered{Server: 2, To: 1, Op: op, Attempt: 2, Status: 201, Resource: 4}},
		{TraceLedgerRow, ledgerEffect{DB: 5, Op: op, Table: 3, Row: 42}},
		{TraceUnavailable, unavailable{Server: 2, To: 1, Op: op, Attempt: 1}},
		{TraceCrash, crashed{Node: 2, Downtime: 2 * time.Second}},
		{TraceRestart, restarted{Node: 1, Resumes: op, Key: 12}},
		{TraceSQL, sqlRan{serviceCall: serviceCall{Service: 5, Caller: 2, Call: call}, Text: 6, Result: sqlScalar, Count: 17}},
		{TraceSQL, sqlRan{serviceCall: serviceCall{Service: 5, Caller: 2, Call: worker}, Text: 6, Result: sqlError, Code: 8}},
		{TraceDBFault, dbFaulted{serviceCall: serviceCall{Service: 5, Caller: 2, Call: call}, Fault: faults.DBLostCommitAck}},
		{TraceDBPoolWait, poolWait{Server: 2, Op: op, Attempt: 2, Size: 4}},
		{TraceCrashPoint, crashPoint{Server: 2, Op: op, Point: 9, Nth: 3}},
		{TracePause, paused{Node: 3, For: 400 * time.Millisecond}},
		{TraceThaw, thawed{Node: 3}},
		{TraceKV, kvRan{serviceCall: serviceCall{Service: 6, Caller: 2, Call: worker}, Op: kvCompareAndDelete, Key: 10, Result: kvNo}},
		{TraceFailover, failedOver{Store: 6, Lost: 3, Lag: 20 * time.Millisecond}},
		{TraceCharge, money{Gateway: 7, Op: op, Charge: 12, Cents: 1999}},
		{TraceRefund, money{Gateway: 7, Op: op, Charge: 12, Cents: 1999, Refund: true}},
		{TraceGatewayFault, gatewayFaulted{Gateway: 7, To: 2, Op: op, Attempt: 2, Fault: faults.Gateway500}},
		{TraceQueue, queued{Queue: 8, Peer: 2, Op: op, Message: 13, Action: qReceive}},
		{TraceGateway, gatewayRan{serviceCall: serviceCall{Service: 7, Caller: 2, Call: call}, Op: gwCharge, Kind: gateway.Kind(2), Status: 402, Charge: 12}},
		{TraceLedgerDelete, ledgerEffect{DB: 5, Op: op, Table: 3, Row: 42, Deleted: true}},
	} {
		t.Run(kindName(tc.kind), func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./sim/world")
			r := tc.ev.record()
			require.Equal(t, tc.kind, r.Kind, "the event encodes to another kind; %s", rerun)
			assert.Equal(t, tc.ev, decode(r), "decoding does not give the event back; %s", rerun)
		})
	}
	t.Run("every kind has its event", func(t *testing.T) {
		rerun := testcmd.Rerun(t, "./sim/world")
		for k := sim.NetworkKinds; k < TraceLedgerDelete+1; k++ {
			if k == network.TraceBroken+1 {
				k = sim.WorldKinds
			}
			_, unknown := decode(sim.Record{Kind: k}).(unknownRecord)
			assert.False(t, unknown, "record kind %d has no typed event; %s", k, rerun)
		}
		_, unknown := decode(sim.Record{Kind: TraceLedgerDelete + 1}).(unknownRecord)
		assert.True(t, unknown, "a kind past the last decodes as a known one: add its case to the test's table; %s", rerun)
	})
}

// kindName names a subtest after its record kind.
func kindName(k uint16) string {
	if network.IsRecord(k) {
		return "network-" + strconv.Itoa(int(k-sim.NetworkKinds))
	}
	return "world-" + strconv.Itoa(int(k-sim.WorldKinds))
}
