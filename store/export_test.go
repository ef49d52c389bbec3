package store

import "context"

// CountRateLimits returns how many rate limit buckets are stored, for the sweep's test.
func (db *DB) CountRateLimits(ctx context.Context) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM rate_limits`).Scan(&n)
	return n, err
}

// Queued says how many jobs wait for the batcher.
func (b *Batcher) Queued() int { return len(b.jobs) }

// OnBatch makes the batcher call fn with the size of each batch it commits.
func (b *Batcher) OnBatch(fn func(n int)) { b.batch = fn }
