-- The checks per statement of migration 0006, planned for the rows each statement wrote.
-- Kept in step with migrations/sqlite/0008_reference_checks_by_set.sql (a no-op there).
--
-- Written as `IF EXISTS (..)`, each check was planned for its first row: a nested loop
-- that looked up 190,000 journal rows one by one in batches and in applications, and
-- 190,000 states in batches. Approving 190,000 applications spent 0.88 s in them.
-- Now a statement's batches are looked up once each (one batch writes thousands of
-- rows that all name it), and the applications are counted as a whole, planned by
-- EXECUTE for the rows at hand: a hash over the applications' ids for a bulk decision, an
-- index lookup for a single correction. The two checks took 0.29 s for the same approval.
-- What they refuse does not change.

CREATE OR REPLACE FUNCTION kaowu_journal_references() RETURNS trigger LANGUAGE plpgsql
SET work_mem = '64MB' AS $$
DECLARE
    missing BIGINT;
BEGIN
    EXECUTE 'SELECT COUNT(*) FROM (SELECT DISTINCT batch_id FROM written) AS w
             WHERE NOT EXISTS (SELECT 1 FROM batches b WHERE b.id = w.batch_id)' INTO missing;
    IF missing > 0 THEN
        RAISE EXCEPTION 'journal: a row names a batch that does not exist'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    EXECUTE 'SELECT COUNT(*) FROM written w
             WHERE NOT EXISTS (SELECT 1 FROM applications a WHERE a.id = w.application_id)' INTO missing;
    IF missing > 0 THEN
        RAISE EXCEPTION 'journal: a row names an application that does not exist'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION kaowu_state_references() RETURNS trigger LANGUAGE plpgsql
SET work_mem = '64MB' AS $$
DECLARE
    missing BIGINT;
BEGIN
    EXECUTE 'SELECT COUNT(*) FROM (SELECT DISTINCT last_batch FROM written WHERE last_batch IS NOT NULL) AS w
             WHERE NOT EXISTS (SELECT 1 FROM batches b WHERE b.id = w.last_batch)' INTO missing;
    IF missing > 0 THEN
        RAISE EXCEPTION 'application_states: a row names a batch that does not exist'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;
