package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"frontdesk"
)

// Session is a logged-in browser of one person.
type Session struct {
	ID         string    `json:"id"` // the SHA-256 of the cookie's secret, never the secret
	PersonID   int64     `json:"person_id"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	UserAgent  string    `json:"user_agent"`
	ClientIP   string    `json:"client_ip"`
}

// CreateSession stores a session for the secret the caller puts in the cookie, and records
// the login on the person.
func (db *DB) CreateSession(ctx context.Context, secret string, personID int64, lifetime time.Duration, userAgent, clientIP string) (*Session, error) {
	var s *Session
	err := db.inTx(ctx, func(tx *Tx) error {
		s = &Session{ID: HashToken(secret), PersonID: personID, CreatedAt: tx.now, LastSeenAt: tx.now,
			ExpiresAt: tx.now.Add(lifetime), UserAgent: truncate(userAgent, 300), ClientIP: truncate(clientIP, 64)}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, person_id, created_at, last_seen_at, expires_at, user_agent, client_ip)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, s.ID, personID, micros(tx.now), micros(tx.now), micros(s.ExpiresAt), s.UserAgent, s.ClientIP); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE people SET last_login_at = ? WHERE id = ?`, micros(tx.now), personID)
		return err
	})
	return s, err
}

// SessionPerson returns the session of a cookie's secret and its person, when the session is
// live and the person may still log in (L3: active, with web access for contacts).
func (db *DB) SessionPerson(ctx context.Context, secret string) (*Session, *frontdesk.Person, error) {
	var s Session
	var created, seen, expires int64
	err := dbQuerier{db}.QueryRowContext(ctx, `SELECT id, person_id, created_at, last_seen_at, expires_at, user_agent, client_ip
		FROM sessions WHERE id = ? AND revoked_at IS NULL`, HashToken(secret)).
		Scan(&s.ID, &s.PersonID, &created, &seen, &expires, &s.UserAgent, &s.ClientIP)
	none := frontdesk.Errorf(frontdesk.EUnauthorized, "you are not logged in, or your session has ended")
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, none
	}
	if err != nil {
		return nil, nil, err
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = fromMicros(created), fromMicros(seen), fromMicros(expires)
	if !db.now().Before(s.ExpiresAt) {
		return nil, nil, none
	}
	p, err := db.GetPerson(ctx, s.PersonID)
	if err != nil {
		return nil, nil, err
	}
	if !CanLogIn(p) {
		return nil, nil, none
	}
	return &s, p, nil
}

// CanLogIn reports whether a person may log in at all (L3, P6, P8).
func CanLogIn(p *frontdesk.Person) bool {
	if p.State != frontdesk.StateActive || p.Machine {
		return false
	}
	return p.Role.IsStaff() || p.WebAccess != frontdesk.WebAccessNone
}

// ListSessions returns a person's live sessions, newest first.
func (db *DB) ListSessions(ctx context.Context, personID int64) ([]Session, error) {
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT id, person_id, created_at, last_seen_at, expires_at, user_agent, client_ip
		FROM sessions WHERE person_id = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY created_at DESC`, personID, micros(db.now()))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Session{}
	for rows.Next() {
		var s Session
		var created, seen, expires int64
		if err := rows.Scan(&s.ID, &s.PersonID, &created, &seen, &expires, &s.UserAgent, &s.ClientIP); err != nil {
			return nil, err
		}
		s.CreatedAt, s.LastSeenAt, s.ExpiresAt = fromMicros(created), fromMicros(seen), fromMicros(expires)
		out = append(out, s)
	}
	return out, rows.Err()
}

// RevokeSession ends one session of a person (logout, or revoke from the session list).
func (db *DB) RevokeSession(ctx context.Context, personID int64, id string) error {
	return db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = ? WHERE id = ? AND person_id = ? AND revoked_at IS NULL`, micros(tx.now), id, personID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return frontdesk.Errorf(frontdesk.ENotFound, "no such live session")
		}
		return nil
	})
}

// revokeSessions ends every session of a person (L3).
func (tx *Tx) revokeSessions(ctx context.Context, personID int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = ? WHERE person_id = ? AND revoked_at IS NULL`, micros(tx.now), personID)
	return err
}

// truncate cuts s to at most n bytes, never inside a character (PostgreSQL refuses text
// that is not UTF-8).
func truncate(s string, n int) string {
	if len(s) > n {
		return strings.ToValidUTF8(s[:n], "")
	}
	return s
}

// RevokeAllSessions ends every session of a person.
func (db *DB) RevokeAllSessions(ctx context.Context, personID int64) error {
	return db.inTx(ctx, func(tx *Tx) error { return tx.revokeSessions(ctx, personID) })
}
