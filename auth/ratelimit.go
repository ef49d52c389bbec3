package auth

import (
	"context"
	"sync"
	"time"
)

// Limiter is a token bucket per key: Burst attempts at once, then one more every Every. The
// callers key it by client address, by target address or by both, so that neither one client
// nor a spread of clients can hammer one account. MemoryLimiter keeps the buckets in the
// process (one instance on SQLite); store.Limiter keeps them in PostgreSQL, so that every
// instance draws on the same buckets.
type Limiter interface {
	// Allow takes one attempt from every key and reports whether all of them had one left;
	// when one had not, it takes nothing and returns how long until it has. An error (the
	// store failed) refuses the attempt: a limit that cannot be checked does not hold.
	Allow(ctx context.Context, keys ...string) (ok bool, wait time.Duration, err error)
	// Undo gives back one attempt to every key, for an attempt that turned out not to count
	// (a login that succeeded).
	Undo(ctx context.Context, keys ...string) error
	// Reset fills the keys' buckets again.
	Reset(ctx context.Context, keys ...string) error
}

// Rate is the shape of a bucket: Burst attempts, then one every Every.
type Rate struct {
	Burst int
	Every time.Duration
}

// Refill returns the tokens of a bucket that held tokens at `at`, seen at now: one more per
// Every, at most Burst. Both limiters use it, so they agree.
func (r Rate) Refill(tokens float64, at, now time.Time) float64 {
	if d := now.Sub(at); d > 0 {
		tokens += float64(d) / float64(r.Every)
	}
	return min(tokens, float64(r.Burst))
}

// Wait returns how long a bucket holding tokens takes to hold one.
func (r Rate) Wait(tokens float64) time.Duration {
	if tokens >= 1 {
		return 0
	}
	return time.Duration((1 - tokens) * float64(r.Every))
}

// FullAt returns when a bucket holding tokens at `at` is full again, after which it can be
// forgotten.
func (r Rate) FullAt(tokens float64, at time.Time) time.Time {
	return at.Add(time.Duration((float64(r.Burst) - tokens) * float64(r.Every)))
}

// MemoryLimiter is a Limiter in the process's memory.
type MemoryLimiter struct {
	Rate
	Now func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	sweep   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewLimiter returns an in-memory limiter allowing burst attempts, refilled one per every.
func NewLimiter(burst int, every time.Duration) *MemoryLimiter {
	return &MemoryLimiter{Rate: Rate{Burst: burst, Every: every}, Now: time.Now, buckets: map[string]*bucket{}}
}

// Allow implements Limiter; it never fails.
func (l *MemoryLimiter) Allow(_ context.Context, keys ...string) (bool, time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.Now()
	l.collect(now)
	var wait time.Duration
	for _, k := range keys {
		wait = max(wait, l.Wait(l.refill(k, now).tokens))
	}
	if wait > 0 {
		return false, wait, nil
	}
	for _, k := range keys {
		l.buckets[k].tokens--
	}
	return true, 0, nil
}

// Undo implements Limiter.
func (l *MemoryLimiter) Undo(_ context.Context, keys ...string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.Now()
	for _, k := range keys {
		b := l.refill(k, now)
		b.tokens = min(b.tokens+1, float64(l.Burst))
	}
	return nil
}

// Reset implements Limiter.
func (l *MemoryLimiter) Reset(_ context.Context, keys ...string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		delete(l.buckets, k)
	}
	return nil
}

func (l *MemoryLimiter) refill(k string, now time.Time) *bucket {
	b, ok := l.buckets[k]
	if !ok {
		b = &bucket{tokens: float64(l.Burst), at: now}
		l.buckets[k] = b
		return b
	}
	b.tokens, b.at = l.Refill(b.tokens, b.at, now), now
	return b
}

// collect forgets full buckets now and then, so memory stays bounded by recent activity.
func (l *MemoryLimiter) collect(now time.Time) {
	if now.Sub(l.sweep) < time.Minute {
		return
	}
	l.sweep = now
	for k, b := range l.buckets {
		if !now.Before(l.FullAt(b.tokens, b.at)) {
			delete(l.buckets, k)
		}
	}
}
