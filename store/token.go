package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"frontdesk"
)

// tokenPrefix marks Frontdesk API tokens so that secret scanners can find leaked ones.
const tokenPrefix = "fd_"

// HashToken returns the form a secret is stored in: only its SHA-256, so a leaked database
// holds no usable token. A 160-bit random secret needs no slow hash.
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CreateAPIToken makes a new API token that does not expire for a staff member and returns
// its secret, which is shown once and never stored.
func (db *DB) CreateAPIToken(ctx context.Context, personID int64, name string) (string, error) {
	_, secret, err := db.IssueAPIToken(ctx, personID, frontdesk.APITokenInput{Name: name})
	return secret, err
}

// IssueAPIToken makes a new API token for an active staff member, with a name and an
// optional expiry in the future, and returns it with its secret, which is shown once and
// never stored. The creation is audited.
func (db *DB) IssueAPIToken(ctx context.Context, personID int64, in frontdesk.APITokenInput) (*frontdesk.APIToken, string, error) {
	buf := make([]byte, 20)
	rand.Read(buf)
	secret := tokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(buf))
	var t *frontdesk.APIToken
	err := db.inTx(ctx, func(tx *Tx) error {
		name, expires, err := in.Check(tx.now)
		if err != nil {
			return err
		}
		var role frontdesk.Role
		var state frontdesk.State
		var first, middle, last string
		err = tx.QueryRowContext(ctx, `SELECT role, state, first_name, middle_name, last_name FROM people WHERE id = ?`, personID).
			Scan(&role, &state, &first, &middle, &last)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("person", personID)
		}
		if err != nil {
			return err
		}
		if !role.IsStaff() {
			return frontdesk.InvalidField("person", "API tokens belong to staff members; person %d is a %s", personID, role)
		}
		if state != frontdesk.StateActive {
			return frontdesk.InvalidField("person", "person %d is %s; only active staff get tokens", personID, state)
		}
		id, err := tx.insert(ctx, `INSERT INTO api_tokens (person_id, name, hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
			personID, name, HashToken(secret), micros(tx.now), nullMicros(expires))
		if err != nil {
			return err
		}
		t = &frontdesk.APIToken{ID: id, PersonID: personID, PersonName: frontdesk.FullName(first, middle, last), PersonRole: role,
			Name: name, CreatedAt: tx.now, ExpiresAt: expires}
		return tx.audit(ctx, "api_token.create", "person", personID, nil, tokenAudit(t))
	})
	if err != nil {
		return nil, "", err
	}
	return t, secret, nil
}

// tokenAudit is what the audit log keeps of a token: never its secret or hash.
func tokenAudit(t *frontdesk.APIToken) map[string]any {
	return map[string]any{"token_id": t.ID, "name": t.Name, "expires_at": t.ExpiresAt, "revoked_at": t.RevokedAt}
}

// touchEvery is how stale a token's last use may grow before authentication records a new
// one: writing on every request would make each API call a write.
const touchEvery = time.Minute

// Authenticate returns the actor an API token stands for, with the effective permissions of
// their role as it is now (R2). A token that is unknown, revoked or expired, or whose owner is
// no longer active staff, is refused (L3). The token's last use is recorded, to the minute.
func (db *DB) Authenticate(ctx context.Context, secret string) (frontdesk.Actor, error) {
	var id int64
	var expires, used sql.NullInt64
	a, state, err := scanActor(dbQuerier{db}.QueryRowContext(ctx, `SELECT `+actorColumns+`, t.id, t.expires_at, t.last_used_at`+actorFrom+` JOIN api_tokens t ON t.person_id = p.id
		WHERE t.hash = ? AND t.revoked_at IS NULL`, HashToken(secret)), &id, &expires, &used)
	unauthorized := frontdesk.Errorf(frontdesk.EUnauthorized, "the API token is unknown, revoked or expired")
	if errors.Is(err, sql.ErrNoRows) {
		return frontdesk.Actor{}, unauthorized
	}
	if err != nil {
		return frontdesk.Actor{}, err
	}
	now := db.now()
	if state != frontdesk.StateActive || !a.Role.IsStaff() || (expires.Valid && expires.Int64 <= micros(now)) {
		return frontdesk.Actor{}, unauthorized
	}
	if stale := micros(now.Add(-touchEvery)); !used.Valid || used.Int64 < stale {
		// The condition is repeated in SQL so that of concurrent requests (or instances)
		// only one writes. A failure costs a late "last used", not the request.
		q, args := `UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`, []any{micros(now), id, stale}
		if tx, ok := ctx.Value(txKey{}).(*Tx); ok && tx.db == db {
			_, err = tx.ExecContext(ctx, q, args...) // the one write connection is the transaction's
		} else {
			_, err = db.write.ExecContext(ctx, db.rebind(q), args...)
		}
		if err != nil {
			db.log.Warn("record token use", "token_id", id, "err", err)
		}
	}
	return a, nil
}

// APITokenFilter chooses the tokens to list: one person's, or everyone's when PersonID is 0.
type APITokenFilter struct {
	PersonID int64
}

const tokenColumns = `t.id, t.person_id, p.first_name, p.middle_name, p.last_name, p.role, t.name, t.created_at, t.expires_at, t.last_used_at, t.revoked_at
	FROM api_tokens t JOIN people p ON p.id = t.person_id`

func scanToken(r rowScanner) (*frontdesk.APIToken, error) {
	var t frontdesk.APIToken
	var first, middle, last string
	var created int64
	var expires, used, revoked sql.NullInt64
	if err := r.Scan(&t.ID, &t.PersonID, &first, &middle, &last, &t.PersonRole, &t.Name, &created, &expires, &used, &revoked); err != nil {
		return nil, err
	}
	t.PersonName = frontdesk.FullName(first, middle, last)
	t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.RevokedAt = fromMicros(created), fromNullMicros(expires), fromNullMicros(used), fromNullMicros(revoked)
	return &t, nil
}

// ListAPITokens returns tokens, revoked and expired ones included, newest first, and the
// cursor of the next page (zero on the last one).
func (db *DB) ListAPITokens(ctx context.Context, f APITokenFilter, pg frontdesk.Page) ([]frontdesk.APIToken, int64, error) {
	q := `SELECT ` + tokenColumns + ` WHERE 1=1`
	var args []any
	if f.PersonID != 0 {
		q += " AND t.person_id = ?"
		args = append(args, f.PersonID)
	}
	if pg.After != 0 {
		q += " AND t.id < ?"
		args = append(args, pg.After)
	}
	limit := pg.Limit
	if limit <= 0 || limit > frontdesk.MaxPageSize {
		limit = frontdesk.DefaultPageSize
	}
	q += fmt.Sprintf(" ORDER BY t.id DESC LIMIT %d", limit+1)
	rows, err := db.reader(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []frontdesk.APIToken{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, *t)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	return trimPage(out, limit, func(t frontdesk.APIToken) int64 { return t.ID })
}

// RevokeAPIToken ends one token. check decides, on the token as stored, whether the caller
// may; the store holds no rule of its own. Revoking a revoked token changes nothing.
func (db *DB) RevokeAPIToken(ctx context.Context, id int64, check func(*frontdesk.APIToken) error) (*frontdesk.APIToken, error) {
	var t *frontdesk.APIToken
	err := db.inTx(ctx, func(tx *Tx) error {
		var err error
		t, err = scanToken(tx.QueryRowContext(ctx, `SELECT `+tokenColumns+` WHERE t.id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("API token", id)
		}
		if err != nil {
			return err
		}
		if err := check(t); err != nil {
			return err
		}
		if t.RevokedAt != nil {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ?`, micros(tx.now), id); err != nil {
			return err
		}
		before, now := tokenAudit(t), tx.now
		t.RevokedAt = &now
		return tx.audit(ctx, "api_token.revoke", "person", t.PersonID, before, tokenAudit(t))
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// revokeTokens ends every API token of a person (L3).
func (tx *Tx) revokeTokens(ctx context.Context, personID int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE person_id = ? AND revoked_at IS NULL`, micros(tx.now), personID)
	return err
}
