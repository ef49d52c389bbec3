-- +goose Up
CREATE TABLE organizations (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    external_id TEXT    NOT NULL DEFAULT '',
    notes       TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX organizations_name ON organizations (lower(name));

-- Each domain belongs to at most one organization (P9).
CREATE TABLE organization_domains (
    domain          TEXT    PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id)
) WITHOUT ROWID;
CREATE INDEX organization_domains_org ON organization_domains (organization_id);

CREATE TABLE sites (
    id              INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    name            TEXT    NOT NULL,
    address         TEXT,
    timezone        TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX sites_org_name ON sites (organization_id, lower(name));

CREATE TABLE people (
    id                 INTEGER PRIMARY KEY,
    role               TEXT    NOT NULL,
    state              TEXT    NOT NULL,
    first_name         TEXT    NOT NULL DEFAULT '',
    middle_name        TEXT    NOT NULL DEFAULT '',
    last_name          TEXT    NOT NULL DEFAULT '',
    preferred_name     TEXT    NOT NULL DEFAULT '',
    -- denormalized copy of person_emails, so that one row read gives the whole person
    emails             TEXT    NOT NULL DEFAULT '[]',
    -- lower-cased 'first last' and 'last first' for prefix suggestions (P5)
    first_key          TEXT    NOT NULL DEFAULT '',
    last_key           TEXT    NOT NULL DEFAULT '',
    phones             TEXT    NOT NULL DEFAULT '[]',
    addresses          TEXT    NOT NULL DEFAULT '[]',
    timezone           TEXT    NOT NULL DEFAULT '',
    locale             TEXT    NOT NULL DEFAULT '',
    external_id        TEXT,
    notes              TEXT    NOT NULL DEFAULT '',
    custom             TEXT    NOT NULL DEFAULT '{}',
    web_access         TEXT    NOT NULL,
    machine            INTEGER NOT NULL DEFAULT 0,
    do_not_email       INTEGER NOT NULL DEFAULT 0,
    marketing_opt_in   INTEGER NOT NULL DEFAULT 0,
    organization_id    INTEGER REFERENCES organizations (id),
    site_id            INTEGER REFERENCES sites (id),
    channel            TEXT    NOT NULL,
    banned_until       INTEGER,
    ban_reason         TEXT    NOT NULL DEFAULT '',
    state_before_trash TEXT,
    last_login_at      INTEGER,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
-- Exactly one owner (P2): at most one here, at least one kept by the hand-over.
CREATE UNIQUE INDEX people_one_owner ON people (role) WHERE role = 'owner';
CREATE UNIQUE INDEX people_external_id ON people (external_id) WHERE external_id IS NOT NULL;
CREATE INDEX people_first_key ON people (first_key);
CREATE INDEX people_last_key ON people (last_key);
CREATE INDEX people_org ON people (organization_id);
CREATE INDEX people_site ON people (site_id);
CREATE INDEX people_state ON people (state);

-- One address, one person (P5, C14): the database keeps the rule.
CREATE TABLE person_emails (
    address   TEXT    PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people (id),
    position  INTEGER NOT NULL,
    is_primary INTEGER NOT NULL DEFAULT 0,
    verified  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX person_emails_person ON person_emails (person_id, position);

CREATE TABLE person_phones (
    number    TEXT    NOT NULL,
    person_id INTEGER NOT NULL REFERENCES people (id),
    PRIMARY KEY (number, person_id)
) WITHOUT ROWID;
CREATE INDEX person_phones_person ON person_phones (person_id);

CREATE TABLE custom_fields (
    id         INTEGER PRIMARY KEY,
    key        TEXT    NOT NULL UNIQUE,
    label      TEXT    NOT NULL,
    type       TEXT    NOT NULL,
    options    TEXT    NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE segments (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    filter     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX segments_name ON segments (lower(name));

CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    at           INTEGER NOT NULL,
    actor_id     INTEGER,
    actor_name   TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    subject_type TEXT    NOT NULL,
    subject_id   INTEGER NOT NULL,
    before       TEXT,
    after        TEXT
);
CREATE INDEX audit_log_subject ON audit_log (subject_type, subject_id, id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    person_id    INTEGER NOT NULL REFERENCES people (id),
    name         TEXT    NOT NULL,
    hash         TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_tokens_person ON api_tokens (person_id);

-- The first answer to a create, replayed for the same Idempotency-Key (I2).
CREATE TABLE idempotency_keys (
    actor_id     INTEGER NOT NULL,
    key          TEXT    NOT NULL,
    request_hash TEXT    NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0,
    body         BLOB,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (actor_id, key)
) WITHOUT ROWID;

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- +goose Down
DROP TABLE settings;
DROP TABLE idempotency_keys;
DROP TABLE api_tokens;
DROP TABLE audit_log;
DROP TABLE segments;
DROP TABLE custom_fields;
DROP TABLE person_phones;
DROP TABLE person_emails;
DROP TABLE people;
DROP TABLE sites;
DROP TABLE organization_domains;
DROP TABLE organizations;
