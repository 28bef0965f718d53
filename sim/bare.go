package sim

import "iter"

// BareQueue pushes and pops n events through the kernel's queue type with
// nothing around it, holding depth events that re-arm with distinct periods:
// the physical limit the kernel's event rate is compared against.
func BareQueue(n, depth int) {
	q := make(eventQueue, 0, depth+1)
	var seq uint64
	for i := 0; i < depth; i++ {
		seq++
		q.push(event{seq: seq, token: uint64(1000+i*7) * 1000})
	}
	for i := 0; i < n; i++ {
		e := q.pop()
		seq++
		e.at += Time(e.token)
		e.seq = seq
		q.push(e)
	}
}

// BareHandoff switches n times into a coroutine and back through iter.Pull,
// the hand-off primitive actors use, with nothing around it.
func BareHandoff(n int) {
	next, stop := iter.Pull(func(yield func(struct{}) bool) {
		for yield(struct{}{}) {
		}
	})
	defer stop()
	for i := 0; i < n; i++ {
		next()
	}
}
