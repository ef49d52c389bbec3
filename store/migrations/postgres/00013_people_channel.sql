-- +goose Up
-- The people directory (L7) filters by the channel a person came by. Without an index a
-- rare channel ("came by CLI", or one nobody came by) reads the whole table in id order to
-- fill a page; with it a page reads its own rows in (channel, id) order, as the other
-- filters' indexes do. It is one short text and an id per person.
CREATE INDEX people_channel_id ON people (channel, id);

-- +goose Down
DROP INDEX people_channel_id;
