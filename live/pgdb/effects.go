package pgdb

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Effect is one committed insert or delete of a row of a ledger table, as
// a trigger recorded it: the live form of the simulated ledger's rows
// (sim/world/dbnode.go, committed and deleted).
type Effect struct {
	Seq    int64  // the order the triggers fired in
	Source string // the table
	RowID  string // the row's first column, as text
	Tag    string // the session's tag when the row changed; "" for none
	// Deleted is a delete of the row rather than an insert.
	Deleted bool
	At      time.Time // the database's clock when the trigger fired
}

// effectsDDL creates the effects table and the trigger function, and may
// run again. The trigger inserts into idemsim_effects in the transaction
// that changed the row, so a transaction that rolls back takes its effects
// with it: only committed effects remain, as the simulated ledger counts
// them. The row is identified by its first column, whose name each
// trigger passes as its argument: in every ledger table of the strategies
// that is the primary key (a bigserial id, or the client's chosen id), the
// same identity a timeline prints, where the whole row as JSON would be
// long and would name no row on its own. current_setting's second argument
// makes a session that never set the tag read NULL, stored as "".
const effectsDDL = `
create table if not exists idemsim_effects (
	seq bigserial primary key,
	source text not null,
	row_id text not null,
	tag text not null,
	deleted bool not null,
	at timestamptz not null default clock_timestamp()
);
create or replace function idemsim_record_effect() returns trigger language plpgsql as $$
declare
	r record;
begin
	if tg_op = 'DELETE' then
		r := old;
	else
		r := new;
	end if;
	insert into idemsim_effects (source, row_id, tag, deleted)
	values (tg_table_name, coalesce(to_jsonb(r) ->> tg_argv[0], ''),
		coalesce(current_setting('idemsim.tag', true), ''), tg_op = 'DELETE');
	return null;
end
$$;
`

// InstallEffects creates idemsim_effects and puts a trigger recording
// every committed insert and delete on each of tables (a strategy's
// Ledger) of the database at dsn. The tables must exist: run it after the
// strategy's Schema. It may run again on the same database.
func InstallEffects(ctx context.Context, dsn string, tables []string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("pgdb: effects: connecting: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, effectsDDL); err != nil {
		return fmt.Errorf("pgdb: effects: creating the table and the trigger function: %w", err)
	}
	for _, table := range tables {
		var first string
		err := conn.QueryRow(ctx, "select attname from pg_attribute where attrelid = to_regclass($1) and attnum > 0 and not attisdropped order by attnum limit 1", table).Scan(&first)
		if err == pgx.ErrNoRows {
			return fmt.Errorf("pgdb: effects: ledger table %q does not exist: install the effects after the strategy's schema", table)
		}
		if err != nil {
			return fmt.Errorf("pgdb: effects: the first column of %q: %w", table, err)
		}
		lit, err := conn.PgConn().EscapeString(first)
		if err != nil {
			return fmt.Errorf("pgdb: effects: %w", err)
		}
		ddl := "create or replace trigger idemsim_effects after insert or delete on " + pgx.Identifier{table}.Sanitize() +
			" for each row execute function idemsim_record_effect('" + lit + "')"
		if _, err := conn.Exec(ctx, ddl); err != nil {
			return fmt.Errorf("pgdb: effects: trigger on %q: %w", table, err)
		}
	}
	return nil
}

// ReadEffects reads every effect recorded in the database at dsn, in the
// order the triggers fired.
func ReadEffects(ctx context.Context, dsn string) ([]Effect, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("pgdb: effects: connecting: %w", err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, "select seq, source, row_id, tag, deleted, at from idemsim_effects order by seq")
	if err != nil {
		return nil, fmt.Errorf("pgdb: effects: reading (were they installed?): %w", err)
	}
	effects, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Effect, error) {
		var e Effect
		err := r.Scan(&e.Seq, &e.Source, &e.RowID, &e.Tag, &e.Deleted, &e.At)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("pgdb: effects: reading: %w", err)
	}
	return effects, nil
}
