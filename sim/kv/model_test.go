package kv_test

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/kv"
)

// The randomized test drives the store and a reference model with the same
// random command lines and compares every reply, the live keys and Stats
// after every command. The model is written for clarity, not speed: a map
// of keys with expiry times, scans instead of heaps and lists, and a full
// copy of its state after each command for the replica to be promoted from.

// modelKey is one key in the model.
type modelKey struct {
	value    string
	expires  bool
	expireAt sim.Time
	touched  uint64 // the model's clock at the last read or write: LRU order
	written  uint64 // at the last write: the replica's LRU order
}

// modelState is the model's primary after one command, as the replica
// would hold it.
type modelState struct {
	at        sim.Time
	keys      map[string]modelKey
	writes    uint64   // write commands so far
	reclaimed []string // keys this command reclaimed as expired
}

type model struct {
	cfg   kv.Config
	keys  map[string]modelKey
	clock uint64
	stats kv.Stats
	// history[0] is what the replica surely holds; later entries are the
	// states after each later command, which it holds once now-lag passes
	// their time.
	history []modelState
	writes  uint64
	wrote   bool // the current command changed data
	reaped  []string
}

func newModel(cfg kv.Config) *model {
	m := &model{cfg: cfg, keys: map[string]modelKey{}}
	m.history = []modelState{{at: math.MinInt64, keys: map[string]modelKey{}}}
	return m
}

func modelSize(key string, k modelKey) int64 { return int64(len(key) + len(k.value) + 50) }

func (m *model) used() int64 {
	var n int64
	for key, k := range m.keys {
		n += modelSize(key, k)
	}
	return n
}

func (m *model) begin(now sim.Time) {
	m.stats.Commands++
	m.wrote, m.reaped = false, nil
	for key, k := range m.keys {
		if k.expires && k.expireAt <= now {
			delete(m.keys, key)
			m.stats.Expired++
			m.reaped = append(m.reaped, key)
		}
	}
}

// end records the state after a command at now.
func (m *model) end(now sim.Time) {
	if m.wrote {
		m.writes++
	}
	m.history = append(m.history, modelState{at: now, keys: maps(m.keys), writes: m.writes, reclaimed: m.reaped})
	// Keep one state at or before now-lag as the base: older ones can
	// never be promoted again.
	upTo := now.Add(-m.cfg.ReplicaLag)
	base := 0
	for i := 1; i < len(m.history) && m.history[i].at <= upTo; i++ {
		base = i
	}
	m.history = m.history[base:]
}

func maps(in map[string]modelKey) map[string]modelKey {
	out := make(map[string]modelKey, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

func (m *model) tick() uint64 { m.clock++; return m.clock }

func (m *model) write(key string, k modelKey) {
	k.touched = m.tick()
	k.written = k.touched
	m.keys[key] = k
	m.wrote = true
}

func (m *model) del(key string) {
	delete(m.keys, key)
	m.wrote = true
}

func (m *model) makeRoom(key string, sizeAfter int64) error {
	if m.cfg.MaxMemory == 0 {
		return nil
	}
	var sizeBefore int64
	if k, ok := m.keys[key]; ok {
		sizeBefore = modelSize(key, k)
	}
	need := m.used() - sizeBefore + sizeAfter - m.cfg.MaxMemory
	if need <= 0 {
		return nil
	}
	var candidates []string
	var freeable int64
	for other, k := range m.keys {
		if other != key && (m.cfg.Policy == kv.AllKeysLRU || m.cfg.Policy == kv.VolatileTTL && k.expires) {
			candidates = append(candidates, other)
			freeable += modelSize(other, k)
		}
	}
	if freeable < need {
		return kv.ErrOOM
	}
	slices.SortFunc(candidates, func(a, b string) int {
		ka, kb := m.keys[a], m.keys[b]
		if m.cfg.Policy == kv.AllKeysLRU {
			return cmp.Compare(ka.touched, kb.touched)
		}
		return cmp.Or(cmp.Compare(ka.expireAt, kb.expireAt), cmp.Compare(a, b))
	})
	for _, victim := range candidates {
		if need <= 0 {
			break
		}
		need -= modelSize(victim, m.keys[victim])
		m.del(victim)
		m.stats.Evicted++
	}
	return nil
}

var redisInteger = regexp.MustCompile(`^(0|-?[1-9][0-9]*)$`)

// run applies one command line (in runScript's syntax) and returns the
// reply runScript would print.
func (m *model) run(o op) string {
	now := o.now
	oom := "(error) " + kv.ErrOOM.Error()
	switch o.cmd {
	case "FAILOVER":
		return m.failover(now)
	case "RESTART":
		m.keys = map[string]modelKey{}
		m.history = []modelState{{at: math.MinInt64, keys: map[string]modelKey{}, writes: m.writes}}
		return "OK"
	}
	m.begin(now)
	defer m.end(now)
	k, exists := m.keys[o.key]
	switch o.cmd {
	case "GET":
		if !exists {
			return "(nil)"
		}
		k.touched = m.tick()
		m.keys[o.key] = k
		return strconv.Quote(k.value)
	case "SET":
		switch {
		case o.opt.NX && o.opt.XX, o.opt.KeepTTL && o.opt.TTL != 0:
			return "(error) ERR syntax error"
		case o.opt.TTL < 0:
			return "(error) ERR invalid expire time in 'set' command"
		case o.opt.NX && exists, o.opt.XX && !exists:
			return "(nil)"
		}
		next := modelKey{value: o.value}
		if o.opt.TTL > 0 {
			next.expires, next.expireAt = true, now.Add(o.opt.TTL)
		} else if o.opt.KeepTTL && exists {
			next.expires, next.expireAt = k.expires, k.expireAt
		}
		if err := m.makeRoom(o.key, modelSize(o.key, next)); err != nil {
			return oom
		}
		m.write(o.key, next)
		return "OK"
	case "DEL":
		n := 0
		for _, key := range o.keys {
			if _, ok := m.keys[key]; ok {
				m.del(key)
				n++
			}
		}
		return strconv.Itoa(n)
	case "PEXPIRE":
		switch {
		case !exists:
			return "0"
		case o.ttl <= 0:
			m.del(o.key)
		default:
			k.expires, k.expireAt = true, now.Add(o.ttl)
			m.write(o.key, k)
		}
		return "1"
	case "PTTL":
		switch {
		case !exists:
			return "-2"
		case !k.expires:
			return "-1"
		}
		return k.expireAt.Sub(now).String()
	case "INCR":
		var n int64
		if exists {
			var err error
			if n, err = strconv.ParseInt(k.value, 10, 64); err != nil || !redisInteger.MatchString(k.value) {
				return "(error) ERR value is not an integer or out of range"
			}
		}
		if n == math.MaxInt64 {
			return "(error) ERR increment or decrement would overflow"
		}
		k.value = strconv.FormatInt(n+1, 10)
		if err := m.makeRoom(o.key, modelSize(o.key, k)); err != nil {
			return oom
		}
		m.write(o.key, k)
		return k.value
	case "CAD":
		if !exists {
			return "0"
		}
		k.touched = m.tick()
		m.keys[o.key] = k
		if k.value != o.value {
			return "0"
		}
		m.del(o.key)
		return "1"
	}
	panic("model: unknown command " + o.cmd)
}

// failover promotes the last state at or before now-lag.
func (m *model) failover(now sim.Time) string {
	upTo := now.Add(-m.cfg.ReplicaLag)
	base := 0
	for i := 1; i < len(m.history) && m.history[i].at <= upTo; i++ {
		base = i
	}
	promoted := m.history[base]
	reclaimedLater := map[string]bool{}
	for _, st := range m.history[base+1:] {
		for _, key := range st.reclaimed {
			reclaimedLater[key] = true
		}
	}
	lost := m.writes - promoted.writes
	m.stats.LostInFailover += lost
	m.keys = map[string]modelKey{}
	for key, k := range promoted.keys {
		if k.expires && k.expireAt <= now {
			if !reclaimedLater[key] {
				m.stats.Expired++
			}
			continue
		}
		k.touched = k.written // the replica saw writes only
		m.keys[key] = k
	}
	m.writes = promoted.writes
	m.history = []modelState{{at: math.MinInt64, keys: maps(m.keys), writes: m.writes}}
	return "lost " + strconv.FormatUint(lost, 10)
}

func (m *model) dump(now sim.Time) string {
	var entries []kv.Entry
	for key, k := range m.keys {
		ttl := kv.NoExpiry
		if k.expires {
			if k.expireAt <= now {
				continue
			}
			ttl = k.expireAt.Sub(now)
		}
		entries = append(entries, kv.Entry{Key: key, Value: k.value, TTL: ttl})
	}
	slices.SortFunc(entries, func(a, b kv.Entry) int { return cmp.Compare(a.Key, b.Key) })
	return formatDump(entries)
}

func (m *model) Stats() kv.Stats {
	st := m.stats
	st.Keys = len(m.keys)
	st.UsedMemory = m.used()
	return st
}

// op is one random command.
type op struct {
	now        sim.Time
	cmd        string
	key, value string
	keys       []string
	opt        kv.SetOptions
	ttl        sim.Duration
}

// String is the command as a runScript line.
func (o op) String() string {
	w := []string{time.Duration(o.now).String(), o.cmd}
	switch o.cmd {
	case "GET", "PTTL", "INCR":
		w = append(w, o.key)
	case "SET":
		w = append(w, o.key, strconv.Quote(o.value))
		if o.opt.NX {
			w = append(w, "NX")
		}
		if o.opt.XX {
			w = append(w, "XX")
		}
		if o.opt.TTL != 0 {
			w = append(w, "PX", o.opt.TTL.String())
		}
		if o.opt.KeepTTL {
			w = append(w, "KEEPTTL")
		}
	case "DEL":
		w = append(w, o.keys...)
	case "PEXPIRE":
		w = append(w, o.key, o.ttl.String())
	case "CAD":
		w = append(w, o.key, strconv.Quote(o.value))
	}
	return strings.Join(w, " ")
}

var (
	fewKeys  = []string{"a", "b", "c", "d", "e", "idempotency-key-0123456789"}
	manyKeys = func() []string {
		keys := make([]string, 64)
		for i := range keys {
			keys[i] = "k" + strconv.Itoa(i)
		}
		return keys
	}()
	randomValues = []string{"", "0", "1", "-1", "41", "01", "+1", "x", "hello", "9223372036854775806", "9223372036854775807", "-9223372036854775808"}
)

// randomOps returns n commands on keys at non-decreasing times; TTLs and
// time steps are a few milliseconds, so keys expire often and expiry times
// often fall exactly on a command.
func randomOps(seed uint64, n int, keys []string) []op {
	r := rand.New(rand.NewPCG(seed, 0x6b76))
	ms := sim.Duration(time.Millisecond)
	var now sim.Time
	key := func() string { return keys[r.IntN(len(keys))] }
	value := func() string {
		if r.IntN(4) == 0 {
			return strings.Repeat("v", r.IntN(60))
		}
		return randomValues[r.IntN(len(randomValues))]
	}
	ttl := func() sim.Duration { return sim.Duration(r.IntN(12)-1) * ms }
	ops := make([]op, n)
	for i := range ops {
		switch x := r.IntN(10); {
		case x < 4:
		case x < 9:
			now = now.Add(sim.Duration(1+r.IntN(3)) * ms)
		default:
			now = now.Add(sim.Duration(1+r.IntN(5000)) * sim.Duration(time.Microsecond))
		}
		o := op{now: now, key: key()}
		switch x := r.IntN(100); {
		case x < 20:
			o.cmd = "GET"
		case x < 50:
			o.cmd, o.value = "SET", value()
			o.opt = kv.SetOptions{NX: r.IntN(4) == 0, XX: r.IntN(4) == 0, KeepTTL: r.IntN(4) == 0}
			if r.IntN(2) == 0 {
				o.opt.TTL = ttl()
			}
		case x < 58:
			o.cmd = "DEL"
			o.keys = []string{o.key}
			for r.IntN(3) == 0 {
				o.keys = append(o.keys, key())
			}
		case x < 68:
			o.cmd, o.ttl = "PEXPIRE", ttl()
		case x < 75:
			o.cmd = "PTTL"
		case x < 87:
			o.cmd = "INCR"
		case x < 97:
			o.cmd, o.value = "CAD", value()
		case x < 99:
			o.cmd = "FAILOVER"
		default:
			o.cmd = "RESTART"
		}
		ops[i] = o
	}
	return ops
}

// The configurations the randomized test runs: no limit (the plain
// reference model), each policy under a limit of a few keys, with and
// without replica lag.
// Many keys make deep expiry heaps and long LRU lists.
var modelConfigs = []struct {
	name string
	cfg  kv.Config
	keys []string
}{
	{"unlimited", kv.Config{}, fewKeys},
	{"unlimited lag", kv.Config{ReplicaLag: 5 * time.Millisecond}, fewKeys},
	{"noeviction", kv.Config{MaxMemory: 300, Policy: kv.NoEviction}, fewKeys},
	{"allkeys-lru lag", kv.Config{MaxMemory: 300, Policy: kv.AllKeysLRU, ReplicaLag: 3 * time.Millisecond}, fewKeys},
	{"volatile-ttl lag", kv.Config{MaxMemory: 300, Policy: kv.VolatileTTL, ReplicaLag: 7 * time.Millisecond}, fewKeys},
	{"allkeys-lru many keys", kv.Config{MaxMemory: 2000, Policy: kv.AllKeysLRU}, manyKeys},
	{"volatile-ttl many keys lag", kv.Config{MaxMemory: 2000, Policy: kv.VolatileTTL, ReplicaLag: 2 * time.Millisecond}, manyKeys},
}

// Goal: over many random command sequences the store answers every command
// as the reference model does, holds the same live keys and reports the
// same Stats — with and without a memory limit and replica lag.
// Method: 200 seeds x 500 commands per configuration (20 with -short); after each command
// compare the reply, Dump and Stats, and stop the seed at the first
// difference, printing the command and the one before it.
func TestRandomAgainstModel(t *testing.T) {
	seeds, commands := uint64(200), 500
	if testing.Short() {
		seeds = 20
	}
	for _, c := range modelConfigs {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for seed := range seeds {
				t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
					checkAgainstModel(t, c.cfg, randomOps(seed, commands, c.keys))
				})
			}
		})
	}
}

func checkAgainstModel(t *testing.T, cfg kv.Config, ops []op) {
	s := newStore(t, cfg)
	m := newModel(cfg)
	repro := rerun(t)
	for i, o := range ops {
		line := o.String()
		got, err := runLine(s, strings.Fields(line))
		require.NoError(t, err, "generated line %q\n%s", line, repro)
		want := m.run(o)
		gotKeys, wantKeys := formatDump(s.Dump(o.now)), m.dump(o.now)
		gotStats, wantStats := s.Stats(), m.Stats()
		withinLimit := cfg.MaxMemory == 0 || gotStats.UsedMemory <= cfg.MaxMemory
		if got == want && gotKeys == wantKeys && gotStats == wantStats && withinLimit {
			continue
		}
		where := fmt.Sprintf("command %d: %s", i, line)
		if i > 0 {
			where += fmt.Sprintf(" (after %s)", ops[i-1])
		}
		assert.Equal(t, want, got, "reply to %s\n%s", where, repro)
		assert.Equal(t, wantKeys, gotKeys, "keys after %s\n%s", where, repro)
		assert.Equal(t, wantStats, gotStats, "stats after %s\n%s", where, repro)
		assert.True(t, withinLimit, "memory %d > MaxMemory after %s\n%s", gotStats.UsedMemory, where, repro)
		return
	}
}

// Goal: the store is deterministic: the same command sequence twice gives
// the same replies, keys and Stats at every step, whatever order Go
// iterates its maps in.
func TestDeterministic(t *testing.T) {
	for _, c := range modelConfigs {
		t.Run(c.name, func(t *testing.T) {
			ops := randomOps(7, 2000, c.keys)
			transcript := func() []string {
				s := newStore(t, c.cfg)
				var out []string
				for _, o := range ops {
					reply, err := runLine(s, strings.Fields(o.String()))
					require.NoError(t, err, rerun(t))
					out = append(out, fmt.Sprintf("%s -> %s | %s | %+v", o, reply, formatDump(s.Dump(o.now)), s.Stats()))
				}
				return out
			}
			first := transcript()
			for range 3 {
				assert.Equal(t, first, transcript(), rerun(t))
			}
		})
	}
}
