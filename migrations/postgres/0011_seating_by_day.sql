-- One site a day (issue 20). Kept in step with migrations/sqlite/0011_seating_by_day.sql.

-- How a seating was derived, so that `seat verify` derives it again the same way: 1 drew
-- each sitting on its own (every seating stored before this migration), 2 plans a
-- candidate's sittings at once, at one site and in one seat where the rooms allow.
-- allow_split: the office let a candidate whom no site could hold sit at two (1) or not (0).
ALTER TABLE seatings ADD COLUMN method BIGINT NOT NULL DEFAULT 1;
ALTER TABLE seatings ADD COLUMN allow_split BIGINT NOT NULL DEFAULT 0;

-- 1 on the seats of a candidate seated at more than one site with the office's leave
-- (--allow-split); `seat verify` reports any other candidate at two sites.
ALTER TABLE seats ADD COLUMN split_allowed BIGINT NOT NULL DEFAULT 0;
