package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Goal: idemsim live refuses what it cannot do, before starting anything,
// in one line that names the flag and what is accepted. Method: the
// usage table's check (checkUsageCases) on bad live flags, run flags a
// live run does not support yet, and a bad run flag, which live reads as
// run does.
func TestLiveInvalidInput(t *testing.T) {
	checkUsageCases(t, []usageCase{
		{name: "live-limit-bad", args: []string{"live", "--limit", "soon"}, code: 2, names: `--limit "soon"`, accepted: "want a Go duration > 0"},
		{name: "live-limit-missing", args: []string{"live", "--limit"}, code: 2, names: "--limit needs a value", accepted: "needs a value"},
		{name: "live-out", args: []string{"live", "--out", "$DIR/x"}, code: 2, names: "--out", accepted: "not supported in live mode yet"},
		{name: "live-service-clock", args: []string{"live", "--clock-skew", "kv:+3s"}, code: 2, names: "the clock of kv", accepted: "the servers' clocks, s1..s"},
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
