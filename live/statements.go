package live

import (
	"cmp"
	"context"
	"slices"
	"sync"

	"github.com/idemsim/idemsim/live/pgdb"
	"github.com/idemsim/idemsim/live/server"
	"github.com/idemsim/idemsim/sim/world"
)

// statementLog is a live run's log of the strategy's statements, kept
// when its world asks for them (world.Config.LogStatements): what the
// servers' actors sent and got back, and whether the lock watch saw them
// wait, in the simulated world's form.
type statementLog struct {
	locks *pgdb.LockWatch // nil when the run logs no statements
	mu    sync.Mutex
	list  []world.Statement
}

// startStatements starts the lock watch, when the run logs statements.
func (r *runner) startStatements(ctx context.Context) error {
	if !r.w.LogStatements {
		return nil
	}
	lw, err := pgdb.WatchLocks(ctx, r.dsn, 0)
	if err != nil {
		return err
	}
	r.stmts.locks = lw
	r.onClose(func() {
		if err := lw.Close(); err != nil {
			r.logf("lock watch: %v", err)
		}
	})
	return nil
}

// observer is server name's Observer: the trace's (nil when the run
// keeps none), and the statement log's when the run logs statements.
func (r *runner) observer(name string) server.Observer {
	o := r.trace.observer(name)
	if !r.w.LogStatements {
		return o
	}
	if o == nil {
		o = server.NopObserver{}
	}
	return statementObserver{Observer: o, log: &r.stmts}
}

// statementObserver logs each statement an actor saw answered, in the
// simulated world's form, and passes everything on to the Observer it
// wraps.
type statementObserver struct {
	server.Observer
	log *statementLog
}

func (o statementObserver) Seen(c server.Statement) {
	st := world.NewStatement(c.Ref, c.Ref.Call, c.Query, c.Result, c.Err, c.Waited)
	o.log.mu.Lock()
	o.log.list = append(o.log.list, st)
	o.log.mu.Unlock()
	o.Observer.Seen(c)
}

// watch has the lock watch watch a new life's pool.
func (r *runner) watch(db *pgdb.DB) {
	if r.stmts.locks != nil {
		db.WatchLocks(r.stmts.locks)
	}
}

// statements is the log, by actor and call: the actors ran at once, so
// the order they logged in says nothing.
func (r *runner) statements() []world.Statement {
	r.stmts.mu.Lock()
	defer r.stmts.mu.Unlock()
	out := slices.Clone(r.stmts.list)
	slices.SortStableFunc(out, func(a, b world.Statement) int {
		return cmp.Or(cmp.Compare(a.Actor, b.Actor), cmp.Compare(a.Call, b.Call))
	})
	return out
}
