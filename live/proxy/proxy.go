// Package proxy is live mode's HTTP fault proxy and load balancer: it sits
// between the live clients and the servers that host a strategy, spreads
// the requests over the servers as the simulated balancer does, and
// injects the simulated network's faults on the messages between clients
// and servers. It works at the HTTP level because a TCP proxy can neither
// send a request twice nor lose a response the server already sent.
//
// Each request names itself with the simulator's message reference
// (faults.Ref, "c3/o3.7/a2") in the Idemsim-Ref header. The proxy reads and
// strips it, decides the faults from it, and hands it to the server as
// Idemsim-Op-Ref, which numbers the server's service calls and tags its
// effects; the strategy never sees either header.
//
// The faults mirror sim/network/network.go, where a client talking HTTP is
// never told that a message was lost: it waits for its timeout.
//
//   - drop-request: no server sees the request; the client's connection is
//     held without a response until the client gives up, then closed.
//   - duplicate-request: the request is forwarded, and a copy named
//     REF/copy reaches the same server Extra later (the simulated copy keeps
//     its original's destination; it takes no turn of the balancer). Its
//     response is read and thrown away.
//   - reset: the server handled the request, and its connection reset
//     before the response left: the response is thrown away and the
//     client's connection held until it gives up, then reset.
//   - drop-response: the same as reset for the client, decided after it as
//     the simulated network does (a reset happens while the server answers,
//     a lost response on the wire).
//   - a partition between the client and the server (Plan.Partitions):
//     the request is not forwarded, or the response not returned, when a
//     partition separates them as it leaves or arrives; the client's
//     connection is held until it gives up, as for a drop.
//   - duplicate-response: logged only. The simulated copy of a response
//     arrives after the caller has its answer and is ignored; a client on
//     one HTTP connection reads one response either way.
//
// A server that is down (connection refused) gets a 502 from the proxy, as
// the simulated balancer answers for a down server; the reset and
// drop-response decisions apply to that answer too. A server that takes
// a request and breaks the connection without answering (a crash) leaves
// its client waiting, like a lost response, but no fault is logged.
//
// Both the proxy's transport and NewClient's never send a request twice on
// their own (see wire.NewTransport).
package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/crash"
	"github.com/idemsim/idemsim/live/wire"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/network"
)

// The headers the proxy reads, writes and strips.
const (
	// RefHeader carries the request's message reference from the client;
	// the proxy strips it.
	RefHeader = wire.HeaderRef
	// OpRefHeader carries the reference to the server (REF/copy for a
	// duplicate's copy).
	OpRefHeader = wire.HeaderOpRef
	// ServerHeader names the upstream that answered (s1, s2, ... in the
	// order of New's list, as the simulated servers are named), on every
	// response the client gets.
	ServerHeader = "Idemsim-Server"
)

// MaxBody bounds a request's and a response's body.
const MaxBody = 1 << 20

// Proxy is an http.Handler that forwards each request to one of its
// upstreams under a Plan, and records the faults that fire.
type Proxy struct {
	plan      Plan
	ups       []upstream
	transport *http.Transport
	send      http.RoundTripper // transport, never re-sending
	replay    map[replayKey]time.Duration
	start     time.Time
	ctx       context.Context // ends at Close: upstream calls and holds stop
	stop      context.CancelFunc
	closed    sync.Once

	mu      sync.Mutex
	rr      int
	fired   []faults.Fault
	pending int           // copies in flight
	idle    chan struct{} // closed when pending falls to 0; nil before the first copy
	panics  []*crash.Panic
}

type upstream struct {
	name string
	url  *url.URL
	err  error // why the address is unusable: every request to it gets a 502
}

// New returns a proxy over the upstreams (base URLs like
// "http://127.0.0.1:8081", or "127.0.0.1:8081"), the first named s1. The
// plan is used as it is; check it with Plan.Check first. An upstream whose
// address does not parse, or is not on loopback, answers every request
// with a 502 that says why. Its clock, for the moments of Fired, starts
// now.
func New(upstreams []string, plan Plan) *Proxy {
	ctx, stop := context.WithCancel(context.Background())
	t := wire.LoopbackTransport()
	if plan.AllowRemote {
		t.DialContext = wire.DialAny
	}
	t.DisableCompression = true // pass bodies through as the server wrote them
	p := &Proxy{plan: plan, transport: t, send: wire.NoResend(t), replay: replayIndex(plan.Replay),
		start: time.Now(), ctx: ctx, stop: stop}
	for i, addr := range upstreams {
		u := upstream{name: "s" + strconv.Itoa(i+1)}
		u.url, u.err = parseUpstream(addr, plan.AllowRemote)
		p.ups = append(p.ups, u)
	}
	return p
}

func parseUpstream(addr string, remote bool) (*url.URL, error) {
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	u, err := url.Parse(addr)
	switch {
	case err != nil:
		return nil, fmt.Errorf("bad upstream address: %v (accepted: http://HOST:PORT on loopback)", err)
	case u.Scheme != "http" || u.Host == "" || u.Port() == "":
		return nil, fmt.Errorf("bad upstream address %q (accepted: http://HOST:PORT on loopback)", addr)
	}
	if remote {
		return u, nil
	}
	return u, wire.CheckLoopback(u.Host)
}

// Fired lists the faults that fired so far, in the order they fired, each
// with At the time since New.
func (p *Proxy) Fired() []faults.Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]faults.Fault(nil), p.fired...)
}

// Wait returns when every duplicate's copy scheduled so far has been sent
// and answered, or abandoned (each takes at most twice MaxHold): a run
// calls it after its clients finish, before it reads Fired and audits, as
// a simulated copy still in flight is delivered before the run ends. A
// panic in a copy's goroutine is raised again here, so that the command
// reports it as a crash.
func (p *Proxy) Wait() {
	p.mu.Lock()
	idle := p.idle
	p.mu.Unlock()
	if idle != nil {
		<-idle
	}
	p.raise()
}

// Close stops the proxy: held connections are closed, calls to upstreams
// abandoned, and copies not yet sent dropped. It returns when every copy
// has finished, and raises a copy's panic as Wait does.
func (p *Proxy) Close() {
	p.closed.Do(p.stop)
	p.Wait()
	p.transport.CloseIdleConnections()
}

// raise panics again with the first panic a copy's goroutine caught.
func (p *Proxy) raise() {
	p.mu.Lock()
	panics := p.panics
	p.panics = nil
	p.mu.Unlock()
	if len(panics) > 0 {
		panic(panics[0])
	}
}

// copyStarted and copyDone count the copies in flight; idle is closed
// whenever none is.
func (p *Proxy) copyStarted() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pending == 0 {
		p.idle = make(chan struct{})
	}
	p.pending++
}

func (p *Proxy) copyDone(pn *crash.Panic) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pn != nil {
		p.panics = append(p.panics, pn)
	}
	p.pending--
	if p.pending == 0 {
		close(p.idle)
	}
}

// answer is an upstream's response, read whole, or the proxy's own 502
// (down).
type answer struct {
	status int
	header http.Header
	body   []byte
	down   bool
}

// ServeHTTP forwards one client request, deciding in the order the
// simulation does (sim/world/client.go picks the server, then
// sim/network/network.go decides the message's fate): the upstream, then
// drop-request, then duplicate-request, then the latency; once the
// upstream answered, reset, then drop-response, then duplicate-response.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ref, err := readRef(r.Header)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	switch {
	case err != nil:
		http.Error(w, "idemsim proxy: reading the request body: "+err.Error(), http.StatusBadRequest)
		return
	case len(body) > MaxBody:
		http.Error(w, fmt.Sprintf("idemsim proxy: request body over %d bytes", MaxBody), http.StatusRequestEntityTooLarge)
		return
	case p.ctx.Err() != nil:
		http.Error(w, "idemsim proxy: closed", http.StatusServiceUnavailable)
		return
	}
	up := p.balance(ref)
	hop := Hop{Ref: ref, Server: up.name}
	if p.cut(ref, up) {
		p.observe(hop, network.TraceCut, 0)
		p.hold(w, r)
		return
	}
	link := p.link(ref, up)
	if _, drop := p.decide(faults.DropRequest, ref, link); drop {
		p.observe(hop, network.TraceDrop, 0)
		p.hold(w, r)
		return
	}
	delay := p.latency(ref, "delay-request", link)
	p.observe(hop, network.TraceSend, delay)
	if extra, dup := p.decide(faults.DuplicateRequest, ref, link); dup {
		lag := min(delay+extra, p.plan.maxHold())
		p.observe(hop, network.TraceDuplicate, lag)
		p.sendCopy(up, r, body, ref, lag)
	}
	// A request on its way reaches the server even if its client gives up
	// meanwhile, as a simulated message in flight does.
	if !p.sleep(p.ctx, delay) {
		p.hold(w, r)
		return
	}
	if p.cut(ref, up) {
		p.observe(hop, network.TraceCut, 0)
		p.hold(w, r)
		return
	}
	p.observe(hop, network.TraceDeliver, 0)
	a := p.forward(up, r, body, ref)
	hop.Response = true
	if a == nil || p.lost(hop, a, up) {
		p.hold(w, r)
		return
	}
	delay = p.latency(ref, "delay-response", link)
	p.observe(hop, network.TraceSend, delay)
	if extra, dup := p.decide(faults.DuplicateResponse, ref, link); dup {
		p.observe(hop, network.TraceDuplicate, delay+extra)
	}
	if !p.sleep(r.Context(), delay) || r.Context().Err() != nil {
		p.observe(hop, network.TraceLate, 0)
		p.hold(w, r)
		return
	}
	if p.cut(ref, up) {
		p.observe(hop, network.TraceCut, 0)
		p.hold(w, r)
		return
	}
	p.observe(hop, network.TraceDeliver, 0)
	h := w.Header()
	for k, vs := range a.header {
		h[k] = vs
	}
	h.Set(ServerHeader, up.name)
	h.Set("Content-Length", strconv.Itoa(len(a.body)))
	w.WriteHeader(a.status)
	w.Write(a.body) // a client gone by now finds out by itself
}

// readRef reads and checks a request's message reference: a client's
// attempt, not a copy or a service call.
func readRef(h http.Header) (faults.Ref, error) {
	v := h.Get(RefHeader)
	if v == "" {
		return faults.Ref{}, fmt.Errorf("idemsim proxy: no %s header (accepted: a client's attempt like c3/o3.7/a2)", RefHeader)
	}
	ref, err := faults.ParseRef(v)
	if err != nil {
		return faults.Ref{}, fmt.Errorf("idemsim proxy: %s: %v", RefHeader, err)
	}
	if ref.Worker != "" || ref.Service != api.NoService || ref.Copy {
		return faults.Ref{}, fmt.Errorf("idemsim proxy: %s %q is not a client's attempt (accepted: CLIENT/oQ.I/aN like c3/o3.7/a2)", RefHeader, v)
	}
	return ref, nil
}

// balance picks the upstream of a new request (sim/world/world.go).
func (p *Proxy) balance(ref faults.Ref) *upstream {
	n := len(p.ups)
	switch {
	case n == 0:
		return &upstream{name: "s1", err: errors.New("the proxy has no upstream")}
	case n == 1:
		return &p.ups[0]
	case p.plan.Balancer == Random:
		i := int(uniform(p.plan.Seed, ref.String(), "balance") * float64(n))
		return &p.ups[min(i, n-1)]
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	u := &p.ups[p.rr]
	p.rr = (p.rr + 1) % n
	return u
}

// decide reports whether fault kind hits the message ref, from the replay
// list or the plan's rate, and logs it when it does. extra is a
// duplicate's lag.
func (p *Proxy) decide(kind faults.Kind, ref faults.Ref, link *faults.Link) (extra time.Duration, fire bool) {
	if p.replay != nil {
		extra, fire = p.replay[replayKey{kind, ref}]
	} else {
		s := ref.String()
		fire = hit(uniform(p.plan.Seed, s, kind.String()), rate(link, kind))
		if fire && kind == faults.DuplicateRequest {
			// At least 1ns, as in the simulation, so that the copy
			// comes after its original.
			extra = max(1, span(link.Delay, uniform(p.plan.Seed, s, "extra"), p.plan.maxHold()))
		}
	}
	if !fire {
		return 0, false
	}
	if kind != faults.DuplicateRequest {
		extra = 0
	}
	p.mu.Lock()
	p.fired = append(p.fired, faults.Fault{Kind: kind, At: sim.Time(time.Since(p.start)), Msg: ref, Extra: extra})
	p.mu.Unlock()
	return extra, true
}

// lost decides whether the response a to hop's request, from up, is lost
// after the server answered: a reset first, then a partition, then a
// drop, as the simulated network asks.
func (p *Proxy) lost(hop Hop, a *answer, up *upstream) bool {
	if a.down {
		p.observe(Hop{Ref: hop.Ref, Server: hop.Server, Down: true}, 0, 0)
	}
	ref := hop.Ref
	link := p.link(ref, up)
	if _, reset := p.decide(faults.Reset, ref, link); reset {
		p.observe(hop, network.TraceReset, 0)
		return true
	}
	if p.cut(ref, up) {
		p.observe(hop, network.TraceCut, 0)
		return true
	}
	_, drop := p.decide(faults.DropResponse, ref, link)
	if drop {
		p.observe(hop, network.TraceDrop, 0)
	}
	return drop
}

// observe tells the plan's observer that a message of hop had fate.
func (p *Proxy) observe(hop Hop, fate uint16, delay time.Duration) {
	if p.plan.Observe != nil {
		hop.Fate, hop.Delay = fate, delay
		p.plan.Observe(hop)
	}
}

// link is the link between ref's client and up: the plan's Link, with
// the rules that name both applied.
func (p *Proxy) link(ref faults.Ref, up *upstream) *faults.Link {
	if len(p.plan.Rules) == 0 {
		return &p.plan.Link
	}
	plan := faults.Plan{Link: p.plan.Link, Links: p.plan.Rules}
	l := plan.LinkBetween(ref.Caller, up.name)
	return &l
}

// cut reports whether a partition separates ref's client and up now.
func (p *Proxy) cut(ref faults.Ref, up *upstream) bool {
	if len(p.plan.Partitions) == 0 {
		return false
	}
	now := sim.Time(time.Since(p.start))
	if p.plan.Clock != nil {
		now = p.plan.Clock()
	}
	for _, part := range p.plan.Partitions {
		if part.Cuts(ref.Caller, up.name, now) {
			return true
		}
	}
	return false
}

// latency is how long one direction of ref is held: the plan's delay law at
// the quantile hash(seed, ref, dir).
func (p *Proxy) latency(ref faults.Ref, dir string, link *faults.Link) time.Duration {
	d := link.Delay
	if d.Kind == sim.DistConst && d.Min == 0 {
		return 0
	}
	return span(d, uniform(p.plan.Seed, ref.String(), dir), p.plan.maxHold())
}

// sleep waits d, and reports false when the client or the proxy ended
// first.
func (p *Proxy) sleep(client context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-client.Done():
	case <-p.ctx.Done():
	}
	return false
}

// hold keeps a client's connection open without a response until the
// client gives up (as a simulated client hears nothing and waits for its
// timeout), the proxy closes, or MaxHold passes; then it resets the
// connection.
func (p *Proxy) hold(w http.ResponseWriter, r *http.Request) {
	// The server cancels the request's context when the client closes its
	// connection: it watches the connection once the body has been read,
	// which ServeHTTP has done.
	p.sleep(r.Context(), p.plan.maxHold())
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // net/http's own way to end a response unsent
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0) // a reset, not an orderly close
	}
	conn.Close()
}

// forward sends the request to up as ref and reads the whole answer. It
// returns the proxy's 502 when up refuses the connection, and nil when the
// request may have reached up but no answer came (up crashed, or the proxy
// closed).
func (p *Proxy) forward(up *upstream, in *http.Request, body []byte, ref faults.Ref) *answer {
	if up.err != nil {
		return badGateway(up, up.err)
	}
	ctx, cancel := context.WithTimeout(p.ctx, p.plan.maxHold())
	defer cancel()
	u := *up.url
	u.Path, u.RawPath, u.RawQuery = in.URL.Path, in.URL.RawPath, in.URL.RawQuery
	out, err := http.NewRequestWithContext(ctx, in.Method, u.String(), nil)
	if err != nil {
		return badGateway(up, err)
	}
	out.Header = in.Header.Clone()
	removeHopHeaders(out.Header)
	out.Header.Del(RefHeader)
	out.Header.Set(OpRefHeader, ref.String())
	out.Body, out.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	if len(body) == 0 {
		out.Body = http.NoBody // wire.NoResend makes it one the transport will not replay
	}
	resp, err := p.send.RoundTrip(out)
	if err != nil {
		var de *wire.DialError
		if errors.As(err, &de) {
			return badGateway(up, de.Unwrap())
		}
		return nil
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	switch {
	case err != nil:
		return nil
	case len(b) > MaxBody:
		return badGateway(up, fmt.Errorf("its response body is over %d bytes", MaxBody))
	}
	removeHopHeaders(resp.Header)
	return &answer{status: resp.StatusCode, header: resp.Header, body: b}
}

func badGateway(up *upstream, why error) *answer {
	h := http.Header{}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	return &answer{status: http.StatusBadGateway, header: h, down: true,
		body: []byte("idemsim proxy: upstream " + up.name + " is down: " + why.Error() + "\n")}
}

// hopHeaders are the headers of one connection, which a proxy must not
// pass on (RFC 9110, section 7.6.1).
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

func removeHopHeaders(h http.Header) {
	for _, f := range h.Values("Connection") {
		for name := range strings.SplitSeq(f, ",") {
			h.Del(strings.TrimSpace(name))
		}
	}
	for _, k := range hopHeaders {
		h.Del(k)
	}
}

// sendCopy sends ref's copy to up after lag, on a goroutine of its own,
// and throws its answer away once the reset and drop-response decisions
// on it are made (the simulation makes them for a copy's response too).
func (p *Proxy) sendCopy(up *upstream, in *http.Request, body []byte, ref faults.Ref, lag time.Duration) {
	cp := ref
	cp.Copy = true
	// The copy outlives the client's request, whose header the server may
	// reuse once ServeHTTP returns.
	in = in.Clone(context.Background())
	p.copyStarted()
	go func() {
		p.copyDone(crash.Catch(func() {
			if !p.sleep(p.ctx, lag) {
				return
			}
			hop := Hop{Ref: cp, Server: up.name}
			if p.cut(cp, up) {
				p.observe(hop, network.TraceCut, 0)
				return
			}
			p.observe(hop, network.TraceDeliver, 0)
			if a := p.forward(up, in, body, cp); a != nil {
				hop.Response = true
				if !p.lost(hop, a, up) {
					// Nobody waits for a copy's answer, which the proxy
					// reads at once and throws away.
					p.observe(hop, network.TraceSend, 0)
					p.observe(hop, network.TraceLate, 0)
				}
			}
		}))
	}()
}
