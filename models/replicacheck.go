package models

import "github.com/idemsim/idemsim/sim/api"

// ReplicaCheck is CheckThenInsert with the key looked up on the database's
// read replica: if the replica has no row for the key, do the work on the
// primary, then record the key there.
//
// Position: the catalogue's replication-lag fault, where key lookups are
// moved to a read replica to spare the primary. A replica has replayed the
// primary's commits only up to some time ago, so a retry that comes back
// within that lag finds no key although the first request has finished and
// recorded it, and pays again: the duplicate needs no concurrent requests,
// only a retry faster than replication (--db-replica-lag). Without lag it
// behaves as check-then-insert.
var ReplicaCheck = checkThenInsert(api.Strategy{
	Name: "replica-check",
	Rule: "look the key up on the read replica; if absent, do the work on the primary, then record the key there",
	Position: "key lookups moved to a lagging read replica (the catalogue's replication-lag fault): a retry " +
		"within the lag misses a finished key and pays again, with no concurrency at all",
}, true)
