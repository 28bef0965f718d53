package world

import (
	"strconv"
	"strings"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/db/sql"
)

// Statement is one statement a strategy's actor (a request's handler or
// a background worker) sent to the database, with what the actor got
// back: Config.LogStatements collects them in Result.Statements, and a
// live run logs the same from PostgreSQL, so that the two can be matched
// call by call.
type Statement struct {
	// Actor is the call reference of the handler or worker, as the
	// simulation numbers them ("c1/o1.1/a1", "s1/consumer"), and Call
	// the statement's number among the actor's database calls (its
	// reference is Actor + "/db" + Call).
	Actor string `json:"actor"`
	Call  int32  `json:"call"`
	// Text is the statement as StatementText normalises it.
	Text string `json:"text"`
	// Code is "ok" or the SQLSTATE the actor got; Count the rows it
	// returned (a statement with a result set) or those it inserted,
	// updated or deleted, -1 for neither (BEGIN, COMMIT, an error).
	Code  string `json:"code"`
	Count int    `json:"count"`
	// Waited: the statement waited for a lock another transaction held
	// (a row lock, a uniqueness check on an uncommitted key, a
	// transaction's end), however it then ended.
	Waited bool `json:"waited,omitempty"`
}

// NewStatement is the log entry of call number call of actor, which sent
// query and got res and err. Both sides build their entries with it, so
// that the same answer reads the same.
func NewStatement(actor faults.Ref, call int32, query string, res api.Result, err error, waited bool) Statement {
	actor.Service, actor.Call = api.NoService, 0
	st := Statement{Actor: actor.String(), Call: call, Text: StatementText(query), Code: "ok", Count: -1, Waited: waited}
	switch {
	case err != nil:
		st.Code = api.SQLState(err)
		if st.Code == "" {
			st.Code = "error"
		}
	case res.Cols != nil:
		st.Count = len(res.Rows)
	case writes(st.Text):
		st.Count = res.Affected
	}
	return st
}

// StatementText is query with its runs of white space made one space,
// trimmed, in lower case outside quoted literals: the strategies send the
// same text to either database, and this only evens out how it was
// written.
func StatementText(query string) string {
	var b strings.Builder
	quoted, space := false, false
	for _, r := range strings.TrimSpace(query) {
		switch {
		case r == '\'':
			quoted = !quoted
		case !quoted && (r == ' ' || r == '\t' || r == '\n' || r == '\r'):
			space = true
			continue
		case !quoted && r >= 'A' && r <= 'Z':
			r += 'a' - 'A'
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// writes reports whether text is an INSERT, UPDATE or DELETE, whose
// answer without a result set is the number of rows it changed.
func writes(text string) bool {
	verb, _, _ := strings.Cut(text, " ")
	return verb == "insert" || verb == "update" || verb == "delete"
}

// Result is the statement's answer as one word: the SQLSTATE, or "ok"
// with its count.
func (s Statement) Result() string {
	if s.Count < 0 {
		return s.Code
	}
	return s.Code + " " + strconv.Itoa(s.Count)
}

// logStatement records a statement env e sent on the database as call
// number call, when the run logs them. A COMMIT that rolled back a failed
// transaction is logged as the 25P02 the strategy is told.
func (e *env) logStatement(kind stmtKind, call int32, text string, res *dbReply) {
	w := e.s.w
	if !w.cfg.LogStatements {
		return
	}
	var r api.Result
	err := res.err
	if err == nil {
		r = result(res.res)
		if res.res.RolledBack {
			err = &sql.Error{Code: sql.CodeInFailedTransaction}
		}
	}
	if kind == stmtReplica {
		text = "[replica] " + text
	}
	w.statements = append(w.statements, NewStatement(e.ref, call, text, r, err, res.waited))
}
