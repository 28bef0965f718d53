package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
)

// Goal: idemsim live --target refuses bad target flags, and any target off
// loopback without --allow-remote, before it sends anything, in one line
// that names the flag and what is accepted, with exit status 2. Method:
// the usage table's check (checkUsageCases) on each bad flag; none of
// these gets as far as dialing, so no service is needed.
func TestTargetInvalidInput(t *testing.T) {
	const target = "http://127.0.0.1:1"
	checkUsageCases(t, []usageCase{
		{name: "target-remote", args: []string{"live", "--target", "http://10.1.2.3:8080"}, code: 2, names: `--target "http://10.1.2.3:8080": host 10.1.2.3 is not on loopback`, accepted: "--allow-remote for another host"},
		{name: "target-remote-name", args: []string{"live", "--target", "http://example.invalid:80"}, code: 2, names: "host example.invalid is not on loopback", accepted: "127.0.0.1, [::1] or localhost"},
		{name: "target-not-http", args: []string{"live", "--target", "ftp://127.0.0.1:21"}, code: 2, names: `--target "ftp://127.0.0.1:21": not an http URL`, accepted: "http://HOST:PORT[/path]"},
		{name: "target-effects-url-remote", args: []string{"live", "--target", target, "--effects-url", "http://10.0.0.1/p?k={key}"}, code: 2, names: "--effects-url", accepted: "--allow-remote for another host"},
		{name: "target-contract", args: []string{"live", "--target", target, "--contract", "412-optimistic"}, code: 2, names: `--contract "412-optimistic"`, accepted: "replay, 409-on-duplicate, 202-then-poll"},
		{name: "target-method", args: []string{"live", "--target", target, "--method", "GET"}, code: 2, names: `--method "GET"`, accepted: "POST, PUT or PATCH"},
		{name: "target-path", args: []string{"live", "--target", target, "--path", "payments"}, code: 2, names: `--path "payments"`, accepted: "must start with /"},
		{name: "target-body", args: []string{"live", "--target", target, "--body", "{}"}, code: 2, names: `--body "{}": has no {amount}`, accepted: "a template with {amount}"},
		{name: "target-header", args: []string{"live", "--target", target, "--header", "NoColon"}, code: 2, names: `--header "NoColon"`, accepted: "'Name: value'"},
		{name: "target-sql-no-dsn", args: []string{"live", "--target", target, "--effects-sql", "select count(*) from p where k = $1"}, code: 2, names: "--effects-sql needs --effects-dsn", accepted: "the PostgreSQL to run it on"},
		{name: "target-sql-no-param", args: []string{"live", "--target", target, "--effects-dsn", "postgres://x", "--effects-sql", "select 1"}, code: 2, names: `--effects-sql "select 1": has no $1`, accepted: "with $1 the key"},
		{name: "target-both-effects", args: []string{"live", "--target", target, "--effects-url", "http://127.0.0.1:1/{key}", "--effects-dsn", "x", "--effects-sql", "$1"}, code: 2, names: "--effects-sql and --effects-url", accepted: "either, or neither"},
		{name: "target-count-field-alone", args: []string{"live", "--target", target, "--effects-count-field", "n"}, code: 2, names: "--effects-count-field needs --effects-url", accepted: "--effects-url"},
		{name: "target-rate", args: []string{"live", "--target", target, "--max-rate", "0"}, code: 2, names: `--max-rate "0"`, accepted: "a number > 0"},
		{name: "target-strategy", args: []string{"live", "--target", target, "--strategy", "naive"}, code: 2, names: "--strategy: not with --target", accepted: "one service of yours"},
		{name: "target-servers", args: []string{"live", "--target", target, "--servers", "2"}, code: 2, names: "--servers: not with --target", accepted: "one service of yours"},
		{name: "target-crash-no-cmd", args: []string{"live", "--target", target, "--crash", "s1@1s+1s"}, code: 2, names: "a crash of the service", accepted: "needs --restart-cmd"},
		{name: "target-db-fault", args: []string{"live", "--target", target, "--db-lost-commit-ack", "0.1"}, code: 2, names: "--db-lost-commit-ack: not with --target", accepted: "a target's faults are the network's"},
		{name: "target-flag-alone", args: []string{"live", "--effects-url", "http://127.0.0.1:1/{key}"}, code: 2, names: "--effects-url needs --target URL", accepted: "the service to check"},
		{name: "target-empty", args: []string{"live", "--target", ""}, code: 2, names: "--target needs a value that is not empty", accepted: "not empty"},
		{name: "target-allow-remote-value", args: []string{"live", "--target", target, "--allow-remote=yes"}, code: 2, names: "--allow-remote takes no value", accepted: "the bare flag"},
	})
}

// replayingService pays once per key and replays its answer for any body
// (it never compares the payload): the examples' no-payload-check
// mistake, in memory.
func replayingService() http.Handler {
	var mu sync.Mutex
	answers := map[string]string{}
	rows := map[string][]string{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		key := r.Header.Get("Idempotency-Key")
		if r.Method == http.MethodGet {
			json.NewEncoder(w).Encode(append([]string{}, rows[r.URL.Query().Get("key")]...))
			return
		}
		if _, ok := answers[key]; !ok {
			id := fmt.Sprintf("pay_%d", len(answers)+1)
			answers[key] = fmt.Sprintf(`{"id": %q, "status": "succeeded"}`, id)
			rows[key] = append(rows[key], id)
		}
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, answers[key])
	})
}

// Goal: the command checks a service through HTTP alone and prints and
// writes what a live run does: the verdict (here the lost second payment
// of a reused key), how the effects were counted (or that they were not),
// and with --out the summary and the sequence diagram; the command line it
// prints has the target flags, to run it again. Method: a stand-in that
// never compares payloads, on loopback, with clients reusing keys; once
// with --effects-url, once without.
func TestTargetCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("live: runs clients for a second")
	}
	rerun := testcmd.Rerun(t, "./cli")
	svc := httptest.NewServer(replayingService())
	defer svc.Close()
	base := []string{"live", "--target", svc.URL, "--reuse-key", "0.5", "--clients", "3", "--ops", "6", "--seed", "7",
		"--think", "const:5ms", "--timeout", "300ms"}
	for _, tc := range []struct {
		name    string
		extra   []string
		effects string
		verdict string
	}{
		{"effects-url", []string{"--effects-url", svc.URL + "/payments?key={key}"}, "effects    counted by --effects-url", "LOST"},
		{"inferred", nil, "effects    NOT COUNTED", "LOST"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			var stdout, stderr bytes.Buffer
			args := append(append(append([]string{}, base...), tc.extra...), "--out", dir)
			require.Equal(t, 0, run(args, &stdout, &stderr), "%s\n%s", stderr.String(), rerun)
			out := stdout.String()
			assert.Contains(t, out, "strategy   target (contract replay): the service at "+svc.URL, rerun)
			assert.Contains(t, out, tc.effects, rerun)
			assert.Contains(t, out, tc.verdict, rerun)
			assert.Contains(t, out, `--target "`+svc.URL+`"`, "the command line names the target; %s", rerun)
			for _, name := range []string{outSummary, outSVG} {
				b, err := os.ReadFile(filepath.Join(dir, name))
				require.NoError(t, err, rerun)
				assert.NotEmpty(t, b, "%s; %s", name, rerun)
			}
			assert.False(t, strings.Contains(out, "work       "), "no line for our work against a target; %s", rerun)
			faults, err := os.ReadFile(filepath.Join(dir, outFaults))
			require.NoError(t, err, rerun)
			assert.Contains(t, string(faults), "; replay with: idemsim live <the same flags> --replay ", "a target's fault list replays with live, not run; %s", rerun)
		})
	}
}
