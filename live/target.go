package live

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/live/proxy"
	"github.com/idemsim/idemsim/live/wire"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// Target is a service of the user's that a live run checks from outside
// (docs/check-your-api.md): the fault proxy forwards the clients' requests
// to it instead of to servers hosting a strategy, and its effects are
// counted by a query the user gives instead of by our ledger's triggers.
type Target struct {
	// URL is the service's base, http://HOST:PORT[/prefix]; the prefix
	// goes in front of Path and of every path a Location names.
	URL string
	// AllowRemote accepts a host off loopback.
	AllowRemote bool
	// Method and Path are a create's request line (POST /payments).
	Method, Path string
	// Body is the create's body template; see FillBody for the
	// placeholders.
	Body string
	// PollBody sends the filled Body with each poll (a GET) as well, as
	// our own clients' wire format does (live/wire): a strategy of ours
	// may compare a poll's payload with the stored request's.
	PollBody bool
	// KeyHeader carries the idempotency key (Idempotency-Key).
	KeyHeader string
	// KeyPrefix goes in front of every key sent and counted (not of the
	// keys the history and its oracles name): the keys are drawn from the
	// seed, so a second run of one world against the same database needs
	// another prefix to meet none of the first run's keys.
	KeyPrefix string
	// Headers are sent with every request, as given ("Name: value"), but
	// for {client} in a value, replaced by the sending client's name.
	Headers []string
	// IDField names the resource an answer speaks of: a top-level field of
	// its JSON body ("id"), or header:NAME for a response header.
	IDField string
	// Effects count an operation's effects after the run: EffectsSQL
	// (with $1 the key) on EffectsDSN, or EffectsURL ({key} replaced)
	// answering a JSON list, or an object whose EffectsCountField is the
	// count. Neither: the effects are inferred from the answers.
	EffectsSQL, EffectsDSN, EffectsURL, EffectsCountField string
	// RestartCmd is run through sh -c at each crash of the service (see
	// docs/check-your-api.md for what it must do); empty: no crash fault
	// may be asked for.
	RestartCmd string
	// Restart, when set, is called instead of RestartCmd at each crash of
	// the service, with the same duty (kill it now, keep it down for the
	// downtime, return once it answers again): a program that hosts the
	// service itself, as Hosted.Restart, needs no shell command.
	Restart func(downtime time.Duration) error
	// MaxRate bounds the requests a second the clients send (0:
	// DefaultMaxRate).
	MaxRate float64
}

// Defaults of a Target.
const (
	DefaultMethod    = http.MethodPost
	DefaultPath      = "/payments"
	DefaultBody      = `{"amount": {amount}, "currency": "usd"}`
	DefaultKeyHeader = "Idempotency-Key"
	DefaultIDField   = "id"
	DefaultMaxRate   = 100
	// DefaultTargetLimit bounds a run against a target that sets no
	// --limit: the run stops by itself.
	DefaultTargetLimit = 2 * time.Minute
	// restartLimit bounds one run of the restart command.
	restartLimit = time.Minute
)

// Contracts a target may declare: those whose reading by the clients
// needs nothing but statuses, a Location and the resource's id.
var TargetContracts = []api.Contract{api.ContractReplay, api.Contract409, api.ContractPoll202}

// placeholders are what FillBody replaces.
var placeholders = []string{"{amount}", "{currency}", "{description}", "{key}", "{client}", "{op}"}

// FillBody is the template with the operation's values in place:
// {amount} (integer cents), {currency}, {description}, {key}, {client} and
// {op}, each as plain text (the template supplies any quotes).
func FillBody(template string, p api.Payload, key, client string, op api.OpID) string {
	return strings.NewReplacer(
		"{amount}", strconv.FormatInt(p.Amount, 10),
		"{currency}", p.Currency,
		"{description}", p.Description,
		"{key}", key,
		"{client}", client,
		"{op}", op.String(),
	).Replace(template)
}

// WithDefaults is t with every empty setting at its default.
func (t Target) WithDefaults() Target {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&t.Method, DefaultMethod)
	def(&t.Path, DefaultPath)
	def(&t.Body, DefaultBody)
	def(&t.KeyHeader, DefaultKeyHeader)
	def(&t.IDField, DefaultIDField)
	if t.MaxRate == 0 {
		t.MaxRate = DefaultMaxRate
	}
	return t
}

// CheckHost accepts an http URL of a loopback host, or of any host when
// remote is allowed; flag names the setting in the error.
func CheckHost(flag, raw string, remote bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("%s %q: not an http URL (accepted: http://HOST:PORT[/path])", flag, raw)
	}
	if remote {
		return u, nil
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("%s %q: host %s is not on loopback (accepted: 127.0.0.1, [::1] or localhost; --allow-remote for another host)", flag, raw, host)
	}
	return u, nil
}

// Check says what is wrong with t (after WithDefaults), or nil.
func (t *Target) Check() error {
	if _, err := CheckHost("--target", t.URL, t.AllowRemote); err != nil {
		return err
	}
	switch t.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
	default:
		return fmt.Errorf("--method %q (accepted: POST, PUT or PATCH)", t.Method)
	}
	if !strings.HasPrefix(t.Path, "/") {
		return fmt.Errorf("--path %q: must start with / (accepted: e.g. /payments)", t.Path)
	}
	if strings.ContainsAny(t.KeyHeader, " :\r\n") || t.KeyHeader == "" {
		return fmt.Errorf("--key-header %q: not a header name (accepted: e.g. Idempotency-Key)", t.KeyHeader)
	}
	if strings.ContainsAny(t.KeyPrefix, " \t\r\n") {
		return fmt.Errorf("--key-prefix %q: has white space (accepted: text that may start a header value, e.g. run2-)", t.KeyPrefix)
	}
	if !strings.Contains(t.Body, "{amount}") {
		return fmt.Errorf("--body %q: has no {amount} (accepted: a template with {amount} and any of %s)", t.Body, strings.Join(placeholders[1:], ", "))
	}
	for _, h := range t.Headers {
		name, _, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(name) == "" || strings.ContainsAny(strings.TrimSpace(name), " \r\n") {
			return fmt.Errorf("--header %q (accepted: 'Name: value')", h)
		}
	}
	if name, ok := strings.CutPrefix(t.IDField, "header:"); ok && name == "" || t.IDField == "" {
		return fmt.Errorf("--id-field %q (accepted: a JSON field of the answer like id, or header:NAME)", t.IDField)
	}
	switch {
	case t.EffectsSQL != "" && t.EffectsURL != "":
		return fmt.Errorf("--effects-sql and --effects-url: give one (accepted: either, or neither)")
	case t.EffectsSQL != "" && t.EffectsDSN == "":
		return fmt.Errorf("--effects-sql needs --effects-dsn (the PostgreSQL to run it on)")
	case t.EffectsDSN != "" && t.EffectsSQL == "":
		return fmt.Errorf("--effects-dsn needs --effects-sql (the query that counts a key's effects, with $1 the key)")
	case t.EffectsSQL != "" && !strings.Contains(t.EffectsSQL, "$1"):
		return fmt.Errorf("--effects-sql %q: has no $1 (accepted: a query of one count with $1 the key)", t.EffectsSQL)
	case t.EffectsURL != "" && !strings.Contains(t.EffectsURL, "{key}"):
		return fmt.Errorf("--effects-url %q: has no {key} (accepted: a URL with {key} where the key goes)", t.EffectsURL)
	case t.EffectsCountField != "" && t.EffectsURL == "":
		return fmt.Errorf("--effects-count-field needs --effects-url")
	case t.MaxRate < 0 || t.MaxRate > 10000:
		return fmt.Errorf("--max-rate %v (accepted: requests a second, > 0 and at most 10000)", t.MaxRate)
	}
	if t.EffectsURL != "" {
		if _, err := CheckHost("--effects-url", strings.ReplaceAll(t.EffectsURL, "{key}", "k"), t.AllowRemote); err != nil {
			return err
		}
	}
	return nil
}

// CheckWorld says why w cannot run against t, naming the setting: the
// faults of a target are the network's, client crashes, and the service's
// crashes when t has a restart command.
func (t *Target) CheckWorld(w *world.Config) error {
	p := &w.Faults
	refuse := func(setting string) error {
		return fmt.Errorf("live: %s: not with --target (a target's faults are the network's, client crashes, and the service's crashes with --restart-cmd)", setting)
	}
	switch {
	case w.Servers != 1:
		return fmt.Errorf("live: --servers %d: not with --target (the target is one service, s1)", w.Servers)
	case w.Charges():
		return refuse("--work charge")
	case w.Client.DeleteRate > 0:
		return refuse("--delete-after")
	case p.DBDropConnectionRate > 0:
		return refuse("--db-drop-connection")
	case p.DBLostCommitAckRate > 0:
		return refuse("--db-lost-commit-ack")
	case p.GatewayTimeoutRate > 0:
		return refuse("--gateway-timeout")
	case p.Gateway500Rate > 0:
		return refuse("--gateway-500")
	case len(p.CrashPoints) > 0:
		return refuse("--crash-at")
	case len(p.Pauses) > 0:
		return refuse("--pause")
	case len(w.Clocks) > 0:
		return refuse("--clock-skew")
	}
	crashes := len(p.Crashes) > 0 || p.CrashEvery > 0
	for _, c := range p.Crashes {
		if c.Node != "s1" {
			return refuse("--crash " + c.String())
		}
	}
	for _, f := range p.Replay {
		switch f.Kind {
		case faults.CrashFault:
			switch {
			case f.Crash.Node == "s1":
				crashes = true
			case f.Crash.Node[0] != 'c':
				return refuse("fault " + f.String())
			}
		case faults.DropRequest, faults.DropResponse, faults.DuplicateRequest, faults.DuplicateResponse, faults.Reset, faults.ClientCrashFault, faults.PartitionFault:
		default:
			return refuse("fault " + f.String())
		}
	}
	if crashes && t.RestartCmd == "" && t.Restart == nil {
		return fmt.Errorf("live: a crash of the service (--crash, --crash-every, a replayed crash) needs --restart-cmd, the command that kills and restarts it")
	}
	return nil
}

// TargetStrategy is the stand-in strategy of a run against a target: it
// declares the contract the oracles hold the target to, keeps no ledger
// tables of ours, and its servers (which the run never starts) are base's.
func TargetStrategy(base api.Strategy, contract api.Contract, url string) api.Strategy {
	return api.Strategy{
		Name:     "target",
		Rule:     "the service at " + url + ", seen only through HTTP",
		Contract: contract,
		Boot:     base.Boot,
		Defaults: base.Defaults,
		Switches: base.Switches,
	}
}

// pacer spaces the clients' requests at most rate a second, together.
type pacer struct {
	mu   sync.Mutex
	gap  time.Duration
	next time.Time
}

func (p *pacer) wait(ctx context.Context) bool {
	p.mu.Lock()
	now := time.Now()
	at := p.next
	if at.Before(now) {
		at = now
	}
	p.next = at.Add(p.gap)
	p.mu.Unlock()
	return sleep(ctx, time.Until(at))
}

// targetState is what a runner against a target keeps.
type targetState struct {
	t      Target
	prefix string // the target URL's path, in front of every path
	pace   pacer
	// crashMu runs one restart command at a time.
	crashMu sync.Mutex
	// counting is set, under crashMu, once the effects are being counted:
	// a crash timer that fires after it restarts nothing, so that the
	// count never meets a service that is down.
	counting bool
}

// startTarget starts the proxy in front of the target.
func (r *runner) startTarget() error {
	ts := r.tgt
	u, err := CheckHost("--target", ts.t.URL, ts.t.AllowRemote)
	if err != nil {
		return fmt.Errorf("live: %w", err)
	}
	ts.prefix = strings.TrimSuffix(u.Path, "/")
	ts.pace.gap = time.Duration(float64(time.Second) / ts.t.MaxRate)
	p := &r.w.Faults
	plan := proxy.Plan{Seed: r.w.Seed, Link: p.Link, Rules: p.Links, Replay: p.Replay, Partitions: r.partitions(), Clock: r.now, AllowRemote: ts.t.AllowRemote}
	if r.trace != nil {
		plan.Observe = r.trace.hop
	}
	if err := plan.Check(); err != nil {
		return fmt.Errorf("live: %w", err)
	}
	base := *u
	base.Path, base.RawPath = "", ""
	if err := r.startProxy([]string{base.String()}, plan); err != nil {
		return err
	}
	r.logf("target    %s through the fault proxy at %s", ts.t.URL, r.proxyURL)
	return nil
}

// targetRequest is req as the target's HTTP request, through the proxy: a
// create as the user's method, path and body; a poll a GET of the
// Location the target named.
func (r *runner) targetRequest(req api.Request, client string, op api.OpID) (*http.Request, error) {
	t := &r.tgt.t
	var (
		hr  *http.Request
		err error
	)
	switch req.Kind {
	case api.Create:
		body := FillBody(t.Body, req.Payload, t.KeyPrefix+req.Key, client, op)
		hr, err = http.NewRequest(t.Method, r.proxyURL+r.tgt.prefix+t.Path, io.NopCloser(strings.NewReader(body)))
		if err == nil {
			hr.ContentLength = int64(len(body))
			hr.Header.Set("Content-Type", "application/json")
		}
	case api.Poll:
		loc := req.Location
		if u, perr := url.Parse(loc); perr == nil && u.IsAbs() {
			loc = u.RequestURI()
		} else if !strings.HasPrefix(loc, r.tgt.prefix+"/") {
			loc = r.tgt.prefix + "/" + strings.TrimPrefix(loc, "/")
		}
		if t.PollBody {
			body := FillBody(t.Body, req.Payload, t.KeyPrefix+req.Key, client, op)
			hr, err = http.NewRequest(http.MethodGet, r.proxyURL+loc, io.NopCloser(strings.NewReader(body)))
			if err == nil {
				hr.ContentLength = int64(len(body))
				hr.Header.Set("Content-Type", "application/json")
			}
		} else {
			hr, err = http.NewRequest(http.MethodGet, r.proxyURL+loc, nil)
		}
	default:
		return nil, fmt.Errorf("live: a %v request to a target (accepted: create, poll)", req.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("live: the target's request: %w", err)
	}
	hr.GetBody = nil // sent once: see wire.NewRequest
	for _, h := range t.Headers {
		// {client} in a value names the client, so that a service that
		// tells its callers apart (Authorization: Bearer {client}) sees
		// each of them as itself.
		name, value, _ := strings.Cut(h, ":")
		hr.Header.Add(strings.TrimSpace(name), strings.ReplaceAll(strings.TrimSpace(value), "{client}", client))
	}
	if req.Key != "" {
		hr.Header.Set(t.KeyHeader, t.KeyPrefix+req.Key)
	}
	return hr, nil
}

// resourceOf is the id an answer names under IDField ("" when none).
func (t *Target) resourceOf(h http.Header, body string) string {
	if name, ok := strings.CutPrefix(t.IDField, "header:"); ok {
		return h.Get(name)
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(body), &obj) != nil {
		return ""
	}
	return jsonScalar(obj[t.IDField])
}

// jsonScalar is a JSON string's text or a number's digits ("" otherwise).
func jsonScalar(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// restartTarget runs the restart command for a crash of the service.
func (r *runner) restartTarget(downtime time.Duration) {
	ts := r.tgt
	if ts.t.RestartCmd == "" && ts.t.Restart == nil {
		return
	}
	ts.crashMu.Lock()
	defer ts.crashMu.Unlock()
	if ts.counting {
		return
	}
	at := r.now()
	r.record(faults.Fault{Kind: faults.CrashFault, At: at, Crash: faults.Crash{Node: "s1", At: at, Downtime: downtime}})
	if ts.t.Restart != nil {
		if err := ts.t.Restart(downtime); err != nil {
			r.fail(fmt.Errorf("live: restarting the target at the crash at %v: %w", time.Duration(at), err))
			return
		}
		r.trace.restarted("s1")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), restartLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", ts.t.RestartCmd)
	cmd.Env = append(os.Environ(), "IDEMSIM_DOWNTIME="+downtime.String(),
		"IDEMSIM_DOWNTIME_MS="+strconv.FormatInt(downtime.Milliseconds(), 10))
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.fail(fmt.Errorf("live: --restart-cmd failed at the crash at %v: %v: %s", time.Duration(at), err, strings.TrimSpace(string(out))))
		return
	}
	r.trace.restarted("s1")
}

// targetLedger is the run's ledger against a target: each key's effects,
// counted by the user's query, are rows of the operation that first used
// the key (a key reused by a later operation with another payload stays
// its first operation's: the later one's own payment, if made, is an
// extra effect of the first). Without a query the ledger is inferred
// from the answers (inferLedger).
func (r *runner) targetLedger(ctx context.Context, outcomes []world.Outcome, history []world.Attempt) ([]world.Row, error) {
	t := &r.tgt.t
	if t.EffectsSQL == "" && t.EffectsURL == "" {
		return inferLedger(outcomes, history), nil
	}
	// Wait for a restart in flight, and let no other start.
	r.tgt.crashMu.Lock()
	r.tgt.counting = true
	r.tgt.crashMu.Unlock()
	owner := keyOwners(outcomes)
	count, done, err := r.effectCounter(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	end := r.now()
	var rows []world.Row
	for _, k := range owner.order {
		n, err := count(t.KeyPrefix + k)
		if err != nil {
			return nil, fmt.Errorf("live: counting the effects of key %s: %w", k, err)
		}
		for i := 0; i < n; i++ {
			rows = append(rows, world.Row{Source: "effects", ID: k + "#" + strconv.Itoa(i+1), Op: owner.of[k], At: end})
		}
	}
	return rows, nil
}

type owners struct {
	order []string
	of    map[string]api.OpID
}

// keyOwners gives each key the first operation, in the outcomes' order,
// that used it.
func keyOwners(outcomes []world.Outcome) owners {
	o := owners{of: make(map[string]api.OpID)}
	for _, out := range outcomes {
		for _, k := range out.Keys {
			if _, ok := o.of[k]; !ok {
				o.of[k] = out.Op
				o.order = append(o.order, k)
			}
		}
	}
	return o
}

// inferLedger is the ledger the answers show when nothing counts the
// effects: each distinct resource id named by a 2xx answer is one effect
// of the operation first answered with it, and an operation a client
// concluded done from an answer naming no id has one effect (its client's
// word, which nothing here can contradict). A payment no answer named is
// invisible, so a lost payment shows only when its answer names another
// operation's resource.
func inferLedger(outcomes []world.Outcome, history []world.Attempt) []world.Row {
	seen := make(map[string]bool)
	has := make(map[api.OpID]bool)
	var rows []world.Row
	for _, a := range history {
		if a.TimedOut || a.Status < 200 || a.Status > 299 || a.Resource == "" || seen[a.Resource] {
			continue
		}
		seen[a.Resource] = true
		has[a.Op] = true
		rows = append(rows, world.Row{Source: "answers", ID: a.Resource, Op: a.Op, At: a.Return})
	}
	for _, o := range outcomes {
		if o.Belief == world.BelievedDone && o.Resource == "" && !has[o.Op] {
			has[o.Op] = true
			rows = append(rows, world.Row{Source: "answers", ID: "(" + o.Op.String() + ")", Op: o.Op, At: o.End})
		}
	}
	return rows
}

// effectCounter returns how to count one key's effects, and what to call
// when done.
func (r *runner) effectCounter(ctx context.Context) (func(key string) (int, error), func(), error) {
	t := &r.tgt.t
	if t.EffectsSQL != "" {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(cctx, t.EffectsDSN)
		if err != nil {
			return nil, nil, fmt.Errorf("live: --effects-dsn: %w", err)
		}
		count := func(key string) (int, error) {
			qctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			var n int64
			if err := conn.QueryRow(qctx, t.EffectsSQL, key).Scan(&n); err != nil {
				return 0, fmt.Errorf("--effects-sql: %w (want a query answering one count)", err)
			}
			return int(n), nil
		}
		return count, func() { conn.Close(context.Background()) }, nil
	}
	hc := wire.NewClient(30 * time.Second)
	if t.AllowRemote {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	count := func(key string) (int, error) {
		u := strings.ReplaceAll(t.EffectsURL, "{key}", url.QueryEscape(key))
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return 0, err
		}
		for _, h := range t.Headers {
			name, value, _ := strings.Cut(h, ":")
			req.Header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
		}
		resp, err := hc.Do(req)
		if err != nil {
			return 0, fmt.Errorf("--effects-url: %w", err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(io.LimitReader(resp.Body, wire.MaxBody))
		if err != nil {
			return 0, fmt.Errorf("--effects-url: %w", err)
		}
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("--effects-url %s answered %d (want 200)", u, resp.StatusCode)
		}
		return CountEffects(b, t.EffectsCountField)
	}
	return count, func() {}, nil
}

// CountEffects reads an effects answer: a JSON list (its length), or an
// object whose field is the count.
func CountEffects(body []byte, field string) (int, error) {
	if field == "" {
		var list []json.RawMessage
		if err := json.Unmarshal(body, &list); err != nil {
			return 0, fmt.Errorf("--effects-url: the answer is not a JSON list (or give --effects-count-field for an object): %.80q", body)
		}
		return len(list), nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return 0, fmt.Errorf("--effects-url: the answer is not a JSON object with field %q: %.80q", field, body)
	}
	n, err := strconv.Atoi(jsonScalar(obj[field]))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("--effects-url: field %q of the answer is not a count >= 0: %.80q", field, body)
	}
	return n, nil
}

// Hosted is a strategy served by our own servers for a check from
// outside, as a user's service would be: its first server's URL, and the
// database its ledger tables are in.
type Hosted struct {
	URL, DSN string
	r        *runner
}

// Close stops the servers and drops the database.
func (h *Hosted) Close() { h.r.close() }

// Target is a check from outside of h, as idemsim live --target checks a
// user's service: the payment's id read from the Idemsim-Resource header
// our servers send, each client named in Authorization and each poll
// carrying the create's payload as our own clients' requests do (live/wire),
// crashes by Restart, and a key's effects counted by effectsSQL on h's
// database ("" : inferred from the answers). keyPrefix goes in front of
// every key, so that a run meets none of the keys of a run before it.
func (h *Hosted) Target(effectsSQL, keyPrefix string) Target {
	t := Target{
		URL:        h.URL,
		Body:       `{"amount": {amount}, "currency": "{currency}", "description": "{description}"}`,
		PollBody:   true,
		Headers:    []string{"Authorization: Bearer {client}"},
		IDField:    "header:" + wire.HeaderResource,
		KeyPrefix:  keyPrefix,
		EffectsSQL: effectsSQL,
		Restart:    h.Restart,
		// Our own server on loopback: no need to spare it.
		MaxRate: 2000,
	}
	if effectsSQL != "" {
		t.EffectsDSN = h.DSN
	}
	return t.WithDefaults()
}

// Restart crashes the first server (what a crash destroys is lost, as in
// a live run's crash), keeps it down for downtime and returns once its
// new life accepts connections: a Target's Restart hook for the hosted
// strategy, so that a check from outside can crash it as a restart
// command would crash a user's service.
func (h *Hosted) Restart(downtime time.Duration) error {
	s := h.r.server("s1")
	if s == nil || !s.Crash(downtime) {
		return fmt.Errorf("live: the hosted server is not up to crash")
	}
	u, err := url.Parse(h.URL)
	if err != nil {
		return err
	}
	time.Sleep(downtime)
	deadline := time.Now().Add(restartLimit)
	for {
		conn, err := net.DialTimeout("tcp", u.Host, time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("live: the hosted server did not come back within %v: %w", restartLimit, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Host starts cfg.World's strategy on cfg's PostgreSQL and Redis (given,
// or throwaway ones) with its gateway and queue, as a live run does but
// with no clients and no faults of its own, and leaves it serving until
// Close; a run with a Target at its URL checks it through HTTP only.
func Host(ctx context.Context, cfg Config) (*Hosted, error) {
	w := cfg.World
	w.Faults = faults.Plan{}
	if err := w.Validate(); err != nil {
		return nil, fmt.Errorf("live: %w", err)
	}
	r := &runner{cfg: cfg, w: w, log: cfg.Log}
	if r.log == nil {
		r.log = io.Discard
	}
	ok := false
	defer func() {
		if !ok {
			r.close()
		}
	}()
	if err := r.startServices(ctx); err != nil {
		return nil, err
	}
	if err := r.prepare(ctx); err != nil {
		return nil, err
	}
	if err := r.startCluster(ctx); err != nil {
		return nil, err
	}
	r.epochMu.Lock()
	r.epoch = time.Now()
	r.epochMu.Unlock()
	ok = true
	return &Hosted{URL: r.upstreams[0], DSN: r.dsn, r: r}, nil
}
