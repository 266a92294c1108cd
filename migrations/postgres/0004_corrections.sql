-- One-off corrections by the office (kaowu applications fix|set|photo|withdraw). Kept in
-- step with migrations/sqlite/0004_corrections.sql.

-- Each corrected application as it was before the correction, as JSON of every imported
-- field and the photo's fingerprint, so that undo restores it exactly.
CREATE TABLE application_snapshots (
    batch_id        BIGINT NOT NULL REFERENCES batches (id),
    application_id  BIGINT NOT NULL REFERENCES applications (id),
    before          TEXT NOT NULL,
    PRIMARY KEY (batch_id, application_id)
);

-- The batch (a withdrawal with --refund) that put a paying payment on the refund list.
ALTER TABLE payments ADD COLUMN refund_batch BIGINT REFERENCES batches (id);
