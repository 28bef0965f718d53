package diagram

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// foldAfter is how many alike attempts in a row are drawn before the rest
// of the run of them is folded into one line.
const foldAfter = 2

// block is one attempt's events (its request, what the server did for it,
// the answer, the client's reading of it and its wait), or one event that
// belongs to no attempt.
type block struct {
	events []world.Event
	op     api.OpID
	client string
	sig    string // what the attempt did, without its numbers; "" for no attempt
}

// foldRepeats draws a run of alike attempts at one operation as its first
// two, one line that counts the others, and its last: a client told "in
// progress" thirty times reads as three attempts and a count. Attempts are
// alike when their events are the same but for their numbers (times,
// attempt numbers, latencies, row ids) and which client and server
// (signature); an event of no attempt (a crash, a restart, a partition)
// ends a run. It returns the events kept and, for each folded
// line among them, its index.
func foldRepeats(events []world.Event) ([]world.Event, map[int]bool) {
	blocks := attempts(events)
	var out []world.Event
	folded := map[int]bool{}
	for i := 0; i < len(blocks); {
		j := i + 1
		for blocks[i].sig != "" && j < len(blocks) && blocks[j].sig == blocks[i].sig && blocks[j].op == blocks[i].op {
			j++
		}
		n := j - i // a run of n alike attempts, or one block
		if n <= foldAfter+2 {
			for _, b := range blocks[i:j] {
				out = append(out, b.events...)
			}
			i = j
			continue
		}
		for _, b := range blocks[i : i+foldAfter] {
			out = append(out, b.events...)
		}
		first, last := blocks[i+foldAfter], blocks[j-2]
		var who []string
		for _, b := range blocks[i+foldAfter : j-1] {
			if !slices.Contains(who, b.client) {
				who = append(who, b.client)
			}
		}
		by := ""
		if len(who) > 1 {
			by = " by " + strings.Join(who, " and ")
		}
		folded[len(out)] = true
		out = append(out, world.Event{
			At: first.events[0].At, Kind: world.EventBackoff, Node: first.client, Op: first.op,
			Label: fmt.Sprintf("… %d more attempts%s went the same way, to %v", n-foldAfter-1, by, last.events[len(last.events)-1].At),
		})
		out = append(out, blocks[j-1].events...)
		i = j
	}
	return out, folded
}

// attempts cuts events into blocks: an attempt's block starts with its
// request leaving the client and takes every later event of the same
// operation until the next attempt of it starts.
func attempts(events []world.Event) []block {
	var out []block
	var cur *block
	for _, ev := range events {
		switch {
		case ev.Kind == world.EventSent && !ev.Response && ev.Attempt > 0 && ev.From != "" && strings.HasPrefix(ev.From, "c") && ev.Op != (api.OpID{}):
			out = append(out, block{op: ev.Op, client: ev.From})
			cur = &out[len(out)-1]
		case cur != nil && ev.Op == cur.op && ev.Op != (api.OpID{}):
		default:
			out = append(out, block{events: []world.Event{ev}})
			cur = nil
			continue
		}
		cur.events = append(cur.events, ev)
	}
	for i := range out {
		if out[i].client != "" {
			out[i].sig = signature(out[i].events)
		}
	}
	return out
}

// signature is what an attempt's events did, their numbers left out and
// clients and servers named by their role only: the attempts of two
// workers on one operation, each answered 409 by whichever server the
// balancer chose, went the same way.
func signature(events []world.Event) string {
	var b strings.Builder
	for _, ev := range events {
		fmt.Fprintf(&b, "%d|%s|%s|%s|%d|%t|%s\n", ev.Kind, anyNode(ev.Node), anyNode(ev.From), anyNode(ev.To), ev.Status, ev.Response, withoutDigits(ev.Label))
	}
	return b.String()
}

// anyNode is a client's or a server's name as its role: c3 is "c", s2 "s".
func anyNode(name string) string {
	if len(name) > 1 && (name[0] == 'c' || name[0] == 's') && strings.Trim(name[1:], "0123456789") == "" {
		return name[:1]
	}
	return name
}

// number is a number with its unit, if any: "17", "2.37s", "57.8ms".
var number = regexp.MustCompile(`[0-9][0-9.]*(ns|µs|us|ms|s|m|h)?`)

func withoutDigits(s string) string { return number.ReplaceAllString(s, "#") }
