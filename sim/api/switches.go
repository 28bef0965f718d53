package api

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/idemsim/idemsim/sim"
)

// Switches are the values of the four policy switches. A strategy declares
// which it accepts (Strategy.Switches) and its defaults
// (Strategy.Defaults); `idemsim run --switch NAME=VALUE` overrides one.
type Switches struct {
	// Retention is how long a finished key is kept; 0 keeps it forever.
	Retention sim.Duration
	// RejectExpired: a request whose key is older than Retention meets a
	// tombstone and is refused with 409 (no Retry-After: the key will not
	// come back), instead of being accepted as new. Neither Stripe's
	// documentation (a key reused after it is pruned makes a new request:
	// the accept mode) nor the Idempotency-Key header draft (a server may
	// expire keys under a policy it publishes) names a status for it; 409
	// is the one both give a repeated key the server refuses to run (a key
	// in use, a request still outstanding), so a client of either already
	// handles it.
	RejectExpired bool
	// StoreFailures: a failed attempt's response (5xx included) is stored
	// and replayed; otherwise only successes are stored, so that a retry
	// after a failure runs again.
	StoreFailures bool
	// Lease is how long an in-progress claim holds: after it, another
	// request may take the key over. 0: no lease, a claim holds until its
	// owner finishes it.
	Lease sim.Duration
	// Forward: the strategy forwards its idempotency key to the gateway,
	// so a gateway that honours keys deduplicates the charge. (How the
	// gateway treats a repeated charge is the world's: --gateway.)
	Forward bool
}

// SwitchSyntax is the accepted form of each switch, for error messages.
var SwitchSyntax = map[Switch]string{
	SwitchRetention:  "retention=forever|DURATION[:accept|:reject]",
	SwitchFailures:   "failures=store|retry",
	SwitchLease:      "lease=none|DURATION",
	SwitchDownstream: "downstream=forward|no-forward",
}

// AllSwitches lists the switches in the order they print.
func AllSwitches() []Switch {
	return []Switch{SwitchRetention, SwitchFailures, SwitchLease, SwitchDownstream}
}

// Set reads "NAME=VALUE" into s, for a strategy that accepts the switches
// in accepted; it names what is accepted when it refuses.
func (s *Switches) Set(setting string, accepted []Switch) error {
	name, value, ok := strings.Cut(setting, "=")
	sw := Switch(name)
	if _, known := SwitchSyntax[sw]; !ok || !known {
		return fmt.Errorf("switch %q: want NAME=VALUE with NAME one of %s", setting, joinSwitches(AllSwitches()))
	}
	if !slices.Contains(accepted, sw) {
		if len(accepted) == 0 {
			return fmt.Errorf("switch %s: the strategy accepts no switches", name)
		}
		return fmt.Errorf("switch %s: the strategy does not accept it (accepted: %s)", name, joinSwitches(accepted))
	}
	bad := func() error {
		return fmt.Errorf("switch %q: bad value %q (accepted: %s)", setting, value, SwitchSyntax[sw])
	}
	switch sw {
	case SwitchRetention:
		if value == "forever" {
			s.Retention, s.RejectExpired = 0, false
			return nil
		}
		window, mode, _ := strings.Cut(value, ":")
		d, err := time.ParseDuration(window)
		if err != nil || d <= 0 {
			return bad()
		}
		switch mode {
		case "", "accept":
			s.RejectExpired = false
		case "reject":
			s.RejectExpired = true
		default:
			return bad()
		}
		s.Retention = d
	case SwitchFailures:
		switch value {
		case "store":
			s.StoreFailures = true
		case "retry":
			s.StoreFailures = false
		default:
			return bad()
		}
	case SwitchLease:
		if value == "none" {
			s.Lease = 0
			return nil
		}
		d, err := time.ParseDuration(value)
		if err != nil || d <= 0 {
			return bad()
		}
		s.Lease = d
	case SwitchDownstream:
		switch value {
		case "forward":
			s.Forward = true
		case "no-forward":
			s.Forward = false
		default:
			return bad()
		}
	}
	return nil
}

// Value is the switch's value as Set reads it.
func (s Switches) Value(sw Switch) string {
	switch sw {
	case SwitchRetention:
		if s.Retention == 0 {
			return "forever"
		}
		if s.RejectExpired {
			return shortDuration(s.Retention) + ":reject"
		}
		return shortDuration(s.Retention) + ":accept"
	case SwitchFailures:
		if s.StoreFailures {
			return "store"
		}
		return "retry"
	case SwitchLease:
		if s.Lease == 0 {
			return "none"
		}
		return shortDuration(s.Lease)
	case SwitchDownstream:
		if s.Forward {
			return "forward"
		}
		return "no-forward"
	}
	return ""
}

// Format prints the switches in accepted as NAME=VALUE, space-separated.
func (s Switches) Format(accepted []Switch) string {
	var parts []string
	for _, sw := range AllSwitches() {
		if slices.Contains(accepted, sw) {
			parts = append(parts, string(sw)+"="+s.Value(sw))
		}
	}
	return strings.Join(parts, " ")
}

func joinSwitches(list []Switch) string {
	var names []string
	for _, sw := range list {
		names = append(names, string(sw))
	}
	return strings.Join(names, ", ")
}

// shortDuration prints a duration without its zero units: 24h, 1m30s.
func shortDuration(d sim.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
