package db_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/db"
	"github.com/idemsim/idemsim/sim/db/sql"
)

// benchDB runs body(p, n) on one actor over a database holding 1000 rows in
// test, and reports rate units per second.
func benchDB(b *testing.B, unit string, perIteration int, body func(p *sim.Proc, d *db.DB, s *db.Session)) {
	b.ReportAllocs()
	k := sim.New(sim.NewSeeded(1))
	d := db.New(k, db.DefaultConfig())
	var ran int
	k.Spawn("bench", func(p *sim.Proc) {
		s := d.Connect()
		mustExec(b, p, s, "create table test (id int primary key, value int)")
		for i := 1; i <= 1000; i += 100 {
			q := "insert into test (id, value) values "
			for j := i; j < i+100; j++ {
				if j > i {
					q += ", "
				}
				q += "(" + strconv.Itoa(j) + ", 0)"
			}
			mustExec(b, p, s, q)
		}
		b.ResetTimer()
		for b.Loop() {
			body(p, d, s)
			ran++
		}
	})
	k.Run(sim.Time(1000 * time.Hour))
	k.Close()
	b.ReportMetric(float64(ran*perIteration)/b.Elapsed().Seconds(), unit)
}

func mustExec(b *testing.B, p *sim.Proc, s *db.Session, q string, args ...sql.Value) *db.Result {
	res, err := s.Exec(p, q, args...)
	if err != nil {
		b.Fatalf("%s: %v", q, err)
	}
	return res
}

// BenchmarkPointSelect: `select * from test where id = $1` in autocommit,
// through the kernel: parse cache, plan cache, a transaction, an index
// lookup, the result. Target: at least 1,000,000 statements/s on one core
// with at most 5 allocations per statement (allocs/op).
func BenchmarkPointSelect(b *testing.B) {
	i := 0
	benchDB(b, "statements/s", 1, func(p *sim.Proc, d *db.DB, s *db.Session) {
		i = i%1000 + 1
		mustExec(b, p, s, "select * from test where id = $1", sql.IntValue(int64(i)))
	})
}

// BenchmarkPointUpdate: `update test set value = value + 1 where id = $1`
// inside one long transaction (row lock, new version), 100 per iteration.
func BenchmarkPointUpdate(b *testing.B) {
	i := 0
	benchDB(b, "statements/s", 100, func(p *sim.Proc, d *db.DB, s *db.Session) {
		mustExec(b, p, s, "begin")
		for j := 0; j < 100; j++ {
			i = i%1000 + 1
			mustExec(b, p, s, "update test set value = value + 1 where id = $1", sql.IntValue(int64(i)))
		}
		mustExec(b, p, s, "commit")
	})
}

// BenchmarkIdempotentCreate: the thread's pattern at each level — begin,
// look the key up, insert it, commit — with a new key every time.
func BenchmarkIdempotentCreate(b *testing.B) {
	for _, level := range []string{"read committed", "repeatable read", "serializable"} {
		b.Run(level, func(b *testing.B) {
			n := 0
			first := true
			benchDB(b, "creates/s", 1, func(p *sim.Proc, d *db.DB, s *db.Session) {
				if first {
					mustExec(b, p, s, "create table keys (key text primary key, status text)")
					first = false
				}
				n++
				key := sql.TextValue("k" + strconv.Itoa(n))
				mustExec(b, p, s, "begin transaction isolation level "+level)
				if res := mustExec(b, p, s, "select * from keys where key = $1", key); len(res.Rows) != 0 {
					b.Fatal("key exists")
				}
				mustExec(b, p, s, "insert into keys (key, status) values ($1, 'done')", key)
				mustExec(b, p, s, "commit")
			})
		})
	}
}
