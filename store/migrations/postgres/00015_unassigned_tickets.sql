-- +goose Up
-- The queue of tickets nobody works yet (assignee=none): its own small index in cursor order,
-- which stays small as the unassigned tickets are taken.
CREATE INDEX tickets_unassigned ON tickets (id) WHERE trashed_at IS NULL AND assignee_id IS NULL;

-- +goose Down
DROP INDEX tickets_unassigned;
