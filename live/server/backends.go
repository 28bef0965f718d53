package server

import (
	"github.com/idemsim/idemsim/live/pgdb"
	"github.com/idemsim/idemsim/live/pgqueue"
	"github.com/idemsim/idemsim/sim/api"
)

// Postgres is a live/pgdb pool as a life's Database.
func Postgres(db *pgdb.DB) Database { return postgres{db} }

type postgres struct{ db *pgdb.DB }

func (p postgres) Session(tag string, fault func(int, string) DBFault) Session {
	return p.db.Session(tag, func(call int, query string) pgdb.Fault {
		switch fault(call, query) {
		case DBDropConnection:
			return pgdb.DropConnection
		case DBLostCommitAck:
			return pgdb.LostCommitAck
		}
		return pgdb.NoFault
	}).(*pgdb.Session)
}

func (p postgres) Kill() { p.db.Kill() }

// PostgresQueue is a live/pgqueue queue as a life's Queue.
func PostgresQueue(q *pgqueue.Queue) Queue { return pgQueue{q} }

type pgQueue struct{ q *pgqueue.Queue }

func (q pgQueue) For(tag string, adopt func(string)) api.Queue { return q.q.For(tag, adopt) }
func (q pgQueue) Kill()                                        { q.q.Kill() }
