-- Bulk decisions at scale (issue 3). Kept in step with migrations/sqlite/0006_review_at_scale.sql.
--
-- Approving 200,000 applications spent 5 of its 8 s in the row-by-row triggers of three
-- foreign keys: journal.batch_id, journal.application_id and application_states.last_batch,
-- three trigger calls of about 9 us per application. Those keys are now checked once per
-- statement over every row the statement wrote (a join, not 600,000 lookups), and the
-- rows they point at are made permanent instead of locked: applications and batches are
-- never deleted and never change their id (the journal is never rewritten, a withdrawal
-- is a state), so a reference found once stays valid, whatever other transactions do.
-- TRUNCATE of either is refused by the foreign keys that still point at them (payments,
-- seats, application_states, ...).

ALTER TABLE journal
    DROP CONSTRAINT journal_batch_id_fkey,
    DROP CONSTRAINT journal_application_id_fkey;
ALTER TABLE application_states DROP CONSTRAINT application_states_last_batch_fkey;

CREATE FUNCTION kaowu_permanent_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% row % is referenced by the journal: it is never deleted or renumbered',
        TG_TABLE_NAME, OLD.id
        USING ERRCODE = 'foreign_key_violation';
END
$$;
CREATE TRIGGER applications_permanent BEFORE DELETE OR UPDATE OF id ON applications
    FOR EACH ROW EXECUTE FUNCTION kaowu_permanent_row();
CREATE TRIGGER batches_permanent BEFORE DELETE OR UPDATE OF id ON batches
    FOR EACH ROW EXECUTE FUNCTION kaowu_permanent_row();

CREATE FUNCTION kaowu_journal_references() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM written w WHERE NOT EXISTS (SELECT 1 FROM batches b WHERE b.id = w.batch_id)) THEN
        RAISE EXCEPTION 'journal: a row names a batch that does not exist'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM written w WHERE NOT EXISTS (SELECT 1 FROM applications a WHERE a.id = w.application_id)) THEN
        RAISE EXCEPTION 'journal: a row names an application that does not exist'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER journal_references_inserted AFTER INSERT ON journal
    REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION kaowu_journal_references();
CREATE TRIGGER journal_references_updated AFTER UPDATE ON journal
    REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION kaowu_journal_references();

CREATE FUNCTION kaowu_state_references() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM written w WHERE w.last_batch IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM batches b WHERE b.id = w.last_batch)) THEN
        RAISE EXCEPTION 'application_states: a row names a batch that does not exist'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER application_states_references_inserted AFTER INSERT ON application_states
    REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION kaowu_state_references();
CREATE TRIGGER application_states_references_updated AFTER UPDATE ON application_states
    REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION kaowu_state_references();

-- Room on every page of application_states for the new version of each row, so that a
-- decision rewrites a state in its page (a HOT update, with no new index entry): a third of
-- the WAL records of an approval. CLUSTER rewrites the rows already there to the new fill.
ALTER TABLE application_states SET (fillfactor = 50);
CLUSTER application_states USING application_states_pkey;
