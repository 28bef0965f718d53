package shrink

import (
	"fmt"
	"strings"
	"time"

	"github.com/idemsim/idemsim/sim/world"
)

// ChangedTimings names the Timings the shrinker made constant in r, as
// they differ from the run it started from (from).
func (r *Result) ChangedTimings(from world.Config) []string {
	var names []string
	c := r.Config
	for _, t := range Timings {
		if *t.Of(&c) != *t.Of(&from) {
			names = append(names, t.Name)
		}
	}
	return names
}

// Flags are the `idemsim run` flags that turn the run r started from into
// the shrunk run: the timings made constant, the sizes, and every fault it
// keeps, one --fault each (--fault none when it keeps none, so that random
// faults stay off). A reproduce command is the run's own flags, without
// those that decide faults or sizes, followed by these; values are quoted
// for a POSIX shell where they need it.
func (r *Result) Flags(from world.Config) []string {
	c := r.Config
	var out []string
	for _, name := range r.ChangedTimings(from) {
		for _, t := range Timings {
			if t.Name == name {
				out = append(out, "--"+name, Quote(t.Of(&c).String()))
			}
		}
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
