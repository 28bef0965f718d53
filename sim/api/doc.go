// Package api is the vocabulary of idemsim's world and everything a server
// strategy may see of it: the requests clients send and the responses
// servers give, the environment a handler runs in, and the small capability
// interfaces of the services behind it (a SQL database, a Redis-like store,
// a payment gateway, a queue).
//
// Strategies are written against this package only. Nothing here names a
// simulator type, so the same interfaces could be implemented over a real
// PostgreSQL (pgx) or Redis (go-redis); and nothing here carries the
// business operation a request belongs to, so the code under test can
// neither read nor forge the ground truth the oracle audits.
package api
