package pgdb

import (
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/idemsim/idemsim/sim/api"
)

// Link decides whether the message of one call is lost on the link
// between the session and PostgreSQL, as the simulated network decides it
// for a statement (a partition, a fault on the service link): it is asked
// before the call is sent (answered false) and once its answer has come
// (answered true), for every numbered call that gets that far. A request
// lost never runs; an answer lost comes after the statement ran (a COMMIT
// committed). Either way the connection breaks, as the simulated one does:
// PostgreSQL rolls back what was open on it, and the caller gets 08006.
// The Link does its own waiting (the simulated caller hears of the break
// when the lost message would have arrived) before it answers true.
type Link func(call int, answered bool) bool

// errLinkLost is the simulation's answer to a call whose message was lost
// (sim/world/dbnode.go, env.exec).
var errLinkLost = connectionLost("a message to the database was lost; the connection is broken")

// SetLink puts the session's calls under link (nil: none is lost).
func (s *Session) SetLink(link Link) { s.link = link }

// lost asks the session's Link about call.
func (s *Session) lost(call int, answered bool) bool {
	return s.link != nil && s.link(call, answered)
}

// lostAnswer asks the Link about the answer err to call on conn, unless
// the connection broke on its own (no answer came): when the answer is
// lost the connection is cut, and the caller gets errLinkLost instead.
func (s *Session) lostAnswer(call int, conn *pgx.Conn, err error) error {
	if errors.Is(err, api.ErrConnection) || !s.lost(call, true) {
		return err
	}
	cut(conn)
	return errLinkLost
}
