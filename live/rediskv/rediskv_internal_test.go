package rediskv

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/kv"
)

// reply is a Redis error reply, as go-redis hands one back.
type reply string

func (r reply) Error() string { return string(r) }
func (reply) RedisError()     {}

// Goal: every error go-redis can return reaches the strategy as the
// simulation would report it. Runs without redis-server.
// Method: table of errors and the sentinel each must match.
func TestMapErr(t *testing.T) {
	timeout := &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
	cases := []struct {
		name     string
		err      error
		want     error // errors.Is must hold
		timeout  bool
		sameText bool // the result is the reply itself, not a sentinel
	}{
		{name: "OOM reply", err: reply(api.ErrOOM.Error()), want: api.ErrOOM},
		{name: "not an integer", err: reply("ERR value is not an integer or out of range"), want: api.ErrNotInteger},
		{name: "overflow", err: reply("ERR increment or decrement would overflow"), want: api.ErrOverflow},
		{name: "syntax", err: reply("ERR syntax error"), want: kv.ErrSyntax},
		{name: "invalid expire time", err: reply("ERR invalid expire time in 'set' command"), want: kv.ErrInvalidExpireTime},
		{name: "other reply kept", err: reply("WRONGTYPE Operation against a key holding the wrong kind of value"), sameText: true},
		{name: "loading is down", err: reply("LOADING Redis is loading the dataset in memory"), want: api.ErrConnection},
		{name: "read deadline", err: timeout, want: api.ErrTimeout, timeout: true},
		{name: "context deadline", err: context.DeadlineExceeded, want: api.ErrTimeout, timeout: true},
		{name: "EOF", err: io.EOF, want: api.ErrConnection},
		{name: "refused", err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, want: api.ErrConnection},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := mapErr(c.err)
			if c.sameText {
				assert.Equal(t, c.err, got, testcmd.Rerun(t, "./live/rediskv"))
				return
			}
			assert.ErrorIs(t, got, c.want, testcmd.Rerun(t, "./live/rediskv"))
			assert.Equal(t, c.timeout, errors.Is(got, api.ErrTimeout), "timeout\n%s", testcmd.Rerun(t, "./live/rediskv"))
		})
	}
}

// Goal: a duration becomes Redis's milliseconds without a positive TTL
// turning into 0 (which SET PX refuses) or a key living shorter than asked.
// Method: table around the millisecond boundaries.
func TestMillis(t *testing.T) {
	cases := []struct {
		d    time.Duration
		want int64
	}{
		{0, 0},
		{time.Nanosecond, 1},
		{500 * time.Microsecond, 1},
		{time.Millisecond, 1},
		{time.Millisecond + 1, 2},
		{1500 * time.Millisecond, 1500},
		{time.Hour, 3600000},
		{-time.Millisecond, -1},
		{-1500 * time.Microsecond, -1},
	}
	for _, c := range cases {
		t.Run(c.d.String(), func(t *testing.T) {
			assert.Equal(t, c.want, millis(c.d), testcmd.Rerun(t, "./live/rediskv"))
		})
	}
}
