-- The journal's index by application keeps only the moves to submitted. Kept in step with
-- migrations/sqlite/0010_journal_index_of_submissions.sql.
--
-- A bulk decision appends a journal row for every application it moves, and each row's
-- entry in the full index landed somewhere in its middle (every application already has a
-- row from its import): a page read and often a split per row. Approving 190,000
-- applications spent 0.4-0.5 s of its 1.8-2.2 s moves statement on PostgreSQL in it (psql,
-- three rounds with and without), and about 0.2 s on SQLite.
--
-- The partial index holds what is looked up one application at a time, the submission
-- before each decision (the report's time to review), and is written by imports, which
-- append to it in id order, and by resubmissions; decisions, payments and seating pass it
-- by. The approval day of every application is now grouped once from the session's
-- approval rows (through the batches' index), and the history of one application
-- (`review log --application`, `applications show`) scans the journal once: 65 ms for
-- 770,000 rows on SQLite.
DROP INDEX journal_application;
CREATE INDEX journal_submitted ON journal (application_id)
    WHERE field = 'status' AND new_value = 'submitted';
