// Package live runs a world on real systems: the strategy's servers are
// net/http processes (live/server) on a real PostgreSQL and Redis, behind
// an HTTP fault proxy (live/proxy) that also balances, with the gateway
// and the queue as real services (live/gateway, live/pgqueue), and the
// world's clients sending real HTTP requests with the simulated clients'
// own protocol (world.Protocol). The run yields a world.Result, so the
// oracles that judge a simulated run (check.Audit, check.Linearize) judge
// this one the same way: its history is what the clients saw, and its
// ledger is what the databases committed, attributed to operations by
// triggers and tags the strategy never sees.
//
// What a live run does not have (yet): services' clock skew, the store's
// failover and the read replica's lag. Run refuses a world that asks for them, naming the
// setting.
package live

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/live/decide"
	"github.com/idemsim/idemsim/live/gateway"
	"github.com/idemsim/idemsim/live/instance"
	"github.com/idemsim/idemsim/live/pgdb"
	"github.com/idemsim/idemsim/live/pgqueue"
	"github.com/idemsim/idemsim/live/proxy"
	"github.com/idemsim/idemsim/live/rediskv"
	"github.com/idemsim/idemsim/live/server"
	"github.com/idemsim/idemsim/live/wire"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// Config is a live run.
type Config struct {
	// World is the run: strategy, isolation, switches, clients, ops, the
	// clients' protocol, fault rates and lists. Its durations are real
	// time.
	World world.Config
	// PostgresDSN and RedisAddr name servers to use; empty: throwaway
	// ones are started in Dir and stopped afterwards. The run creates its
	// own database on the given PostgreSQL and drops it at the end.
	PostgresDSN string
	RedisAddr   string
	// Redis, when set, is a throwaway Redis to use (RedisAddr is then
	// ignored) that the run may kill and start again for the store's
	// restarts (--crash kv@T+D): a Redis given by address is never
	// restarted.
	Redis *instance.Redis
	// Dir is where throwaway servers live ("" : the system's temporary
	// directory).
	Dir string
	// Limit bounds the whole run (0: DefaultLimit): past it the clients
	// stop and the run ends with StopLimit.
	Limit time.Duration
	// Log receives progress lines (nil: none).
	Log io.Writer
	// Steps are crashes and pauses fired at steps of the handlers instead
	// of at moments (Anchor): the timed faults they stand for do not fire.
	Steps []faults.StepFault
	// Target, when set, is a service of the user's to check instead of
	// servers hosting World's strategy (target.go): no PostgreSQL, Redis,
	// gateway or server of ours is started, and World.Strategy is
	// TargetStrategy's stand-in.
	Target *Target
}

// DefaultLimit is the bound on a run that sets none.
const DefaultLimit = 5 * time.Minute

// Why a live run stopped.
const (
	StopDone  sim.StopReason = "clients-done"
	StopLimit sim.StopReason = "time-limit"
)

// Result is a live run's result: what the oracles read, and what it took.
type Result struct {
	*world.Result
	// Elapsed is the wall time of the run proper (clients and settling),
	// StartServices that of starting PostgreSQL and Redis (0 when given).
	Elapsed, StartServices time.Duration
}

// Check says why cfg cannot run live, or nil.
func Check(cfg *world.Config) error {
	p := &cfg.Faults
	unsupported := func(setting string) error {
		return fmt.Errorf("live: %s is not supported in live mode yet", setting)
	}
	switch {
	case len(p.Failovers) > 0:
		return unsupported("--kv-failover")
	case cfg.DB.ReplicaLag > 0:
		return unsupported("--db-replica-lag")
	case !cfg.DB.Isolation.PostgreSQL():
		return fmt.Errorf("live: isolation %s exists only in the simulation (PostgreSQL has read committed, repeatable read and serializable)", cfg.DB.Isolation)
	}
	for _, c := range cfg.Clocks {
		if _, service := api.ParseService(c.Node); service {
			return fmt.Errorf("live: the clock of %s (--clock-skew, --clock-drift) is not supported in live mode yet (accepted: the servers' clocks, s1..s%d)", c.Node, cfg.Servers)
		}
	}
	for _, f := range p.Replay {
		if f.Kind == faults.FailoverFault || f.Kind == faults.PauseFault && f.Crash.Node[0] == 'c' {
			return fmt.Errorf("live: fault %q is not supported in live mode yet", f.String())
		}
	}
	for _, pa := range p.Pauses {
		// A paused server freezes live; a client would be left running.
		if pa.Node[0] == 'c' {
			return fmt.Errorf("live: --pause %s: a client's pause is not supported in live mode yet (accepted: a server's, s1..s%d)", pa, cfg.Servers)
		}
	}
	return nil
}

// Run runs cfg live.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	w := cfg.World
	if err := w.Validate(); err != nil {
		return nil, fmt.Errorf("live: %w", err)
	}
	if err := Check(&w); err != nil {
		return nil, err
	}
	limit := cfg.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	r := &runner{cfg: cfg, w: w, log: cfg.Log}
	if r.log == nil {
		r.log = io.Discard
	}
	defer r.close()
	if cfg.Target != nil {
		t := cfg.Target.WithDefaults()
		if err := t.Check(); err != nil {
			return nil, fmt.Errorf("live: %w", err)
		}
		if err := t.CheckWorld(&w); err != nil {
			return nil, err
		}
		r.tgt = &targetState{t: t}
		if cfg.Limit <= 0 {
			limit = DefaultTargetLimit
		}
		res, err := r.run(ctx, limit)
		if err != nil {
			return nil, err
		}
		return &Result{Result: res, Elapsed: r.elapsed}, nil
	}
	begin := time.Now()
	if err := r.startServices(ctx); err != nil {
		return nil, err
	}
	started := time.Since(begin)
	if err := r.prepare(ctx); err != nil {
		return nil, err
	}
	res, err := r.run(ctx, limit)
	if err != nil {
		return nil, err
	}
	out := &Result{Result: res, Elapsed: r.elapsed}
	if cfg.PostgresDSN == "" {
		out.StartServices = started
	}
	return out, nil
}

type runner struct {
	cfg Config
	w   world.Config
	log io.Writer

	dir      string
	pg       *instance.Postgres
	redis    *instance.Redis
	adminDSN string // the PostgreSQL server's maintenance database
	dbName   string
	dsn      string // the run's database
	redisAt  string
	// redisGiven: r.redis is the caller's, to empty but not to stop.
	redisGiven bool

	// epoch is the run's start: when its clients start, once every
	// service is up (a crash at 6.5ms must find the first request in its
	// handler, as in the simulation); until then the clock reads 0.
	epochMu  sync.Mutex
	epoch    time.Time
	elapsed  time.Duration
	gwServer *gateway.Server
	gwHTTP   *http.Server
	gwURL    string
	servers  []*server.Process
	proxy    *proxy.Proxy
	proxyURL string
	proxyLn  net.Listener
	points   *server.CrashPoints

	// keys maps every idempotency key a client used to its operation's
	// tag (live/server's KeyOwner).
	keys sync.Map

	mu      sync.Mutex
	fired   []faults.Fault
	failure error
	closers []func()

	// trace writes the run's trace when the world keeps one (nil: none);
	// charges are the gateway's, read at the end.
	trace   *tracer
	charges []gateway.Charge
	stmts   statementLog

	// tgt is the user's service a run against a target checks (nil: a
	// run of our own servers).
	tgt *targetState
	// upstreams are the servers' base URLs, s1 first.
	upstreams []string
}

func (r *runner) logf(format string, args ...any) { fmt.Fprintf(r.log, format+"\n", args...) }

func (r *runner) close() {
	for i := len(r.closers) - 1; i >= 0; i-- {
		r.closers[i]()
	}
}

func (r *runner) onClose(f func()) { r.closers = append(r.closers, f) }

// startServices starts throwaway PostgreSQL and Redis where none is given.
func (r *runner) startServices(ctx context.Context) error {
	if r.cfg.PostgresDSN == "" || r.cfg.RedisAddr == "" && r.cfg.Redis == nil {
		dir, err := os.MkdirTemp(r.cfg.Dir, "idemsim-live-")
		if err != nil {
			return fmt.Errorf("live: %w", err)
		}
		r.dir = dir
		r.onClose(func() { os.RemoveAll(dir) })
	}
	r.adminDSN = r.cfg.PostgresDSN
	if r.adminDSN == "" {
		pg, err := instance.StartPostgres(ctx, r.dir)
		if err != nil {
			return fmt.Errorf("live: starting PostgreSQL: %w", err)
		}
		r.pg = pg
		r.onClose(func() { pg.Stop() })
		r.adminDSN = pg.DSN()
		r.logf("postgres  throwaway PostgreSQL on port %d", pg.Port())
	}
	r.redisAt = r.cfg.RedisAddr
	if r.cfg.Redis != nil {
		r.redis, r.redisAt, r.redisGiven = r.cfg.Redis, r.cfg.Redis.Addr(), true
	}
	if r.redisAt == "" {
		rd, err := instance.StartRedis(ctx, r.dir)
		if err != nil {
			return fmt.Errorf("live: starting Redis: %w", err)
		}
		r.redis = rd
		r.onClose(func() { rd.Stop() })
		r.redisAt = rd.Addr()
		r.logf("redis     throwaway Redis at %s", rd.Addr())
	}
	return nil
}

// prepare makes the run's database with the strategy's schema and the
// effect triggers, and starts the gateway.
func (r *runner) prepare(ctx context.Context) error {
	r.dbName = fmt.Sprintf("idemsim_live_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9)
	if err := r.admin(ctx, "create database "+r.dbName); err != nil {
		return fmt.Errorf("live: creating the run's database: %w", err)
	}
	r.onClose(func() { r.admin(context.Background(), "drop database if exists "+r.dbName+" with (force)") })
	var err error
	if r.dsn, err = withDatabase(r.adminDSN, r.dbName); err != nil {
		return err
	}
	db, err := pgdb.Open(ctx, pgdb.Config{DSN: r.dsn, PoolSize: 1})
	if err != nil {
		return fmt.Errorf("live: %w", err)
	}
	defer db.Close()
	for _, stmt := range r.w.Strategy.Schema {
		if _, err := db.Exec(stmt); err != nil {
			return fmt.Errorf("live: the schema of %s: %q: %w", r.w.Strategy.Name, stmt, err)
		}
	}
	if err := pgdb.InstallEffects(ctx, r.dsn, r.w.Strategy.Ledger); err != nil {
		return fmt.Errorf("live: %w", err)
	}
	if r.redis == nil || r.redisGiven {
		// A given Redis is emptied: the run starts from nothing, as a
		// simulated one does.
		kv := rediskv.New(r.redisAt, rediskv.Options{})
		err := kv.FlushAll()
		kv.Close()
		if err != nil {
			return fmt.Errorf("live: emptying Redis at %s: %w", r.redisAt, err)
		}
	}
	return nil
}

// admin runs one statement on the server's maintenance database.
func (r *runner) admin(ctx context.Context, stmt string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, r.adminDSN)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, stmt)
	return err
}

// withDatabase is dsn naming database name instead: a URL's path, or
// the dbname of the key=value form.
func withDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("live: --postgres %q: %v", dsn, err)
		}
		u.Path, u.RawPath = "/"+name, ""
		return u.String(), nil
	}
	var parts []string
	for _, f := range strings.Fields(dsn) {
		if !strings.HasPrefix(f, "dbname=") {
			parts = append(parts, f)
		}
	}
	return strings.Join(append(parts, "dbname="+name), " "), nil
}

func (r *runner) record(f faults.Fault) {
	r.mu.Lock()
	r.fired = append(r.fired, f)
	r.mu.Unlock()
	r.trace.fault(f)
}

func (r *runner) fail(err error) {
	r.mu.Lock()
	if r.failure == nil {
		r.failure = err
	}
	r.mu.Unlock()
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startCluster starts the gateway, the servers and the proxy.
func (r *runner) startCluster(ctx context.Context) error {
	w := &r.w
	seed := w.Seed
	p := &w.Faults
	replay := p.Replay != nil
	gwFault := func(ref string) gateway.Fault {
		switch {
		case replay:
			for _, f := range p.Replay {
				if f.Msg.String() == ref && f.Kind == faults.GatewayTimeout {
					return gateway.Timeout
				}
				if f.Msg.String() == ref && f.Kind == faults.Gateway500 {
					return gateway.Error500
				}
			}
		case decide.Hit(seed, ref, "gateway-timeout", p.GatewayTimeoutRate):
			return gateway.Timeout
		case decide.Hit(seed, ref, "gateway-500", p.Gateway500Rate):
			return gateway.Error500
		}
		return gateway.NoFault
	}
	gwCfg := w.Services.Gateway
	// The gateway takes the median of the world's gateway time for each
	// charge (a real service's time does not vary by draw).
	processing := gateway.WithProcessing(time.Duration(w.Services.GatewayTime.Quantile(0.5)))
	gws, err := gateway.NewServer(ctx, r.dsn, gwCfg, func(ref string) gateway.Fault {
		f := gwFault(ref)
		if f != gateway.NoFault {
			mr, _ := faults.ParseRef(ref)
			kind := faults.GatewayTimeout
			if f == gateway.Error500 {
				kind = faults.Gateway500
			}
			r.record(faults.Fault{Kind: kind, At: r.now(), Msg: mr})
		}
		return f
	}, processing)
	if err != nil {
		return fmt.Errorf("live: the gateway: %w", err)
	}
	r.gwServer = gws
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("live: the gateway: %w", err)
	}
	r.gwHTTP = &http.Server{Handler: gws}
	go r.gwHTTP.Serve(ln)
	r.onClose(func() { r.gwHTTP.Close() })
	r.gwURL = "http://" + ln.Addr().String()
	gwClient := gateway.NewClient(r.gwURL, w.Services.GatewayTimeout)

	dbFault := func(ref faults.Ref, query string) server.DBFault {
		if replay {
			for _, f := range p.Replay {
				if f.Msg == ref {
					switch f.Kind {
					case faults.DBDropConnection:
						return server.DBDropConnection
					case faults.DBLostCommitAck:
						return server.DBLostCommitAck
					}
				}
			}
			return server.NoDBFault
		}
		// The session asks after each applied COMMIT, where only a lost
		// acknowledgement applies, and before each statement of a
		// transaction, where only a drop does.
		if strings.EqualFold(strings.TrimSpace(query), "commit") {
			if decide.Hit(seed, ref.String(), "db-lost-commit-ack", p.DBLostCommitAckRate) {
				return server.DBLostCommitAck
			}
		} else if decide.Hit(seed, ref.String(), "db-drop-connection", p.DBDropConnectionRate) {
			return server.DBDropConnection
		}
		return server.NoDBFault
	}
	var specs []faults.CrashPoint
	specs = append(specs, p.CrashPoints...)
	for _, f := range p.Replay {
		if f.Kind == faults.CrashAtFault {
			specs = append(specs, f.Point)
		}
	}
	r.points = server.NewCrashPoints(seed, specs, !replay)
	steps := server.NewStepFaults(r.cfg.Steps)
	settings, err := w.Settings()
	if err != nil {
		return fmt.Errorf("live: %w", err)
	}
	parts := r.partitions()
	var upstreams []string
	for i := 0; i < w.Servers; i++ {
		addr, err := freeAddr()
		if err != nil {
			return fmt.Errorf("live: %w", err)
		}
		upstreams = append(upstreams, "http://"+addr)
		name := "s" + strconv.Itoa(i+1)
		proc, err := server.Start(server.Config{
			Name:     name,
			Addr:     addr,
			Strategy: w.Strategy,
			Settings: settings,
			Clock:    r.now,
			Skewed:   w.ClockOf(name).Read,
			Open: func(ctx context.Context) (*server.Backends, error) {
				return r.open(ctx, gwClient)
			},
			Points:      r.points,
			Steps:       steps,
			DBFault:     dbFault,
			ServiceLink: r.serviceLink(parts),
			Fired:       r.record,
			Failed:      r.fail,
			Observe:     r.observer("s" + strconv.Itoa(i+1)),
			// A server's own work per request before its handler
			// decides, as the simulated server sleeps it.
			ServiceTime: func(ref string) time.Duration {
				return time.Duration(w.ServiceTime.Quantile(min(decide.Uniform(seed, ref, "service-time"), 0.999999)))
			},
			KeyOwner: func(key string) string {
				if tag, ok := r.keys.Load(key); ok {
					return tag.(string)
				}
				return ""
			},
		})
		if err != nil {
			return err
		}
		r.servers = append(r.servers, proc)
	}
	r.upstreams = upstreams
	r.onClose(func() {
		for _, s := range r.servers {
			s.Stop(5 * time.Second)
		}
	})
	plan := proxy.Plan{Seed: seed, Link: p.Link, Rules: p.Links, Replay: p.Replay, Partitions: parts, Clock: r.now}
	if r.trace != nil {
		plan.Observe = r.trace.hop
	}
	if w.Balancer == world.Random {
		plan.Balancer = proxy.Random
	}
	if err := plan.Check(); err != nil {
		return fmt.Errorf("live: %w", err)
	}
	return r.startProxy(upstreams, plan)
}

// startProxy starts the fault proxy in front of upstreams on a free
// loopback port; the clients send to r.proxyURL.
func (r *runner) startProxy(upstreams []string, plan proxy.Plan) error {
	r.proxy = proxy.New(upstreams, plan)
	pl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("live: the proxy: %w", err)
	}
	r.proxyLn = pl
	ps := &http.Server{Handler: r.proxy}
	go ps.Serve(pl)
	r.onClose(func() { ps.Close(); r.proxy.Close() })
	r.proxyURL = "http://" + pl.Addr().String()
	return nil
}

// open connects one life of a server process to the services.
func (r *runner) open(ctx context.Context, gw *gateway.Client) (*server.Backends, error) {
	w := &r.w
	db, err := pgdb.Open(ctx, pgdb.Config{DSN: r.dsn, PoolSize: w.DB.PoolSize, Isolation: w.DB.Isolation})
	if err != nil {
		return nil, err
	}
	r.watch(db)
	q, err := pgqueue.Open(ctx, r.dsn, w.Services.Queue)
	if err != nil {
		db.Kill()
		return nil, err
	}
	kv := rediskv.New(r.redisAt, rediskv.Options{PoolSize: 64})
	return &server.Backends{
		DB:      server.Postgres(db),
		KV:      kv,
		Queue:   server.PostgresQueue(q),
		Gateway: func(tag, ref string) api.Gateway { return gw.For(tag, ref) },
		Close:   func() { kv.Close() },
	}, nil
}

func (r *runner) now() sim.Time {
	r.epochMu.Lock()
	e := r.epoch
	r.epochMu.Unlock()
	if e.IsZero() {
		return 0
	}
	return sim.Time(time.Since(e))
}

// run starts the cluster, plays the clients, then reads the ledger.
func (r *runner) run(ctx context.Context, limit time.Duration) (*world.Result, error) {
	w := &r.w
	wl, err := world.DrawWorkload(*w)
	if err != nil {
		return nil, err
	}
	for _, c := range wl.Clients {
		for _, o := range c.Ops {
			r.keys.Store(o.Key, o.ID.String())
		}
	}
	r.trace = newTracer(*w, r.now)
	if r.tgt != nil {
		if err := r.startTarget(); err != nil {
			return nil, err
		}
	} else {
		if err := r.startStatements(ctx); err != nil {
			return nil, err
		}
		if err := r.startCluster(ctx); err != nil {
			return nil, err
		}
	}
	r.epochMu.Lock()
	r.epoch = time.Now()
	r.epochMu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	r.scheduleTimedFaults(ctx)
	h := &history{}
	clients := make([]*client, len(wl.Clients))
	for i, cw := range wl.Clients {
		clients[i] = &client{r: r, h: h, work: cw, index: i, http: wire.NewClient(w.Client.TimeoutPerAttempt)}
		clients[i].life.begin(ctx)
	}
	r.scheduleClientCrashes(ctx, clients)
	r.schedulePartitions(ctx)
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.run(ctx)
		}()
	}
	wg.Wait()
	stop := StopDone
	if ctx.Err() != nil {
		stop = StopLimit
	}
	// Requests still in a handler (a paused server's) finish, as a
	// simulated run goes on until nothing is left to happen.
	r.proxy.Wait()
	for _, s := range r.servers {
		s.Drain(ctx)
	}
	if r.hasWorkers() && ctx.Err() == nil {
		// Background work may still be going: let it settle, as the
		// simulation does.
		select {
		case <-time.After(w.Settle):
		case <-ctx.Done():
		}
	}
	// Copies of requests still on their way arrive before the servers
	// stop, as the simulation delivers every message before it ends.
	r.proxy.Wait()
	r.elapsed = time.Since(r.epoch)
	end := r.now()
	for _, s := range r.servers {
		s.Stop(5 * time.Second)
	}
	if err := r.failure; err != nil {
		return nil, err
	}
	var ledger []world.Row
	if r.tgt != nil {
		ledger, err = r.targetLedger(context.Background(), h.outcomes(wl), h.attempts)
	} else {
		ledger, err = r.ledger(context.Background())
	}
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	fired := append(append([]faults.Fault{}, r.fired...), r.proxy.Fired()...)
	r.mu.Unlock()
	sort.SliceStable(fired, func(i, j int) bool { return fired[i].At < fired[j].At })
	res := &world.Result{
		Config:   *w,
		History:  h.attempts,
		Outcomes: h.outcomes(wl),
		Ledger:   ledger,
		Faults:   fired,
		End:      end,
		Stop:     stop,
		Asked:    wl.Asked,
	}
	res.Statements = r.statements()
	if w.Faults.Replay != nil {
		res.Unfired = faults.Unfired(w.Faults.Replay, fired)
	}
	r.trace.ledger(ledger, r.charges, r.since)
	r.trace.attach(res)
	return res, nil
}

func (r *runner) hasWorkers() bool {
	if r.tgt != nil {
		return false // what the target does in the background is its own
	}
	return len(r.w.Strategy.Boot(api.Settings{Switches: r.w.Strategy.Defaults}).Workers) > 0
}

// ledger reads what the databases committed: the strategy's ledger rows
// by the triggers, and the gateway's charges not refunded.
func (r *runner) ledger(ctx context.Context) ([]world.Row, error) {
	effects, err := pgdb.ReadEffects(ctx, r.dsn)
	if err != nil {
		return nil, fmt.Errorf("live: reading the effects: %w", err)
	}
	var rows []world.Row
	for _, e := range effects {
		op, _ := api.ParseOpID(e.Tag)
		rows = append(rows, world.Row{Source: e.Source, ID: e.RowID, Op: op, At: r.since(e.At), Deleted: e.Deleted})
	}
	charges, err := r.gwServer.Charges(ctx)
	if err != nil {
		return nil, fmt.Errorf("live: reading the gateway's charges: %w", err)
	}
	r.charges = charges
	for _, c := range charges {
		if c.Refunded {
			continue
		}
		op, _ := api.ParseOpID(c.Tag)
		at := c.Completed
		if at.IsZero() {
			at = c.Began
		}
		rows = append(rows, world.Row{Source: world.SourceGateway, ID: c.ID, Op: op, Amount: c.AmountCents, At: r.since(at)})
	}
	return rows, nil
}

func (r *runner) since(t time.Time) sim.Time {
	if t.IsZero() || t.Before(r.epoch) {
		return 0
	}
	return sim.Time(t.Sub(r.epoch))
}

// scheduleTimedFaults arms the crashes, store restarts and pauses the
// world lists, and its random crashes.
func (r *runner) scheduleTimedFaults(ctx context.Context) {
	p := &r.w.Faults
	crashes := append([]faults.Crash{}, p.Crashes...)
	pauses := append([]faults.Crash{}, p.Pauses...)
	for _, f := range p.Replay {
		switch f.Kind {
		case faults.CrashFault:
			crashes = append(crashes, f.Crash)
		case faults.PauseFault:
			pauses = append(pauses, f.Crash)
		}
	}
	for _, c := range crashes {
		if anchored(r.cfg.Steps, faults.CrashFault, c) {
			continue
		}
		r.at(ctx, time.Duration(c.At), func() { r.crash(c.Node, c.Downtime) })
	}
	for _, c := range pauses {
		if anchored(r.cfg.Steps, faults.PauseFault, c) {
			continue
		}
		r.at(ctx, time.Duration(c.At), func() {
			if s := r.server(c.Node); s != nil {
				s.Pause(c.Downtime)
			}
		})
	}
	if p.CrashEvery > 0 && p.Replay == nil {
		ch := sim.NewSeeded(r.w.Seed ^ 0x6c697665) // "live": its own stream of crash times
		go func() {
			for {
				wait := time.Duration(sim.Exp(p.CrashEvery).Sample(ch, sim.StreamFaults))
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
				n := 1 + ch.Pick(sim.StreamFaults, r.w.Servers)
				r.crash("s"+strconv.Itoa(n), p.Downtime)
			}
		}()
	}
}

func (r *runner) at(ctx context.Context, at time.Duration, f func()) {
	t := time.AfterFunc(at-time.Since(r.epoch), func() {
		if ctx.Err() == nil {
			f()
		}
	})
	r.onClose(func() { t.Stop() })
}

func (r *runner) server(name string) *server.Process {
	for _, s := range r.servers {
		if s.Name() == name {
			return s
		}
	}
	return nil
}

// crash crashes a server, or restarts the store empty ("kv").
func (r *runner) crash(node string, downtime time.Duration) {
	if r.tgt != nil {
		r.restartTarget(downtime)
		return
	}
	if node == "kv" {
		if r.redis == nil {
			return // a given Redis is not ours to restart
		}
		at := r.now()
		r.redis.Kill()
		r.record(faults.Fault{Kind: faults.CrashFault, At: at, Crash: faults.Crash{Node: "kv", At: at, Downtime: downtime}})
		time.AfterFunc(downtime, func() {
			if err := r.redis.Restart(); err != nil {
				r.fail(fmt.Errorf("live: restarting Redis: %w", err))
				return
			}
			r.trace.restarted("kv")
		})
		return
	}
	if s := r.server(node); s != nil {
		s.Crash(downtime)
	}
}

// history collects the attempts as the clients make them.
type history struct {
	mu       sync.Mutex
	attempts []world.Attempt
	outs     map[string][]world.Outcome
}

func (h *history) add(a world.Attempt) {
	h.mu.Lock()
	h.attempts = append(h.attempts, a)
	h.mu.Unlock()
}

func (h *history) conclude(client string, outs []world.Outcome) {
	h.mu.Lock()
	if h.outs == nil {
		h.outs = make(map[string][]world.Outcome)
	}
	h.outs[client] = outs
	h.mu.Unlock()
}

// outcomes are the clients' outcomes in the order the simulation lists
// them: client by client, operation by operation.
func (h *history) outcomes(wl world.Workload) []world.Outcome {
	var out []world.Outcome
	for _, c := range wl.Clients {
		out = append(out, h.outs[c.Name]...)
	}
	return out
}

// client plays one client's queue of operations, in one or more lives of
// its process (a crash ends one: see clientlife.go).
type client struct {
	r     *runner
	h     *history
	work  world.ClientWork
	index int
	http  *http.Client
	ch    sim.Chooser
	life  life
}

func (c *client) run(ctx context.Context) {
	w := &c.r.w
	c.ch = sim.NewSeeded(w.Seed + uint64(c.index+1)*0x9e3779b97f4a7c15)
	outs := make([]world.Outcome, len(c.work.Ops))
	for i, op := range c.work.Ops {
		outs[i] = world.Outcome{Client: c.work.Name, Op: op.ID, Keys: []string{op.Key}}
	}
	defer func() { c.h.conclude(c.work.Name, outs) }()
	resuming := false
	for {
		lctx, n := c.life.current()
		c.play(lctx, n, outs, resuming)
		var ok bool
		if resuming, ok = c.comeBack(ctx, outs); !ok {
			return
		}
	}
}

// play works through the operations from the one the client is on, until
// the last concludes or this life (number n, whose context is ctx) ends.
// resuming: the first is taken up again after a crash, without its think
// time.
func (c *client) play(ctx context.Context, n int, outs []world.Outcome, resuming bool) {
	w := &c.r.w
	for {
		i, ok := c.life.on(n, len(c.work.Ops))
		if !ok {
			return
		}
		if !resuming && !sleep(ctx, time.Duration(w.Client.Think.Sample(c.ch, sim.StreamJitter))) {
			return
		}
		resuming = false
		if c.work.Ops[i].Kind == api.Delete {
			prev := &outs[i-1]
			if prev.Belief != world.BelievedDone {
				c.life.conclude(n, len(c.work.Ops), func() {}) // never submitted, as in the simulation
				continue
			}
			outs[i].Keys = []string{prev.Keys[len(prev.Keys)-1]}
			location := ""
			if prev.Resource != "" {
				location = wire.Collection + "/" + prev.Resource
			}
			c.drive(ctx, n, &outs[i], world.BeginDelete(&w.Client, location), api.Request{Client: c.work.Name})
			continue
		}
		op := c.work.Ops[i]
		body := api.Request{Payload: op.Payload, Fingerprint: op.Payload.Fingerprint(), Client: c.work.Name}
		c.drive(ctx, n, &outs[i], world.BeginCreate(&w.Client, w.Strategy.Contract), body)
	}
}

// drive runs one operation's protocol to its conclusion, as the simulated
// client's drive does, unless life n ends first.
func (c *client) drive(ctx context.Context, n int, out *world.Outcome, p world.Protocol, body api.Request) {
	jitter := func() float64 { return c.ch.Quantile(sim.StreamJitter) }
	for {
		if ctx.Err() != nil {
			return // unfinished, or crashed
		}
		key := out.Keys[len(out.Keys)-1]
		req := p.Request(body, key)
		attempt := p.Attempt()
		resp, alive := c.send(ctx, n, out, attempt, req)
		if !alive {
			return
		}
		st := p.Next(resp, c.r.now().Sub(out.Start), jitter)
		c.r.trace.answered(c.work.Name, out.Op, int32(attempt), resp, st.Heard)
		if st.NewKey {
			c.addKey(out)
		}
		if st.Conclude {
			c.life.conclude(n, len(c.work.Ops), func() {
				out.Belief, out.End = st.Belief, c.r.now()
				if st.From != nil {
					out.Status, out.Resource = st.From.Status, st.From.Resource
				}
				c.r.trace.add(func(rec *world.Recorder, at sim.Time) { rec.Conclude(at, c.work.Name, out.Op, out.Belief, out.Status) })
			})
			return
		}
		c.r.trace.add(func(rec *world.Recorder, at sim.Time) { rec.Backoff(at, c.work.Name, out.Op, st.Wait) })
		if !sleep(ctx, time.Duration(st.Wait)) {
			return
		}
	}
}

// addKey mints a new key for out's operation.
func (c *client) addKey(out *world.Outcome) {
	key := c.newKey()
	c.r.keys.Store(key, out.Op.String())
	out.Keys = append(out.Keys, key)
}

// newKey mints a key as the simulation's do: k- and 12 hex digits.
func (c *client) newKey() string {
	v := c.ch.Bits(sim.StreamWorkload)
	return fmt.Sprintf("k-%012x", v&0xffffffffffff)
}

// send makes the next attempt of out's operation (the n-th of this life of
// the process, life number life) through the proxy, counts it in out and
// records it. It returns the response, or nil when none came in time;
// alive is false when the client crashed meanwhile, which recorded the
// attempt as interrupted.
func (c *client) send(ctx context.Context, life int, out *world.Outcome, n int, req api.Request) (got *api.Response, alive bool) {
	w := &c.r.w
	op, now := out.Op, c.r.now()
	a := world.Attempt{Client: c.work.Name, Op: op, Key: req.Key, N: n, Kind: req.Kind, Call: now}
	var (
		hr  *http.Request
		err error
	)
	if c.r.tgt != nil {
		hr, err = c.r.targetRequest(req, c.work.Name, op)
	} else {
		hr, err = wire.NewRequest(c.r.proxyURL, req)
	}
	if err != nil {
		c.r.fail(err) // the run fails; meanwhile the protocol reads no answer
		return nil, true
	}
	ref := faults.Ref{Caller: c.work.Name, Op: op, Attempt: int32(out.Attempts + 1)}
	hr.Header.Set(wire.HeaderRef, ref.String())
	// The attempt counts once it is on its way, in the step in which a
	// crash finds it in flight.
	sent := func() {
		if out.Attempts == 0 {
			out.Start = now
		}
		out.Attempts++
	}
	// Against a target the requests are paced (--max-rate); a life or a
	// run that ends meanwhile sent nothing, as one that ends before the
	// attempt is on its way.
	if c.r.tgt != nil && !c.r.tgt.pace.wait(ctx) {
		return nil, false
	}
	if !c.life.await(life, a, sent) {
		return nil, false
	}
	actx, cancel := context.WithTimeout(ctx, w.Client.TimeoutPerAttempt)
	defer cancel()
	resp, err := c.http.Do(hr.WithContext(actx))
	if err == nil {
		a.Server = resp.Header.Get(proxy.ServerHeader)
		header := resp.Header
		r, rerr := wire.ReadResponse(resp)
		if rerr == nil {
			if c.r.tgt != nil {
				r.Resource = c.r.tgt.t.resourceOf(header, r.Body)
			}
			got = &r
		}
	}
	return got, c.life.answered(life, func() {
		a.Return = c.r.now()
		c.r.trace.attempt(a.Call, c.work.Name, op, int32(n), req.Key, req.Kind)
		if got == nil {
			a.TimedOut = true
		} else {
			a.Status, a.Resource = got.Status, got.Resource
		}
		c.h.add(a)
	})
}

// sleep waits d unless ctx ends first; it reports whether it waited.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
