-- A progress file (schema 1) after careless hand-editing, as SQL (tests load it with executescript).
-- Every good row must survive `progress` and `export`; each bad one is repaired or skipped, and named.
PRAGMA user_version = 1;
CREATE TABLE meta (key TEXT PRIMARY KEY, value NOT NULL);
INSERT INTO meta VALUES ('learner_seed', 123456789);
CREATE TABLE lessons (
    lesson_id TEXT PRIMARY KEY,
    current_step INTEGER NOT NULL,
    furthest_step INTEGER NOT NULL,
    n_steps INTEGER NOT NULL,
    complete INTEGER NOT NULL,
    last_visited TEXT NOT NULL,
    visit_seq INTEGER NOT NULL
);
-- good rows
INSERT INTO lessons VALUES ('softmax', 3, 5, 12, 0, '2026-11-01T10:00:00.000000+00:00', 1);
INSERT INTO lessons VALUES ('neg-log-p', 0, 10, 11, 1, '2026-11-02T10:00:00.000000+00:00', 2);
-- row 3, a bad date: repaired (kept without a date)
INSERT INTO lessons VALUES ('total-cross-entropy', 2, 2, 12, 0, 'last tuesday', 3);
-- row 4, text in a number column: skipped (how many steps the lesson had is unknown)
INSERT INTO lessons VALUES ('ce-vs-ssr', 1, 1, 'eleven', 0, '2026-11-03T10:00:00.000000+00:00', 4);
-- an id this catalog does not know (a lesson from another folder): good data, kept
INSERT INTO lessons VALUES ('my-own-lesson', 0, 0, 3, 0, '2026-11-04T10:00:00.000000+00:00', 5);
-- an id holding a terminal control sequence (sets the window title): kept, never sent to the terminal raw
INSERT INTO lessons VALUES (char(27) || ']0;pwned' || char(7), 0, 0, 3, 0, '2026-11-04T10:00:00.000000+00:00', 6);
CREATE TABLE attempts (
    id INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    lesson_id TEXT NOT NULL,
    quiz_id TEXT NOT NULL,
    seed INTEGER NOT NULL,
    answer TEXT NOT NULL,
    verdict TEXT NOT NULL
);
INSERT INTO attempts VALUES (1, '2026-11-01T10:01:00.000000+00:00', 'softmax', 'pick-max', 11, '0.57', 'correct');
-- row 2, a bad time: repaired (kept without a time)
INSERT INTO attempts VALUES (2, 'not a time', 'softmax', 'pick-max', 11, '0.2', 'wrong');
-- row 3, text in the seed column: skipped (the variant answered is unknown)
INSERT INTO attempts VALUES (3, '2026-11-01T10:03:00.000000+00:00', 'softmax', 'pick-max', 'eleven', '0.3', 'wrong');
INSERT INTO attempts VALUES (4, '2026-11-02T10:04:00.000000+00:00', 'neg-log-p', 'q', 12, '1.2', 'correct');
CREATE INDEX attempts_by_quiz ON attempts (lesson_id, quiz_id);
