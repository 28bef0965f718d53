// Package db is idemsim's simulated SQL database: an MVCC store whose
// isolation levels behave like PostgreSQL's — read committed, repeatable
// read as snapshot isolation with first-updater-wins, serializable as SSI
// with PostgreSQL's conflict rules and, by default, its lock granularity
// (B-tree leaf pages, heap tuples, pages and relations, over pages laid
// out as PostgreSQL lays them out: Config.SSILocks) — plus dirty reads and
// strict two-phase locking for comparison. Sessions run on kernel actors:
// a statement that waits for a lock parks its actor, and deadlocks, lock
// and statement timeouts are detected on virtual time.
//
// Tables hold integers, text, booleans, timestamps and intervals, with
// sequences, defaults and composite keys; statements filter with full
// expressions, upsert with ON CONFLICT (on columns or ON CONSTRAINT, with
// DO UPDATE ... WHERE over the row, under the INSERT's alias or the
// table's name, and EXCLUDED), return rows and expressions from any write,
// sort, limit, and lock rows in PostgreSQL's four strengths with NOWAIT and
// SKIP LOCKED. A DO UPDATE whose WHERE fails leaves the row locked, as
// PostgreSQL locks it before testing the condition. now() reads the server's clock (Config.Clock), virtual time 0
// being 2026-01-01 00:00:00+00 (Timestamp).
//
// At serializable a transaction fails with 40001 at the statement where
// PostgreSQL 15 fails it: a read of a version written by a concurrent
// transaction that completes a dangerous structure (one that committed
// with a conflict of its own, say) fails at that read; a transaction a
// commit has doomed fails at its next read or write of any row; a write
// over a committed reader's lock that makes the writer a pivot fails at
// the write; the rest at commit. What a statement reads follows
// PostgreSQL's plans: a row SKIP LOCKED passes over has been read, a row
// an ORDER BY ... LIMIT never reached has not, and whether such a scan
// reads the index in order or sorts a whole-table scan is priced as
// PostgreSQL prices it for tables without statistics (testdata/scripts:
// ssi-queue-*, ssi-ordered-sort, ssi-doomed-read). Known differences:
// pruning a page frees a dead version's line pointer, where PostgreSQL
// keeps it (as a redirect or a dead pointer), so a nearly full page may
// take a HOT update here that PostgreSQL would put on another page; and
// pages are pruned when a version does not fit rather than when a read
// finds them nearly full.
//
// The statements are a strict subset of PostgreSQL's (package sql), and the
// scenario scripts under testdata/scripts are checked against what
// PostgreSQL 15 really printed for them. Where PostgreSQL's own result is a
// race, the simulation picks one of its outcomes: inserts waiting for a
// unique key whose holder aborts are woken in the order they began to wait,
// and the first woken takes the key, while on PostgreSQL any of them may
// (testdata/scripts/races/README.md).
package db
