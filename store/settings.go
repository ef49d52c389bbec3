package store

import (
	"context"
	"encoding/json"

	"frontdesk"
)

// GetSettings returns the helpdesk's settings, defaults filled in.
func (db *DB) GetSettings(ctx context.Context) (frontdesk.Settings, error) {
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

// UpdateSettings changes settings and audits before and after.
func (db *DB) UpdateSettings(ctx context.Context, in frontdesk.SettingsInput) (frontdesk.Settings, error) {
	var out frontdesk.Settings
	err := db.WithTx(ctx, func(ctx context.Context) error {
		old, err := db.GetSettings(ctx)
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
