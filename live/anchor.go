package live

import (
	"fmt"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim/world"
)

// Anchoring is a world's timed crashes and pauses of servers put at the
// steps of the handlers where its simulated twin had them.
type Anchoring struct {
	// Steps are the faults anchored: Config.Steps of the live run, which
	// then does not fire their timed forms.
	Steps []faults.StepFault
	// Notes say, one line per timed fault, where it went or why it stays
	// timed, for the run's summary.
	Notes []string
}

// Anchor runs cfg in the simulator and finds, for each crash and pause
// of a server it schedules at a moment (--crash, --pause, and those of a
// replayed list), which handler it hit and after how many of that
// handler's service calls (world.Result.Landings). Live, a timer fires
// such a fault up to a millisecond away from its moment, while the
// window the simulation puts it in (between a handler claiming a key and
// doing the work) can be a fraction of one; anchored, it fires exactly
// there. A fault that found its server handling nothing, or that names
// no server (kv, any), stays timed, as do random crashes.
func Anchor(cfg world.Config) (Anchoring, error) {
	var out Anchoring
	twin := cfg
	twin.KeepTrace = true
	res, err := world.Run(twin)
	if err != nil {
		return out, fmt.Errorf("live: the simulated twin: %w", err)
	}
	landings, err := res.Landings()
	if err != nil {
		return out, fmt.Errorf("live: the simulated twin: %w", err)
	}
	used := make([]bool, len(landings))
	for _, t := range timedFaults(&cfg.Faults) {
		head := t.kind.String() + " " + t.c.String()
		if t.c.Node == "kv" || t.c.Node == "any" || t.c.Node[0] != 's' {
			out.Notes = append(out.Notes, head+" stays timed: it names no one server")
			continue
		}
		i := landingOf(landings, used, t.kind, t.c)
		if i < 0 {
			out.Notes = append(out.Notes, head+" stays timed: it did not hit "+t.c.Node+" in the simulation (down already)")
			continue
		}
		used[i] = true
		l := landings[i]
		if len(l.Handlers) == 0 {
			out.Notes = append(out.Notes, head+" stays timed: "+t.c.Node+" was handling no request then")
			continue
		}
		h := l.Handlers[0]
		step := faults.StepFault{Kind: t.kind, Node: t.c.Node, Request: h.Request, After: h.Calls,
			Downtime: t.c.Downtime, Last: h.Last, Next: h.Next, Timed: t.c}
		out.Steps = append(out.Steps, step)
		note := head + " -> " + step.String()
		if n := len(l.Handlers); n > 1 {
			note += fmt.Sprintf(" (the first to arrive of the %d requests %s was handling)", n, t.c.Node)
		}
		out.Notes = append(out.Notes, note)
	}
	if cfg.Faults.CrashEvery > 0 && cfg.Faults.Replay == nil {
		out.Notes = append(out.Notes, "random crashes (--crash-every) stay timed: live draws their moments itself")
	}
	return out, nil
}

// timedFault is a crash or a pause at a moment.
type timedFault struct {
	kind faults.Kind
	c    faults.Crash
}

// timedFaults lists the plan's crashes and pauses at moments, and those
// of its replayed list, each once, as the runs fire them.
func timedFaults(p *faults.Plan) []timedFault {
	var out []timedFault
	add := func(k faults.Kind, c faults.Crash) {
		for _, t := range out {
			if t.kind == k && t.c == c {
				return
			}
		}
		out = append(out, timedFault{k, c})
	}
	for _, c := range p.Crashes {
		add(faults.CrashFault, c)
	}
	for _, c := range p.Pauses {
		add(faults.PauseFault, c)
	}
	for _, f := range p.Replay {
		if f.Kind == faults.CrashFault || f.Kind == faults.PauseFault {
			add(f.Kind, f.Crash)
		}
	}
	return out
}

// landingOf is the first landing not yet used of fault c of kind k.
func landingOf(landings []world.Landing, used []bool, k faults.Kind, c faults.Crash) int {
	for i, l := range landings {
		if !used[i] && l.Kind == k && l.Fault.Node == c.Node && l.Fault.At == c.At && l.Fault.Downtime == c.Downtime {
			return i
		}
	}
	return -1
}

// anchored reports whether a step fault stands for the timed fault c of
// kind k.
func anchored(steps []faults.StepFault, k faults.Kind, c faults.Crash) bool {
	for _, s := range steps {
		if s.Kind == k && s.Timed == c {
			return true
		}
	}
	return false
}
