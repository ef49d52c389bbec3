-- +goose Up
-- Requests that are not tickets yet: a guest's, waiting for its confirmation by mail (C5), or
-- one the intake policy held, waiting for staff to release or discard it (X4). A request
-- leaves this table when it becomes a ticket, is discarded or expires.
CREATE TABLE held_requests (
    id         INTEGER PRIMARY KEY,
    state      TEXT    NOT NULL,
    reason     TEXT    NOT NULL DEFAULT '',
    channel    TEXT    NOT NULL,
    email      TEXT    NOT NULL DEFAULT '',
    request    TEXT    NOT NULL,
    token_hash TEXT    UNIQUE,
    client_ip  TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    expires_at INTEGER
);
CREATE INDEX held_requests_state ON held_requests (state, id);
CREATE INDEX held_requests_expiry ON held_requests (expires_at) WHERE expires_at IS NOT NULL;

-- Links that open one ticket to its requester without a password (X5): the hash of the
-- secret, never the secret; revoked, never deleted, so that the console can say when.
CREATE TABLE ticket_links (
    hash       TEXT    PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id),
    person_id  INTEGER NOT NULL REFERENCES people (id),
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
) WITHOUT ROWID;
CREATE INDEX ticket_links_ticket ON ticket_links (ticket_id);

-- Identities a channel gave that are not addresses: a chat id, a social handle, or the phone
-- of someone who first called or wrote from it (C13). One identity, one person (C14).
CREATE TABLE person_identities (
    kind       TEXT    NOT NULL,
    value      TEXT    NOT NULL,
    person_id  INTEGER NOT NULL REFERENCES people (id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (kind, value)
) WITHOUT ROWID;
CREATE INDEX person_identities_person ON person_identities (person_id);

-- Request forms (C9).
CREATE TABLE ticket_types (
    id                  INTEGER PRIMARY KEY,
    key                 TEXT    NOT NULL UNIQUE,
    name                TEXT    NOT NULL,
    hide_contact_fields INTEGER NOT NULL DEFAULT 0,
    person_fields       TEXT    NOT NULL DEFAULT '[]',
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
ALTER TABLE tickets ADD COLUMN type TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE tickets DROP COLUMN type;
DROP TABLE ticket_types;
DROP TABLE person_identities;
DROP TABLE ticket_links;
DROP TABLE held_requests;
