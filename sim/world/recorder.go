package world

import (
	"slices"
	"strconv"
	"strings"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/db"
	"github.com/idemsim/idemsim/sim/gateway"
	"github.com/idemsim/idemsim/sim/network"
)

// A Recorder writes the trace of a run made outside the simulator (live
// mode) as the very records a simulated run of the same world writes,
// with the typed events and encoders of records.go and of sim/network, so
// that the Result it is attached to prints its timeline (WriteTrace) and
// gives its events (Events, and the sequence diagram drawn from them) as a
// simulated Result does. Its nodes are the world's: its clients, its
// servers, then the services.
//
// Each method records one event at the moment given. Records may come out
// of order (an effect read from the database at the end carries the moment
// it committed): Attach puts them in order of their moments, keeping the
// order they were recorded in for equal moments. A Recorder is not safe
// for concurrent use: a caller with several goroutines serializes its
// calls (and takes each moment under the same lock, so that records are
// already in order).
type Recorder struct {
	w       *World
	keyIDs  map[string]int
	records []sim.Record
}

// NewRecorder returns a recorder for a run of cfg.
func NewRecorder(cfg Config) *Recorder {
	ch := sim.NewSeeded(cfg.Seed)
	w := &World{cfg: cfg, k: sim.New(ch), ch: ch, trace: sim.NewTrace(true),
		strIDs: make(map[string]strID), workerCalls: make(map[string]*callCounts)}
	w.net = network.New(w.k, w.trace, &w.log, cfg.Faults)
	for i := 0; i < cfg.Clients; i++ {
		c := &client{w: w, name: "c" + strconv.Itoa(i+1)}
		c.id = w.net.AddNode(c.name, network.GroupClients, nil)
		w.clients = append(w.clients, c)
	}
	for i := 0; i < cfg.Servers; i++ {
		s := &server{w: w, name: "s" + strconv.Itoa(i+1)}
		s.id = w.net.AddNode(s.name, network.GroupServers, nil)
		w.servers = append(w.servers, s)
	}
	for _, s := range api.Services() {
		w.net.AddService(s, nil)
	}
	return &Recorder{w: w, keyIDs: make(map[string]int)}
}

// Attach makes r's records res's trace, in order of their moments, so
// that res.WriteTrace and res.Events read them; it sets res.TraceHash and
// res.TraceLen. A Recorder is attached once.
func (r *Recorder) Attach(res *Result) {
	slices.SortStableFunc(r.records, func(a, b sim.Record) int {
		switch {
		case a.At < b.At:
			return -1
		case a.At > b.At:
			return 1
		}
		return 0
	})
	for _, rec := range r.records {
		r.w.trace.Add(rec)
	}
	r.records = nil
	res.w, res.TraceHash, res.TraceLen = r.w, r.w.trace.Hash(), r.w.trace.Len()
}

func (r *Recorder) add(at sim.Time, rec sim.Record) {
	rec.At = at
	r.records = append(r.records, rec)
}

// node is the node named name; a name the world does not have (a server
// beyond --servers) is added, so that nothing recorded is lost.
func (r *Recorder) node(name string) network.NodeID {
	if id, ok := r.w.net.Lookup(name); ok {
		return id
	}
	return r.w.net.AddNode(name, network.GroupServers, nil)
}

// key is key's index in the world's key table, which request records
// carry.
func (r *Recorder) key(key string) int {
	id, ok := r.keyIDs[key]
	if !ok {
		id = len(r.w.keys)
		r.w.keys = append(r.w.keys, key)
		r.keyIDs[key] = id
	}
	return id
}

// msgID is the identity of the message ref names, its caller added as a
// node if the world has none of that name.
func (r *Recorder) msgID(ref faults.Ref, dir network.Dir) network.MsgID {
	r.node(ref.Caller)
	id, _ := r.w.net.IDOf(ref, dir)
	return id
}

// Attempt: client sends attempt attempt of op (a request of kind under
// key), which the balancer routes to server.
func (r *Recorder) Attempt(at sim.Time, client, server string, op api.OpID, attempt int32, key string, kind api.Kind) {
	r.add(at, attemptSent{Client: r.node(client), Server: r.node(server),
		request: request{Op: op, Attempt: attempt, Key: r.key(key), Kind: kind}}.record())
}

// Response: client reads status in answer to the attempt, and acts.
func (r *Recorder) Response(at sim.Time, client, server string, op api.OpID, attempt int32, status int, heard Action) {
	r.add(at, responseRead{Client: r.node(client), Server: r.node(server), Op: op, Attempt: attempt, Status: status, Action: heard}.record())
}

// Timeout: client stops waiting for the attempt.
func (r *Recorder) Timeout(at sim.Time, client, server string, op api.OpID, attempt int32) {
	r.add(at, timedOut{Client: r.node(client), Server: r.node(server), Op: op, Attempt: attempt}.record())
}

// Backoff: client waits before its next attempt at op.
func (r *Recorder) Backoff(at sim.Time, client string, op api.OpID, wait sim.Duration) {
	r.add(at, backedOff{Client: r.node(client), Op: op, Wait: wait}.record())
}

// Conclude: client stops working on op, believing belief, decided by
// status (0: none).
func (r *Recorder) Conclude(at sim.Time, client string, op api.OpID, belief Belief, status int) {
	r.add(at, concluded{Client: r.node(client), Op: op, Belief: belief, Status: status}.record())
}

// Handle: server starts on the attempt's request from client.
func (r *Recorder) Handle(at sim.Time, server, client string, op api.OpID, attempt int32, key string, kind api.Kind) {
	r.add(at, handled{Server: r.node(server), From: r.node(client),
		request: request{Op: op, Attempt: attempt, Key: r.key(key), Kind: kind}}.record())
}

// Answer: server answers the attempt with status, naming resource.
func (r *Recorder) Answer(at sim.Time, server, client string, op api.OpID, attempt int32, status int, resource string) {
	r.add(at, answered{Server: r.node(server), To: r.node(client), Op: op, Attempt: attempt, Status: status,
		Resource: r.w.intern(resource)}.record())
}

// Unavailable: server is down, and the balancer answers 502 for it.
func (r *Recorder) Unavailable(at sim.Time, server, client string, op api.OpID, attempt int32) {
	r.add(at, unavailable{Server: r.node(server), To: r.node(client), Op: op, Attempt: attempt}.record())
}

// Message: what became of the message ref names between src and dst (a
// request, or its response): fate is one of sim/network's message kinds
// (network.TraceSend ... network.TraceBroken), delay the latency of a sent
// one or when a duplicate's copy arrives.
func (r *Recorder) Message(at sim.Time, fate uint16, src, dst string, ref faults.Ref, response bool, delay sim.Duration) {
	dir := network.Request
	if response {
		dir = network.Response
	}
	rec := network.MsgRecord{Fate: fate, Src: r.node(src), Dst: r.node(dst), ID: r.msgID(ref, dir), Delay: delay}
	r.add(at, messageEvent{rec}.record())
}

// LedgerRow: row id of ledger table source commits for op, or its
// deletion does.
func (r *Recorder) LedgerRow(at sim.Time, source string, id int64, op api.OpID, deleted bool) {
	r.add(at, ledgerEffect{DB: r.node(api.ServiceDB.String()), Op: op, Table: r.w.intern(source), Row: id, Deleted: deleted}.record())
}

// Charge: the gateway's charge moves cents for op, or its refund returns
// them.
func (r *Recorder) Charge(at sim.Time, charge string, cents int64, op api.OpID, refund bool) {
	r.add(at, money{Gateway: r.node(api.ServiceGateway.String()), Op: op, Charge: r.w.intern(charge), Cents: cents, Refund: refund}.record())
}

// GatewayCharge: the gateway received the charge call ref from server and
// began processing it as charge.
func (r *Recorder) GatewayCharge(at sim.Time, server string, ref faults.Ref, charge string) {
	r.gatewayRan(at, server, ref, gatewayRan{Op: gwCharge, Charge: r.w.intern(charge)})
}

// GatewayFault: a gateway fault (faults.GatewayTimeout or Gateway500) hit
// the answer to server's charge call for the attempt.
func (r *Recorder) GatewayFault(at sim.Time, server string, op api.OpID, attempt int32, kind faults.Kind) {
	r.add(at, gatewayFaulted{Gateway: r.node(api.ServiceGateway.String()), To: r.node(server), Op: op, Attempt: attempt, Fault: kind}.record())
}

// SQL: the database ran query, the call ref from server, with the result
// res or the error err.
func (r *Recorder) SQL(at sim.Time, server string, ref faults.Ref, query string, res api.Result, err error) {
	call := serviceCall{Service: r.node(api.ServiceDB.String()), Caller: r.node(server), Call: r.msgID(ref, network.Request)}
	e := sqlRan{serviceCall: call, Text: r.w.intern(query)}
	verb, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(query)), " ")
	changed := verb == "insert" || verb == "update" || verb == "delete"
	r.w.sqlOutcome(&e, err, &db.Result{HasRows: res.Cols != nil, Rows: res.Rows, Affected: res.Affected}, changed)
	r.add(at, e.record())
}

// DBFault: a database fault (faults.DBDropConnection or DBLostCommitAck)
// hit the call ref from server.
func (r *Recorder) DBFault(at sim.Time, server string, ref faults.Ref, kind faults.Kind) {
	call := serviceCall{Service: r.node(api.ServiceDB.String()), Caller: r.node(server), Call: r.msgID(ref, network.Request)}
	r.add(at, dbFaulted{serviceCall: call, Fault: kind}.record())
}

// Crash: node (a server, or "kv") crashes, down for downtime.
func (r *Recorder) Crash(at sim.Time, node string, downtime sim.Duration) {
	r.add(at, crashed{Node: r.node(node), Downtime: downtime}.record())
}

// Restart: node comes back.
func (r *Recorder) Restart(at sim.Time, node string) {
	r.add(at, restarted{Node: r.node(node)}.record())
}

// CrashPoint: server reaches point for the nth time serving op, and
// crashes there.
func (r *Recorder) CrashPoint(at sim.Time, server string, op api.OpID, point string, nth int) {
	r.add(at, crashPoint{Server: r.node(server), Op: op, Point: r.w.intern(point), Nth: nth}.record())
}

// Pause: node freezes for d.
func (r *Recorder) Pause(at sim.Time, node string, d sim.Duration) {
	r.add(at, paused{Node: r.node(node), For: d}.record())
}

// Thaw: a paused node runs again.
func (r *Recorder) Thaw(at sim.Time, node string) {
	r.add(at, thawed{Node: r.node(node)}.record())
}

// KV: the store ran command on key, the call ref from server; command is
// one the simulated timeline names (GET, SET, DEL, PEXPIRE, PTTL, INCR,
// CAD: see kvOpNames), yes says its result reads as a hit, OK, a deletion,
// a release or 1, and failed that it answered an error. It reports false,
// recording nothing, for a command the simulated store does not have.
func (r *Recorder) KV(at sim.Time, server string, ref faults.Ref, command, key string, yes, failed bool) bool {
	op := slices.Index(kvOpNames[:], command)
	if op < 0 {
		return false
	}
	result := kvNo
	switch {
	case failed:
		result = kvFailed
	case yes:
		result = kvYes
	}
	call := serviceCall{Service: r.node(api.ServiceKV.String()), Caller: r.node(server), Call: r.msgID(ref, network.Request)}
	r.add(at, kvRan{serviceCall: call, Op: kvOp(op), Key: r.w.intern(key), Result: result}.record())
	return true
}

// QueueSent: the queue stored message id, which node sent for op.
func (r *Recorder) QueueSent(at sim.Time, node string, op api.OpID, id string) {
	r.queued(at, node, op, id, qSend)
}

// QueueDelivered: the queue handed the message with receipt to node; op is
// the operation the message serves.
func (r *Recorder) QueueDelivered(at sim.Time, node string, op api.OpID, receipt string) {
	r.queued(at, node, op, receipt, qReceive)
}

// QueueDeleted: the queue deleted the message with receipt, for node.
func (r *Recorder) QueueDeleted(at sim.Time, node, receipt string) {
	r.queued(at, node, api.OpID{}, receipt, qAck)
}

func (r *Recorder) queued(at sim.Time, node string, op api.OpID, message string, action qOp) {
	r.add(at, queued{Queue: r.node(api.ServiceQueue.String()), Peer: r.node(node), Op: op, Message: r.w.intern(message), Action: action}.record())
}

// GatewayAnswered: the gateway answered server's charge call ref at once,
// without beginning a charge: it replayed one or refused (outcome is the
// word its answer carries, as the simulated gateway's outcomes are named,
// status its HTTP status). It reports false, recording nothing, for an
// outcome the simulated gateway does not have.
func (r *Recorder) GatewayAnswered(at sim.Time, server string, ref faults.Ref, outcome string, status int, charge string) bool {
	for k := gateway.Charged; k < 16; k++ { // past the last kind, a name no answer carries
		if k.String() == outcome {
			r.gatewayRan(at, server, ref, gatewayRan{Op: gwCharge, Kind: k, Status: status, Charge: r.w.intern(charge)})
			return true
		}
	}
	return false
}

// GatewayLookup: the gateway looked up a charge for server's call ref, by
// key or by id, and found charge in state (processing, succeeded), or
// nothing (charge "").
func (r *Recorder) GatewayLookup(at sim.Time, server string, ref faults.Ref, byKey bool, state, charge string) {
	e := gatewayRan{Op: gwLookupID, Charge: r.w.intern(charge)}
	if byKey {
		e.Op = gwLookupKey
	}
	for s := gateway.StatusNone; s < 16; s++ {
		if s.String() == state {
			e.Kind = gateway.Kind(s)
			break
		}
	}
	r.gatewayRan(at, server, ref, e)
}

// GatewayRefund: server's call ref asked the gateway to refund charge.
func (r *Recorder) GatewayRefund(at sim.Time, server string, ref faults.Ref, charge string) {
	r.gatewayRan(at, server, ref, gatewayRan{Op: gwRefund, Charge: r.w.intern(charge)})
}

func (r *Recorder) gatewayRan(at sim.Time, server string, ref faults.Ref, e gatewayRan) {
	e.serviceCall = serviceCall{Service: r.node(api.ServiceGateway.String()), Caller: r.node(server), Call: r.msgID(ref, network.Request)}
	r.add(at, e.record())
}
