-- Bulk decisions at scale (issue 3). Kept in step with migrations/postgres/0006_review_at_scale.sql,
-- which turns the foreign keys of journal.batch_id, journal.application_id and
-- application_states.last_batch into checks per statement and leaves room in the pages of
-- application_states for in-place updates. SQLite needs neither: it checks a key with a
-- rowid lookup inside its own loop (no trigger call), and it rewrites a row in its page.
-- Nothing changes here.
SELECT 1;
