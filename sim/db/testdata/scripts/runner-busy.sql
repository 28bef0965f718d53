# levels: read committed
# The runner's own rules: a statement for a session whose previous statement
# is still blocked, and a statement still blocked at the end of the script.
# Claim: none about PostgreSQL; this fixes the output format the simulator
# must reproduce.
# Expected: t2's update blocks on t1's row lock; t2's commit is not sent
# (`session busy`); t1 never commits, so at the end t2 is `still blocked`
# and is cancelled.
create table test (id int primary key, value int)
insert into test (id, value) values (1, 10), (2, 20)
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: update test set value = 11 where id = 1
t2: update test set value = 12 where id = 1      # blocks
t2: commit                                      # session busy
t1: select * from test where id = 1             # 1 => 11
