package livetest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/idemsim/idemsim/live/instance"
)

// PostgresBin is where Debian's postgresql-15 package puts the server's
// programs.
const PostgresBin = instance.PostgresBin

// Postgres is a throwaway PostgreSQL 15 server, stopped and removed when
// the test that started it ends.
type Postgres struct {
	Dir  string // holds the data directory, the log and the unix socket
	Port int
	DSN  string // the postgres database, as superuser postgres, over TCP on loopback
	inst *instance.Postgres
}

// StartPostgres starts a PostgreSQL 15 server of its own on a free
// loopback port in a new temporary directory (live/instance does the
// work), and registers its stop and the directory's removal with
// t.Cleanup. Without the server's programs it skips (or fails under
// CI=true, see Need).
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	for _, prog := range instance.PostgresPrograms {
		Need(t, "PostgreSQL 15", filepath.Join(PostgresBin, prog))
	}
	// Not t.TempDir: its parent is private to our user, and a server run
	// as postgres could not reach it.
	dir, err := os.MkdirTemp("", "idemsim-live-pg-")
	if err != nil {
		t.Fatalf("livetest: temporary directory for PostgreSQL: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	inst, err := instance.StartPostgres(context.Background(), dir)
	if err != nil {
		t.Fatalf("livetest: %v", err)
	}
	t.Cleanup(func() {
		if err := inst.Stop(); err != nil {
			t.Errorf("livetest: %v", err)
		}
	})
	return &Postgres{Dir: dir, Port: inst.Port(), DSN: inst.DSN(), inst: inst}
}

// DatabaseDSN is the DSN of database name on the same server.
func (p *Postgres) DatabaseDSN(name string) string { return p.inst.DatabaseDSN(name) }

// CreateDatabase creates database name and returns its DSN, failing t if
// it cannot.
func (p *Postgres) CreateDatabase(t testing.TB, name string) string {
	t.Helper()
	if err := p.inst.CreateDatabase(name); err != nil {
		t.Fatalf("livetest: %v", err)
	}
	return p.DatabaseDSN(name)
}
