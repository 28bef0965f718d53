package main

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// schema is every table the service needs. It is written to be run at each
// start: `if not exists` makes it a no-op on a database that has them.
//
// payments is the business effect, one row per payment made; its shape is
// what the checker's effects query counts (select count(*) from payments
// where idempotency_key = $1). idempotency_keys is the key table of the
// modes that keep their keys in the database: the request's fingerprint,
// whether the first request finished, and the answer to replay.
const schema = `
create table if not exists payments (
	id text primary key,
	idempotency_key text,
	amount bigint not null,
	currency text not null,
	created_at timestamptz not null default now()
);
create index if not exists payments_idempotency_key on payments (idempotency_key);
create table if not exists idempotency_keys (
	key text primary key,
	fingerprint text not null,
	status text not null check (status in ('in_progress', 'done')),
	response_code int,
	response_body text,
	created_at timestamptz not null default now()
);
`

// schemaLock is the advisory lock that createSchema holds while it runs:
// two instances starting together on an empty database would otherwise
// both try to create the same table, and one would fail on the catalog's
// unique index even with `if not exists`.
const schemaLock = 7_316_250_019

// createSchema creates the tables if they are absent.
func createSchema(ctx context.Context, db *pgxpool.Pool) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("creating the tables: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	if _, err := tx.Exec(ctx, "select pg_advisory_xact_lock($1)", int64(schemaLock)); err != nil {
		return fmt.Errorf("creating the tables: %w", err)
	}
	if _, err := tx.Exec(ctx, schema); err != nil {
		return fmt.Errorf("creating the tables: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("creating the tables: %w", err)
	}
	return nil
}
