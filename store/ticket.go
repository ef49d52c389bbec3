package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"frontdesk"
)

// Tickets as far as people need them (T1): raised by a person, worked by staff, rated by the
// requester once closed (T3), trashed and restored with the requester (L2).

const ticketColumns = `id, requester_id, organization_id, site_id, subject, channel, status, assignee_id, spam,
	rating, rating_comment, rated_at, trashed_at, trashed_with_person, created_at, updated_at, type, follow_up_of`

func scanTicket(r rowScanner) (*frontdesk.Ticket, error) {
	var t frontdesk.Ticket
	var org, site, assignee, rated, trashed, follow sql.NullInt64
	var rating sql.NullString
	var spam, with int
	var created, updated int64
	if err := r.Scan(&t.ID, &t.RequesterID, &org, &site, &t.Subject, &t.Channel, &t.Status, &assignee, &spam,
		&rating, &t.RatingComment, &rated, &trashed, &with, &created, &updated, &t.Type, &follow); err != nil {
		return nil, err
	}
	t.OrganizationID, t.SiteID, t.AssigneeID = fromNullID(org), fromNullID(site), fromNullID(assignee)
	if rating.Valid {
		r := frontdesk.Rating(rating.String)
		t.Rating = &r
	}
	t.Spam, t.RatedAt, t.FollowUpOf = spam != 0, fromNullMicros(rated), fromNullID(follow)
	t.TrashedAt, t.WithPerson = fromNullMicros(trashed), with != 0
	t.CreatedAt, t.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &t, nil
}

// CreateTicket stores a new ticket of an existing requester. A banned or trashed person
// raises no new tickets (L4, L2). Organization and site are the requester's unless given; a
// site given alone brings its organization, and a site of another organization is refused.
// The assignee is checked by the caller (flow), which knows who may work tickets.
func (db *DB) CreateTicket(ctx context.Context, t *frontdesk.Ticket) error {
	if err := frontdesk.CheckTicket(t); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error {
		var state frontdesk.State
		var org, site sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT state, organization_id, site_id FROM people WHERE id = ?`, t.RequesterID).Scan(&state, &org, &site)
		if errors.Is(err, sql.ErrNoRows) {
			return frontdesk.InvalidField("requester_id", "there is no person %d", t.RequesterID)
		}
		if err != nil {
			return err
		}
		if state == frontdesk.StateBanned || state == frontdesk.StateTrashed {
			return frontdesk.Errorf(frontdesk.EForbidden, "person %d is %s and raises no new tickets", t.RequesterID, state)
		}
		if t.OrganizationID == nil && t.SiteID == nil {
			t.OrganizationID, t.SiteID = fromNullID(org), fromNullID(site)
		} else {
			where := &frontdesk.Person{OrganizationID: t.OrganizationID, SiteID: t.SiteID}
			if err := tx.checkOrgSite(ctx, where); err != nil {
				return err
			}
			t.OrganizationID = where.OrganizationID
		}
		t.CreatedAt, t.UpdatedAt, t.TrashedAt, t.WithPerson = tx.now, tx.now, nil, false
		t.Spam, t.Rating, t.RatingComment, t.RatedAt = false, nil, "", nil
		id, err := tx.insert(ctx, `INSERT INTO tickets (requester_id, organization_id, site_id, subject, channel, status, assignee_id,
			created_at, updated_at, type, follow_up_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.RequesterID, nullID(t.OrganizationID), nullID(t.SiteID), t.Subject, t.Channel, t.Status, nullID(t.AssigneeID),
			micros(t.CreatedAt), micros(t.UpdatedAt), t.Type, nullID(t.FollowUpOf))
		if err != nil {
			return err
		}
		t.ID = id
		return tx.audit(ctx, "ticket.create", "ticket", id, nil, t)
	})
}

// UpdateTicket changes one ticket that is not in the trash: change edits a copy, which is
// stored and audited with the old one when change returns no error. Status, assignee, spam
// and rating change here; requester, organization, site and subject stay.
func (db *DB) UpdateTicket(ctx context.Context, id int64, action string, change func(*frontdesk.Ticket) error) (*frontdesk.Ticket, error) {
	var out *frontdesk.Ticket
	err := db.inTx(ctx, func(tx *Tx) error {
		old, err := scanTicket(tx.QueryRowContext(ctx, `SELECT `+ticketColumns+` FROM tickets WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("ticket", id)
		}
		if err != nil {
			return err
		}
		if old.TrashedAt != nil {
			return frontdesk.Errorf(frontdesk.EConflict, "ticket %d is in the trash", id)
		}
		t := *old
		if err := change(&t); err != nil {
			return err
		}
		if err := frontdesk.CheckTicket(&t); err != nil {
			return err
		}
		t.UpdatedAt = tx.now
		var rating any
		if t.Rating != nil {
			rating = string(*t.Rating)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tickets SET status = ?, assignee_id = ?, spam = ?, rating = ?, rating_comment = ?,
			rated_at = ?, updated_at = ? WHERE id = ?`, t.Status, nullID(t.AssigneeID), b2i(t.Spam), rating, t.RatingComment,
			nullMicros(t.RatedAt), micros(t.UpdatedAt), id); err != nil {
			return err
		}
		out = &t
		return tx.audit(ctx, action, "ticket", id, old, t)
	})
	return out, err
}

// Now is the time of the transaction in ctx, or the store's clock outside one: what a flow
// stamps on a change it makes in that transaction.
func (db *DB) Now(ctx context.Context) time.Time {
	if tx, ok := ctx.Value(txKey{}).(*Tx); ok && tx.db == db {
		return tx.now
	}
	return db.now().UTC().Truncate(time.Microsecond)
}

const threadColumns = `id, ticket_id, author_id, public, body, message_id, created_at, folded, inbound_id`

func scanThreadEntry(r rowScanner) (*frontdesk.TicketMessage, error) {
	var m frontdesk.TicketMessage
	var public int
	var created int64
	var inbound sql.NullInt64
	if err := r.Scan(&m.ID, &m.TicketID, &m.AuthorID, &public, &m.Body, &m.MessageID, &created, &m.Folded, &inbound); err != nil {
		return nil, err
	}
	m.Public, m.CreatedAt, m.InboundID = public != 0, fromMicros(created), fromNullID(inbound)
	return &m, nil
}

// AddTicketMessage adds a reply or a note to the thread of a ticket out of the trash, with
// its attachments, and marks the ticket updated.
func (db *DB) AddTicketMessage(ctx context.Context, m *frontdesk.TicketMessage) error {
	return db.inTx(ctx, func(tx *Tx) error {
		var trashed sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT trashed_at FROM tickets WHERE id = ?`, m.TicketID).Scan(&trashed)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("ticket", m.TicketID)
		}
		if err != nil {
			return err
		}
		if trashed.Valid {
			return frontdesk.Errorf(frontdesk.EConflict, "ticket %d is in the trash", m.TicketID)
		}
		m.CreatedAt = tx.now
		id, err := tx.insert(ctx, `INSERT INTO ticket_messages (ticket_id, author_id, public, body, message_id, created_at, folded, inbound_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, m.TicketID, m.AuthorID, b2i(m.Public), m.Body, m.MessageID, micros(m.CreatedAt),
			m.Folded, nullID(m.InboundID))
		if err != nil {
			return err
		}
		m.ID = id
		if m.Attachments == nil {
			m.Attachments = []*frontdesk.Attachment{}
		}
		for _, a := range m.Attachments {
			a.TicketID, a.TicketMessageID, a.HeldRequestID = &m.TicketID, &m.ID, nil
			if err := tx.addAttachment(ctx, a); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tickets SET updated_at = ? WHERE id = ?`, micros(tx.now), m.TicketID); err != nil {
			return err
		}
		kind := "ticket.note"
		if m.Public {
			kind = "ticket.reply"
		}
		// The body stays out of the audit log: the thread holds it.
		return tx.audit(ctx, kind, "ticket", m.TicketID, nil, map[string]any{"message_id": id, "author_id": m.AuthorID})
	})
}

// TicketMessages returns the thread of a ticket, oldest first; private notes only when
// withNotes is set.
func (db *DB) TicketMessages(ctx context.Context, ticketID int64, withNotes bool) ([]*frontdesk.TicketMessage, error) {
	q := `SELECT ` + threadColumns + ` FROM ticket_messages WHERE ticket_id = ?`
	if !withNotes {
		q += ` AND public = 1`
	}
	rows, err := db.reader(ctx).QueryContext(ctx, q+` ORDER BY id`, ticketID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*frontdesk.TicketMessage{}
	for rows.Next() {
		m, err := scanThreadEntry(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	files, err := db.TicketAttachments(ctx, ticketID)
	if err != nil {
		return nil, err
	}
	for _, m := range out {
		m.Attachments = files[m.ID]
		if m.Attachments == nil {
			m.Attachments = []*frontdesk.Attachment{}
		}
	}
	return out, nil
}

// ticketListQuery is the query of one page of tickets: limit+1 rows, to know whether more follow.
func ticketListQuery(f frontdesk.TicketFilter, after int64, limit int) (string, []any) {
	where := []string{"trashed_at IS NULL", "id > ?"}
	args := []any{after}
	if f.RequesterID != 0 {
		where, args = append(where, "requester_id = ?"), append(args, f.RequesterID)
	}
	if f.OrganizationID != 0 {
		where, args = append(where, "organization_id = ?"), append(args, f.OrganizationID)
	}
	if f.SiteID != 0 {
		where, args = append(where, "site_id = ?"), append(args, f.SiteID)
	}
	if f.AssigneeID != 0 {
		where, args = append(where, "assignee_id = ?"), append(args, f.AssigneeID)
	}
	if f.Unassigned {
		// tickets_unassigned holds exactly these, in cursor order.
		where = append(where, "assignee_id IS NULL")
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	return `SELECT ` + ticketColumns + ` FROM tickets WHERE ` + strings.Join(where, " AND ") + ` ORDER BY id LIMIT ` + strconv.Itoa(limit+1), args
}

// ListTickets returns the tickets out of the trash that match f, in id order after the cursor.
// Each filter has its index (requester, status, assignee, organization, each with id).
func (db *DB) ListTickets(ctx context.Context, f frontdesk.TicketFilter, page frontdesk.Page) ([]*frontdesk.Ticket, int64, error) {
	limit := pageLimit(page)
	q, args := ticketListQuery(f, page.After, limit)
	rows, err := db.reader(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []*frontdesk.Ticket{}
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	return trimPage(out, limit, func(t *frontdesk.Ticket) int64 { return t.ID })
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
