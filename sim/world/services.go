package world

import (
	"errors"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/gateway"
	"github.com/idemsim/idemsim/sim/kv"
	"github.com/idemsim/idemsim/sim/network"
	"github.com/idemsim/idemsim/sim/queue"
)

// The store, the gateway and the queue are nodes of the network. Each
// applies a command when its message arrives (the store and the queue are
// single-threaded and fast; their time is the link's), reads its own clock,
// and answers over the network.

// kvNode is the Redis-like store.
type kvNode struct {
	w     *World
	id    network.NodeID
	store *kv.Store
	clock Clock
	up    bool
}

// live counts the store's keys that have not expired.
func (n *kvNode) live() int { return n.store.Live(n.clock.read(n.w.k.Now())) }

func newKVNode(w *World) *kvNode {
	st := must(kv.New(w.cfg.Services.KV))
	n := &kvNode{w: w, store: st, clock: w.clock("kv"), up: true}
	n.id = w.net.AddService(api.ServiceKV, n.deliver)
	return n
}

// kvCmd is one store command.
type kvCmd struct {
	op         kvOp
	key, value string
	keys       []string
	opt        api.SetOptions
	ttl        sim.Duration
}

type kvOp uint8

const (
	kvGet kvOp = iota
	kvSet
	kvDel
	kvExpire
	kvTTL
	kvIncr
	kvCompareAndDelete
)

var kvOpNames = [...]string{"GET", "SET", "DEL", "PEXPIRE", "PTTL", "INCR", "CAD"}

// kvReply is the store's answer.
type kvReply struct {
	value string
	ok    bool
	n     int64
	ttl   sim.Duration
	err   error
}

func (n *kvNode) deliver(m *network.Msg) {
	n.w.checkHeld()
	w := n.w
	c := m.Payload.(*kvCmd)
	n.restartBefore(m)
	if !n.up {
		w.net.Reply(m, &kvReply{err: api.ErrConnection})
		w.net.Release(m)
		return
	}
	now := n.clock.read(w.k.Now())
	st := n.store
	var r kvReply
	switch c.op {
	case kvGet:
		r.value, r.ok = st.Get(now, c.key)
	case kvSet:
		r.ok, r.err = st.Set(now, c.key, c.value, kv.SetOptions{NX: c.opt.NX, XX: c.opt.XX, TTL: c.opt.TTL, KeepTTL: c.opt.KeepTTL})
	case kvDel:
		r.n = int64(st.Del(now, c.keys...))
	case kvExpire:
		r.ok = st.Expire(now, c.key, c.ttl)
	case kvTTL:
		r.ttl = st.TTL(now, c.key)
	case kvIncr:
		r.n, r.err = st.Incr(now, c.key)
	case kvCompareAndDelete:
		r.ok = st.CompareAndDelete(now, c.key, c.value)
	}
	switch {
	case errors.Is(r.err, kv.ErrOOM):
		r.err = api.ErrOOM
	case errors.Is(r.err, kv.ErrNotInteger):
		r.err = api.ErrNotInteger
	case errors.Is(r.err, kv.ErrOverflow):
		r.err = api.ErrOverflow
	}
	result := kvNo
	if r.ok || c.op == kvDel && r.n > 0 {
		result = kvYes
	}
	if r.err != nil {
		result = kvFailed
	}
	w.add(kvRan{serviceCall: w.callTo(n.id, m), Op: c.op, Key: w.intern(c.key), Result: result}.record())
	w.net.Reply(m, &r)
	w.net.Release(m) // the store answers at once and keeps nothing of m
}

// restart is a store restart with persistence off: every key is lost, and
// the store answers nothing while it is down.
func (n *kvNode) restart(downtime sim.Duration) {
	w := n.w
	n.restartWith(faults.Fault{Kind: faults.CrashFault, At: w.k.Now(), Crash: faults.Crash{Node: "kv", At: w.k.Now(), Downtime: downtime}})
}

// restartWith is restart logging f, whose Crash says for how long.
func (n *kvNode) restartWith(f faults.Fault) {
	w := n.w
	if !n.up {
		return
	}
	downtime := f.Crash.Downtime
	n.up = false
	n.store.Restart()
	w.log.Add(f)
	w.add(crashed{Node: n.id, Downtime: downtime}.record())
	w.k.After(downtime, sim.Func(func() {
		n.up = true
		w.add(restarted{Node: n.id}.record())
	}))
}

// failover promotes the store's lagging replica: writes it had not received
// are lost.
func (n *kvNode) failover() {
	w := n.w
	lost := n.store.Failover(n.clock.read(w.k.Now()))
	w.log.Add(faults.Fault{Kind: faults.FailoverFault, At: w.k.Now(), Crash: faults.Crash{Node: "kv", At: w.k.Now()}})
	w.add(failedOver{Store: n.id, Lost: int64(lost), Lag: w.cfg.Services.KV.ReplicaLag}.record())
}

// envKV is the KV capability of an env.
type envKV env

func (e *env) KV() api.KV { return (*envKV)(e) }

func (k *envKV) do(c *kvCmd) (*kvReply, error) {
	e := (*env)(k)
	resp, got := e.call(api.ServiceKV, e.s.w.kv.id, c, 0)
	if got != network.Answered {
		return nil, api.ErrConnection
	}
	r := resp.(*kvReply)
	return r, r.err
}

// Get implements api.KV.
func (k *envKV) Get(key string) (string, bool, error) {
	r, err := k.do(&kvCmd{op: kvGet, key: key})
	if err != nil {
		return "", false, err
	}
	return r.value, r.ok, nil
}

// Set implements api.KV.
func (k *envKV) Set(key, value string, opt api.SetOptions) (bool, error) {
	r, err := k.do(&kvCmd{op: kvSet, key: key, value: value, opt: opt})
	if err != nil {
		return false, err
	}
	return r.ok, nil
}

// Del implements api.KV.
func (k *envKV) Del(keys ...string) (int, error) {
	r, err := k.do(&kvCmd{op: kvDel, keys: keys, key: firstKey(keys)})
	if err != nil {
		return 0, err
	}
	return int(r.n), nil
}

func firstKey(keys []string) string {
	if len(keys) == 0 {
		return ""
	}
	return keys[0]
}

// Expire implements api.KV.
func (k *envKV) Expire(key string, ttl sim.Duration) (bool, error) {
	r, err := k.do(&kvCmd{op: kvExpire, key: key, ttl: ttl})
	if err != nil {
		return false, err
	}
	return r.ok, nil
}

// TTL implements api.KV.
func (k *envKV) TTL(key string) (sim.Duration, error) {
	r, err := k.do(&kvCmd{op: kvTTL, key: key})
	if err != nil {
		return 0, err
	}
	return r.ttl, nil
}

// Incr implements api.KV.
func (k *envKV) Incr(key string) (int64, error) {
	r, err := k.do(&kvCmd{op: kvIncr, key: key})
	if err != nil {
		return 0, err
	}
	return r.n, nil
}

// CompareAndDelete implements api.KV.
func (k *envKV) CompareAndDelete(key, value string) (bool, error) {
	r, err := k.do(&kvCmd{op: kvCompareAndDelete, key: key, value: value})
	if err != nil {
		return false, err
	}
	return r.ok, nil
}

// gatewayNode is the payment processor. A charge takes its processing
// time; money moves when it completes, whatever becomes of the answer.
type gatewayNode struct {
	w     *World
	id    network.NodeID
	g     *gateway.Gateway
	clock Clock
}

func newGatewayNode(w *World) *gatewayNode {
	g := must(gateway.New(w.cfg.Services.Gateway))
	n := &gatewayNode{w: w, g: g, clock: w.clock("gateway")}
	n.id = w.net.AddService(api.ServiceGateway, n.deliver)
	return n
}

type gwOp uint8

const (
	gwCharge gwOp = iota
	gwLookupKey
	gwLookupID
	gwRefund
)

// gwCall is one request to the gateway.
type gwCall struct {
	op  gwOp
	req api.ChargeRequest
	id  string // a charge id, or a key for a lookup by key
	tag int64
}

// gwReply is the gateway's answer.
type gwReply struct {
	result api.ChargeResult
	status api.ChargeStatus
	err    error
}

func (n *gatewayNode) deliver(m *network.Msg) {
	n.w.checkHeld()
	w := n.w
	c := m.Payload.(*gwCall)
	now := n.clock.read(w.k.Now())
	switch c.op {
	case gwCharge:
		req := gateway.ChargeRequest{AmountCents: c.req.Amount, Currency: c.req.Currency, Description: c.req.Description,
			Customer: c.req.Customer, IdempotencyKey: c.req.IdempotencyKey}
		ticket, out, accepted := n.g.Begin(now, req, c.tag)
		if !accepted {
			n.trace(m, c.op, out.Kind, out.HTTPStatus(), out.Charge.ID)
			n.answer(m, out)
			return
		}
		n.trace(m, c.op, 0, 0, ticket.ChargeID())
		w.k.After(w.cfg.Services.GatewayTime.Sample(w.ch, sim.StreamGateway), sim.Func(func() {
			out := n.g.Complete(n.clock.read(w.k.Now()), ticket)
			w.add(money{Gateway: n.id, Op: tagOp(c.tag), Charge: w.intern(out.Charge.ID), Cents: out.Charge.AmountCents}.record())
			plan := &w.cfg.Faults
			if _, hit := w.net.Decide(faults.GatewayTimeout, m.Ref, plan.GatewayTimeoutRate, sim.StreamGatewayFaults); hit {
				w.add(gatewayFaulted{Gateway: n.id, To: m.Src, Op: m.Ref.Op, Attempt: m.Ref.Attempt, Fault: faults.GatewayTimeout}.record())
				return // the caller waits for its timeout; the money moved
			}
			if _, hit := w.net.Decide(faults.Gateway500, m.Ref, plan.Gateway500Rate, sim.StreamGatewayFaults); hit {
				w.add(gatewayFaulted{Gateway: n.id, To: m.Src, Op: m.Ref.Op, Attempt: m.Ref.Attempt, Fault: faults.Gateway500}.record())
				w.net.Reply(m, &gwReply{result: api.ChargeResult{Status: api.StatusInternalServerError, Outcome: "error"}})
				return
			}
			n.answer(m, out)
		}))
	case gwLookupKey, gwLookupID:
		var ch gateway.Charge
		var st gateway.Status
		if c.op == gwLookupKey {
			ch, st = n.g.LookupByKey(now, c.id)
		} else {
			ch, st = n.g.LookupByID(now, c.id)
		}
		r := &gwReply{}
		if st != gateway.StatusNone {
			r.status = api.ChargeStatus{Found: true, ChargeID: ch.ID, State: st.String(), Refunded: ch.Refunded}
		}
		n.trace(m, c.op, gateway.Kind(st), 0, ch.ID)
		w.net.Reply(m, r)
	case gwRefund:
		n.trace(m, c.op, 0, 0, c.id)
		err := n.g.Refund(now, c.id)
		if err == nil {
			ch, _ := n.g.LookupByID(now, c.id)
			w.add(money{Gateway: n.id, Op: tagOp(ch.Tag), Charge: w.intern(c.id), Cents: ch.AmountCents, Refund: true}.record())
		}
		w.net.Reply(m, &gwReply{err: err})
	}
}

// trace records a request as the gateway received it, and the outcome (or
// the lookup's status), the HTTP status and the charge's id.
func (n *gatewayNode) trace(m *network.Msg, op gwOp, kind gateway.Kind, status int, chargeID string) {
	w := n.w
	w.add(gatewayRan{serviceCall: w.callTo(n.id, m), Op: op, Kind: kind, Status: status, Charge: w.intern(chargeID)}.record())
}

func (n *gatewayNode) answer(m *network.Msg, out gateway.Outcome) {
	n.w.net.Reply(m, &gwReply{result: api.ChargeResult{Status: out.HTTPStatus(), ChargeID: out.Charge.ID, Outcome: out.Kind.String()}})
}

// ledgerRows are the charges that moved money and were not refunded.
func (n *gatewayNode) ledgerRows() []Row {
	var out []Row
	for _, ch := range n.g.Ledger() {
		if ch.Refunded {
			continue
		}
		out = append(out, Row{Source: SourceGateway, ID: ch.ID, Op: tagOp(ch.Tag), Amount: ch.AmountCents, At: sim.Time(ch.Completed)})
	}
	return out
}

// envGateway is the Gateway capability of an env.
type envGateway env

func (e *env) Gateway() api.Gateway { return (*envGateway)(e) }

func (g *envGateway) do(c *gwCall) (*gwReply, error) {
	e := (*env)(g)
	c.tag = e.tag
	resp, got := e.call(api.ServiceGateway, e.s.w.gw.id, c, e.s.w.cfg.Services.GatewayTimeout)
	switch got {
	case network.TimedOut:
		return nil, api.ErrTimeout
	case network.Broken:
		return nil, api.ErrConnection
	}
	r := resp.(*gwReply)
	return r, r.err
}

// Charge implements api.Gateway.
func (g *envGateway) Charge(req api.ChargeRequest) (api.ChargeResult, error) {
	r, err := g.do(&gwCall{op: gwCharge, req: req})
	if err != nil {
		return api.ChargeResult{}, err
	}
	return r.result, nil
}

// LookupByKey implements api.Gateway.
func (g *envGateway) LookupByKey(key string) (api.ChargeStatus, error) {
	r, err := g.do(&gwCall{op: gwLookupKey, id: key})
	if err != nil {
		return api.ChargeStatus{}, err
	}
	return r.status, nil
}

// LookupByID implements api.Gateway.
func (g *envGateway) LookupByID(id string) (api.ChargeStatus, error) {
	r, err := g.do(&gwCall{op: gwLookupID, id: id})
	if err != nil {
		return api.ChargeStatus{}, err
	}
	return r.status, nil
}

// Refund implements api.Gateway.
func (g *envGateway) Refund(id string) error {
	_, err := g.do(&gwCall{op: gwRefund, id: id})
	return err
}

// queueNode is the durable broker. A receive with a wait is held until a
// message becomes visible or the wait ends (a long poll).
type queueNode struct {
	w       *World
	id      network.NodeID
	q       *queue.Queue
	clock   Clock
	polls   []*poll // long polls waiting, oldest first
	wakeAt  sim.Time
	wakeSet bool
}

type poll struct {
	m    *network.Msg
	done bool
}

func newQueueNode(w *World) *queueNode {
	q := must(queue.New(w.cfg.Services.Queue))
	n := &queueNode{w: w, q: q, clock: w.clock("queue")}
	n.id = w.net.AddService(api.ServiceQueue, n.deliver)
	return n
}

type qOp uint8

const (
	qSend qOp = iota
	qReceive
	qAck
	qChangeVisibility
)

// qCall is one request to the queue.
type qCall struct {
	op      qOp
	body    string
	receipt string
	wait    sim.Duration // receive: the long poll's wait; change: the new timeout
	tag     int64
}

// qReply is the queue's answer.
type qReply struct {
	id  string
	msg queue.Message
	ok  bool
	err error
}

func (n *queueNode) deliver(m *network.Msg) {
	n.w.checkHeld()
	w := n.w
	c := m.Payload.(*qCall)
	now := n.clock.read(w.k.Now())
	switch c.op {
	case qSend:
		id := n.q.Send(now, c.body, c.tag)
		w.add(queued{Queue: n.id, Peer: m.Src, Op: tagOp(c.tag), Message: w.intern(id), Action: qSend}.record())
		w.net.Reply(m, &qReply{id: id})
		n.serve()
	case qReceive:
		if msg, ok := n.q.Receive(now); ok {
			n.deliverMsg(m, msg)
			return
		}
		if c.wait <= 0 {
			w.net.Reply(m, &qReply{})
			return
		}
		p := &poll{m: m}
		n.polls = append(n.polls, p)
		w.k.After(c.wait, sim.Func(func() {
			if !p.done {
				p.done = true
				w.net.Reply(m, &qReply{})
			}
		}))
		n.schedule()
	case qAck:
		_, err := n.q.Ack(now, c.receipt)
		w.add(queued{Queue: n.id, Peer: m.Src, Message: w.intern(c.receipt), Action: qAck}.record())
		w.net.Reply(m, &qReply{err: err})
	case qChangeVisibility:
		err := n.q.ChangeVisibility(now, c.receipt, c.wait)
		w.net.Reply(m, &qReply{err: err})
		n.serve()
	}
}

func (n *queueNode) deliverMsg(m *network.Msg, msg queue.Message) {
	w := n.w
	w.add(queued{Queue: n.id, Peer: m.Src, Op: tagOp(msg.Tag), Message: w.intern(msg.Receipt), Action: qReceive}.record())
	w.net.Reply(m, &qReply{msg: msg, ok: true})
}

// serve hands visible messages to waiting long polls, oldest first, and
// arranges to try again when the next hidden message becomes visible.
func (n *queueNode) serve() {
	now := n.clock.read(n.w.k.Now())
	for len(n.polls) > 0 {
		p := n.polls[0]
		if p.done {
			n.polls = n.polls[1:]
			continue
		}
		msg, ok := n.q.Receive(now)
		if !ok {
			break
		}
		p.done = true
		n.polls = n.polls[1:]
		n.deliverMsg(p.m, msg)
	}
	n.schedule()
}

// schedule wakes serve when the next message becomes visible, if a poll
// waits for one.
func (n *queueNode) schedule() {
	if len(n.polls) == 0 {
		return
	}
	at, ok := n.q.NextVisibleAt()
	if !ok {
		return
	}
	t := n.clock.trueTime(at)
	if t < n.w.k.Now() {
		t = n.w.k.Now()
	}
	if n.wakeSet && n.wakeAt <= t {
		return
	}
	n.wakeAt, n.wakeSet = t, true
	n.w.k.At(t, sim.Func(func() {
		if n.wakeAt == t {
			n.wakeSet = false
		}
		n.serve()
	}))
}

// envQueue is the Queue capability of an env.
type envQueue env

func (e *env) Queue() api.Queue { return (*envQueue)(e) }

func (q *envQueue) do(c *qCall, timeout sim.Duration) (*qReply, error) {
	e := (*env)(q)
	c.tag = e.tag
	resp, got := e.call(api.ServiceQueue, e.s.w.queue.id, c, timeout)
	if got != network.Answered {
		return nil, api.ErrConnection
	}
	r := resp.(*qReply)
	return r, r.err
}

// Send implements api.Queue.
func (q *envQueue) Send(body string) (string, error) {
	r, err := q.do(&qCall{op: qSend, body: body}, 0)
	if err != nil {
		return "", err
	}
	return r.id, nil
}

// Receive implements api.Queue. The worker then acts on behalf of the
// operation that sent the message.
func (q *envQueue) Receive(wait sim.Duration) (api.Message, bool, error) {
	r, err := q.do(&qCall{op: qReceive, wait: wait}, 0)
	if err != nil || !r.ok {
		return api.Message{}, false, err
	}
	e := (*env)(q)
	e.adoptTags([]int64{r.msg.Tag})
	return api.Message{ID: r.msg.ID, Body: r.msg.Body, Receipt: r.msg.Receipt, Receives: r.msg.Receives}, true, nil
}

// Ack implements api.Queue.
func (q *envQueue) Ack(receipt string) error {
	_, err := q.do(&qCall{op: qAck, receipt: receipt}, 0)
	return err
}

// ChangeVisibility implements api.Queue.
func (q *envQueue) ChangeVisibility(receipt string, timeout sim.Duration) error {
	_, err := q.do(&qCall{op: qChangeVisibility, receipt: receipt, wait: timeout}, 0)
	return err
}

// must returns v; the configuration behind err was validated, so an error
// here is a bug.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// trueTime is the true virtual time at which clock c shows t.
func (c Clock) trueTime(t sim.Time) sim.Time {
	t -= sim.Time(c.Offset)
	if c.Drift == 1 || c.Drift == 0 {
		return t
	}
	return sim.Time(float64(t) / c.Drift)
}
