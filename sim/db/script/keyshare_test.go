package script_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim/db/script"
)

// Goal: a FOR KEY SHARE that waits for an update of the row's key takes,
// once that ends, the row's lock as it is then — the lock it found may
// have been released by all and forgotten meanwhile — and so does not
// crash when it finds the row deleted (FuzzScript found a nil lock
// there, from `idemsim sql`). Method: the script FuzzScript reduced to:
// t1's delete waits for t3's updates, t2's key share for the key update;
// t3 commits, t1 deletes the row, t2 finds it gone.
func TestKeyShareAfterWaitingForAnUpdate(t *testing.T) {
	rerun := testcmd.Rerun(t, "./sim/db/script")
	sc, err := script.Parse("keyshare.sql", `create table jobs (id int primary key, a text)
insert into jobs values (3)
t3: begin
t3: update jobs set id = 3
t1: selec
t1: delete from jobs
t3: update jobs set id = 0
t2: select * from jobs for key share
t3: commit
`)
	require.NoError(t, err, rerun)
	assert.Equal(t, []string{
		"t3: begin => ok",
		"t3: update jobs set id = 3 => ok 1",
		"t1: selec => error 42601",
		"t1: delete from jobs => blocked",
		"t3: update jobs set id = 0 => ok 1",
		"t2: select * from jobs for key share => blocked",
		"t3: commit => ok",
		"t1: resumed => ok 1",
		"t2: resumed => rows",
	}, script.Run(sc, "", script.DefaultOptions()), rerun)
}
