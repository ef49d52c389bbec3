package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"time"

	"frontdesk"
)

// What the intake keeps (C5, C13, C9, X4, X5): held requests, links that open one ticket,
// identities that are not addresses, and request forms.

const heldColumns = `id, state, reason, channel, request, client_ip, created_at, expires_at`

func scanHeld(r rowScanner) (*frontdesk.HeldRequest, error) {
	var h frontdesk.HeldRequest
	var raw string
	var created int64
	var expires sql.NullInt64
	if err := r.Scan(&h.ID, &h.State, &h.Reason, &h.Channel, &raw, &h.ClientIP, &created, &expires); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(raw), &h.Request); err != nil {
		return nil, err
	}
	h.CreatedAt, h.ExpiresAt = fromMicros(created), fromNullMicros(expires)
	return &h, nil
}

// HoldRequest stores a request that is not a ticket yet. For a request held for its
// confirmation, tokenSecret is the secret of the link mailed to the guest (only its hash is
// kept) and lifetime how long it waits.
func (db *DB) HoldRequest(ctx context.Context, h *frontdesk.HeldRequest, tokenSecret string, lifetime time.Duration) error {
	raw, err := json.Marshal(h.Request)
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error {
		h.CreatedAt, h.ExpiresAt = tx.now, nil
		var hash any
		if tokenSecret != "" {
			hash = HashToken(tokenSecret)
		}
		if lifetime > 0 {
			t := tx.now.Add(lifetime)
			h.ExpiresAt = &t
		}
		id, err := tx.insert(ctx, `INSERT INTO held_requests (state, reason, channel, email, request, token_hash, client_ip, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, h.State, h.Reason, h.Channel, h.Request.Email, string(raw), hash, h.ClientIP,
			micros(h.CreatedAt), nullMicros(h.ExpiresAt))
		if err != nil {
			return err
		}
		h.ID = id
		if h.State == frontdesk.HeldForReview {
			return tx.audit(ctx, "request.hold", "held_request", id, nil, h)
		}
		return nil
	})
}

// HeldRequestByToken returns the request a confirmation link is for, while it waits and has
// not expired.
func (db *DB) HeldRequestByToken(ctx context.Context, secret string) (*frontdesk.HeldRequest, error) {
	h, err := scanHeld(db.reader(ctx).QueryRowContext(ctx, `SELECT `+heldColumns+` FROM held_requests
		WHERE token_hash = ? AND state = ?`, HashToken(secret), frontdesk.HeldForConfirmation))
	if isNoRows(err) || (err == nil && h.ExpiresAt != nil && !db.now().Before(*h.ExpiresAt)) {
		return nil, frontdesk.Errorf(frontdesk.EInvalid, "this confirmation link is not valid: it was used already, has expired, or was never issued")
	}
	return h, err
}

// GetHeldRequest returns one held request.
func (db *DB) GetHeldRequest(ctx context.Context, id int64) (*frontdesk.HeldRequest, error) {
	h, err := scanHeld(db.reader(ctx).QueryRowContext(ctx, `SELECT `+heldColumns+` FROM held_requests WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("held request", id)
	}
	return h, err
}

// TakeHeldRequest removes a held request in state, as it becomes a ticket or is discarded,
// and reports whether it was still there: of two takers at once, one gets it.
func (db *DB) TakeHeldRequest(ctx context.Context, id int64, state frontdesk.HeldState, action string) (bool, error) {
	var took bool
	err := db.inTx(ctx, func(tx *Tx) error {
		h, err := scanHeld(tx.QueryRowContext(ctx, `SELECT `+heldColumns+` FROM held_requests WHERE id = ? AND state = ?`, id, state))
		if isNoRows(err) {
			return nil
		}
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM held_requests WHERE id = ? AND state = ?`, id, state)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n == 0 {
			return err
		}
		took = true
		if state == frontdesk.HeldForReview {
			return tx.audit(ctx, action, "held_request", id, h, nil)
		}
		return nil
	})
	return took, err
}

// ListHeldRequests returns one page of held requests in state, oldest first, and the cursor
// of the next page (0 at the end).
func (db *DB) ListHeldRequests(ctx context.Context, state frontdesk.HeldState, pg frontdesk.Page) ([]*frontdesk.HeldRequest, int64, error) {
	limit := pg.Limit
	if limit <= 0 || limit > frontdesk.MaxPageSize {
		limit = frontdesk.DefaultPageSize
	}
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT `+heldColumns+` FROM held_requests WHERE state = ? AND id > ? ORDER BY id LIMIT `+strconv.Itoa(limit+1),
		state, pg.After)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []*frontdesk.HeldRequest{}
	for rows.Next() {
		h, err := scanHeld(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, h)
	}
	var next int64
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID
	}
	return out, next, rows.Err()
}

// PurgeExpiredRequests deletes up to limit unconfirmed requests whose time is up (C5) and
// says how many went. Deleting is idempotent, so instances may purge at once.
func (db *DB) PurgeExpiredRequests(ctx context.Context, limit int) (int, error) {
	var n int64
	err := db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM held_requests WHERE id IN (
			SELECT id FROM held_requests WHERE expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at LIMIT `+strconv.Itoa(limit)+`)`,
			micros(tx.now))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// IssueTicketLink stores the hash of a secret that opens ticketID to personID (X5).
func (db *DB) IssueTicketLink(ctx context.Context, ticketID, personID int64, secret string) error {
	return db.inTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO ticket_links (hash, ticket_id, person_id, created_at) VALUES (?, ?, ?, ?)`,
			HashToken(secret), ticketID, personID, micros(tx.now))
		return err
	})
}

// TicketLink returns the ticket and person a link opens, unless it was revoked or never
// issued.
func (db *DB) TicketLink(ctx context.Context, secret string) (ticketID, personID int64, err error) {
	err = db.reader(ctx).QueryRowContext(ctx, `SELECT ticket_id, person_id FROM ticket_links WHERE hash = ? AND revoked_at IS NULL`,
		HashToken(secret)).Scan(&ticketID, &personID)
	if isNoRows(err) {
		return 0, 0, frontdesk.Errorf(frontdesk.EInvalid, "this link does not open a request: it was revoked or never issued")
	}
	return ticketID, personID, err
}

// RevokeTicketLinks revokes every link to a ticket and says how many worked until now.
func (db *DB) RevokeTicketLinks(ctx context.Context, ticketID int64) (int, error) {
	var n int64
	err := db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE ticket_links SET revoked_at = ? WHERE ticket_id = ? AND revoked_at IS NULL`, micros(tx.now), ticketID)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		return tx.audit(ctx, "ticket.links_revoke", "ticket", ticketID, nil, map[string]any{"revoked": n})
	})
	return int(n), err
}

// CountTicketLinks says how many links open a ticket now.
func (db *DB) CountTicketLinks(ctx context.Context, ticketID int64) (int, error) {
	var n int
	err := db.reader(ctx).QueryRowContext(ctx, `SELECT count(*) FROM ticket_links WHERE ticket_id = ? AND revoked_at IS NULL`, ticketID).Scan(&n)
	return n, err
}

// PersonByIdentity returns the person a channel identity belongs to (C13, C14).
func (db *DB) PersonByIdentity(ctx context.Context, kind, value string) (*frontdesk.Person, error) {
	var id int64
	err := db.reader(ctx).QueryRowContext(ctx, `SELECT person_id FROM person_identities WHERE kind = ? AND value = ?`, kind, value).Scan(&id)
	if isNoRows(err) {
		return nil, notFound("person with identity", kind+":"+value)
	}
	if err != nil {
		return nil, err
	}
	return db.GetPerson(ctx, id)
}

// AddIdentity gives a person a channel identity. An identity that belongs to someone is a
// conflict, which the intake answers by matching that person instead (C14).
func (db *DB) AddIdentity(ctx context.Context, personID int64, kind, value string) error {
	return db.inTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO person_identities (kind, value, person_id, created_at) VALUES (?, ?, ?, ?)`,
			kind, value, personID, micros(tx.now))
		if _, taken := uniqueViolation(err); taken {
			return frontdesk.Errorf(frontdesk.EConflict, "the %s identity %q belongs to another person", kind, value)
		}
		return err
	})
}

// Identities returns a person's channel identities as kind → values.
func (db *DB) Identities(ctx context.Context, personID int64) (map[string][]string, error) {
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT kind, value FROM person_identities WHERE person_id = ? ORDER BY kind, value`, personID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = append(out[k], v)
	}
	return out, rows.Err()
}

const ticketTypeColumns = `id, key, name, hide_contact_fields, person_fields, created_at, updated_at`

func scanTicketType(r rowScanner) (*frontdesk.TicketType, error) {
	var t frontdesk.TicketType
	var hide int
	var fields string
	var created, updated int64
	if err := r.Scan(&t.ID, &t.Key, &t.Name, &hide, &fields, &created, &updated); err != nil {
		return nil, err
	}
	t.HideContactFields, t.CreatedAt, t.UpdatedAt = hide != 0, fromMicros(created), fromMicros(updated)
	return &t, json.Unmarshal([]byte(fields), &t.PersonFields)
}

// TicketTypes returns every request form, by key.
func (db *DB) TicketTypes(ctx context.Context) ([]*frontdesk.TicketType, error) {
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT `+ticketTypeColumns+` FROM ticket_types ORDER BY key`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*frontdesk.TicketType{}
	for rows.Next() {
		t, err := scanTicketType(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// TicketTypeByKey returns the request form with key.
func (db *DB) TicketTypeByKey(ctx context.Context, key string) (*frontdesk.TicketType, error) {
	t, err := scanTicketType(db.reader(ctx).QueryRowContext(ctx, `SELECT `+ticketTypeColumns+` FROM ticket_types WHERE key = ?`, key))
	if isNoRows(err) {
		return nil, notFound("ticket type", key)
	}
	return t, err
}

// SaveTicketType creates (id 0) or changes a request form through change, audited.
func (db *DB) SaveTicketType(ctx context.Context, id int64, change func(t *frontdesk.TicketType) error) (*frontdesk.TicketType, error) {
	var out *frontdesk.TicketType
	err := db.inTx(ctx, func(tx *Tx) error {
		t, before := &frontdesk.TicketType{}, (*frontdesk.TicketType)(nil)
		if id != 0 {
			old, err := scanTicketType(tx.QueryRowContext(ctx, `SELECT `+ticketTypeColumns+` FROM ticket_types WHERE id = ?`, id))
			if isNoRows(err) {
				return notFound("ticket type", id)
			}
			if err != nil {
				return err
			}
			copied := *old
			t, before = &copied, old
		}
		if err := change(t); err != nil {
			return err
		}
		fields, _ := json.Marshal(t.PersonFields)
		t.UpdatedAt = tx.now
		var err error
		if id == 0 {
			t.CreatedAt = tx.now
			t.ID, err = tx.insert(ctx, `INSERT INTO ticket_types (key, name, hide_contact_fields, person_fields, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?)`, t.Key, t.Name, b2i(t.HideContactFields), string(fields), micros(t.CreatedAt), micros(t.UpdatedAt))
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE ticket_types SET key = ?, name = ?, hide_contact_fields = ?, person_fields = ?, updated_at = ?
				WHERE id = ?`, t.Key, t.Name, b2i(t.HideContactFields), string(fields), micros(t.UpdatedAt), id)
		}
		if _, taken := uniqueViolation(err); taken {
			return &frontdesk.Error{Code: frontdesk.EConflict, Message: "another ticket type has this key",
				Fields: []frontdesk.FieldError{{Field: "key", Message: "is taken by another ticket type"}}}
		}
		if err != nil {
			return err
		}
		out = t
		return tx.audit(ctx, "ticket_type.save", "ticket_type", t.ID, before, t)
	})
	return out, err
}

// DeleteTicketType deletes a request form; tickets keep its key.
func (db *DB) DeleteTicketType(ctx context.Context, id int64) error {
	return db.inTx(ctx, func(tx *Tx) error {
		old, err := scanTicketType(tx.QueryRowContext(ctx, `SELECT `+ticketTypeColumns+` FROM ticket_types WHERE id = ?`, id))
		if isNoRows(err) {
			return notFound("ticket type", id)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM ticket_types WHERE id = ?`, id); err != nil {
			return err
		}
		return tx.audit(ctx, "ticket_type.delete", "ticket_type", id, old, nil)
	})
}
