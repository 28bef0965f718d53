package live

import (
	"time"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/live/decide"
	"github.com/idemsim/idemsim/sim/api"
)

// serviceLink decides the fate of the request or the answer of the
// service call ref that server makes, in the order the simulated network
// decides it (sim/network/network.go): a request is cut by a partition,
// else maybe dropped; an answer is maybe reset as the service replies,
// else cut by a partition, else maybe dropped. The rates are those of the
// link between the server and the service (the service link and the
// --link rules naming both), each decision a hash of the seed, the call
// and the kind, or the replayed list's. A fault that fires is logged; the
// caller hears of the loss after the link's latency at the quantile
// hash(seed, call, direction), when the lost message would have arrived.
func (r *runner) serviceLink(parts []faults.Partition) func(server string, ref faults.Ref, answered bool) (bool, time.Duration) {
	p := &r.w.Faults
	var replay map[replayKey]bool
	if p.Replay != nil {
		replay = make(map[replayKey]bool)
		for _, f := range p.Replay {
			if f.Kind.OnMessage() && f.Msg.Service != api.NoService {
				replay[replayKey{f.Kind, f.Msg}] = true
			}
		}
	}
	fires := func(kind faults.Kind, ref faults.Ref, rate float64) bool {
		hit := replay[replayKey{kind, ref}]
		if replay == nil {
			hit = decide.Hit(r.w.Seed, ref.String(), kind.String(), rate)
		}
		if hit {
			r.record(faults.Fault{Kind: kind, At: r.now(), Msg: ref})
		}
		return hit
	}
	return func(server string, ref faults.Ref, answered bool) (bool, time.Duration) {
		now := r.now()
		svc := ref.Service.String()
		cut := false
		for _, part := range parts {
			cut = cut || part.Cuts(server, svc, now)
		}
		link := p.LinkBetween(server, svc)
		var lost bool
		if answered {
			lost = fires(faults.Reset, ref, link.ResetRate) || cut || fires(faults.DropResponse, ref, link.DropResponseRate)
		} else {
			lost = cut || fires(faults.DropRequest, ref, link.DropRequestRate)
		}
		if !lost {
			return false, 0
		}
		dir := "service-delay-request"
		if answered {
			dir = "service-delay-response"
		}
		u := min(decide.Uniform(r.w.Seed, ref.String(), dir), 0.999999)
		return true, time.Duration(link.Delay.Quantile(u))
	}
}

// replayKey names one replayed decision on a message.
type replayKey struct {
	kind faults.Kind
	ref  faults.Ref
}
