package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"frontdesk"
)

// audit writes one audit entry (L6) in the transaction of the change it records, so that no
// change lands without its entry. before and after are any JSON-encodable values; nil is none.
func (tx *Tx) audit(ctx context.Context, action, subjectType string, subjectID int64, before, after any) error {
	actor := frontdesk.ActorFrom(ctx)
	var actorID any
	if actor.ID != 0 {
		actorID = actor.ID
	}
	if actor.Name == "" {
		actor.Name = "unknown"
	}
	enc := func(v any) (any, error) {
		if v == nil {
			return nil, nil
		}
		b, err := json.Marshal(v)
		return string(b), err
	}
	b, err := enc(before)
	if err != nil {
		return err
	}
	a, err := enc(after)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor_id, actor_name, action, subject_type, subject_id, before, after)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, micros(tx.now), actorID, actor.Name, action, subjectType, subjectID, b, a)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// ListAudit returns audit entries, newest first, and the cursor of the next page (zero on the
// last one).
func (db *DB) ListAudit(ctx context.Context, f frontdesk.AuditFilter) ([]frontdesk.AuditEntry, int64, error) {
	q := `SELECT id, at, actor_id, actor_name, action, subject_type, subject_id, before, after FROM audit_log WHERE 1=1`
	var args []any
	if f.SubjectType != "" {
		q += " AND subject_type = ?"
		args = append(args, f.SubjectType)
	}
	if f.SubjectID != 0 {
		q += " AND subject_id = ?"
		args = append(args, f.SubjectID)
	}
	if f.ActorID != 0 {
		q += " AND actor_id = ?"
		args = append(args, f.ActorID)
	}
	if f.Action != "" {
		q += " AND action = ?"
		args = append(args, f.Action)
	}
	if f.After != 0 {
		q += " AND id < ?"
		args = append(args, f.After)
	}
	limit := f.Limit
	if limit <= 0 || limit > frontdesk.MaxPageSize {
		limit = frontdesk.DefaultPageSize
	}
	q += fmt.Sprintf(" ORDER BY id DESC LIMIT %d", limit+1)
	rows, err := db.reader(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []frontdesk.AuditEntry{}
	for rows.Next() {
		var e frontdesk.AuditEntry
		var at int64
		var actorID sql.NullInt64
		var before, after sql.NullString
		if err := rows.Scan(&e.ID, &at, &actorID, &e.ActorName, &e.Action, &e.SubjectType, &e.SubjectID, &before, &after); err != nil {
			return nil, 0, err
		}
		e.At = fromMicros(at)
		e.ActorID = fromNullID(actorID)
		if before.Valid {
			e.Before = json.RawMessage(before.String)
		}
		if after.Valid {
			e.After = json.RawMessage(after.String)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	return trimPage(out, limit, func(e frontdesk.AuditEntry) int64 { return e.ID })
}
