-- +goose Up
-- The people directory (L7) pages in (key, id) order: these indexes give that order with no
-- sort, and replace the one-column indexes they start with.
CREATE INDEX people_first_key_id ON people (first_key, id);
CREATE INDEX people_last_key_id ON people (last_key, id);
CREATE INDEX people_org_id ON people (organization_id, id);
CREATE INDEX people_site_id ON people (site_id, id);
CREATE INDEX people_state_id ON people (state, id);
CREATE INDEX people_role ON people (role, id);
DROP INDEX people_first_key;
DROP INDEX people_last_key;
DROP INDEX people_org;
DROP INDEX people_site;
DROP INDEX people_state;

-- +goose Down
CREATE INDEX people_first_key ON people (first_key);
CREATE INDEX people_last_key ON people (last_key);
CREATE INDEX people_org ON people (organization_id);
CREATE INDEX people_site ON people (site_id);
CREATE INDEX people_state ON people (state);
DROP INDEX people_first_key_id;
DROP INDEX people_last_key_id;
DROP INDEX people_org_id;
DROP INDEX people_site_id;
DROP INDEX people_state_id;
DROP INDEX people_role;
