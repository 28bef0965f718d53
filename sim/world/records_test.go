package world_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim/world"
)

// Goal: the one decoder loses nothing: every record a run makes decodes to
// its kind's typed event, and that event encodes back to the very same
// record, so the typed events can stand for the records everywhere. Method:
// stormy worlds (every fault kind on, every service called, a strategy
// with crash points) keep their traces; each record goes through the
// decoder and the event's encoder and must come back unchanged, and no
// record may decode as a kind nobody defines.
func TestRecordsDecodeToTypedEventsAndBack(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  world.Config
	}{
		{"everything", stormy(everything, 3)},
		{"everything-seed-11", stormy(everything, 11)},
		{"txn-check-insert", stormy(models.TxnCheckInsert, 5)},
		{"lost-response", lostFirstResponse(t)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./sim/world")
			cfg := tc.cfg
			cfg.KeepTrace = true
			res, err := world.Run(cfg)
			require.NoError(t, err, rerun)
			records := res.Records()
			require.NotEmpty(t, records, rerun)
			kinds := map[string]int{}
			for i, rec := range records {
				again, typ := world.Reencode(rec)
				require.Equal(t, rec, again, "record %d (%s) does not survive decoding and encoding; %s", i, typ, rerun)
				assert.False(t, strings.HasSuffix(typ, "unknownRecord"), "record %d of kind %d has no typed event; %s", i, rec.Kind, rerun)
				kinds[typ]++
			}
			var seen []string
			for k := range kinds {
				seen = append(seen, k)
			}
			sort.Strings(seen)
			t.Logf("%d records of %d typed events: %v", len(records), len(seen), seen)
		})
	}
}
