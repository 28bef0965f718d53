package diagram

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// attemptEvents is one attempt of client at o1.1 through server, answered
// status, at second n.
func attemptEvents(n int, client, server string, status int) []world.Event {
	op := api.OpID{Queue: 1, Index: 1}
	at := sim.Time(time.Duration(n) * time.Second)
	msg := fmt.Sprintf("%s/o1.1/a%d request", client, n)
	return []world.Event{
		{At: at, Kind: world.EventSent, From: client, To: server, Op: op, Attempt: int32(n), Message: msg, Label: fmt.Sprintf("create o1.1/a%d", n)},
		{At: at + 1000, Kind: world.EventDelivered, From: client, To: server, Op: op, Attempt: int32(n), Message: msg},
		{At: at + 2000, Kind: world.EventResponse, Node: client, Op: op, Attempt: int32(n), Status: status, Label: fmt.Sprintf("%d → retry", status)},
		{At: at + 2000, Kind: world.EventBackoff, Node: client, Op: op, Duration: time.Duration(n) * 100 * time.Millisecond, Label: fmt.Sprintf("waits %v", time.Duration(n)*100*time.Millisecond)},
	}
}

// Goal: a run of alike attempts (the same events but for their numbers) is
// drawn as its first two, one line counting the others, and its last; a
// run too short to gain, or broken by an event of no attempt or by an
// attempt that went otherwise, is drawn whole. Method: hand-built attempts
// of one client, counted by the requests drawn.
func TestFoldRepeats(t *testing.T) {
	crash := world.Event{Kind: world.EventCrash, Node: "s1", Label: "CRASH"}
	for _, tc := range []struct {
		name     string
		statuses []int // one attempt each; 0: a crash between attempts
		turns    bool  // c1 through s1 and c2 through s2 take turns
		drawn    []int // the attempts drawn
		folded   int   // attempts the fold line counts
		by       string
	}{
		{"six-alike", []int{409, 409, 409, 409, 409, 409}, false, []int{1, 2, 6}, 3, ""},
		{"four-alike-drawn-whole", []int{409, 409, 409, 409}, false, []int{1, 2, 3, 4}, 0, ""},
		{"a-crash-breaks-the-run", []int{409, 409, 409, 0, 409, 409, 409}, false, []int{1, 2, 3, 5, 6, 7}, 0, ""},
		{"another-answer-breaks-the-run", []int{409, 409, 409, 500, 409, 409, 409, 409, 409}, false, []int{1, 2, 3, 4, 5, 6, 9}, 2, ""},
		{"two-workers-taking-turns", []int{409, 409, 409, 409, 409, 409, 409}, true, []int{1, 2, 7}, 4, " by c1 and c2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./diagram")
			var events []world.Event
			n := 0
			for _, st := range tc.statuses {
				n++
				if st == 0 {
					events = append(events, crash)
					continue
				}
				client, server := "c1", "s1"
				if tc.turns && n%2 == 0 {
					client, server = "c2", "s2"
				}
				events = append(events, attemptEvents(n, client, server, st)...)
			}
			out, folded := foldRepeats(events)
			var drawn []int
			for i, ev := range out {
				if ev.Kind == world.EventSent {
					drawn = append(drawn, int(ev.Attempt))
				}
				if folded[i] {
					require.Positive(t, tc.folded, "a fold line where none was due: %s; %s", ev.Label, rerun)
					assert.Contains(t, ev.Label, fmt.Sprintf("… %d more attempts%s went the same way", tc.folded, tc.by), rerun)
				}
			}
			assert.Equal(t, tc.drawn, drawn, rerun)
			assert.Equal(t, tc.folded > 0, len(folded) > 0, rerun)
		})
	}
}
