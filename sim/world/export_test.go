package world

// SetMaxRunBytes lowers the bound on what a run may hold, so that a test
// reaches it with a small world, until the returned function restores it.
func SetMaxRunBytes(n uint64) (restore func()) {
	was := maxRunBytes
	maxRunBytes = n
	return func() { maxRunBytes = was }
}
