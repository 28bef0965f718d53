package world_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"

	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// policyRerun is the command that reruns the calling test or subtest alone;
// every failure message carries it.
func policyRerun(t *testing.T) string { return testcmd.Rerun(t, "./sim/world") }

// Goal: the default policy reads statuses as the thread does: 200/201 done,
// 202 poll, 409 "already done", 412 re-read, 422 and other 4xx give up, 423/429 and
// 5xx retry; codes outside the table give up rather than panic.
// Method: table of status -> action on DefaultPolicy.
func TestDefaultPolicy(t *testing.T) {
	p := world.DefaultPolicy()
	cases := []struct {
		status int
		want   world.Action
	}{
		{api.StatusOK, world.Done},
		{api.StatusCreated, world.Done},
		{api.StatusAccepted, world.PollIt},
		{api.StatusConflict, world.Done},
		{api.StatusPreconditionFailed, world.Reread},
		{api.StatusUnprocessableEntity, world.GiveUp},
		{api.StatusLocked, world.Retry},
		{api.StatusTooManyRequests, world.Retry},
		{api.StatusInternalServerError, world.Retry},
		{api.StatusBadGateway, world.Retry},
		{api.StatusServiceUnavailable, world.Retry},
		{api.StatusBadRequest, world.GiveUp},
		{api.StatusNotFound, world.GiveUp},
		{204, world.Done},
		{599, world.Retry},
		{301, world.GiveUp},
		{100, world.GiveUp},
		// Outside the table: no panic, give up.
		{0, world.GiveUp},
		{-1, world.GiveUp},
		{600, world.GiveUp},
		{1000, world.GiveUp},
	}
	for _, c := range cases {
		t.Run(strconv.Itoa(c.status), func(t *testing.T) {
			var got world.Action
			require.NotPanics(t, func() { got = p.Action(c.status) }, policyRerun(t))
			assert.Equal(t, c.want, got, "DefaultPolicy().Action(%d) = %v\n%s", c.status, got, policyRerun(t))
		})
	}
	t.Run("string", func(t *testing.T) {
		assert.Equal(t, "", p.String(), "the default policy prints as no overrides\n%s", policyRerun(t))
	})
}

// Goal: actions print with the names Override reads.
// Method: table of Action -> String, with an out-of-range value.
func TestActionString(t *testing.T) {
	cases := []struct {
		a    world.Action
		want string
	}{
		{world.Done, "done"}, {world.Retry, "retry"}, {world.PollIt, "poll"}, {world.GiveUp, "give-up"},
		{world.Action(0), "action(0)"}, {world.Action(9), "action(9)"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			assert.Equal(t, c.want, c.a.String(), policyRerun(t))
		})
	}
}

// Goal: Override changes exactly the statuses it names, a class (5xx) covers
// its hundred codes, later entries win, and String lists every status that
// differs from the default in Override's syntax, one code each (a class is
// expanded: "5xx=give-up" prints as 500=give-up,...,599=give-up), so that
// Override(String()) on a default policy rebuilds the same policy.
// Method: table of overrides with the statuses whose action they change and
// the expected String; then the String is applied to a fresh default policy
// and every status 0..599 is compared.
func TestPolicyOverride(t *testing.T) {
	codes := func(lo, hi int, action string) string {
		var parts []string
		for s := lo; s <= hi; s++ {
			parts = append(parts, fmt.Sprintf("%d=%s", s, action))
		}
		return strings.Join(parts, ",")
	}
	cases := []struct {
		name, override, wantString string
		want                       map[int]world.Action // statuses checked beyond "unchanged elsewhere"
	}{
		{
			name: "409-retry-5xx-give-up", override: "409=retry,5xx=give-up",
			wantString: "409=retry," + codes(500, 599, "give-up"),
			want: map[int]world.Action{
				409: world.Retry, 500: world.GiveUp, 502: world.GiveUp, 503: world.GiveUp, 599: world.GiveUp,
				200: world.Done, 201: world.Done, 202: world.PollIt, 423: world.Retry, 429: world.Retry, 404: world.GiveUp,
			},
		},
		{name: "single", override: "409=retry", wantString: "409=retry", want: map[int]world.Action{409: world.Retry}},
		{name: "poll", override: "201=poll", wantString: "201=poll", want: map[int]world.Action{201: world.PollIt}},
		{name: "same-as-default", override: "200=done,503=retry", wantString: "", want: map[int]world.Action{200: world.Done, 503: world.Retry}},
		{name: "later-wins", override: "409=retry,409=give-up", wantString: "409=give-up", want: map[int]world.Action{409: world.GiveUp}},
		{name: "class-then-code", override: "4xx=retry,404=give-up", wantString: codes(400, 403, "retry") + "," + codes(405, 422, "retry") + "," + codes(424, 428, "retry") + "," + codes(430, 499, "retry"),
			want: map[int]world.Action{400: world.Retry, 404: world.GiveUp, 409: world.Retry, 499: world.Retry}},
		{name: "1xx", override: "1xx=done", wantString: codes(100, 199, "done"), want: map[int]world.Action{100: world.Done, 199: world.Done}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := world.DefaultPolicy()
			require.NoError(t, p.Override(c.override), "Override(%q)\n%s", c.override, policyRerun(t))
			def := world.DefaultPolicy()
			for s := 0; s < 600; s++ {
				want, named := c.want[s]
				switch {
				case named:
				case changedBy(c.override, s):
					continue // named by the override, checked through String below
				default:
					want = def.Action(s) // not named: unchanged
				}
				if got := p.Action(s); got != want {
					assert.Equal(t, want, got, "after Override(%q), Action(%d)\n%s", c.override, s, policyRerun(t))
				}
			}
			assert.Equal(t, c.wantString, p.String(), "Override(%q).String()\n%s", c.override, policyRerun(t))

			again := world.DefaultPolicy()
			if s := p.String(); s != "" {
				require.NoError(t, again.Override(s), "Override(String()) = Override(%q)\n%s", s, policyRerun(t))
			}
			for s := 0; s < 600; s++ {
				if p.Action(s) != again.Action(s) {
					assert.Equal(t, p.Action(s), again.Action(s), "status %d after Override(String())\n%s", s, policyRerun(t))
				}
			}
		})
	}
}

// changedBy reports whether override names status s, as a code or a class.
func changedBy(override string, s int) bool {
	for _, kv := range strings.Split(override, ",") {
		k, _, _ := strings.Cut(kv, "=")
		if k == strconv.Itoa(s) || len(k) == 3 && k[1:] == "xx" && int(k[0]-'0') == s/100 {
			return true
		}
	}
	return false
}

// Goal: a bad override is refused with a one-line error that quotes the bad
// entry, says what is wrong and gives the accepted syntax.
// Method: table of invalid overrides (unknown action, status out of
// [100, 599], bad class, missing '=', empty entries).
func TestPolicyOverrideInvalid(t *testing.T) {
	accepted := "(accepted: " + world.PolicySyntax + ")"
	cases := []struct{ name, in, why string }{
		{name: "unknown-action", in: "409=bogus", why: `"409=bogus": unknown action "bogus"`},
		{name: "action-case", in: "409=Retry", why: `unknown action "Retry"`},
		{name: "empty-action", in: "409=", why: `unknown action ""`},
		{name: "status-99", in: "99=retry", why: `bad status "99"`},
		{name: "status-600", in: "600=retry", why: `bad status "600"`},
		{name: "status-0", in: "0=retry", why: `bad status "0"`},
		{name: "status-negative", in: "-409=retry", why: `bad status "-409"`},
		{name: "class-6xx", in: "6xx=retry", why: `bad status "6xx"`},
		{name: "class-0xx", in: "0xx=retry", why: `bad status "0xx"`},
		{name: "class-upper", in: "4XX=retry", why: `bad status "4XX"`},
		{name: "status-word", in: "abc=done", why: `bad status "abc"`},
		{name: "empty-status", in: "=retry", why: `bad status ""`},
		{name: "missing-equals", in: "409", why: `"409": missing '='`},
		{name: "empty", in: "", why: `"": missing '='`},
		{name: "trailing-comma", in: "409=retry,", why: `"": missing '='`},
		{name: "second-bad", in: "409=retry,5xx=later", why: `"5xx=later": unknown action "later"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := world.DefaultPolicy()
			var err error
			require.NotPanics(t, func() { err = p.Override(c.in) }, policyRerun(t))
			require.Error(t, err, "Override(%q) succeeded\n%s", c.in, policyRerun(t))
			assert.NotContains(t, err.Error(), "\n", policyRerun(t))
			assert.Contains(t, err.Error(), c.why, policyRerun(t))
			assert.Contains(t, err.Error(), accepted, policyRerun(t))
		})
	}
}
