package db

import (
	"time"

	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/db/sql"
)

// Config is how the database behaves; zero durations mean "off", as in
// PostgreSQL.
type Config struct {
	DefaultLevel sql.Level // the level of a transaction that names none
	// Serializable is what SERIALIZABLE means on this engine: sql.Serializable
	// (SSI, PostgreSQL's) or sql.Serializable2PL (strict two-phase locking).
	Serializable sql.Level
	// ReadUncommitted is what READ UNCOMMITTED means: sql.ReadCommitted, as
	// in PostgreSQL, or sql.DirtyReads.
	ReadUncommitted  sql.Level
	DeadlockTimeout  sim.Duration // how long a waiter waits before checking for a deadlock
	LockTimeout      sim.Duration // 0: wait for locks forever
	StatementTimeout sim.Duration // 0: no limit
	StatementLatency sim.Dist     // time each statement takes before it runs
	// LostCommitAckRate is the probability that a COMMIT is applied but its
	// acknowledgement is lost: the caller sees a connection error (08006).
	LostCommitAckRate float64
	// DropConnectionRate is the probability, per statement inside a
	// transaction, that the connection drops before the statement runs: the
	// transaction rolls back and the caller sees 08006.
	DropConnectionRate float64
	// LatencyStream and FaultStream are the chooser streams statement
	// latency and the two faults above draw from (DefaultConfig: service and
	// faults). The world gives the database streams of its own, so that its
	// draws never shift another node's.
	LatencyStream, FaultStream sim.Stream
	// OnInsertCommitted, if set, is called when a transaction commits, once
	// per row it inserted, with the tag the inserting session carried (see
	// Session.SetTag). The world builds its ledger of business effects from
	// it; the SQL under test cannot see or forge tags.
	OnInsertCommitted func(table string, tag int64, rowID int64)
}

// DefaultConfig is PostgreSQL's defaults: read committed, a 1s deadlock
// timeout, no lock or statement timeout, and no latency.
func DefaultConfig() Config {
	return Config{
		DefaultLevel:     sql.ReadCommitted,
		DeadlockTimeout:  time.Second,
		StatementLatency: sim.Const(0),
		LatencyStream:    sim.StreamService,
		FaultStream:      sim.StreamFaults,
	}
}

// Stats counts what the database did.
type Stats struct {
	Statements, Commits, Aborts, Waits, Deadlocks, SerializationFailures uint64
}

// DB is one database server in the simulation.
type DB struct {
	k       *sim.Kernel
	ch      sim.Chooser
	cfg     Config
	cache   *sql.Cache
	tables  map[string]*table
	nextXID uint64
	seq     uint64 // commits so far; a snapshot sees the first seq of them
	running int    // transactions begun and not ended
	locks   lockManager
	ssi     ssiState
	stats   Stats
}

// New returns an empty database on kernel k.
func New(k *sim.Kernel, cfg Config) *DB {
	if cfg.DefaultLevel == 0 {
		cfg.DefaultLevel = sql.ReadCommitted
	}
	if cfg.Serializable == 0 {
		cfg.Serializable = sql.Serializable
	}
	if cfg.ReadUncommitted == 0 {
		cfg.ReadUncommitted = sql.ReadCommitted
	}
	db := &DB{k: k, ch: k.Chooser(), cfg: cfg, cache: sql.NewCache(), tables: make(map[string]*table)}
	db.locks = lockManager{db: db, entries: make(map[resource]*lockEntry)}
	db.ssi = ssiState{locks: make(map[sireadKey][]*sxact)}
	return db
}

// Stats reports the counters so far.
func (db *DB) Stats() Stats { return db.stats }

// column is one column of a table.
type column struct {
	name    string
	typ     sql.Type
	pk      bool
	unique  bool
	notNull bool
}

// integer reports whether the column holds integers (int or bigint).
func (c column) integer() bool { return c.typ == sql.Int || c.typ == sql.BigInt }

// table holds every version of every row, and an index per unique column
// from a value to the rows one of whose versions carries it (live, dead or
// in progress: a B-tree entry points at a chain of versions, as PostgreSQL's
// does at a HOT chain).
type table struct {
	name    string
	cols    []column
	pk      int // -1 without a primary key
	uniques []int
	rows    []*row
	index   []map[sql.Value][]*row // per column; nil for non-unique columns
	nextRow int64
}

// row is one logical row: its versions, oldest first. Row locks are taken on
// the row, whatever its version.
type row struct {
	t        *table
	id       int64
	versions []*version
}

// version is one tuple: created by xmin, superseded or deleted by xmax (nil
// while live; an aborted xmax does not count). tag is the writing session's
// tag, invisible to SQL.
type version struct {
	row  *row
	vals []sql.Value
	xmin *txn
	xmax *txn
	tag  int64
}

func (t *table) colIndex(name string) int {
	for i, c := range t.cols {
		if c.name == name {
			return i
		}
	}
	return -1
}

func (t *table) addVersion(r *row, vals []sql.Value, tx *txn) *version {
	var prev *version
	if n := len(r.versions); n > 0 {
		prev = r.versions[n-1]
	}
	v := &version{row: r, vals: vals, xmin: tx, tag: tx.session.tag}
	r.versions = append(r.versions, v)
	for _, c := range t.uniques {
		if vals[c].IsNull() || prev != nil && prev.vals[c].Equal(vals[c]) {
			continue
		}
		list := t.index[c][vals[c]]
		listed := false
		for _, x := range list {
			listed = listed || x == r
		}
		if !listed {
			t.index[c][vals[c]] = append(list, r)
		}
	}
	tx.db.prune(r, tx)
	return v
}

// prune drops the versions of r that no transaction can see or conflict
// on — created by an aborted transaction, or superseded by one whose commit
// every snapshot sees — when tx is the only transaction running (a small
// VACUUM that keeps chains short).
func (db *DB) prune(r *row, tx *txn) {
	if db.running != 1 || len(r.versions) < 8 {
		return
	}
	horizon := db.seq
	if tx.snap != nil {
		horizon = tx.snap.seq
	}
	kept := r.versions[:0]
	for _, v := range r.versions {
		dead := v.xmin.state == aborted || v.xmax != nil && v.xmax.state == committed && v.xmax.commitSeq <= horizon
		if !dead {
			kept = append(kept, v)
		}
	}
	clear(r.versions[len(kept):])
	r.versions = kept
}

func (db *DB) createTable(s *sql.CreateTable) *sql.Error {
	if _, ok := db.tables[s.Table]; ok {
		return &sql.Error{Code: sql.CodeDuplicateTable, Msg: "relation \"" + s.Table + "\" already exists"}
	}
	t := &table{name: s.Table, pk: -1, index: make([]map[sql.Value][]*row, len(s.Cols))}
	for i, c := range s.Cols {
		t.cols = append(t.cols, column{name: c.Name, typ: c.Type, pk: c.PrimaryKey, unique: c.PrimaryKey || c.Unique, notNull: c.PrimaryKey || c.NotNull})
		if c.PrimaryKey {
			t.pk = i
		}
		if c.PrimaryKey || c.Unique {
			t.uniques = append(t.uniques, i)
			t.index[i] = make(map[sql.Value][]*row)
		}
	}
	db.tables[s.Table] = t
	return nil
}

func (db *DB) dropTable(s *sql.DropTable) *sql.Error {
	if _, ok := db.tables[s.Table]; !ok {
		if s.IfExists {
			return nil
		}
		return undefinedTable(s.Table)
	}
	delete(db.tables, s.Table)
	return nil
}

func undefinedTable(name string) *sql.Error {
	return &sql.Error{Code: sql.CodeUndefinedTable, Msg: "relation \"" + name + "\" does not exist"}
}

// level maps a level named in SQL to the one this engine runs.
func (db *DB) level(l sql.Level) sql.Level {
	switch l {
	case sql.Serializable:
		return db.cfg.Serializable
	case sql.ReadUncommitted:
		return db.cfg.ReadUncommitted
	}
	return l
}

// SetDropConnectionRate changes the dropped-connection fault rate, for fault
// plans that switch faults on and off during a run.
func (db *DB) SetDropConnectionRate(p float64) { db.cfg.DropConnectionRate = p }

// SetLostCommitAckRate changes the lost-commit-acknowledgement rate.
func (db *DB) SetLostCommitAckRate(p float64) { db.cfg.LostCommitAckRate = p }
