package pgdb_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/livetest"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/live/pgdb"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// The strategies' tables, as models/keys.go, models/unique409.go and
// models/async202.go create them.
const (
	keysDDL = "create table idempotency_keys (key text primary key, fingerprint text not null, state text not null, " +
		"response text, locked_at timestamptz, created_at timestamptz not null default now())"
	keysNoUniqueDDL = "create table idempotency_keys (key text not null, fingerprint text not null, state text not null, " +
		"response text, locked_at timestamptz, created_at timestamptz not null default now())"
	paymentsUniqueDDL = "create table payments (id bigserial primary key, idempotency_key text unique, amount bigint not null, currency text not null, charge_id text)"
	jobsDDL           = "create table jobs (id bigserial primary key, key text unique not null, client text not null, amount bigint not null, " +
		"currency text not null, description text not null)"
	accountsDDL = "create table accounts (id int primary key, version bigint not null)"

	claim     = "insert into idempotency_keys (key, fingerprint, state, locked_at) values ($1, $2, $3, now()) on conflict (key) do nothing returning key"
	lookup    = "select fingerprint, state, response from idempotency_keys where key = $1"
	finish    = "update idempotency_keys set state = $2, response = $3, locked_at = null where key = $1"
	pay       = "insert into payments (idempotency_key, amount, currency) values ($1, $2, $3) returning id"
	nextJob   = "select key, client, amount, currency, description from jobs order by id limit 1 for update skip locked"
	addJob    = "insert into jobs (key, client, amount, currency, description) values ($1, $2, $3, $4, $5)"
	countKeys = "select count(*) from idempotency_keys where key = $1"
)

// outcome is one statement's answer as a strategy sees it: its result, or
// its SQLSTATE.
type outcome struct {
	Step     string
	Cols     []string
	Rows     [][]api.Value
	Affected int
	State    string
}

func (o outcome) String() string {
	var rows []string
	for _, r := range o.Rows {
		var vs []string
		for _, v := range r {
			vs = append(vs, v.String())
		}
		rows = append(rows, "("+strings.Join(vs, ", ")+")")
	}
	return fmt.Sprintf("%s: cols %v rows %s affected %d state %q", o.Step, o.Cols, strings.Join(rows, " "), o.Affected, o.State)
}

// recorder runs a scenario's statements and keeps their outcomes.
type recorder struct{ out []outcome }

type execer interface {
	Exec(string, ...api.Value) (api.Result, error)
}

func (r *recorder) exec(step string, e execer, q string, args ...api.Value) {
	res, err := e.Exec(q, args...)
	o := outcome{Step: step, Affected: res.Affected, State: api.SQLState(err)}
	if err != nil && o.State == "" {
		o.State = "error: " + err.Error()
	}
	if len(res.Cols) > 0 {
		o.Cols = res.Cols
	}
	if len(res.Rows) > 0 {
		o.Rows = res.Rows
	}
	r.out = append(r.out, o)
}

func (r *recorder) begin(step string, d api.DB, level api.Level) api.Tx {
	tx, err := d.Begin(level)
	r.out = append(r.out, outcome{Step: step, State: api.SQLState(err)})
	return tx
}

func (r *recorder) end(step string, err error) {
	r.out = append(r.out, outcome{Step: step, State: api.SQLState(err)})
}

// scenario is a sequence of statements a strategy makes, on one or two
// transactions taken in turn, so that no statement waits for a lock: the
// simulated side runs them on one actor.
type scenario struct {
	name  string
	setup []string
	body  func(r *recorder, d api.DB)
	// codes are the SQLSTATEs the scenario exists to show, in the order
	// they come: a check that it still provokes them.
	codes []string
}

var k1, k2 = api.Text("k1"), api.Text("k2")

var scenarios = []scenario{
	{name: "claim-on-conflict", setup: []string{keysDDL}, body: func(r *recorder, d api.DB) {
		r.exec("first claim", d, claim, k1, api.Text("fp"), api.Text("started"))
		r.exec("second claim", d, claim, k1, api.Text("fp"), api.Text("started"))
		r.exec("lookup", d, lookup, k1)
		r.exec("locked", d, "select key from idempotency_keys where key = $1 and locked_at is not null", k1)
		r.exec("finish", d, finish, k1, api.Text("finished"), api.Text("201 p1"))
		r.exec("lookup finished", d, lookup, k1)
		r.exec("missing", d, lookup, k2)
	}},
	{name: "unique-23505", setup: []string{paymentsUniqueDDL}, body: func(r *recorder, d api.DB) {
		r.exec("pay", d, pay, k1, api.Int(100), api.Text("usd"))
		r.exec("pay again", d, pay, k1, api.Int(100), api.Text("usd"))
		r.exec("pay other", d, pay, k2, api.Int(250), api.Text("eur"))
		r.exec("payments", d, "select id, idempotency_key, amount, currency, charge_id from payments order by id")
		r.exec("charge id", d, "update payments set charge_id = $2 where id = $1", api.Int(1), api.Text("ch_1"))
		r.exec("count", d, "select count(*) from payments where idempotency_key = $1", k1)
	}, codes: []string{"23505"}},
	{name: "for-update-then-finish", setup: []string{keysDDL, paymentsUniqueDDL}, body: func(r *recorder, d api.DB) {
		tx := r.begin("begin", d, api.DefaultLevel)
		r.exec("claim", tx, claim, k1, api.Text("fp"), api.Text("started"))
		r.exec("lock", tx, lookup+" for update", k1)
		r.exec("pay", tx, pay, k1, api.Int(7), api.Text("usd"))
		r.exec("finish", tx, finish, k1, api.Text("finished"), api.Text("201"))
		r.end("commit", tx.Commit())
		r.exec("after", d, lookup, k1)
		r.end("commit again", tx.Commit())
	}, codes: []string{"25P01"}},
	{name: "nowait-55P03", setup: []string{keysDDL, "insert into idempotency_keys (key, fingerprint, state) values ('k1', 'fp', 'started')"}, body: func(r *recorder, d api.DB) {
		t1 := r.begin("t1 begin", d, api.DefaultLevel)
		r.exec("t1 lock", t1, lookup+" for update nowait", k1)
		t2 := r.begin("t2 begin", d, api.DefaultLevel)
		r.exec("t2 lock nowait", t2, lookup+" for update nowait", k1)
		r.exec("t2 after the error", t2, lookup, k1)
		r.end("t2 commit", t2.Commit())
		r.end("t1 commit", t1.Commit())
		r.exec("no lock left", d, lookup+" for update nowait", k1)
	}, codes: []string{"55P03", "25P02", "25P02"}},
	{name: "skip-locked-queue", setup: []string{jobsDDL}, body: func(r *recorder, d api.DB) {
		r.exec("add 1", d, addJob, k1, api.Text("c1"), api.Int(5), api.Text("usd"), api.Text("a"))
		r.exec("add 2", d, addJob, k2, api.Text("c2"), api.Int(6), api.Text("usd"), api.Text("b"))
		t1 := r.begin("t1 begin", d, api.DefaultLevel)
		r.exec("t1 next", t1, nextJob)
		t2 := r.begin("t2 begin", d, api.DefaultLevel)
		r.exec("t2 next", t2, nextJob)
		r.exec("t2 done", t2, "delete from jobs where key = $1", k2)
		r.end("t2 commit", t2.Commit())
		r.end("t1 rollback", t1.Rollback())
		r.exec("left", d, "select key from jobs")
	}},
	{name: "serializable-40001-update", setup: []string{accountsDDL, "insert into accounts (id, version) values (1, 0)"}, body: func(r *recorder, d api.DB) {
		for _, level := range []api.Level{api.RepeatableRead, api.Serializable} {
			t1 := r.begin("t1 begin "+level.String(), d, level)
			t2 := r.begin("t2 begin", d, level)
			r.exec("t1 read", t1, "select version from accounts where id = 1")
			r.exec("t2 read", t2, "select version from accounts where id = 1")
			r.exec("t1 bump", t1, "update accounts set version = version + 1 where id = 1")
			r.end("t1 commit", t1.Commit())
			r.exec("t2 bump", t2, "update accounts set version = version + 1 where id = 1")
			r.end("t2 commit", t2.Commit())
		}
		r.exec("version", d, "select version from accounts where id = 1")
	}, codes: []string{"40001", "25P02", "40001", "25P02"}},
	{name: "serializable-40001-check-insert", setup: []string{keysNoUniqueDDL}, body: func(r *recorder, d api.DB) {
		t1 := r.begin("t1 begin", d, api.Serializable)
		t2 := r.begin("t2 begin", d, api.Serializable)
		r.exec("t1 check", t1, countKeys, k1)
		r.exec("t2 check", t2, countKeys, k1)
		r.exec("t1 insert", t1, "insert into idempotency_keys (key, fingerprint, state, response) values ($1, $2, $3, $4)", k1, api.Text("fp"), api.Text("finished"), api.Text("201"))
		r.exec("t2 insert", t2, "insert into idempotency_keys (key, fingerprint, state, response) values ($1, $2, $3, $4)", k1, api.Text("fp"), api.Text("finished"), api.Text("201"))
		r.end("t1 commit", t1.Commit())
		r.end("t2 commit", t2.Commit())
		r.exec("rows", d, countKeys, k1)
	}, codes: []string{"40001"}},
	{name: "values-and-errors", setup: []string{keysDDL, "create table vals (n bigint, s text, b boolean, i interval, z text)"}, body: func(r *recorder, d api.DB) {
		r.exec("store kinds", d, "insert into vals (n, s, b, i, z) values ($1, $2, $3, $4, $5)",
			api.Int(-42), api.Text("é'x"), api.Bool(true), api.Interval(90*time.Minute), api.Null())
		r.exec("read kinds", d, "select n, s, b, i, z from vals")
		r.exec("claim", d, claim, k1, api.Text("fp"), api.Text("started"))
		r.exec("expire none", d, "delete from idempotency_keys where state = $1 and now() - created_at > $2", api.Text("started"), api.Interval(time.Hour))
		r.exec("expire all", d, "delete from idempotency_keys where state = $1 and now() - created_at > $2", api.Text("started"), api.Interval(-time.Hour))
		r.exec("not null", d, "insert into idempotency_keys (key, fingerprint, state) values ($1, null, $2)", k1, api.Text("x"))
		r.exec("no table", d, "select * from nothing")
		r.exec("syntax", d, "selec 1")
		tx := r.begin("begin", d, api.DefaultLevel)
		r.exec("fails", tx, "select * from nothing")
		r.exec("then", tx, lookup, k1)
		r.end("commit of a failed transaction", tx.Commit())
	}, codes: []string{"23502", "42P01", "42601", "42P01", "25P02", "25P02"}},
}

// Goal: the live adapter gives a strategy the same results and SQLSTATEs
// as the simulated database for the statements the strategies make:
// claims with ON CONFLICT, FOR UPDATE [NOWAIT], SKIP LOCKED, 23505, 55P03,
// 40001, 25P02. Method: each scenario runs once on a fresh database of a
// throwaway PostgreSQL 15 through pgdb, and once in a simulated world
// through the world's api.DB, and the outcomes of each statement are
// compared.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	rerun := testcmd.Rerun(t, "./live/pgdb")
	pg := livetest.StartPostgres(t)
	admin := connect(t, pg.DSN, rerun)
	for i, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./live/pgdb")
			live := runLive(t, admin, pg, fmt.Sprintf("c%d", i), sc, rerun)
			simulated, _ := runSimulated(t, sc, rerun, nil)
			var codes []string
			for _, o := range live {
				if o.State != "" {
					codes = append(codes, o.State)
				}
			}
			assert.Equal(t, sc.codes, codes, "the SQLSTATEs the scenario provokes live; "+rerun)
			require.Equal(t, len(simulated), len(live), rerun)
			for j := range live {
				assert.Equal(t, simulated[j].String(), live[j].String(), "statement %d (simulated, then live); %s", j, rerun)
				assert.Equal(t, simulated[j], live[j], "statement %d with value kinds; %s", j, rerun)
			}
		})
	}
}

func connect(t *testing.T, dsn, rerun string) *pgx.Conn {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err, rerun)
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// runLive runs sc on a new database name of pg.
func runLive(t *testing.T, admin *pgx.Conn, pg *livetest.Postgres, name string, sc scenario, rerun string) []outcome {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := admin.Exec(ctx, "create database "+name)
	require.NoError(t, err, rerun)
	d, err := pgdb.Open(ctx, pgdb.Config{DSN: pg.DatabaseDSN(name), PoolSize: 4, CallTimeout: 10 * time.Second})
	require.NoError(t, err, rerun)
	defer d.Close()
	for _, q := range sc.setup {
		_, err := d.Exec(q)
		require.NoError(t, err, q+"; "+rerun)
	}
	var r recorder
	sc.body(&r, d)
	return r.out
}

// runSimulated runs sc in the handler of a world's only request, as a
// strategy would (the setup is the strategy's schema), with the world's
// configuration changed by adjust when it is not nil.
func runSimulated(t *testing.T, sc scenario, rerun string, adjust func(*world.Config)) ([]outcome, *world.Result) {
	var r recorder
	ran := false
	cfg := world.Defaults()
	cfg.Servers, cfg.Clients, cfg.OpsPerClient = 1, 1, 1
	cfg.DB.PoolSize = 4
	cfg.Strategy = api.Strategy{
		Name: "conformance", Contract: api.ContractNone, Schema: sc.setup,
		Boot: func(api.Settings) api.Server {
			return api.Server{Create: func(env api.Env, _ api.Request) api.Response {
				if !ran {
					ran = true
					sc.body(&r, env.DB())
				}
				return api.Response{Status: api.StatusCreated}
			}}
		},
	}
	if adjust != nil {
		adjust(&cfg)
	}
	res, err := world.Run(cfg)
	require.NoError(t, err, rerun)
	require.True(t, ran, "the world's request reached the handler; "+rerun)
	return r.out, res
}

func TestMain(m *testing.M) { os.Exit(m.Run()) }
