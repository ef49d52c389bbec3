-- +goose Up
-- Custom staff roles (R2): a named permission set over a built-in base role that gives the rank.
CREATE TABLE staff_roles (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    base_role   TEXT    NOT NULL,
    permissions TEXT    NOT NULL DEFAULT '[]',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX staff_roles_name ON staff_roles (lower(name));

-- A staff member carries at most one custom role; people.role is then its base role.
ALTER TABLE people ADD COLUMN staff_role_id INTEGER REFERENCES staff_roles (id);
CREATE INDEX people_staff_role ON people (staff_role_id) WHERE staff_role_id IS NOT NULL;

-- The ban expirer (L4) looks for banned people whose ban has ended.
CREATE INDEX people_ban_end ON people (banned_until) WHERE state = 'banned';

-- Tickets as far as people need them (T1, L2). trashed_with_person marks the tickets that
-- trashing their requester took, so that restoring the requester brings back exactly those.
CREATE TABLE tickets (
    id                  INTEGER PRIMARY KEY,
    requester_id        INTEGER NOT NULL REFERENCES people (id),
    subject             TEXT    NOT NULL,
    status              TEXT    NOT NULL,
    trashed_at          INTEGER,
    trashed_with_person INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX tickets_requester ON tickets (requester_id, id);

-- +goose Down
DROP TABLE tickets;
DROP INDEX people_ban_end;
DROP INDEX people_staff_role;
ALTER TABLE people DROP COLUMN staff_role_id;
DROP TABLE staff_roles;
