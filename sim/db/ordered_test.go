package db

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/sim"
)

// Goal: an ORDER BY ... LIMIT that could read an index in order does so
// exactly when PostgreSQL 15's planner picks the index scan over sorting a
// table scan, for tables it has no statistics on. Method: each case's
// plan, found by running the query, is priced by orderedWins at the
// query's limit; the expected plans are what EXPLAIN printed on
// PostgreSQL 15 for the same tables (four rows of jobs, one of keys).
func TestOrderedScanOrSort(t *testing.T) {
	cases := []struct {
		query string
		limit int64
		index bool
	}{
		{"select id from jobs where state = 'pending' order by id limit 1 for update skip locked", 1, true},
		{"select id from jobs where state = 'pending' order by id limit 2 for update skip locked", 2, false},
		{"select id from jobs where state = 'pending' order by id limit 2", 2, false},
		{"select id from jobs where state = 'pending' order by id limit 3", 3, false},
		{"select id from jobs order by id limit 2", 2, true},
		{"select id from jobs order by id limit 500", 500, true},
		{"select id from jobs order by id limit 900 for update", 900, true},
		{"select id from jobs where state = 'pending' and payload is null order by id limit 1", 1, false},
		{"select id from jobs where state <> 'done' order by id limit 10", 10, true},
		{"select id from jobs where state = 'a' or state = 'b' order by id limit 1", 1, true},
		{"select id from jobs where state = 'a' or state = 'b' order by id limit 2", 2, true},
		{"select id from jobs where state = 'pending' order by id desc limit 1", 1, true},
		{"select id from jobs where done = false order by id limit 3", 3, true},
		{"select id from jobs where not done order by id limit 100", 100, true},
		{"select id from jobs where state in ('a', 'b', 'c') order by id limit 2", 2, true},
		{"select id from jobs where payload < 'x' order by id limit 5", 5, true},
		{"select id from jobs where payload > 'a' and payload < 'x' order by id limit 1", 1, true},
		{"select key from keys where (status = 'a' or status = 'b') and now() - last_run_at > interval '1 second' and locked_at is null order by key limit 1", 1, false},
		{"select key from keys where status = 'a' order by key limit 1 for update skip locked", 1, true},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			runDB(t, func(k *sim.Kernel, d *DB, p *sim.Proc) {
				s := d.Connect()
				mustExec(t, p, s, "create table jobs (id int primary key, state text not null, payload text, done boolean)")
				mustExec(t, p, s, "insert into jobs values (1, 'pending', 'p', false), (2, 'pending', 'p', false), (3, 'pending', 'p', false), (4, 'done', 'p', true)")
				mustExec(t, p, s, "create table keys (key text primary key, status text not null, last_run_at timestamptz, locked_at timestamptz)")
				mustExec(t, p, s, "insert into keys values ('a', 'started', now(), null)")
				mustExec(t, p, s, c.query)
				st, err := d.cache.Parse(c.query)
				require.NoError(t, err, rerun(t))
				pl := d.plans[st]
				require.NotNil(t, pl, rerun(t))
				require.True(t, pl.access.ordered, "no ordered index scan to weigh; %s", rerun(t))
				assert.Equal(t, c.index, pl.orderedWins(c.limit), "index scan (true) or sorted table scan (false); %s", rerun(t))
			})
		})
	}
}
