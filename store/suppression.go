package store

import (
	"context"
	"database/sql"
	"time"

	"frontdesk"
)

// The suppression list (X3): addresses no mail goes to, put there by a hard bounce, by
// repeated soft bounces, or by staff. EnqueueMail reads it, so that every outbound path
// honours it and the outbox row records the suppression.

const suppressionColumns = `address, reason, diagnostic, bounce_id, created_by, created_at`

func scanSuppression(r rowScanner) (*frontdesk.Suppression, error) {
	var s frontdesk.Suppression
	var bounce, by sql.NullInt64
	var created int64
	if err := r.Scan(&s.Address, &s.Reason, &s.Diagnostic, &bounce, &by, &created); err != nil {
		return nil, err
	}
	s.BounceID, s.CreatedBy, s.CreatedAt = fromNullID(bounce), fromNullID(by), fromMicros(created)
	return &s, nil
}

// Suppressions returns one page of the suppression list by address, and the address that
// starts the next page ("" at the end).
func (db *DB) Suppressions(ctx context.Context, after string, limit int) ([]*frontdesk.Suppression, string, error) {
	if limit <= 0 || limit > frontdesk.MaxPageSize {
		limit = frontdesk.DefaultPageSize
	}
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT `+suppressionColumns+` FROM suppressions WHERE address > ?
		ORDER BY address LIMIT ?`, after, limit+1)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	out := []*frontdesk.Suppression{}
	for rows.Next() {
		s, err := scanSuppression(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, s)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].Address
	}
	return out, next, rows.Err()
}

// GetSuppression returns the suppression of an address.
func (db *DB) GetSuppression(ctx context.Context, address string) (*frontdesk.Suppression, error) {
	s, err := scanSuppression(db.reader(ctx).QueryRowContext(ctx, `SELECT `+suppressionColumns+` FROM suppressions WHERE address = ?`, address))
	if isNoRows(err) {
		return nil, notFound("suppression of", address)
	}
	return s, err
}

// Suppress puts an address on the suppression list; an address already there keeps its
// first reason. It reports whether the address was added.
func (db *DB) Suppress(ctx context.Context, s *frontdesk.Suppression) (bool, error) {
	a, err := frontdesk.NormalizeEmail(s.Address)
	if err != nil {
		return false, frontdesk.InvalidField("address", "%v", err)
	}
	s.Address = a
	var added bool
	err = db.inTx(ctx, func(tx *Tx) error {
		s.CreatedAt = tx.now
		res, err := tx.ExecContext(ctx, `INSERT INTO suppressions (address, reason, diagnostic, bounce_id, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (address) DO NOTHING`, s.Address, s.Reason, truncate(s.Diagnostic, 2000),
			nullID(s.BounceID), nullID(s.CreatedBy), micros(s.CreatedAt))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n == 0 {
			return err
		}
		added = true
		return tx.audit(ctx, "suppression.add", "suppression", 0, nil, s)
	})
	return added, err
}

// Unsuppress takes an address off the suppression list.
func (db *DB) Unsuppress(ctx context.Context, address string) error {
	a, err := frontdesk.NormalizeEmail(address)
	if err != nil {
		return frontdesk.InvalidField("address", "%v", err)
	}
	return db.inTx(ctx, func(tx *Tx) error {
		old, err := scanSuppression(tx.QueryRowContext(ctx, `SELECT `+suppressionColumns+` FROM suppressions WHERE address = ?`, a))
		if isNoRows(err) {
			return notFound("suppression of", a)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM suppressions WHERE address = ?`, a); err != nil {
			return err
		}
		return tx.audit(ctx, "suppression.remove", "suppression", 0, old, nil)
	})
}

// suppressedReason says why mail to address is suppressed by the list, "" when it is not.
func (tx *Tx) suppressedReason(ctx context.Context, address string) (string, error) {
	var reason, diag string
	err := tx.QueryRowContext(ctx, `SELECT reason, diagnostic FROM suppressions WHERE address = ?`, address).Scan(&reason, &diag)
	if isNoRows(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	out := "address suppressed: " + reason
	if diag != "" {
		out += " (" + truncate(diag, 200) + ")"
	}
	return out, nil
}

// OutboxTo returns the outbox message with a Message-ID, if it was sent to address: what a
// bounce that carries the original headers reports on. nil when there is none.
func (db *DB) OutboxTo(ctx context.Context, messageID, address string) (*frontdesk.Message, error) {
	m, err := scanMessage(db.reader(ctx).QueryRowContext(ctx, `SELECT `+messageColumns+` FROM outbox WHERE message_id = ?`, messageID))
	if isNoRows(err) || (err == nil && !frontdesk.SameAddress(m.To, address)) {
		return nil, nil
	}
	return m, err
}

// RecordBounce stores a bounce. A bounce matched to a message of ours (OutboxID set) that
// is hard suppresses the address; a soft one suppresses it once the last softLimit bounces
// of the address, all matched, were soft and came within the last 30 days. A bounce that
// matched nothing suppresses nobody: anyone can forge one (X3).
func (db *DB) RecordBounce(ctx context.Context, b *frontdesk.Bounce, softLimit int) (suppressed bool, err error) {
	err = db.inTx(ctx, func(tx *Tx) error {
		suppressed = false
		b.CreatedAt = tx.now
		if a, err := frontdesk.NormalizeEmail(b.Address); err == nil {
			b.Address = a
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO mail_bounces (inbound_id, address, outbox_id, hard, status, diagnostic, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (inbound_id, address) DO NOTHING RETURNING id`, b.InboundID, truncate(b.Address, 320),
			nullID(b.OutboxID), b2i(b.Hard), truncate(b.Status, 20), truncate(b.Diagnostic, 2000), micros(b.CreatedAt)).Scan(&b.ID)
		if isNoRows(err) {
			return nil // recorded already: processing ran again
		}
		if err != nil || b.OutboxID == nil {
			return err
		}
		reason := frontdesk.SuppressedHardBounce
		if !b.Hard {
			rows, err := tx.QueryContext(ctx, `SELECT hard FROM mail_bounces WHERE address = ? AND outbox_id IS NOT NULL
				AND created_at >= ? ORDER BY id DESC LIMIT ?`, b.Address, micros(tx.now.Add(-30*24*time.Hour)), softLimit)
			if err != nil {
				return err
			}
			soft := 0
			for rows.Next() {
				var hard int
				if err := rows.Scan(&hard); err != nil {
					rows.Close()
					return err
				}
				if hard == 0 {
					soft++
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil || soft < softLimit {
				return err
			}
			reason = frontdesk.SuppressedSoftBounces
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO suppressions (address, reason, diagnostic, bounce_id, created_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (address) DO NOTHING`, b.Address, reason, truncate(b.Status+" "+b.Diagnostic, 2000),
			b.ID, micros(tx.now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		suppressed = n > 0
		return err
	})
	return suppressed, err
}

// Bounces returns the bounces recorded for an address, or every recent one when address is
// "", newest first.
func (db *DB) Bounces(ctx context.Context, address string, limit int) ([]*frontdesk.Bounce, error) {
	if limit <= 0 || limit > frontdesk.MaxPageSize {
		limit = frontdesk.DefaultPageSize
	}
	q := `SELECT id, inbound_id, address, outbox_id, hard, status, diagnostic, created_at FROM mail_bounces`
	args := []any{}
	if address != "" {
		q += ` WHERE address = ?`
		args = append(args, address)
	}
	rows, err := db.reader(ctx).QueryContext(ctx, q+` ORDER BY id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*frontdesk.Bounce{}
	for rows.Next() {
		var b frontdesk.Bounce
		var outbox sql.NullInt64
		var hard int
		var created int64
		if err := rows.Scan(&b.ID, &b.InboundID, &b.Address, &outbox, &hard, &b.Status, &b.Diagnostic, &created); err != nil {
			return nil, err
		}
		b.OutboxID, b.Hard, b.CreatedAt = fromNullID(outbox), hard != 0, fromMicros(created)
		out = append(out, &b)
	}
	return out, rows.Err()
}
