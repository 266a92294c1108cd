-- Sessions and the reference data an office imports before registration opens:
-- the exam plan, fees, and sites with their rooms. Kept in step with
-- migrations/sqlite/0001_reference_data.sql: same tables, columns and keys.
-- Integers are BIGINT so that both backends decode them as i64.

CREATE TABLE sessions (
    id                    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code                  TEXT NOT NULL UNIQUE,
    name                  TEXT NOT NULL,
    province              TEXT NOT NULL,
    photo_min_width       BIGINT NOT NULL,
    photo_min_height      BIGINT NOT NULL,
    photo_min_bytes       BIGINT NOT NULL,
    photo_max_bytes       BIGINT NOT NULL,
    card_number_template  TEXT NOT NULL,
    registration_opens    TIMESTAMP,
    registration_closes   TIMESTAMP,
    payment_opens         TIMESTAMP,
    payment_closes        TIMESTAMP,
    created_at            TIMESTAMP NOT NULL
);

CREATE TABLE qualifications (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id  BIGINT NOT NULL REFERENCES sessions (id),
    name        TEXT NOT NULL,
    code        TEXT,
    level       TEXT NOT NULL CHECK (level IN ('初级', '中级', '高级')),
    UNIQUE (session_id, name)
);

CREATE TABLE sittings (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id  BIGINT NOT NULL REFERENCES sessions (id),
    label       TEXT NOT NULL,
    exam_date   DATE NOT NULL,
    starts_at   TIME NOT NULL,
    ends_at     TIME NOT NULL,
    UNIQUE (session_id, label)
);

CREATE TABLE plan_subjects (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    qualification_id  BIGINT NOT NULL REFERENCES qualifications (id),
    subject           TEXT NOT NULL,
    sitting_id        BIGINT NOT NULL REFERENCES sittings (id),
    UNIQUE (qualification_id, subject)
);

CREATE TABLE fees (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id      BIGINT NOT NULL REFERENCES sessions (id),
    region          TEXT NOT NULL,
    level           TEXT NOT NULL CHECK (level IN ('初级', '中级', '高级')),
    qualification   TEXT NOT NULL DEFAULT '',
    subject         TEXT NOT NULL DEFAULT '',
    amount_fen      BIGINT NOT NULL CHECK (amount_fen > 0),
    effective_from  DATE NOT NULL,
    effective_to    DATE,
    source          TEXT NOT NULL,
    UNIQUE (session_id, region, level, qualification, subject, effective_from)
);

CREATE TABLE sites (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id  BIGINT NOT NULL REFERENCES sessions (id),
    exam_area   TEXT NOT NULL,
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    address     TEXT NOT NULL,
    UNIQUE (session_id, exam_area, code)
);

CREATE TABLE rooms (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id         BIGINT NOT NULL REFERENCES sites (id),
    number          BIGINT NOT NULL CHECK (number > 0),
    seats           BIGINT NOT NULL CHECK (seats > 0),
    disabled_seats  TEXT NOT NULL DEFAULT '',
    usable_seats    BIGINT NOT NULL CHECK (usable_seats >= 0),
    UNIQUE (site_id, number)
);

CREATE TABLE imports (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id   BIGINT NOT NULL REFERENCES sessions (id),
    kind         TEXT NOT NULL,
    file         TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    operator     TEXT NOT NULL,
    imported_at  TIMESTAMP NOT NULL,
    added        BIGINT NOT NULL,
    changed      BIGINT NOT NULL,
    unchanged    BIGINT NOT NULL
);
