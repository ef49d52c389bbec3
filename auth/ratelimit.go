package auth

import (
	"sync"
	"time"
)

// Limiter is a token bucket per key: Burst attempts at once, then one more every Every. It
// keys by client address and by target address alike, so that neither one client nor a
// spread of clients can hammer one account. It is per process; with several instances each
// keeps its own, which bounds attempts to instances × limit.
type Limiter struct {
	Burst int
	Every time.Duration
	Now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	sweep   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewLimiter returns a limiter allowing burst attempts, refilled one per every.
func NewLimiter(burst int, every time.Duration) *Limiter {
	return &Limiter{Burst: burst, Every: every, Now: time.Now, buckets: map[string]*bucket{}}
}

// Allow takes one attempt for every key and reports whether all of them had one left; when
// one had not, it takes nothing and returns how long until it has.
func (l *Limiter) Allow(keys ...string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.Now()
	l.collect(now)
	var wait time.Duration
	for _, k := range keys {
		b := l.refill(k, now)
		if b.tokens < 1 {
			if w := time.Duration((1 - b.tokens) * float64(l.Every)); w > wait {
				wait = w
			}
		}
	}
	if wait > 0 {
		return false, wait
	}
	for _, k := range keys {
		l.buckets[k].tokens--
	}
	return true, 0
}

func (l *Limiter) refill(k string, now time.Time) *bucket {
	b, ok := l.buckets[k]
	if !ok {
		b = &bucket{tokens: float64(l.Burst), at: now}
		l.buckets[k] = b
		return b
	}
	b.tokens += float64(now.Sub(b.at)) / float64(l.Every)
	if b.tokens > float64(l.Burst) {
		b.tokens = float64(l.Burst)
	}
	b.at = now
	return b
}

// collect forgets full buckets now and then, so memory stays bounded by recent activity.
func (l *Limiter) collect(now time.Time) {
	if now.Sub(l.sweep) < time.Minute {
		return
	}
	l.sweep = now
	full := time.Duration(l.Burst) * l.Every
	for k, b := range l.buckets {
		if now.Sub(b.at) > full {
			delete(l.buckets, k)
		}
	}
}
