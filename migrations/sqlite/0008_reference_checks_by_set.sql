-- Kept in step with migrations/postgres/0008_reference_checks_by_set.sql, which replans the
-- checks per statement that stand in for three foreign keys there (migration 0006). SQLite
-- keeps its own foreign keys: nothing changes here.
SELECT 1;
