package store

// The outbox (E6) and the admins' email templates (E4). A message is written in the
// transaction of the change that causes it, so both land or neither does; delivery then
// claims messages under a lease, so that a worker that dies mid-send leaves its messages to
// another after the lease, and two workers never hold one message at once.

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"frontdesk"
)

const messageColumns = `id, person_id, to_address, to_name, from_address, template, subject, text_body, html_body,
	message_id, state, suppressed_reason, attempts, next_attempt_at, last_error, worker, lease_until, via, created_at, sent_at,
	ticket_id`

func scanMessage(r rowScanner) (*frontdesk.Message, error) {
	var m frontdesk.Message
	var person, lease, sent, ticket sql.NullInt64
	var worker sql.NullString
	var next, created int64
	err := r.Scan(&m.ID, &person, &m.To, &m.ToName, &m.From, &m.Template, &m.Subject, &m.Text, &m.HTML,
		&m.MessageID, &m.State, &m.SuppressedReason, &m.Attempts, &next, &m.LastError, &worker, &lease, &m.Via, &created, &sent, &ticket)
	if err != nil {
		return nil, err
	}
	m.PersonID, m.TicketID = fromNullID(person), fromNullID(ticket)
	m.Worker = worker.String
	m.LeaseUntil, m.SentAt = fromNullMicros(lease), fromNullMicros(sent)
	m.NextAttemptAt, m.CreatedAt = fromMicros(next), fromMicros(created)
	return &m, nil
}

func scanMessages(rows *sql.Rows) ([]*frontdesk.Message, error) {
	defer rows.Close()
	out := []*frontdesk.Message{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// EnqueueMail puts m in the outbox, in the transaction of ctx when there is one, so that a
// change and the mail it causes commit together (E6). It fixes m's Message-ID, which every
// delivery of m carries. When the recipient, found by m.PersonID or by the address, is a
// machine contact or flagged do-not-email, or the address is on the suppression list, m is
// stored suppressed with the reason and is never sent (E5, X3); the row is the record of the
// suppression.
func (db *DB) EnqueueMail(ctx context.Context, m *frontdesk.Message) error {
	if strings.ContainsAny(m.To+m.ToName+m.From+m.Subject, "\r\n") {
		return frontdesk.Errorf(frontdesk.EInvalid, "a message header holds a line break")
	}
	return db.inTx(ctx, func(tx *Tx) error {
		reason, err := tx.mailSuppression(ctx, m)
		if err != nil {
			return err
		}
		m.State, m.SuppressedReason = frontdesk.MessageQueued, reason
		if reason != "" {
			m.State = frontdesk.MessageSuppressed
		}
		m.Attempts, m.LastError, m.Worker, m.LeaseUntil, m.Via, m.SentAt = 0, "", "", nil, "", nil
		m.CreatedAt, m.NextAttemptAt = tx.now, tx.now
		random := make([]byte, 12)
		rand.Read(random)
		token := hex.EncodeToString(random)
		domain := "frontdesk"
		if a, err := mail.ParseAddress(m.From); err == nil {
			if at := strings.LastIndexByte(a.Address, '@'); at > 0 && at < len(a.Address)-1 {
				domain = a.Address[at+1:]
			}
		}
		id, err := tx.insert(ctx, `INSERT INTO outbox (person_id, to_address, to_name, from_address, template, subject,
			text_body, html_body, message_id, state, suppressed_reason, next_attempt_at, created_at, ticket_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			nullID(m.PersonID), m.To, m.ToName, m.From, m.Template, m.Subject, m.Text, m.HTML,
			"<"+token+"@"+domain+">", m.State, m.SuppressedReason, micros(tx.now), micros(tx.now), nullID(m.TicketID))
		if err != nil {
			return fmt.Errorf("enqueue mail: %w", err)
		}
		// The id in the Message-ID lets an admin find the outbox row from a received message;
		// the random part keeps it unique across databases.
		m.ID, m.MessageID = id, fmt.Sprintf("<outbox-%d.%s@%s>", id, token, domain)
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET message_id = ? WHERE id = ?`, m.MessageID, id); err != nil {
			return fmt.Errorf("enqueue mail: %w", err)
		}
		return nil
	})
}

// mailSuppression reads the recipient as the transaction sees them, never as the caller
// remembers them, and says why no mail may go to them ("" when it may).
func (tx *Tx) mailSuppression(ctx context.Context, m *frontdesk.Message) (string, error) {
	check := func(query string, arg any) (string, error) {
		var machine, dne int
		if err := tx.QueryRowContext(ctx, query, arg).Scan(&machine, &dne); err != nil {
			return "", err
		}
		return frontdesk.MailSuppression(&frontdesk.Person{Machine: machine != 0, DoNotEmail: dne != 0}), nil
	}
	if m.PersonID != nil {
		r, err := check(`SELECT machine, do_not_email FROM people WHERE id = ?`, *m.PersonID)
		if isNoRows(err) {
			return "", notFound("person", *m.PersonID)
		}
		if r != "" || err != nil {
			return r, err
		}
	}
	if strings.TrimSpace(m.To) == "" {
		return "no email address", nil
	}
	if m.Automatic && frontdesk.NoReplyAddress(m.To) {
		return "a no-reply address: automatic mail never answers it", nil
	}
	addr, err := frontdesk.NormalizeEmail(m.To)
	if err != nil {
		return "", nil
	}
	// The address may belong to a person the caller did not name.
	r, err := check(`SELECT machine, do_not_email FROM people WHERE id = (SELECT person_id FROM person_emails WHERE address = ?)`, addr)
	if (err != nil && !isNoRows(err)) || r != "" {
		return r, err
	}
	// The suppression list (X3) holds addresses, whoever they belong to: a bounce says the
	// mailbox is gone, not the person.
	return tx.suppressedReason(ctx, addr)
}

// The claim queries, with %s for the row lock of PostgreSQL. Each matches its index column
// for column (outbox_claim_lease, outbox_claim_due: state, then the order), so that its plan
// is one index range with no sort, with or without statistics; TestOutboxPlans checks it.
// The picked rows are a CTE so that the LIMIT is applied once: PostgreSQL may run a subquery
// in IN more than once, and took more than n that way.
const (
	claimExpiredMail = `WITH picked AS (SELECT id FROM outbox WHERE state = 'sending' AND lease_until <= ?
			ORDER BY lease_until LIMIT ?%s)
		UPDATE outbox SET worker = ?, lease_until = ?, attempts = attempts + 1
		WHERE state = 'sending' AND id IN (SELECT id FROM picked)
		RETURNING ` + messageColumns
	claimDueMail = `WITH picked AS (SELECT id FROM outbox WHERE state = 'queued' AND next_attempt_at <= ?
			ORDER BY next_attempt_at, id LIMIT ?%s)
		UPDATE outbox SET state = 'sending', worker = ?, lease_until = ?, attempts = attempts + 1
		WHERE state = 'queued' AND id IN (SELECT id FROM picked)
		RETURNING ` + messageColumns
)

// The statements delivery runs for each message or batch, checked with the claim queries.
const (
	markMailSent = `UPDATE outbox SET state = 'sent', via = ?, sent_at = ?, last_error = '', worker = NULL, lease_until = NULL
		WHERE id IN (%s) AND state IN ('sending', 'queued', 'abandoned')`
	renewMail         = `UPDATE outbox SET lease_until = ? WHERE state = 'sending' AND worker = ? AND id IN (%s)`
	releaseWorkerMail = `UPDATE outbox SET state = 'queued', worker = NULL, lease_until = NULL WHERE state = 'sending' AND worker = ?`
)

// ClaimMail takes up to n messages for delivery by worker: messages whose sending lease ran
// out (their worker died or hung) first, then due queued messages in order. Each is marked
// sending under worker until the lease ends, and its attempts count one more. On PostgreSQL
// rows another instance is claiming are skipped (FOR UPDATE SKIP LOCKED), so instances never
// hold one message at once; on SQLite the single writer serializes claims.
func (db *DB) ClaimMail(ctx context.Context, worker string, n int, lease time.Duration) ([]*frontdesk.Message, error) {
	if worker == "" || n <= 0 || lease <= 0 {
		return nil, errors.New("claim mail: worker, n and lease must be set")
	}
	lock := ""
	if db.engine == Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var out []*frontdesk.Message
	err := db.inTx(ctx, func(tx *Tx) error {
		now, until := micros(tx.now), micros(tx.now.Add(lease))
		rows, err := tx.QueryContext(ctx, fmt.Sprintf(claimExpiredMail, lock), now, n, worker, until)
		if err != nil {
			return fmt.Errorf("claim mail: %w", err)
		}
		if out, err = scanMessages(rows); err != nil {
			return err
		}
		if len(out) == n {
			return nil
		}
		rows, err = tx.QueryContext(ctx, fmt.Sprintf(claimDueMail, lock), now, n-len(out), worker, until)
		if err != nil {
			return fmt.Errorf("claim mail: %w", err)
		}
		more, err := scanMessages(rows)
		out = append(out, more...)
		return err
	})
	if err != nil {
		return nil, err
	}
	// RETURNING promises no order; deliver oldest first.
	slices.SortFunc(out, func(a, b *frontdesk.Message) int {
		return cmp.Or(a.NextAttemptAt.Compare(b.NextAttemptAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// MarkMailSent records that message id left by via (ViaSMTP, ViaMailbox). It holds whichever
// worker holds the message now: the message went out, and saying so is always true. Marking a
// sent message again does nothing, so a worker may retry it.
func (db *DB) MarkMailSent(ctx context.Context, id int64, via string) error {
	return db.MarkMailSentAll(ctx, []int64{id}, via)
}

// MarkMailSentAll records, in one statement, that the messages ids left by via, as
// MarkMailSent does for one. A worker that sends faster than it can record (SQLite has one
// writer, shared with every request) records all that are waiting at once.
func (db *DB) MarkMailSentAll(ctx context.Context, ids []int64, via string) error {
	if len(ids) == 0 {
		return nil
	}
	args := []any{via, micros(db.now().UTC())}
	for _, id := range ids {
		args = append(args, id)
	}
	res, err := db.execOne(ctx, fmt.Sprintf(markMailSent, placeholders(len(ids))), args...)
	if err != nil {
		return fmt.Errorf("mark mail sent: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 && len(ids) == 1 {
		if _, err := db.GetMail(ctx, ids[0]); err != nil {
			return err
		}
	}
	return nil
}

// execOne runs one statement that needs no transaction of its own (a single UPDATE is atomic)
// in the transaction of ctx when there is one, else alone: delivery records every message, and
// BEGIN and COMMIT would triple the round trips of each record.
func (db *DB) execOne(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if tx, ok := ctx.Value(txKey{}).(*Tx); ok && tx.db == db {
		return tx.ExecContext(ctx, query, args...)
	}
	return db.write.ExecContext(ctx, db.rebind(query), args...)
}

// MarkMailFailed records a failed delivery of message id by worker: the message is queued
// again for retryAt, or abandoned when retryAt is zero. The caller computes the backoff and
// decides when to give up. Only the worker that holds the message may mark it; a worker whose
// lease ran out and was taken over changes nothing.
func (db *DB) MarkMailFailed(ctx context.Context, id int64, worker string, cause string, retryAt time.Time) error {
	state, next := frontdesk.MessageQueued, retryAt
	if retryAt.IsZero() {
		state = frontdesk.MessageAbandoned
	}
	if len(cause) > 2000 {
		cause = cause[:2000]
	}
	if next.IsZero() {
		next = db.now()
	}
	_, err := db.execOne(ctx, `UPDATE outbox SET state = ?, next_attempt_at = ?, last_error = ?, worker = NULL, lease_until = NULL
		WHERE id = ? AND state = 'sending' AND worker = ?`, state, micros(next), cause, id, worker)
	if err != nil {
		return fmt.Errorf("mark mail failed: %w", err)
	}
	return nil
}

// RenewMail extends worker's lease on those of ids it still holds to lease from now, and
// returns how many it holds. A worker renews while it sends, so that a lease can be short
// (a dead worker's messages wait at most one lease) and still never run out under a live
// worker that is sending slowly.
func (db *DB) RenewMail(ctx context.Context, worker string, ids []int64, lease time.Duration) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	args := []any{micros(db.now().UTC().Add(lease)), worker}
	for _, id := range ids {
		args = append(args, id)
	}
	res, err := db.execOne(ctx, fmt.Sprintf(renewMail, placeholders(len(ids))), args...)
	if err != nil {
		return 0, fmt.Errorf("renew mail: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// ReleaseWorkerMail queues again at once every message worker holds, and returns how many.
// A worker whose name survives a restart calls it when it starts: what it held then, it held
// when it died, and no other worker may take those messages before their lease ends. The
// claim still counts as an attempt, so that a message that kills its worker is not retried
// forever.
func (db *DB) ReleaseWorkerMail(ctx context.Context, worker string) (int, error) {
	res, err := db.execOne(ctx, releaseWorkerMail, worker)
	if err != nil {
		return 0, fmt.Errorf("release mail: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// ReleaseMail hands back messages worker claimed but did not try (it is stopping, or its lease
// is nearly over): they are queued again at once, and the claim does not count as an attempt.
func (db *DB) ReleaseMail(ctx context.Context, worker string, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	args := []any{worker}
	for _, id := range ids {
		args = append(args, id)
	}
	return db.inTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE outbox SET state = 'queued', attempts = attempts - 1, worker = NULL, lease_until = NULL
			WHERE state = 'sending' AND worker = ? AND id IN (`+placeholders(len(ids))+`)`, args...)
		return err
	})
}

// RetryMail queues an abandoned message again, with a fresh count of attempts: an admin fixed
// what made it fail.
func (db *DB) RetryMail(ctx context.Context, id int64) error {
	return db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET state = 'queued', attempts = 0, next_attempt_at = ?
			WHERE id = ? AND state = 'abandoned'`, micros(tx.now), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if err := tx.messageExists(ctx, id); err != nil {
				return err
			}
			return frontdesk.Errorf(frontdesk.EConflict, "message %d is not abandoned", id)
		}
		return nil
	})
}

func (tx *Tx) messageExists(ctx context.Context, id int64) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM outbox WHERE id = ?`, id).Scan(&one)
	if isNoRows(err) {
		return notFound("message", id)
	}
	return err
}

// GetMail returns one message of the outbox.
func (db *DB) GetMail(ctx context.Context, id int64) (*frontdesk.Message, error) {
	m, err := scanMessage(db.reader(ctx).QueryRowContext(ctx, `SELECT `+messageColumns+` FROM outbox WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("message", id)
	}
	return m, err
}

// ListMail returns messages of the outbox, newest first, and the cursor of the next page
// (zero on the last one). It is the local mailbox admins read.
func (db *DB) ListMail(ctx context.Context, f frontdesk.MailFilter, page frontdesk.Page) ([]*frontdesk.Message, int64, error) {
	q := `SELECT ` + messageColumns + ` FROM outbox WHERE 1=1`
	var args []any
	if f.State != "" {
		q += " AND state = ?"
		args = append(args, f.State)
	}
	if f.PersonID != 0 {
		q += " AND person_id = ?"
		args = append(args, f.PersonID)
	}
	if f.To != "" {
		q += " AND lower(to_address) = ?"
		args = append(args, strings.ToLower(strings.TrimSpace(f.To)))
	}
	if page.After != 0 {
		q += " AND id < ?"
		args = append(args, page.After)
	}
	limit := pageLimit(page)
	q += fmt.Sprintf(" ORDER BY id DESC LIMIT %d", limit+1)
	rows, err := db.reader(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, err
	}
	out, err := scanMessages(rows)
	if err != nil {
		return nil, 0, err
	}
	return trimPage(out, limit, func(m *frontdesk.Message) int64 { return m.ID })
}

// CountMail returns how many messages are in each state.
func (db *DB) CountMail(ctx context.Context) (map[frontdesk.MessageState]int, error) {
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT state, count(*) FROM outbox GROUP BY state`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[frontdesk.MessageState]int{}
	for rows.Next() {
		var s frontdesk.MessageState
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}

const templateColumns = `id, name, subject, text_body, html_body, updated_at`

func scanTemplate(r rowScanner) (int64, *frontdesk.MailTemplate, error) {
	var t frontdesk.MailTemplate
	var id, updated int64
	if err := r.Scan(&id, &t.Name, &t.Subject, &t.Text, &t.HTML, &updated); err != nil {
		return 0, nil, err
	}
	at := fromMicros(updated)
	t.UpdatedAt, t.Custom = &at, true
	return id, &t, nil
}

// GetMailTemplate returns the admins' version of template name, or a not-found error when
// they saved none.
func (db *DB) GetMailTemplate(ctx context.Context, name string) (*frontdesk.MailTemplate, error) {
	_, t, err := scanTemplate(db.reader(ctx).QueryRowContext(ctx, `SELECT `+templateColumns+` FROM mail_templates WHERE name = ?`, name))
	if isNoRows(err) {
		return nil, notFound("mail template", name)
	}
	return t, err
}

// ListMailTemplates returns every template admins saved, by name.
func (db *DB) ListMailTemplates(ctx context.Context) ([]*frontdesk.MailTemplate, error) {
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT `+templateColumns+` FROM mail_templates ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*frontdesk.MailTemplate{}
	for rows.Next() {
		_, t, err := scanTemplate(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// SaveMailTemplate stores the admins' version of a template and audits the change. It stores
// what it is given; checking the template (E4: no unknown variable) is the mail package's.
func (db *DB) SaveMailTemplate(ctx context.Context, t *frontdesk.MailTemplate) error {
	return db.inTx(ctx, func(tx *Tx) error {
		_, old, err := scanTemplate(tx.QueryRowContext(ctx, `SELECT `+templateColumns+` FROM mail_templates WHERE name = ?`, t.Name))
		if err != nil && !isNoRows(err) {
			return err
		}
		var before any
		if old != nil {
			before = old
		}
		id, err := tx.insert(ctx, `INSERT INTO mail_templates (name, subject, text_body, html_body, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET subject = excluded.subject, text_body = excluded.text_body,
				html_body = excluded.html_body, updated_at = excluded.updated_at`,
			t.Name, t.Subject, t.Text, t.HTML, micros(tx.now))
		if err != nil {
			return fmt.Errorf("save mail template: %w", err)
		}
		at := tx.now
		t.UpdatedAt, t.Custom = &at, true
		return tx.audit(ctx, "mail_template.save", "mail_template", id, before, t)
	})
}

// DeleteMailTemplate removes the admins' version of a template, so the built-in default
// applies again, and audits it.
func (db *DB) DeleteMailTemplate(ctx context.Context, name string) error {
	return db.inTx(ctx, func(tx *Tx) error {
		id, old, err := scanTemplate(tx.QueryRowContext(ctx, `SELECT `+templateColumns+` FROM mail_templates WHERE name = ?`, name))
		if isNoRows(err) {
			return notFound("mail template", name)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM mail_templates WHERE id = ?`, id); err != nil {
			return err
		}
		return tx.audit(ctx, "mail_template.delete", "mail_template", id, old, nil)
	})
}
