package pgdb_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/livetest"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/live/pgdb"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// linkScenario makes each kind of call a message of which a Link can
// lose (an autocommit statement, BEGIN, a statement of a transaction,
// COMMIT, ROLLBACK), going on past a BEGIN that failed; its last two
// reads show what committed, even when the first of them is lost.
var linkScenario = scenario{name: "link", setup: []string{paymentsUniqueDDL}, body: func(r *recorder, d api.DB) {
	r.exec("pay k0", d, pay, api.Text("k0"), api.Int(7), api.Text("usd"))
	if tx := r.begin("begin 1", d, api.DefaultLevel); tx != nil {
		r.exec("pay k1", tx, pay, k1, api.Int(100), api.Text("usd"))
		r.exec("count in tx", tx, "select count(*) from payments")
		r.end("commit 1", tx.Commit())
	}
	if tx := r.begin("begin 2", d, api.DefaultLevel); tx != nil {
		r.exec("pay k2", tx, pay, k2, api.Int(5), api.Text("eur"))
		r.end("rollback 2", tx.Rollback())
	}
	r.exec("payments", d, "select idempotency_key from payments order by id")
	r.exec("payments again", d, "select idempotency_key from payments order by id")
}}

// Goal: a message a session's Link loses has the effect the simulated
// network's loss of the same message has: a request lost never runs, an
// answer lost comes after the statement ran (a COMMIT committed, an
// autocommit insert stays), the connection breaks (PostgreSQL rolls back
// what was open), the caller gets 08006, and the calls after it are
// numbered as the simulation numbers them. Method: linkScenario once per
// database call number k and direction, in a one-request world replaying
// a drop of the request or of the response of the handler's k-th database
// call (a fault on the service link), and live in a session whose Link
// loses that message; every statement's outcome must be equal.
func TestSessionLinkLosses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	rerun := testcmd.Rerun(t, "./live/pgdb")
	pg := livetest.StartPostgres(t)
	d, _ := openDB(t, pg, "link", 2, rerun, paymentsUniqueDDL)
	const calls = 10 // linkScenario's calls
	for _, c := range []struct {
		kind     faults.Kind
		answered bool
	}{{faults.DropRequest, false}, {faults.DropResponse, true}} {
		for k := 1; k <= calls; k++ {
			t.Run(fmt.Sprintf("%s-at-db%d", c.kind, k), func(t *testing.T) {
				rerun := testcmd.Rerun(t, "./live/pgdb")
				ref, err := faults.ParseRef(fmt.Sprintf("c1/o1.1/a1/db%d", k))
				require.NoError(t, err, rerun)
				simulated, res := runSimulated(t, linkScenario, rerun, func(cfg *world.Config) {
					cfg.Faults.Replay = []faults.Fault{{Kind: c.kind, Msg: ref}}
				})
				require.Empty(t, res.Unfired, "the simulated loss happened; %s", rerun)

				_, err = d.Exec("truncate payments restart identity")
				require.NoError(t, err, rerun)
				sess := d.Session("o1.1", nil).(*pgdb.Session)
				lost := 0
				sess.SetLink(func(call int, answered bool) bool {
					if call == k && answered == c.answered {
						lost++
						return true
					}
					return false
				})
				var r recorder
				linkScenario.body(&r, sess)
				sess.Finish()
				assert.Equal(t, 1, lost, "the Link lost the message once; %s", rerun)
				assert.Equal(t, outcomesText(simulated), outcomesText(r.out), rerun)
			})
		}
	}
}
