-- +goose Up
-- How a person logs in: a password (argon2id, PHC string) or an emailed one-time code (C1).
CREATE TABLE person_credentials (
    person_id     BIGINT  PRIMARY KEY REFERENCES people (id),
    login_method  TEXT    NOT NULL DEFAULT 'password',
    password_hash TEXT,
    onboarded_at  BIGINT,
    updated_at    BIGINT  NOT NULL
);

-- Server-side sessions; the cookie holds a secret whose SHA-256 is the id.
CREATE TABLE sessions (
    id           TEXT    PRIMARY KEY,
    person_id    BIGINT  NOT NULL REFERENCES people (id),
    created_at   BIGINT  NOT NULL,
    last_seen_at BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL,
    user_agent   TEXT    NOT NULL DEFAULT '',
    client_ip    TEXT    NOT NULL DEFAULT '',
    revoked_at   BIGINT
);
CREATE INDEX sessions_person ON sessions (person_id);

-- Single-use, expiring tokens sent by mail (E1, E2, E3, L5), stored hashed.
CREATE TABLE person_tokens (
    hash       TEXT    PRIMARY KEY,
    person_id  BIGINT  NOT NULL REFERENCES people (id),
    purpose    TEXT    NOT NULL,
    address    TEXT    NOT NULL DEFAULT '',
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL,
    used_at    BIGINT
);
CREATE INDEX person_tokens_person ON person_tokens (person_id, purpose);

-- +goose Down
DROP TABLE person_tokens;
DROP TABLE sessions;
DROP TABLE person_credentials;
