-- The journal's application_id is checked against the application's state row instead of
-- the application itself. Kept in step with migrations/postgres/0009_journal_checked_against_states.sql.
--
-- Every application has exactly one state row, which references it, and applications are
-- never deleted, so a journal row whose state row exists names an application that exists
-- and always will: what the key refuses does not change. The check gets cheaper: SQLite
-- looked each journalled id up in `applications`, whose rows are wide (27,000 pages for
-- 200,000 applications, out of its page cache), where `application_states` is 1,300 pages
-- that the statements journalling a change have just read. Approving 190,000 applications
-- spent 0.42 s in its journal INSERT with the old key and 0.36 s with this one (medians of
-- six, pysqlite3).
--
-- SQLite cannot alter a foreign key in place: the table is rebuilt (made anew, copied,
-- swapped) with its rows, ids and indexes. No table refers to the journal.

CREATE TABLE journal_new (
    id              INTEGER PRIMARY KEY,
    batch_id        INTEGER NOT NULL REFERENCES batches (id),
    application_id  INTEGER NOT NULL REFERENCES application_states (application_id),
    field           TEXT NOT NULL,
    old_value       TEXT,
    new_value       TEXT,
    reason          TEXT NOT NULL DEFAULT ''
);
INSERT INTO journal_new (id, batch_id, application_id, field, old_value, new_value, reason)
    SELECT id, batch_id, application_id, field, old_value, new_value, reason FROM journal;
DROP TABLE journal;
ALTER TABLE journal_new RENAME TO journal;
CREATE INDEX journal_batch ON journal (batch_id);
CREATE INDEX journal_application ON journal (application_id);
