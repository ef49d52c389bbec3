-- +goose Up
-- The outbox (E6): every email is a row, written in the transaction of the change that
-- causes it, and delivered from here. With no SMTP server configured, it is also the local
-- mailbox admins read. Suppressed messages (E5) stay here as the record of the suppression.
CREATE TABLE outbox (
    id                INTEGER PRIMARY KEY,
    person_id         INTEGER,
    to_address        TEXT    NOT NULL,
    to_name           TEXT    NOT NULL DEFAULT '',
    from_address      TEXT    NOT NULL,
    template          TEXT    NOT NULL DEFAULT '',
    subject           TEXT    NOT NULL,
    text_body         TEXT    NOT NULL,
    html_body         TEXT    NOT NULL DEFAULT '',
    message_id        TEXT    NOT NULL UNIQUE,
    state             TEXT    NOT NULL,
    suppressed_reason TEXT    NOT NULL DEFAULT '',
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   INTEGER NOT NULL,
    last_error        TEXT    NOT NULL DEFAULT '',
    worker            TEXT,
    lease_until       INTEGER,
    via               TEXT    NOT NULL DEFAULT '',
    created_at        INTEGER NOT NULL,
    sent_at           INTEGER
);
-- What delivery claims: due messages in order, and sending ones whose lease ran out.
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE state = 'queued';
CREATE INDEX outbox_lease ON outbox (lease_until) WHERE state = 'sending';
CREATE INDEX outbox_state ON outbox (state, id);
CREATE INDEX outbox_person ON outbox (person_id, id);

-- Admins' versions of the email templates (E4); a name with no row uses the built-in default.
CREATE TABLE mail_templates (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    subject    TEXT    NOT NULL,
    text_body  TEXT    NOT NULL,
    html_body  TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE mail_templates;
DROP TABLE outbox;
