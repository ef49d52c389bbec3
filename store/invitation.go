package store

import (
	"context"
	"time"

	"frontdesk"
)

// ClaimInvitation takes the right to send a person an invitation of purpose now (X8), unless
// one went within window: it answers false then, and nothing changes. The upsert decides, so
// that two requests racing for one person (a double click) send once: on PostgreSQL the
// second waits for the first's row and then finds it too recent.
func (db *DB) ClaimInvitation(ctx context.Context, personID int64, purpose string, window time.Duration) (bool, error) {
	var claimed bool
	err := db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO invitation_guards (person_id, purpose, sent_at) VALUES (?, ?, ?)
			ON CONFLICT (person_id, purpose) DO UPDATE SET sent_at = excluded.sent_at WHERE invitation_guards.sent_at <= ?`,
			personID, purpose, micros(tx.now), micros(tx.now.Add(-window)))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		claimed = n > 0
		return err
	})
	return claimed, err
}

// SuppressedAddresses returns which of the addresses are on the suppression list (X3), in
// a few queries rather than one per address.
func (db *DB) SuppressedAddresses(ctx context.Context, addresses []string) (map[string]bool, error) {
	out := map[string]bool{}
	for len(addresses) > 0 {
		n := min(len(addresses), keyChunk)
		args := make([]any, n)
		for i, a := range addresses[:n] {
			args[i] = a
		}
		addresses = addresses[n:]
		rows, err := db.reader(ctx).QueryContext(ctx, `SELECT address FROM suppressions WHERE address IN (`+placeholders(n)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var a string
			if err := rows.Scan(&a); err != nil {
				rows.Close()
				return nil, err
			}
			out[a] = true
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CountPeople returns how many people match f (L7): what a segment's bulk action reaches.
func (db *DB) CountPeople(ctx context.Context, f frontdesk.PersonFilter) (int, error) {
	fields, err := db.CustomFieldMap(ctx)
	if err != nil {
		return 0, err
	}
	q, args := db.listSelect("count(*)", f, fields, 0)
	var n int
	err = db.reader(ctx).QueryRowContext(ctx, q, args...).Scan(&n)
	return n, err
}
