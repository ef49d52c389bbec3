-- +goose Up
-- When an API token was last used, kept to the minute so that authentication rarely writes.
ALTER TABLE api_tokens ADD COLUMN last_used_at BIGINT;

-- +goose Down
ALTER TABLE api_tokens DROP COLUMN last_used_at;
