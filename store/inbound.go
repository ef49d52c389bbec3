package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"strings"
	"time"
	"unicode/utf8"

	"frontdesk"
)

// Inbound email (C8, T2, X3): mailboxes, the log of received messages with their raw text,
// attachments, and the secrets that sign reply and bounce addresses.

const mailboxColumns = `id, address, name, unknown_senders, organization_id, site_id, imap_host, imap_port,
	imap_security, imap_user, imap_password, imap_folder, imap_move_to, imap_uidvalidity, imap_last_uid,
	imap_polled_at, imap_error, created_at, updated_at`

func scanMailbox(r rowScanner) (*frontdesk.Mailbox, error) {
	var m frontdesk.Mailbox
	var org, site, polled sql.NullInt64
	var validity, last, created, updated int64
	if err := r.Scan(&m.ID, &m.Address, &m.Name, &m.UnknownSenders, &org, &site, &m.IMAP.Host, &m.IMAP.Port,
		&m.IMAP.Security, &m.IMAP.User, &m.IMAP.Password, &m.IMAP.Folder, &m.IMAP.MoveTo, &validity, &last,
		&polled, &m.IMAP.Error, &created, &updated); err != nil {
		return nil, err
	}
	m.OrganizationID, m.SiteID = fromNullID(org), fromNullID(site)
	m.IMAP.UIDValidity, m.IMAP.LastUID, m.IMAP.PolledAt = uint32(validity), uint32(last), fromNullMicros(polled)
	m.CreatedAt, m.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &m, nil
}

// Mailboxes returns every mailbox, by address.
func (db *DB) Mailboxes(ctx context.Context) ([]*frontdesk.Mailbox, error) {
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT `+mailboxColumns+` FROM mailboxes ORDER BY address`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*frontdesk.Mailbox{}
	for rows.Next() {
		m, err := scanMailbox(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// GetMailbox returns one mailbox.
func (db *DB) GetMailbox(ctx context.Context, id int64) (*frontdesk.Mailbox, error) {
	m, err := scanMailbox(db.reader(ctx).QueryRowContext(ctx, `SELECT `+mailboxColumns+` FROM mailboxes WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("mailbox", id)
	}
	return m, err
}

// MailboxByAddress returns the mailbox of an address: the address itself, or its base when
// the local part carries a +tag (support+t12-ab@ is support@), in any letter case.
func (db *DB) MailboxByAddress(ctx context.Context, address string) (*frontdesk.Mailbox, error) {
	a := strings.ToLower(strings.TrimSpace(address))
	if at := strings.LastIndexByte(a, '@'); at > 0 {
		if plus := strings.IndexByte(a[:at], '+'); plus > 0 {
			a = a[:plus] + a[at:]
		}
	}
	if n, err := frontdesk.NormalizeEmail(a); err == nil {
		a = n
	}
	m, err := scanMailbox(db.reader(ctx).QueryRowContext(ctx, `SELECT `+mailboxColumns+` FROM mailboxes WHERE address = ?`, a))
	if isNoRows(err) {
		return nil, frontdesk.Errorf(frontdesk.ENotFound, "no mailbox receives mail for %s", address)
	}
	return m, err
}

// SaveMailbox creates a mailbox (id 0) or changes one: change edits a copy, which is checked,
// stored and audited (without the IMAP password).
func (db *DB) SaveMailbox(ctx context.Context, id int64, in frontdesk.MailboxInput) (*frontdesk.Mailbox, error) {
	var out *frontdesk.Mailbox
	err := db.inTx(ctx, func(tx *Tx) error {
		old := &frontdesk.Mailbox{}
		if id != 0 {
			var err error
			old, err = scanMailbox(tx.QueryRowContext(ctx, `SELECT `+mailboxColumns+` FROM mailboxes WHERE id = ?`, id))
			if isNoRows(err) {
				return notFound("mailbox", id)
			}
			if err != nil {
				return err
			}
		}
		m := *old
		if err := frontdesk.ApplyMailbox(&m, in); err != nil {
			return err
		}
		where := &frontdesk.Person{OrganizationID: m.OrganizationID, SiteID: m.SiteID}
		if err := tx.checkOrgSite(ctx, where); err != nil {
			return err
		}
		m.OrganizationID = where.OrganizationID
		if m.IMAP.Host != old.IMAP.Host || m.IMAP.User != old.IMAP.User || m.IMAP.Folder != old.IMAP.Folder {
			// Another mailbox on the server: its UIDs mean nothing here.
			m.IMAP.UIDValidity, m.IMAP.LastUID = 0, 0
		}
		m.UpdatedAt = tx.now
		args := []any{m.Address, m.Name, m.UnknownSenders, nullID(m.OrganizationID), nullID(m.SiteID), m.IMAP.Host,
			m.IMAP.Port, m.IMAP.Security, m.IMAP.User, m.IMAP.Password, m.IMAP.Folder, m.IMAP.MoveTo,
			int64(m.IMAP.UIDValidity), int64(m.IMAP.LastUID), micros(m.UpdatedAt)}
		if id == 0 {
			m.CreatedAt = tx.now
			newID, err := tx.insert(ctx, `INSERT INTO mailboxes (address, name, unknown_senders, organization_id, site_id,
				imap_host, imap_port, imap_security, imap_user, imap_password, imap_folder, imap_move_to, imap_uidvalidity,
				imap_last_uid, updated_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				append(args, micros(m.CreatedAt))...)
			if err != nil {
				return mailboxConflict(err, m.Address)
			}
			m.ID = newID
		} else if _, err := tx.ExecContext(ctx, `UPDATE mailboxes SET address = ?, name = ?, unknown_senders = ?,
			organization_id = ?, site_id = ?, imap_host = ?, imap_port = ?, imap_security = ?, imap_user = ?,
			imap_password = ?, imap_folder = ?, imap_move_to = ?, imap_uidvalidity = ?, imap_last_uid = ?, updated_at = ?
			WHERE id = ?`, append(args, id)...); err != nil {
			return mailboxConflict(err, m.Address)
		}
		out = &m
		action := "mailbox.update"
		if id == 0 {
			action, old = "mailbox.create", nil
		}
		return tx.audit(ctx, action, "mailbox", m.ID, hidePassword(old), hidePassword(&m))
	})
	return out, err
}

func hidePassword(m *frontdesk.Mailbox) *frontdesk.Mailbox {
	if m == nil {
		return nil
	}
	c := *m
	c.IMAP.Password = ""
	return &c
}

func mailboxConflict(err error, address string) error {
	if _, ok := uniqueViolation(err); ok {
		return frontdesk.InvalidField("address", "%s is already a mailbox", address)
	}
	return err
}

// DeleteMailbox removes a mailbox that has received nothing; one with mail stays, as the
// record of where that mail came.
func (db *DB) DeleteMailbox(ctx context.Context, id int64) error {
	return db.inTx(ctx, func(tx *Tx) error {
		old, err := scanMailbox(tx.QueryRowContext(ctx, `SELECT `+mailboxColumns+` FROM mailboxes WHERE id = ?`, id))
		if isNoRows(err) {
			return notFound("mailbox", id)
		}
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM inbound_messages WHERE mailbox_id = ?`, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return frontdesk.Errorf(frontdesk.EConflict, "mailbox %s has received %d messages and stays as their record; stop its polling instead", old.Address, n)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM mailboxes WHERE id = ?`, id); err != nil {
			return err
		}
		return tx.audit(ctx, "mailbox.delete", "mailbox", id, hidePassword(old), nil)
	})
}

// SetMailboxPolled records a poll of an IMAP mailbox: the UIDVALIDITY and last UID stored
// (when validity is not 0) and the error of the poll ("" for none).
func (db *DB) SetMailboxPolled(ctx context.Context, id int64, validity, lastUID uint32, pollErr string) error {
	return db.inTx(ctx, func(tx *Tx) error {
		q := `UPDATE mailboxes SET imap_polled_at = ?, imap_error = ? WHERE id = ?`
		args := []any{micros(tx.now), pollErr, id}
		if validity != 0 {
			q = `UPDATE mailboxes SET imap_polled_at = ?, imap_error = ?, imap_uidvalidity = ?, imap_last_uid = ? WHERE id = ?`
			args = []any{micros(tx.now), pollErr, int64(validity), int64(lastUID), id}
		}
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	})
}

// Received is a message as a receiving way hands it over.
type Received struct {
	MailboxID    int64
	Source       string
	EnvelopeFrom string
	EnvelopeTo   string
	// MessageID is the Message-ID header as received, "" when there is none.
	MessageID string
	Raw       []byte
}

// DedupKey is what makes one message received twice one row: its Message-ID, else the hash
// of its content.
// text is s as a text column holds it: valid UTF-8 (PostgreSQL refuses anything else, and
// mail headers may carry any bytes), at most n bytes.
func text(s string, n int) string { return truncate(strings.ToValidUTF8(s, "\uFFFD"), n) }

func (r *Received) DedupKey() string {
	if id := strings.TrimSpace(r.MessageID); id != "" && len(id) <= 900 && utf8.ValidString(id) {
		return "mid:" + strings.ToLower(id)
	}
	sum := sha256.Sum256(r.Raw)
	return "sha:" + hex.EncodeToString(sum[:])
}

// StoreInbound stores a received message before anything else happens to it, and returns
// its id and whether it is new: a message already stored for the mailbox (by any way) is not
// stored again, and its first id is returned.
func (db *DB) StoreInbound(ctx context.Context, r *Received) (int64, bool, error) {
	var id int64
	var isNew bool
	key := r.DedupKey()
	err := db.inTx(ctx, func(tx *Tx) error {
		isNew = false
		err := tx.QueryRowContext(ctx, `INSERT INTO inbound_messages (mailbox_id, dedup_key, source, envelope_from, envelope_to,
			message_id, size, state, next_attempt_at, received_at, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (mailbox_id, dedup_key) DO NOTHING RETURNING id`, r.MailboxID, key, r.Source, text(r.EnvelopeFrom, 320),
			text(r.EnvelopeTo, 320), text(r.MessageID, 900), len(r.Raw), frontdesk.InboundReceived, micros(tx.now), micros(tx.now), r.Raw).Scan(&id)
		if err == nil {
			isNew = true
			return nil
		}
		if !isNoRows(err) {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT id FROM inbound_messages WHERE mailbox_id = ? AND dedup_key = ?`, r.MailboxID, key).Scan(&id)
	})
	return id, isNew, err
}

const inboundColumns = `id, mailbox_id, source, envelope_from, envelope_to, from_address, subject, message_id, size,
	state, kind, reason, ticket_id, person_id, held_request_id, attempts, received_at, processed_at, released`

func scanInbound(r rowScanner) (*frontdesk.InboundMessage, error) {
	var m frontdesk.InboundMessage
	var ticket, person, held, processed sql.NullInt64
	var received int64
	var released int
	if err := r.Scan(&m.ID, &m.MailboxID, &m.Source, &m.EnvelopeFrom, &m.EnvelopeTo, &m.FromAddress, &m.Subject,
		&m.MessageID, &m.Size, &m.State, &m.Kind, &m.Reason, &ticket, &person, &held, &m.Attempts, &received, &processed, &released); err != nil {
		return nil, err
	}
	m.Released = released != 0
	m.TicketID, m.PersonID, m.HeldID = fromNullID(ticket), fromNullID(person), fromNullID(held)
	m.ReceivedAt, m.ProcessedAt = fromMicros(received), fromNullMicros(processed)
	return &m, nil
}

// GetInbound returns one received message, without its raw text.
func (db *DB) GetInbound(ctx context.Context, id int64) (*frontdesk.InboundMessage, error) {
	m, err := scanInbound(db.reader(ctx).QueryRowContext(ctx, `SELECT `+inboundColumns+` FROM inbound_messages WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("received message", id)
	}
	return m, err
}

// InboundRaw returns the raw text of a received message.
func (db *DB) InboundRaw(ctx context.Context, id int64) ([]byte, error) {
	var raw []byte
	err := db.reader(ctx).QueryRowContext(ctx, `SELECT raw FROM inbound_messages WHERE id = ?`, id).Scan(&raw)
	if isNoRows(err) {
		return nil, notFound("received message", id)
	}
	return raw, err
}

// ListInbound returns one page of the log of received mail, newest first, and the cursor of
// the next page (0 at the end).
func (db *DB) ListInbound(ctx context.Context, f frontdesk.InboundFilter, pg frontdesk.Page) ([]*frontdesk.InboundMessage, int64, error) {
	limit := pg.Limit
	if limit <= 0 || limit > frontdesk.MaxPageSize {
		limit = frontdesk.DefaultPageSize
	}
	q := `SELECT ` + inboundColumns + ` FROM inbound_messages WHERE 1 = 1`
	var args []any
	switch f.State {
	case "":
	case frontdesk.InboundHeld:
		q += ` AND state = 'held'` // the words of the partial index, so that it is used
	default:
		q += ` AND state = ?`
		args = append(args, f.State)
	}
	if f.MailboxID != 0 {
		q += ` AND mailbox_id = ?`
		args = append(args, f.MailboxID)
	}
	if pg.After > 0 {
		q += ` AND id < ?`
		args = append(args, pg.After)
	}
	rows, err := db.reader(ctx).QueryContext(ctx, q+` ORDER BY id DESC LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []*frontdesk.InboundMessage{}
	for rows.Next() {
		m, err := scanInbound(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, m)
	}
	var next int64
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID
	}
	return out, next, rows.Err()
}

// PendingInbound returns the ids of up to n received messages due for processing, oldest
// first.
func (db *DB) PendingInbound(ctx context.Context, n int) ([]int64, error) {
	rows, err := db.reader(ctx).QueryContext(ctx, pendingInboundQuery, micros(db.now()), n)
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

// ClaimInbound takes a received message for processing inside the transaction of ctx: on
// PostgreSQL the row stays locked until that transaction ends, so that of several instances
// one processes it and the others, once it committed, find it no longer received. It returns
// the message and its raw text, or nil when it is not waiting (any more).
func (db *DB) ClaimInbound(ctx context.Context, id int64) (*frontdesk.InboundMessage, []byte, error) {
	var m *frontdesk.InboundMessage
	var raw []byte
	err := db.inTx(ctx, func(tx *Tx) error {
		lock := ""
		if db.engine == Postgres {
			lock = ` FOR UPDATE SKIP LOCKED`
		}
		var err error
		m, err = scanInbound(tx.QueryRowContext(ctx, `SELECT `+inboundColumns+` FROM inbound_messages WHERE id = ? AND state = ?`+lock,
			id, frontdesk.InboundReceived))
		if isNoRows(err) {
			m = nil
			return nil
		}
		if err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT raw FROM inbound_messages WHERE id = ?`, id).Scan(&raw)
	})
	return m, raw, err
}

// InboundOutcome is what processing made of a received message.
type InboundOutcome struct {
	State       frontdesk.InboundState
	Kind        string
	Reason      string
	FromAddress string
	Subject     string
	TicketID    int64
	PersonID    int64
	HeldID      int64
}

// FinishInbound records what processing made of a message, in the transaction that made it.
func (db *DB) FinishInbound(ctx context.Context, id int64, o InboundOutcome) error {
	return db.inTx(ctx, func(tx *Tx) error {
		opt := func(v int64) any {
			if v == 0 {
				return nil
			}
			return v
		}
		_, err := tx.ExecContext(ctx, `UPDATE inbound_messages SET state = ?, kind = ?, reason = ?, from_address = ?, subject = ?,
			ticket_id = ?, person_id = ?, held_request_id = ?, attempts = attempts + 1, processed_at = ? WHERE id = ?`,
			o.State, o.Kind, text(o.Reason, 2000), text(o.FromAddress, 320), text(o.Subject, frontdesk.MaxSubjectLen),
			opt(o.TicketID), opt(o.PersonID), opt(o.HeldID), micros(tx.now), id)
		return err
	})
}

// RetryInbound puts a message whose processing failed back in line for a later attempt.
func (db *DB) RetryInbound(ctx context.Context, id int64, cause string, at time.Time) error {
	_, err := db.execOne(ctx, `UPDATE inbound_messages SET attempts = attempts + 1, reason = ?, next_attempt_at = ?
		WHERE id = ? AND state = ?`, truncate(cause, 2000), micros(at), id, frontdesk.InboundReceived)
	return err
}

// ReprocessInbound puts a held message back in line, as staff release it; it reports
// whether the message was held.
func (db *DB) ReprocessInbound(ctx context.Context, id int64) (bool, error) {
	var ok bool
	err := db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE inbound_messages SET state = ?, released = 1, next_attempt_at = ? WHERE id = ? AND state = ?`,
			frontdesk.InboundReceived, micros(tx.now), id, frontdesk.InboundHeld)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n == 0 {
			return err
		}
		ok = true
		return tx.audit(ctx, "inbound.release", "inbound_message", id, nil, nil)
	})
	return ok, err
}

// DiscardInbound marks a held message discarded; it reports whether it was held.
func (db *DB) DiscardInbound(ctx context.Context, id int64) (bool, error) {
	var ok bool
	err := db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE inbound_messages SET state = ?, processed_at = ? WHERE id = ? AND state = ?`,
			frontdesk.InboundDiscarded, micros(tx.now), id, frontdesk.InboundHeld)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n == 0 {
			return err
		}
		ok = true
		return tx.audit(ctx, "inbound.discard", "inbound_message", id, nil, nil)
	})
	return ok, err
}

// The queries the processing of every message runs, checked for their plans (plan tests).
const (
	inboundFromQuery    = `SELECT COUNT(*) FROM inbound_messages WHERE from_address = ? AND from_address <> '' AND received_at >= ?`
	threadMessageQuery  = `SELECT ticket_id FROM ticket_messages WHERE message_id = ? AND message_id <> '' ORDER BY id LIMIT 1`
	pendingInboundQuery = `SELECT id FROM inbound_messages WHERE state = 'received' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`
)

// CountInboundFrom counts the messages processed from an address since a time: the loop
// guard (X3). The query repeats the partial index's condition so that SQLite may use it.
func (db *DB) CountInboundFrom(ctx context.Context, address string, since time.Time) (int, error) {
	var n int
	err := db.reader(ctx).QueryRowContext(ctx, inboundFromQuery, address, micros(since)).Scan(&n)
	return n, err
}

// InboundBacklog counts the messages waiting for processing and says when the oldest came.
func (db *DB) InboundBacklog(ctx context.Context) (int, *time.Time, error) {
	var n int
	var oldest sql.NullInt64
	err := db.reader(ctx).QueryRowContext(ctx, `SELECT COUNT(*), MIN(received_at) FROM inbound_messages WHERE state = ?`,
		frontdesk.InboundReceived).Scan(&n, &oldest)
	return n, fromNullMicros(oldest), err
}

// TicketByMessageID returns the ticket a Message-ID belongs to: a message of its thread, or
// a mail Frontdesk sent about it; 0 when none.
func (db *DB) TicketByMessageID(ctx context.Context, messageIDs []string) (int64, error) {
	for i := len(messageIDs) - 1; i >= 0; i-- {
		id := strings.TrimSpace(messageIDs[i])
		if id == "" {
			continue
		}
		var t int64
		err := db.reader(ctx).QueryRowContext(ctx, threadMessageQuery, id).Scan(&t)
		if err == nil {
			return t, nil
		}
		if !isNoRows(err) {
			return 0, err
		}
		var nt sql.NullInt64
		err = db.reader(ctx).QueryRowContext(ctx, `SELECT ticket_id FROM outbox WHERE message_id = ?`, id).Scan(&nt)
		if err == nil && nt.Valid {
			return nt.Int64, nil
		}
		if err != nil && !isNoRows(err) {
			return 0, err
		}
	}
	return 0, nil
}

// Secret returns the shared secret of a name, made at first use: every instance of one
// helpdesk signs and checks with the same one.
func (db *DB) Secret(ctx context.Context, name string) ([]byte, error) {
	var v string
	err := db.reader(ctx).QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&v)
	if isNoRows(err) {
		b := make([]byte, 32)
		rand.Read(b)
		err = db.inTx(ctx, func(tx *Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
				name, hex.EncodeToString(b)); err != nil {
				return err
			}
			return tx.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&v)
		})
	}
	if err != nil {
		return nil, err
	}
	return hex.DecodeString(v)
}

// Attachments.

const attachmentColumns = `id, ticket_id, ticket_message_id, held_request_id, filename, content_type, size, sha256, inline,
	content_id, created_at`

func scanAttachment(r rowScanner) (*frontdesk.Attachment, error) {
	var a frontdesk.Attachment
	var ticket, msg, held sql.NullInt64
	var inline int
	var created int64
	if err := r.Scan(&a.ID, &ticket, &msg, &held, &a.Filename, &a.ContentType, &a.Size, &a.SHA256, &inline, &a.ContentID, &created); err != nil {
		return nil, err
	}
	a.TicketID, a.TicketMessageID, a.HeldRequestID = fromNullID(ticket), fromNullID(msg), fromNullID(held)
	a.Inline, a.CreatedAt = inline != 0, fromMicros(created)
	return &a, nil
}

// AddAttachment stores a file of a ticket message or a held request.
func (db *DB) AddAttachment(ctx context.Context, a *frontdesk.Attachment) error {
	return db.inTx(ctx, func(tx *Tx) error { return tx.addAttachment(ctx, a) })
}

func (tx *Tx) addAttachment(ctx context.Context, a *frontdesk.Attachment) error {
	sum := sha256.Sum256(a.Content)
	a.SHA256, a.Size, a.CreatedAt = hex.EncodeToString(sum[:]), int64(len(a.Content)), tx.now
	id, err := tx.insert(ctx, `INSERT INTO attachments (ticket_id, ticket_message_id, held_request_id, filename, content_type,
		size, sha256, inline, content_id, created_at, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		nullID(a.TicketID), nullID(a.TicketMessageID), nullID(a.HeldRequestID), a.Filename, a.ContentType, a.Size, a.SHA256,
		b2i(a.Inline), a.ContentID, micros(a.CreatedAt), a.Content)
	a.ID = id
	return err
}

// AttachmentOwner is what files belong to: a held request, or a message of a ticket.
type AttachmentOwner struct {
	HeldRequestID   int64
	TicketID        int64
	TicketMessageID int64
}

// MoveAttachments gives the files of a held request to what it became: another held
// request, or the first message of its ticket.
func (db *DB) MoveAttachments(ctx context.Context, heldID int64, to AttachmentOwner) error {
	opt := func(v int64) any {
		if v == 0 {
			return nil
		}
		return v
	}
	return db.inTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE attachments SET ticket_id = ?, ticket_message_id = ?, held_request_id = ?
			WHERE held_request_id = ?`, opt(to.TicketID), opt(to.TicketMessageID), opt(to.HeldRequestID), heldID)
		return err
	})
}

// SetInboundTicket records the ticket a received message became once staff released it.
func (db *DB) SetInboundTicket(ctx context.Context, inboundID, ticketID int64) error {
	return db.inTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE inbound_messages SET ticket_id = ? WHERE id = ?`, ticketID, inboundID)
		return err
	})
}

// GetAttachment returns an attachment with its content.
func (db *DB) GetAttachment(ctx context.Context, id int64) (*frontdesk.Attachment, error) {
	var content []byte
	row := db.reader(ctx).QueryRowContext(ctx, `SELECT `+attachmentColumns+`, content FROM attachments WHERE id = ?`, id)
	var a frontdesk.Attachment
	var ticket, msg, held sql.NullInt64
	var inline int
	var created int64
	err := row.Scan(&a.ID, &ticket, &msg, &held, &a.Filename, &a.ContentType, &a.Size, &a.SHA256, &inline, &a.ContentID, &created, &content)
	if isNoRows(err) {
		return nil, notFound("attachment", id)
	}
	if err != nil {
		return nil, err
	}
	a.TicketID, a.TicketMessageID, a.HeldRequestID = fromNullID(ticket), fromNullID(msg), fromNullID(held)
	a.Inline, a.CreatedAt, a.Content = inline != 0, fromMicros(created), content
	return &a, nil
}

// TicketAttachments returns the files of a ticket's thread (without content), by message.
func (db *DB) TicketAttachments(ctx context.Context, ticketID int64) (map[int64][]*frontdesk.Attachment, error) {
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT `+attachmentColumns+` FROM attachments WHERE ticket_message_id IN
		(SELECT id FROM ticket_messages WHERE ticket_id = ?) ORDER BY id`, ticketID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64][]*frontdesk.Attachment{}
	for rows.Next() {
		a, err := scanAttachment(rows)
		if err != nil {
			return nil, err
		}
		out[*a.TicketMessageID] = append(out[*a.TicketMessageID], a)
	}
	return out, rows.Err()
}
