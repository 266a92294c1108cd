-- Scores, pass decisions, rechecks and certificates (issue 25). Kept in step with
-- migrations/sqlite/0013_scores.sql: same tables, columns and keys.

-- The session's recheck (复核) window, dates as YYYY-MM-DD text on both backends.
ALTER TABLE sessions ADD COLUMN recheck_opens TEXT;
ALTER TABLE sessions ADD COLUMN recheck_closes TEXT;

-- The pass mark of a subject in a session, in tenths of a point (450 = 45 of 75); a subject
-- with no row passes at 45.
CREATE TABLE pass_marks (
    session_id  BIGINT NOT NULL REFERENCES sessions (id),
    subject     TEXT NOT NULL,
    mark        BIGINT NOT NULL CHECK (mark BETWEEN 0 AND 750),
    PRIMARY KEY (session_id, subject)
);

-- What the national centre's score file says of each candidate and subject: a score in
-- tenths, 缺考 (absent) or 违纪 (void). A level's missing paper ('-') is not stored. Every
-- change is journalled (field 'score:<subject>', values as printed: '44.5', '缺考', '违纪'),
-- with a recheck's reference as the reason when a recheck changed it. batch_id is not a
-- foreign key (batches are never deleted): on PostgreSQL its row-by-row check took 1.1 s of
-- the 5.2 s that storing 388,538 scores took.
CREATE TABLE scores (
    application_id  BIGINT NOT NULL REFERENCES application_states (application_id),
    subject         TEXT NOT NULL,
    entry           TEXT NOT NULL CHECK (entry IN ('scored', 'absent', 'void')),
    score           BIGINT CHECK (score BETWEEN 0 AND 750),
    batch_id        BIGINT NOT NULL,
    PRIMARY KEY (application_id, subject)
);

-- The pass decision of each candidate with scores (scores judge), and why a candidate did
-- not pass ('应用技术 44.5 < 45；论文 缺考'). Journalled as field 'verdict' ('合格'/'不合格').
-- batch_id is not a foreign key, as in scores.
CREATE TABLE verdicts (
    application_id  BIGINT PRIMARY KEY REFERENCES application_states (application_id),
    passed          BIGINT NOT NULL CHECK (passed IN (0, 1)),
    failed          TEXT NOT NULL DEFAULT '',
    batch_id        BIGINT NOT NULL
);

-- A score-recheck request (复核) of one subjective paper, and the centre's answer.
CREATE TABLE rechecks (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id      BIGINT NOT NULL REFERENCES sessions (id),
    reference       TEXT NOT NULL,
    application_id  BIGINT NOT NULL REFERENCES application_states (application_id),
    subject         TEXT NOT NULL,
    requested_on    TEXT NOT NULL,
    old_score       BIGINT NOT NULL,
    result          TEXT NOT NULL DEFAULT 'pending' CHECK (result IN ('pending', 'kept', 'changed')),
    new_score       BIGINT,
    answered_on     TEXT,
    note            TEXT NOT NULL DEFAULT '',
    batch_id        BIGINT NOT NULL REFERENCES batches (id),
    answer_batch    BIGINT REFERENCES batches (id),
    UNIQUE (session_id, reference),
    UNIQUE (session_id, application_id, subject)
);

-- A certificate (证书) of a candidate who passed, how it goes out (in person, or by post to
-- an address) and, once it did, how: issued_how 'self', 'proxy' (代领: the proxy's name and ID
-- number, the 委托书 seen) or 'post' (the waybill). received_on starts the five years it is kept.
CREATE TABLE certificates (
    application_id  BIGINT PRIMARY KEY REFERENCES application_states (application_id),
    session_id      BIGINT NOT NULL REFERENCES sessions (id),
    cert_no         TEXT NOT NULL,
    by_post         BIGINT NOT NULL DEFAULT 0,
    address         TEXT NOT NULL DEFAULT '',
    phone           TEXT NOT NULL DEFAULT '',
    received_on     TEXT NOT NULL,
    waybill         TEXT NOT NULL DEFAULT '',
    issued_how      TEXT CHECK (issued_how IN ('self', 'proxy', 'post')),
    issued_on       TEXT,
    proxy_name      TEXT NOT NULL DEFAULT '',
    proxy_id        TEXT NOT NULL DEFAULT '',
    batch_id        BIGINT NOT NULL REFERENCES batches (id),
    issue_batch     BIGINT REFERENCES batches (id),
    UNIQUE (session_id, cert_no)
);
