package store

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"frontdesk/auth"
)

// Limiter is an auth.Limiter whose buckets are rows of rate_limits, so that every instance on
// one PostgreSQL draws on the same buckets and N instances do not allow N times the limit.
// Each call is one short transaction that takes its keys' rows in key order, so two calls
// over the same keys queue one behind the other instead of both spending the last attempt.
type Limiter struct {
	db   *DB
	name string
	rate auth.Rate

	mu    sync.Mutex
	swept time.Time
}

// Limiter returns the limiter called name (its keys are stored under that prefix) with the
// given rate.
func (db *DB) Limiter(name string, rate auth.Rate) *Limiter {
	return &Limiter{db: db, name: name, rate: rate}
}

// Allow implements auth.Limiter.
func (l *Limiter) Allow(ctx context.Context, keys ...string) (bool, time.Duration, error) {
	var wait time.Duration
	err := l.update(ctx, keys, func(tokens []float64) bool {
		for _, t := range tokens {
			wait = max(wait, l.rate.Wait(t))
		}
		if wait > 0 {
			return false
		}
		for i := range tokens {
			tokens[i]--
		}
		return true
	})
	l.sweep(ctx)
	if err != nil {
		return false, 0, err
	}
	return wait == 0, wait, nil
}

// Undo implements auth.Limiter.
func (l *Limiter) Undo(ctx context.Context, keys ...string) error {
	return l.update(ctx, keys, func(tokens []float64) bool {
		for i := range tokens {
			tokens[i] = min(tokens[i]+1, float64(l.rate.Burst))
		}
		return true
	})
}

// Reset implements auth.Limiter.
func (l *Limiter) Reset(ctx context.Context, keys ...string) error {
	keys = l.keys(keys)
	if len(keys) == 0 {
		return nil
	}
	return l.db.inTx(ownTx(ctx), func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM rate_limits WHERE key IN (`+placeholders(len(keys))+`)`, anys(keys)...)
		return err
	})
}

// update locks the keys' buckets (making missing ones full), refills them to now, lets fn
// change the tokens, and writes them back when fn says so.
func (l *Limiter) update(ctx context.Context, keys []string, fn func(tokens []float64) bool) error {
	keys = l.keys(keys)
	if len(keys) == 0 {
		return nil
	}
	return l.db.inTx(ownTx(ctx), func(tx *Tx) error {
		now := tx.now
		var tokens []float64
		// A sweep may delete a full bucket between the insert and the select; then the
		// select misses it and the insert makes it again.
		for try := 0; len(tokens) < len(keys); try++ {
			if try == 3 {
				return fmt.Errorf("rate limit buckets %v keep vanishing", keys)
			}
			var err error
			if tokens, err = l.lock(ctx, tx, keys, now); err != nil {
				return err
			}
		}
		if !fn(tokens) {
			return nil
		}
		for i, k := range keys {
			if _, err := tx.ExecContext(ctx, `UPDATE rate_limits SET tokens = ?, at = ?, full_at = ? WHERE key = ?`,
				tokens[i], micros(now), micros(l.rate.FullAt(tokens[i], now)), k); err != nil {
				return err
			}
		}
		return nil
	})
}

// lock makes the missing buckets full, then locks and reads all of them, refilled to now.
func (l *Limiter) lock(ctx context.Context, tx *Tx, keys []string, now time.Time) ([]float64, error) {
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, `INSERT INTO rate_limits (key, tokens, at, full_at) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`,
			k, float64(l.rate.Burst), micros(now), micros(now)); err != nil {
			return nil, err
		}
	}
	q := `SELECT tokens, at FROM rate_limits WHERE key IN (` + placeholders(len(keys)) + `) ORDER BY key`
	if l.db.engine == Postgres {
		q += ` FOR UPDATE` // SQLite has one writer, which the transaction already holds
	}
	rows, err := tx.QueryContext(ctx, q, anys(keys)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	tokens := make([]float64, 0, len(keys))
	for rows.Next() {
		var t float64
		var at int64
		if err := rows.Scan(&t, &at); err != nil {
			return nil, err
		}
		tokens = append(tokens, l.rate.Refill(t, fromMicros(at), now))
	}
	return tokens, rows.Err()
}

// keys prefixes the keys with the limiter's name, in one order, without repeats.
func (l *Limiter) keys(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = l.name + ":" + k
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// sweep deletes full buckets, of every limiter, at most once a minute per limiter.
func (l *Limiter) sweep(ctx context.Context) {
	l.mu.Lock()
	now := l.db.now()
	if now.Sub(l.swept) < time.Minute {
		l.mu.Unlock()
		return
	}
	l.swept = now
	l.mu.Unlock()
	if _, err := l.db.write.ExecContext(ctx, l.db.rebind(`DELETE FROM rate_limits WHERE full_at <= ?`), micros(now)); err != nil {
		l.db.log.Warn("rate limit sweep", "err", err)
	}
}

// ownTx detaches ctx from an enclosing transaction: an attempt counts even when the caller's
// work rolls back.
func ownTx(ctx context.Context) context.Context {
	return context.WithValue(ctx, txKey{}, nil)
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
