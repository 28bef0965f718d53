// Package rediskv is the store capability (api.KV in sim/api/services.go)
// on a real Redis, so that a strategy written for the simulation runs
// unchanged against redis-server. It answers as sim/kv does: the same
// results, the same NoKey and NoExpiry from TTL, and the same errors
// (api.ErrConnection, api.ErrTimeout, api.ErrOOM, ...), which its tests
// check command by command against the simulated store.
package rediskv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/kv"
)

// Options tune the connection; zero fields take go-redis's defaults.
type Options struct {
	DialTimeout  time.Duration
	ReadTimeout  time.Duration // how long a command waits for its answer: past it, api.ErrTimeout
	WriteTimeout time.Duration
	// PoolSize caps the connections. go-redis also stops dialing after
	// PoolSize failed dials in a row and then tries once a second, so a
	// store down for more commands than that stays unreachable for up to a
	// second after it is back (each call failing with api.ErrConnection).
	PoolSize int
}

// Store is api.KV on one Redis server.
type Store struct {
	c *redis.Client
}

var _ api.KV = (*Store)(nil)

// New connects lazily to the Redis at addr (host:port); the first command
// dials.
func New(addr string, o Options) *Store {
	return &Store{c: redis.NewClient(&redis.Options{
		Addr:         addr,
		DialTimeout:  o.DialTimeout,
		ReadTimeout:  o.ReadTimeout,
		WriteTimeout: o.WriteTimeout,
		PoolSize:     o.PoolSize,
		// The simulation reports a failed call once and lets the strategy
		// decide; a retry inside the client would hide the failure and
		// could apply a write twice.
		MaxRetries: -1,
		// One dial per call too: a store that is down answers at once in
		// the simulation, not after go-redis's five dials and their backoff.
		DialerRetries: 1,
		// No CLIENT SETINFO on connect: one command per call, as simulated.
		DisableIdentity: true,
	})}
}

// FlushAll empties the server: a given Redis starts a run with nothing,
// as the simulated store does.
func (s *Store) FlushAll() error {
	if err := s.c.FlushAll(context.Background()).Err(); err != nil {
		return mapErr(err)
	}
	return nil
}

// Close closes the connections.
func (s *Store) Close() error { return s.c.Close() }

// Get implements api.KV.
func (s *Store) Get(key string) (string, bool, error) {
	v, err := s.c.Get(context.Background(), key).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, mapErr(err)
	}
	return v, true, nil
}

// Set implements api.KV. Its options go to the server as given, so that a
// contradictory pair (NX with XX, KEEPTTL with a TTL) or a negative TTL is
// refused by Redis itself, with the error sim/kv gives.
func (s *Store) Set(key, value string, opt api.SetOptions) (bool, error) {
	args := []any{"SET", key, value}
	if opt.NX {
		args = append(args, "NX")
	}
	if opt.XX {
		args = append(args, "XX")
	}
	if opt.TTL != 0 {
		args = append(args, "PX", millis(opt.TTL))
	}
	if opt.KeepTTL {
		args = append(args, "KEEPTTL")
	}
	err := s.c.Do(context.Background(), args...).Err()
	if errors.Is(err, redis.Nil) {
		return false, nil // NX or XX prevented the write
	}
	if err != nil {
		return false, mapErr(err)
	}
	return true, nil
}

// Del implements api.KV. With no keys it answers 0 without a call: Redis
// refuses a DEL of nothing, the simulated store deletes nothing.
func (s *Store) Del(keys ...string) (int, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	n, err := s.c.Del(context.Background(), keys...).Result()
	if err != nil {
		return 0, mapErr(err)
	}
	return int(n), nil
}

// Expire implements api.KV with PEXPIRE; a ttl <= 0 deletes the key, which
// Redis does for a zero or negative PEXPIRE too.
func (s *Store) Expire(key string, ttl sim.Duration) (bool, error) {
	ms := int64(0)
	if ttl > 0 {
		ms = millis(ttl)
	}
	n, err := s.c.Do(context.Background(), "PEXPIRE", key, ms).Int64()
	if err != nil {
		return false, mapErr(err)
	}
	return n == 1, nil
}

// TTL implements api.KV with PTTL. Its -2 and -1 become api.NoKey and
// api.NoExpiry, which are -2ns and -1ns, not milliseconds.
func (s *Store) TTL(key string) (sim.Duration, error) {
	ms, err := s.c.Do(context.Background(), "PTTL", key).Int64()
	if err != nil {
		return 0, mapErr(err)
	}
	switch ms {
	case -2:
		return api.NoKey, nil
	case -1:
		return api.NoExpiry, nil
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// Incr implements api.KV.
func (s *Store) Incr(key string) (int64, error) {
	n, err := s.c.Incr(context.Background(), key).Result()
	if err != nil {
		return 0, mapErr(err)
	}
	return n, nil
}

// compareAndDelete is the safe lock release: delete the key only while it
// still holds the caller's value, in one step on the server. Run sends
// EVALSHA and falls back to EVAL when the server does not know the script,
// as after a restart.
var compareAndDelete = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	return redis.call('DEL', KEYS[1])
end
return 0`)

// CompareAndDelete implements api.KV.
func (s *Store) CompareAndDelete(key, value string) (bool, error) {
	n, err := compareAndDelete.Run(context.Background(), s.c, []string{key}, value).Int64()
	if err != nil {
		return false, mapErr(err)
	}
	return n == 1, nil
}

// millis is d in whole milliseconds, Redis's unit, rounded up: a positive
// TTL shorter than a millisecond stays positive (PX 0 is an error) and no
// key lives shorter than asked.
func millis(d sim.Duration) int64 {
	ms := int64(d / time.Millisecond)
	if d > 0 && d%time.Millisecond != 0 {
		ms++
	}
	return ms
}

// Redis's replies that the simulation names with errors of its own; a
// reply is matched on its first word and message, as Redis words them.
var replyErrors = []error{api.ErrOOM, api.ErrNotInteger, api.ErrOverflow, kv.ErrSyntax, kv.ErrInvalidExpireTime}

// mapErr turns go-redis's errors into the simulation's: an answer that did
// not come in time is api.ErrTimeout, a connection that failed or broke is
// api.ErrConnection (the command may or may not have run), and a reply
// error the simulated store also gives is that error. The cause stays in
// the message.
func mapErr(err error) error {
	var reply redis.Error
	if errors.As(err, &reply) && !isConnReply(err.Error()) {
		for _, e := range replyErrors {
			if err.Error() == e.Error() {
				return e
			}
		}
		return err
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w (redis: %v)", api.ErrTimeout, err)
	}
	return fmt.Errorf("%w (redis: %v)", api.ErrConnection, err)
}

// isConnReply is a reply that means the server cannot serve the command
// now (loading its data, shutting down), which a client sees as the
// service being down.
func isConnReply(msg string) bool {
	return strings.HasPrefix(msg, "LOADING") || strings.HasPrefix(msg, "MASTERDOWN")
}
