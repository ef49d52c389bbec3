-- +goose Up
-- Invitations in bulk (X8): when a confirmation or welcome mail last went to a person from a
-- segment's resend, so that a second click within a short window sends nothing again. One
-- row per person and purpose, claimed by an upsert that succeeds only when the window passed.
CREATE TABLE invitation_guards (
    person_id BIGINT  NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    purpose   TEXT    NOT NULL,
    sent_at   BIGINT  NOT NULL,
    PRIMARY KEY (person_id, purpose)
);

-- +goose Down
DROP TABLE invitation_guards;
