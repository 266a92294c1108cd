-- Sessions and the reference data an office imports before registration opens:
-- the exam plan, fees, and sites with their rooms. Kept in step with
-- migrations/postgres/0001_reference_data.sql: same tables, columns and keys.
-- Dates are ISO text (YYYY-MM-DD), times HH:MM:SS, timestamps 'YYYY-MM-DD HH:MM:SS'.

CREATE TABLE sessions (
    id                    INTEGER PRIMARY KEY,
    code                  TEXT NOT NULL UNIQUE,
    name                  TEXT NOT NULL,
    province              TEXT NOT NULL,
    photo_min_width       INTEGER NOT NULL,
    photo_min_height      INTEGER NOT NULL,
    photo_min_bytes       INTEGER NOT NULL,
    photo_max_bytes       INTEGER NOT NULL,
    card_number_template  TEXT NOT NULL,
    registration_opens    TEXT,
    registration_closes   TEXT,
    payment_opens         TEXT,
    payment_closes        TEXT,
    created_at            TEXT NOT NULL
);

CREATE TABLE qualifications (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES sessions (id),
    name        TEXT NOT NULL,
    code        TEXT,
    level       TEXT NOT NULL CHECK (level IN ('初级', '中级', '高级')),
    UNIQUE (session_id, name)
);

CREATE TABLE sittings (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES sessions (id),
    label       TEXT NOT NULL,
    exam_date   TEXT NOT NULL,
    starts_at   TEXT NOT NULL,
    ends_at     TEXT NOT NULL,
    UNIQUE (session_id, label)
);

CREATE TABLE plan_subjects (
    id                INTEGER PRIMARY KEY,
    qualification_id  INTEGER NOT NULL REFERENCES qualifications (id),
    subject           TEXT NOT NULL,
    sitting_id        INTEGER NOT NULL REFERENCES sittings (id),
    UNIQUE (qualification_id, subject)
);

-- qualification = '' means every qualification of the level, subject = '' every subject:
-- the empty string rather than NULL keeps the natural key unique on both backends.
CREATE TABLE fees (
    id              INTEGER PRIMARY KEY,
    session_id      INTEGER NOT NULL REFERENCES sessions (id),
    region          TEXT NOT NULL,
    level           TEXT NOT NULL CHECK (level IN ('初级', '中级', '高级')),
    qualification   TEXT NOT NULL DEFAULT '',
    subject         TEXT NOT NULL DEFAULT '',
    amount_fen      INTEGER NOT NULL CHECK (amount_fen > 0),
    effective_from  TEXT NOT NULL,
    effective_to    TEXT,
    source          TEXT NOT NULL,
    UNIQUE (session_id, region, level, qualification, subject, effective_from)
);

CREATE TABLE sites (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES sessions (id),
    exam_area   TEXT NOT NULL,
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    address     TEXT NOT NULL,
    UNIQUE (session_id, exam_area, code)
);

CREATE TABLE rooms (
    id              INTEGER PRIMARY KEY,
    site_id         INTEGER NOT NULL REFERENCES sites (id),
    number          INTEGER NOT NULL CHECK (number > 0),
    seats           INTEGER NOT NULL CHECK (seats > 0),
    disabled_seats  TEXT NOT NULL DEFAULT '',
    usable_seats    INTEGER NOT NULL CHECK (usable_seats >= 0),
    UNIQUE (site_id, number)
);

-- One row per import that changed the database: what, from which file, by whom.
CREATE TABLE imports (
    id           INTEGER PRIMARY KEY,
    session_id   INTEGER NOT NULL REFERENCES sessions (id),
    kind         TEXT NOT NULL,
    file         TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    operator     TEXT NOT NULL,
    imported_at  TEXT NOT NULL,
    added        INTEGER NOT NULL,
    changed      INTEGER NOT NULL,
    unchanged    INTEGER NOT NULL
);
