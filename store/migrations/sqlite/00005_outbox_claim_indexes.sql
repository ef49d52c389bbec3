-- +goose Up
-- Indexes that match delivery's claim queries column for column (issue 7, item 23): state
-- first, so that the equality on state and the range and order of the claim use one index
-- with no sort, whatever the statistics say. The old partial indexes began with the time, and
-- without statistics SQLite preferred outbox_state (state, id) and sorted the whole queued
-- backlog on every claim.
DROP INDEX outbox_due;
DROP INDEX outbox_lease;
CREATE INDEX outbox_claim_due ON outbox (state, next_attempt_at, id) WHERE state = 'queued';
CREATE INDEX outbox_claim_lease ON outbox (state, lease_until) WHERE state = 'sending';

-- +goose Down
DROP INDEX outbox_claim_lease;
DROP INDEX outbox_claim_due;
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE state = 'queued';
CREATE INDEX outbox_lease ON outbox (lease_until) WHERE state = 'sending';
