package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/livetest"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/live"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// liveOutScenario is a small violating claim scenario: the first response
// is lost after the card was charged, and the retry charges again.
const liveOutScenario = "unique-409-charge-not-forwarded"

// Goal: idemsim live --out DIR writes what idemsim run --out writes for a
// violating run (summary, timeline, faults, the sequence diagram), and the
// live timeline tells an operation's story in the same steps, in the same
// order, as the simulated run of the same scenario: database statements,
// store commands and gateway calls included. Method: the violating
// scenario with one client and one operation, live on a throwaway
// PostgreSQL and Redis, through the command with --out; then it and two
// more scenarios through live.Run, whose events for the operation are
// compared kind by kind, with the node of each (not by time), with those
// of world.Run on the same world.
func TestLiveOutDir(t *testing.T) {
	if testing.Short() {
		t.Skip("live: starts PostgreSQL and Redis")
	}
	rerun := testcmd.Rerun(t, "./cli")
	pg := livetest.StartPostgres(t)
	rd := livetest.StartRedis(t)
	flags := []string{"--scenario", liveOutScenario, "--clients", "1", "--ops", "1"}
	services := []string{"--postgres", pg.DatabaseDSN("postgres"), "--redis", rd.Addr()}

	t.Run("out", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "out")
		var stdout, stderr bytes.Buffer
		args := append(append(append([]string{"live"}, flags...), services...), "--out", dir)
		require.Equal(t, 0, run(args, &stdout, &stderr), "%s\n%s", stderr.String(), rerun)
		for _, name := range []string{outSummary, outTimeline, outFaults, outSVG, outPNG} {
			b, err := os.ReadFile(filepath.Join(dir, name))
			require.NoError(t, err, rerun)
			assert.NotEmpty(t, b, "%s; %s", name, rerun)
		}
		svg, err := os.ReadFile(filepath.Join(dir, outSVG))
		require.NoError(t, err, rerun)
		assert.Contains(t, string(svg), "<svg", rerun)
		assert.Contains(t, string(svg), "o1.1", "the diagram draws the violating operation; "+rerun)
		timeline, err := os.ReadFile(filepath.Join(dir, outTimeline))
		require.NoError(t, err, rerun)
		assert.Contains(t, string(timeline), "s1>c1 response c1/o1.1/a1 DROPPED", rerun)
		assert.Contains(t, string(timeline), "c1 concludes o1.1: done (409)", rerun)
		summary, err := os.ReadFile(filepath.Join(dir, outSummary))
		require.NoError(t, err, rerun)
		assert.Contains(t, string(summary), "DUPLICATE 1", rerun)
		assert.NotContains(t, string(summary), "--out", "the reproduce command leaves --out out; "+rerun)
	})

	// The scenario above, one whose server checks the store, and one whose
	// gateway replays the retry's charge.
	for _, scenario := range []string{liveOutScenario, "presence-response-lost", "unique-409-charge-forwarded"} {
		t.Run("same steps as simulated/"+scenario, func(t *testing.T) {
			st, err := configure([]string{"--scenario", scenario, "--clients", "1", "--ops", "1"})
			require.NoError(t, err, rerun)
			require.True(t, st.cfg.KeepTrace, "a scenario keeps its trace; %s", rerun)
			sim, err := world.Run(st.cfg)
			require.NoError(t, err, rerun)
			res, err := live.Run(context.Background(), live.Config{World: st.cfg, PostgresDSN: pg.DatabaseDSN("postgres"), RedisAddr: rd.Addr()})
			require.NoError(t, err, rerun)
			op := api.OpID{Queue: 1, Index: 1}
			want, got := eventKinds(sim.Events(&op)), eventKinds(res.Events(&op))
			require.NotEmpty(t, want, rerun)
			assert.Equal(t, want, got, "the live timeline of o1.1 takes the simulated one's steps in its order; %s", rerun)
		})
	}
}

// eventKinds are the kinds of events, with the node each is about.
func eventKinds(evs []world.Event) []string {
	out := make([]string, 0, len(evs))
	for _, e := range evs {
		out = append(out, e.Kind.String()+" "+e.Node)
	}
	return slices.Clip(out)
}
