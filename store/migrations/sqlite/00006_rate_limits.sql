-- +goose Up
-- Rate limit buckets (store.Limiter; the server uses it on PostgreSQL, where instances share
-- them): the tokens left at a time, and when the bucket is full again and the row can go.
CREATE TABLE rate_limits (
    key     TEXT             PRIMARY KEY,
    tokens  REAL             NOT NULL,
    at      INTEGER          NOT NULL,
    full_at INTEGER          NOT NULL
);
CREATE INDEX rate_limits_full_at ON rate_limits (full_at);

-- +goose Down
DROP TABLE rate_limits;
