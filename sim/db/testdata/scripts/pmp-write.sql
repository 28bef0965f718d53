# levels: read uncommitted, read committed, repeatable read, serializable
# PMP for write predicates (Hermitage, postgres.md; the example from the
# PostgreSQL documentation).
# Claims: 'Postgres "read committed" does not prevent Predicate-Many-Preceders
# (PMP) for write predicates' and 'Postgres "repeatable read" prevents
# Predicate-Many-Preceders (PMP) for write predicates'.
# Expected: t2's delete waits for t1's row locks. At read committed it then
# re-checks the new row versions (now 20 and 30), deletes nothing (ok 0) and
# its select returns 1 => 20 "despite ostensibly having been deleted". At
# repeatable read and serializable the delete resumes with 40001 ("could not
# serialize access due to concurrent update"); the rest of t2 fails.
# Hermitage ends the repeatable read case with abort; here t2 commits, which
# a failed transaction answers with ROLLBACK.
create table test (id int primary key, value int)
insert into test (id, value) values (1, 10), (2, 20)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: update test set value = value + 10
t2: delete from test where value = 20            # blocks
t1: commit                                      # unblocks t2
t2: select * from test where value = 20         # read committed: 1 => 20
t2: commit
