package kv_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/kv"
)

// rerun is the command that reruns the calling test or subtest alone; every
// failure message carries it.
func rerun(t testing.TB) string { return testcmd.Rerun(t, "./sim/kv") }

func newStore(t testing.TB, cfg kv.Config) *kv.Store {
	t.Helper()
	s, err := kv.New(cfg)
	require.NoError(t, err, rerun(t))
	return s
}

// runScript runs a script of Redis-like command lines against s and checks
// each reply. A line is "TIME COMMAND ARGS... -> REPLY", TIME a Go duration
// since the start of the run; '#' starts a comment. Commands and replies:
//
//	GET k                          "v" | (nil)
//	SET k v [NX] [XX] [PX d] [KEEPTTL]   OK | (nil) | (error) TEXT
//	DEL k...                       N
//	PEXPIRE k d                    1 | 0
//	PTTL k                         d | -2 | -1
//	INCR k                         N | (error) TEXT
//	CAD k v                        1 | 0 (CompareAndDelete)
//	FAILOVER                       lost N
//	RESTART                        OK
//	DUMP                           k=v k=v/ttl ... | (empty)
//	STATS                          keys=N used=N evicted=N expired=N lost=N
//
// Values are bare words or Go-quoted strings without spaces ("" is the
// empty value, "\x20" a space).
func runScript(t *testing.T, s *kv.Store, script string) {
	t.Helper()
	for i, line := range strings.Split(script, "\n") {
		line, _, _ = strings.Cut(line, "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		cmd, want, ok := strings.Cut(line, "->")
		require.True(t, ok, "script line %d %q has no '->'\n%s", i+1, line, rerun(t))
		got, err := runLine(s, strings.Fields(cmd))
		require.NoError(t, err, "script line %d %q\n%s", i+1, line, rerun(t))
		assert.Equal(t, strings.TrimSpace(want), got, "script line %d: %s\n%s", i+1, line, rerun(t))
	}
}

func runLine(s *kv.Store, f []string) (string, error) {
	if len(f) < 2 {
		return "", fmt.Errorf("want TIME COMMAND")
	}
	d, err := time.ParseDuration(f[0])
	if err != nil {
		return "", err
	}
	now := sim.Time(d)
	args := make([]string, len(f)-2)
	for i, a := range f[2:] {
		if args[i], err = word(a); err != nil {
			return "", err
		}
	}
	arity := func(n int) error {
		if len(args) != n {
			return fmt.Errorf("%s takes %d arguments", f[1], n)
		}
		return nil
	}
	switch strings.ToUpper(f[1]) {
	case "GET":
		if err := arity(1); err != nil {
			return "", err
		}
		v, ok := s.Get(now, args[0])
		if !ok {
			return "(nil)", nil
		}
		return strconv.Quote(v), nil
	case "SET":
		if len(args) < 2 {
			return "", fmt.Errorf("SET takes a key and a value")
		}
		var opt kv.SetOptions
		for i := 2; i < len(args); i++ {
			switch strings.ToUpper(args[i]) {
			case "NX":
				opt.NX = true
			case "XX":
				opt.XX = true
			case "KEEPTTL":
				opt.KeepTTL = true
			case "PX":
				if i++; i == len(args) {
					return "", fmt.Errorf("PX needs a duration")
				}
				if opt.TTL, err = time.ParseDuration(args[i]); err != nil {
					return "", err
				}
			default:
				return "", fmt.Errorf("unknown SET option %q", args[i])
			}
		}
		ok, err := s.Set(now, args[0], args[1], opt)
		switch {
		case err != nil:
			return "(error) " + err.Error(), nil
		case !ok:
			return "(nil)", nil
		}
		return "OK", nil
	case "DEL":
		return strconv.Itoa(s.Del(now, args...)), nil
	case "PEXPIRE":
		if err := arity(2); err != nil {
			return "", err
		}
		ttl, err := time.ParseDuration(args[1])
		if err != nil {
			return "", err
		}
		return boolReply(s.Expire(now, args[0], ttl)), nil
	case "PTTL":
		if err := arity(1); err != nil {
			return "", err
		}
		return formatTTL(s.TTL(now, args[0])), nil
	case "INCR":
		if err := arity(1); err != nil {
			return "", err
		}
		n, err := s.Incr(now, args[0])
		if err != nil {
			return "(error) " + err.Error(), nil
		}
		return strconv.FormatInt(n, 10), nil
	case "CAD":
		if err := arity(2); err != nil {
			return "", err
		}
		return boolReply(s.CompareAndDelete(now, args[0], args[1])), nil
	case "FAILOVER":
		return "lost " + strconv.Itoa(s.Failover(now)), nil
	case "RESTART":
		s.Restart()
		return "OK", nil
	case "DUMP":
		return formatDump(s.Dump(now)), nil
	case "STATS":
		st := s.Stats()
		return fmt.Sprintf("keys=%d used=%d evicted=%d expired=%d lost=%d",
			st.Keys, st.UsedMemory, st.Evicted, st.Expired, st.LostInFailover), nil
	}
	return "", fmt.Errorf("unknown command %q", f[1])
}

func word(a string) (string, error) {
	if strings.HasPrefix(a, `"`) {
		return strconv.Unquote(a)
	}
	return a, nil
}

func boolReply(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func formatTTL(d sim.Duration) string {
	switch d {
	case kv.NoKey:
		return "-2"
	case kv.NoExpiry:
		return "-1"
	}
	return d.String()
}

func formatDump(entries []kv.Entry) string {
	if len(entries) == 0 {
		return "(empty)"
	}
	var b strings.Builder
	for i, e := range entries {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(e.Key + "=" + e.Value)
		if e.TTL != kv.NoExpiry {
			b.WriteString("/" + e.TTL.String())
		}
	}
	return b.String()
}

// scriptCase is one named script on a node with cfg.
type scriptCase struct {
	name   string
	cfg    kv.Config
	script string
}

func runScriptCases(t *testing.T, cases []scriptCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			runScript(t, newStore(t, c.cfg), c.script)
		})
	}
}
