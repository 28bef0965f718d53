package shrink

import (
	"fmt"
	"strings"
	"time"

	"github.com/idemsim/idemsim/sim/world"
)

// Changed names the `idemsim run` flags, other than sizes and faults,
// whose values the shrinker changed in r from the run it started from
// (from): the Timings it made constant, and the balancer.
func (r *Result) Changed(from world.Config) []string {
	var names []string
	for _, f := range r.changed(from) {
		names = append(names, f.name)
	}
	return names
}

// setting is a flag and its value.
type setting struct{ name, value string }

// changed is Changed with each flag's value in r.
func (r *Result) changed(from world.Config) []setting {
	var out []setting
	c := r.Config
	for _, t := range Timings {
		if *t.Of(&c) != *t.Of(&from) {
			out = append(out, setting{t.Name, t.Of(&c).String()})
		}
	}
	if c.Balancer != from.Balancer {
		out = append(out, setting{"balancer", string(c.Balancer)})
	}
	return out
}

// Flags are the `idemsim run` flags that turn the run r started from into
// the shrunk run: the settings it changed (Changed), the sizes, and every
// fault it keeps, one --fault each (--fault none when it keeps none, so
// that random faults stay off). A reproduce command is the run's own
// flags, without those that decide faults or sizes, followed by these;
// values are quoted for a POSIX shell where they need it.
func (r *Result) Flags(from world.Config) []string {
	c := r.Config
	var out []string
	for _, f := range r.changed(from) {
		out = append(out, "--"+f.name, Quote(f.value))
	}
	out = append(out, "--clients", fmt.Sprint(c.Clients), "--workers-per-op", fmt.Sprint(c.WorkersPerOp),
		"--ops", fmt.Sprint(c.OpsPerClient), "--servers", fmt.Sprint(c.Servers), "--deadline", time.Duration(c.Deadline).String())
	for _, f := range c.Faults.Replay {
		out = append(out, "--fault", Quote(f.String()))
	}
	if len(c.Faults.Replay) == 0 {
		out = append(out, "--fault", "none")
	}
	return out
}

// Quote returns s as one word of a POSIX shell command: as it is when it
// holds only characters the shell leaves alone, else in single quotes.
func Quote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,:=/@+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
