package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/idemsim/idemsim/internal/testcmd"
)

// Goal: idemsim live refuses what it cannot do, before starting anything,
// in one line that names the flag and what is accepted. Method: the
// usage table's check (checkUsageCases) on bad live flags, run flags a
// live run does not support yet, bad --out targets (refused as run
// refuses them), and a bad run flag, which live reads as run does.
func TestLiveInvalidInput(t *testing.T) {
	checkUsageCases(t, []usageCase{
		{name: "live-limit-bad", args: []string{"live", "--limit", "soon"}, code: 2, names: `--limit "soon"`, accepted: "want a Go duration > 0"},
		{name: "live-limit-missing", args: []string{"live", "--limit"}, code: 2, names: "--limit needs a value", accepted: "needs a value"},
		{name: "live-out-is-a-file", args: []string{"live", "--out", "$DIR/f.faults"}, file: "x", code: 2, names: "idemsim live: --out $DIR/f.faults", accepted: "is a file; want a directory"},
		{name: "live-out-no-parent", args: []string{"live", "--out", "$DIR/no/such"}, code: 2, names: "idemsim live: --out $DIR/no/such: its parent $DIR/no", accepted: "does not exist"},
		{name: "live-chaos", args: []string{"live", "--chaos", "1"}, code: 2, names: "--chaos", accepted: "not supported in live mode yet"},
		{name: "live-client-crash", args: []string{"live", "--client-crash", "c1@1s"}, code: 2, names: "--client-crash", accepted: "not supported in live mode yet"},
		{name: "live-dirty-reads", args: []string{"live", "--isolation", "dirty-reads"}, code: 2, names: "isolation dirty-reads", accepted: "PostgreSQL has read committed, repeatable read and serializable"},
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
	assert.Empty(t, quiet.String(), "go test ./cmd/idemsim -run TestLiveFaultListReplaysQuietly")
	warnRecorded(&loud, header, []string{"--strategy", "naive", "--replay", "f.txt"})
	assert.Contains(t, loud.String(), "flags differ", "go test ./cmd/idemsim -run TestLiveFaultListReplaysQuietly")
}

// Goal: a live run takes its short defaults (8 clients of 10 operations,
// 3s to settle) only where neither the command line nor the claim
// scenario it names sets them, so that idemsim live --scenario runs the
// scenario's own world. Method: withLiveDefaults on a bare command line,
// one that sets --clients, and one naming a scenario of one client and
// one operation that sets no --settle.
func TestLiveDefaultsGiveWayToScenarios(t *testing.T) {
	rerun := testcmd.Rerun(t, "./cmd/idemsim")
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"bare", nil, []string{"--settle", "3s", "--ops", "10", "--clients", "8"}},
		{"clients given", []string{"--clients=2"}, []string{"--settle", "3s", "--ops", "10", "--clients=2"}},
		{"scenario", []string{"--scenario", "unique-409-charge-not-forwarded"}, []string{"--settle", "3s", "--scenario", "unique-409-charge-not-forwarded"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, withLiveDefaults(tc.args), rerun)
		})
	}
}
