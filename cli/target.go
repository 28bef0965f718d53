package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/idemsim/idemsim/live"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

const targetUsage = `
Checking your own service (docs/check-your-api.md):

  idemsim live --target http://127.0.0.1:8080 \
    --effects-dsn postgres://... \
    --effects-sql 'select count(*) from payments where idempotency_key = $1' \
    --drop-response 0.2 --workers-per-op 2 --reuse-key 0.1

  --target URL          the service (http, loopback unless --allow-remote):
                        the fault proxy forwards the clients' requests to it,
                        and nothing of ours is started
  --allow-remote        accept a target or effects URL off loopback
  --method M            a create's method: POST, PUT or PATCH (default POST)
  --path P              a create's path, after the target URL's (default
                        /payments)
  --body T              a create's body; {amount} (cents), {currency},
                        {description}, {key}, {client} and {op} are filled
                        per operation as plain text (default
                        {"amount": {amount}, "currency": "usd"})
  --key-header NAME     the idempotency key's header (default
                        Idempotency-Key)
  --key-prefix P        put P in front of every key sent and counted: the
                        keys come from --seed, so a run again of the same
                        world against the same database needs a new P
  --header 'N: V'       an extra header on every request, repeatable; {client}
                        in V is the sending client's name
  --id-field F          what names the payment an answer speaks of: a
                        top-level field of its JSON body (default id), or
                        header:NAME
  --contract C          replay (default), 409-on-duplicate or 202-then-poll:
                        what the oracles hold the service to. The clients
                        read every status alike: 2xx done; 202 poll the
                        Location; 409 done (a request with the key
                        succeeded); 412 read again; 423, 429 and 5xx retry;
                        any other 4xx give up for good; an error with
                        Retry-After retry after it. --policy changes a
                        reading (e.g. 409=retry)
  --effects-sql Q       counts one key's effects with $1 the key, run on
  --effects-dsn DSN     that PostgreSQL after the run
  --effects-url U       GET with {key} replaced; its answer is a JSON list
                        (its length is the count) or, with
  --effects-count-field F, an object whose field F is the count.
                        Neither: the effects are inferred from the answers
                        (each id named is a payment), which cannot see a
                        payment no answer named, and the summary says so
  --restart-cmd CMD     turns on crashes of the service (--crash s1@T+D,
                        --crash-every): at each, sh -c CMD runs with
                        IDEMSIM_DOWNTIME (a Go duration) and
                        IDEMSIM_DOWNTIME_MS set; it must kill the service at
                        once (SIGKILL, no graceful stop), keep it down that
                        long, start it again and exit once it answers
                        (within 1m)
  --max-rate N          requests a second from all clients together (default
                        100); a run stops by itself after --limit (default 2m
                        against a target)

One operation's effects are the rows the effects query counts under each
of its keys; a key reused by a later operation counts for the first.
`

// targetFlags are the flags of a run against a target, as read.
type targetFlags struct {
	t        live.Target
	contract api.Contract
	given    bool
	args     []string // as given, for the command line a summary prints
}

// contractOf reads --contract.
func contractOf(s string) (api.Contract, error) {
	var names []string
	for _, c := range live.TargetContracts {
		if string(c) == s {
			return c, nil
		}
		names = append(names, string(c))
	}
	return "", usagef("idemsim live: --contract %q (accepted: %s)", s, strings.Join(names, ", "))
}

// take reads one target flag; handled is false for another flag.
func (tf *targetFlags) take(name string, hasValue bool, value func() (string, error)) (handled bool, err error) {
	str := map[string]*string{
		"--target": &tf.t.URL, "--method": &tf.t.Method, "--path": &tf.t.Path, "--body": &tf.t.Body,
		"--key-header": &tf.t.KeyHeader, "--key-prefix": &tf.t.KeyPrefix, "--id-field": &tf.t.IDField, "--effects-sql": &tf.t.EffectsSQL,
		"--effects-dsn": &tf.t.EffectsDSN, "--effects-url": &tf.t.EffectsURL,
		"--effects-count-field": &tf.t.EffectsCountField, "--restart-cmd": &tf.t.RestartCmd,
	}
	switch name {
	case "--allow-remote":
		if hasValue {
			return true, usagef("idemsim live: --allow-remote takes no value (accepted: the bare flag)")
		}
		tf.t.AllowRemote = true
		tf.args = append(tf.args, name)
		return true, nil
	case "--header", "--contract", "--max-rate":
	default:
		if str[name] == nil {
			return false, nil
		}
	}
	v, err := value()
	if err != nil {
		return true, err
	}
	if v == "" {
		return true, usagef("idemsim live: %s needs a value that is not empty", name)
	}
	tf.args = append(tf.args, name, strconv.Quote(v))
	switch name {
	case "--header":
		tf.t.Headers = append(tf.t.Headers, v)
	case "--contract":
		tf.contract, err = contractOf(v)
	case "--max-rate":
		tf.t.MaxRate, err = strconv.ParseFloat(v, 64)
		if err != nil || tf.t.MaxRate <= 0 {
			err = usagef("idemsim live: --max-rate %q (accepted: requests a second, a number > 0 and at most 10000)", v)
		}
	default:
		*str[name] = v
		if name == "--target" {
			tf.given = true
		}
	}
	return true, err
}

// targetRefused are the flags of a live run of our own servers that mean
// nothing against a target.
var targetRefused = []string{"--strategy", "--servers", "--postgres", "--redis", "--anchor-to-sim", "--switch", "--work", "--isolation", "--scenario", "--scenario-file", "--chaos"}

// check says what is wrong with the target flags, with what the run
// flags ask (rest), before the world is configured.
func (tf *targetFlags) check(all []string) error {
	if !tf.given {
		if len(tf.args) > 0 {
			return usagef("idemsim live: %s needs --target URL (the service to check)", tf.args[0])
		}
		return nil
	}
	for _, f := range targetRefused {
		if hasFlag(all, f) {
			return usagef("idemsim live: %s: not with --target (the target is one service of yours, seen only through HTTP)", f)
		}
	}
	if tf.contract == "" {
		tf.contract = api.ContractReplay
	}
	tf.t = tf.t.WithDefaults()
	if err := tf.t.Check(); err != nil {
		return usagef("idemsim live: %v", err)
	}
	return nil
}

// apply makes the configured world one against the target.
func (tf *targetFlags) apply(w *world.Config) error {
	w.Strategy = live.TargetStrategy(w.Strategy, tf.contract, tf.t.URL)
	if err := w.Validate(); err != nil {
		return usagef("idemsim live: %v", err)
	}
	if err := tf.t.CheckWorld(w); err != nil {
		return usagef("idemsim %v", err)
	}
	return nil
}

// effectsNote says how the run counted effects, for the summary.
func (tf *targetFlags) effectsNote() string {
	switch {
	case tf.t.EffectsSQL != "":
		return fmt.Sprintf("counted by --effects-sql per key (%s)", tf.t.EffectsSQL)
	case tf.t.EffectsURL != "":
		return fmt.Sprintf("counted by --effects-url per key (%s)", tf.t.EffectsURL)
	}
	return "NOT COUNTED (no --effects-sql or --effects-url): inferred from the answers, each id named is one payment; " +
		"only the history is judged, and a payment no answer named (a lost one) cannot be seen"
}
