package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"frontdesk"
)

// settingsTTL bounds how long another PostgreSQL instance's change of the settings takes to
// show here; this process's own changes show at once.
const settingsTTL = 2 * time.Second

// settingsCache holds the settings as last read, with the generation they were read in.
type settingsCache struct {
	s   frontdesk.Settings
	gen uint64
	at  time.Time
}

// GetSettings returns the helpdesk's settings, defaults filled in. They are read on nearly
// every request and change rarely, so they are cached: for at most settingsTTL, and until
// this process changes them. A transaction that changed them reads them fresh.
func (db *DB) GetSettings(ctx context.Context) (frontdesk.Settings, error) {
	if tx, ok := ctx.Value(txKey{}).(*Tx); !ok || !tx.settingsChanged {
		if c := db.settings.Load(); c != nil && c.gen == db.settingsGen.Load() && time.Since(c.at) < settingsTTL {
			return c.s, nil
		}
	}
	gen := db.settingsGen.Load()
	s, err := db.readSettings(ctx)
	if err != nil {
		return s, err
	}
	if tx, ok := ctx.Value(txKey{}).(*Tx); !ok || !tx.settingsChanged {
		// Kept only if no change committed since the read began (the generation moved).
		if db.settingsGen.Load() == gen {
			db.settings.Store(&settingsCache{s: s, gen: gen, at: time.Now()})
		}
	}
	return s, nil
}

func (db *DB) readSettings(ctx context.Context) (frontdesk.Settings, error) {
	s := frontdesk.DefaultSettings
	s.AllowedDomains, s.BlockedDomains, s.EmbedOrigins = []string{}, []string{}, []string{}
	var raw []byte
	err := db.reader(ctx).QueryRowContext(ctx, `SELECT value FROM settings WHERE key = 'settings'`).Scan(&raw)
	if err != nil {
		if isNoRows(err) {
			return s, nil
		}
		return s, err
	}
	err = json.Unmarshal(raw, &s)
	for _, l := range []*[]string{&s.AllowedDomains, &s.BlockedDomains, &s.EmbedOrigins} {
		if *l == nil {
			*l = []string{}
		}
	}
	return s, err
}

// UpdateSettings changes settings and audits before and after, in a transaction of its own,
// after which every reader of this process sees the change.
func (db *DB) UpdateSettings(ctx context.Context, in frontdesk.SettingsInput) (frontdesk.Settings, error) {
	var out frontdesk.Settings
	if _, inTx := ctx.Value(txKey{}).(*Tx); inTx {
		return out, fmt.Errorf("store: UpdateSettings runs in a transaction of its own")
	}
	defer db.settingsGen.Add(1) // after the commit, so no reader caches what it replaced
	err := db.WithTx(ctx, func(ctx context.Context) error {
		old, err := db.readSettings(ctx)
		if err != nil {
			return err
		}
		s := old
		if err := frontdesk.ApplySettings(&s, in); err != nil {
			return err
		}
		if s.RegistrationSiteID != nil {
			if _, err := db.GetSite(ctx, *s.RegistrationSiteID); err != nil {
				return frontdesk.InvalidField("registration_site_id", "there is no site %d", *s.RegistrationSiteID)
			}
		}
		if s.GeneralUserID != nil {
			if _, err := db.GetPerson(ctx, *s.GeneralUserID); err != nil {
				return frontdesk.InvalidField("general_user_id", "there is no person %d", *s.GeneralUserID)
			}
		}
		b, _ := json.Marshal(s)
		tx := ctx.Value(txKey{}).(*Tx)
		tx.settingsChanged = true
		if _, err := tx.ExecContext(ctx, `DELETE FROM settings WHERE key = 'settings'`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('settings', ?)`, string(b)); err != nil {
			return err
		}
		out = s
		return tx.audit(ctx, "settings.update", "settings", 0, old, s)
	})
	return out, err
}
