package gctune

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/idemsim/idemsim/internal/testcmd"
)

// Goal: Apply sets Percent, and leaves a GOGC the user chose alone.
// Method: apply with GOGC unset and set, reading the percent back (setting
// it returns the previous one).
func TestApply(t *testing.T) {
	rerun := testcmd.Rerun(t, "./internal/gctune")
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	for _, tc := range []struct {
		name, gogc string
		want       int
	}{
		{"default", "", Percent},
		{"user-chose", "150", 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GOGC", tc.gogc)
			debug.SetGCPercent(100)
			Apply()
			assert.Equal(t, tc.want, debug.SetGCPercent(100), rerun)
		})
	}
}
