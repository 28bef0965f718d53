package pgdb

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// LockWatch learns which statements waited for a lock. PostgreSQL tells
// no client that its statement waited, and keeps no count of lock waits
// per backend, so the watch asks it while the statement runs: as long as
// some watched statement is running, one query after another on the
// watch's own connection (or one per interval, if WatchLocks is given
// one) lists which of their backends wait on a
// heavyweight lock (pg_stat_activity's wait_event_type 'Lock': a row
// lock, a tuple lock, a transaction's end as a uniqueness check or a row
// update waits for it, a relation lock; not the storage's own locks). A
// statement any poll saw waiting waited.
//
// What it can miss: a wait that begins and ends between two polls, or
// before the first poll of a statement. Back to back, a poll takes about
// 0.1 to 0.3 ms on loopback, so on the 2-core machine every wait of half
// a millisecond or more was seen (40 of 40 in a trial), and about 70% of
// 0.2 ms ones; at one poll a millisecond, only waits of 2 ms or more
// were seen reliably (TestLockWatch holds a lock 100 ms past the moment it sees the waiter wait). A loaded machine
// delays the polls and widens the gap. It never reports a statement that did not
// wait: a poll's answer is only taken for the statements running on
// those backends both before and after it. Waits for a connection from
// the pool, for I/O or for a lightweight lock are not lock waits here,
// as they are not in the simulation.
type LockWatch struct {
	conn  *pgx.Conn
	every time.Duration // 0: back to back

	mu      sync.Mutex
	running map[uint32]*watched // by backend pid
	wake    chan struct{}       // a statement started while none ran
	stop    chan struct{}
	done    chan struct{}
	err     error // the first poll that failed
}

// watched is one statement being watched.
type watched struct{ waited atomic.Bool }

// WatchLocks starts a watch on the PostgreSQL dsn names, polling every
// every while statements run (0: back to back, which costs the watch's
// backend a core's share while statements run but sees the shortest
// waits). Close it when done.
func WatchLocks(ctx context.Context, dsn string, every time.Duration) (*LockWatch, error) {
	every = max(every, 0)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("pgdb: the lock watch's connection: %w", err)
	}
	lw := &LockWatch{conn: conn, every: every, running: make(map[uint32]*watched),
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go lw.loop()
	return lw, nil
}

// Close stops the watch and closes its connection, and reports the first
// poll that failed, if one did (statements were then left unwatched).
func (lw *LockWatch) Close() error {
	close(lw.stop)
	<-lw.done
	closeConn(lw.conn)
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return lw.err
}

// start watches the statement backend pid is about to run.
func (lw *LockWatch) start(pid uint32) *watched {
	w := &watched{}
	lw.mu.Lock()
	idle := len(lw.running) == 0
	lw.running[pid] = w
	lw.mu.Unlock()
	if idle {
		select {
		case lw.wake <- struct{}{}:
		default:
		}
	}
	return w
}

// end stops watching w, the statement of backend pid, and reports whether
// it was seen waiting.
func (lw *LockWatch) end(pid uint32, w *watched) bool {
	lw.mu.Lock()
	if lw.running[pid] == w {
		delete(lw.running, pid)
	}
	lw.mu.Unlock()
	return w.waited.Load()
}

// lockWaitersSQL lists the backends of $1 waiting on a lock a transaction
// holds: not on the locks PostgreSQL takes for its storage (extending a
// relation, a page, the frozen-id horizon), which two inserts into one
// new table meet and the simulation, having no storage, never does.
const lockWaitersSQL = "select pid from pg_stat_activity where wait_event_type = 'Lock' and wait_event not in ('extend', 'page', 'frozenid') and pid = any($1)"

func (lw *LockWatch) loop() {
	defer close(lw.done)
	var tick <-chan time.Time // nil: back to back
	if lw.every > 0 {
		t := time.NewTicker(lw.every)
		defer t.Stop()
		tick = t.C
	}
	var pids []int32
	var ws []*watched
	for {
		lw.mu.Lock()
		pids, ws = pids[:0], ws[:0]
		for pid, w := range lw.running {
			pids = append(pids, int32(pid))
			ws = append(ws, w)
		}
		lw.mu.Unlock()
		if len(pids) == 0 {
			select {
			case <-lw.wake:
				continue
			case <-lw.stop:
				return
			}
		}
		if err := lw.poll(pids, ws); err != nil {
			lw.mu.Lock()
			if lw.err == nil {
				lw.err = err
			}
			lw.mu.Unlock()
			return
		}
		if tick == nil {
			select {
			case <-lw.stop:
				return
			default:
			}
			continue
		}
		select {
		case <-tick:
		case <-lw.stop:
			return
		}
	}
}

// poll marks the statements of pids (ws, in the same order) whose
// backends wait on a lock now, if they are still the ones running there.
func (lw *LockWatch) poll(pids []int32, ws []*watched) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rows, err := lw.conn.Query(ctx, lockWaitersSQL, pids)
	if err != nil {
		return fmt.Errorf("pgdb: polling pg_stat_activity: %w", err)
	}
	waiting, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return fmt.Errorf("pgdb: polling pg_stat_activity: %w", err)
	}
	lw.mu.Lock()
	defer lw.mu.Unlock()
	for _, pid := range waiting {
		for i, p := range pids {
			if p == pid && lw.running[uint32(pid)] == ws[i] {
				ws[i].waited.Store(true)
			}
		}
	}
	return nil
}

// watch starts watching the statement conn is about to run for d's
// watch, and returns what says, once it has ended, whether it waited.
func (d *DB) watch(conn *pgx.Conn) func() bool {
	lw := d.locks
	if lw == nil {
		return notWatched
	}
	pid := conn.PgConn().PID()
	w := lw.start(pid)
	return func() bool { return lw.end(pid, w) }
}

func notWatched() bool { return false }

// WatchLocks has lw watch every statement the DB's sessions run from now
// on, so that Session.Waited says whether it waited for a lock. Call it
// before the DB is used.
func (d *DB) WatchLocks(lw *LockWatch) { d.locks = lw }
