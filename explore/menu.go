package explore

import (
	"fmt"
	"strings"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/world"
)

// numStreams bounds the streams a trail or a table can name: the last of
// sim's streams is StreamCrashPoints.
const numStreams = int(sim.StreamCrashPoints) + 1

// Fault is a fault kind of the menu.
type Fault uint8

// The fault kinds of the menu. Each is decided by a flip the world makes
// where the fault may fall, so the explorer can decide it: at a message
// or a call, at a crash point, and, for the timed kinds (Crash, Pause,
// StoreRestart: see timed.go), at a step of a handler or a store command.
const (
	DropRequest Fault = iota
	DropResponse
	Duplicate
	Reset
	DBDrop
	LostCommitAck
	GatewayTimeout
	CrashAt
	Crash
	Pause
	StoreRestart
	numFaults
)

var faultNames = [numFaults]string{"drop-request", "drop-response", "duplicate", "reset", "db-drop", "lost-commit-ack", "gateway-timeout", "crash-at", "crash", "pause", "store-restart"}

func (f Fault) String() string { return faultNames[f] }

// MenuSyntax is what --faults accepts, for error messages.
var MenuSyntax = "a comma-separated list of " + strings.Join(faultNames[:], ", ")

// Menu is the set of fault kinds a search may inject.
type Menu struct {
	on [numFaults]bool
}

// AllFaults is the menu of every kind.
func AllFaults() Menu {
	var m Menu
	for i := range m.on {
		m.on[i] = true
	}
	return m
}

// MessageFaults is the menu of the kinds decided at a message or a call,
// without the timed kinds (crash, pause, store-restart), which multiply a
// search by about seven.
func MessageFaults() Menu {
	m := AllFaults()
	m.on[Crash], m.on[Pause], m.on[StoreRestart] = false, false, false
	return m
}

// ParseMenu reads "drop-response,duplicate". An empty menu ("none") is
// accepted: the search then explores delays alone.
func ParseMenu(s string) (Menu, error) {
	var m Menu
	if s == "none" {
		return m, nil
	}
	for _, name := range strings.Split(s, ",") {
		i := indexOf(faultNames[:], name)
		switch {
		case i >= 0:
			if m.on[i] {
				return Menu{}, fmt.Errorf("%q named twice (accepted: %s, or none)", name, MenuSyntax)
			}
			m.on[i] = true
		default:
			return Menu{}, fmt.Errorf("unknown fault kind %q (accepted: %s, or none)", name, MenuSyntax)
		}
	}
	return m, nil
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// Has reports whether f is on the menu.
func (m Menu) Has(f Fault) bool { return m.on[f] }

func (m Menu) String() string {
	var names []string
	for i, on := range m.on {
		if on {
			names = append(names, faultNames[i])
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ",")
}

// placeholder is the rate a kind on the menu is given, so that the world
// asks the chooser at each message or call it may hit. Each kind has its
// own value: several kinds flip on one stream, and the rate is how the
// chooser tells them apart. The value itself decides nothing.
func placeholder(f Fault) float64 { return 0.01 + float64(f)*0.001 }

// kindOf is the menu's kind whose placeholder is p.
func (m *Menu) kindOf(p float64) (Fault, bool) {
	for f := range numFaults {
		if m.on[f] && placeholder(f) == p {
			return f, true
		}
	}
	return 0, false
}

// Prepare returns cfg made ready to explore under the menu: every random
// fault off (rates, crashes, pauses, partitions, replays), and each kind
// of the menu at its placeholder rate (crash-at: each crash point the
// strategy declares, on any server; the timed kinds: prepareTimed).
func (m Menu) Prepare(cfg world.Config) world.Config {
	p := &cfg.Faults
	*p = faults.Plan{
		Link:        faults.Link{Delay: p.Link.Delay},
		ServiceLink: faults.Link{Delay: p.ServiceLink.Delay},
		Downtime:    p.Downtime,
	}
	set := []*float64{
		DropRequest:    &p.Link.DropRequestRate,
		DropResponse:   &p.Link.DropResponseRate,
		Duplicate:      &p.Link.DuplicateRate,
		Reset:          &p.Link.ResetRate,
		DBDrop:         &p.DBDropConnectionRate,
		LostCommitAck:  &p.DBLostCommitAckRate,
		GatewayTimeout: &p.GatewayTimeoutRate,
	}
	for f, rate := range set {
		if m.on[f] {
			*rate = placeholder(Fault(f))
		}
	}
	if m.on[CrashAt] {
		for _, point := range cfg.Strategy.CrashPoints {
			p.CrashPoints = append(p.CrashPoints, faults.CrashPoint{Node: "any", Point: point, Prob: placeholder(CrashAt), Downtime: p.Downtime})
		}
	}
	m.prepareTimed(&cfg)
	return cfg
}

// timeouts is the quantile past the caller's timeout on each latency
// stream whose main draw has a caller that waits with a timeout: a
// client's request (the link and the server's service time, against the
// attempt's timeout) and a charge (the gateway's time, against the
// server's gateway timeout). The database, the store and the queue have
// no such caller here, so they get no past-timeout class.
func timeouts(cfg *world.Config) *[numStreams]float64 {
	var t [numStreams]float64
	t[sim.StreamNetwork] = pastTimeout(cfg.Faults.Link.Delay, cfg.Client.TimeoutPerAttempt)
	t[sim.StreamService] = pastTimeout(cfg.ServiceTime, cfg.Client.TimeoutPerAttempt)
	t[sim.StreamGateway] = pastTimeout(cfg.Services.GatewayTime, cfg.Services.GatewayTimeout)
	return &t
}

// DelayClasses says which classes a delay point of cfg can take: early
// and late everywhere, past the timeout where the stream's main draw can
// exceed its caller's timeout, and where it cannot, why.
func DelayClasses(cfg *world.Config) string {
	t := timeouts(cfg)
	parts := []string{fmt.Sprintf("early (quantile %g), late (%g)", earlyQ, lateQ)}
	for _, c := range []struct {
		s       sim.Stream
		d       sim.Dist
		timeout sim.Duration
	}{
		{sim.StreamNetwork, cfg.Faults.Link.Delay, cfg.Client.TimeoutPerAttempt},
		{sim.StreamService, cfg.ServiceTime, cfg.Client.TimeoutPerAttempt},
		{sim.StreamGateway, cfg.Services.GatewayTime, cfg.Services.GatewayTimeout},
	} {
		if q := t[c.s]; q > 0 {
			parts = append(parts, fmt.Sprintf("past-timeout on %s (%v > %v at quantile %g)", c.s, c.d.Quantile(q), c.timeout, q))
		} else {
			parts = append(parts, fmt.Sprintf("no past-timeout on %s (%s never exceeds %v below quantile 1)", c.s, c.d, c.timeout))
		}
	}
	return strings.Join(parts, ", ")
}
