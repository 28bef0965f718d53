package sql

import "strings"

// Cache parses each distinct text once: the first Parse of a text parses
// it, and every later Parse of the same text returns the very same
// statement (the same pointer), or the same error, without parsing again.
//
// The statements and errors it returns are shared by every caller that
// parses the same text: they are immutable, and callers must not modify
// them or anything they point to.
//
// A Cache keeps every distinct text it is given, so texts should carry
// values as $n parameters rather than as literals when there are many
// values. It is not safe for concurrent use: the simulation is
// single-threaded. The zero Cache is ready to use.
type Cache struct {
	m      map[string]cached
	parses int // how many texts were parsed, for tests: the misses
}

type cached struct {
	stmt Stmt
	err  error
}

// NewCache returns an empty cache.
func NewCache() *Cache { return &Cache{m: make(map[string]cached)} }

// Parse is Parse(text), once per distinct text.
func (c *Cache) Parse(text string) (Stmt, error) {
	if e, ok := c.m[text]; ok {
		return e.stmt, e.err
	}
	if c.m == nil {
		c.m = make(map[string]cached)
	}
	// The statement's names and strings share the text's memory: keep a
	// copy, so that a text cut from a larger buffer does not keep it alive.
	text = strings.Clone(text)
	s, err := Parse(text)
	c.m[text] = cached{s, err}
	c.parses++
	return s, err
}
