package kv

import (
	"cmp"
	"math"
	"slices"
	"strconv"

	"github.com/idemsim/idemsim/sim"
)

// NoKey and NoExpiry are what TTL answers instead of a remaining time, as
// Redis's PTTL answers -2 and -1; no live key has a remaining time <= 0, so
// they cannot be mistaken for one.
const (
	NoKey    sim.Duration = -2
	NoExpiry sim.Duration = -1
)

// SetOptions are SET's options.
type SetOptions struct {
	NX bool // write only if the key does not exist
	XX bool // write only if the key exists
	// TTL makes the key expire TTL after the write (PX); 0 means no expiry,
	// which also clears the key's old TTL unless KeepTTL.
	TTL     sim.Duration
	KeepTTL bool // keep the key's current TTL (KEEPTTL)
}

// Stats counts what the node holds and did. Keys and UsedMemory are as the
// last command left them; the counters cover the whole run.
type Stats struct {
	Keys           int
	UsedMemory     int64 // bytes
	Evicted        uint64
	Expired        uint64 // keys reclaimed because their TTL ran out
	LostInFailover uint64 // write commands the promoted replica never received
	Commands       uint64
}

// Entry is one live key, as Dump lists it.
type Entry struct {
	Key, Value string
	TTL        sim.Duration // remaining, or NoExpiry
}

// entry is one live key on the primary.
type entry struct {
	key, value string
	expireAt   sim.Time
	expires    bool
	heapIndex  int    // position in Store.expiries, or notInHeap
	prev, next *entry // LRU neighbours, under AllKeysLRU
}

const notInHeap = -1

func (e *entry) sizeBytes() int64 { return sizeBytes(e.key, e.value) }

func sizeBytes(key, value string) int64 {
	return int64(len(key) + len(value) + KeyOverheadBytes)
}

// Store is one Redis node with its replica. Where Redis leaves room, or a
// simulation needs a rule, it chooses:
//
//   - Memory is counted, not measured: a live key costs
//     len(key)+len(value)+KeyOverheadBytes; a TTL costs nothing extra.
//   - Expired keys are reclaimed at the start of every command, soonest
//     first, from a min-heap of expiry times: a key whose expiry time is <=
//     now is gone before the command looks, and no longer counts toward
//     memory. Stats and Dump are not commands and reclaim nothing.
//   - Eviction happens before a write and frees exactly what the write
//     needs, never the key being written. A write that could not fit even
//     after evicting every candidate fails with ErrOOM and evicts nothing,
//     so a failed command changes no data and memory never exceeds the
//     limit (Redis would evict what it can, then refuse). NX and XX are
//     decided first: a SET they prevent is not refused for memory.
//   - The replica receives effects, not commands: each changed key with
//     its new value and absolute expiry time, or its deletion. Evictions
//     travel with the write that caused them; reclaimed expired keys travel
//     as deletions, as Redis propagates DEL, which keeps the replica no
//     bigger than the primary. A lost reclaim is harmless: the promoted
//     node reclaims keys whose expiry time has passed itself.
//   - The clock may step back: expiry compares with the reading given, and
//     the replica still applies writes in the order they were made.
//   - Stats survive Restart and Failover: they describe the run, not one
//     process's lifetime.
type Store struct {
	cfg           Config
	keys          map[string]*entry
	usedBytes     int64
	volatileBytes int64 // memory of keys with a TTL: what volatile-ttl can free
	expiries      expiryHeap
	lru           lruList
	replica       replica
	stats         Stats
}

// New returns an empty node, or an error naming the Config field that is
// out of range.
func New(cfg Config) (*Store, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Store{cfg: cfg}
	s.clearPrimary()
	s.replica.reset()
	return s, nil
}

func (s *Store) clearPrimary() {
	s.keys = make(map[string]*entry)
	s.usedBytes, s.volatileBytes = 0, 0
	clear(s.expiries)
	s.expiries = s.expiries[:0]
	s.lru.init(s.cfg.Policy == AllKeysLRU)
}

// Config is the node's configuration.
func (s *Store) Config() Config { return s.cfg }

// begin starts a command at now: it counts it, reclaims the keys that have
// expired and lets the replica catch up to now-ReplicaLag.
func (s *Store) begin(now sim.Time) {
	s.stats.Commands++
	for len(s.expiries) > 0 && s.expiries[0].expireAt <= now {
		e := s.expiries[0]
		s.remove(e)
		s.stats.Expired++
		s.record(change{at: now, key: e.key, deleted: true})
	}
	if s.cfg.ReplicaLag > 0 {
		s.replica.catchUp(now.Add(-s.cfg.ReplicaLag))
	}
}

// record sends c to the replica: at once without lag, else through the
// pending window.
func (s *Store) record(c change) {
	if s.cfg.ReplicaLag == 0 {
		s.replica.apply(c)
		return
	}
	s.replica.pending = append(s.replica.pending, c)
}

// account adds e's memory and TTL to the bookkeeping; unaccount takes them
// out, so a write is unaccount, change, account.
func (s *Store) account(e *entry) {
	size := e.sizeBytes()
	s.usedBytes += size
	if e.expires {
		s.volatileBytes += size
		s.expiries.push(e)
	}
}

func (s *Store) unaccount(e *entry) {
	size := e.sizeBytes()
	s.usedBytes -= size
	if e.expires {
		s.volatileBytes -= size
		s.expiries.remove(e)
	}
}

// remove deletes e from the primary (the caller tells the replica).
func (s *Store) remove(e *entry) {
	s.unaccount(e)
	s.lru.unlink(e)
	delete(s.keys, e.key)
}

// put makes key hold value with the given expiry, as the current command
// does at now, and tells the replica. A write touches the key.
func (s *Store) put(now sim.Time, key, value string, expires bool, expireAt sim.Time) {
	e := s.keys[key]
	if e == nil {
		e = &entry{key: key, heapIndex: notInHeap}
		s.keys[key] = e
		s.lru.pushBack(e)
	} else {
		s.unaccount(e)
		s.lru.touch(e)
	}
	e.value, e.expires, e.expireAt = value, expires, expireAt
	s.account(e)
	s.record(change{at: now, write: s.stats.Commands, key: key, value: value, expireAt: expireAt, expires: expires})
}

// del deletes e as part of the current write command at now.
func (s *Store) del(now sim.Time, e *entry) {
	s.remove(e)
	s.record(change{at: now, write: s.stats.Commands, key: e.key, deleted: true})
}

// makeRoom evicts keys, by the policy, until writing key at sizeAfter bytes
// keeps memory within MaxMemory. It never evicts key itself, and when the
// candidates could not free enough it evicts nothing and returns ErrOOM.
func (s *Store) makeRoom(now sim.Time, key string, sizeAfter int64) error {
	if s.cfg.MaxMemory == 0 {
		return nil
	}
	target := s.keys[key]
	var sizeBefore int64
	if target != nil {
		sizeBefore = target.sizeBytes()
	}
	need := s.usedBytes - sizeBefore + sizeAfter - s.cfg.MaxMemory
	if need <= 0 {
		return nil
	}
	var freeable int64
	switch s.cfg.Policy {
	case AllKeysLRU:
		freeable = s.usedBytes - sizeBefore
	case VolatileTTL:
		freeable = s.volatileBytes
		if target != nil && target.expires {
			freeable -= sizeBefore
		}
	}
	if freeable < need {
		return ErrOOM
	}
	for need > 0 {
		var victim *entry
		if s.cfg.Policy == AllKeysLRU {
			victim = s.lru.oldest(target)
		} else if victim = s.expiries[0]; victim == target {
			victim = s.expiries.secondMin()
		}
		need -= victim.sizeBytes()
		s.del(now, victim)
		s.stats.Evicted++
	}
	return nil
}

// deadline is now+ttl, saturating: a TTL past the end of virtual time
// never runs out rather than wrapping into the past.
func deadline(now sim.Time, ttl sim.Duration) sim.Time {
	if now > 0 && ttl > sim.Duration(math.MaxInt64-now) {
		return math.MaxInt64
	}
	return now.Add(ttl)
}

// Get returns key's value (GET); a read touches the key.
func (s *Store) Get(now sim.Time, key string) (value string, ok bool) {
	s.begin(now)
	e := s.keys[key]
	if e == nil {
		return "", false
	}
	s.lru.touch(e)
	return e.value, true
}

// Set writes key (SET). It returns false, Redis's nil reply, when NX or XX
// prevents the write; an error when the options contradict each other or
// memory is full.
func (s *Store) Set(now sim.Time, key, value string, opt SetOptions) (bool, error) {
	s.begin(now)
	if opt.NX && opt.XX || opt.KeepTTL && opt.TTL != 0 {
		return false, ErrSyntax
	}
	if opt.TTL < 0 {
		return false, ErrInvalidExpireTime
	}
	old := s.keys[key]
	if opt.NX && old != nil || opt.XX && old == nil {
		return false, nil
	}
	var expires bool
	var expireAt sim.Time
	switch {
	case opt.TTL > 0:
		expires, expireAt = true, deadline(now, opt.TTL)
	case opt.KeepTTL && old != nil:
		expires, expireAt = old.expires, old.expireAt
	}
	if err := s.makeRoom(now, key, sizeBytes(key, value)); err != nil {
		return false, err
	}
	s.put(now, key, value, expires, expireAt)
	return true, nil
}

// Del deletes the keys (DEL) and returns how many existed.
func (s *Store) Del(now sim.Time, keys ...string) int {
	s.begin(now)
	deleted := 0
	for _, key := range keys {
		if e := s.keys[key]; e != nil {
			s.del(now, e)
			deleted++
		}
	}
	return deleted
}

// Expire sets key's TTL (PEXPIRE) and returns whether the key exists. A
// TTL <= 0 deletes the key, as Redis does; that is a deletion, not an
// expiry, in Stats.
func (s *Store) Expire(now sim.Time, key string, ttl sim.Duration) bool {
	s.begin(now)
	e := s.keys[key]
	if e == nil {
		return false
	}
	if ttl <= 0 {
		s.del(now, e)
		return true
	}
	s.put(now, key, e.value, true, deadline(now, ttl))
	return true
}

// TTL returns key's remaining time to live (PTTL), or NoKey or NoExpiry. It
// does not touch the key, as Redis's TTL does not.
func (s *Store) TTL(now sim.Time, key string) sim.Duration {
	s.begin(now)
	e := s.keys[key]
	switch {
	case e == nil:
		return NoKey
	case !e.expires:
		return NoExpiry
	}
	return e.expireAt.Sub(now)
}

// Incr adds one to key's integer value (INCR), counting a missing key as 0,
// and keeps its TTL.
func (s *Store) Incr(now sim.Time, key string) (int64, error) {
	s.begin(now)
	var n int64
	var expires bool
	var expireAt sim.Time
	if e := s.keys[key]; e != nil {
		var ok bool
		if n, ok = parseInteger(e.value); !ok {
			return 0, ErrNotInteger
		}
		expires, expireAt = e.expires, e.expireAt
	}
	if n == math.MaxInt64 {
		return 0, ErrOverflow
	}
	n++
	value := strconv.FormatInt(n, 10)
	if err := s.makeRoom(now, key, sizeBytes(key, value)); err != nil {
		return 0, err
	}
	s.put(now, key, value, expires, expireAt)
	return n, nil
}

// parseInteger reads v as Redis's string2ll does: "0", or an optional '-'
// then a non-zero digit then digits, within int64. Anything looser ("+1",
// "01", " 1", "-0") is not an integer to Redis either.
func parseInteger(v string) (int64, bool) {
	if v == "0" {
		return 0, true
	}
	digits := v
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || digits[0] < '1' || digits[0] > '9' {
		return 0, false
	}
	for i := 1; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

// CompareAndDelete deletes key if it holds value, atomically — the lock
// release script `if GET(key) == value then DEL(key)` — and returns whether
// it deleted. Its GET touches the key, as the script's would.
func (s *Store) CompareAndDelete(now sim.Time, key, value string) bool {
	s.begin(now)
	e := s.keys[key]
	if e == nil {
		return false
	}
	s.lru.touch(e)
	if e.value != value {
		return false
	}
	s.del(now, e)
	return true
}

// Restart loses every key on the primary and the replica: persistence is
// off, and the whole replication group went down. Stats keep counting.
func (s *Store) Restart() {
	s.clearPrimary()
	s.replica.reset()
}

// Failover promotes the replica at now and returns how many write commands
// it never received (those made after now-ReplicaLag). The promoted node
// reclaims the keys that expired in the meantime (counting each expiry
// once, even when the old primary had reclaimed it too), starts with keys
// least-recently written first in its LRU order, and gets a fresh replica
// holding the same keys.
func (s *Store) Failover(now sim.Time) (lost int) {
	s.replica.catchUp(now.Add(-s.cfg.ReplicaLag))
	lost, reclaimed := s.replica.discardPending()
	s.stats.LostInFailover += uint64(lost)

	type promoted struct {
		key string
		replicaKey
	}
	kept := make([]promoted, 0, len(s.replica.keys))
	for key, rk := range s.replica.keys {
		kept = append(kept, promoted{key, rk})
	}
	// Map order is random; the replica's apply order is not, and it is
	// unique per key.
	slices.SortFunc(kept, func(a, b promoted) int { return cmp.Compare(a.applied, b.applied) })

	// The replica's keys become the primary's and stay the replica's: the
	// fresh replica starts as a full copy, as after Redis's full resync.
	s.clearPrimary()
	for _, p := range kept {
		if p.expires && p.expireAt <= now {
			delete(s.replica.keys, p.key)
			if !reclaimed[p.key] {
				s.stats.Expired++
			}
			continue
		}
		e := &entry{key: p.key, value: p.value, expires: p.expires, expireAt: p.expireAt, heapIndex: notInHeap}
		s.keys[p.key] = e
		s.lru.pushBack(e)
		s.account(e)
	}
	return lost
}

// Stats returns the counters and what the node holds.
func (s *Store) Stats() Stats {
	st := s.stats
	st.Keys = len(s.keys)
	st.UsedMemory = s.usedBytes
	return st
}

// Live counts the keys that have not expired at now.
func (s *Store) Live(now sim.Time) int {
	n := 0
	for _, e := range s.keys {
		if !e.expires || e.expireAt > now {
			n++
		}
	}
	return n
}

// Dump lists the keys live at now, by key, for tests and traces. It is not
// a command: it touches, counts and reclaims nothing.
func (s *Store) Dump(now sim.Time) []Entry {
	out := make([]Entry, 0, len(s.keys))
	for _, e := range s.keys {
		switch {
		case !e.expires:
			out = append(out, Entry{Key: e.key, Value: e.value, TTL: NoExpiry})
		case e.expireAt > now:
			out = append(out, Entry{Key: e.key, Value: e.value, TTL: e.expireAt.Sub(now)})
		}
	}
	slices.SortFunc(out, func(a, b Entry) int { return cmp.Compare(a.Key, b.Key) })
	return out
}
