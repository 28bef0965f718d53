// Package decide makes live mode's random choices: each is a hash of the
// run's seed, the name of the thing decided about (a message reference, a
// crash point's occurrence) and the kind of decision, so that a live run
// makes the same choices whatever the order its threads reach them in.
package decide

import (
	"encoding/binary"
	"hash/fnv"
)

// Uniform is hash(seed, name, kind) as a number in [0, 1): FNV-1a over the
// seed's bytes and the two strings, then splitmix64's finaliser, whose
// avalanche spreads names that differ in one digit over the whole range.
func Uniform(seed uint64, name, kind string) float64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	h.Write([]byte(name))
	h.Write([]byte{0}) // so that ("c1/o1.1/a1", "x") and ("c1/o1.1/a1x", "") differ
	h.Write([]byte(kind))
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}

// Hit is true with probability rate: Uniform(seed, name, kind) < rate,
// and always at rate 1 or more.
func Hit(seed uint64, name, kind string, rate float64) bool {
	return rate >= 1 || rate > 0 && Uniform(seed, name, kind) < rate
}
