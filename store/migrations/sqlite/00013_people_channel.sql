-- +goose Up
-- The people directory (L7) filters by the channel a person came by. Without an index a
-- rare channel ("came by CLI", or one nobody came by) reads the whole table in id order to
-- fill a page; with it a page reads its own rows. The index is one short text per person
-- (its entries end in the rowid, so one channel's are in id order), and imports append to
-- it, which costs them little.
CREATE INDEX people_channel ON people (channel);

-- +goose Down
DROP INDEX people_channel;
