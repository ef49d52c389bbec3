-- +goose Up
-- Wrong guesses at a login code (C1): the code dies after a few, so that guessing a short
-- code is bounded per code, not only per client.
ALTER TABLE person_tokens ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
CREATE INDEX person_tokens_live_address ON person_tokens (purpose, address) WHERE used_at IS NULL;

-- +goose Down
DROP INDEX person_tokens_live_address;
ALTER TABLE person_tokens DROP COLUMN attempts;
