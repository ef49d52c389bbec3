package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"frontdesk"
)

// Directory sync (B5): sources, their runs, and the links between a source's entries and
// the people it created or matched.

const directorySourceColumns = `id, name, config, bind_password, next_run_at, last_run_at, created_at, updated_at`

func scanDirectorySource(r rowScanner) (*frontdesk.DirectorySource, error) {
	var s frontdesk.DirectorySource
	var id int64
	var name, config, password string
	var next, last sql.NullInt64
	var created, updated int64
	if err := r.Scan(&id, &name, &config, &password, &next, &last, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(config), &s); err != nil {
		return nil, err
	}
	if s.Rules == nil {
		s.Rules = []frontdesk.DirectoryRule{}
	}
	s.ID, s.Name, s.Password, s.PasswordSet = id, name, password, password != ""
	s.NextRunAt, s.LastRunAt = fromNullMicros(next), fromNullMicros(last)
	s.CreatedAt, s.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &s, nil
}

// DirectorySources returns every directory source, by name. Each carries its bind password,
// for the sync; front ends show PasswordSet only.
func (db *DB) DirectorySources(ctx context.Context) ([]*frontdesk.DirectorySource, error) {
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT `+directorySourceColumns+` FROM directory_sources ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*frontdesk.DirectorySource{}
	for rows.Next() {
		s, err := scanDirectorySource(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// GetDirectorySource returns one source, bind password included.
func (db *DB) GetDirectorySource(ctx context.Context, id int64) (*frontdesk.DirectorySource, error) {
	s, err := scanDirectorySource(db.reader(ctx).QueryRowContext(ctx, `SELECT `+directorySourceColumns+` FROM directory_sources WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("directory source", id)
	}
	return s, err
}

// SaveDirectorySource creates a source (id 0) or changes one: the change edits a copy, which
// is checked, stored and audited without the bind password. check, when not nil, sees the
// result before it is stored (the caller's permission checks on its rules).
func (db *DB) SaveDirectorySource(ctx context.Context, id int64, in frontdesk.DirectorySourceInput, check func(*frontdesk.DirectorySource) error) (*frontdesk.DirectorySource, error) {
	var out *frontdesk.DirectorySource
	err := db.inTx(ctx, func(tx *Tx) error {
		old := &frontdesk.DirectorySource{}
		if id != 0 {
			var err error
			old, err = scanDirectorySource(tx.QueryRowContext(ctx, `SELECT `+directorySourceColumns+` FROM directory_sources WHERE id = ?`, id))
			if isNoRows(err) {
				return notFound("directory source", id)
			}
			if err != nil {
				return err
			}
		}
		s := *old
		if err := frontdesk.ApplyDirectorySource(&s, in); err != nil {
			return err
		}
		if err := tx.checkDirectoryRefs(ctx, &s); err != nil {
			return err
		}
		if check != nil {
			if err := check(&s); err != nil {
				return err
			}
		}
		s.PasswordSet = s.Password != ""
		s.UpdatedAt = tx.now
		if s.Schedule != old.Schedule || s.DailyAt != old.DailyAt || s.IntervalHours != old.IntervalHours || id == 0 {
			s.NextRunAt = s.NextRun(tx.now)
		}
		config, err := json.Marshal(&s)
		if err != nil {
			return err
		}
		if id == 0 {
			s.CreatedAt = tx.now
			s.ID, err = tx.insert(ctx, `INSERT INTO directory_sources (name, config, bind_password, next_run_at, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?)`, s.Name, string(config), s.Password, nullMicros(s.NextRunAt), micros(s.CreatedAt), micros(s.UpdatedAt))
			if err != nil {
				return directoryConflict(err, s.Name)
			}
		} else if _, err := tx.ExecContext(ctx, `UPDATE directory_sources SET name = ?, config = ?, bind_password = ?, next_run_at = ?,
			updated_at = ? WHERE id = ?`, s.Name, string(config), s.Password, nullMicros(s.NextRunAt), micros(s.UpdatedAt), id); err != nil {
			return directoryConflict(err, s.Name)
		}
		out = &s
		action := "directory.update"
		if id == 0 {
			action, old = "directory.create", nil
		}
		return tx.audit(ctx, action, "directory_source", s.ID, hideBindPassword(old), hideBindPassword(&s))
	})
	return out, err
}

// checkDirectoryRefs checks that the organizations and sites a source names exist and fit.
func (tx *Tx) checkDirectoryRefs(ctx context.Context, s *frontdesk.DirectorySource) error {
	var probs frontdesk.Problems
	check := func(prefix string, org, site **int64) error {
		p := &frontdesk.Person{OrganizationID: *org, SiteID: *site}
		err := tx.checkOrgSite(ctx, p)
		var fe *frontdesk.Error
		if errors.As(err, &fe) && fe.Code == frontdesk.EInvalid {
			for _, f := range fe.Fields {
				probs.Add(prefix+f.Field, "%s", f.Message)
			}
			return nil
		}
		if err == nil {
			*org = p.OrganizationID
		}
		return err
	}
	if err := check("default_", &s.DefaultOrganizationID, &s.DefaultSiteID); err != nil {
		return err
	}
	for i := range s.Rules {
		r := &s.Rules[i]
		if err := check("rules["+strconv.Itoa(i)+"].", &r.OrganizationID, &r.SiteID); err != nil {
			return err
		}
	}
	return probs.Err()
}

func hideBindPassword(s *frontdesk.DirectorySource) *frontdesk.DirectorySource {
	if s == nil {
		return nil
	}
	c := *s
	c.Password = ""
	return &c
}

func directoryConflict(err error, name string) error {
	if _, ok := uniqueViolation(err); ok {
		return frontdesk.InvalidField("name", "a directory source named %q exists already", name)
	}
	return err
}

// DeleteDirectorySource removes a source with its runs and links; the people it made stay.
func (db *DB) DeleteDirectorySource(ctx context.Context, id int64) error {
	return db.inTx(ctx, func(tx *Tx) error {
		old, err := scanDirectorySource(tx.QueryRowContext(ctx, `SELECT `+directorySourceColumns+` FROM directory_sources WHERE id = ?`, id))
		if isNoRows(err) {
			return notFound("directory source", id)
		}
		if err != nil {
			return err
		}
		for _, q := range []string{`DELETE FROM directory_links WHERE source_id = ?`, `DELETE FROM directory_runs WHERE source_id = ?`,
			`DELETE FROM directory_sources WHERE id = ?`} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		return tx.audit(ctx, "directory.delete", "directory_source", id, hideBindPassword(old), nil)
	})
}

// DueDirectorySources returns the ids of sources whose scheduled run is due at now.
func (db *DB) DueDirectorySources(ctx context.Context, now time.Time) ([]int64, error) {
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT id FROM directory_sources WHERE next_run_at IS NOT NULL AND next_run_at <= ? ORDER BY next_run_at`, micros(now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// SetDirectoryRunTimes records that a source ran at last and runs next at next (nil: not
// scheduled).
func (db *DB) SetDirectoryRunTimes(ctx context.Context, id int64, last time.Time, next *time.Time) error {
	return db.inTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE directory_sources SET last_run_at = ?, next_run_at = ? WHERE id = ?`, micros(last), nullMicros(next), id)
		return err
	})
}

const directoryRunColumns = `id, source_id, state, origin, actor_name, digest, changes, created, updated, disabled, enabled,
	unchanged, failed, error, started_at, finished_at, applied_at`

func scanDirectoryRun(r rowScanner, withChanges bool) (*frontdesk.DirectoryRun, error) {
	var run frontdesk.DirectoryRun
	var changes string
	var started int64
	var finished, applied sql.NullInt64
	c := &run.Counts
	if err := r.Scan(&run.ID, &run.SourceID, &run.State, &run.Origin, &run.ActorName, &run.Digest, &changes, &c.Created,
		&c.Updated, &c.Disabled, &c.Enabled, &c.Unchanged, &c.Failed, &run.Error, &started, &finished, &applied); err != nil {
		return nil, err
	}
	run.Changes = []frontdesk.DirectoryChange{}
	if withChanges {
		if err := json.Unmarshal([]byte(changes), &run.Changes); err != nil {
			return nil, err
		}
	}
	run.StartedAt, run.FinishedAt, run.AppliedAt = fromMicros(started), fromNullMicros(finished), fromNullMicros(applied)
	return &run, nil
}

// SaveDirectoryRun stores a run (id 0 creates it) with its changes and counts.
func (db *DB) SaveDirectoryRun(ctx context.Context, run *frontdesk.DirectoryRun) error {
	return db.inTx(ctx, func(tx *Tx) error {
		if run.Changes == nil {
			run.Changes = []frontdesk.DirectoryChange{}
		}
		changes, err := json.Marshal(run.Changes)
		if err != nil {
			return err
		}
		if run.StartedAt.IsZero() {
			run.StartedAt = tx.now
		}
		c := run.Counts
		args := []any{run.State, run.Origin, run.ActorName, run.Digest, string(changes), c.Created, c.Updated, c.Disabled,
			c.Enabled, c.Unchanged, c.Failed, run.Error, micros(run.StartedAt), nullMicros(run.FinishedAt), nullMicros(run.AppliedAt)}
		if run.ID == 0 {
			run.ID, err = tx.insert(ctx, `INSERT INTO directory_runs (source_id, state, origin, actor_name, digest, changes,
				created, updated, disabled, enabled, unchanged, failed, error, started_at, finished_at, applied_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, append([]any{run.SourceID}, args...)...)
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE directory_runs SET state = ?, origin = ?, actor_name = ?, digest = ?, changes = ?,
			created = ?, updated = ?, disabled = ?, enabled = ?, unchanged = ?, failed = ?, error = ?, started_at = ?,
			finished_at = ?, applied_at = ? WHERE id = ?`, append(args, run.ID)...)
		return err
	})
}

// GetDirectoryRun returns one run of a source with its changes.
func (db *DB) GetDirectoryRun(ctx context.Context, sourceID, id int64) (*frontdesk.DirectoryRun, error) {
	run, err := scanDirectoryRun(db.reader(ctx).QueryRowContext(ctx, `SELECT `+directoryRunColumns+` FROM directory_runs
		WHERE source_id = ? AND id = ?`, sourceID, id), true)
	if isNoRows(err) {
		return nil, notFound("directory run", id)
	}
	return run, err
}

// DirectoryRuns returns a source's latest runs, newest first, without their changes.
func (db *DB) DirectoryRuns(ctx context.Context, sourceID int64, limit int) ([]*frontdesk.DirectoryRun, error) {
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT `+directoryRunColumns+` FROM directory_runs WHERE source_id = ?
		ORDER BY id DESC LIMIT ?`, sourceID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*frontdesk.DirectoryRun{}
	for rows.Next() {
		run, err := scanDirectoryRun(rows, false)
		if err != nil {
			return nil, err
		}
		out = append(out, run)
	}
	return out, rows.Err()
}

// DirectoryLink ties a directory entry, by the directory's unique key, to a person.
type DirectoryLink struct {
	PersonID int64
	Key      string
	DN       string
	// DisabledBySync says the source disabled the person (they left the directory): only
	// those are enabled again when they come back.
	DisabledBySync bool
}

// DirectoryLinks returns every link of a source by key.
func (db *DB) DirectoryLinks(ctx context.Context, sourceID int64) (map[string]DirectoryLink, error) {
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT person_id, dir_key, dn, disabled_by_sync FROM directory_links WHERE source_id = ?`, sourceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]DirectoryLink{}
	for rows.Next() {
		var l DirectoryLink
		var dis int
		if err := rows.Scan(&l.PersonID, &l.Key, &l.DN, &dis); err != nil {
			return nil, err
		}
		l.DisabledBySync = dis != 0
		out[l.Key] = l
	}
	return out, rows.Err()
}

// LinkDirectoryEntry ties an entry to a person, replacing any link either had in the source.
func (db *DB) LinkDirectoryEntry(ctx context.Context, sourceID int64, l DirectoryLink) error {
	return db.inTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM directory_links WHERE source_id = ? AND (dir_key = ? OR person_id = ?)`,
			sourceID, l.Key, l.PersonID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO directory_links (source_id, person_id, dir_key, dn, disabled_by_sync, seen_at)
			VALUES (?, ?, ?, ?, ?, ?)`, sourceID, l.PersonID, l.Key, l.DN, b2i(l.DisabledBySync), micros(tx.now))
		return err
	})
}

// PersonIDByExternalID returns the id of the person with an external id.
func (db *DB) PersonIDByExternalID(ctx context.Context, externalID string) (int64, error) {
	var id int64
	err := db.reader(ctx).QueryRowContext(ctx, `SELECT id FROM people WHERE external_id = ?`, externalID).Scan(&id)
	if isNoRows(err) {
		return 0, frontdesk.Errorf(frontdesk.ENotFound, "no person has the external id %s", externalID)
	}
	return id, err
}

// ClaimDirectoryRun marks a previewed run applied before its changes are made, so that two
// confirmations of one preview apply it once: it reports false when the run was not
// previewed any more. A crash while applying leaves the run applied with part of its changes
// made; the next preview shows what is left.
func (db *DB) ClaimDirectoryRun(ctx context.Context, sourceID, id int64) (bool, error) {
	var n int64
	err := db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE directory_runs SET state = ?, applied_at = ? WHERE source_id = ? AND id = ? AND state = ?`,
			frontdesk.RunApplied, micros(tx.now), sourceID, id, frontdesk.RunPreviewed)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n == 1, err
}
