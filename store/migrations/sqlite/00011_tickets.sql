-- +goose Up
-- Tickets in full (T1, T3): where they belong, how they came, who works them, whether they
-- were spam (L4), and the requester's rating once closed.
ALTER TABLE tickets ADD COLUMN organization_id INTEGER REFERENCES organizations (id);
ALTER TABLE tickets ADD COLUMN site_id INTEGER REFERENCES sites (id);
ALTER TABLE tickets ADD COLUMN channel TEXT NOT NULL DEFAULT 'api';
ALTER TABLE tickets ADD COLUMN assignee_id INTEGER REFERENCES people (id);
ALTER TABLE tickets ADD COLUMN spam INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN rating TEXT;
ALTER TABLE tickets ADD COLUMN rating_comment TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN rated_at INTEGER;

-- The list filters (requester uses tickets_requester); each ends with id, the cursor's order,
-- and holds only what lists show: tickets out of the trash.
CREATE INDEX tickets_status ON tickets (status, id) WHERE trashed_at IS NULL;
CREATE INDEX tickets_assignee ON tickets (assignee_id, id) WHERE trashed_at IS NULL;
CREATE INDEX tickets_organization ON tickets (organization_id, id) WHERE trashed_at IS NULL;

-- The thread: public replies and private notes. message_id is the Message-ID of the email
-- that carried a reply to the requester, on which their answer threads.
CREATE TABLE ticket_messages (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id),
    author_id  INTEGER NOT NULL REFERENCES people (id),
    public     INTEGER NOT NULL,
    body       TEXT    NOT NULL,
    message_id TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE INDEX ticket_messages_ticket ON ticket_messages (ticket_id, id);
CREATE INDEX ticket_messages_message_id ON ticket_messages (message_id) WHERE message_id <> '';

-- +goose Down
DROP TABLE ticket_messages;
DROP INDEX tickets_organization;
DROP INDEX tickets_assignee;
DROP INDEX tickets_status;
ALTER TABLE tickets DROP COLUMN rated_at;
ALTER TABLE tickets DROP COLUMN rating_comment;
ALTER TABLE tickets DROP COLUMN rating;
ALTER TABLE tickets DROP COLUMN spam;
ALTER TABLE tickets DROP COLUMN assignee_id;
ALTER TABLE tickets DROP COLUMN channel;
ALTER TABLE tickets DROP COLUMN site_id;
ALTER TABLE tickets DROP COLUMN organization_id;
