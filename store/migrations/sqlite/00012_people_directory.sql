-- +goose Up
-- The people directory (L7): listing staff among a million contacts reads this index instead
-- of the whole table. SQLite's other indexes already end in the rowid, so (column, id) order
-- is theirs.
CREATE INDEX people_role ON people (role);

-- +goose Down
DROP INDEX people_role;
