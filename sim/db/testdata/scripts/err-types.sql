# Literals of the wrong type (no levels).
# Claim: inserting text into an int column fails with 22P02
# (invalid_text_representation) -- PostgreSQL types a quoted literal from its
# column, so '3' into an int column is accepted and only text that is not an
# integer fails.
# Expected: 'x' into an int column is 22P02; '3' into an int column inserts
# 3; an integer into a text column is assigned as its text (ok); comparing
# an int column with 'x' is 22P02; comparing a text column with an integer
# is 42883 (no operator text = integer).
create table test (id int primary key, value int)
create table idempotency_keys (key text primary key, status text, response int)
t1: insert into test (id, value) values ('x', 1)           # 22P02
t1: insert into test (id, value) values (3, 'thirty')      # 22P02
t1: insert into test (id, value) values ('3', '30')        # ok 1
t1: insert into idempotency_keys (key, status, response) values (5, 'started', 200)   # ok 1
t1: update test set value = 'x' where id = 3               # 22P02
t1: select * from test where id = 'x'                      # 22P02
t1: select * from idempotency_keys where key = 5           # 42883
t1: select * from test
t1: select * from idempotency_keys
