// Package lifecycle runs the background jobs that move people through their lifecycle on
// time (L4). Every job is idempotent and safe to run in several instances at once; each has a
// RunOnce that does one pass at a given time, for tests and operators, and a Run that ticks.
package lifecycle

import (
	"context"
	"log/slog"
	"time"

	"frontdesk"
	"frontdesk/store"
)

// DefaultBanInterval is how often the BanExpirer looks for ended bans.
const DefaultBanInterval = 30 * time.Second

// BanExpirer ends temporary bans at their time (L4): banned people whose banned_until has
// passed become active again, each recorded in the audit log as person.ban_expired by the
// system.
type BanExpirer struct {
	db       *store.DB
	log      *slog.Logger
	interval time.Duration
	now      func() time.Time
}

// NewBanExpirer returns a BanExpirer over db that looks every DefaultBanInterval.
func NewBanExpirer(db *store.DB, log *slog.Logger) *BanExpirer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &BanExpirer{db: db, log: log, interval: DefaultBanInterval, now: time.Now}
}

// WithInterval returns b looking every d instead.
func (b *BanExpirer) WithInterval(d time.Duration) *BanExpirer {
	b.interval = d
	return b
}

// RunOnce ends every ban that ended at or before now and returns the ids of the people it
// made active again.
func (b *BanExpirer) RunOnce(ctx context.Context, now time.Time) ([]int64, error) {
	// The job acts as the system, whatever the caller's context says: the audit names it.
	ids, err := b.db.EndExpiredBans(frontdesk.WithActor(ctx, frontdesk.System), now)
	if len(ids) > 0 {
		b.log.Info("bans ended", "count", len(ids), "people", ids)
	}
	return ids, err
}

// Run ends bans at once and then every interval until ctx is done. A failed pass is logged
// and retried at the next tick.
func (b *BanExpirer) Run(ctx context.Context) {
	t := time.NewTicker(b.interval)
	defer t.Stop()
	for {
		if _, err := b.RunOnce(ctx, b.now()); err != nil && ctx.Err() == nil {
			b.log.Error("ending bans", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
