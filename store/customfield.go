package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"frontdesk"
)

const customFieldColumns = `id, key, label, type, options, created_at, updated_at`

func scanCustomField(r rowScanner) (*frontdesk.CustomField, error) {
	var f frontdesk.CustomField
	var opts []byte
	var created, updated int64
	if err := r.Scan(&f.ID, &f.Key, &f.Label, &f.Type, &opts, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(opts, &f.Options); err != nil {
		return nil, err
	}
	f.CreatedAt, f.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &f, nil
}

// CreateCustomField stores a new custom field definition.
func (db *DB) CreateCustomField(ctx context.Context, f *frontdesk.CustomField) error {
	defer db.forgetFields()
	return db.inTx(ctx, func(tx *Tx) error {
		f.CreatedAt, f.UpdatedAt = tx.now, tx.now
		opts, _ := json.Marshal(f.Options)
		id, err := tx.insert(ctx, `INSERT INTO custom_fields (key, label, type, options, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			f.Key, f.Label, f.Type, string(opts), micros(f.CreatedAt), micros(f.UpdatedAt))
		if _, ok := uniqueViolation(err); ok {
			return &frontdesk.Error{Code: frontdesk.EConflict, Message: "a custom field with this key exists",
				Fields: []frontdesk.FieldError{{Field: "key", Message: f.Key + " is taken"}}}
		}
		if err != nil {
			return err
		}
		f.ID = id
		return tx.audit(ctx, "custom_field.create", "custom_field", id, nil, f)
	})
}

// GetCustomField returns one definition.
func (db *DB) GetCustomField(ctx context.Context, id int64) (*frontdesk.CustomField, error) {
	f, err := scanCustomField(db.reader(ctx).QueryRowContext(ctx, `SELECT `+customFieldColumns+` FROM custom_fields WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("custom field", id)
	}
	return f, err
}

// UpdateCustomField changes a definition's label or options. Values already stored that a
// narrower option list no longer allows stay, and are refused only when next written.
func (db *DB) UpdateCustomField(ctx context.Context, id int64, in frontdesk.CustomFieldInput) (*frontdesk.CustomField, error) {
	defer db.forgetFields()
	var out *frontdesk.CustomField
	err := db.WithTx(ctx, func(ctx context.Context) error {
		old, err := db.GetCustomField(ctx, id)
		if err != nil {
			return err
		}
		f := *old
		if err := frontdesk.ApplyCustomField(&f, in, false); err != nil {
			return err
		}
		tx := ctx.Value(txKey{}).(*Tx)
		f.UpdatedAt = tx.now
		opts, _ := json.Marshal(f.Options)
		if _, err := tx.ExecContext(ctx, `UPDATE custom_fields SET label = ?, options = ?, updated_at = ? WHERE id = ?`,
			f.Label, string(opts), micros(f.UpdatedAt), id); err != nil {
			return err
		}
		out = &f
		return tx.audit(ctx, "custom_field.update", "custom_field", id, old, f)
	})
	return out, err
}

// ListCustomFields returns every definition in key order.
func (db *DB) ListCustomFields(ctx context.Context) ([]*frontdesk.CustomField, error) {
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT `+customFieldColumns+` FROM custom_fields ORDER BY key`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*frontdesk.CustomField{}
	for rows.Next() {
		f, err := scanCustomField(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// CustomFieldMap returns every definition by key, as validation and filters need them. It
// is read on most requests and changes rarely, so it is cached for at most fieldsTTL, and
// dropped when this process changes a definition (another PostgreSQL instance's change shows
// within fieldsTTL). Inside a transaction it is read fresh. Callers must not modify the map.
func (db *DB) CustomFieldMap(ctx context.Context) (map[string]*frontdesk.CustomField, error) {
	_, inTx := ctx.Value(txKey{}).(*Tx)
	if !inTx {
		db.fieldsMu.Lock()
		m, at := db.fields, db.fieldsAt
		db.fieldsMu.Unlock()
		if m != nil && time.Since(at) < fieldsTTL {
			return m, nil
		}
	}
	list, err := db.ListCustomFields(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]*frontdesk.CustomField, len(list))
	for _, f := range list {
		m[f.Key] = f
	}
	if !inTx {
		db.fieldsMu.Lock()
		db.fields, db.fieldsAt = m, time.Now()
		db.fieldsMu.Unlock()
	}
	return m, nil
}

// fieldsTTL bounds how long a changed definition may stay unseen outside a transaction.
const fieldsTTL = time.Second

// forgetFields drops the cached definitions once a change commits.
func (db *DB) forgetFields() {
	db.fieldsMu.Lock()
	db.fields = nil
	db.fieldsMu.Unlock()
}

// CreateSegment stores a named people filter (L7).
func (db *DB) CreateSegment(ctx context.Context, s *frontdesk.Segment) error {
	return db.inTx(ctx, func(tx *Tx) error {
		s.CreatedAt, s.UpdatedAt = tx.now, tx.now
		filter, _ := json.Marshal(s.Filter)
		id, err := tx.insert(ctx, `INSERT INTO segments (name, filter, created_at, updated_at) VALUES (?, ?, ?, ?)`,
			s.Name, string(filter), micros(s.CreatedAt), micros(s.UpdatedAt))
		if err != nil {
			return segmentConflict(err, s)
		}
		s.ID = id
		return tx.audit(ctx, "segment.create", "segment", id, nil, s)
	})
}

func segmentConflict(err error, s *frontdesk.Segment) error {
	if what, ok := uniqueViolation(err); ok && strings.Contains(what, "segments") {
		return &frontdesk.Error{Code: frontdesk.EConflict, Message: "a segment with this name exists",
			Fields: []frontdesk.FieldError{{Field: "name", Message: s.Name + " is taken"}}}
	}
	return err
}

func scanSegment(r rowScanner) (*frontdesk.Segment, error) {
	var s frontdesk.Segment
	var filter []byte
	var created, updated int64
	if err := r.Scan(&s.ID, &s.Name, &filter, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(filter, &s.Filter); err != nil {
		return nil, err
	}
	s.CreatedAt, s.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &s, nil
}

// GetSegment returns one segment.
func (db *DB) GetSegment(ctx context.Context, id int64) (*frontdesk.Segment, error) {
	s, err := scanSegment(db.reader(ctx).QueryRowContext(ctx, `SELECT id, name, filter, created_at, updated_at FROM segments WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("segment", id)
	}
	return s, err
}

// UpdateSegment renames a segment or changes its filter.
func (db *DB) UpdateSegment(ctx context.Context, id int64, in frontdesk.SegmentInput) (*frontdesk.Segment, error) {
	var out *frontdesk.Segment
	err := db.WithTx(ctx, func(ctx context.Context) error {
		old, err := db.GetSegment(ctx, id)
		if err != nil {
			return err
		}
		fields, err := db.CustomFieldMap(ctx)
		if err != nil {
			return err
		}
		s := *old
		if err := frontdesk.ApplySegment(&s, in, fields); err != nil {
			return err
		}
		tx := ctx.Value(txKey{}).(*Tx)
		s.UpdatedAt = tx.now
		filter, _ := json.Marshal(s.Filter)
		if _, err := tx.ExecContext(ctx, `UPDATE segments SET name = ?, filter = ?, updated_at = ? WHERE id = ?`,
			s.Name, string(filter), micros(s.UpdatedAt), id); err != nil {
			return segmentConflict(err, &s)
		}
		out = &s
		return tx.audit(ctx, "segment.update", "segment", id, old, s)
	})
	return out, err
}

// ListSegments returns every segment in name order.
func (db *DB) ListSegments(ctx context.Context) ([]*frontdesk.Segment, error) {
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT id, name, filter, created_at, updated_at FROM segments ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*frontdesk.Segment{}
	for rows.Next() {
		s, err := scanSegment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
