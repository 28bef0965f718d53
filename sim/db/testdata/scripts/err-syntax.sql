# Syntax errors, in autocommit and inside a transaction (no levels: one run
# at the default, read committed).
# Claim: PostgreSQL reports a statement it cannot parse as 42601
# (syntax_error), and inside a transaction that error fails the transaction
# like any other.
# Expected: 42601 for each misspelt statement; in the transaction, the next
# statement fails with 25P02 and the commit is rolled back.
create table test (id int primary key, value int)
insert into test (id, value) values (1, 10), (2, 20)
t1: selec * from test                           # 42601
t1: select * form test                          # 42601
t1: begin
t1: update test set value = 11 where id = 1
t1: update test value = 12 where id = 1         # 42601
t1: select * from test                          # 25P02
t1: commit                                      # rolled back
t1: select * from test                          # unchanged
