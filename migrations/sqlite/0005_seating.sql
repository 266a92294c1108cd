-- Seating (编排) and admit-card numbers. Kept in step with migrations/postgres/0005_seating.sql.

-- One derivation: its seed (decimal text: a u64 does not fit a signed 64-bit column) and the
-- fingerprint of its inputs, so that `seat verify` can derive it again. scope is '' for the
-- whole session, or the exam area a --reseat redid.
CREATE TABLE seatings (
    id           INTEGER PRIMARY KEY,
    session_id   INTEGER NOT NULL REFERENCES sessions (id),
    batch_id     INTEGER NOT NULL REFERENCES batches (id),
    seed         TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    scope        TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL
);

-- A candidate's seat in one sitting. A released seat (withdrawal, seat release, reseat) is
-- kept for the record and for `seat verify`; only seats in use must be unique.
CREATE TABLE seats (
    id              INTEGER PRIMARY KEY,
    application_id  INTEGER NOT NULL REFERENCES applications (id),
    sitting_id      INTEGER NOT NULL REFERENCES sittings (id),
    room_id         INTEGER NOT NULL REFERENCES rooms (id),
    seat_no         INTEGER NOT NULL,
    -- The derivation that placed it; NULL for a seat placed by `seat add`.
    seating_id      INTEGER REFERENCES seatings (id),
    batch_id        INTEGER NOT NULL REFERENCES batches (id),
    released_batch  INTEGER REFERENCES batches (id)
);
CREATE UNIQUE INDEX seats_in_use ON seats (sitting_id, room_id, seat_no) WHERE released_batch IS NULL;
CREATE UNIQUE INDEX seats_per_sitting ON seats (application_id, sitting_id) WHERE released_batch IS NULL;
CREATE INDEX seats_seating ON seats (seating_id);

-- The admit-card number of each seated candidate; stale names what a later correction made
-- out of date ('card', or 'seat' when the exam area or subjects changed).
CREATE TABLE admit_cards (
    application_id  INTEGER PRIMARY KEY REFERENCES applications (id),
    session_id      INTEGER NOT NULL REFERENCES sessions (id),
    card_no         TEXT NOT NULL,
    batch_id        INTEGER NOT NULL REFERENCES batches (id),
    stale           TEXT NOT NULL DEFAULT '',
    UNIQUE (session_id, card_no)
);
