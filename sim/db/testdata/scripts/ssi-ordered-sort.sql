# levels: read uncommitted, read committed, repeatable read, serializable
# Which plan a queue worker's claim gets decides what it reads. For ORDER
# BY id LIMIT n with a WHERE on a column without an index, PostgreSQL
# prices reading the primary key in order against sorting a table scan.
# On a table it has no statistics on it guesses the rows from its size
# (at least ten pages' worth, here 1,270) and expects state = 'pending' to
# keep 0.5% of them, six: LIMIT 1 then reads the index in order and stops
# at the first pending job, while LIMIT 3 sorts a scan of the whole table
# and, at serializable, holds a read lock on all of it. The 300 jobs fill
# two heap pages. In the first round t1 claims three jobs; t2 marks job
# 300, on the second page, done and reads job 1, which t1 has marked
# running: each read what the other wrote. t1 commits first and t2 fails.
# In the second round t1 claims one job (LIMIT 1) and reads jobs 1 and 2
# only, so only t2 depends on t1 and both commit.
# Why it matters to an idempotency strategy: a worker that claims a batch
# depends on every job in the table, not only on those it got, and a
# worker that only marked some other job fails for it.
# Expected (checked on PostgreSQL 15): below serializable all succeed; at
# serializable t2's commit fails with 40001 in the first round, and both
# commit in the second.
create table jobs (id int primary key, state text not null)
insert into jobs values (1, 'pending'), (2, 'pending'), (3, 'pending'), (4, 'pending'), (5, 'pending'), (6, 'pending'), (7, 'pending'), (8, 'pending'), (9, 'pending'), (10, 'pending'), (11, 'pending'), (12, 'pending'), (13, 'pending'), (14, 'pending'), (15, 'pending'), (16, 'pending'), (17, 'pending'), (18, 'pending'), (19, 'pending'), (20, 'pending'), (21, 'pending'), (22, 'pending'), (23, 'pending'), (24, 'pending'), (25, 'pending'), (26, 'pending'), (27, 'pending'), (28, 'pending'), (29, 'pending'), (30, 'pending'), (31, 'pending'), (32, 'pending'), (33, 'pending'), (34, 'pending'), (35, 'pending'), (36, 'pending'), (37, 'pending'), (38, 'pending'), (39, 'pending'), (40, 'pending'), (41, 'pending'), (42, 'pending'), (43, 'pending'), (44, 'pending'), (45, 'pending'), (46, 'pending'), (47, 'pending'), (48, 'pending'), (49, 'pending'), (50, 'pending'), (51, 'pending'), (52, 'pending'), (53, 'pending'), (54, 'pending'), (55, 'pending'), (56, 'pending'), (57, 'pending'), (58, 'pending'), (59, 'pending'), (60, 'pending'), (61, 'pending'), (62, 'pending'), (63, 'pending'), (64, 'pending'), (65, 'pending'), (66, 'pending'), (67, 'pending'), (68, 'pending'), (69, 'pending'), (70, 'pending'), (71, 'pending'), (72, 'pending'), (73, 'pending'), (74, 'pending'), (75, 'pending'), (76, 'pending'), (77, 'pending'), (78, 'pending'), (79, 'pending'), (80, 'pending'), (81, 'pending'), (82, 'pending'), (83, 'pending'), (84, 'pending'), (85, 'pending'), (86, 'pending'), (87, 'pending'), (88, 'pending'), (89, 'pending'), (90, 'pending'), (91, 'pending'), (92, 'pending'), (93, 'pending'), (94, 'pending'), (95, 'pending'), (96, 'pending'), (97, 'pending'), (98, 'pending'), (99, 'pending'), (100, 'pending'), (101, 'pending'), (102, 'pending'), (103, 'pending'), (104, 'pending'), (105, 'pending'), (106, 'pending'), (107, 'pending'), (108, 'pending'), (109, 'pending'), (110, 'pending'), (111, 'pending'), (112, 'pending'), (113, 'pending'), (114, 'pending'), (115, 'pending'), (116, 'pending'), (117, 'pending'), (118, 'pending'), (119, 'pending'), (120, 'pending'), (121, 'pending'), (122, 'pending'), (123, 'pending'), (124, 'pending'), (125, 'pending'), (126, 'pending'), (127, 'pending'), (128, 'pending'), (129, 'pending'), (130, 'pending'), (131, 'pending'), (132, 'pending'), (133, 'pending'), (134, 'pending'), (135, 'pending'), (136, 'pending'), (137, 'pending'), (138, 'pending'), (139, 'pending'), (140, 'pending'), (141, 'pending'), (142, 'pending'), (143, 'pending'), (144, 'pending'), (145, 'pending'), (146, 'pending'), (147, 'pending'), (148, 'pending'), (149, 'pending'), (150, 'pending'), (151, 'pending'), (152, 'pending'), (153, 'pending'), (154, 'pending'), (155, 'pending'), (156, 'pending'), (157, 'pending'), (158, 'pending'), (159, 'pending'), (160, 'pending'), (161, 'pending'), (162, 'pending'), (163, 'pending'), (164, 'pending'), (165, 'pending'), (166, 'pending'), (167, 'pending'), (168, 'pending'), (169, 'pending'), (170, 'pending'), (171, 'pending'), (172, 'pending'), (173, 'pending'), (174, 'pending'), (175, 'pending'), (176, 'pending'), (177, 'pending'), (178, 'pending'), (179, 'pending'), (180, 'pending'), (181, 'pending'), (182, 'pending'), (183, 'pending'), (184, 'pending'), (185, 'pending'), (186, 'pending'), (187, 'pending'), (188, 'pending'), (189, 'pending'), (190, 'pending'), (191, 'pending'), (192, 'pending'), (193, 'pending'), (194, 'pending'), (195, 'pending'), (196, 'pending'), (197, 'pending'), (198, 'pending'), (199, 'pending'), (200, 'pending'), (201, 'pending'), (202, 'pending'), (203, 'pending'), (204, 'pending'), (205, 'pending'), (206, 'pending'), (207, 'pending'), (208, 'pending'), (209, 'pending'), (210, 'pending'), (211, 'pending'), (212, 'pending'), (213, 'pending'), (214, 'pending'), (215, 'pending'), (216, 'pending'), (217, 'pending'), (218, 'pending'), (219, 'pending'), (220, 'pending'), (221, 'pending'), (222, 'pending'), (223, 'pending'), (224, 'pending'), (225, 'pending'), (226, 'pending'), (227, 'pending'), (228, 'pending'), (229, 'pending'), (230, 'pending'), (231, 'pending'), (232, 'pending'), (233, 'pending'), (234, 'pending'), (235, 'pending'), (236, 'pending'), (237, 'pending'), (238, 'pending'), (239, 'pending'), (240, 'pending'), (241, 'pending'), (242, 'pending'), (243, 'pending'), (244, 'pending'), (245, 'pending'), (246, 'pending'), (247, 'pending'), (248, 'pending'), (249, 'pending'), (250, 'pending'), (251, 'pending'), (252, 'pending'), (253, 'pending'), (254, 'pending'), (255, 'pending'), (256, 'pending'), (257, 'pending'), (258, 'pending'), (259, 'pending'), (260, 'pending'), (261, 'pending'), (262, 'pending'), (263, 'pending'), (264, 'pending'), (265, 'pending'), (266, 'pending'), (267, 'pending'), (268, 'pending'), (269, 'pending'), (270, 'pending'), (271, 'pending'), (272, 'pending'), (273, 'pending'), (274, 'pending'), (275, 'pending'), (276, 'pending'), (277, 'pending'), (278, 'pending'), (279, 'pending'), (280, 'pending'), (281, 'pending'), (282, 'pending'), (283, 'pending'), (284, 'pending'), (285, 'pending'), (286, 'pending'), (287, 'pending'), (288, 'pending'), (289, 'pending'), (290, 'pending'), (291, 'pending'), (292, 'pending'), (293, 'pending'), (294, 'pending'), (295, 'pending'), (296, 'pending'), (297, 'pending'), (298, 'pending'), (299, 'pending'), (300, 'pending')
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select id from jobs where state = 'pending' order by id for update skip locked limit 3
t1: update jobs set state = 'running' where id = 1 returning id, state
t2: update jobs set state = 'done' where id = 300
t2: select * from jobs where id = 1
t1: commit
t2: commit
t1: begin transaction isolation level {level}
t2: begin transaction isolation level {level}
t1: select id from jobs where state = 'pending' order by id for update skip locked limit 1
t1: update jobs set state = 'running' where id = 2 returning id, state
t2: update jobs set state = 'done' where id = 299
t2: select * from jobs where id = 2
t1: commit
t2: commit
t1: select id, state from jobs where state <> 'pending'
