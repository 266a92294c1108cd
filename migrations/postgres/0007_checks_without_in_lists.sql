-- Kept in step with migrations/sqlite/0007_checks_without_in_lists.sql, which respells the
-- IN-list CHECKs of application_states and payments for SQLite's sake (it builds a temporary
-- index for every row such a CHECK tests). PostgreSQL tests `= ANY (array)` directly: nothing
-- changes here.
SELECT 1;
