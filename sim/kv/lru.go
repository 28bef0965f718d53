package kv

// lruList orders the keys from least to most recently used, for exact LRU
// eviction (Redis samples; a simulation wants the same victim every run).
// It is intrusive — the links live in the entries — so touching a key
// allocates nothing. It is kept only under AllKeysLRU.
type lruList struct {
	on   bool
	root entry // root.next is the least recently used key, root.prev the most
}

func (l *lruList) init(on bool) {
	l.on = on
	l.root.prev, l.root.next = &l.root, &l.root
}

// oldest is the least recently used entry other than skip, or nil.
func (l *lruList) oldest(skip *entry) *entry {
	e := l.root.next
	if e == skip {
		e = e.next
	}
	if e == &l.root {
		return nil
	}
	return e
}

func (l *lruList) pushBack(e *entry) {
	if !l.on {
		return
	}
	e.prev, e.next = l.root.prev, &l.root
	e.prev.next, l.root.prev = e, e
}

func (l *lruList) unlink(e *entry) {
	if !l.on {
		return
	}
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

// touch marks e as the most recently used key.
func (l *lruList) touch(e *entry) {
	if !l.on || l.root.prev == e {
		return
	}
	l.unlink(e)
	l.pushBack(e)
}
