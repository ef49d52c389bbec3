-- +goose Up
-- An optional unique login name (B1, B5, B6): directories and identity providers name people
-- by it. Stored lower-case; NULL for the many who have none, which the partial index skips.
ALTER TABLE people ADD COLUMN username TEXT;
CREATE UNIQUE INDEX people_username ON people (username) WHERE username IS NOT NULL;
-- How the organization was set (X6): '' none, 'domain', 'manual', 'import', 'directory', 'scim'.
-- A later domain rule moves only those its own kind placed, unless staff choose otherwise.
ALTER TABLE people ADD COLUMN organization_source TEXT NOT NULL DEFAULT '';

-- +goose Down
DROP INDEX people_username;
ALTER TABLE people DROP COLUMN username;
ALTER TABLE people DROP COLUMN organization_source;
