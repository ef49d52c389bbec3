package store

import "context"

// CountRateLimits returns how many rate limit buckets are stored, for the sweep's test.
func (db *DB) CountRateLimits(ctx context.Context) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM rate_limits`).Scan(&n)
	return n, err
}
