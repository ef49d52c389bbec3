package store

import (
	"context"

	"frontdesk"
)

// StateBeforeTrash returns the state a trashed person is restored to.
func (db *DB) StateBeforeTrash(ctx context.Context, id int64) (frontdesk.State, error) {
	var s *string
	if err := db.reader(ctx).QueryRowContext(ctx, `SELECT state_before_trash FROM people WHERE id = ?`, id).Scan(&s); err != nil {
		if isNoRows(err) {
			return "", notFound("person", id)
		}
		return "", err
	}
	if s == nil || *s == "" {
		return frontdesk.StateNotActivated, nil
	}
	return frontdesk.State(*s), nil
}
