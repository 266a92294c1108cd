-- Exam staff (issue 26): who works at the exam, the posts they hold, the session's rules.
-- Kept in step with migrations/sqlite/0014_staff.sql: same tables, columns and keys.

-- A room with computers (机房): its invigilators follow their own table, and a site's
-- computer rooms need technicians.
ALTER TABLE rooms ADD COLUMN computer BIGINT NOT NULL DEFAULT 0;

-- The session's staffing rules and pay rates, one row per key set with
-- `kaowu session set --staff KEY=VALUE`; a key with no row takes model::staff::Rules' default.
CREATE TABLE staff_rules (
    session_id  BIGINT NOT NULL REFERENCES sessions (id),
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,
    PRIMARY KEY (session_id, key)
);

-- A person who may work at the exam, as the staff file says. roles: 监考、主考 …;
-- available: '' for any time, else half-days '2026-11-08上午,2026-11-08下午'; caps NULL take
-- the session's; exam_area '' for any; sites as '考区/考点代码' joined by ','; relatives: ID numbers joined by ','.
-- The bank card is printed on the pay sheet only.
CREATE TABLE staff (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id  BIGINT NOT NULL REFERENCES sessions (id),
    staff_no    TEXT NOT NULL,
    name        TEXT NOT NULL,
    id_number   TEXT NOT NULL,
    employer    TEXT NOT NULL,
    phone       TEXT NOT NULL,
    gender      TEXT NOT NULL DEFAULT '',
    roles       TEXT NOT NULL,
    available   TEXT NOT NULL DEFAULT '',
    cap_day     BIGINT,
    cap_total   BIGINT,
    exam_area   TEXT NOT NULL DEFAULT '',
    must_sites  TEXT NOT NULL DEFAULT '',
    not_sites   TEXT NOT NULL DEFAULT '',
    relatives   TEXT NOT NULL DEFAULT '',
    experience  BIGINT NOT NULL DEFAULT 0,
    bank_card   TEXT NOT NULL DEFAULT '',
    UNIQUE (session_id, id_number),
    UNIQUE (session_id, staff_no)
);

-- One run of `kaowu staff assign`: its seed and what it was derived from, so that
-- `staff verify` derives it again.
CREATE TABLE staff_assignments (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id   BIGINT NOT NULL REFERENCES sessions (id),
    batch_id     BIGINT NOT NULL REFERENCES batches (id),
    seed         TEXT NOT NULL,
    fingerprint  TEXT NOT NULL
);

-- A post held: a role at a site (room 0 for the posts of the whole site) in a sitting, slot
-- numbering the posts of one kind there. A post given up (`staff replace`, an undo) is kept
-- with the batch that released it; only posts in use are unique.
CREATE TABLE staff_posts (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id      BIGINT NOT NULL REFERENCES sessions (id),
    sitting_id      BIGINT NOT NULL REFERENCES sittings (id),
    site_id         BIGINT NOT NULL REFERENCES sites (id),
    room_id         BIGINT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('主考', '技术', '巡视', '监考', '备用')),
    slot            BIGINT NOT NULL,
    staff_id        BIGINT NOT NULL REFERENCES staff (id),
    assignment_id   BIGINT REFERENCES staff_assignments (id),
    batch_id        BIGINT NOT NULL REFERENCES batches (id),
    released_batch  BIGINT REFERENCES batches (id)
);
CREATE UNIQUE INDEX staff_posts_in_use ON staff_posts (sitting_id, site_id, room_id, role, slot) WHERE released_batch IS NULL;
CREATE UNIQUE INDEX staff_posts_person ON staff_posts (staff_id, sitting_id) WHERE released_batch IS NULL;
CREATE INDEX staff_posts_session ON staff_posts (session_id);

-- A person who declined the posts of a sitting after being given them (`staff replace`):
-- no later run gives them a post then.
CREATE TABLE staff_declines (
    staff_id    BIGINT NOT NULL REFERENCES staff (id),
    sitting_id  BIGINT NOT NULL REFERENCES sittings (id),
    batch_id    BIGINT NOT NULL REFERENCES batches (id),
    PRIMARY KEY (staff_id, sitting_id)
);
