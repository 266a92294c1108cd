-- Applications (报名信息) with their photo fingerprints, the review flags, and the journal
-- of every change in batches. Kept in step with migrations/sqlite/0002_applications.sql.

CREATE TABLE batches (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id  BIGINT NOT NULL REFERENCES sessions (id),
    kind        TEXT NOT NULL,
    operator    TEXT NOT NULL,
    command     TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    summary     TEXT NOT NULL DEFAULT '',
    -- For an undo batch: the batch it reverts.
    undoes      BIGINT REFERENCES batches (id)
);

CREATE TABLE applications (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id        BIGINT NOT NULL REFERENCES sessions (id),
    registration_no   TEXT NOT NULL,
    name              TEXT NOT NULL,
    id_type           TEXT NOT NULL,
    id_number         TEXT NOT NULL,
    gender            TEXT NOT NULL DEFAULT '',
    birth_date        DATE,
    qualification_id  BIGINT NOT NULL REFERENCES qualifications (id),
    subjects          TEXT NOT NULL,
    exam_area         TEXT NOT NULL,
    title             TEXT NOT NULL DEFAULT '',
    employer          TEXT NOT NULL DEFAULT '',
    school            TEXT NOT NULL DEFAULT '',
    major             TEXT NOT NULL DEFAULT '',
    education         TEXT NOT NULL DEFAULT '',
    degree            TEXT NOT NULL DEFAULT '',
    graduation_date   DATE,
    address           TEXT NOT NULL DEFAULT '',
    mobile            TEXT NOT NULL DEFAULT '',
    email             TEXT NOT NULL DEFAULT '',
    postcode          TEXT NOT NULL DEFAULT '',
    phone             TEXT NOT NULL DEFAULT '',
    submitted_at      TIMESTAMP,
    -- The photo's file name inside the photo folder, and what its header said at import.
    photo             TEXT NOT NULL DEFAULT '',
    photo_path        TEXT NOT NULL DEFAULT '',
    photo_hash        TEXT NOT NULL DEFAULT '',
    photo_format      TEXT NOT NULL DEFAULT '',
    photo_width       BIGINT NOT NULL DEFAULT 0,
    photo_height      BIGINT NOT NULL DEFAULT 0,
    photo_bytes       BIGINT NOT NULL DEFAULT 0,
    -- Mean lightness (0..255) of the photo's border, where the background is; -1 unknown.
    photo_border      BIGINT NOT NULL DEFAULT -1,
    photo_problem     TEXT NOT NULL DEFAULT '',
    -- A hash of every imported field and the photo, to tell a changed row on re-import.
    content_hash      TEXT NOT NULL,
    UNIQUE (session_id, registration_no)
);

-- Where each application stands. Kept apart from the imported fields so that a decision over
-- 200,000 applications rewrites narrow rows, not wide ones: measured on SQLite, approving
-- 190,000 took 2.5 s with these columns (and their indexes) in applications, 0.5 s here.
CREATE TABLE application_states (
    application_id  BIGINT PRIMARY KEY REFERENCES applications (id),
    status          TEXT NOT NULL DEFAULT 'submitted'
                    CHECK (status IN ('submitted', 'approved', 'rejected', 'paid', 'seated', 'expired', 'withdrawn')),
    status_reason   TEXT NOT NULL DEFAULT '',
    -- Bumped by every change; updates name the version their preview saw.
    version         BIGINT NOT NULL DEFAULT 1,
    -- 1 when `review check` flagged this content; an import that changes it sets 0.
    checked         BIGINT NOT NULL DEFAULT 0,
    last_batch      BIGINT REFERENCES batches (id)
);

-- What changed, one row per application and field; never updated or deleted.
CREATE TABLE journal (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    batch_id        BIGINT NOT NULL REFERENCES batches (id),
    application_id  BIGINT NOT NULL REFERENCES applications (id),
    field           TEXT NOT NULL,
    old_value       TEXT,
    new_value       TEXT,
    reason          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX journal_batch ON journal (batch_id);
CREATE INDEX journal_application ON journal (application_id);

-- The flags of the last `review check`, replaced whole by each run.
CREATE TABLE flags (
    application_id  BIGINT NOT NULL REFERENCES applications (id),
    code            TEXT NOT NULL,
    severity        TEXT NOT NULL CHECK (severity IN ('error', 'warning')),
    message         TEXT NOT NULL,
    PRIMARY KEY (application_id, code)
);
CREATE INDEX flags_code ON flags (code);
