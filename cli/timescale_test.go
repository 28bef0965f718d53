package cli

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/claims"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim/world"
)

// Goal: --time-scale refuses what it cannot take, in run and in live,
// before anything starts: exit 2 and one line naming the flag and what is
// accepted, including a factor that would bring a duration of this world
// under the floor. Method: the usage table's check (checkUsageCases).
func TestTimeScaleInvalidInput(t *testing.T) {
	checkUsageCases(t, []usageCase{
		{name: "time-scale-word", args: []string{"run", "--time-scale", "fast"}, code: 2, names: "--time-scale", accepted: "a factor in (0, 1]"},
		{name: "time-scale-zero", args: []string{"run", "--time-scale", "0"}, code: 2, names: "--time-scale", accepted: "a factor in (0, 1]"},
		{name: "time-scale-above-one", args: []string{"run", "--time-scale", "10000"}, code: 2, names: "--time-scale", accepted: "as 1/N or a decimal"},
		{name: "time-scale-tiny", args: []string{"run", "--time-scale", "1/100000000000"}, code: 2, names: "--time-scale", accepted: "at least 1/1000000000"},
		{name: "time-scale-missing", args: []string{"run", "--time-scale"}, code: 2, names: "--time-scale", accepted: "needs a value"},
		{name: "time-scale-floor", args: []string{"run", "--time-scale", "1/100"}, code: 2, names: "--time-scale: 1/100 would make timeout 1s 10ms", accepted: "a factor of at least 1/10"},
		{name: "live-time-scale-word", args: []string{"live", "--time-scale", "fast"}, code: 2, names: "idemsim live: --time-scale", accepted: "a factor in (0, 1]"},
		{name: "live-time-scale-floor", args: []string{"live", "--scenario", "window-then-accept", "--time-scale", "1/100000000"}, code: 2, names: "idemsim live: --time-scale", accepted: "a factor of at least"},
	})
}

// Goal: the claim scenarios that wait out a retention window (claim 12)
// keep their verdicts when their durations are scaled down, so the
// scaled world sim-vs-live runs live is the one the claim is about; and
// sim-vs-live picks for each the largest power of ten that ends it within
// 30s. Method: each scenario's flags run unscaled, and again with
// --time-scale at several factors; then scaledForLive on the unscaled
// world.
func TestScaledWindowScenariosKeepTheirVerdicts(t *testing.T) {
	for _, name := range []string{"window-then-accept", "window-then-reject"} {
		t.Run(name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./cli")
			sc, err := claims.Lookup(name)
			require.NoError(t, err, rerun)
			cfg, verdict, res, err := simVsLiveSim(sc)
			require.NoError(t, err, rerun)
			assert.Equal(t, sc.Expect.String(), verdict, "unscaled; %s", rerun)
			for _, f := range []string{"1/10", "1/1000", "1/10000", "1/100000"} {
				st, err := configure(append(append([]string(nil), sc.Args...), "--time-scale", f))
				require.NoError(t, err, rerun)
				scaled, err := world.Run(st.cfg)
				require.NoError(t, err, rerun)
				rep := check.Audit(scaled)
				assert.Equal(t, verdict, verdictOf(&rep), "scaled by %s; %s", f, rerun)
			}
			live, scaledVerdict, done, why, err := scaledForLive(cfg, res, 30*time.Second)
			require.NoError(t, err, rerun)
			require.Empty(t, why, rerun)
			assert.Equal(t, "1/10000", live.TimeScale.String(), rerun)
			assert.Equal(t, verdict, scaledVerdict, rerun)
			assert.Less(t, done, 11*time.Second, rerun)
		})
	}
}

// assertScaledVerdict checks a sim-vs-live row that ran scaled: the
// simulator still gives its scaled world the verdict the row records.
func assertScaledVerdict(t *testing.T, s svlScenario, cfg world.Config, rerun string) {
	t.Helper()
	f, err := world.ParseTimeScale(s.Scale)
	require.NoError(t, err, "%s: scale %q; %s", s.Name, s.Scale, rerun)
	scaled, err := cfg.Scaled(f)
	require.NoError(t, err, "%s; %s", s.Name, rerun)
	res, err := world.Run(scaled)
	require.NoError(t, err, "%s; %s", s.Name, rerun)
	rep := check.Audit(res)
	assert.Equal(t, s.ScaledSim, verdictOf(&rep), "%s: the simulator's verdict on the world scaled by %s changed since the live runs; make sim-vs-live; %s", s.Name, s.Scale, rerun)
}

// Goal: the table names the factor a scaled scenario ran with, holds its
// live runs to the scaled world's verdict, and shows that verdict beside
// the unscaled one when they differ; rows that ran unscaled are drawn as
// before. Method: simVsLiveTable on three hand-made rows.
func TestSimVsLiveTableShowsTheScale(t *testing.T) {
	rerun := testcmd.Rerun(t, "./cli")
	table := simVsLiveTable(simVsLive{Runs: 3, Scenarios: []svlScenario{
		{Name: "plain", Claim: 1, Sim: "holds", Live: map[string]int{"holds": 3}},
		{Name: "long", Claim: 12, Sim: "duplicate", Scale: "1/10000", ScaledSim: "duplicate", Live: map[string]int{"duplicate": 3}},
		{Name: "drifted", Claim: 12, Sim: "duplicate", Scale: "1/1000", ScaledSim: "holds", Live: map[string]int{"holds": 2, "duplicate": 1}},
	}})
	assert.Contains(t, table, "| plain | 1 | holds | 3/3 |  |", rerun)
	assert.Contains(t, table, "| long (time scale 1/10000) | 12 | duplicate | 3/3 |  |", rerun)
	assert.Contains(t, table, "| drifted (time scale 1/1000) | 12 | duplicate; scaled: holds | 2/3 | duplicate 1 |", rerun)
	assert.Contains(t, table, "scaled by the factor its row names", rerun)
	plain := simVsLiveTable(simVsLive{Runs: 3, Scenarios: []svlScenario{{Name: "plain", Claim: 1, Sim: "holds", Live: map[string]int{"holds": 3}}}})
	assert.NotContains(t, plain, "scale", "a table without scaled rows says nothing of scaling; %s", rerun)
}
