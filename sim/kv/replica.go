package kv

import "github.com/idemsim/idemsim/sim"

// change is one key's new state as the primary sends it to the replica:
// the value and absolute expiry time it now has, or its deletion. Absolute
// times keep a change's meaning independent of when the replica applies it.
type change struct {
	at       sim.Time // the primary's clock when it made the change
	write    uint64   // the write command that made it (its Stats.Commands number); 0 for reclaiming an expired key
	key      string
	value    string
	expireAt sim.Time
	expires  bool
	deleted  bool
}

// replicaKey is one key on the replica.
type replicaKey struct {
	value    string
	expireAt sim.Time
	expires  bool
	// applied is when the key last changed on the replica, in applied
	// changes: a promoted replica's LRU order, since a replica sees writes
	// but not reads.
	applied uint64
}

// replica is the node that a failover promotes. Changes newer than the lag
// wait in pending, oldest first, and are applied as the primary's clock
// passes them, so pending holds only the lag window's writes.
type replica struct {
	keys    map[string]replicaKey
	pending []change
	head    int    // pending[:head] are applied
	applied uint64 // changes applied so far
}

func (r *replica) reset() {
	clear(r.pending)
	*r = replica{keys: make(map[string]replicaKey), pending: r.pending[:0]}
}

func (r *replica) apply(c change) {
	r.applied++
	if c.deleted {
		delete(r.keys, c.key)
		return
	}
	r.keys[c.key] = replicaKey{value: c.value, expireAt: c.expireAt, expires: c.expires, applied: r.applied}
}

// catchUp applies the pending changes made at or before upTo. It applies a
// prefix, in order, as a replication stream does, so even a clock that
// steps back never reorders writes.
func (r *replica) catchUp(upTo sim.Time) {
	for r.head < len(r.pending) && r.pending[r.head].at <= upTo {
		r.apply(r.pending[r.head])
		r.pending[r.head] = change{} // let the strings go
		r.head++
	}
	switch {
	case r.head == len(r.pending):
		r.pending, r.head = r.pending[:0], 0
	case r.head >= 1024 && r.head*2 >= len(r.pending):
		// Slide the window back so pending stays the size of the lag window.
		n := copy(r.pending, r.pending[r.head:])
		clear(r.pending[n:])
		r.pending, r.head = r.pending[:n], 0
	}
}

// discardPending drops the changes the replica has not received. It says
// how many write commands they came from, and which keys the primary
// reclaimed as expired among them, so the promoted node does not count
// those expiries a second time.
func (r *replica) discardPending() (lostWrites int, reclaimed map[string]bool) {
	var last uint64
	for _, c := range r.pending[r.head:] {
		switch {
		case c.write == 0:
			if reclaimed == nil {
				reclaimed = make(map[string]bool)
			}
			reclaimed[c.key] = true
		case c.write != last:
			lostWrites++
			last = c.write
		}
	}
	clear(r.pending)
	r.pending, r.head = r.pending[:0], 0
	return lostWrites, reclaimed
}
