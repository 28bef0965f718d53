package cli

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
)

// Goal: idemsim shrink --target refuses its bad flags, and the live
// target flags' own, in one line naming the flag and what is accepted,
// with exit status 2, before it sends anything. Method: the usage table
// (checkUsageCases); no service answers at the target.
func TestShrinkTargetInvalidInput(t *testing.T) {
	const target = "http://127.0.0.1:1"
	checkUsageCases(t, []usageCase{
		{name: "need-above-reruns", args: []string{"shrink", "--target", target, "--need", "3", "--reruns", "2"}, code: 2, names: "--need 3 of --reruns 2", accepted: "--need at most --reruns"},
		{name: "need-zero", args: []string{"shrink", "--target", target, "--need", "0"}, code: 2, names: `--need: "0"`, accepted: "[1, 100]"},
		{name: "max-runs-small", args: []string{"shrink", "--target", target, "--max-runs", "2"}, code: 2, names: "--max-runs 2", accepted: "at least --reruns"},
		{name: "budget", args: []string{"shrink", "--target", target, "--budget", "soon"}, code: 2, names: "--budget", accepted: "a Go duration"},
		{name: "kind", args: []string{"shrink", "--target", target, "--kind", "slow"}, code: 2, names: `--kind: "slow"`, accepted: "duplicate"},
		{name: "live-out", args: []string{"shrink", "--target", target, "--faults-out", "$DIR/f"}, code: 2, names: "--faults-out: not with --target", accepted: "--out DIR"},
		{name: "out-parent", args: []string{"shrink", "--target", target, "--out", "$DIR/no/such"}, code: 2, names: "--out $DIR/no/such", accepted: "does not exist"},
		{name: "remote", args: []string{"shrink", "--target", "http://10.1.2.3:8080"}, code: 2, names: "idemsim shrink", accepted: "--allow-remote for another host"},
		{name: "strategy", args: []string{"shrink", "--target", target, "--strategy", "naive"}, code: 2, names: "--strategy: not with --target", accepted: "one service of yours"},
		{name: "stray", args: []string{"shrink", "--target", target, "--need", "2", "extra"}, code: 2, names: "extra", accepted: "--"},
	})
}

// forgetfulService pays every request it gets, whatever its key: a retry
// after a lost answer pays twice.
func forgetfulService() http.Handler {
	var mu sync.Mutex
	rows := map[string][]string{}
	n := 0
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Method == http.MethodGet {
			fmt.Fprintf(w, "[%s]", strings.Join(rows[r.URL.Query().Get("key")], ","))
			return
		}
		n++
		key := r.Header.Get("Idempotency-Key")
		rows[key] = append(rows[key], strconv.Quote(fmt.Sprintf("pay_%d", n)))
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"id": "pay_%d", "status": "succeeded"}`, n)
	})
}

// racyService checks the key, works for 40 ms, then pays and stores the
// answer (the check outside the transaction): two requests racing on one
// key both miss it and both pay.
func racyService() http.Handler {
	var mu sync.Mutex
	answers := map[string]string{}
	rows := map[string][]string{}
	n := 0
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		mu.Lock()
		if r.Method == http.MethodGet {
			fmt.Fprintf(w, "[%s]", strings.Join(rows[r.URL.Query().Get("key")], ","))
			mu.Unlock()
			return
		}
		answer, seen := answers[key]
		mu.Unlock()
		if !seen {
			time.Sleep(40 * time.Millisecond)
			mu.Lock()
			n++
			answer = fmt.Sprintf(`{"id": "pay_%d", "status": "succeeded"}`, n)
			answers[key] = answer
			rows[key] = append(rows[key], strconv.Quote(fmt.Sprintf("pay_%d", n)))
			mu.Unlock()
		}
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, answer)
	})
}

// keptRE reads the sizes off the line the shrink ends with.
var keptRE = regexp.MustCompile(`kept \(in (\d) of (\d) runs\): .* -> (\d+) faults?, (\d+) clients? x `)

// Goal: idemsim shrink --target makes a failing run against a live
// service minimal, for the bound (at most two faults and two
// clients), keeping the kind of violation in at least 2 of 3 reruns; it
// prints the minimal command line and runs it once more, whose summary
// shows the violation and whose --out holds the sequence diagram; the
// command line it prints runs as it is. Method: three in-memory stand-ins
// on loopback, each behind a world with faults, clients and operations
// the violation does not need: one that never compares payloads (a reused
// key's second payment is lost), one that pays every request (a lost
// answer's retry pays twice), one that checks the key outside its work
// (two racing workers pay twice).
func TestShrinkTarget(t *testing.T) {
	if testing.Short() {
		t.Skip("live: shrinks against a service for tens of seconds")
	}
	for _, tc := range []struct {
		name    string
		svc     http.Handler
		args    []string
		verdict string
	}{
		{"never-compares-payloads", replayingService(), []string{"--reuse-key", "0.5", "--drop-response", "0.2"}, "LOST"},
		{"pays-every-request", forgetfulService(), []string{"--drop-response", "0.2", "--duplicate", "0.1"}, "DUPLICATE"},
		{"checks-outside-its-work", racyService(), []string{"--workers-per-op", "2", "--drop-request", "0.1"}, "DUPLICATE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./cli")
			svc := httptest.NewServer(tc.svc)
			defer svc.Close()
			dir := filepath.Join(t.TempDir(), "out")
			args := append([]string{"shrink", "--target", svc.URL, "--effects-url", svc.URL + "/payments?key={key}",
				"--clients", "4", "--ops", "4", "--seed", "3", "--think", "const:2ms", "--timeout", "200ms", "--settle", "50ms",
				"--max-runs", "150", "--out", dir}, tc.args...)
			var stdout, stderr bytes.Buffer
			require.Equal(t, 0, run(args, &stdout, &stderr), "%s\n%s", stderr.String(), rerun)
			t.Logf("stderr:\n%s\nstdout:\n%s", stderr.String(), stdout.String())
			m := keptRE.FindStringSubmatch(stderr.String())
			require.NotNil(t, m, "the closing line; stderr: %s\n%s", stderr.String(), rerun)
			shown, _ := strconv.Atoi(m[1])
			nFaults, _ := strconv.Atoi(m[3])
			nClients, _ := strconv.Atoi(m[4])
			assert.GreaterOrEqual(t, shown, 2, "%s\n%s", stderr.String(), rerun)
			assert.LessOrEqual(t, nFaults, 2, "%s\n%s", stderr.String(), rerun)
			assert.LessOrEqual(t, nClients, 2, "%s\n%s", stderr.String(), rerun)
			out := stdout.String()
			require.True(t, strings.HasPrefix(out, "minimal    idemsim live "), "%s\n%s", out, rerun)
			assert.Contains(t, out, tc.verdict, rerun)
			if !strings.Contains(stderr.String(), "did not show") {
				b, err := os.ReadFile(filepath.Join(dir, outSVG))
				require.NoError(t, err, rerun)
				assert.NotEmpty(t, b, rerun)
			}
			// The printed command line runs as it is (a shell would
			// unquote it the same way).
			line, _, _ := strings.Cut(strings.TrimPrefix(out, "minimal    idemsim "), "\n")
			stdout.Reset()
			stderr.Reset()
			require.Equal(t, 0, run(shellWords(t, line), &stdout, &stderr), "%s\n%s", stderr.String(), rerun)
			assert.Contains(t, stdout.String(), "faults     ", rerun)
		})
	}
}

// shellWords splits a command line quoted by shellQuote.
func shellWords(t *testing.T, line string) []string {
	var words []string
	var cur strings.Builder
	in, any := false, false
	for _, r := range line {
		switch {
		case r == '\'':
			in, any = !in, true
		case r == ' ' && !in:
			if any {
				words = append(words, cur.String())
			}
			cur.Reset()
			any = false
		default:
			cur.WriteRune(r)
			any = true
		}
	}
	require.False(t, in, "unbalanced quotes in %q", line)
	if any {
		words = append(words, cur.String())
	}
	return words
}
