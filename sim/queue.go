package sim

// event is one entry of the kernel's queue: at time at, either resume proc
// (if token still names the proc's current park) or call fire.
type event struct {
	at    Time
	seq   uint64
	proc  *Proc
	token uint64
	fire  Firer
	wake  bool // a Wake rather than a timer ended the park
}

func (e *event) before(f *event) bool {
	return e.at < f.at || e.at == f.at && e.seq < f.seq
}

// eventQueue is a binary min-heap of events by (at, seq), written out by hand
// because container/heap's interface calls cost more than the work.
type eventQueue []event

func (q *eventQueue) push(e event) {
	*q = append(*q, e)
	s := *q
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !s[i].before(&s[p]) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (q *eventQueue) pop() event {
	s := *q
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s[n] = event{} // drop references for the collector
	s = s[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && s[r].before(&s[l]) {
			m = r
		}
		if !s[m].before(&s[i]) {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*q = s
	return top
}
