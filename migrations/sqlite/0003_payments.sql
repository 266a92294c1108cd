-- Payments (缴费): the gateway's orders and the payments an operator records by hand (a
-- counter payment, or a statement line that the gateway missed). Kept in step with
-- migrations/postgres/0003_payments.sql.

CREATE TABLE payments (
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
    result           TEXT NOT NULL CHECK (result IN ('success', 'failed', 'pending')),
    -- gateway: imported from the gateway's export; counter / statement: recorded by hand.
    source           TEXT NOT NULL CHECK (source IN ('gateway', 'counter', 'statement')),
    -- What backs a hand-recorded payment (a receipt, a statement line) and why.
    evidence         TEXT NOT NULL DEFAULT '',
    -- The batch that recorded or last changed this row.
    batch_id         INTEGER NOT NULL REFERENCES batches (id),
    -- The batch in which this payment made its application paid; NULL when it did not.
    applied_batch    INTEGER REFERENCES batches (id),
    UNIQUE (session_id, order_no)
);
CREATE INDEX payments_application ON payments (application_id);
