package cli

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/sim/world"
)

// Goal: every scalar setting of the world has one statement of its range
// and default, world's setting tables, and the run flag follows it: the
// help's range and default are the table's and world.Defaults()'s, the
// flag takes the range's ends and a value just past them is refused by
// the flag, and a value the flag takes at a lower end passes Validate (a
// duration's 0 exactly when the table allows it). Method: for each entry
// of world.IntSettings, DurationSettings, RateSettings and DistSettings
// (with workers-per-op and queue-max-receives), its flag's spec and
// configure on the command line setting it alone.
func TestRunFlagsFollowWorldSettings(t *testing.T) {
	fs := runFlags()
	def := world.Defaults()
	spec := func(t *testing.T, name string) *flagSpec {
		s := fs.lookup(name)
		require.NotNil(t, s, "no run flag --%s; %s", name, rerun(t, []string{"run", "--help"}))
		return s
	}
	// with are the flags a value at a lower end needs beside it.
	with := map[string][]string{"backoff-cap": {"--backoff-base", "0"}}
	accepted := func(t *testing.T, name, value string) {
		args := append([]string{"--" + name, value}, with[name]...)
		_, err := configure(args)
		assert.NoError(t, err, rerun(t, append([]string{"run"}, args...)))
	}
	refused := func(t *testing.T, name, value string) {
		args := []string{"--" + name, value}
		_, err := configure(args)
		if assert.Error(t, err, rerun(t, append([]string{"run"}, args...))) {
			assert.True(t, strings.HasPrefix(err.Error(), "idemsim run: --"+name+": "), "%v; %s", err, rerun(t, append([]string{"run"}, args...)))
		}
	}
	for _, set := range append(world.IntSettings, world.WorkersPerOp, world.QueueMaxReceives) {
		t.Run(set.Name, func(t *testing.T) {
			s := spec(t, set.Name)
			assert.Equal(t, fmt.Sprintf("%d to %d", set.Lo, set.Hi), s.accepts, rerun(t, []string{"run", "--help"}))
			assert.Contains(t, s.help, fmt.Sprintf("(default %d", *set.Field(&def)), rerun(t, []string{"run", "--help"}))
			accepted(t, set.Name, strconv.Itoa(set.Lo))
			refused(t, set.Name, strconv.Itoa(set.Lo-1))
			refused(t, set.Name, strconv.Itoa(set.Hi+1))
		})
	}
	for _, set := range world.DurationSettings {
		t.Run(set.Name, func(t *testing.T) {
			s := spec(t, set.Name)
			assert.Equal(t, set.Accepts(), s.accepts, rerun(t, []string{"run", "--help"}))
			assert.Contains(t, s.help, "(default "+world.DurationText(*set.Field(&def)), rerun(t, []string{"run", "--help"}))
			if set.ZeroOK {
				accepted(t, set.Name, "0")
			} else {
				refused(t, set.Name, "0")
				accepted(t, set.Name, "1ms")
			}
			refused(t, set.Name, (set.Max + time.Nanosecond).String())
		})
	}
	for _, set := range world.RateSettings {
		t.Run(set.Name, func(t *testing.T) {
			s := spec(t, set.Name)
			assert.Equal(t, "0 to 1", s.accepts, rerun(t, []string{"run", "--help"}))
			assert.Contains(t, s.help, "default "+strconv.FormatFloat(*set.Field(&def), 'g', -1, 64), rerun(t, []string{"run", "--help"}))
			refused(t, set.Name, "1.5")
		})
	}
	for _, set := range world.DistSettings {
		t.Run(set.Name, func(t *testing.T) {
			s := spec(t, set.Name)
			assert.Contains(t, s.help, "(default "+world.DistText(*set.Field(&def))+")", rerun(t, []string{"run", "--help"}))
			accepted(t, set.Name, "const:1ms")
		})
	}
}
