package script

import (
	"slices"
	"strconv"
	"time"

	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/db"
	"github.com/idemsim/idemsim/sim/db/sql"
)

// Options are the runner's timings, in virtual time. They equal the
// PostgreSQL runner's in real time, so that the same deadlock victim and the
// same blocked statements appear on both.
type Options struct {
	Seed   uint64
	Window sim.Duration // a statement not done within it is reported blocked
	Settle sim.Duration // wait for blocked statements after each statement
	Tail   sim.Duration // wait for blocked statements at the end
	DB     db.Config
	// Messages: an error's line carries the database's message after its
	// SQLSTATE ("error 23505: duplicate key value violates unique
	// constraint ..."), for people; the recorded PostgreSQL outputs
	// compare codes only.
	Messages bool
}

// DefaultOptions match tools/pgscript and its server: W = 1s, S = 300ms,
// 2s at the end, deadlock_timeout = 200ms.
func DefaultOptions() Options {
	cfg := db.DefaultConfig()
	cfg.DeadlockTimeout = 200 * time.Millisecond
	return Options{Seed: 1, Window: time.Second, Settle: 300 * time.Millisecond, Tail: 2 * time.Second, DB: cfg}
}

// Run runs sc at level — any level sql.ParseLevel reads, in either
// spelling, or "" for a script without levels — and returns the output
// lines. The two levels PostgreSQL lacks run the script's SERIALIZABLE as
// strict two-phase locking (serializable-2pl) or its READ UNCOMMITTED as
// really reading uncommitted data (dirty-reads).
func Run(sc *Script, level string, o Options) []string {
	cfg := o.DB
	sqlLevel := level
	if l, ok := sql.ParseLevel(level); ok {
		sqlLevel = l.String()
		switch l {
		case sql.Serializable2PL:
			cfg.Serializable = sql.Serializable2PL
			sqlLevel = sql.Serializable.String()
		case sql.DirtyReads:
			cfg.ReadUncommitted = sql.DirtyReads
			sqlLevel = sql.ReadUncommitted.String()
		}
	}
	expand := func(stmt string) string { return Substitute(stmt, sqlLevel) }
	k := sim.New(sim.NewSeeded(o.Seed))
	d := db.New(k, cfg)
	var out []string
	var done sim.Cond
	type session struct {
		n              int
		db             *db.Session
		proc           *sim.Proc
		pending        string
		finished, busy bool
		blocked        bool
		result         string
	}
	sessions := map[int]*session{}
	var order []int
	start := func(n int) *session {
		s := &session{n: n, db: d.Connect()}
		s.proc = k.Spawn("t"+strconv.Itoa(n), func(p *sim.Proc) {
			for {
				for s.pending == "" {
					p.Wait()
				}
				stmt := s.pending
				s.pending = ""
				res, err := s.db.Exec(p, stmt)
				r := outcome(res, err)
				s.result = Format(stmt, r)
				if o.Messages && r.Message != "" {
					s.result += ": " + r.Message
				}
				s.finished = true
				done.Broadcast(k)
			}
		})
		sessions[n] = s
		// Kept sorted as sessions start: a binary search, not a sort per
		// session, so that thousands of sessions cost little.
		i, _ := slices.BinarySearch(order, n)
		order = slices.Insert(order, i, n)
		return s
	}
	k.Spawn("driver", func(p *sim.Proc) {
		setup := d.Connect()
		for _, l := range sc.Setup {
			stmt := expand(l.Text)
			if _, err := setup.Exec(p, stmt); err != nil {
				out = append(out, "setup: "+stmt+" => "+Format(stmt, outcome(nil, err)))
			}
		}
		waitBlocked := func(limit sim.Duration) {
			deadline := k.Now().Add(limit)
			for k.Now() < deadline {
				pending := false
				for _, n := range order {
					if s := sessions[n]; s.blocked && !s.finished {
						pending = true
					}
				}
				if !pending {
					return
				}
				done.WaitFor(p, deadline.Sub(k.Now()))
			}
		}
		resumed := func(s *session) {
			out = append(out, "t"+strconv.Itoa(s.n)+": resumed => "+s.result)
			s.blocked, s.busy = false, false
		}
		reportResumed := func() {
			for _, n := range order {
				if s := sessions[n]; s.blocked && s.finished {
					resumed(s)
				}
			}
		}
		for _, l := range sc.Steps {
			s := sessions[l.Session]
			if s == nil {
				s = start(l.Session)
			}
			stmt := expand(l.Text)
			prefix := "t" + strconv.Itoa(l.Session) + ": " + stmt + " => "
			if s.blocked && s.finished {
				// It completed after the last wait ran out: report it late
				// rather than call the session busy.
				resumed(s)
			}
			if s.busy {
				out = append(out, prefix+"session busy")
				continue
			}
			s.busy, s.finished, s.pending = true, false, stmt
			k.Wake(s.proc)
			deadline := k.Now().Add(o.Window)
			for !s.finished && k.Now() < deadline {
				done.WaitFor(p, deadline.Sub(k.Now()))
			}
			if s.finished {
				out = append(out, prefix+s.result)
				s.busy = false
			} else {
				out = append(out, prefix+"blocked")
				s.blocked = true
			}
			waitBlocked(o.Settle)
			reportResumed()
		}
		waitBlocked(o.Tail)
		reportResumed()
		for _, n := range order {
			if s := sessions[n]; s.blocked {
				out = append(out, "t"+strconv.Itoa(n)+": still blocked")
				k.Kill(s.proc)
			}
		}
		for _, n := range order {
			k.Kill(sessions[n].proc)
		}
	})
	k.Run(sim.Time(24 * time.Hour))
	k.Close()
	return out
}

// outcome describes a statement's result as PostgreSQL's wire protocol
// would: rows as text (nil for NULL), or the command tag.
func outcome(res *db.Result, err error) Result {
	if err != nil {
		e, ok := err.(*sql.Error)
		if !ok {
			return Result{Code: "XX000"}
		}
		return Result{Code: e.Code, Message: e.Msg}
	}
	r := Result{HasRows: res.HasRows, Tag: res.Tag}
	switch res.Tag {
	case "INSERT":
		r.Tag = "INSERT 0 " + strconv.Itoa(res.Affected)
	case "UPDATE", "DELETE":
		r.Tag += " " + strconv.Itoa(res.Affected)
	}
	for _, row := range res.Rows {
		vals := make([]*string, len(row))
		for i, v := range row {
			if !v.IsNull() {
				text := v.String()
				vals[i] = &text
			}
		}
		r.Rows = append(r.Rows, vals)
	}
	return r
}
