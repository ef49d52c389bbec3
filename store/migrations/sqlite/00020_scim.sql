-- +goose Up
-- SCIM 2.0 provisioning (B6). Groups an identity provider pushes are kept as it sends them;
-- what a group means in Frontdesk is the association in its row: a custom staff role or an
-- organization its members get (chosen by the scim_groups setting, set by name or through
-- the API). version makes the group's ETag; members are people.
CREATE TABLE scim_groups (
    id              INTEGER PRIMARY KEY,
    display_name    TEXT    NOT NULL,
    external_id     TEXT,
    staff_role_id   INTEGER REFERENCES staff_roles (id),
    organization_id INTEGER REFERENCES organizations (id),
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX scim_groups_name ON scim_groups (lower(display_name));
CREATE UNIQUE INDEX scim_groups_external_id ON scim_groups (external_id) WHERE external_id IS NOT NULL;

CREATE TABLE scim_group_members (
    group_id  INTEGER NOT NULL REFERENCES scim_groups (id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES people (id),
    PRIMARY KEY (group_id, person_id)
);
CREATE INDEX scim_group_members_person ON scim_group_members (person_id);

-- The attributes of a SCIM user that have no column on people (title, userType, nickName,
-- the enterprise extension), kept as the provider sent them so that a GET returns them.
CREATE TABLE scim_users (
    person_id  INTEGER PRIMARY KEY REFERENCES people (id),
    attributes TEXT NOT NULL DEFAULT '{}'
);

-- +goose Down
DROP TABLE scim_users;
DROP TABLE scim_group_members;
DROP TABLE scim_groups;
