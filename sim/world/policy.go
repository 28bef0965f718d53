package world

import (
	"fmt"

	"github.com/idemsim/idemsim/sim/api"
	"strconv"
	"strings"
)

// Action is what a client does with a status code.
type Action uint8

// The client's actions.
const (
	Done   Action = iota + 1 // the operation happened: stop
	Retry                    // send the create again (after backoff)
	PollIt                   // ask for the outcome later (after the poll interval)
	GiveUp                   // the operation failed for good: stop
	// Reread: read the resource again (a GET); if it shows this
	// operation's effect, the operation is done, else create again under
	// the version just read (If-Match).
	Reread
	// Reapply: read the version again and create again under it without
	// looking for this operation's effect — the bug that applies a delta
	// twice after a 412.
	Reapply
)

var actionNames = [...]string{Done: "done", Retry: "retry", PollIt: "poll", GiveUp: "give-up", Reread: "reread", Reapply: "reapply"}

func (a Action) String() string {
	if int(a) < len(actionNames) && actionNames[a] != "" {
		return actionNames[a]
	}
	return fmt.Sprintf("action(%d)", uint8(a))
}

// Policy is how a client reads each status code. The thread insists that a
// client is half of the contract, so the reading is a table one can change,
// not code.
type Policy struct {
	byStatus [600]Action
}

// DefaultPolicy reads 200/201 as done, 409 as "already done" (the reading
// the thread's always-409 camp asks clients to adopt: a conflict means an
// earlier request with the key succeeded), 202 as poll, 412 as re-read
// (optimistic concurrency: learn whether the change happened), 422 and
// other 4xx as give up, and 423/429/5xx as retry.
func DefaultPolicy() Policy {
	var p Policy
	for s := range p.byStatus {
		switch {
		case s >= 500:
			p.byStatus[s] = Retry
		case s >= 200 && s < 300:
			p.byStatus[s] = Done
		default:
			p.byStatus[s] = GiveUp
		}
	}
	p.byStatus[api.StatusAccepted] = PollIt
	p.byStatus[api.StatusPreconditionFailed] = Reread
	p.byStatus[api.StatusConflict] = Done
	p.byStatus[api.StatusLocked] = Retry
	p.byStatus[api.StatusTooManyRequests] = Retry
	return p
}

// Action is what the policy does with status.
func (p *Policy) Action(status int) Action {
	if status < 0 || status >= len(p.byStatus) {
		return GiveUp
	}
	return p.byStatus[status]
}

// PolicySyntax is the accepted form of a policy override, for error messages.
const PolicySyntax = "STATUS=ACTION[,...] with STATUS a code (409) or class (5xx) and ACTION done, retry, poll, give-up, reread or reapply"

// Override applies "409=retry,5xx=give-up".
func (p *Policy) Override(s string) error {
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("%q: missing '=' (accepted: %s)", kv, PolicySyntax)
		}
		var a Action
		for i, name := range actionNames {
			if name != "" && name == v {
				a = Action(i)
			}
		}
		if a == 0 {
			return fmt.Errorf("%q: unknown action %q (accepted: %s)", kv, v, PolicySyntax)
		}
		lo, hi, err := statusRange(k)
		if err != nil {
			return fmt.Errorf("%q: %v (accepted: %s)", kv, err, PolicySyntax)
		}
		for s := lo; s <= hi; s++ {
			p.byStatus[s] = a
		}
	}
	return nil
}

func statusRange(k string) (int, int, error) {
	if len(k) == 3 && k[1:] == "xx" && k[0] >= '1' && k[0] <= '5' {
		lo := int(k[0]-'0') * 100
		return lo, lo + 99, nil
	}
	n, err := strconv.Atoi(k)
	if err != nil || n < 100 || n > 599 {
		return 0, 0, fmt.Errorf("bad status %q", k)
	}
	return n, n, nil
}

// String lists the entries that differ from DefaultPolicy, as Override reads
// them ("" for the default).
func (p *Policy) String() string {
	d := DefaultPolicy()
	var parts []string
	for s := 100; s < len(p.byStatus); s++ {
		if p.byStatus[s] != d.byStatus[s] {
			parts = append(parts, strconv.Itoa(s)+"="+p.byStatus[s].String())
		}
	}
	return strings.Join(parts, ",")
}
