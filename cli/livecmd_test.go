package cli

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
)

// Goal: idemsim live refuses what it cannot do, before starting anything,
// in one line that names the flag and what is accepted. Method: the
// usage table's check (checkUsageCases) on bad live flags (a value given
// to --anchor-to-sim, which takes none), run flags a live run does not
// support yet (with --anchor-to-sim too, which must not get as far as
// simulating the twin), bad --out targets (refused as run refuses them),
// and a bad run flag, which live reads as run does.
func TestLiveInvalidInput(t *testing.T) {
	checkUsageCases(t, []usageCase{
		{name: "live-limit-bad", args: []string{"live", "--limit", "soon"}, code: 2, names: `--limit "soon"`, accepted: "want a Go duration > 0"},
		{name: "live-limit-missing", args: []string{"live", "--limit"}, code: 2, names: "--limit needs a value", accepted: "needs a value"},
		{name: "live-out-is-a-file", args: []string{"live", "--out", "$DIR/f.faults"}, file: "x", code: 2, names: "idemsim live: --out $DIR/f.faults", accepted: "is a file; want a directory"},
		{name: "live-out-no-parent", args: []string{"live", "--out", "$DIR/no/such"}, code: 2, names: "idemsim live: --out $DIR/no/such: its parent $DIR/no", accepted: "does not exist"},
		{name: "live-chaos", args: []string{"live", "--chaos", "1"}, code: 2, names: "--chaos", accepted: "not supported in live mode yet"},
		{name: "live-service-clock", args: []string{"live", "--clock-skew", "kv:+3s"}, code: 2, names: "the clock of kv", accepted: "the servers' clocks, s1..s"},
		{name: "live-dirty-reads", args: []string{"live", "--isolation", "dirty-reads"}, code: 2, names: "isolation dirty-reads", accepted: "PostgreSQL has read committed, repeatable read and serializable"},
		{name: "live-anchor-value", args: []string{"live", "--anchor-to-sim=yes"}, code: 2, names: `--anchor-to-sim takes no value, got "yes"`, accepted: "the bare flag"},
		{name: "live-anchor-unsupported", args: []string{"live", "--anchor-to-sim", "--clock-skew", "kv:+3s"}, code: 2, names: "the clock of kv", accepted: "the servers' clocks, s1..s"},
		{name: "live-bad-run-flag", args: []string{"live", "--reuse-key", "2"}, code: 2, names: "idemsim live: --reuse-key", accepted: "not a probability in [0, 1]"},
	})
}

// Goal: a fault list idemsim live wrote replays in idemsim run on the
// same flags without the warning that the flags differ, and still warns
// when they do differ. Method: warnRecorded on a live header, with the
// same and with other world flags.
func TestLiveFaultListReplaysQuietly(t *testing.T) {
	header := []string{headerCommand + "idemsim live --settle 3s --strategy unique-409 --drop-response 0.3 --faults-out f.txt"}
	var quiet, loud strings.Builder
	warnRecorded(&quiet, header, []string{"--settle", "3s", "--strategy", "unique-409", "--drop-response", "0.3", "--replay", "f.txt"})
	assert.Empty(t, quiet.String(), "go test ./cli -run TestLiveFaultListReplaysQuietly")
	warnRecorded(&loud, header, []string{"--strategy", "naive", "--replay", "f.txt"})
	assert.Contains(t, loud.String(), "flags differ", "go test ./cli -run TestLiveFaultListReplaysQuietly")
}

// Goal: the live defaults (8 clients, 10 operations, 3 s settle) fill in
// only what neither the user nor the scenario sets, so idemsim live
// --scenario runs the scenario's world, not a bigger one. Method:
// withLiveDefaults then configure, on a claim scenario with one client
// and one operation, with and without the user's own --ops, and with no
// scenario at all.
func TestLiveDefaultsYieldToTheScenario(t *testing.T) {
	rerun := testcmd.Rerun(t, "./cli")
	for _, tc := range []struct {
		name         string
		args         []string
		clients, ops int
	}{
		{name: "no-scenario", args: nil, clients: 8, ops: 10},
		{name: "scenario", args: []string{"--scenario", "unique-409-response-lost"}, clients: 1, ops: 1},
		{name: "scenario-equals", args: []string{"--scenario=unique-409-response-lost"}, clients: 1, ops: 1},
		{name: "scenario-and-user", args: []string{"--scenario", "unique-409-response-lost", "--ops", "3"}, clients: 1, ops: 3},
		{name: "user-only", args: []string{"--clients", "2"}, clients: 2, ops: 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := configure(withLiveDefaults(tc.args))
			require.NoError(t, err, rerun)
			assert.Equal(t, tc.clients, st.cfg.Clients, "clients; %s", rerun)
			assert.Equal(t, tc.ops, st.cfg.OpsPerClient, "operations per client; %s", rerun)
		})
	}
}
