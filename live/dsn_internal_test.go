package live

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
)

// Goal: the run's database replaces the one a DSN names, in both of
// PostgreSQL's DSN forms, keeping everything else. Method: a table.
func TestWithDatabase(t *testing.T) {
	for _, tc := range []struct{ dsn, want string }{
		{"postgres://u:p@127.0.0.1:5432/postgres?sslmode=disable", "postgres://u:p@127.0.0.1:5432/run1?sslmode=disable"},
		{"postgresql://127.0.0.1:5432", "postgresql://127.0.0.1:5432/run1"},
		{"postgres://h/", "postgres://h/run1"},
		{"host=/tmp port=5432 dbname=postgres user=postgres", "host=/tmp port=5432 user=postgres dbname=run1"},
		{"host=/tmp port=5432", "host=/tmp port=5432 dbname=run1"},
	} {
		t.Run(tc.dsn, func(t *testing.T) {
			got, err := withDatabase(tc.dsn, "run1")
			require.NoError(t, err, testcmd.Rerun(t, "./live"))
			assert.Equal(t, tc.want, got, testcmd.Rerun(t, "./live"))
		})
	}
}
