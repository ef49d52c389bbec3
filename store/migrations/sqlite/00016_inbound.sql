-- +goose Up
-- Inbound email (C8, T2, X3). A mailbox is an address Frontdesk receives mail for: over its
-- own SMTP listener, by polling the mailbox over IMAP, or from an MTA's pipe through the API.
-- unknown_senders overrides the setting of that name ('' follows it).
CREATE TABLE mailboxes (
    id               INTEGER PRIMARY KEY,
    address          TEXT    NOT NULL UNIQUE,
    name             TEXT    NOT NULL DEFAULT '',
    unknown_senders  TEXT    NOT NULL DEFAULT '',
    organization_id  INTEGER REFERENCES organizations (id),
    site_id          INTEGER REFERENCES sites (id),
    imap_host        TEXT    NOT NULL DEFAULT '',
    imap_port        INTEGER NOT NULL DEFAULT 993,
    imap_security    TEXT    NOT NULL DEFAULT 'tls',
    imap_user        TEXT    NOT NULL DEFAULT '',
    imap_password    TEXT    NOT NULL DEFAULT '',
    imap_folder      TEXT    NOT NULL DEFAULT 'INBOX',
    imap_move_to     TEXT    NOT NULL DEFAULT '',
    imap_uidvalidity INTEGER NOT NULL DEFAULT 0,
    imap_last_uid    INTEGER NOT NULL DEFAULT 0,
    imap_polled_at   INTEGER,
    imap_error       TEXT    NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);

-- Every message received, stored raw before anything else happens to it, then processed by
-- a job that may run again: the unique key (the Message-ID, or the content's hash without
-- one) makes a message received twice, by any way, one row. raw is the last column so that
-- scans of the log do not read it.
CREATE TABLE inbound_messages (
    id              INTEGER PRIMARY KEY,
    mailbox_id      INTEGER NOT NULL REFERENCES mailboxes (id),
    dedup_key       TEXT    NOT NULL,
    source          TEXT    NOT NULL,
    envelope_from   TEXT    NOT NULL DEFAULT '',
    envelope_to     TEXT    NOT NULL DEFAULT '',
    from_address    TEXT    NOT NULL DEFAULT '',
    subject         TEXT    NOT NULL DEFAULT '',
    message_id      TEXT    NOT NULL DEFAULT '',
    size            INTEGER NOT NULL,
    state           TEXT    NOT NULL,
    kind            TEXT    NOT NULL DEFAULT '',
    reason          TEXT    NOT NULL DEFAULT '',
    ticket_id       INTEGER REFERENCES tickets (id),
    person_id       INTEGER REFERENCES people (id),
    held_request_id INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    released        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    received_at     INTEGER NOT NULL,
    processed_at    INTEGER,
    raw             BLOB    NOT NULL,
    UNIQUE (mailbox_id, dedup_key)
);
CREATE INDEX inbound_pending ON inbound_messages (next_attempt_at, id) WHERE state = 'received';
-- Held mail waits for staff: few rows, listed newest first. Other states are common, and
-- a list of them reads the table backwards by id.
CREATE INDEX inbound_held ON inbound_messages (id) WHERE state = 'held';
CREATE INDEX inbound_sender ON inbound_messages (from_address, received_at) WHERE from_address <> '';

-- Files that came with a message or a form. content is the last column for the same reason.
CREATE TABLE attachments (
    id                INTEGER PRIMARY KEY,
    ticket_id         INTEGER REFERENCES tickets (id),
    ticket_message_id INTEGER REFERENCES ticket_messages (id),
    held_request_id   INTEGER,
    filename          TEXT    NOT NULL,
    content_type      TEXT    NOT NULL,
    size              INTEGER NOT NULL,
    sha256            TEXT    NOT NULL,
    inline            INTEGER NOT NULL DEFAULT 0,
    content_id        TEXT    NOT NULL DEFAULT '',
    created_at        INTEGER NOT NULL,
    content           BLOB    NOT NULL
);
CREATE INDEX attachments_message ON attachments (ticket_message_id) WHERE ticket_message_id IS NOT NULL;
CREATE INDEX attachments_held ON attachments (held_request_id) WHERE held_request_id IS NOT NULL;

-- The thread keeps the text below a reply (quoted history, signature) apart, folded away,
-- and which received message a reply came in.
ALTER TABLE ticket_messages ADD COLUMN folded TEXT NOT NULL DEFAULT '';
ALTER TABLE ticket_messages ADD COLUMN inbound_id INTEGER;
-- A reply to a ticket closed too long ago opens a new one that points back.
ALTER TABLE tickets ADD COLUMN follow_up_of INTEGER REFERENCES tickets (id);
-- Which ticket a mail was about, so that answers to it thread there.
ALTER TABLE outbox ADD COLUMN ticket_id INTEGER;

-- Addresses no mail goes to (X3), with why; and every bounce received, matched to the
-- message it reports on, or to nothing when it is forged or not about our mail.
CREATE TABLE suppressions (
    address    TEXT    PRIMARY KEY,
    reason     TEXT    NOT NULL,
    diagnostic TEXT    NOT NULL DEFAULT '',
    bounce_id  INTEGER,
    created_by INTEGER REFERENCES people (id),
    created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE mail_bounces (
    id         INTEGER PRIMARY KEY,
    inbound_id INTEGER NOT NULL REFERENCES inbound_messages (id),
    address    TEXT    NOT NULL DEFAULT '',
    outbox_id  INTEGER,
    hard       INTEGER NOT NULL,
    status     TEXT    NOT NULL DEFAULT '',
    diagnostic TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    UNIQUE (inbound_id, address)
);
CREATE INDEX mail_bounces_address ON mail_bounces (address, created_at);

-- Keys the instances share: signing reply and bounce addresses.
CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- +goose Down
DROP TABLE secrets;
DROP TABLE mail_bounces;
DROP TABLE suppressions;
ALTER TABLE outbox DROP COLUMN ticket_id;
ALTER TABLE tickets DROP COLUMN follow_up_of;
ALTER TABLE ticket_messages DROP COLUMN inbound_id;
ALTER TABLE ticket_messages DROP COLUMN folded;
DROP TABLE attachments;
DROP TABLE inbound_messages;
DROP TABLE mailboxes;
