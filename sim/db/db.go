package db

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
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
	// OnDeleteCommitted, if set, is called when a transaction commits, once
	// per row it deleted (not per version an UPDATE replaced), with the tag
	// the deleting session carried: a business effect that removes, such
	// as a DELETE of a payment.
	OnDeleteCommitted func(table string, tag int64, rowID int64)
	// StandbyLag, if positive, gives the database a hot standby that
	// replays its commits this late: a statement run with
	// Session.ExecStandby reads the committed state as of that long ago.
	// The primary keeps the row versions the standby still needs, as
	// PostgreSQL does with hot_standby_feedback on.
	StandbyLag sim.Duration
	// Clock is the database server's own reading of the time, which now()
	// returns (through Timestamp): it may run ahead of or behind the
	// kernel's, as a skewed node's clock does. nil reads the kernel's Now.
	Clock func() sim.Time
	// SSILocks is the granularity of serializable's SIREAD locks: SSIPages
	// (the zero value) as PostgreSQL takes them — B-tree leaf pages, heap
	// tuples promoted to pages and relations, whole relations for table
	// scans — or SSIKeys, one lock per key looked up, which never mistakes
	// two keys of one page for a conflict.
	SSILocks SSIGranularity
}

// SSIGranularity is what a serializable transaction's SIREAD lock covers.
type SSIGranularity uint8

const (
	// SSIPages is PostgreSQL's granularity (predicate.c): index leaf pages,
	// heap tuples (three on one page become a page lock, 32 locks under one
	// relation a relation lock) and relations.
	SSIPages SSIGranularity = iota
	// SSIKeys locks the keys an index lookup looks up, or the table: the
	// finest predicate a lookup reads, and so the fewest aborts.
	SSIKeys
)

var ssiGranularityNames = [...]string{SSIPages: "page", SSIKeys: "key"}

// String is the granularity's name on the command line: page or key.
func (g SSIGranularity) String() string {
	if int(g) < len(ssiGranularityNames) {
		return ssiGranularityNames[g]
	}
	return "SSIGranularity(" + strconv.Itoa(int(g)) + ")"
}

// SSIGranularityNames lists the names ParseSSIGranularity reads.
func SSIGranularityNames() []string { return append([]string(nil), ssiGranularityNames[:]...) }

// ParseSSIGranularity reads "page" or "key".
func ParseSSIGranularity(s string) (SSIGranularity, bool) {
	for i, n := range ssiGranularityNames {
		if s == n {
			return SSIGranularity(i), true
		}
	}
	return 0, false
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

// epoch2026 is 2026-01-01 00:00:00 UTC in microseconds since the Unix
// epoch: the wall-clock time virtual time 0 stands for.
const epoch2026 = 1767225600 * sql.MicrosPerSecond

// Timestamp is the timestamptz a clock reading stands for: virtual time 0
// is 2026-01-01 00:00:00+00, and time runs at the virtual clock's rate,
// truncated to PostgreSQL's microseconds.
func Timestamp(t sim.Time) sql.Value {
	us := int64(t) / 1000
	if int64(t)%1000 < 0 {
		us-- // floor, so that a clock behind 0 still truncates down
	}
	return sql.TimestampValue(epoch2026 + us)
}

// Stats counts what the database did.
type Stats struct {
	Statements, Commits, Aborts, Waits, Deadlocks, SerializationFailures uint64
	// UniqueViolations counts the statements refused with 23505: a unique
	// index already held the key (a serialization failure found first
	// counts as that instead).
	UniqueViolations uint64
}

// DB is one database server in the simulation.
type DB struct {
	k       *sim.Kernel
	ch      sim.Chooser
	cfg     Config
	cache   *sql.Cache
	tables  map[string]*table
	plans   map[sql.Stmt]*plan // compiled statements, per parsed statement
	nextXID uint64
	seq     uint64 // commits so far; a snapshot sees the first seq of them
	running int    // transactions begun and not ended
	locks   lockManager
	ssi     ssiState
	stats   Stats
	active  []*txn // transactions begun and not ended, for the xmin horizon
	// commits marks, with StandbyLag, the last commit at each moment, so
	// that the standby's position can be found by time.
	commits []commitMark
}

// commitMark is the number of commits made by a moment.
type commitMark struct {
	at  sim.Time
	seq uint64
}

// standbySeq is how many commits the standby has replayed: those made by
// StandbyLag ago.
func (db *DB) standbySeq() uint64 {
	if db.cfg.StandbyLag <= 0 {
		return db.seq // no lag: the standby is current
	}
	at := db.k.Now().Add(-db.cfg.StandbyLag)
	i, found := slices.BinarySearchFunc(db.commits, at, func(m commitMark, t sim.Time) int { return cmp.Compare(m.at, t) })
	if found {
		return db.commits[i].seq
	}
	if i == 0 {
		return 0
	}
	return db.commits[i-1].seq
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
	db := &DB{k: k, ch: k.Chooser(), cfg: cfg, cache: sql.NewCache(), tables: make(map[string]*table), plans: make(map[sql.Stmt]*plan)}
	db.locks = lockManager{db: db, entries: make(map[resource]*lockEntry)}
	db.ssi = ssiState{locks: make(map[sireadKey][]*sxact)}
	return db
}

// Stats reports the counters so far.
func (db *DB) Stats() Stats { return db.stats }

// now is the server clock's reading.
func (db *DB) now() sim.Time {
	if db.cfg.Clock != nil {
		return db.cfg.Clock()
	}
	return db.k.Now()
}

// column is one column of a table.
type column struct {
	name     string
	typ      sql.Type
	notNull  bool
	key      bool         // in a unique index: an update that changes it takes FOR UPDATE, not FOR NO KEY UPDATE
	identity sql.Identity // 0 unless an identity column
	seq      *sequence    // serial and identity columns: the default is its next value
	def      *sql.Value   // a constant default
	defNow   bool         // default now()
}

// sequence is a column's sequence. As in PostgreSQL, taking a value is not
// transactional: a rolled-back insert leaves a gap.
type sequence struct {
	last int64 // the last value handed out; 0 before the first
	max  int64
}

// index is a unique index (of a primary key or unique constraint): from a
// key to the rows one of whose versions carries it (live, dead or in
// progress: a B-tree entry points at a chain of versions, as PostgreSQL's
// does at a HOT chain). Rows with a NULL in a key column are not entered:
// they never conflict, and an equality never finds them.
type index struct {
	name string // the constraint's name, as PostgreSQL makes it
	cols []int
	pk   bool
	one  map[sql.Value][]*row // a one-column index, by its value: a smaller key than ikey
	m    map[ikey][]*row      // an index of two or more columns
	bt   btree                // its leaf pages, for SIREAD page locks
}

// rows are the rows entered under k.
func (ix *index) rows(k ikey) []*row {
	if ix.one != nil {
		return ix.one[k.a]
	}
	return ix.m[k]
}

// enter lists r under k, once.
func (ix *index) enter(k ikey, r *row) {
	list := ix.rows(k)
	for _, x := range list {
		if x == r {
			return
		}
	}
	if ix.one != nil {
		ix.one[k.a] = append(list, r)
	} else {
		ix.m[k] = append(list, r)
	}
}

// ikey is an index key: the first two columns' values, and any further
// ones encoded in more.
type ikey struct {
	a, b sql.Value
	more string
}

// table holds every version of every row and its unique indexes.
type table struct {
	name     string
	cols     []column
	colNames []string // shared by every SELECT * result
	colTypes []sql.Type
	indexes  []*index // the primary key's first, then the others as declared
	heap     []*heapPage
	rows     []*row
	nextRow  int64
	nextPos  uint64 // heap positions handed out to versions so far
}

// row is one logical row: its versions, oldest first. Row locks are taken on
// the row, whatever its version.
type row struct {
	t        *table
	id       int64
	versions []*version
	lock     *lockEntry // its lock queue, while anyone holds or waits
}

// version is one tuple: created by xmin in its statement cmin, superseded
// or deleted by xmax (nil while live; an aborted xmax does not count). pos
// is its place in the heap, which a sequential scan follows. tag is the
// writing session's tag, invisible to SQL.
type version struct {
	row  *row
	vals []sql.Value
	xmin *txn
	cmin uint32
	xmax *txn
	pos  uint64
	tag  int64
	page int32 // its heap page
	size int32 // the bytes it takes there
	// hot is set when an update put it next to the version it replaced
	// without new index entries (PostgreSQL's heap-only tuple); pruned when
	// it was dropped as dead to all.
	hot, pruned bool
}

func (t *table) colIndex(name string) int {
	for i, c := range t.cols {
		if c.name == name {
			return i
		}
	}
	return -1
}

// key is ix's key for a row with vals; ok is false when a key column is
// NULL.
func (ix *index) key(vals []sql.Value) (ikey, bool) {
	var k ikey
	for i, c := range ix.cols {
		v := sql.IntervalKey(vals[c])
		if v.IsNull() {
			return ikey{}, false
		}
		switch i {
		case 0:
			k.a = v
		case 1:
			k.b = v
		default:
			k.more = string(appendKeyValue([]byte(k.more), v))
		}
	}
	return k, true
}

// appendKeyValue encodes v for ikey.more, unambiguously.
func appendKeyValue(b []byte, v sql.Value) []byte {
	b = append(b, byte(v.Kind))
	u := uint64(v.Int)
	for i := 0; i < 8; i++ {
		b = append(b, byte(u>>(8*i)))
	}
	d := uint32(v.Days)
	b = append(b, byte(d), byte(d>>8), byte(d>>16), byte(d>>24))
	n := len(v.Text)
	b = append(b, byte(n), byte(n>>8), byte(n>>16), byte(n>>24))
	return append(b, v.Text...)
}

// compareKeys orders keys as the index does: column by column.
func compareKeys(x, y ikey) int {
	if c := sql.Compare(x.a, y.a); c != 0 {
		return c
	}
	if c := sql.Compare(x.b, y.b); c != 0 {
		return c
	}
	return strings.Compare(x.more, y.more)
}

func (t *table) addVersion(r *row, vals []sql.Value, tx *txn) *version {
	var prev *version
	if n := len(r.versions); n > 0 {
		prev = r.versions[n-1]
	}
	t.nextPos++
	v := &version{row: r, vals: vals, xmin: tx, cmin: tx.cmd, pos: t.nextPos, tag: tx.session.tag}
	r.versions = append(r.versions, v)
	v.hot = t.place(tx.db, v, prev, prev != nil && !t.indexedChange(prev.vals, vals))
	for i, ix := range t.indexes {
		k, ok := ix.key(vals)
		if !ok {
			continue
		}
		if !v.hot {
			tx.db.btInsert(t, i, k, v)
		}
		if prev != nil {
			if pk, pok := ix.key(prev.vals); pok && pk == k {
				continue
			}
		}
		ix.enter(k, r)
	}
	tx.db.prune(r, tx)
	return v
}

// indexedChange reports whether an update from old to vals changes a
// column of an index (as PostgreSQL compares them: byte for byte), which
// rules out a HOT update.
func (t *table) indexedChange(old, vals []sql.Value) bool {
	for i, c := range t.cols {
		if c.key && old[i] != vals[i] {
			return true
		}
	}
	return false
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
	if db.cfg.StandbyLag > 0 {
		horizon = min(horizon, db.standbySeq())
	}
	kept := r.versions[:0]
	for _, v := range r.versions {
		dead := v.xmin.state == aborted || v.xmax != nil && v.xmax.state == committed && v.xmax.commitSeq <= horizon
		if !dead {
			kept = append(kept, v)
		} else {
			db.forget(v)
		}
	}
	clear(r.versions[len(kept):])
	r.versions = kept
}

func (db *DB) createTable(s *sql.CreateTable) *sql.Error {
	if _, ok := db.tables[s.Table]; ok {
		return &sql.Error{Code: sql.CodeDuplicateTable, Msg: "relation \"" + s.Table + "\" already exists"}
	}
	t := &table{name: s.Table}
	var pk []int
	var uniques [][]int
	for i, c := range s.Cols {
		col := column{name: c.Name, typ: c.Type, notNull: c.PrimaryKey || c.NotNull || c.Serial || c.Identity != 0, identity: c.Identity}
		if c.Serial || c.Identity != 0 {
			col.seq = &sequence{max: math.MaxInt64}
			if c.Type == sql.Int {
				col.seq.max = math.MaxInt32
			}
		}
		if d := c.Default; d != nil {
			if d.Op == sql.OpNow {
				if c.Type != sql.Timestamptz && c.Type != sql.Text {
					return &sql.Error{Code: sql.CodeDatatypeMismatch, Msg: "column \"" + c.Name + "\" is of type " + c.Type.String() + " but default expression is of type timestamp with time zone"}
				}
				col.defNow = true
			} else {
				v, err := assignConst(d.Value, c.Type, c.Name, "default expression")
				if err != nil {
					return err
				}
				if c.Type == sql.Int && v.Kind == sql.IntKind && (v.Int < math.MinInt32 || v.Int > math.MaxInt32) {
					return &sql.Error{Code: sql.CodeNumericOutOfRange, Msg: "integer out of range"}
				}
				col.def = &v
			}
		}
		t.cols = append(t.cols, col)
		t.colNames = append(t.colNames, c.Name)
		t.colTypes = append(t.colTypes, c.Type)
		if c.PrimaryKey {
			pk = []int{i}
		}
		if c.Unique {
			uniques = append(uniques, []int{i})
		}
	}
	cols := func(names []string) []int {
		out := make([]int, len(names))
		for i, n := range names {
			out[i] = t.colIndex(n)
		}
		return out
	}
	if s.PrimaryKey != nil {
		pk = cols(s.PrimaryKey)
		for _, c := range pk {
			t.cols[c].notNull = true
		}
	}
	for _, u := range s.Uniques {
		uniques = append(uniques, cols(u))
	}
	add := func(c []int, isPK bool) {
		for _, ix := range t.indexes {
			if slices.Equal(ix.cols, c) {
				return // PostgreSQL keeps one index for two identical constraints
			}
		}
		name := s.Table + "_pkey"
		if !isPK {
			name = s.Table
			for _, i := range c {
				name += "_" + t.cols[i].name
			}
			name += "_key"
		}
		ix := &index{name: name, cols: c, pk: isPK}
		if len(c) == 1 {
			ix.one = make(map[sql.Value][]*row)
		} else {
			ix.m = make(map[ikey][]*row)
		}
		t.indexes = append(t.indexes, ix)
		for _, i := range c {
			t.cols[i].key = true
		}
	}
	if pk != nil {
		add(pk, true)
	}
	for _, u := range uniques {
		add(u, false)
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
