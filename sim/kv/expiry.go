package kv

// expiryHeap holds the keys that have a TTL, soonest expiry first and ties
// by key, so reclaiming expired keys and choosing volatile-ttl victims are
// both a look at the top, and both are deterministic. Each entry knows its
// index so a TTL change or a delete removes it in O(log n).
type expiryHeap []*entry

func (h expiryHeap) less(i, j int) bool {
	a, b := h[i], h[j]
	return a.expireAt < b.expireAt || a.expireAt == b.expireAt && a.key < b.key
}

func (h expiryHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIndex = i
	h[j].heapIndex = j
}

func (h *expiryHeap) push(e *entry) {
	e.heapIndex = len(*h)
	*h = append(*h, e)
	h.up(e.heapIndex)
}

// remove takes e out of the heap.
func (h *expiryHeap) remove(e *entry) {
	i, last := e.heapIndex, len(*h)-1
	if i != last {
		h.swap(i, last)
	}
	(*h)[last] = nil
	*h = (*h)[:last]
	e.heapIndex = notInHeap
	if i != last {
		h.down(i)
		h.up(i)
	}
}

// secondMin is the soonest-expiring entry other than the top, or nil: it is
// one of the top's children.
func (h expiryHeap) secondMin() *entry {
	switch {
	case len(h) < 2:
		return nil
	case len(h) == 2 || h.less(1, 2):
		return h[1]
	}
	return h[2]
}

func (h expiryHeap) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !h.less(i, parent) {
			return
		}
		h.swap(i, parent)
		i = parent
	}
}

func (h expiryHeap) down(i int) {
	for {
		smallest := i
		for _, child := range [2]int{2*i + 1, 2*i + 2} {
			if child < len(h) && h.less(child, smallest) {
				smallest = child
			}
		}
		if smallest == i {
			return
		}
		h.swap(i, smallest)
		i = smallest
	}
}
