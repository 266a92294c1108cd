-- After the exam (issue 24): attendance per subject, room logs, violations. Kept in step
-- with migrations/postgres/0012_after_exam.sql: same tables, columns and keys.

-- What the sign-in sheets say of each candidate and subject: present, absent (缺考) or left
-- early (提前离场). A void result is not stored here: it follows from a violation. The room
-- and sitting are those of the seat the state was recorded for, copied from it as the import
-- checked them, and are not foreign keys: on PostgreSQL each key is checked row by row, and
-- the two cost 2.3 s of the 6.9 s that storing 388,538 states took (rooms and sittings are
-- never deleted). Every change is journalled (field 'attendance:<subject>'), so that an
-- attendance batch can be undone.
CREATE TABLE attendance (
    application_id  INTEGER NOT NULL REFERENCES application_states (application_id),
    subject         TEXT NOT NULL,
    sitting_id      INTEGER NOT NULL,
    room_id         INTEGER NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('present', 'absent', 'left_early')),
    batch_id        INTEGER NOT NULL REFERENCES batches (id),
    PRIMARY KEY (application_id, subject)
);
CREATE INDEX attendance_room ON attendance (room_id, sitting_id);

-- Each room's log (考场记录单) of a sitting: the counts, the incidents of a computer room
-- (换机, 断电, 延时 in minutes), what else happened, and who signed it.
CREATE TABLE room_logs (
    id              INTEGER PRIMARY KEY,
    session_id      INTEGER NOT NULL REFERENCES sessions (id),
    sitting_id      INTEGER NOT NULL REFERENCES sittings (id),
    room_id         INTEGER NOT NULL REFERENCES rooms (id),
    expected        INTEGER NOT NULL,
    present         INTEGER NOT NULL,
    absent          INTEGER NOT NULL,
    machine_swaps   INTEGER NOT NULL DEFAULT 0,
    power_cuts      INTEGER NOT NULL DEFAULT 0,
    delay_minutes   INTEGER NOT NULL DEFAULT 0,
    notes           TEXT NOT NULL DEFAULT '',
    invigilators    TEXT NOT NULL,
    chief           TEXT NOT NULL,
    import_batch    INTEGER NOT NULL REFERENCES batches (id),
    UNIQUE (sitting_id, room_id)
);

-- A violation case (违纪违规) under 人社部令第31号. clause is '6.3', '7.1', '8.2', '9', '10' or
-- '11'; what follows from it is worked out from the clause (model::violation), never stored as
-- free text. Dates and times are text as written (YYYY-MM-DD, YYYY-MM-DD HH:MM) on both
-- backends, so that what is printed of them is the same. evidence is a JSON array of
-- {file, sha256, bytes}: the files stay where the office keeps them. step is the last legal
-- step taken; each step's date is kept.
CREATE TABLE violations (
    id              INTEGER PRIMARY KEY,
    session_id      INTEGER NOT NULL REFERENCES sessions (id),
    case_no         TEXT NOT NULL,
    application_id  INTEGER NOT NULL REFERENCES application_states (application_id),
    sitting_id      INTEGER NOT NULL REFERENCES sittings (id),
    room_id         INTEGER NOT NULL REFERENCES rooms (id),
    seat_no         INTEGER NOT NULL,
    subject         TEXT NOT NULL,
    occurred_at     TEXT NOT NULL,
    found_by        TEXT NOT NULL CHECK (found_by IN ('现场', '视频', '雷同')),
    facts           TEXT NOT NULL,
    clause          TEXT NOT NULL,
    signed          INTEGER NOT NULL,
    witnesses       TEXT NOT NULL DEFAULT '',
    evidence        TEXT NOT NULL DEFAULT '[]',
    step            TEXT NOT NULL CHECK (step IN ('记录', '告知', '申辩', '决定', '送达')),
    recorded_on     TEXT NOT NULL,
    notified_on     TEXT,
    statement_on    TEXT,
    statement       TEXT NOT NULL DEFAULT '',
    decided_on      TEXT,
    served_on       TEXT,
    batch_id        INTEGER NOT NULL REFERENCES batches (id),
    UNIQUE (session_id, case_no)
);
CREATE INDEX violations_application ON violations (application_id);
