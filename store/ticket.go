package store

import (
	"context"
	"database/sql"
	"errors"

	"frontdesk"
)

// Tickets as far as people need them (T1): raised by a person, trashed and restored with
// them (L2).

const ticketColumns = `id, requester_id, subject, status, trashed_at, trashed_with_person, created_at, updated_at`

func scanTicket(r rowScanner) (*frontdesk.Ticket, error) {
	var t frontdesk.Ticket
	var trashed sql.NullInt64
	var with int
	var created, updated int64
	if err := r.Scan(&t.ID, &t.RequesterID, &t.Subject, &t.Status, &trashed, &with, &created, &updated); err != nil {
		return nil, err
	}
	t.TrashedAt, t.WithPerson = fromNullMicros(trashed), with != 0
	t.CreatedAt, t.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &t, nil
}

// CreateTicket stores a new ticket of an existing requester. A banned or trashed person
// raises no new tickets (L4, L2).
func (db *DB) CreateTicket(ctx context.Context, t *frontdesk.Ticket) error {
	if err := frontdesk.CheckTicket(t); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error {
		var state frontdesk.State
		err := tx.QueryRowContext(ctx, `SELECT state FROM people WHERE id = ?`, t.RequesterID).Scan(&state)
		if errors.Is(err, sql.ErrNoRows) {
			return frontdesk.InvalidField("requester_id", "there is no person %d", t.RequesterID)
		}
		if err != nil {
			return err
		}
		if state == frontdesk.StateBanned || state == frontdesk.StateTrashed {
			return frontdesk.Errorf(frontdesk.EForbidden, "person %d is %s and raises no new tickets", t.RequesterID, state)
		}
		t.CreatedAt, t.UpdatedAt, t.TrashedAt, t.WithPerson = tx.now, tx.now, nil, false
		id, err := tx.insert(ctx, `INSERT INTO tickets (requester_id, subject, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
			t.RequesterID, t.Subject, t.Status, micros(t.CreatedAt), micros(t.UpdatedAt))
		if err != nil {
			return err
		}
		t.ID = id
		return tx.audit(ctx, "ticket.create", "ticket", id, nil, t)
	})
}

// GetTicket returns one ticket, trashed or not.
func (db *DB) GetTicket(ctx context.Context, id int64) (*frontdesk.Ticket, error) {
	t, err := scanTicket(db.reader(ctx).QueryRowContext(ctx, `SELECT `+ticketColumns+` FROM tickets WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("ticket", id)
	}
	return t, err
}

// ListTicketsOf returns the tickets a person raised, oldest first; trashed ones only when
// withTrashed is set.
func (db *DB) ListTicketsOf(ctx context.Context, personID int64, withTrashed bool) ([]*frontdesk.Ticket, error) {
	q := `SELECT ` + ticketColumns + ` FROM tickets WHERE requester_id = ?`
	if !withTrashed {
		q += ` AND trashed_at IS NULL`
	}
	rows, err := db.reader(ctx).QueryContext(ctx, q+` ORDER BY id`, personID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*frontdesk.Ticket{}
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// TrashTicket puts one ticket in the trash on its own; restoring its requester leaves it there.
func (db *DB) TrashTicket(ctx context.Context, id int64) (*frontdesk.Ticket, error) {
	var out *frontdesk.Ticket
	err := db.WithTx(ctx, func(ctx context.Context) error {
		tx := ctx.Value(txKey{}).(*Tx)
		old, err := db.GetTicket(ctx, id)
		if err != nil {
			return err
		}
		if old.TrashedAt != nil {
			out = old
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tickets SET trashed_at = ?, trashed_with_person = 0, updated_at = ? WHERE id = ?`,
			micros(tx.now), micros(tx.now), id); err != nil {
			return err
		}
		t := *old
		now := tx.now
		t.TrashedAt, t.UpdatedAt = &now, now
		out = &t
		return tx.audit(ctx, "ticket.trash", "ticket", id, old, t)
	})
	return out, err
}

// trashTicketsWith trashes every ticket of a person that is not in the trash yet, marking
// them as taken by the person's trashing (L2), and audits which.
func (tx *Tx) trashTicketsWith(ctx context.Context, personID int64) error {
	ids, err := tx.ticketIDs(ctx, `SELECT id FROM tickets WHERE requester_id = ? AND trashed_at IS NULL ORDER BY id`, personID)
	if err != nil || len(ids) == 0 {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tickets SET trashed_at = ?, trashed_with_person = 1, updated_at = ?
		WHERE requester_id = ? AND trashed_at IS NULL`, micros(tx.now), micros(tx.now), personID); err != nil {
		return err
	}
	return tx.audit(ctx, "person.tickets_trashed", "person", personID, nil, map[string]any{"ticket_ids": ids})
}

// restoreTicketsWith brings back exactly the tickets that trashing the person took (L2).
func (tx *Tx) restoreTicketsWith(ctx context.Context, personID int64) error {
	ids, err := tx.ticketIDs(ctx, `SELECT id FROM tickets WHERE requester_id = ? AND trashed_with_person = 1 ORDER BY id`, personID)
	if err != nil || len(ids) == 0 {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tickets SET trashed_at = NULL, trashed_with_person = 0, updated_at = ?
		WHERE requester_id = ? AND trashed_with_person = 1`, micros(tx.now), personID); err != nil {
		return err
	}
	return tx.audit(ctx, "person.tickets_restored", "person", personID, nil, map[string]any{"ticket_ids": ids})
}

func (tx *Tx) ticketIDs(ctx context.Context, q string, args ...any) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
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
